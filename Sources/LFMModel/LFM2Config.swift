import Foundation

/// The operator of one LFM2 layer.
public enum LayerKind: String, Sendable, Codable, Equatable {
    /// Double-gated short convolution block.
    case conv
    /// GQA attention block with per-head q/k RMSNorm and RoPE.
    case attention
}

/// The mixture-of-experts settings of an `Lfm2MoeForCausalLM` model (docs/lfm2.md): layers from
/// `numDenseLayers` on replace the dense SwiGLU FFN by `numExperts` SwiGLU experts, of which a
/// sigmoid router picks `expertsPerToken` per token.
public struct MoEConfig: Sendable, Equatable {
    /// Experts per MoE layer (`num_experts`, GGUF `expert_count`).
    public var numExperts: Int
    /// Experts each token uses (`num_experts_per_tok`, GGUF `expert_used_count`).
    public var expertsPerToken: Int
    /// FFN width of one expert (`moe_intermediate_size`, GGUF `expert_feed_forward_length`).
    public var expertFFNSize: Int
    /// Leading layers that keep a dense FFN (`num_dense_layers`, GGUF `leading_dense_block_count`).
    public var numDenseLayers: Int
    /// Whether experts are selected by score + `expert_bias` (`use_expert_bias`).
    public var useExpertBias: Bool
    /// Whether the selected weights are divided by their sum (`norm_topk_prob`, GGUF `expert_weights_norm`).
    public var normalizeTopK: Bool
    /// Factor applied to the selected weights (`routed_scaling_factor`, GGUF `expert_weights_scale`).
    public var routedScalingFactor: Float

    public init(numExperts: Int, expertsPerToken: Int, expertFFNSize: Int, numDenseLayers: Int,
                useExpertBias: Bool = true, normalizeTopK: Bool = true, routedScalingFactor: Float = 1) {
        self.numExperts = numExperts
        self.expertsPerToken = expertsPerToken
        self.expertFFNSize = expertFFNSize
        self.numDenseLayers = numDenseLayers
        self.useExpertBias = useExpertBias
        self.normalizeTopK = normalizeTopK
        self.routedScalingFactor = routedScalingFactor
    }

    func validate(layers: Int, source: String) throws {
        func bad(_ field: String, _ why: String) -> ModelError { .invalidConfig(source, field, why) }
        guard numExperts > 0 else { throw bad("num_experts", "must be positive, got \(numExperts)") }
        guard expertsPerToken > 0, expertsPerToken <= numExperts else {
            throw bad("num_experts_per_tok", "must be in 1...\(numExperts) (num_experts), got \(expertsPerToken)")
        }
        guard expertFFNSize > 0 else { throw bad("moe_intermediate_size", "must be positive, got \(expertFFNSize)") }
        guard numDenseLayers >= 0, numDenseLayers <= layers else {
            throw bad("num_dense_layers", "must be in 0...\(layers) (num_hidden_layers), got \(numDenseLayers)")
        }
        guard routedScalingFactor.isFinite else { throw bad("routed_scaling_factor", "must be finite") }
    }
}

