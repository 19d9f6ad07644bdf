import Testing
@testable import LFMKernels

/// Packed K-quant layouts (Q4_K / Q5_K / Q6_K in 16-row groups with unpacked scales, for the
/// AVX2 outer-product kernels): packing keeps every value, and products on every ISA (AVX2
/// and AVX-512 run the AVX2 packed kernels, portable the reference through the ggml blocks)
/// equal the double-precision reference with the tolerance of GemmTests and the unpacked
/// kernels of the same ISA; for row counts that are not multiples of 16, row ranges starting
/// inside a group or a half, T = 1 to 64, k of 1 to 8 super-blocks, and for raw blocks whose
/// values are all at their maximum (the int16 sums of vpmaddubsw at their largest).
@Suite("packed K-quant gemm")
struct PackedKQuantGemmTests {
    static let cases: [(WeightType, WeightType)] = [(.q4_K, .q4_KPacked), (.q5_K, .q5_KPacked), (.q6_K, .q6_KPacked)]
    static let shapes: [(rows: Int, k: Int, tokens: Int, r0: Int)] = [
        (1, 256, 1, 0), (13, 256, 7, 0), (40, 512, 64, 16), (33, 256, 2, 0), (17, 768, 13, 16),
        (7, 2048, 1, 0), (48, 1792, 4, 16), (23, 256, 3, 0), (45, 512, 5, 9), (31, 256, 17, 24),
        (9, 256, 1, 3), (72, 1792, 2, 8), (25, 1024, 1, 17), (50, 256, 9, 5), (19, 256, 33, 2),
    ]

    @Test(arguments: [0, 1, 2])
    func packedRowsDequantiseLikeTheOriginal(_ which: Int) {
        let (base, packed) = Self.cases[which]
        var rng = TestRandom(seed: 17)
        let (R, k) = (37, 512)
        let wq = Kernels.quantize(base, rng.floats(R * k, scale: 2), rows: R, cols: k)
        let want = Kernels.dequantize(base, wq, cols: k)
        let p = Kernels.pack(packed, wq, rows: R, cols: k)
        #expect(p.count == 48 * packed.rowBytes(k)!)
        #expect(packed.rowBytes(k)! * 16 == [.q4_K: 2368, .q5_K: 2880, .q6_K: 3360][base]! * (k / 256))
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
        var rng = TestRandom(seed: 23 + UInt64(which))
        for (R, k, T, r0) in Self.shapes {
            var w = [Float]()
            for r in 0..<R { w += rng.floats(k, scale: 0.1 + Float(r % 4)) }
            var x = rng.floats(T * k, scale: 2)
            if k >= 512 { for i in 0..<32 { x[i] = 0 } }
            let wq = Kernels.quantize(base, w, rows: R, cols: k)
            check(base, packed, wq, x: x, rows: R, k: k, tokens: T, r0: r0, "\(packed) \(R)x\(k) T=\(T)")
        }
    }

    /// Raw blocks: random bytes (every bit pattern is a valid block) with small scales, some
    /// rows with every value at its maximum (Q4 15, Q5 31, Q6 63) against activations at +127
    /// and -127, where the int16 partial sums of the kernels are largest.
    @Test(arguments: [0, 1, 2])
    func extremeValuesDoNotSaturate(_ which: Int) {
        let (base, packed) = Self.cases[which]
        var rng = TestRandom(seed: 99)
        let (R, k, T) = (21, 512, 6)
        let bb = base.blockBytes
        var wq = [UInt8](repeating: 0, count: R * k / 256 * bb)
        for i in wq.indices { wq[i] = UInt8(truncatingIfNeeded: Int((rng.next() + 1) * 128)) }
        for r in 0..<R {
            for b in 0..<k / 256 {
                let o = (r * k / 256 + b) * bb
                if r % 3 == 0 { for i in 0..<bb { wq[o + i] = 0xff } }   // every value (and scale) at its maximum
                // d (and dmin) small and positive
                let d = Kernels.halfBits(0.01 + 0.001 * Float(r)), dm = Kernels.halfBits(0.002)
                let dOff = base == .q6_K ? 208 : 0
                wq[o + dOff] = UInt8(d & 0xff); wq[o + dOff + 1] = UInt8(d >> 8)
                if base != .q6_K { wq[o + 2] = UInt8(dm & 0xff); wq[o + 3] = UInt8(dm >> 8) }
            }
        }
        var x = [Float]()
        x += [Float](repeating: 1, count: k)                       // all +127
        x += [Float](repeating: -1, count: k)                      // all -127
        x += (0..<k).map { $0 % 2 == 0 ? 1 : -1 }
        x += rng.floats(3 * k, scale: 3)
        check(base, packed, wq, x: x, rows: R, k: k, tokens: T, r0: 0, "\(packed) extreme")
    }

    /// Packs `wq` (`rows` x k of `base`) and checks the packed product on every ISA against the
    /// reference, and against the unpacked product of the same ISA.
    func check(_ base: WeightType, _ packed: WeightType, _ wq: [UInt8], x: [Float], rows R: Int, k: Int, tokens T: Int,
               r0: Int, _ label: String) {
        let wd = Kernels.dequantize(base, wq, cols: k)
        let wp = Kernels.pack(packed, wq, rows: R, cols: k)
        for ks in KernelISA.available.map({ KernelSet($0) }) {
            let arb = ks.activationRowBytes(packed, k: k)
            #expect(arb == ks.activationRowBytes(base, k: k))
            let xe = (0..<T).map { ReferenceActivations.effective(base, x[$0 * k..<($0 + 1) * k], bf16: false) }
            let ldy = R + 3
            var y = [Float](repeating: .nan, count: T * ldy), yu = y
            withAlignedBuffer(bytes: arb * T) { act in
                x.withUnsafeBufferPointer { xp in
                    ks.prepareActivations(packed, x: xp.baseAddress!, ldx: k, k: k, tokens: 0..<T, into: act)
                }
                for (bytes, type) in [(wp, packed), (wq, base)] {
                    bytes.withUnsafeBytes { wpp in
                        if type == packed {
                            y.withUnsafeMutableBufferPointer { yp in
                                ks.gemm(type, weights: wpp.baseAddress!, k: k, rows: r0..<R, activations: act, tokens: T,
                                        y: yp.baseAddress!, ldy: ldy)
                            }
                        } else {
                            yu.withUnsafeMutableBufferPointer { yp in
                                ks.gemm(type, weights: wpp.baseAddress!, k: k, rows: r0..<R, activations: act, tokens: T,
                                        y: yp.baseAddress!, ldy: ldy)
                            }
                        }
                    }
                }
            }
            expectMatchesReference(y, weights: wd, activations: xe, k: k, rows: r0..<R, ldy: ldy, "\(label) \(ks.isa)")
            // the unpacked kernels compute the same integer sums: equal up to the fp32 rounding of the
            // per-super-block scaling and the summation order
            for t in 0..<T {
                for r in r0..<R {
                    var mag = 0.0
                    for i in 0..<k { mag += abs(Double(wd[r * k + i]) * xe[t][i]) }
                    let a = y[t * ldy + r], b = yu[t * ldy + r]
                    #expect(abs(Double(a) - Double(b)) <= 4e-6 * mag + 1e-7, "\(label) \(ks.isa) vs unpacked t=\(t) r=\(r): \(a) vs \(b)")
                }
            }
        }
    }
}
