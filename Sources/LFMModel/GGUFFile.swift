import LFMKernels

/// A GGUF v2/v3 file (lfm2-spec §6.1): metadata key/values, tensor infos and the aligned
/// data blob, memory-mapped. Quantized tensors stay in their block format.
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

    /// Parses and validates the file: magic, version, every string and array length against
    /// the file size, tensor types, and that each tensor's bytes lie inside the data blob.
    public init(path: String) throws {
        let file = try MappedFile(path: path)
        self.file = file
        var r = Reader(file: file)
        let magic = try r.u32()
        guard magic == 0x4655_4747 else { throw ModelError.corrupt(path, "not a GGUF file (bad magic)") }
        version = try r.u32()
        guard version == 2 || version == 3 else { throw ModelError.corrupt(path, "unsupported GGUF version \(version)") }
        let tensorCount = try r.u64()
        let kvCount = try r.u64()
        guard tensorCount < 1_000_000, kvCount < 1_000_000 else { throw ModelError.corrupt(path, "implausible tensor/kv counts") }
        var meta: [String: GGUFValue] = [:]
        for _ in 0..<kvCount {
            let key = try r.string()
            let type = try r.u32()
            meta[key] = try r.value(type: type, depth: 0)
        }
        metadata = meta
        struct Info { var name: String; var ne: [Int]; var type: UInt32; var offset: UInt64 }
        var infos: [Info] = []
        for _ in 0..<tensorCount {
            let name = try r.string()
            let dims = try r.u32()
            guard dims >= 1 && dims <= 4 else { throw ModelError.corrupt(path, "tensor '\(name)' has \(dims) dimensions") }
            var ne: [Int] = []
            for _ in 0..<dims {
                let d = try r.u64()
                guard d < 1 << 40 else { throw ModelError.corrupt(path, "tensor '\(name)' has an implausible dimension \(d)") }
                ne.append(Int(d))
            }
            infos.append(Info(name: name, ne: ne, type: try r.u32(), offset: try r.u64()))
        }
        let alignment = meta["general.alignment"]?.intValue ?? 32
        guard alignment > 0 && alignment.nonzeroBitCount == 1 else { throw ModelError.corrupt(path, "general.alignment \(alignment) is not a power of two") }
        let dataStart = (r.offset + alignment - 1) / alignment * alignment
        var tensors: [String: Tensor] = [:]
        for info in infos {
            guard let type = WeightType(ggmlType: Int(info.type)) else {
                throw ModelError.unsupportedTensorType(path, info.name, "ggml type \(info.type)")
            }
            let elements = info.ne.reduce(1, *)
            let bytes = type.rowBytes(elements) ?? -1
            guard info.ne[0] % type.blockElems == 0, bytes >= 0 else {
                throw ModelError.corrupt(path, "tensor '\(info.name)': row length \(info.ne[0]) is not a multiple of the \(type.name) block")
            }
            let start = dataStart + Int(info.offset)
            guard info.offset < UInt64(file.count), start + bytes <= file.count else {
                throw ModelError.corrupt(path, "tensor '\(info.name)' extends past the end of the file (truncated?)")
            }
            tensors[info.name] = Tensor(name: info.name, type: type, shape: info.ne.reversed(), data: file.base + start, owner: file)
        }
        self.tensors = tensors
        tensorNames = infos.map(\.name)
    }

    /// Bounds-checked little-endian reader over the mapped header.
    private struct Reader {
        let file: MappedFile
        var offset = 0

        mutating func u32() throws -> UInt32 { defer { offset += 4 }; return try file.read(UInt32.self, at: offset) }
        mutating func u64() throws -> UInt64 { defer { offset += 8 }; return try file.read(UInt64.self, at: offset) }

        mutating func string() throws -> String {
            let n = try u64()
            guard n <= UInt64(file.count - offset) else { throw ModelError.corrupt(file.path, "string length \(n) at byte \(offset) runs past the end") }
            let s = String(decoding: UnsafeRawBufferPointer(start: file.base + offset, count: Int(n)), as: UTF8.self)
            offset += Int(n)
            return s
        }

        mutating func value(type: UInt32, depth: Int) throws -> GGUFValue {
            switch type {
            case 0: defer { offset += 1 }; return .uint(UInt64(try file.read(UInt8.self, at: offset)))
            case 1: defer { offset += 1 }; return .int(Int64(try file.read(Int8.self, at: offset)))
            case 2: defer { offset += 2 }; return .uint(UInt64(try file.read(UInt16.self, at: offset)))
            case 3: defer { offset += 2 }; return .int(Int64(try file.read(Int16.self, at: offset)))
            case 4: return .uint(UInt64(try u32()))
            case 5: return .int(Int64(Int32(bitPattern: try u32())))
            case 6: return .float(Double(Float(bitPattern: try u32())))
            case 7: defer { offset += 1 }; return .bool(try file.read(UInt8.self, at: offset) != 0)
            case 8: return .string(try string())
            case 9:
                guard depth < 4 else { throw ModelError.corrupt(file.path, "nested arrays too deep at byte \(offset)") }
                let elementType = try u32()
                let n = try u64()
                guard n <= UInt64(file.count - offset) else { throw ModelError.corrupt(file.path, "array length \(n) at byte \(offset) runs past the end") }
                var items: [GGUFValue] = []
                items.reserveCapacity(Int(n))
                for _ in 0..<n { items.append(try value(type: elementType, depth: depth + 1)) }
                return .array(items)
            case 10: return .uint(try u64())
            case 11: return .int(Int64(bitPattern: try u64()))
            case 12: return .float(Double(bitPattern: try u64()))
            default: throw ModelError.corrupt(file.path, "unknown metadata value type \(type) at byte \(offset)")
            }
        }
    }
}