/// An LFM2 model configuration, read from `config.json` in either key style found in real
/// checkpoints (docs/lfm2.md §1.1) or from GGUF metadata, with derived values worked out once.
/// LFM2 mixture-of-experts models (`Lfm2MoeForCausalLM`, GGUF `lfm2moe`) also set `moe`.
public struct LFM2Config: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    /// Real FFN width (derived per §1.2, or `lfm2.feed_forward_length` in GGUF).
    public var ffnSize: Int
    /// Operator of each layer.
    public var layerTypes: [LayerKind]
    /// Depthwise conv kernel length K (`conv_L_cache`).
    public var convKernel: Int
    public var convBias: Bool
    public var normEps: Float
    public var ropeTheta: Double
    /// `max_position_embeddings` as written (128000 in official files; 32,768 is the trained context).
    public var maxPositions: Int
    public var tieEmbeddings: Bool
    public var bosTokenID: Int?
    /// End-of-sequence ids (`eos_token_id` may be a list).
    public var eosTokenIDs: [Int]
    public var padTokenID: Int?
    /// Mixture-of-experts settings; nil for the dense `Lfm2ForCausalLM`.
    public var moe: MoEConfig? = nil

    /// Whether layer `i` has a sparse MoE block instead of the dense FFN.
    public func isMoELayer(_ i: Int) -> Bool { moe.map { i >= $0.numDenseLayers } ?? false }
    /// Whether any layer has a dense FFN.
    public var hasDenseFFN: Bool { moe.map { $0.numDenseLayers > 0 } ?? true }

    /// Number of attention layers.
    public var attentionLayerCount: Int { layerTypes.filter { $0 == .attention }.count }
    /// Number of conv layers.
    public var convLayerCount: Int { layerTypes.filter { $0 == .conv }.count }
    /// Width of one token's K (or V) across all KV heads.
    public var kvDim: Int { numKVHeads * headDim }

    /// The FFN width rule of transformers' `Lfm2MLP` (docs/lfm2.md §1.2).
    public static func derivedFFNSize(nominal: Int, autoAdjust: Bool, multiplier: Double?, multipleOf: Int) -> Int {
        guard autoAdjust else { return nominal }
        var f = Int((2.0 * Double(nominal)) / 3.0)
        if let m = multiplier {
            f = Int(m * Double(f))
            f = multipleOf * ((f + multipleOf - 1) / multipleOf)
        }
        return f
    }

    /// Checks the invariants the forward pass relies on.
    func validate(source: String) throws {
        func bad(_ field: String, _ why: String) -> ModelError { .invalidConfig(source, field, why) }
        guard vocabSize > 0 else { throw bad("vocab_size", "must be positive, got \(vocabSize)") }
        guard hiddenSize > 0 else { throw bad("hidden_size", "must be positive, got \(hiddenSize)") }
        guard numLayers > 0, layerTypes.count == numLayers else {
            throw bad("layer_types", "has \(layerTypes.count) entries for num_hidden_layers = \(numLayers)")
        }
        guard numHeads > 0, numKVHeads > 0, numHeads % numKVHeads == 0 else {
            throw bad("num_key_value_heads", "\(numKVHeads) must divide num_attention_heads \(numHeads)")
        }
        guard headDim > 0, headDim % 2 == 0 else { throw bad("head_dim", "must be positive and even, got \(headDim)") }
        guard convKernel >= 1 else { throw bad("conv_L_cache", "must be at least 1, got \(convKernel)") }
        guard ffnSize > 0 || !hasDenseFFN else { throw bad("intermediate_size", "derived FFN width \(ffnSize) is not positive") }
        try moe?.validate(layers: numLayers, source: source)
        guard normEps > 0, ropeTheta > 0 else { throw bad("norm_eps/rope_theta", "must be positive") }
    }
}

