import CLFMKernels
import LFMKernels

extension LFM2Model {
    /// GQA attention with per-head q/k RMSNorm and NeoX RoPE (docs/lfm2.md §2.5); result in `ws.out`.
    func attention(_ l: LayerWeights, attentionIndex ai: Int, batch: [BatchEntry], starts: [Int], tokens T: Int, kv: KVCachePool) {
        let c = config
        let d = c.headDim, half = d / 2, Hq = c.numHeads, Hkv = c.numKVHeads, kvDim = c.kvDim
        let a = ws.normed.floats()
        let q = ws.q.floats(), k = ws.k.floats(), v = ws.v.floats()
        if let qkv = l.qkv {
            let s = ws.stacked.floats(), qd = Hq * d, w = qkv.rows
            if fusesOperatorNorm(l) { linear(qkv, normalizing: ws.hidden.floats(), by: l.operatorNorm, T, s) } else { linear(qkv, a, T, s) }
            for t in 0..<T {
                (q + t * qd).update(from: s + t * w, count: qd)
                (k + t * kvDim).update(from: s + t * w + qd, count: kvDim)
                (v + t * kvDim).update(from: s + t * w + qd + kvDim, count: kvDim)
            }
        } else {
            linear(l.q!, a, T, q)
            linear(l.k!, a, T, k)
            linear(l.v!, a, T, v)
        }
        // Token → (entry, position) map.
        var owner = [Int](repeating: 0, count: T)
        for (e, entry) in batch.enumerated() { for j in 0..<entry.tokens.count { owner[starts[e] + j] = e } }
        let rope = ws.rope.floats()
        let eps = c.normEps
        // Phase 1: norm + rope q and k, store k and v into the pages.
        owner.withUnsafeBufferPointer { own in
            parallelRows(T, minPerThread: 8) { t in
                let entry = batch[own[t]]
                let pos = entry.sequence.length + (t - starts[own[t]])
                let cs = rope + t * d
                func normRope(_ x: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>) {
                    lfm_rmsnorm_f32(x, w, x, Int64(d), eps)
                    for i in 0..<half {
                        let x0 = x[i], x1 = x[i + half]
                        x[i] = x0 * cs[i] - x1 * cs[half + i]
                        x[i + half] = x1 * cs[i] + x0 * cs[half + i]
                    }
                }
                l.qNorm.withUnsafeBufferPointer { qn in
                    for h in 0..<Hq { normRope(q + t * Hq * d + h * d, qn.baseAddress!) }
                }
                l.kNorm.withUnsafeBufferPointer { kn in
                    for h in 0..<Hkv { normRope(k + t * kvDim + h * d, kn.baseAddress!) }
                }
                let page = entry.sequence.pages[pos / kv.pageSize], s = pos % kv.pageSize
                for g in 0..<Hkv {
                    lfm_kv_store(kv.type.rawValue, k + t * kvDim + g * d, kv.key(page: page, layer: ai, head: g, slot: s), Int64(d))
                    lfm_kv_store(kv.type.rawValue, v + t * kvDim + g * d, kv.value(page: page, layer: ai, head: g, slot: s), Int64(d))
                }
            }
        }
        // Page tables: per entry and KV head, the row-0 K and V pointers of its pages (a head's
        // rows follow at headDim elements).
        var tableStart: [Int] = []
        var kTable: [UnsafeRawPointer?] = [], vTable: [UnsafeRawPointer?] = []
        for entry in batch {
            tableStart.append(kTable.count)
            for g in 0..<Hkv {
                for p in entry.sequence.pages {
                    kTable.append(UnsafeRawPointer(kv.key(page: p, layer: ai, head: g, slot: 0)))
                    vTable.append(UnsafeRawPointer(kv.value(page: p, layer: ai, head: g, slot: 0)))
                }
            }
        }
        // Phase 2: causal softmax attention over the pages, into ws.mix.
        kTable.withUnsafeBufferPointer { kt in
            vTable.withUnsafeBufferPointer { vt in
                let tables = PageTables(keys: kt.baseAddress!, values: vt.baseAddress!, start: tableStart)
                switch attentionKernel {
                case .tiled: tiledAttention(batch: batch, starts: starts, kv: kv, tables: tables)
                case .perHead: perHeadAttention(batch: batch, starts: starts, owner: owner, tokens: T, kv: kv, tables: tables)
                }
            }
        }
        linear(l.o!, ws.mix.floats(), T, ws.out.floats())
    }

    /// Page pointer tables of one layer: entry e's KV head g starts at `start[e] + g · pages`.
    struct PageTables {
        var keys: UnsafePointer<UnsafeRawPointer?>
        var values: UnsafePointer<UnsafeRawPointer?>
        var start: [Int]
    }

