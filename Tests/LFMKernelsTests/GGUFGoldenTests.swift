import Testing
@testable import LFMKernels

/// Dequantisers against the Python `gguf` package (goldens from scripts/make_kernel_goldens.py).
@Suite("gguf-py dequantisation goldens")
struct GGUFGoldenTests {
    static func bytes(hex: String) -> [UInt8] {
        var out = [UInt8](), it = hex.utf8.makeIterator()
        func nib(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
        while let a = it.next(), let b = it.next() { out.append(nib(a) << 4 | nib(b)) }
        return out
    }

    static func type(_ name: String) -> WeightType {
        switch name {
        case "q8_0": .q8_0
        case "q4_0": .q4_0
        case "q4_K": .q4_K
        case "q5_K": .q5_K
        case "q6_K": .q6_K
        case "f16": .f16
        default: .bf16
        }
    }

    @Test(arguments: ggufGoldens.map(\.type))
    func matchesGGUFPy(_ name: String) {
        let g = ggufGoldens.first { $0.type == name }!
        let type = Self.type(name)
        let raw = Self.bytes(hex: g.bytesHex)
        let vb = Self.bytes(hex: g.valuesHex)
        var expected = [UInt32]()
        for i in stride(from: 0, to: vb.count, by: 4) {
            var v = UInt32(vb[i]) << 24
            v |= UInt32(vb[i + 1]) << 16
            v |= UInt32(vb[i + 2]) << 8
            v |= UInt32(vb[i + 3])
            expected.append(v)
        }
        let cols = raw.count / type.blockBytes * type.blockElems
        let got = Kernels.dequantize(type, raw, cols: cols).map(\.bitPattern)
        #expect(got.count == expected.count)
        #expect(got == expected, "\(name): first mismatch at \(got.indices.first { got[$0] != expected[$0] } ?? -1)")
    }
}
