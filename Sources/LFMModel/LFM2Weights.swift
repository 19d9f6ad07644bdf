import LFMKernels
/// The weights of one LFM2 layer. Matrices stay in their stored format; small vectors
/// (norms, conv taps, biases) are converted to Float once at load.
public struct LayerWeights: Sendable {
    public var kind: LayerKind
    public var operatorNorm: [Float]
    public var ffnNorm: [Float]
    /// Dense FFN gate (w1), up (w3) `[F, D]` and down (w2) `[D, F]`; nil in MoE layers.
    public var w1: Tensor?, w3: Tensor?, w2: Tensor?
    /// w1 and w3 stacked `[2F, D]` in a packed layout (one matrix product for gate and up), when
    /// the weights were packed at load.
    public var w13: Tensor?
    // Conv layers.
    public var inProj: Tensor?, outProj: Tensor?
    /// Depthwise conv taps, `[D][K]` row-major; tap K−1 multiplies the current token.
    public var convTaps: [Float] = []
    public var inProjBias: [Float]?, convBias: [Float]?, outProjBias: [Float]?
    // Attention layers.
    public var q: Tensor?, k: Tensor?, v: Tensor?, o: Tensor?
    /// q, k and v stacked `[qd + 2·kvDim, D]` in a packed layout (one matrix product), when packed at load.
    public var qkv: Tensor?
    public var qNorm: [Float] = [], kNorm: [Float] = []
    /// The sparse MoE block that replaces the dense FFN in `Lfm2MoeForCausalLM` layers from
    /// `num_dense_layers` on.
    public var moe: MoEWeights?
}

/// All weights of an LFM2 model, keyed by role rather than by checkpoint name.
public struct LFM2Weights: Sendable {
    /// Token embedding `[V, D]` (also the LM head when tied).
    public var embedding: Tensor
    /// The final norm (`model.embedding_norm`, despite its name — docs/lfm2.md §2.7).
    public var finalNorm: [Float]
    /// Untied LM head `[V, D]`, if the checkpoint has one.
    public var lmHead: Tensor?
    public var layers: [LayerWeights]

    /// The matrix that produces logits.
    public var outputMatrix: Tensor { lmHead ?? embedding }