    /// Tiles of (query tokens × the query heads of one KV head) against key blocks, one job per
    /// tile, split-K for single-tile entries over long contexts (`AttentionSchedule`).
    private func tiledAttention(batch: [BatchEntry], starts: [Int], kv: KVCachePool, tables: PageTables) {
        let c = config
        let d = c.headDim, Hq = c.numHeads, Hkv = c.numKVHeads, group = Hq / Hkv
        let q = ws.q.floats(), o = ws.mix.floats()
        let scale = 1 / Float(d).squareRoot()
        let tileTokens = Kernels.attendTileTokens(group: group)
        let schedule = AttentionSchedule(segments: batch.map { ($0.sequence.length, $0.tokens.count) }, kvHeads: Hkv,
                                         tileTokens: tileTokens, targetJobs: 8 * pool.threadCount,
                                         minKeysPerPart: attentionMinKeysPerPart)
        let scratchFloats = Kernels.attendTileScratch(group: group, headDim: d)
        ws.scores.ensure(pool.threadCount * scratchFloats * MemoryLayout<Float>.size)
        let scratch = ws.scores.floats()
        // Partial slots (split-K): outputs [slot][rows][d], then (max, sum) pairs [slot][rows][2].
        let rows = tileTokens * group
        ws.partials.ensure(max(1, schedule.parts) * rows * (d + 2) * MemoryLayout<Float>.size)
        let partOut = ws.partials.floats(), partML = partOut + schedule.parts * rows * d
        let P = kv.pageSize, dtype = kv.type.rawValue
        schedule.jobs.withUnsafeBufferPointer { jobs in
            pool.parallelFor(jobs.count) { i, worker in
                let job = jobs[i]
                let entry = batch[job.entry]
                let row0 = starts[job.entry] + job.token0
                let base = tables.start[job.entry] + job.kvHead * entry.sequence.pages.count
                let qp = q + row0 * Hq * d + job.kvHead * group * d
                let (out, ldo, ml): (UnsafeMutablePointer<Float>, Int, UnsafeMutablePointer<Float>?) = if let s = job.part {
                    (partOut + s * rows * d, group * d, partML + s * rows * 2)
                } else {
                    (o + row0 * Hq * d + job.kvHead * group * d, Hq * d, nil)
                }
                lfm_attend_tile(dtype, qp, Int64(Hq * d), Int64(job.tokens), Int64(group), Int64(d),
                                Int64(entry.sequence.length + job.token0), tables.keys + base, tables.values + base,
                                Int64(P), Int64(d), Int64(job.keys.lowerBound), Int64(job.keys.upperBound), scale,
                                scratch + worker * scratchFloats, out, Int64(ldo), ml)
            }
        }
        for m in schedule.merges {
            let n = batch[m.entry].tokens.count
            Kernels.attendMerge(parts: m.count, rows: n * group, slotRows: rows, headDim: d, partials: partOut + m.first * rows * d,
                                maxSums: partML + m.first * rows * 2, into: o + starts[m.entry] * Hq * d + m.kvHead * group * d,
                                outputStride: Hq * d, group: group)
        }
    }

    /// One `lfm_attend` call per (token, query head): the first kernel (`AttentionKernel.perHead`).
    private func perHeadAttention(batch: [BatchEntry], starts: [Int], owner: [Int], tokens T: Int, kv: KVCachePool, tables: PageTables) {
        let c = config
        let d = c.headDim, Hq = c.numHeads, Hkv = c.numKVHeads, group = Hq / Hkv
        let q = ws.q.floats(), o = ws.mix.floats()
        let scale = 1 / Float(d).squareRoot()
        let maxLen = batch.map { $0.sequence.length + $0.tokens.count }.max() ?? 0
        let stride = maxLen + 16
        ws.scores.ensure(pool.threadCount * stride * MemoryLayout<Float>.size)
        let scoresBase = ws.scores.floats()
        let P = kv.pageSize
        owner.withUnsafeBufferPointer { own in
            pool.parallelFor(T * Hq) { job, worker in
                let t = job / Hq, h = job % Hq, g = h / group
                let e = own[t]
                let entry = batch[e]
                let pos = entry.sequence.length + (t - starts[e])
                let base = tables.start[e] + g * entry.sequence.pages.count
                lfm_attend(kv.type.rawValue, q + t * Hq * d + h * d, tables.keys + base, tables.values + base, Int64(P),
                           Int64(d), Int64(pos + 1), Int64(d), scale, scoresBase + worker * stride,
                           o + t * Hq * d + h * d)
            }
        }
    }
}
