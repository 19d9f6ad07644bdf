import Foundation
import LFMTestSupport
import Testing
@testable import LFMModel

/// Builds small GGUF files byte by byte (docs/lfm2.md §6.1 layout), so each test can corrupt
/// exactly one field.
struct GGUFBuilder {
    var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }

    /// A tensor info entry: name, dimensions (GGUF order, innermost first), ggml type, offset.
    struct Info { var name: String; var ne: [UInt64]; var type: UInt32 = 0; var offset: UInt64 = 0 }

    /// A whole file: header counts, metadata (raw, already encoded pairs), tensor infos,
    /// padding to `alignment`, then `dataBytes` zero bytes.
    static func file(kvCount: UInt64? = nil, metadata: [[UInt8]] = [], tensors: [Info], tensorCount: UInt64? = nil,
                     alignment: Int = 32, dataBytes: Int) -> [UInt8] {
        var b = GGUFBuilder()
        b.u32(0x4655_4747)
        b.u32(3)
        b.u64(tensorCount ?? UInt64(tensors.count))
        b.u64(kvCount ?? UInt64(metadata.count))
        for kv in metadata { b.bytes += kv }
        for t in tensors {
            b.string(t.name)
            b.u32(UInt32(t.ne.count))
            for d in t.ne { b.u64(d) }
            b.u32(t.type)
            b.u64(t.offset)
        }
        while b.bytes.count % alignment != 0 { b.bytes.append(0) }
        return b.bytes + [UInt8](repeating: 0, count: dataBytes)
    }

    /// An encoded metadata pair `key: uint32 value`.
    static func u32Pair(_ key: String, _ value: UInt32) -> [UInt8] {
        var b = GGUFBuilder()
        b.string(key)
        b.u32(4)
        b.u32(value)
        return b.bytes
    }
}

/// Model files are untrusted input (docs/reliability.md): every malformed GGUF or safetensors
/// header gives a `ModelError` naming the file and the field, never a trap, a huge allocation
/// or a read outside the mapping.
@Suite struct HeaderHardeningTests {
    static let ggufPath = "crafted.gguf"
    static let stPath = "crafted.safetensors"

    private func gguf(_ bytes: [UInt8]) throws -> GGUFFile {
        try GGUFFile(file: MappedFile(copying: bytes, path: Self.ggufPath))
    }

