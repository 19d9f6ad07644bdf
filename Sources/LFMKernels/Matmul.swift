import CLFMKernels

/// Matrix products over the pool: `Y[t][r] = Σ_k W[r][k] · X[t][k]` for every token row t.
///
/// The activation rows are prepared once (converted or quantized to the format the weight
/// type's kernel wants), then output rows are split into blocks handed to the workers, so
/// every weight row is read once per call whatever the number of tokens.
public enum Matmul {
    /// Longest row the fused RMSNorm path takes.
    public static let maxFusedNormColumns = Int(LFM_RMS_FUSE_MAX)

    /// Bytes of activation scratch `multiply` needs for `tokens` rows of length `columns`.
    public static func scratchBytes(type: WeightType, columns: Int, tokens: Int) -> Int {
        Int(lfm_act_row_bytes(type.rawValue, Int64(columns))) * tokens
    }

    /// Computes `output[t * outputStride + r]` for `r` in `0..<rows`, `t` in `0..<tokens`.
    /// - Parameters:
    ///   - weights: `rows` rows of `columns` elements in `type`'s storage format.
    ///   - input: `tokens` rows of `columns` floats, `inputStride` floats apart.
    ///   - scratch: at least `scratchBytes(type:columns:tokens:)` bytes, 64-byte aligned.
    ///   - rmsNorm: multiply `rmsnorm(input row) * weight` instead of the input itself (the
    ///     norm fused into activation preparation); `columns` at most `maxFusedNormColumns`.
    public static func multiply(type: WeightType, weights: UnsafeRawPointer, rows: Int, columns: Int,
                                input: UnsafePointer<Float>, inputStride: Int, tokens: Int,
                                output: UnsafeMutablePointer<Float>, outputStride: Int,
                                scratch: UnsafeMutableRawPointer, pool: ThreadPool,
                                rmsNorm: (weight: UnsafePointer<Float>, eps: Float)? = nil) {
        let t = type.rawValue
        let k = Int64(columns)
        // Prepare activations (with the preceding RMSNorm fused in, if given), split by token
        // rows when there are many.
        func prepare(_ t0: Int, _ t1: Int) {
            if let n = rmsNorm {
                lfm_prepare_act_rms(t, input, inputStride, k, Int64(t0), Int64(t1), scratch, n.weight, n.eps)
            } else {
                lfm_prepare_act(t, input, inputStride, k, Int64(t0), Int64(t1), scratch)
            }
        }
        if tokens >= 8 && pool.threadCount > 1 {
            let per = (tokens + pool.threadCount - 1) / pool.threadCount
            pool.parallelFor((tokens + per - 1) / per) { c, _ in prepare(c * per, min(tokens, c * per + per)) }
        } else {
            prepare(0, tokens)
        }
        // Row blocks, multiples of 16 rows to keep kernels' tiles whole: 8 per thread to balance
        // a prefill; 2 for a few tokens, whose product streams the weights from memory once —
        // each kernel call prefetches its next row group, so long contiguous ranges keep memory
        // and arithmetic overlapped (16-sequence decode +4 %, docs/benchmarks.md).
        let threads = pool.threadCount
        var block = max(16, rows / (threads * (tokens <= 64 ? 2 : 8)))
        block = (block + 15) / 16 * 16
        let blocks = (rows + block - 1) / block
        let act = UnsafeRawPointer(scratch)
        pool.parallelFor(blocks) { b, _ in
            let r0 = b * block, r1 = min(rows, r0 + block)
            lfm_gemm(t, weights, k, Int64(r0), Int64(r1), act, Int64(tokens), output, outputStride)
        }
    }
}
