import Foundation
import LFMKernels

/// One `.safetensors` file: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets}}`, then the raw data (offsets relative to its start).
/// The file is memory-mapped and tensors point into the map.
///
/// The header is untrusted input (docs/reliability.md, "Fuzzing"): its length is capped like
/// the reference implementation's, shapes are multiplied with overflow checks, and every byte
/// range must lie inside the file without overlapping another tensor.
public struct SafetensorsFile: Sendable {
    /// The mapped file.
    public let file: MappedFile
    /// Tensors by name, in PyTorch shape order.
    public let tensors: [String: Tensor]

    /// Largest JSON header accepted (the safetensors reference implementation's limit).
    public static let maxHeaderBytes = 100_000_000

    /// Opens and validates a safetensors file: header bounds, dtypes and that every tensor's
    /// byte range matches its shape and lies inside the file.
    public init(path: String) throws {
        try self.init(file: try MappedFile(path: path))
    }

    /// Validates an already mapped (or copied, ``MappedFile/init(copying:path:)``) file.
    public init(file: MappedFile) throws {
        let path = file.path
        self.file = file
        guard file.count >= 8 else {
            throw ModelError.corrupt(path, "header length: the file has only \(file.count) bytes")
        }
        let headerLength = try file.read(UInt64.self, at: 0)
        guard headerLength <= UInt64(file.count - 8), headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw ModelError.corrupt(path, "header length \(headerLength) exceeds the file size \(file.count) (or the \(Self.maxHeaderBytes)-byte limit)")
        }
        let headerData = Data(bytes: file.base + 8, count: Int(headerLength))
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw ModelError.corrupt(path, "header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataBytes = file.count - dataStart
        var tensors: [String: Tensor] = [:]
        var ranges: [(start: Int, end: Int, name: String)] = []
        for (name, value) in header where name != "__metadata__" {
            let shown = TensorExtent.shown(name)
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw ModelError.corrupt(path, "tensor '\(shown)' has a malformed header entry (dtype, shape, data_offsets)")
            }
            guard let type = WeightType(safetensorsDType: dtype) else {
                throw ModelError.unsupportedTensorType(path, shown, TensorExtent.shown(dtype))
            }
            guard let expected = TensorExtent.byteCount(shape: shape, type: type) else {
                throw ModelError.corrupt(path, "tensor '\(shown)': shape \(shape) has a negative dimension or its size overflows")
            }
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] - offsets[0] == expected else {
                throw ModelError.corrupt(path, "tensor '\(shown)': data_offsets \(offsets) do not hold \(shape) \(dtype)")
            }
            guard offsets[1] <= dataBytes else {
                throw ModelError.corrupt(path, "tensor '\(shown)': data_offsets end \(offsets[1]) is past the \(dataBytes) data bytes of the \(file.count)-byte file (truncated?)")
            }
            ranges.append((offsets[0], offsets[1], name))
            tensors[name] = Tensor(name: name, type: type, shape: shape, data: file.base + dataStart + offsets[0], owner: file)
        }
        ranges = ranges.filter { $0.end > $0.start }
        ranges.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.start < a.end {
            throw ModelError.corrupt(path, "tensors '\(TensorExtent.shown(a.name))' and '\(TensorExtent.shown(b.name))' overlap (data_offsets)")
        }
        self.tensors = tensors
    }
}