    private func expectGGUFError(_ bytes: [UInt8], _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) { _ = try gguf(bytes) } throws: { e in
            let s = "\(e)"
            return e is ModelError && s.contains(Self.ggufPath) && fragments.allSatisfy { s.contains($0) }
        }
    }

    private static let valid = GGUFBuilder.file(metadata: [GGUFBuilder.u32Pair("general.alignment", 32)],
                                                tensors: [.init(name: "a", ne: [4, 2])], dataBytes: 32)

    @Test func validFileParses() throws {
        let g = try gguf(Self.valid)
        #expect(g.tensors["a"]?.shape == [2, 4])
        #expect(g.metadata["general.alignment"] == .uint(32))
    }

    @Test func everyTruncationIsAnError() {
        for n in 0..<Self.valid.count {
            expectGGUFError(Array(Self.valid.prefix(n)))
        }
    }

    @Test func badMagic() {
        var b = Self.valid
        b[0] = 0x58
        expectGGUFError(b, "bad magic")
    }

    @Test func absurdCounts() {
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "a", ne: [4])], tensorCount: .max, dataBytes: 16), "tensor_count")
        expectGGUFError(GGUFBuilder.file(kvCount: 1 << 40, tensors: [], dataBytes: 0), "metadata_kv_count")
    }

    @Test func stringLengthPastTheEnd() {
        var b = GGUFBuilder()
        b.u64(.max)   // key length
        b.bytes += Array("general.name".utf8)
        expectGGUFError(GGUFBuilder.file(metadata: [b.bytes], tensors: [], dataBytes: 0), "metadata key #0", "string length")
    }

    @Test func arrayLengthPastTheEnd() {
        var b = GGUFBuilder()
        b.string("tokenizer.ggml.tokens")
        b.u32(9)     // array
        b.u32(5)     // of int32
        b.u64(1 << 40)
        expectGGUFError(GGUFBuilder.file(metadata: [b.bytes], tensors: [], dataBytes: 64), "tokenizer.ggml.tokens", "array length")
    }

    @Test func nestedArraysTooDeep() {
        var b = GGUFBuilder()
        b.string("deep")
        b.u32(9)
        for _ in 0..<6 { b.u32(9); b.u64(1) }
        expectGGUFError(GGUFBuilder.file(metadata: [b.bytes], tensors: [], dataBytes: 64), "'deep'", "nested arrays")
    }

    @Test func unknownValueType() {
        var b = GGUFBuilder()
        b.string("odd")
        b.u32(99)
        expectGGUFError(GGUFBuilder.file(metadata: [b.bytes], tensors: [], dataBytes: 8), "'odd'", "unknown metadata value type 99")
    }

    @Test func shapeWhoseSizeOverflows() {
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "big", ne: [1 << 39, 1 << 39, 1 << 39])], dataBytes: 32),
                        "'big'", "overflows")
    }

    @Test func implausibleDimensionAndDimensionCount() {
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "huge", ne: [.max])], dataBytes: 32), "'huge'", "implausible dimension")
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "flat", ne: [])], dataBytes: 32), "'flat'", "0 dimensions")
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "five", ne: [1, 1, 1, 1, 1])], dataBytes: 32), "'five'", "5 dimensions")
    }

    @Test func offsetPastTheEnd() {
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "a", ne: [4, 2], offset: UInt64.max & ~31)], dataBytes: 32),
                        "'a'", "past the end")
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "a", ne: [4, 2], offset: 32)], dataBytes: 32), "'a'", "past the end")
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "a", ne: [4, 4])], dataBytes: 32), "'a'", "past the end")
    }

    @Test func misalignedOffset() {
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "a", ne: [2], offset: 4)], dataBytes: 32), "'a'", "alignment 32")
    }

    @Test func overlappingTensors() {
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "a", ne: [16]), .init(name: "b", ne: [8], offset: 32)], dataBytes: 64),
                        "overlap")
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "a", ne: [4]), .init(name: "a", ne: [4], offset: 32)], dataBytes: 64),
                        "'a' appears twice")
    }

    @Test func badAlignment() {
        for value: UInt32 in [0, 48, 1 << 31] {
            expectGGUFError(GGUFBuilder.file(metadata: [GGUFBuilder.u32Pair("general.alignment", value)], tensors: [], dataBytes: 0),
                            "general.alignment")
        }
    }

    @Test func unsupportedAndInternalTensorTypes() {
        // 0x1008 is the in-memory packed Q8_0 layout: never valid in a file.
        for type: UInt32 in [3, 0x1008, .max] {
            expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "w", ne: [32], type: type)], dataBytes: 256), "'w'", "unsupported type")
        }
        expectGGUFError(GGUFBuilder.file(tensors: [.init(name: "q", ne: [31], type: 8)], dataBytes: 64), "'q'", "Q8_0 block")
    }

    @Test func implausibleLayerCountIsAConfigError() throws {
        var arch = GGUFBuilder()
        arch.string("general.architecture")
        arch.u32(8)
        arch.string("lfm2")
        var blocks = GGUFBuilder()
        blocks.string("lfm2.block_count")
        blocks.u32(5)   // int32
        blocks.u32(UInt32(bitPattern: -1))
        let g = try gguf(GGUFBuilder.file(metadata: [arch.bytes, blocks.bytes, GGUFBuilder.u32Pair("lfm2.attention.head_count_kv", 0)],
                                          tensors: [], dataBytes: 0))
        #expect { _ = try LFM2Config.fromGGUF(g) } throws: { e in
            "\(e)".contains("lfm2.block_count") && "\(e)".contains(Self.ggufPath)
        }
    }

    @Test func truncatedRealCheckpointNamesTheFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = try Data(contentsOf: Fixtures.url("models/tiny-a-q8_0.gguf"))
        for fraction in [0.001, 0.3, 0.9, 0.999] {
            let path = dir.appendingPathComponent("cut-\(fraction).gguf").path
            try full.prefix(Int(Double(full.count) * fraction)).write(to: URL(fileURLWithPath: path))
            #expect { _ = try Checkpoint.load(path: path) } throws: { e in
                e is ModelError && "\(e)".contains(path)
            }
        }
    }

    // MARK: safetensors

    private static func safetensors(_ header: String, dataBytes: Int, headerLength: UInt64? = nil) -> [UInt8] {
        var b = GGUFBuilder()
        b.u64(headerLength ?? UInt64(header.utf8.count))
        return b.bytes + Array(header.utf8) + [UInt8](repeating: 0, count: dataBytes)
    }

    private func expectSTError(_ bytes: [UInt8], _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sourceLocation: sourceLocation) {
            _ = try SafetensorsFile(file: MappedFile(copying: bytes, path: Self.stPath))
        } throws: { e in
            let s = "\(e)"
            return e is ModelError && s.contains(Self.stPath) && fragments.allSatisfy { s.contains($0) }
        }
    }

    @Test func safetensorsValidAndTruncated() throws {
        let ok = Self.safetensors(#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"format":"pt"}}"#, dataBytes: 16)
        let f = try SafetensorsFile(file: MappedFile(copying: ok, path: Self.stPath))
        #expect(f.tensors["a"]?.shape == [2, 2])
        for n in 0..<ok.count { expectSTError(Array(ok.prefix(n))) }
    }

    @Test func safetensorsHeaderLength() {
        expectSTError([1, 2, 3], "header length")
        expectSTError(Self.safetensors("{}", dataBytes: 0, headerLength: .max), "header length")
        expectSTError(Self.safetensors("{}", dataBytes: 0, headerLength: 3), "header length")
        expectSTError(Self.safetensors("[1,2", dataBytes: 0), "not a JSON object")
    }

    @Test func safetensorsOverflowingAndNegativeShapes() {
        expectSTError(Self.safetensors(#"{"t":{"dtype":"F32","shape":[1099511627776,1099511627776,1099511627776],"data_offsets":[0,0]}}"#, dataBytes: 0),
                      "'t'", "overflows")
        expectSTError(Self.safetensors(#"{"t":{"dtype":"F32","shape":[-2,-2],"data_offsets":[0,16]}}"#, dataBytes: 16), "'t'", "negative")
        expectSTError(Self.safetensors(#"{"t":{"dtype":"F32","shape":[1e300],"data_offsets":[0,16]}}"#, dataBytes: 16), "'t'", "malformed")
        expectSTError(Self.safetensors(#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8,16]}}"#, dataBytes: 16), "'t'", "malformed")
    }

    @Test func safetensorsOffsets() {
        expectSTError(Self.safetensors(#"{"t":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}"#, dataBytes: 16), "'t'", "truncated")
        expectSTError(Self.safetensors(#"{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}"#, dataBytes: 16), "'t'", "do not hold")
        expectSTError(Self.safetensors(#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, dataBytes: 16), "'t'", "do not hold")
        expectSTError(Self.safetensors(#"{"t":{"dtype":"F32","shape":[4],"data_offsets":[-16,0]}}"#, dataBytes: 16), "'t'", "do not hold")
        expectSTError(Self.safetensors(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F16","shape":[4],"data_offsets":[8,16]}}"#, dataBytes: 16),
                      "overlap")
        expectSTError(Self.safetensors(#"{"t":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, dataBytes: 8), "'t'", "unsupported type I64")
    }
}
