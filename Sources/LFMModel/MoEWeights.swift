import CLFMKernels
import LFMKernels

/// One expert of a sparse MoE block: a SwiGLU FFN of the expert width F′.
public struct ExpertWeights: Sendable {
    /// Gate (w1), up (w3) `[F′, D]` and down (w2) `[D, F′]`.
    public var w1: Tensor, w3: Tensor, w2: Tensor
    /// w1 and w3 stacked `[2F′, D]` in a packed layout, when packed at load.
    public var w13: Tensor?
}

/// The sparse MoE block of an `Lfm2MoeForCausalLM` layer (docs/lfm2.md): the router, the
/// optional selection bias and the experts.
public struct MoEWeights: Sendable {
    /// Router `[E, D]` (`feed_forward.gate.weight`, GGUF `ffn_gate_inp`).
    public var router: Tensor
    /// Added to the sigmoid scores for selection only (`feed_forward.expert_bias`, GGUF `exp_probs_b`).
    public var expertBias: [Float]?
    public var experts: [ExpertWeights]

    /// Picks a layer's MoE tensors by Hugging Face name. Experts come either per expert
    /// (`experts.{e}.w1/w3/w2.weight`, as Liquid's checkpoints and transformers' save_pretrained
    /// write them) or stacked `[E, rows, cols]` (`experts.w1/w3/w2.weight`, llama.cpp's
    /// `ffn_gate_exps` / `ffn_up_exps` / `ffn_down_exps` after `Checkpoint.hfName(forGGUF:)`);
    /// a stacked tensor is used in place, one view per expert.
    static func build(layer i: Int, _ t: [String: Tensor], config m: MoEConfig, hidden D: Int, source: String,
                      matrix: (String, Int, Int) throws -> Tensor, vector: (String, Int) throws -> [Float]) throws -> MoEWeights {
        let p = "model.layers.\(i).feed_forward."
        let E = m.numExperts, F = m.expertFFNSize
        var bias: [Float]? = nil
        if m.useExpertBias { bias = try vector(p + "expert_bias", E) }
        func expertMatrix(_ w: String, _ e: Int, _ rows: Int, _ cols: Int) throws -> Tensor {
            let stackedName = p + "experts.\(w).weight"
            guard let stacked = t[stackedName] else { return try matrix(p + "experts.\(e).\(w).weight", rows, cols) }
            guard stacked.shape == [E, rows, cols] else { throw ModelError.shapeMismatch(source, stackedName, [E, rows, cols], stacked.shape) }
            guard stacked.type.blockElems > 0, cols % stacked.type.blockElems == 0 else {
                throw ModelError.unsupportedTensorType(source, stackedName, "\(stacked.type.name) with row length \(cols)")
            }
            return stacked.expert(e)
        }
        var experts: [ExpertWeights] = []
        experts.reserveCapacity(E)
        for e in 0..<E {
            experts.append(ExpertWeights(w1: try expertMatrix("w1", e, F, D), w3: try expertMatrix("w3", e, F, D),
                                         w2: try expertMatrix("w2", e, D, F)))
        }
        return MoEWeights(router: try matrix(p + "gate.weight", E, D), expertBias: bias, experts: experts)
    }

    /// Every expert matrix in the layout the active kernels prefer (gate and up stacked, as
    /// for the dense FFN); the router stays as loaded (it is small and read by every token).
    func packedForKernels(pool: ThreadPool) -> MoEWeights {
        var m = self
        for e in m.experts.indices {
            var x = m.experts[e]
            if let w13 = Tensor.packedStack([x.w1, x.w3], pool: pool) {
                x.w13 = w13
            } else {
                x.w1 = x.w1.packedForKernels(pool: pool)
                x.w3 = x.w3.packedForKernels(pool: pool)
            }
            x.w2 = x.w2.packedForKernels(pool: pool)
            m.experts[e] = x
        }
        return m
    }

    /// Matrix elements one token reads: the router and `k` experts.
    public func activeElements(expertsPerToken k: Int) -> Int {
        router.count + k * (experts.first.map { $0.w1.count + $0.w3.count + $0.w2.count } ?? 0)
    }

    /// The matrices products read (for scratch sizing and parameter counts).
    var matrices: [Tensor] {
        [router] + experts.flatMap { [$0.w1, $0.w3, $0.w2] + ($0.w13.map { [$0] } ?? []) }
    }
}

extension Tensor {
    /// Expert `e` of a stacked `[E, rows, cols]` tensor, as a `[rows, cols]` view of the same memory.
    func expert(_ e: Int) -> Tensor {
        let rows = shape[1], cols = shape[2]
        let bytes = rows * Int(lfm_row_bytes(type.rawValue, Int64(cols)))
        return Tensor(name: "\(name)[\(e)]", type: type, shape: [rows, cols], data: data + e * bytes, owner: owner)
    }
}
