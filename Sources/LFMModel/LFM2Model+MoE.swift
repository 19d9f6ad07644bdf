import CLFMKernels
import LFMKernels

extension LFM2Model {
    /// The sparse MoE block (docs/lfm2.md) on `rms(h, ffn_norm)`; result in `ws.out`.
    ///
    /// The router runs as one product over all T tokens of the step, then `ExpertRouting`
    /// groups the tokens by expert; each selected expert runs ONE SwiGLU over its tokens
    /// (rows gathered into a contiguous block), and its output rows are added, times their
    /// weights, into the tokens' rows. Experts no token selected are not read at all, so a
    /// decode step reads only its k experts. Every token sums its experts in ascending expert
    /// order, whatever else is in the batch.
    func mixtureOfExperts(_ l: LayerWeights, _ m: MoEWeights, tokens T: Int) {
        let c = config, moe = c.moe!
        let D = c.hiddenSize, F = moe.expertFFNSize, E = moe.numExperts
        let h = ws.hidden.floats(), x = ws.normed.floats()
        parallelRows(T, minPerThread: 32) { t in lfm_rmsnorm_f32(h + t * D, l.ffnNorm, x + t * D, Int64(D), c.normEps) }
        let logits = ws.router.floats()
        linear(m.router, x, T, logits)
        let routing = ExpertRouting.route(logits: logits, count: T, config: moe, bias: m.expertBias)
        let out = ws.out.floats()
        out.update(repeating: 0, count: T * D)
        let xin = ws.expertIn.floats(), y = ws.expertOut.floats()
        let g = ws.gate.floats(), u = ws.up.floats(), s = ws.stacked.floats()
        for e in 0..<E where !routing.tokens[e].isEmpty {
            let rows = routing.tokens[e], n = rows.count
            let ex = m.experts[e]
            // Gather: a single token's row is used in place.
            let input: UnsafePointer<Float>
            if n == 1 {
                input = UnsafePointer(x + rows[0] * D)
            } else {
                for (j, t) in rows.enumerated() { (xin + j * D).update(from: x + t * D, count: D) }
                input = UnsafePointer(xin)
            }
            if let w13 = ex.w13 {
                linear(w13, input, n, s)
                parallelRows(n, minPerThread: 8) { j in lfm_silu_mul_f32(s + j * 2 * F, s + j * 2 * F + F, g + j * F, Int64(F)) }
            } else {
                linear(ex.w1, input, n, g)
                linear(ex.w3, input, n, u)
                parallelRows(n, minPerThread: 8) { j in lfm_silu_mul_f32(g + j * F, u + j * F, g + j * F, Int64(F)) }
            }
            linear(ex.w2, g, n, y)
            // Scatter with the routing weights.
            let w = routing.weights[e]
            for (j, t) in rows.enumerated() { lfm_axpy_f32(w[j], y + j * D, out + t * D, Int64(D)) }
        }
    }
}
