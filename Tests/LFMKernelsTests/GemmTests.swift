import Testing
@testable import LFMKernels

/// Matrix products of every weight type on every ISA this CPU can run, against a scalar
/// double-precision reference on the values the kernel sees: weights dequantised to f32,
/// activations quantised exactly as `prepareActivations` documents (Q8_0 / Q8_K blocks,
/// bf16 on the AVX-512 BF16 path).
///
/// Tolerance: |y - ref| <= 2e-6 * Σ|w_i x_i| + 1e-7. The kernels accumulate in fp32 (per
/// block for quantised types), so the error grows like eps * sqrt(k) relative to the
/// magnitude sum; the worst case observed over these shapes is 1.5e-7, so 2e-6 leaves
/// >10x headroom while still catching any wrong element, scale or block.
@Suite("gemm vs reference")
struct GemmTests {
    struct Shape: CustomStringConvertible {
        let rows: Int, k: Int, tokens: Int
        var description: String { "\(rows)x\(k) T=\(tokens)" }
    }

    static func shapes(_ type: WeightType) -> [Shape] {
        switch type.blockElems {
        case 1:
            return [Shape(rows: 5, k: 1, tokens: 2), Shape(rows: 3, k: 7, tokens: 1), Shape(rows: 13, k: 33, tokens: 7),
                    Shape(rows: 9, k: 100, tokens: 64), Shape(rows: 13, k: 256, tokens: 2),
                    Shape(rows: 7, k: 4608, tokens: 1), Shape(rows: 5, k: 4608, tokens: 7)]
        case 32:
            return [Shape(rows: 1, k: 32, tokens: 1), Shape(rows: 13, k: 32, tokens: 7), Shape(rows: 6, k: 96, tokens: 64),
                    Shape(rows: 13, k: 256, tokens: 2), Shape(rows: 7, k: 4608, tokens: 1),
                    Shape(rows: 5, k: 4608, tokens: 7)]
        default:
            return [Shape(rows: 1, k: 256, tokens: 1), Shape(rows: 13, k: 256, tokens: 7), Shape(rows: 6, k: 512, tokens: 64),
                    Shape(rows: 9, k: 768, tokens: 2), Shape(rows: 7, k: 4608, tokens: 1),
                    Shape(rows: 5, k: 4608, tokens: 7)]
        }
    }

    @Test(arguments: WeightType.allCases)
    func matchesReference(_ type: WeightType) {
        var rng = TestRandom(seed: UInt64(type.rawValue) + 1)
        for shape in Self.shapes(type) {
            let (R, k, T) = (shape.rows, shape.k, shape.tokens)
            // Rows with different magnitudes; one all-zero activation block and one whose
            // largest-magnitude element is negative (exercises the Q8_K sign rule).
            var w = [Float]()
            for r in 0..<R { w += rng.floats(k, scale: 0.1 + Float(r % 4)) }
            var x = rng.floats(T * k, scale: 2)
            if k >= 64 { for i in 0..<32 { x[i] = 0 } }
            if T > 1 && k > 3 { x[k + 3] = -5 }
            let wq = Kernels.quantize(type, w, rows: R, cols: k)
            let wd = Kernels.dequantize(type, wq, cols: k)

            let sets = KernelISA.available.map { KernelSet($0) } + [KernelSet(.avx512, exactBF16: true)]
            for ks in sets {
                let isa = "\(ks.isa)\(ks.exactBF16 ? "+exactBF16" : "")"
                let arb = ks.activationRowBytes(type, k: k)
                let bf16Act = type == .bf16 && ks.usesBF16Activations
                let xe = (0..<T).map { ReferenceActivations.effective(type, x[$0 * k..<($0 + 1) * k], bf16: bf16Act) }
                // Output with ldy > R and a guard column; compute rows [r0, R) only.
                let r0 = R > 2 ? 1 : 0
                let ldy = R + 3
                var y = [Float](repeating: .nan, count: T * ldy)
                withAlignedBuffer(bytes: arb * T) { act in
                    x.withUnsafeBufferPointer { xp in
                        ks.prepareActivations(type, x: xp.baseAddress!, ldx: k, k: k, tokens: 0..<T, into: act)
                    }
                    wq.withUnsafeBytes { wp in
                        y.withUnsafeMutableBufferPointer { yp in
                            ks.gemm(type, weights: wp.baseAddress!, k: k, rows: r0..<R, activations: act,
                                    tokens: T, y: yp.baseAddress!, ldy: ldy)
                        }
                    }
                }
                expectMatchesReference(y, weights: wd, activations: xe, k: k, rows: r0..<R, ldy: ldy, "\(type) \(isa) \(shape)")
            }
        }
    }

