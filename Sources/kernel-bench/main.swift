// kernel-bench — micro-benchmarks of the LFMKernels matrix products.
//
// For each weight format: matrix-vector (T = 1) effective weight bandwidth in GB/s for
// 4608x1024, 1024x4608 and 65536x1024 (rows x k) with 1 and 2 threads (rows split evenly),
// and matrix-matrix GOP/s (2*rows*k*T / time) for T = 16, 64, 512 on 4608x1024.
// Matrix-vector runs rotate over enough copies of the weights (>= 96 MB) that they stream
// from DRAM as in real decoding instead of sitting in the 32 MB L3. A memcpy and a read-only
// (dot product) bandwidth figure are printed for comparison. Threads come from a small
// spinning pool (the second worker busy-waits between calls, as an engine pool would).
//
// `--packed` measures the packed layouts (Q8_0 / Q4_0 / BF16 in 16-row groups, AVX-512) instead;
// `--kpacked` the K-quants, each unpacked and packed (Q4_K_R16 etc., AVX2 kernels).
// Last, the hot kernel written in Swift SIMD (Q8_0 dot products over the ggml layout, as the
// C kernels read it) against the C kernel on the same data, 1 thread: the numbers behind the
// choice of C for the kernels (docs/kernels.md).
//
// `--attention N`: prefill attention of one layer over N keys instead (AttentionBench.swift).
//
// Usage: kernel-bench [--isa portable|avx2|avx512] [--formats Q8_0,Q4_K,...] [--packed | --kpacked] [--quick] [--attention N]
import Dispatch
import Foundation
import LFMKernels
import Synchronization

struct Options {
    var isa = KernelISA.detected
    var formats = WeightType.allCases
    var quick = false
    /// `--attention N`: the prefill attention benchmark over N keys instead of the products.
    var attentionKeys: Int?

    init(_ args: [String]) {
        var i = 1
        while i < args.count {
            switch args[i] {
            case "--isa":
                i += 1
                isa = KernelISA.allCases.first { $0.description == args[i] } ?? isa
            case "--formats":
                i += 1
                let names = args[i].split(separator: ",").map { $0.uppercased() }
                formats = WeightType.allCases.filter { names.contains($0.name) }
            case "--quick": quick = true
            case "--attention":
                i += 1
                attentionKeys = i < args.count ? Int(args[i]) : nil
                if attentionKeys == nil { print("--attention needs a key count"); exit(2) }
            case "--packed": formats = [.q8_0Packed, .q4_0Packed, .bf16Packed]
            case "--kpacked": formats = [.q4_K, .q4_KPacked, .q5_K, .q5_KPacked, .q6_K, .q6_KPacked]
            default:
                print("usage: kernel-bench [--isa portable|avx2|avx512] [--formats Q8_0,Q4_K] [--packed | --kpacked] [--quick] [--attention KEYS]")
                exit(2)
            }
            i += 1
        }
    }
}

/// Best-of-`trials` seconds per call of `body`, each trial running >= `minTime` seconds.
func measure(trials: Int = 3, minTime: Double = 0.15, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<trials {
        var calls = 0
        let start = ContinuousClock.now
        var elapsed = 0.0
        repeat {
            body()
            calls += 1
            let d = ContinuousClock.now - start
            elapsed = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        } while elapsed < minTime
        best = min(best, elapsed / Double(calls))
    }
    return best
}

/// A minimal spinning worker pool (like the engine's): `run` hands `body(part, parts)` to
/// parked workers through a generation counter and runs part 0 on the caller, so per-call
/// overhead is a few hundred nanoseconds instead of a GCD wake-up.
final class SpinPool: @unchecked Sendable {
    private let workers: Int
    private let generation = Atomic<Int>(0)
    private let done = Atomic<Int>(0)
    private var job: (@Sendable (Int, Int) -> Void)?

