import CLFMKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LFMKernels

/// Which positions of a batch entry need logits.
public enum LogitsRequest: Sendable, Equatable {
    case none
    /// Only the entry's last token (generation).
    case last
    /// Every token of the entry (scoring, tests, prompt logprobs).
    case all
}

/// One sequence's share of a forward step: the tokens to append and what logits to return.
public struct BatchEntry {
    public var sequence: SequenceState
    public var tokens: [Int]
    public var logits: LogitsRequest

    public init(sequence: SequenceState, tokens: [Int], logits: LogitsRequest) {
        self.sequence = sequence
        self.tokens = tokens
        self.logits = logits
    }
}

/// Logits of one step: `rows` rows of `vocabSize` floats; `rowRanges[e]` are entry e's rows.
public struct StepLogits: Sendable {
    public var values: [Float]
    public var vocabSize: Int
    public var rowRanges: [Range<Int>]

    public init(values: [Float], vocabSize: Int, rowRanges: [Range<Int>]) {
        self.values = values
        self.vocabSize = vocabSize
        self.rowRanges = rowRanges
    }

    /// Logits of row `r`.
    public func row(_ r: Int) -> ArraySlice<Float> { values[(r * vocabSize)..<((r + 1) * vocabSize)] }
    /// The last row of entry `e` (nil if the entry asked for none).
    public func last(of e: Int) -> ArraySlice<Float>? { rowRanges[e].isEmpty ? nil : row(rowRanges[e].upperBound - 1) }
}

/// The LFM2 forward pass (docs/lfm2.md §2) over a batch of sequences.
///
/// All tokens of a step go through each linear layer as one matrix product, so weights are
/// read once per step however many sequences take part; the conv runs per sequence over its
/// state and attention per sequence over its KV pages. Activations and the residual stream
/// are Float32.
public final class LFM2Model: @unchecked Sendable {
    // Safety: `forward` mutates the workspace and must be called from one thread at a time
    // (the engine thread); everything else is immutable.
    public let config: LFM2Config
    public let weights: LFM2Weights
    public let pool: ThreadPool
    var ws = Workspace()
    let maxActRowBytes: Int
    /// Index of each attention layer among attention layers, and of each conv layer among conv layers.
    let slot: [Int]
    let invFreq: [Float]
    /// The attention kernel (default tiled; `LFM_ATTENTION=per-head` selects the first one).
    /// Set it only between steps, from the thread that calls `forward`.
    public var attentionKernel: AttentionKernel = .fromEnvironment
    /// Split-K: a decode's key range is cut into parts of at least this many keys.
    var attentionMinKeysPerPart = 512

    public convenience init(checkpoint: Checkpoint, threads: Int = ThreadPool.onlineCPUs) {
        self.init(config: checkpoint.config, weights: checkpoint.weights, pool: ThreadPool(threads: threads))
    }

    public init(config: LFM2Config, weights: LFM2Weights, pool: ThreadPool) {
        self.config = config
        self.weights = weights.packedForKernels(pool: pool)
        self.pool = pool
        var mats: [Tensor] = [weights.outputMatrix]
        for l in weights.layers {
            mats += [l.w1, l.w2, l.w3, l.inProj, l.outProj, l.q, l.k, l.v, l.o, l.w13, l.qkv].compactMap { $0 }
            mats += l.moe?.matrices ?? []
        }
        maxActRowBytes = mats.map { Int(lfm_act_row_bytes($0.type.rawValue, Int64($0.columns))) }.max() ?? 0
        var a = 0, c = 0
        slot = config.layerTypes.map { kind in
            defer { if kind == .attention { a += 1 } else { c += 1 } }
            return kind == .attention ? a : c
        }
        let d = config.headDim
        // As transformers: inv_freq = 1 / theta^(2i/d) in float32.
        invFreq = (0..<(d / 2)).map { i in Float(1.0 / Double(Float(pow(config.ropeTheta, Double(Float(2 * i) / Float(d)))))) }
    }

