import Testing
@testable import LFMKernels

/// Dequantisation test vectors of docs/lfm2.md §7.3 (checked there against gguf-py).
@Suite("Spec §7.3 quant block vectors")
struct QuantVectorTests {
    /// b[i] = (i*37 + 11) mod 256 with fp16 fields overwritten (0x3800 = 0.5, 0x3400 = 0.25).
    static func block(_ size: Int, halves: [(offset: Int, bits: UInt16)]) -> [UInt8] {
        var b = (0..<size).map { UInt8(($0 * 37 + 11) % 256) }
        for h in halves {
            b[h.offset] = UInt8(h.bits & 0xFF)
            b[h.offset + 1] = UInt8(h.bits >> 8)
        }
        return b
    }

    static func check(_ type: WeightType, _ bytes: [UInt8], first8: [Float], sum: Float, last: Float) {
        let v = Kernels.dequantize(type, bytes, cols: type.blockElems)
        #expect(v.count == type.blockElems)
        #expect(Array(v.prefix(8)) == first8)
        #expect(v.reduce(0, +) == sum)
        #expect(v.last == last)
    }

    @Test func q8_0() {
        Self.check(.q8_0, Self.block(34, halves: [(0, 0x3800)]),
                   first8: [42.5, 61, -48.5, -30, -11.5, 7, 25.5, 44], sum: -88, last: -24)
    }

    @Test func q4_0() {
        Self.check(.q4_0, Self.block(18, halves: [(0, 0x3800)]),
                   first8: [-1.5, 1, 3.5, -2, 0.5, 3, -2.5, 0], sum: -10.5, last: 0)
    }

    @Test func q4_K() {
        Self.check(.q4_K, Self.block(144, halves: [(0, 0x3800), (2, 0x3400)]),
                   first8: [157.75, -12.75, 64.75, 142.25, 219.75, 49.25, 126.75, 204.25],
                   sum: 27220, last: 24.25)
    }

    @Test func q6_K() {
        Self.check(.q6_K, Self.block(210, halves: [(208, 0x3800)]),
                   first8: [-715.5, 848, 291.5, -265, -821.5, 742, 185.5, -371], sum: 2306, last: -30)
    }

    @Test func bf16() {
        let bytes: [UInt8] = [0x80, 0x3f, 0x20, 0xc0, 0x49, 0x40]
        #expect(Kernels.dequantize(.bf16, bytes, cols: 3) == [1.0, -2.5, 3.140625])
        #expect(Kernels.quantize(.bf16, [1.0, -2.5, 3.140625], rows: 1, cols: 3) == bytes)
    }

    @Test func geometry() {
        let expected: [WeightType: (Int, Int)] = [
            .f32: (1, 4), .f16: (1, 2), .bf16: (1, 2), .q8_0: (32, 34), .q4_0: (32, 18),
            .q4_K: (256, 144), .q5_K: (256, 176), .q6_K: (256, 210),
        ]
        for t in WeightType.allCases {
            #expect(t.blockElems == expected[t]!.0)
            #expect(t.blockBytes == expected[t]!.1)
        }
        #expect(WeightType.q4_K.rowBytes(2048) == 8 * 144)
        #expect(WeightType.q8_0.rowBytes(33) == nil)
        #expect(WeightType(ggmlType: 14) == .q6_K)
        #expect(WeightType(ggmlType: 13) == .q5_K)
        #expect(WeightType.q5_K.rowBytes(1792) == 7 * 176)
        #expect(WeightType(ggmlType: 3) == nil)
        #expect(WeightType(safetensorsDType: "BF16") == .bf16)
        #expect(WeightType.q4_K.name == "Q4_K")
    }

    /// Quantise -> dequantise round trips stay within half a quantisation step.
    @Test(arguments: [WeightType.q8_0, .q4_0, .q4_K, .q5_K, .q6_K, .f16, .bf16])
    func roundTrip(_ type: WeightType) {
        var rng = TestRandom(seed: 7)
        let k = 512
        let x = rng.floats(k)
        let y = Kernels.dequantize(type, Kernels.quantize(type, x, rows: 1, cols: k), cols: k)
        let bound: Float = switch type {
        case .q8_0: 1.0 / 127
        case .q4_0: 1.0 / 8 + 1e-3
        case .q4_K: 2.0 / 15 + 0.05
        case .q5_K: 2.0 / 31 + 0.05
        case .q6_K: 1.0 / 31 + 0.01
        case .f16: 1e-3
        default: 4e-3
        }
        for i in 0..<k { #expect(abs(x[i] - y[i]) <= bound, "\(type) element \(i)") }
    }

    /// Q8_0 and Q4_0 quantisers are ggml's reference: check a hand-computed block.
    @Test func q8_0ReferenceQuantizer() {
        var x = [Float](repeating: 0, count: 32)
        x[0] = 127; x[1] = -63.5; x[2] = 0.5; x[3] = -2.5
        let b = Kernels.quantize(.q8_0, x, rows: 1, cols: 32)
        #expect(UInt16(b[0]) | UInt16(b[1]) << 8 == 0x3C00)   // d = 1.0
        #expect(Int8(bitPattern: b[2]) == 127)
        #expect(Int8(bitPattern: b[3]) == -64)   // -63.5 rounds away from zero
        #expect(Int8(bitPattern: b[4]) == 1)     // 0.5 rounds away from zero
        #expect(Int8(bitPattern: b[5]) == -3)
        // Q4_0: d = max / -8 with the signed max-magnitude element.
        var y = [Float](repeating: 0, count: 32)
        y[0] = -8; y[1] = 4; y[17] = 7.9
        let c = Kernels.quantize(.q4_0, y, rows: 1, cols: 32)
        #expect(UInt16(c[0]) | UInt16(c[1]) << 8 == 0x3C00)   // d = 1.0
        #expect(c[2] == 0x80)                                  // q0 = 0 (-8), q16 = 8 (0)
        #expect(c[3] & 0x0F == 12)                             // 4/1 + 8.5 -> 12
        #expect(c[3] >> 4 == 15)                               // 7.9 + 8.5 = 16.4 -> clamped 15
    }
}
