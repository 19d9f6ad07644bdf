import CLFMKernels
import LFMKernels

extension LFM2Model {
    /// The sparse MoE block (docs/lfm2.md) on `rms(h, ffn_norm)`; result in `ws.out`.
    ///
    /// The router runs as one product over all T tokens of the step, then `ExpertRouting`
    /// groups the tokens by expert. Every selected expert multiplies ONLY its tokens (their rows
    /// gathered into a contiguous block), and all selected experts' gate/up products run in one
    /// fork/join, then all their down products in another (`groupedLinear`); each output row is
    /// added, times its weight, into its token's row. Experts no token selected are not read at
    /// all, so a decode step reads only its k experts. Every token sums its experts in
    /// ascending expert order, whatever else is in the batch.
    func mixtureOfExperts(_ l: LayerWeights, _ m: MoEWeights, tokens T: Int) {
        let c = config, moe = c.moe!
        let D = c.hiddenSize, F = moe.expertFFNSize
        let h = ws.hidden.floats(), x = ws.normed.floats()
        parallelRows(T, minPerThread: 32) { t in lfm_rmsnorm_f32(h + t * D, l.ffnNorm, x + t * D, Int64(D), c.normEps) }
        let logits = ws.router.floats()
        linear(m.router, x, T, logits)
        let routing = ExpertRouting.route(logits: logits, count: T, config: moe, bias: m.expertBias)
        let selected = routing.tokens.indices.filter { !routing.tokens[$0].isEmpty }
        // Row block of each selected expert in the gathered buffers.
        var start: [Int] = []
        var R = 0
        for e in selected { start.append(R); R += routing.tokens[e].count }
        let xin = ws.expertIn.floats(), y = ws.expertOut.floats()
        let g = ws.gate.floats(), u = ws.up.floats(), s = ws.stacked.floats()
        var up: [ProductJob] = [], down: [ProductJob] = []
        var stacked = true
        for (i, e) in selected.enumerated() {
            let rows = routing.tokens[e], n = rows.count, r0 = start[i]
            let ex = m.experts[e]
            // Gather (a single token's row is used in place).
            let input: UnsafePointer<Float>
            if n == 1 {
                input = UnsafePointer(x + rows[0] * D)
            } else {
                for (j, t) in rows.enumerated() { (xin + (r0 + j) * D).update(from: x + t * D, count: D) }
                input = UnsafePointer(xin + r0 * D)
            }
            if let w13 = ex.w13 {
                up.append(ProductJob(w13, input, n, s + r0 * 2 * F))
            } else {
                stacked = false
                up.append(ProductJob(ex.w1, input, n, g + r0 * F))
                up.append(ProductJob(ex.w3, input, n, u + r0 * F))
            }
            down.append(ProductJob(ex.w2, UnsafePointer(g + r0 * F), n, y + r0 * D))
        }
        groupedLinear(up)
        parallelRows(R, minPerThread: 8) { r in
            if stacked {
                lfm_silu_mul_f32(s + r * 2 * F, s + r * 2 * F + F, g + r * F, Int64(F))
            } else {
                lfm_silu_mul_f32(g + r * F, u + r * F, g + r * F, Int64(F))
            }
        }
        groupedLinear(down)
        // Scatter with the routing weights, experts in ascending order.
        let out = ws.out.floats()
        out.update(repeating: 0, count: T * D)
        for (i, e) in selected.enumerated() {
            let w = routing.weights[e]
            for (j, t) in routing.tokens[e].enumerated() { lfm_axpy_f32(w[j], y + (start[i] + j) * D, out + t * D, Int64(D)) }
        }
    }

    /// One matrix product of `groupedLinear`: `out[t] = W · input[t]` for `n` rows.
    struct ProductJob {
        let type: Int32, weights: UnsafeRawPointer, rows: Int, columns: Int
        let input: UnsafePointer<Float>, n: Int, out: UnsafeMutablePointer<Float>

        init(_ w: Tensor, _ input: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutablePointer<Float>) {
            (type, weights, rows, columns) = (w.type.rawValue, w.data, w.rows, w.columns)
            (self.input, self.n, self.out) = (input, n, out)
        }
    }

    /// Several independent products (the selected experts of one layer) in one fork/join: each
    /// job's activations are prepared into its own section of `ws.act`, then the row blocks of
    /// all jobs are split over the pool. Same kernels and results as `linear` per job.
    func groupedLinear(_ jobs: [ProductJob]) {
        guard !jobs.isEmpty else { return }
        var offsets: [Int] = []
        var bytes = 0
        for j in jobs {
            offsets.append(bytes)
            bytes += (Int(lfm_act_row_bytes(j.type, Int64(j.columns))) * j.n + 63) / 64 * 64
        }
        ws.act.ensure(bytes)
        let base = ws.act.pointer
        let totalRows = jobs.reduce(0) { $0 + $1.n }
        // Row blocks: multiples of 16 rows, about 4 per thread per job.
        var blocks: [(job: Int, r0: Int, r1: Int)] = []
        let threads = pool.threadCount
        for (i, j) in jobs.enumerated() {
            let block = (max(16, j.rows / (threads * 4)) + 15) / 16 * 16
            for r0 in stride(from: 0, to: j.rows, by: block) { blocks.append((i, r0, min(j.rows, r0 + block))) }
        }
        jobs.withUnsafeBufferPointer { jb in
            offsets.withUnsafeBufferPointer { off in
                func prepare(_ i: Int) {
                    let j = jb[i]
                    lfm_prepare_act(j.type, j.input, j.columns, Int64(j.columns), 0, Int64(j.n), base + off[i])
                }
                if totalRows >= 16 && threads > 1 {
                    pool.parallelFor(jb.count) { i, _ in prepare(i) }
                } else {
                    for i in 0..<jb.count { prepare(i) }
                }
                blocks.withUnsafeBufferPointer { bl in
                    pool.parallelFor(bl.count) { b, _ in
                        let (i, r0, r1) = bl[b]
                        let j = jb[i]
                        lfm_gemm(j.type, j.weights, Int64(j.columns), Int64(r0), Int64(r1), UnsafeRawPointer(base + off[i]),
                                 Int64(j.n), j.out, j.rows)
                    }
                }
            }
        }
    }
}
