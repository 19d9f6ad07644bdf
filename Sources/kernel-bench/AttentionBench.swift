import Foundation
import LFMKernels
import Synchronization

/// Prefill attention of one layer over a context of `keys` positions in the LFM2-350M shape
/// (16 query heads on 8 KV heads, head dim 64, f16 K/V in 16-token pages placed in random
/// order, as a long-running server's pages are): the prompt runs in chunks of 512 queries,
/// each chunk as one job per (KV head, tile of `Kernels.attendTileTokens` queries) handed
/// out longest first by a shared counter — the engine's schedule for prompt chunks. Between
/// two chunks 64 MB are read (untimed), as a layer's matrix products stream their weights, so
/// the keys and values come from memory rather than the last-level cache. Prints G
/// multiply-adds/s (QK and PV) for 1 and 2 threads, best of `rounds` passes.
@MainActor
func attentionBench(_ ks: KernelSet, keys n: Int, rounds: Int) {
    let kvHeads = 8, group = 2, d = 64, page = 16, chunk = 512
    let heads = kvHeads * group, kvDim = kvHeads * d
    let pages = (n + page - 1) / page
    let pageBytes = page * kvDim * 2
    let arena = UnsafeMutableRawPointer.allocate(byteCount: 2 * pages * pageBytes, alignment: 64)
    defer { arena.deallocate() }
    var rng = SystemRandomNumberGenerator()
    let row = (0..<kvDim).map { _ in Float.random(in: -1...1, using: &rng) }
    row.withUnsafeBufferPointer { r in
        for s in 0..<(2 * pages * page) { ks.storeKV(.f16, r.baseAddress!, into: arena + s * kvDim * 2, count: kvDim) }
    }
    let order = (0..<(2 * pages)).shuffled(using: &rng)
    var kTable = [UnsafeRawPointer?](repeating: nil, count: kvHeads * pages), vTable = kTable
    for g in 0..<kvHeads {
        for p in 0..<pages {
            kTable[g * pages + p] = UnsafeRawPointer(arena + order[2 * p] * pageBytes + g * d * 2)
            vTable[g * pages + p] = UnsafeRawPointer(arena + order[2 * p + 1] * pageBytes + g * d * 2)
        }
    }
    let q = UnsafeMutablePointer<Float>.allocate(capacity: chunk * heads * d), out = UnsafeMutablePointer<Float>.allocate(capacity: chunk * heads * d)
    defer { q.deallocate(); out.deallocate() }
    for i in 0..<(chunk * heads * d) { q[i] = Float.random(in: -2...2, using: &rng) }
    let scratchFloats = Kernels.attendTileScratch(group: group, headDim: d)
    // 32-byte aligned per thread (the kernel's requirement; scratchFloats is a multiple of 16).
    let scratchRaw = UnsafeMutableRawPointer.allocate(byteCount: 2 * scratchFloats * 4, alignment: 64)
    defer { scratchRaw.deallocate() }
    let scratch = scratchRaw.bindMemory(to: Float.self, capacity: 2 * scratchFloats)
    let tileTokens = Kernels.attendTileTokens(group: group)
    let counter = JobCounter()
    let addrs = (q: Int(bitPattern: q), out: Int(bitPattern: out), scratch: Int(bitPattern: scratch))
    let macs = Double(heads * d * 2) * Double(n) * Double(n + 1) / 2
    let evictCount = 16 << 20
    let evict = UnsafeMutablePointer<Float>.allocate(capacity: evictCount)
    defer { evict.deallocate() }
    evict.initialize(repeating: 1, count: evictCount)
    var sink: Float = 0
    var line = String(format: "attention prefill, %d keys:", n)
    kTable.withUnsafeBufferPointer { kt in
        vTable.withUnsafeBufferPointer { vt in
            let tables = (k: Int(bitPattern: kt.baseAddress!), v: Int(bitPattern: vt.baseAddress!))
            for t in [1, 2] {
                var best = Double.infinity
                for _ in 0..<rounds {
                    var elapsed = Duration.zero
                    for p0 in stride(from: 0, to: n, by: chunk) {
                        sink += Kernels.dot(evict, evict, count: evictCount)
                        let start = ContinuousClock.now
                        let c = min(chunk, n - p0), tiles = (c + tileTokens - 1) / tileTokens
                        counter.next.store(0, ordering: .relaxed)
                        pools[t]!.run { part, _ in
                            let q = UnsafePointer<Float>(bitPattern: addrs.q)!, out = UnsafeMutablePointer<Float>(bitPattern: addrs.out)!
                            let scratch = UnsafeMutablePointer<Float>(bitPattern: addrs.scratch)! + part * scratchFloats
                            let kt = UnsafePointer<UnsafeRawPointer?>(bitPattern: tables.k)!, vt = UnsafePointer<UnsafeRawPointer?>(bitPattern: tables.v)!
                            while true {
                                let j = counter.next.add(1, ordering: .relaxed).oldValue
                                if j >= tiles * kvHeads { break }
                                let tile = tiles - 1 - j / kvHeads, g = j % kvHeads
                                let t0 = tile * tileTokens, tn = min(tileTokens, c - t0)
                                let o = (t0 * heads + g * group) * d
                                ks.attendTile(.f16, queries: q + o, queryStride: heads * d, tokens: tn, group: group, headDim: d,
                                              firstPosition: p0 + t0, keyPages: kt + g * pages, valuePages: vt + g * pages,
                                              pageSize: page, stride: kvDim, keyRange: 0..<(p0 + t0 + tn), scale: 0.125,
                                              scratch: scratch, into: out + o, outputStride: heads * d)
                            }
                        }
                        elapsed += ContinuousClock.now - start
                    }
                    best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
                }
                line += String(format: "  %dt %.2f s %.1f GMAC/s", t, best, macs / best / 1e9)
            }
        }
    }
    print(line + (sink == 42 ? " " : ""))
}

/// The shared job counter of one parallel step.
final class JobCounter: Sendable {
    let next = Atomic<Int>(0)
}