    init(threads: Int) {
        workers = threads - 1
        for w in 0..<workers {
            let t = Thread { [unowned self] in self.loop(part: w + 1) }
            t.start()
        }
    }

    private func loop(part: Int) {
        var seen = 0
        while true {
            var g = generation.load(ordering: .acquiring)
            var spins = 0
            while g == seen {
                spins += 1
                if spins > 20_000_000 { usleep(50) }   // idle for ~10 ms: stop burning the core
                g = generation.load(ordering: .acquiring)
            }
            seen = g
            job!(part, workers + 1)
            done.add(1, ordering: .releasing)
        }
    }

    func run(_ body: @escaping @Sendable (Int, Int) -> Void) {
        if workers == 0 { body(0, 1); return }
        job = body
        done.store(0, ordering: .relaxed)
        generation.add(1, ordering: .releasing)
        body(0, workers + 1)
        while done.load(ordering: .acquiring) < workers {}
    }
}

/// Pools by thread count; `pools[t]!.run { part, parts in ... }` splits work over t threads.
let pools = [1: SpinPool(threads: 1), 2: SpinPool(threads: 2)]

final class Matrix: @unchecked Sendable {
    let type: WeightType, rows: Int, k: Int, rowBytes: Int, copies: Int
    let data: UnsafeMutableRawPointer

    init(_ type: WeightType, rows: Int, k: Int, minBytes: Int) {
        self.type = type; self.rows = rows; self.k = k
        rowBytes = type.rowBytes(k)!
        let bytes = rows * rowBytes
        copies = max(1, (minBytes + bytes - 1) / bytes)
        data = .allocate(byteCount: bytes * copies, alignment: 64)
        var rng = SystemRandomNumberGenerator()
        let src = (0..<k).map { _ in Float.random(in: -1...1, using: &rng) }
        let base = type.packedBase
        src.withUnsafeBufferPointer { s in
            for c in 0..<copies {
                if base == type {
                    for r in 0..<rows {
                        Kernels.quantizeRow(base, s.baseAddress!, into: data + (c * rows + r) * rowBytes, count: k)
                    }
                    continue
                }
                // packed: quantise into a scratch copy in the base layout (rows are multiples of 16), then pack
                let brb = base.rowBytes(k)!
                var plain = [UInt8](repeating: 0, count: rows * brb)
                plain.withUnsafeMutableBytes { p in
                    for r in 0..<rows { Kernels.quantizeRow(base, s.baseAddress!, into: p.baseAddress! + r * brb, count: k) }
                }
                let packed = Kernels.pack(type, plain, rows: rows, cols: k)
                packed.withUnsafeBytes { (data + c * bytes).copyMemory(from: $0.baseAddress!, byteCount: bytes) }
            }
        }
    }
    deinit { data.deallocate() }
    var bytes: Int { rows * rowBytes }
    func copy(_ c: Int) -> UnsafeRawPointer { UnsafeRawPointer(data + c * bytes) }
}

func memoryBandwidth() -> (copy: Double, read: Double) {
    let n = 32 << 20   // 32 Mi floats = 128 MB per buffer
    let a = UnsafeMutablePointer<Float>.allocate(capacity: n), b = UnsafeMutablePointer<Float>.allocate(capacity: n)
    defer { a.deallocate(); b.deallocate() }
    a.initialize(repeating: 1, count: n); b.initialize(repeating: 2, count: n)
    let tc = measure(trials: 3, minTime: 0.3) { memcpy(b, a, n * 4) }
    var sink: Float = 0
    let tr = measure(trials: 3, minTime: 0.3) { sink += Kernels.dot(a, b, count: n) }
    if sink == 42 { print("") }
    return (Double(2 * n * 4) / tc / 1e9, Double(2 * n * 4) / tr / 1e9)
}