extension LFM2Config {
    /// Reads `config.json`. Accepts the original keys (`block_ff_dim`, `full_attn_idxs`,
    /// `rope_theta`/`theta`, `tie_embedding`, `block_norm_eps`, `num_heads`) and the transformers 5
    /// ones (`intermediate_size`, `layer_types`, `rope_parameters`, `tie_word_embeddings`).
    /// - Throws: `ModelError` naming the file and field.
    public static func load(path: String) throws -> LFM2Config {
        guard let bytes = SmallFile.bytes(path: path) else { throw ModelError.missingFile(path, "model configuration") }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)), let json = obj as? [String: Any] else {
            throw ModelError.corrupt(path, "config.json is not a JSON object")
        }
        return try parse(json, source: path)
    }

    /// Whether a JSONSerialization value is a JSON `true`/`false` (on Linux a JSON 0 or 1 also
    /// casts to Bool, so the cast cannot tell).
    static func isJSONBool(_ v: Any) -> Bool {
        if let n = v as? NSNumber { return String(cString: n.objCType) == "c" }
        return v is Bool
    }

    /// Parses a config.json object (see `load(path:)`).
    public static func parse(_ j: [String: Any], source: String) throws -> LFM2Config {
        func bad(_ f: String, _ why: String) -> ModelError { .invalidConfig(source, f, why) }
        func int(_ keys: String..., default d: Int? = nil) throws -> Int {
            for k in keys {
                guard let v = j[k], !(v is NSNull) else { continue }
                if isJSONBool(v) { throw bad(k, "expected an integer, got \(v)") }
                if let n = v as? Int { return n }
                if let d = v as? Double, d == d.rounded(), abs(d) < 1e15 { return Int(d) }
                throw bad(k, "expected an integer, got \(v)")
            }
            if let d { return d }
            throw bad(keys[0], "is required")
        }
        func double(_ keys: [String], default d: Double) throws -> Double {
            for k in keys {
                guard let v = j[k], !(v is NSNull) else { continue }
                guard let n = v as? NSNumber else { throw bad(k, "expected a number, got \(v)") }
                return n.doubleValue
            }
            return d
        }
        func bool(_ keys: [String], default d: Bool) throws -> Bool {
            for k in keys {
                guard let v = j[k], !(v is NSNull) else { continue }
                guard let b = v as? Bool else { throw bad(k, "expected a boolean, got \(v)") }
                return b
            }
            return d
        }

        let arch = (j["architectures"] as? [String])?.first
        if let arch, arch != "Lfm2ForCausalLM", arch != "Lfm2MoeForCausalLM" {
            throw ModelError.unknownArchitecture(source, arch)
        }
        let modelType = j["model_type"] as? String
        if let mt = modelType, mt != "lfm2", mt != "lfm2_moe" { throw ModelError.unknownArchitecture(source, mt) }
        let isMoE = arch == "Lfm2MoeForCausalLM" || modelType == "lfm2_moe"

        let hidden = try int("hidden_size", "block_dim", default: 2560)
        let layers = try int("num_hidden_layers", default: 32)
        let heads = try int("num_attention_heads", "num_heads", default: 32)
        // transformers' Lfm2MoeMLP uses intermediate_size as written (no auto-adjust).
        let nominal = isMoE ? try int("intermediate_size", "block_ff_dim", default: 7168) : try int("block_ff_dim", "intermediate_size", default: 12288)
        let auto = isMoE ? false : try bool(["block_auto_adjust_ff_dim"], default: true)
        let multiplier: Double? = (j["block_ffn_dim_multiplier"] is NSNull) ? nil : try double(["block_ffn_dim_multiplier"], default: 1.0)
        let multipleOf = try int("block_multiple_of", default: 256)
        guard multipleOf > 0 else { throw bad("block_multiple_of", "must be positive") }

        var types: [LayerKind]
        if let lt = j["layer_types"], !(lt is NSNull) {
            guard let list = lt as? [String] else { throw bad("layer_types", "expected a list of strings") }
            types = list.map { $0 == "conv" ? .conv : .attention }
        } else if let idx = j["full_attn_idxs"], !(idx is NSNull) {
            guard let list = idx as? [Int] else { throw bad("full_attn_idxs", "expected a list of integers") }
            guard list.allSatisfy({ $0 >= 0 && $0 < layers }) else { throw bad("full_attn_idxs", "index out of range 0..<\(layers)") }
            types = (0..<layers).map { list.contains($0) ? .attention : .conv }
        } else {
            types = Array(repeating: .attention, count: layers)   // transformers' default when both are absent
        }

        var theta = try double(["rope_theta", "theta"], default: 1_000_000)
        if let rp = j["rope_parameters"] as? [String: Any] {
            if let t = rp["rope_theta"] as? NSNumber { theta = t.doubleValue }
            if let rt = rp["rope_type"] as? String, rt != "default" { throw bad("rope_parameters.rope_type", "'\(rt)' is not supported (only default RoPE)") }
        }
        var eos: [Int] = []
        if let e = j["eos_token_id"] as? Int { eos = [e] } else if let e = j["eos_token_id"] as? [Int] { eos = e }
        let tie: Bool
        if let t = j["tie_embedding"] as? Bool { tie = t } else { tie = try bool(["tie_word_embeddings"], default: true) }

        var moe: MoEConfig? = nil
        if isMoE {
            // Defaults are transformers' Lfm2MoeConfig defaults (the LFM2-8B-A1B shape).
            moe = MoEConfig(numExperts: try int("num_experts", "num_local_experts", default: 32),
                            expertsPerToken: try int("num_experts_per_tok", "num_experts_per_token", default: 4),
                            expertFFNSize: try int("moe_intermediate_size", default: 1792),
                            numDenseLayers: try int("num_dense_layers", default: 2),
                            useExpertBias: try bool(["use_expert_bias"], default: true),
                            normalizeTopK: try bool(["norm_topk_prob"], default: true),
                            routedScalingFactor: Float(try double(["routed_scaling_factor"], default: 1.0)))
        }
        var config = LFM2Config(
            vocabSize: try int("vocab_size", default: 65536), hiddenSize: hidden, numLayers: layers,
            numHeads: heads, numKVHeads: try int("num_key_value_heads", default: 8),
            headDim: try int("head_dim", default: heads > 0 ? hidden / heads : 0),
            ffnSize: derivedFFNSize(nominal: nominal, autoAdjust: auto, multiplier: multiplier, multipleOf: multipleOf),
            layerTypes: types, convKernel: try int("conv_L_cache", "conv_l_cache", default: 3),
            convBias: try bool(["conv_bias"], default: false),
            normEps: Float(try double(["norm_eps", "block_norm_eps"], default: 1e-5)), ropeTheta: theta,
            maxPositions: try int("max_position_embeddings", default: 128000), tieEmbeddings: tie,
            bosTokenID: j["bos_token_id"] as? Int, eosTokenIDs: eos, padTokenID: j["pad_token_id"] as? Int)
        config.moe = moe
        try config.validate(source: source)
        return config
    }
}
