import Testing
@testable import LFMKernels

/// Packed Q8_0 / Q4_0 / BF16 layouts (16-row groups for the AVX-512 outer-product kernels):
/// packing keeps every value (row dequantisation equals the unpacked one), and products on
/// every ISA (AVX-512 and AVX2 run their packed kernels; portable the reference) equal the
/// double-precision reference with the tolerance of GemmTests, for row counts that are not
/// multiples of 16 (padded last group, masked stores), row ranges starting at or inside a
/// group, token counts 1, 2, 3, 5, 7, 9, 13, 17 and 64, and k with 1 to 144 blocks.
@Suite("packed gemm")
struct PackedGemmTests {
    static let cases: [(WeightType, WeightType)] = [(.q8_0, .q8_0Packed), (.q4_0, .q4_0Packed), (.bf16, .bf16Packed)]
    static let shapes: [(rows: Int, k: Int, tokens: Int, r0: Int)] = [
        (1, 32, 1, 0), (13, 32, 7, 0), (40, 96, 64, 16), (33, 256, 2, 0), (17, 64, 13, 16),
        (7, 4608, 1, 0), (48, 4608, 7, 16), (64, 1024, 2, 32), (50, 128, 9, 5),
        // AVX2 tiles: 8-row halves x 4 tokens, whole groups for T = 1; ranges starting and
        // ending inside a half, token counts that leave 1 to 3 in the last tile
        (23, 64, 3, 0), (45, 160, 5, 9), (31, 96, 17, 24), (9, 32, 1, 3), (72, 320, 2, 8), (25, 1024, 1, 17),
    ]

    @Test(arguments: [0, 1, 2])
    func packedRowsDequantiseLikeTheOriginal(_ which: Int) {
        let (base, packed) = Self.cases[which]
        var rng = TestRandom(seed: 7)
        let (R, k) = (37, 96)
        let wq = Kernels.quantize(base, rng.floats(R * k, scale: 2), rows: R, cols: k)
        let want = Kernels.dequantize(base, wq, cols: k)
        let p = Kernels.pack(packed, wq, rows: R, cols: k)
        #expect(p.count == 48 * base.rowBytes(k)!)
        var row = [Float](repeating: 0, count: k)
        p.withUnsafeBytes { pp in
            for r in 0..<R {
                row.withUnsafeMutableBufferPointer { Kernels.dequantizePackedRow(packed, pp.baseAddress!, cols: k, row: r, into: $0.baseAddress!) }
                #expect(row == Array(want[r * k..<(r + 1) * k]), "row \(r)")
            }
        }
    }

    @Test(arguments: [0, 1, 2])
    func productsMatchTheReference(_ which: Int) {
        let (base, packed) = Self.cases[which]
        var rng = TestRandom(seed: 11 + UInt64(which))
        for (R, k, T, r0) in Self.shapes {
            var w = [Float]()
            for r in 0..<R { w += rng.floats(k, scale: 0.1 + Float(r % 4)) }
            var x = rng.floats(T * k, scale: 2)
            if k >= 64 { for i in 0..<32 { x[i] = 0 } }
            let wq = Kernels.quantize(base, w, rows: R, cols: k)
            let wd = Kernels.dequantize(base, wq, cols: k)
            let wp = Kernels.pack(packed, wq, rows: R, cols: k)
            for ks in KernelISA.available.map({ KernelSet($0) }) + [KernelSet(.avx512, exactBF16: true)] {
                let isa = "\(ks.isa)\(ks.exactBF16 ? "+exactBF16" : "")"
                let arb = ks.activationRowBytes(packed, k: k)
                #expect(arb == ks.activationRowBytes(base, k: k))
                let bf16Act = base == .bf16 && ks.usesBF16Activations
                let xe = (0..<T).map { ReferenceActivations.effective(base, x[$0 * k..<($0 + 1) * k], bf16: bf16Act) }
                let ldy = R + 3
                var y = [Float](repeating: .nan, count: T * ldy)
                withAlignedBuffer(bytes: arb * T) { act in
                    x.withUnsafeBufferPointer { xp in
                        ks.prepareActivations(packed, x: xp.baseAddress!, ldx: k, k: k, tokens: 0..<T, into: act)
                    }
                    wp.withUnsafeBytes { wpp in
                        y.withUnsafeMutableBufferPointer { yp in
                            ks.gemm(packed, weights: wpp.baseAddress!, k: k, rows: r0..<R, activations: act, tokens: T,
                                    y: yp.baseAddress!, ldy: ldy)
                        }
                    }
                }
                expectMatchesReference(y, weights: wd, activations: xe, k: k, rows: r0..<R, ldy: ldy, "\(packed) \(isa) \(R)x\(k) T=\(T)")
            }
        }
    }
}