let opts = Options(CommandLine.arguments)
let ks = KernelSet(opts.isa)
if let n = opts.attentionKeys {
    attentionBench(ks, keys: n, rounds: 3)
    exit(0)
}
let threadCounts = [1, 2]
print("kernel-bench  isa=\(ks.isa) (detected \(KernelISA.detected))  cores=\(ProcessInfo.processInfo.activeProcessorCount)")
let bw = memoryBandwidth()
print(String(format: "memory: memcpy %.1f GB/s (read+write), read (f32 dot, 1 thread) %.1f GB/s\n", bw.copy, bw.read))

let mvShapes = opts.quick ? [(4608, 1024)] : [(4608, 1024), (1024, 4608), (65536, 1024)]
let mmTokens = opts.quick ? [16, 64] : [16, 64, 512]
func pad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(0, n - s.count)) + s }
var header = "format  "
for (r, k) in mvShapes { for t in threadCounts { header += pad("\(r)x\(k)/\(t)t", 14) } }
for T in mmTokens { for t in threadCounts { header += pad("T=\(T)/\(t)t", 12) } }
print("matrix-vector: GB/s of weights streamed; matrix-matrix (4608x1024): GOP/s")
print(header)

for type in opts.formats {
    var line = type.name.padding(toLength: 8, withPad: " ", startingAt: 0)
    for (rows, k) in mvShapes {
        let m = Matrix(type, rows: rows, k: k, minBytes: 96 << 20)
        let x = (0..<k).map { Float(sin(Double($0))) }
        let arb = ks.activationRowBytes(type, k: k)
        let act = UnsafeMutableRawPointer.allocate(byteCount: arb, alignment: 64)
        x.withUnsafeBufferPointer { ks.prepareActivations(type, x: $0.baseAddress!, ldx: k, k: k, tokens: 0..<1, into: act) }
        let y = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        let yAddr = Int(bitPattern: y), actAddr = Int(bitPattern: act)
        for t in threadCounts {
            var c = 0
            let secs = measure {
                let wAddr = Int(bitPattern: m.copy(c % m.copies))
                c += 1
                pools[t]!.run { part, parts in
                    let w = UnsafeRawPointer(bitPattern: wAddr)!
                    let r0 = rows / 16 * part / parts * 16, r1 = part == parts - 1 ? rows : rows / 16 * (part + 1) / parts * 16
                    ks.gemm(type, weights: w, k: k, rows: r0..<r1, activations: UnsafeRawPointer(bitPattern: actAddr)!,
                            tokens: 1, y: UnsafeMutablePointer<Float>(bitPattern: yAddr)!, ldy: rows)
                }
            }
            line += String(format: "%14.1f", Double(m.bytes) / secs / 1e9)
        }
        act.deallocate(); y.deallocate()
    }
    let (rows, k) = (4608, 1024)
    let m = Matrix(type, rows: rows, k: k, minBytes: 0)
    for T in mmTokens {
        var rng = SystemRandomNumberGenerator()
        let x = (0..<T * k).map { _ in Float.random(in: -1...1, using: &rng) }
        let arb = ks.activationRowBytes(type, k: k)
        let act = UnsafeMutableRawPointer.allocate(byteCount: arb * T, alignment: 64)
        x.withUnsafeBufferPointer { ks.prepareActivations(type, x: $0.baseAddress!, ldx: k, k: k, tokens: 0..<T, into: act) }
        let y = UnsafeMutablePointer<Float>.allocate(capacity: rows * T)
        let yAddr = Int(bitPattern: y), actAddr = Int(bitPattern: act)
        for t in threadCounts {
            let secs = measure(trials: 2, minTime: 0.1) {
                pools[t]!.run { part, parts in
                    // Split rows on multiples of 16 so every thread keeps full register tiles / row groups.
                    let r0 = (rows / 16) * part / parts * 16, r1 = part == parts - 1 ? rows : (rows / 16) * (part + 1) / parts * 16
                    ks.gemm(type, weights: m.copy(0), k: k, rows: r0..<r1, activations: UnsafeRawPointer(bitPattern: actAddr)!,
                            tokens: T, y: UnsafeMutablePointer<Float>(bitPattern: yAddr)!, ldy: rows)
                }
            }
            line += String(format: "%12.1f", 2.0 * Double(rows * k * T) / secs / 1e9)
        }
        act.deallocate(); y.deallocate()
    }
    print(line)
}

