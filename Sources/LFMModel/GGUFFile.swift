import LFMKernels

/// A GGUF v2/v3 file (docs/lfm2.md §6.1): metadata key/values, tensor infos and the aligned
/// data blob, memory-mapped. Quantized tensors stay in their block format.
///
/// The header is untrusted input: every count, length, dimension and offset is checked
/// against the file size with overflow-checked arithmetic, so a corrupt or hostile file gives
/// a ``ModelError`` naming the file and the field, never a trap, a huge allocation or a read
/// outside the mapping (docs/reliability.md, "Fuzzing").
public struct GGUFFile: Sendable {
    /// The mapped file.
    public let file: MappedFile
    /// GGUF version (2 or 3).
    public let version: UInt32
    /// Metadata by key.
    public let metadata: [String: GGUFValue]
    /// Tensors by GGUF name (`blk.0.attn_q.weight`), shapes in PyTorch order (GGUF `ne` reversed).
    public let tensors: [String: Tensor]
    /// Tensor names in file order.
    public let tensorNames: [String]

    /// Most elements one metadata array may hold (real vocabularies and merge lists have
    /// a few hundred thousand).
    public static let maxArrayElements = 1 << 24
    /// Largest accepted `general.alignment` (the default is 32).
    public static let maxAlignment = 1 << 24

    /// Parses and validates the file: magic, version, every count, string and array length
    /// against the file size, tensor types, alignment, and that each tensor's bytes lie inside
    /// the data blob without overlapping another tensor.
    public init(path: String) throws {
        try self.init(file: try MappedFile(path: path))
    }

    /// Parses an already mapped (or copied, ``MappedFile/init(copying:path:)``) file.
    public init(file: MappedFile) throws {
        let path = file.path
        self.file = file
        var r = Reader(file: file)
        let magic = try r.u32("magic")
        guard magic == 0x4655_4747 else { throw ModelError.corrupt(path, "not a GGUF file (bad magic)") }
        version = try r.u32("version")
        guard version == 2 || version == 3 else { throw ModelError.corrupt(path, "unsupported GGUF version \(version)") }
        let tensorCount = try r.u64("tensor_count")
        let kvCount = try r.u64("metadata_kv_count")
        // Each metadata pair takes at least 13 bytes (key length, type, 1-byte value) and each
        // tensor info at least 32 (name length, n_dims, one dimension, type, offset).
        guard kvCount <= UInt64(r.remaining / 13) else {
            throw ModelError.corrupt(path, "metadata_kv_count \(kvCount) cannot fit in the \(file.count)-byte file")
        }
        guard tensorCount <= UInt64(r.remaining / 32) else {
            throw ModelError.corrupt(path, "tensor_count \(tensorCount) cannot fit in the \(file.count)-byte file")
        }
        var meta: [String: GGUFValue] = [:]
        for i in 0..<Int(kvCount) {
            let key = try r.string("metadata key #\(i)")
            let field = "metadata '\(TensorExtent.shown(key))'"
            let type = try r.u32("\(field) type")
            meta[key] = try r.value(type: type, depth: 0, field: field)
        }
        metadata = meta
        struct Info { var name: String; var ne: [Int]; var type: UInt32; var offset: UInt64 }
        var infos: [Info] = []
        infos.reserveCapacity(Int(tensorCount))
        for i in 0..<Int(tensorCount) {
            let name = try r.string("tensor #\(i) name")
            let shown = TensorExtent.shown(name)
            let dims = try r.u32("tensor '\(shown)' n_dims")
            guard dims >= 1 && dims <= 4 else { throw ModelError.corrupt(path, "tensor '\(shown)' has \(dims) dimensions") }
            var ne: [Int] = []
            for _ in 0..<dims {
                let d = try r.u64("tensor '\(shown)' dimension")
                guard d < 1 << 40 else { throw ModelError.corrupt(path, "tensor '\(shown)' has an implausible dimension \(d)") }
                ne.append(Int(d))
            }
            let type = try r.u32("tensor '\(shown)' type")
            infos.append(Info(name: name, ne: ne, type: type, offset: try r.u64("tensor '\(shown)' offset")))
        }
        let alignValue = meta["general.alignment"]
        let alignment = alignValue == nil ? 32 : (alignValue?.intValue ?? -1)
        guard alignment > 0, alignment <= Self.maxAlignment, alignment.nonzeroBitCount == 1 else {
            throw ModelError.corrupt(path, "general.alignment \(alignValue?.intValue.map(String.init) ?? "(not an integer)") is not a power of two up to \(Self.maxAlignment)")
        }
        // r.offset <= file.count, and alignment is small: no overflow.
        let dataStart = (r.offset + alignment - 1) / alignment * alignment
        var tensors: [String: Tensor] = [:]
        var ranges: [(start: Int, end: Int, name: String)] = []
        for info in infos {
            let shown = TensorExtent.shown(info.name)
            guard let type = WeightType(ggmlType: Int(info.type)), WeightType.allCases.contains(type) else {
                throw ModelError.unsupportedTensorType(path, shown, "ggml type \(info.type)")
            }
            guard tensors[info.name] == nil else { throw ModelError.corrupt(path, "tensor '\(shown)' appears twice") }
            let shape = Array(info.ne.reversed())
            guard info.ne[0] % type.blockElems == 0 else {
                throw ModelError.corrupt(path, "tensor '\(shown)': row length \(info.ne[0]) is not a multiple of the \(type.name) block")
            }
            guard let bytes = TensorExtent.byteCount(shape: shape, type: type) else {
                throw ModelError.corrupt(path, "tensor '\(shown)': shape \(shape) is too large (its size overflows)")
            }
            guard info.offset % UInt64(alignment) == 0 else {
                throw ModelError.corrupt(path, "tensor '\(shown)': offset \(info.offset) is not a multiple of the alignment \(alignment)")
            }
            guard info.offset <= UInt64(file.count), let start = TensorExtent.sum(dataStart, Int(info.offset)),
                  let end = TensorExtent.sum(start, bytes), end <= file.count else {
                throw ModelError.corrupt(path, "tensor '\(shown)' (offset \(info.offset), \(bytes) bytes) extends past the end of the \(file.count)-byte file (truncated?)")
            }
            ranges.append((start, end, info.name))
            tensors[info.name] = Tensor(name: info.name, type: type, shape: shape, data: file.base + start, owner: file)
        }
        ranges = ranges.filter { $0.end > $0.start }
        ranges.sort { $0.start < $1.start }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.start < a.end {
            throw ModelError.corrupt(path, "tensors '\(TensorExtent.shown(a.name))' and '\(TensorExtent.shown(b.name))' overlap (offsets)")
        }
        self.tensors = tensors
        tensorNames = infos.map(\.name)
    }

