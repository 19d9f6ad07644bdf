import Foundation
import LFMKernels

/// One `.safetensors` file: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets}}`, then the raw data (offsets relative to its start).
/// The file is memory-mapped and tensors point into the map.
public struct SafetensorsFile: Sendable {
    /// The mapped file.
    public let file: MappedFile
    /// Tensors by name, in PyTorch shape order.
    public let tensors: [String: Tensor]

    /// Opens and validates a safetensors file: header bounds, dtypes and that every tensor's
    /// byte range matches its shape and lies inside the file.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        let headerLength = try file.read(UInt64.self, at: 0)
        guard headerLength < UInt64(file.count), 8 + Int(headerLength) <= file.count else {
            throw ModelError.corrupt(path, "header length \(headerLength) exceeds the file size \(file.count)")
        }
        let headerData = Data(bytes: file.base + 8, count: Int(headerLength))
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw ModelError.corrupt(path, "header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataBytes = file.count - dataStart
        var tensors: [String: Tensor] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw ModelError.corrupt(path, "tensor '\(name)' has a malformed header entry")
            }
            guard let type = WeightType(safetensorsDType: dtype) else {
                throw ModelError.unsupportedTensorType(path, name, dtype)
            }
            let elements = shape.reduce(1, *)
            let expected = type.rowBytes(elements) ?? -1
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] >= offsets[0],
                  offsets[1] - offsets[0] == expected else {
                throw ModelError.corrupt(path, "tensor '\(name)': data_offsets \(offsets) do not hold \(shape) \(dtype)")
            }
            guard offsets[1] <= dataBytes else {
                throw ModelError.corrupt(path, "tensor '\(name)' ends at byte \(dataStart + offsets[1]) but the file has \(file.count) bytes (truncated?)")
            }
            tensors[name] = Tensor(name: name, type: type, shape: shape, data: file.base + dataStart + offsets[0], owner: file)
        }
        self.tensors = tensors
    }
}
