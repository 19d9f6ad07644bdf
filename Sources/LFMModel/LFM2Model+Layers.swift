import CLFMKernels
import LFMKernels

extension LFM2Model {
    /// Double-gated short conv (docs/lfm2.md §2.4) for every entry; result in `ws.out`.
    func shortConv(_ l: LayerWeights, convIndex ci: Int, batch: [BatchEntry], starts: [Int], tokens T: Int) {
        let c = config
        let D = c.hiddenSize, K = c.convKernel, rows = K - 1
        let z = ws.proj.floats()
        if fusesOperatorNorm(l) {
            linear(l.inProj!, normalizing: ws.hidden.floats(), by: l.operatorNorm, T, z)
        } else {
            linear(l.inProj!, ws.normed.floats(), T, z)
        }
        if let b = l.inProjBias { for t in 0..<T { lfm_axpy_f32(1, b, z + t * 3 * D, Int64(3 * D)) } }
        let y = ws.mix.floats()
        let window = ws.window.floats()
        let taps = l.convTaps
        for (e, entry) in batch.enumerated() {
            let n = entry.tokens.count
            guard n > 0 else { continue }
            let s0 = starts[e]
            let stateOffset = ci * rows * D
            // Window = [state (K−1 rows) ; u_0 … u_{n−1}] with u = B ⊙ x.
            entry.sequence.convState.withUnsafeMutableBufferPointer { st in
                let state = st.baseAddress! + stateOffset
                if rows > 0 { window.update(from: state, count: rows * D) }
                for t in 0..<n {
                    let zt = z + (s0 + t) * 3 * D
                    let u = window + (rows + t) * D
                    for ch in 0..<D { u[ch] = zt[ch] * zt[2 * D + ch] }
                }
                // v[t][ch] = Σ_k w[ch][k] · window[t + k][ch]; y = C ⊙ v.
                taps.withUnsafeBufferPointer { w in
                    for t in 0..<n {
                        let zt = z + (s0 + t) * 3 * D
                        let yt = y + (s0 + t) * D
                        for ch in 0..<D {
                            var acc: Float = 0
                            for k in 0..<K { acc += w[ch * K + k] * window[(t + k) * D + ch] }
                            if let cb = l.convBias { acc += cb[ch] }
                            yt[ch] = zt[D + ch] * acc
                        }
                    }
                }
                if rows > 0 { state.update(from: window + n * D, count: rows * D) }
                // Conv state at each page boundary b inside this chunk: window rows b−L … b−L+K−2.
                if rows > 0, let every = entry.sequence.snapshotInterval {
                    let L = entry.sequence.length
                    var b = (L / every + 1) * every
                    while b <= L + n {
                        var snap = entry.sequence.boundarySnapshots[b] ?? [Float](repeating: 0, count: st.count)
                        snap.withUnsafeMutableBufferPointer { sp in
                            (sp.baseAddress! + stateOffset).update(from: window + (b - L) * D, count: rows * D)
                        }
                        entry.sequence.boundarySnapshots[b] = snap
                        b += every
                    }
                }
            }
        }
        linear(l.outProj!, y, T, ws.out.floats())
        if let b = l.outProjBias { let o = ws.out.floats(); for t in 0..<T { lfm_axpy_f32(1, b, o + t * D, Int64(D)) } }
    }

    /// Rows per pass of the stacked FFN (its `[rows, 2F]` buffer: 9.4 MB for LFM2-350M). The
    /// products' own token blocks are about this size, so splitting a 512-token chunk costs no speed.
    static let ffnBlockTokens = 256

    /// SwiGLU FFN (docs/lfm2.md §2.6) on `rms(h, ffn_norm)`; result in `ws.out`.
    func feedForward(_ l: LayerWeights, tokens T: Int) {
        let c = config
        let D = c.hiddenSize, F = c.ffnSize
        let h = ws.hidden.floats(), f = ws.normed.floats()
        let g = ws.gate.floats(), u = ws.up.floats()
        if let w13 = l.w13, D <= Matmul.maxFusedNormColumns {
            // The FFN norm fused into the stacked gate/up product; SiLU(gate)·up written over the
            // gate half and read from there (row stride 2F). Blocks of at most
            // `ffnBlockTokens` rows bound the [rows, 2F] buffer of a long prefill chunk.
            let s = ws.stacked.floats(), o = ws.out.floats()
            var t0 = 0
            while t0 < T {
                let n = min(Self.ffnBlockTokens, T - t0)
                linear(w13, normalizing: h + t0 * D, by: l.ffnNorm, n, s)
                parallelRows(n, minPerThread: 8) { t in lfm_silu_mul_f32(s + t * 2 * F, s + t * 2 * F + F, s + t * 2 * F, Int64(F)) }
                let w2 = l.w2!
                Matmul.multiply(type: w2.type, weights: w2.data, rows: w2.rows, columns: w2.columns, input: s, inputStride: 2 * F,
                                tokens: n, output: o + t0 * D, outputStride: w2.rows, scratch: ws.act.pointer, pool: pool)
                t0 += n
            }
            return
        } else {
            parallelRows(T, minPerThread: 32) { t in lfm_rmsnorm_f32(h + t * D, l.ffnNorm, f + t * D, Int64(D), c.normEps) }
            linear(l.w1!, f, T, g)
            linear(l.w3!, f, T, u)
            parallelRows(T, minPerThread: 8) { t in lfm_silu_mul_f32(g + t * F, u + t * F, g + t * F, Int64(F)) }
        }
        linear(l.w2!, g, T, ws.out.floats())
    }

    /// Final norm and LM head for the requested rows only.
    func computeLogits(rows: [Int], rowRanges: [Range<Int>]) -> StepLogits {
        let c = config
        let D = c.hiddenSize, V = c.vocabSize
        guard !rows.isEmpty else { return StepLogits(values: [], vocabSize: V, rowRanges: rowRanges) }
        let R = rows.count
        let h = ws.hidden.floats()
        ws.gathered.ensure(R * D * MemoryLayout<Float>.size)
        let x = ws.gathered.floats()
        for (i, r) in rows.enumerated() { lfm_rmsnorm_f32(h + r * D, weights.finalNorm, x + i * D, Int64(D), c.normEps) }
        let head = weights.outputMatrix
        ws.act.ensure(R * maxActRowBytes + 64)
        var values = [Float](repeating: 0, count: R * V)
        values.withUnsafeMutableBufferPointer { out in
            linear(head, x, R, out.baseAddress!)
        }
        return StepLogits(values: values, vocabSize: V, rowRanges: rowRanges)
    }
}