    /// Bounds-checked little-endian reader over the mapped header; errors name the field.
    private struct Reader {
        let file: MappedFile
        var offset = 0

        var remaining: Int { file.count - offset }

        func corrupt(_ field: String, _ detail: String) -> ModelError {
            .corrupt(file.path, "\(field): \(detail)")
        }

        mutating func fixed<T: FixedWidthInteger>(_: T.Type, _ field: String) throws -> T {
            guard remaining >= MemoryLayout<T>.size else { throw corrupt(field, "unexpected end of file at byte \(offset)") }
            defer { offset += MemoryLayout<T>.size }
            return try file.read(T.self, at: offset)
        }

        mutating func u32(_ field: String) throws -> UInt32 { try fixed(UInt32.self, field) }
        mutating func u64(_ field: String) throws -> UInt64 { try fixed(UInt64.self, field) }

        mutating func string(_ field: String) throws -> String {
            let n = try u64("\(field) length")
            guard n <= UInt64(remaining) else { throw corrupt(field, "string length \(n) at byte \(offset) runs past the end of the file") }
            let s = String(decoding: UnsafeRawBufferPointer(start: file.base + offset, count: Int(n)), as: UTF8.self)
            offset += Int(n)
            return s
        }

        /// The fewest bytes one value of `type` takes (arrays: element type + count).
        static func minimumSize(_ type: UInt32) -> Int {
            switch type {
            case 0, 1, 7: 1
            case 2, 3: 2
            case 4, 5, 6: 4
            case 8, 10, 11, 12: 8
            case 9: 12
            default: 1
            }
        }

        mutating func value(type: UInt32, depth: Int, field: String) throws -> GGUFValue {
            switch type {
            case 0: return .uint(UInt64(try fixed(UInt8.self, field)))
            case 1: return .int(Int64(try fixed(Int8.self, field)))
            case 2: return .uint(UInt64(try fixed(UInt16.self, field)))
            case 3: return .int(Int64(try fixed(Int16.self, field)))
            case 4: return .uint(UInt64(try u32(field)))
            case 5: return .int(Int64(Int32(bitPattern: try u32(field))))
            case 6: return .float(Double(Float(bitPattern: try u32(field))))
            case 7: return .bool(try fixed(UInt8.self, field) != 0)
            case 8: return .string(try string(field))
            case 9:
                guard depth < 4 else { throw corrupt(field, "nested arrays too deep at byte \(offset)") }
                let elementType = try u32("\(field) array type")
                let n = try u64("\(field) array length")
                let size = Self.minimumSize(elementType)
                guard n <= UInt64(GGUFFile.maxArrayElements), n <= UInt64(remaining / size) else {
                    throw corrupt(field, "array length \(n) at byte \(offset) runs past the end of the file (or exceeds \(GGUFFile.maxArrayElements))")
                }
                var items: [GGUFValue] = []
                items.reserveCapacity(Int(n))
                for _ in 0..<n { items.append(try value(type: elementType, depth: depth + 1, field: field)) }
                return .array(items)
            case 10: return .uint(try u64(field))
            case 11: return .int(Int64(bitPattern: try u64(field)))
            case 12: return .float(Double(bitPattern: try u64(field)))
            default: throw corrupt(field, "unknown metadata value type \(type) at byte \(offset)")
            }
        }
    }
}
