import CLFMKernels
import Foundation
import Testing
@testable import LFMKernels

/// f32 primitives on every available ISA against plain Swift (double) references, at odd
/// lengths that exercise vector tails. Tolerances: reductions 1e-6 relative to the sum of
/// magnitudes; element-wise ops 2e-7..2e-6 relative (exp polynomial ~2e-7, silu adds one
/// division and one multiply).
@Suite("vector primitives")
struct VectorPrimitiveTests {
    static let lengths = [1, 3, 17, 1000]

    static func data(_ n: Int, seed: UInt64, scale: Float = 4) -> [Float] {
        var rng = TestRandom(seed: seed)
        return rng.floats(n, scale: scale)
    }

    @Test(arguments: KernelISA.available, lengths)
    func dotAxpyScale(_ isa: KernelISA, _ n: Int) {
        let ks = KernelSet(isa)
        let a = Self.data(n, seed: 1), b = Self.data(n, seed: 2)
        let ref = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let mag = zip(a, b).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        #expect(abs(Double(ks.dot(a, b, count: n)) - ref) <= 1e-6 * mag)

        var y = b
        ks.axpy(0.75, a, &y, count: n)
        for i in 0..<n { #expect(abs(Double(y[i]) - (Double(b[i]) + 0.75 * Double(a[i]))) <= 1e-6 * (abs(Double(b[i])) + abs(Double(a[i])))) }

        var z = a
        ks.scale(-1.5, &z, count: n)
        for i in 0..<n { #expect(z[i] == a[i] * -1.5) }
    }

    @Test(arguments: KernelISA.available, lengths)
    func rmsNorm(_ isa: KernelISA, _ n: Int) {
        let ks = KernelSet(isa)
        let x = Self.data(n, seed: 3), w = Self.data(n, seed: 4)
        let ms = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)
        let r = 1 / (ms + 1e-5).squareRoot()
        var y = [Float](repeating: 0, count: n)
        ks.rmsNorm(x, weight: w, into: &y, count: n, eps: 1e-5)
        for i in 0..<n {
            let ref = Double(w[i]) * Double(x[i]) * r
            #expect(abs(Double(y[i]) - ref) <= 2e-6 * abs(ref) + 1e-7)
        }
        // In place.
        var xi = x
        xi.withUnsafeMutableBufferPointer { p in ks.rmsNorm(p.baseAddress!, weight: w, into: p.baseAddress!, count: n, eps: 1e-5) }
        #expect(xi == y)
    }

    @Test(arguments: KernelISA.available, lengths)
    func siluMul(_ isa: KernelISA, _ n: Int) {
        let ks = KernelSet(isa)
        var g = Self.data(n, seed: 5, scale: 30), u = Self.data(n, seed: 6)
        if n >= 3 { g[0] = -100; g[1] = 100; g[2] = 0 }
        var out = [Float](repeating: 0, count: n)
        ks.siluMul(gate: g, up: u, into: &out, count: n)
        for i in 0..<n {
            let z = Double(g[i])
            let ref = z / (1 + Foundation.exp(-z)) * Double(u[i])
            #expect(abs(Double(out[i]) - ref) <= 2e-6 * abs(ref) + 1e-30, "silu(\(g[i]))")
        }
        u = g
        ks.siluMul(gate: g, up: u, into: &g, count: n)   // aliasing out == gate
        #expect(g.count == n)
    }

    @Test(arguments: KernelISA.available, lengths)
    func maxAndExpSum(_ isa: KernelISA, _ n: Int) {
        let ks = KernelSet(isa)
        var x = Self.data(n, seed: 7, scale: 40)
        if n >= 17 { x[5] = -.infinity; x[9] = 41 }
        let m = ks.max(x, count: n)
        #expect(m == x.max()!)
        let orig = x
        let s = ks.expSum(&x, subtracting: m, count: n)
        var refSum = 0.0
        for i in 0..<n {
            let ref = Foundation.exp(Double(orig[i] - m))   // the kernel subtracts in f32
            refSum += ref
            #expect(abs(Double(x[i]) - ref) <= 1e-6 * ref, "exp(\(orig[i] - m))")
        }
        #expect(abs(Double(s) - refSum) <= 1e-6 * refSum)
        #expect(ks.max(x, count: 0) == -.infinity)
    }

    /// expf accuracy over the whole softmax range: relative error < 1e-6 against libm.
    @Test(arguments: KernelISA.available)
    func expAccuracy(_ isa: KernelISA) {
        let ks = KernelSet(isa)
        let n = 20001
        var x = (0..<n).map { Float(-87 + 87 * Double($0) / Double(n - 1)) }
        let orig = x
        _ = ks.expSum(&x, subtracting: 0, count: n)
        var worst = 0.0
        for i in 0..<n {
            let ref = Double(Foundation.expf(orig[i]))
            worst = max(worst, abs(Double(x[i]) - ref) / ref)
        }
        #expect(worst < 1e-6, "worst relative error \(worst)")
    }
}

/// `attend` (one query head over paged K/V) against a double-precision softmax reference on
/// the stored values, on every ISA and KV element type, for lengths inside one page, at page
/// boundaries and across many pages.
@Suite struct AttendTests {
    static func readBack(_ type: KVCacheType, _ bytes: UnsafeRawPointer, _ i: Int) -> Double {
        switch type {
        case .f32: return Double(bytes.load(fromByteOffset: 4 * i, as: Float.self))
        case .f16: return Double(lfm_fp16_to_fp32(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        case .bf16: return Double(lfm_bf16_to_fp32(bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    @Test(arguments: KernelISA.available, [1, 15, 16, 17, 100, 515])
    func matchesReference(_ isa: KernelISA, _ n: Int) {
        let ks = KernelSet(isa)
        let d = 64, P = 16, stride = 3 * d   // other heads interleaved in each row
        let pages = (n + P - 1) / P
        var rng = TestRandom(seed: UInt64(n))
        let keys = rng.floats(pages * P * stride, scale: 1), values = rng.floats(pages * P * stride, scale: 1)
        let q = rng.floats(d, scale: 1)
        let scale: Float = 0.125
        for type in KVCacheType.allCases {
            let eb = type.elementBytes
            let kBytes = UnsafeMutableRawPointer.allocate(byteCount: keys.count * eb, alignment: 64)
            let vBytes = UnsafeMutableRawPointer.allocate(byteCount: values.count * eb, alignment: 64)
            defer { kBytes.deallocate(); vBytes.deallocate() }
            ks.storeKV(type, keys, into: kBytes, count: keys.count)
            ks.storeKV(type, values, into: vBytes, count: values.count)
            // Pages in reverse order in memory, as a paged pool hands them out; head 1 of 3.
            let kp: [UnsafeRawPointer?] = (0..<pages).map { UnsafeRawPointer(kBytes + ((pages - 1 - $0) * P * stride + d) * eb) }
            let vp: [UnsafeRawPointer?] = (0..<pages).map { UnsafeRawPointer(vBytes + ((pages - 1 - $0) * P * stride + d) * eb) }
            var out = [Float](repeating: .nan, count: d)
            var scratch = [Float](repeating: 0, count: n)
            ks.attend(type, query: q, keyPages: kp, valuePages: vp, pageSize: P, stride: stride, count: n, headDim: d,
                      scale: scale, scratch: &scratch, into: &out)
            func elem(_ pages: [UnsafeRawPointer?], _ tau: Int, _ i: Int) -> Double {
                Self.readBack(type, pages[tau / P]!, (tau % P) * stride + i)
            }
            var s = [Double](repeating: 0, count: n)
            for tau in 0..<n { s[tau] = (0..<d).reduce(0.0) { $0 + Double(q[$1]) * elem(kp, tau, $1) } * Double(scale) }
            let m = s.max()!
            let e = s.map { Foundation.exp($0 - m) }
            let z = e.reduce(0, +)
            for i in 0..<d {
                var ref = 0.0
                for tau in 0..<n { ref += e[tau] / z * elem(vp, tau, i) }
                #expect(abs(Double(out[i]) - ref) <= 1e-5, "\(isa) \(type) n=\(n) i=\(i): \(out[i]) vs \(ref)")
            }
            // Storage rounds as documented: f16 / bf16 round to nearest even.
            if type == .f16 { #expect(Self.readBack(type, kBytes, 5) == Double(lfm_fp16_to_fp32(lfm_fp32_to_fp16(keys[5])))) }
            if type == .bf16 { #expect(Self.readBack(type, kBytes, 5) == Double(lfm_bf16_to_fp32(lfm_fp32_to_bf16(keys[5])))) }
        }
    }
}

/// The fused RMSNorm + activation preparation writes exactly what rmsnorm followed by the
/// preparation writes, for every activation format (global dispatch, active ISA).
@Suite struct FusedNormPreparationTests {
    @Test(arguments: [WeightType.f32, .bf16, .q8_0, .q4_0Packed, .q4_K])
    func equalsNormThenPrepare(_ type: WeightType) {
        let k = 512, T = 5
        var rng = TestRandom(seed: 3)
        let x = rng.floats(T * k, scale: 3), w = rng.floats(k, scale: 1)
        let arb = Kernels.activationRowBytes(type, k: k)
        var normed = [Float](repeating: 0, count: T * k)
        for t in 0..<T {
            x.withUnsafeBufferPointer { xp in
                normed.withUnsafeMutableBufferPointer { np in lfm_rmsnorm_f32(xp.baseAddress! + t * k, w, np.baseAddress! + t * k, Int64(k), 1e-5) }
            }
        }
        withAlignedBuffer(bytes: arb * T) { want in
            withAlignedBuffer(bytes: arb * T) { got in
                memset(want, 0, arb * T)
                memset(got, 0, arb * T)
                lfm_prepare_act(type.rawValue, normed, k, Int64(k), 0, Int64(T), want)
                lfm_prepare_act_rms(type.rawValue, x, k, Int64(k), 1, Int64(T), got, w, 1e-5)   // rows 1..<T
                lfm_prepare_act_rms(type.rawValue, x, k, Int64(k), 0, 1, got, w, 1e-5)          // then row 0
                #expect(memcmp(want, got, arb * T) == 0, "\(type)")
            }
        }
    }
}