    deinit { ws.free() }

    /// Runs one step: appends every entry's tokens to its sequence (KV pages must be reserved
    /// with `SequenceState.reserve` first) and returns the requested logits.
    /// - Throws: `ModelError.invalidInput` for an out-of-range token id, `KVCacheExhausted`
    ///   when a sequence lacks pages; the sequences are unchanged when it throws.
    public func forward(_ batch: [BatchEntry], kv: KVCachePool) throws -> StepLogits {
        let c = config
        let D = c.hiddenSize
        var starts: [Int] = []
        var T = 0
        for e in batch {
            for t in e.tokens where t < 0 || t >= c.vocabSize {
                throw ModelError.invalidInput("token id \(t) is outside the vocabulary (0..<\(c.vocabSize))")
            }
            let needPages = (e.sequence.length + e.tokens.count + kv.pageSize - 1) / kv.pageSize
            if needPages > e.sequence.pages.count { throw KVCacheExhausted(needed: needPages - e.sequence.pages.count, free: kv.freePageCount) }
            starts.append(T)
            T += e.tokens.count
        }
        var rowRanges: [Range<Int>] = []
        var logitRows: [Int] = []
        for (i, e) in batch.enumerated() {
            let lo = logitRows.count
            switch e.logits {
            case .none: break
            case .last: if !e.tokens.isEmpty { logitRows.append(starts[i] + e.tokens.count - 1) }
            case .all: logitRows += (starts[i]..<(starts[i] + e.tokens.count))
            }
            rowRanges.append(lo..<logitRows.count)
        }
        guard T > 0 else { return StepLogits(values: [], vocabSize: c.vocabSize, rowRanges: rowRanges) }

        prepareWorkspace(tokens: T, batch: batch)
        let h = ws.hidden.floats()
        // Embedding (no scaling, docs/lfm2.md §2.1).
        var flatTokens: [Int] = []
        flatTokens.reserveCapacity(T)
        for e in batch { flatTokens += e.tokens }
        let emb = weights.embedding
        flatTokens.withUnsafeBufferPointer { toks in
            parallelRows(T, minPerThread: 16) { t in emb.dequantizeRow(toks[t], into: h + t * D) }
        }
        computeRope(batch, tokens: T)

        for (i, layer) in weights.layers.enumerated() {
            if !fusesOperatorNorm(layer) {
                let a = ws.normed.floats()
                parallelRows(T, minPerThread: 32) { t in
                    lfm_rmsnorm_f32(h + t * D, layer.operatorNorm, a + t * D, Int64(D), c.normEps)
                }
            }
            if layer.kind == .conv {
                shortConv(layer, convIndex: slot[i], batch: batch, starts: starts, tokens: T)
            } else {
                attention(layer, attentionIndex: slot[i], batch: batch, starts: starts, tokens: T, kv: kv)
            }
            lfm_axpy_f32(1, ws.out.floats(), h, Int64(T * D))
            if let moe = layer.moe { mixtureOfExperts(layer, moe, tokens: T) } else { feedForward(layer, tokens: T) }
            lfm_axpy_f32(1, ws.out.floats(), h, Int64(T * D))
        }
        for e in batch { e.sequence.length += e.tokens.count }
        return computeLogits(rows: logitRows, rowRanges: rowRanges)
    }

    /// Splits `n` independent rows over the pool when there are enough of them.
    @inline(__always)
    func parallelRows(_ n: Int, minPerThread: Int, _ body: (Int) -> Void) {
        if n < minPerThread * 2 || pool.threadCount == 1 {
            for t in 0..<n { body(t) }
            return
        }
        let chunks = min(n, pool.threadCount * 4)
        let per = (n + chunks - 1) / chunks
        pool.parallelFor((n + per - 1) / per) { ch, _ in
            for t in (ch * per)..<min(n, (ch + 1) * per) { body(t) }
        }
    }