// MARK: Swift SIMD against C on the hot kernel

/// Q8_0 row · Q8_0-activation dot product in Swift SIMD, over the same bytes the C kernel
/// reads (block: fp16 scale + 32 int8; activations: int8 qs, then float d per block).
@inline(__always)
func swiftSIMDDotQ8_0(_ w: UnsafeRawPointer, _ act: UnsafeRawPointer, k: Int) -> Float {
    let dOffset = (k + 63) & ~63
    var sum: Float = 0
    for b in 0..<k / 32 {
        let blk = w + b * 34
        let dw = Float(Float16(bitPattern: blk.loadUnaligned(as: UInt16.self)))
        let wv = SIMD32<Int16>(truncatingIfNeeded: blk.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self))
        let xv = SIMD32<Int16>(truncatingIfNeeded: act.loadUnaligned(fromByteOffset: 32 * b, as: SIMD32<Int8>.self))
        let s = SIMD32<Int32>(truncatingIfNeeded: wv &* xv).wrappedSum()
        sum += Float(s) * (dw * act.load(fromByteOffset: dOffset + 4 * b, as: Float.self))
    }
    return sum
}

if !opts.quick {
    let (rows, k) = (4608, 1024)
    let type = WeightType.q8_0
    let m = Matrix(type, rows: rows, k: k, minBytes: 96 << 20)
    let arb = ks.activationRowBytes(type, k: k)
    let T = 64
    let act = UnsafeMutableRawPointer.allocate(byteCount: arb * T, alignment: 64)
    var rng = SystemRandomNumberGenerator()
    let x = (0..<T * k).map { _ in Float.random(in: -1...1, using: &rng) }
    x.withUnsafeBufferPointer { ks.prepareActivations(type, x: $0.baseAddress!, ldx: k, k: k, tokens: 0..<T, into: act) }
    let y = UnsafeMutablePointer<Float>.allocate(capacity: rows * T)
    var c = 0
    let swiftMV = measure {
        let w = m.copy(c % m.copies)
        c += 1
        for r in 0..<rows { y[r] = swiftSIMDDotQ8_0(w + r * m.rowBytes, act, k: k) }
    }
    let cMV = measure {
        let w = m.copy(c % m.copies)
        c += 1
        ks.gemm(type, weights: w, k: k, rows: 0..<rows, activations: act, tokens: 1, y: y, ldy: rows)
    }
    let swiftMM = measure(trials: 2, minTime: 0.1) {
        for t in 0..<T {
            for r in 0..<rows { y[t * rows + r] = swiftSIMDDotQ8_0(m.copy(0) + r * m.rowBytes, act + t * arb, k: k) }
        }
    }
    let cMM = measure(trials: 2, minTime: 0.1) {
        ks.gemm(type, weights: m.copy(0), k: k, rows: 0..<rows, activations: act, tokens: T, y: y, ldy: rows)
    }
    print("\nhot kernel, Swift SIMD vs C (Q8_0, ggml layout, 4608x1024, 1 thread):")
    print(String(format: "  matrix-vector GB/s: Swift SIMD %.1f, C (%@) %.1f", Double(m.bytes) / swiftMV / 1e9, "\(ks.isa)", Double(m.bytes) / cMV / 1e9))
    print(String(format: "  T=%d GOP/s:         Swift SIMD %.1f, C (%@) %.1f", T, 2.0 * Double(rows * k * T) / swiftMM / 1e9, "\(ks.isa)",
                 2.0 * Double(rows * k * T) / cMM / 1e9))
    act.deallocate(); y.deallocate()
}