    /// prepareActivations produces exactly ggml's reference quantisation in the documented layout.
    @Test(arguments: [WeightType.q8_0, .q4_0, .q4_K, .q5_K, .q6_K])
    func activationLayout(_ type: WeightType) {
        var rng = TestRandom(seed: 99)
        let k = 512, T = 3
        var x = rng.floats(T * k, scale: 3)
        for i in 0..<32 { x[i] = 0 }      // zero block
        x[k + 7] = -9                     // negative max in token 1
        x[2 * k + 1] = 0.5 * (3 / 127.0)  // rounding boundary material
        for isa in KernelISA.available {
            let ks = KernelSet(isa)
            let arb = ks.activationRowBytes(type, k: k)
            withAlignedBuffer(bytes: arb * T) { act in
                x.withUnsafeBufferPointer { xp in
                    ks.prepareActivations(type, x: xp.baseAddress!, ldx: k, k: k, tokens: 0..<T, into: act)
                }
                for t in 0..<T {
                    let row = act + t * arb
                    let qs = Array(UnsafeBufferPointer(start: row.assumingMemoryBound(to: Int8.self), count: k))
                    let dOff = align64(k)
                    if type == .q8_0 || type == .q4_0 {
                        let (q, d) = ReferenceActivations.q8_0(x[t * k..<(t + 1) * k])
                        #expect(qs == q, "\(isa) token \(t)")
                        let dp = (row + dOff).assumingMemoryBound(to: Float.self)
                        let sp = (row + dOff + align64(k / 32 * 4)).assumingMemoryBound(to: Int32.self)
                        for b in 0..<k / 32 {
                            #expect(dp[b] == d[b])
                            #expect(sp[b] == -8 * Int32(q[32 * b..<32 * b + 32].reduce(0) { $0 + Int($1) }))
                        }
                    } else {
                        let (q, d, bs) = ReferenceActivations.q8_K(x[t * k..<(t + 1) * k])
                        #expect(qs == q, "\(isa) token \(t)")
                        let dp = (row + dOff).assumingMemoryBound(to: Float.self)
                        let bp = (row + dOff + align64(k / 256 * 4)).assumingMemoryBound(to: Int16.self)
                        for b in 0..<k / 256 { #expect(dp[b] == d[b]) }
                        for g in 0..<k / 16 { #expect(bp[g] == bs[g]) }
                    }
                }
            }
        }
    }

    /// The exact-BF16 variant uses f32 activations; the default AVX-512 set uses bf16.
    @Test func bf16ActivationFormats() {
        #expect(KernelSet(.avx2).usesBF16Activations == false)
        #expect(KernelSet(.avx512, exactBF16: true).usesBF16Activations == false)
        #expect(KernelSet(.avx512, exactBF16: true).activationRowBytes(.bf16, k: 1024) == 4096)
        if KernelISA.detected == .avx512 {
            #expect(KernelSet(.avx512).usesBF16Activations)
            #expect(KernelSet(.avx512).activationRowBytes(.bf16, k: 1024) == 2048)
        }
    }

    /// The global entry points follow KernelISA.force and agree with the explicit sets.
    @Test func globalDispatch() {
        #expect(KernelISA.active <= KernelISA.detected)
        #expect(KernelSet(.avx512).isa == KernelISA.detected)
        #if arch(x86_64)
        #expect(KernelISA.detected >= .avx2)
        #endif
        var rng = TestRandom(seed: 5)
        let k = 256, R = 4
        let w = Kernels.quantize(.q8_0, rng.floats(R * k), rows: R, cols: k)
        let x = rng.floats(k)
        let arb = Kernels.activationRowBytes(.q8_0, k: k)
        var y1 = [Float](repeating: 0, count: R), y2 = y1
        withAlignedBuffer(bytes: arb) { act in
            x.withUnsafeBufferPointer { Kernels.prepareActivations(.q8_0, x: $0.baseAddress!, ldx: k, k: k, tokens: 0..<1, into: act) }
            w.withUnsafeBytes { wp in
                Kernels.gemm(.q8_0, weights: wp.baseAddress!, k: k, rows: 0..<R, activations: act, tokens: 1, y: &y1, ldy: R)
                KernelSet.active.gemm(.q8_0, weights: wp.baseAddress!, k: k, rows: 0..<R, activations: act, tokens: 1, y: &y2, ldy: R)
            }
        }
        #expect(y1 == y2)
    }
}