    /// `out[t] = W · x[t]` for T rows, through the pool.
    func linear(_ w: Tensor, _ x: UnsafePointer<Float>, _ T: Int, _ out: UnsafeMutablePointer<Float>) {
        Matmul.multiply(type: w.type, weights: w.data, rows: w.rows, columns: w.columns, input: x, inputStride: w.columns,
                        tokens: T, output: out, outputStride: w.rows, scratch: ws.act.pointer, pool: pool)
    }

    /// `out[t] = W · (rmsnorm(x[t]) ⊙ norm)`, the norm fused into the product's activation
    /// preparation (the normalised rows are not written out).
    func linear(_ w: Tensor, normalizing x: UnsafePointer<Float>, by norm: [Float], _ T: Int, _ out: UnsafeMutablePointer<Float>) {
        norm.withUnsafeBufferPointer { nw in
            Matmul.multiply(type: w.type, weights: w.data, rows: w.rows, columns: w.columns, input: x, inputStride: w.columns,
                            tokens: T, output: out, outputStride: w.rows, scratch: ws.act.pointer, pool: pool,
                            rmsNorm: (nw.baseAddress!, config.normEps))
        }
    }

    /// Whether a layer's operator norm can be fused into its first product (that product is
    /// then the only reader of the normalised rows).
    func fusesOperatorNorm(_ l: LayerWeights) -> Bool {
        guard config.hiddenSize <= Matmul.maxFusedNormColumns else { return false }
        return l.kind == .conv ? l.inProj != nil : l.qkv != nil
    }

    private func prepareWorkspace(tokens T: Int, batch: [BatchEntry]) {
        let c = config
        let D = c.hiddenSize, F = max(c.ffnSize, c.moe?.expertFFNSize ?? 0), f = MemoryLayout<Float>.size
        let qd = c.numHeads * c.headDim
        ws.hidden.ensure(T * D * f)
        ws.normed.ensure(T * max(D, qd) * f)
        ws.proj.ensure(T * 3 * D * f)
        ws.q.ensure(T * qd * f)
        ws.k.ensure(T * c.kvDim * f)
        ws.v.ensure(T * c.kvDim * f)
        ws.mix.ensure(T * max(D, qd) * f)
        ws.gate.ensure(T * F * f)
        ws.stacked.ensure(max(min(T, Self.ffnBlockTokens) * 2 * F, T * (qd + 2 * c.kvDim)) * f)
        ws.up.ensure(T * F * f)
        ws.out.ensure(T * D * f)
        ws.act.ensure(T * maxActRowBytes + 64)
        ws.rope.ensure(T * c.headDim * f)
        let maxSeg = batch.map(\.tokens.count).max() ?? 0
        ws.window.ensure((maxSeg + c.convKernel) * D * f)
        if let moe = c.moe {
            // The selected experts' rows of a step: T·k, gathered by expert.
            let R = T * moe.expertsPerToken, Fe = moe.expertFFNSize
            ws.router.ensure(T * moe.numExperts * f)
            ws.expertIn.ensure(R * D * f)
            ws.expertOut.ensure(R * D * f)
            ws.gate.ensure(R * Fe * f)
            ws.up.ensure(R * Fe * f)
            ws.stacked.ensure(R * 2 * Fe * f)
        }
    }

    /// cos/sin tables per token: row t holds cos[0..<d/2] then sin[0..<d/2] at its position.
    private func computeRope(_ batch: [BatchEntry], tokens T: Int) {
        let half = config.headDim / 2
        let table = ws.rope.floats()
        var t = 0
        for e in batch {
            for j in 0..<e.tokens.count {
                let pos = Float(e.sequence.length + j)
                let row = table + t * 2 * half
                for i in 0..<half {
                    let angle = pos * invFreq[i]   // float32 product, as transformers computes it
                    row[i] = Float(cos(Double(angle)))
                    row[half + i] = Float(sin(Double(angle)))
                }
                t += 1
            }
        }
    }
}