    /// Picks and checks every tensor by its Hugging Face name (GGUF names are mapped to these
    /// first by `Checkpoint`). The FFN width is taken from `w1`'s shape, as docs/lfm2.md §1.2 advises.
    /// - Throws: `ModelError.missingTensor` / `.shapeMismatch` naming the tensor.
    static func build(_ t: [String: Tensor], config c: inout LFM2Config, source: String) throws -> LFM2Weights {
        func get(_ name: String) throws -> Tensor {
            guard let x = t[name] else { throw ModelError.missingTensor(source, name) }
            return x
        }
        func check(_ x: Tensor, _ shape: [Int]) throws -> Tensor {
            // HF conv weights are [D, 1, K]; GGUF's squeezed [D, K] is the same layout.
            let squeezed = x.shape.filter { $0 != 1 }
            guard x.shape == shape || squeezed == shape.filter({ $0 != 1 }) else {
                throw ModelError.shapeMismatch(source, x.name, shape, x.shape)
            }
            return x
        }
        func matrix(_ name: String, _ rows: Int, _ cols: Int) throws -> Tensor {
            let x = try check(get(name), [rows, cols])
            guard x.type.blockElems > 0, cols % x.type.blockElems == 0 else {
                throw ModelError.unsupportedTensorType(source, name, "\(x.type.name) with row length \(cols)")
            }
            return x
        }
        func vector(_ name: String, _ n: Int) throws -> [Float] { try check(get(name), [n]).floats() }

        let D = c.hiddenSize
        if c.hasDenseFFN, let w1 = t["model.layers.0.feed_forward.w1.weight"], w1.shape.count == 2, w1.shape[0] != c.ffnSize {
            c.ffnSize = w1.shape[0]
        }
        let F = c.ffnSize
        let embedding = try matrix("model.embed_tokens.weight", c.vocabSize, D)
        var layers: [LayerWeights] = []
        for (i, kind) in c.layerTypes.enumerated() {
            let p = "model.layers.\(i)."
            var l = LayerWeights(kind: kind, operatorNorm: try vector(p + "operator_norm.weight", D),
                                 ffnNorm: try vector(p + "ffn_norm.weight", D))
            if let moe = c.moe, c.isMoELayer(i) {
                l.moe = try MoEWeights.build(layer: i, t, config: moe, hidden: D, source: source, matrix: matrix, vector: vector)
            } else {
                l.w1 = try matrix(p + "feed_forward.w1.weight", F, D)
                l.w3 = try matrix(p + "feed_forward.w3.weight", F, D)
                l.w2 = try matrix(p + "feed_forward.w2.weight", D, F)
            }
            switch kind {
            case .conv:
                l.inProj = try matrix(p + "conv.in_proj.weight", 3 * D, D)
                l.outProj = try matrix(p + "conv.out_proj.weight", D, D)
                l.convTaps = try check(get(p + "conv.conv.weight"), [D, 1, c.convKernel]).floats()
                if c.convBias {
                    l.inProjBias = try vector(p + "conv.in_proj.bias", 3 * D)
                    l.convBias = try vector(p + "conv.conv.bias", D)
                    l.outProjBias = try vector(p + "conv.out_proj.bias", D)
                }
            case .attention:
                let qd = c.numHeads * c.headDim
                l.q = try matrix(p + "self_attn.q_proj.weight", qd, D)
                l.k = try matrix(p + "self_attn.k_proj.weight", c.kvDim, D)
                l.v = try matrix(p + "self_attn.v_proj.weight", c.kvDim, D)
                l.o = try matrix(p + "self_attn.out_proj.weight", D, qd)
                l.qNorm = try vector(p + "self_attn.q_layernorm.weight", c.headDim)
                l.kNorm = try vector(p + "self_attn.k_layernorm.weight", c.headDim)
            }
            layers.append(l)
        }
        var head: Tensor? = nil
        if let h = t["lm_head.weight"], !c.tieEmbeddings || h.data != embedding.data {
            head = try matrix("lm_head.weight", c.vocabSize, D)
        } else if !c.tieEmbeddings {
            throw ModelError.missingTensor(source, "lm_head.weight")
        }
        return LFM2Weights(embedding: embedding, finalNorm: try vector("model.embedding_norm.weight", D),
                           lmHead: head, layers: layers)
    }
}

extension LFM2Weights {
    /// The weights with every matrix-product weight in the layout the active kernels prefer
    /// (`Tensor.packedForKernels`). An untied embedding table stays as loaded (row lookups);
    /// a tied one is replaced by its packed copy, which serves lookups and the LM head.
    public func packedForKernels(pool: ThreadPool) -> LFM2Weights {
        var w = self
        func pack(_ t: Tensor?) -> Tensor? { t?.packedForKernels(pool: pool) }
        for i in w.layers.indices {
            var l = w.layers[i]
            // Gate and up, and q/k/v, read the same input: stack them so one product (one
            // fork/join, one pass over the activations) computes them.
            if let w1 = l.w1, let w3 = l.w3, let w13 = Tensor.packedStack([w1, w3], pool: pool) {
                l.w13 = w13
            } else {
                l.w1 = pack(l.w1)
                l.w3 = pack(l.w3)
            }
            l.w2 = pack(l.w2)
            l.moe = l.moe?.packedForKernels(pool: pool)
            l.inProj = pack(l.inProj)
            l.outProj = pack(l.outProj)
            if let q = l.q, let k = l.k, let v = l.v, let qkv = Tensor.packedStack([q, k, v], pool: pool) {
                l.qkv = qkv
            } else {
                l.q = pack(l.q)
                l.k = pack(l.k)
                l.v = pack(l.v)
            }
            l.o = pack(l.o)
            w.layers[i] = l
        }
        // A tied table is packed once and serves both: the head's products and the embedding's
        // row lookups (exact: the same quantized values), so the file's copy is released.
        let head = outputMatrix.packedForKernels(pool: pool)
        if head.type != outputMatrix.type {
            if lmHead != nil { w.lmHead = head } else { w.embedding = head }
        }
        return w
    }
}
