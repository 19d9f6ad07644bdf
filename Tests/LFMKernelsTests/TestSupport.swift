import Testing
import Foundation
@testable import LFMKernels

/// Deterministic pseudo-random numbers for test data (64-bit LCG, top bits).
struct TestRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    /// Uniform in [-1, 1).
    mutating func next() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int32(truncatingIfNeeded: state >> 32)) / 2_147_483_648
    }

    /// `n` values uniform in [-scale, scale).
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in next() * scale } }
}

/// A 64-byte aligned scratch buffer released at scope exit.
func withAlignedBuffer<R>(bytes: Int, _ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
    let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
    p.initializeMemory(as: UInt8.self, repeating: 0xA5, count: max(bytes, 64))
    defer { p.deallocate() }
    return try body(p)
}

func align64(_ n: Int) -> Int { (n + 63) & ~63 }

/// Independent Swift statement of ggml's activation quantisers and of the activation
/// layouts documented in lfm_kernels.h.
enum ReferenceActivations {
    /// quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d); d is stored as fp16.
    static func q8_0(_ x: ArraySlice<Float>) -> (q: [Int8], d: [Float]) {
        var q: [Int8] = [], d: [Float] = []
        let xs = Array(x)
        for b in stride(from: 0, to: xs.count, by: 32) {
            let blk = xs[b..<b + 32]
            let amax = blk.map(abs).max()!
            let db = amax / 127
            let id: Float = db != 0 ? 1 / db : 0
            q += blk.map { Int8(($0 * id).rounded(.toNearestOrAwayFromZero)) }
            d.append(Kernels.float(fromHalfBits: Kernels.halfBits(db)))
        }
        return (q, d)
    }

    /// quantize_row_q8_K_ref: signed max-magnitude element m, iscale = -127/m,
    /// q = min(127, round-half-even(iscale*x)), d = 1/iscale.
    static func q8_K(_ x: ArraySlice<Float>) -> (q: [Int8], d: [Float], bsums: [Int16]) {
        var q: [Int8] = [], d: [Float] = [], bs: [Int16] = []
        let xs = Array(x)
        for b in stride(from: 0, to: xs.count, by: 256) {
            let blk = Array(xs[b..<b + 256])
            var amax: Float = 0, mx: Float = 0
            for v in blk where abs(v) > amax { amax = abs(v); mx = v }
            if amax == 0 {
                q += [Int8](repeating: 0, count: 256); d.append(0)
                bs += [Int16](repeating: 0, count: 16)
                continue
            }
            let iscale = -127 / mx
            let qb = blk.map { Int8(min(127, Int(($0 * iscale).rounded(.toNearestOrEven)))) }
            q += qb
            for g in 0..<16 { bs.append(Int16(qb[16 * g..<16 * g + 16].reduce(0) { $0 + Int($1) })) }
            d.append(1 / iscale)
        }
        return (q, d, bs)
    }

    /// The f32 values a kernel multiplies with for activation row `x` (dequantised
    /// activations for quantised weights; bf16-rounded when `bf16` is set).
    static func effective(_ type: WeightType, _ x: ArraySlice<Float>, bf16: Bool) -> [Double] {
        switch type {
        case .q8_0, .q4_0:
            let (q, d) = q8_0(x)
            return q.indices.map { Double(q[$0]) * Double(d[$0 / 32]) }
        case .q4_K, .q5_K, .q6_K:
            let (q, d, _) = q8_K(x)
            return q.indices.map { Double(q[$0]) * Double(d[$0 / 256]) }
        case .bf16 where bf16:
            return x.map { Double(Kernels.float(fromBF16Bits: Kernels.bf16Bits($0))) }
        default:
            return x.map { Double($0) }
        }
    }
}

/// Checks a product's output `y` (`activations.count` token rows, `ldy` apart) against the
/// double-precision reference Σ_i w[r][i]·x[t][i] for rows in `rows`, within
/// 2e-6·Σ|w·x| + 1e-7 (fp32 accumulation per block; see GemmTests), and that no element
/// outside `rows` was written (the caller fills `y` with NaN).
func expectMatchesReference(_ y: [Float], weights wd: [Float], activations xe: [[Double]], k: Int, rows: Range<Int>,
                            ldy: Int, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for t in 0..<xe.count {
        for r in 0..<ldy {
            let got = y[t * ldy + r]
            guard rows.contains(r) else {
                #expect(got.isNaN, "\(label): wrote outside rows at t=\(t) r=\(r)", sourceLocation: sourceLocation)
                continue
            }
            var ref = 0.0, mag = 0.0
            for i in 0..<k {
                let p = Double(wd[r * k + i]) * xe[t][i]
                ref += p
                mag += abs(p)
            }
            #expect(abs(Double(got) - ref) <= 2e-6 * mag + 1e-7, "\(label) t=\(t) r=\(r): \(got) vs \(ref)",
                    sourceLocation: sourceLocation)
        }
    }
}
