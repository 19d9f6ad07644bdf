extension LFM2Config {
    /// Reads the `lfm2.*` metadata llama.cpp's converter writes (docs/lfm2.md §4.3), or the
    /// `lfm2moe.*` metadata of its mixture-of-experts arch (docs/lfm2.md). The layer type comes
    /// from `<arch>.attention.head_count_kv[i]` (0 = conv layer).
    /// - Throws: `ModelError` naming the file and metadata key.
    public static func fromGGUF(_ g: GGUFFile) throws -> LFM2Config {
        let path = g.file.path
        let arch = g.metadata["general.architecture"]?.stringValue ?? "?"
        guard arch == "lfm2" || arch == "lfm2moe" else { throw ModelError.unknownArchitecture(path, arch) }
        let prefix = arch + "."
        func int(_ key: String, default d: Int? = nil) throws -> Int {
            if let v = g.metadata[prefix + key] {
                guard let i = v.intValue else { throw ModelError.invalidConfig(path, prefix + key, "expected an integer") }
                return i
            }
            if let d { return d }
            throw ModelError.invalidConfig(path, prefix + key, "is required")
        }
        func double(_ key: String, default d: Double) throws -> Double {
            guard let v = g.metadata[prefix + key] else { return d }
            guard let x = v.doubleValue else { throw ModelError.invalidConfig(path, prefix + key, "expected a number") }
            return x
        }
        func bool(_ key: String, default d: Bool) throws -> Bool {
            guard let v = g.metadata[prefix + key] else { return d }
            if case .bool(let b) = v { return b }
            guard let i = v.intValue else { throw ModelError.invalidConfig(path, prefix + key, "expected a boolean") }
            return i != 0
        }
        let layers = try int("block_count")
        guard (1...100_000).contains(layers) else {   // untrusted: bounds the per-layer arrays below
            throw ModelError.invalidConfig(path, "lfm2.block_count", "\(layers) is not a plausible layer count")
        }
        let heads = try int("attention.head_count")
        let hidden = try int("embedding_length")
        let kvHeads: [Int]
        let kvKey = prefix + "attention.head_count_kv"
        switch g.metadata[kvKey] {
        case .array(let a)?:
            kvHeads = try a.map {
                guard let i = $0.intValue else { throw ModelError.invalidConfig(path, kvKey, "expected integers") }
                return i
            }
        case let v?:
            guard let i = v.intValue else { throw ModelError.invalidConfig(path, kvKey, "expected an integer or array") }
            kvHeads = Array(repeating: i, count: layers)
        case nil:
            throw ModelError.invalidConfig(path, kvKey, "is required")
        }
        guard kvHeads.count == layers else {
            throw ModelError.invalidConfig(path, kvKey, "has \(kvHeads.count) entries for \(layers) layers")
        }
        let attnKV = Set(kvHeads.filter { $0 > 0 })
        guard attnKV.count <= 1 else { throw ModelError.invalidConfig(path, kvKey, "differs between attention layers") }
        var moe: MoEConfig? = nil
        if arch == "lfm2moe" {
            // llama.cpp's lfm2moe graph: sigmoid gating (the only function this engine runs),
            // weights always normalised, scaled by expert_weights_scale when present (the
            // converter writes neither key; 0 means no scaling, as in llama.cpp).
            let gating = try int("expert_gating_func", default: 2)
            guard gating == 2 else {
                throw ModelError.invalidConfig(path, prefix + "expert_gating_func", "\(gating) is not supported (only 2 = sigmoid)")
            }
            let scale = try double("expert_weights_scale", default: 0)
            let experts = try int("expert_count")
            moe = MoEConfig(numExperts: experts, expertsPerToken: try int("expert_used_count"),
                            expertFFNSize: try int("expert_feed_forward_length"),
                            numDenseLayers: try int("leading_dense_block_count", default: 0),
                            useExpertBias: g.tensors.keys.contains { $0.hasSuffix(".exp_probs_b.bias") },
                            normalizeTopK: try bool("expert_weights_norm", default: true),
                            routedScalingFactor: scale == 0 ? 1 : Float(scale))
        }
        let vocab = try int("vocab_size", default: g.tensors["token_embd.weight"]?.rows ?? 0)
        var config = LFM2Config(
            vocabSize: vocab, hiddenSize: hidden, numLayers: layers, numHeads: heads,
            numKVHeads: attnKV.first ?? heads, headDim: try int("attention.key_length", default: heads > 0 ? hidden / heads : 0),
            ffnSize: try int("feed_forward_length", default: moe?.expertFFNSize), layerTypes: kvHeads.map { $0 == 0 ? .conv : .attention },
            convKernel: try int("shortconv.l_cache"), convBias: g.tensors["blk.0.shortconv.in_proj.bias"] != nil
                || g.tensors.keys.contains { $0.hasSuffix("shortconv.in_proj.bias") },
            normEps: Float(try double("attention.layer_norm_rms_epsilon", default: 1e-5)),
            ropeTheta: try double("rope.freq_base", default: 1_000_000), maxPositions: try int("context_length", default: 128000),
            tieEmbeddings: g.tensors["output.weight"] == nil,
            bosTokenID: g.metadata["tokenizer.ggml.bos_token_id"]?.intValue,
            eosTokenIDs: g.metadata["tokenizer.ggml.eos_token_id"]?.intValue.map { [$0] } ?? [],
            padTokenID: g.metadata["tokenizer.ggml.padding_token_id"]?.intValue)
        config.moe = moe
        try config.validate(source: path)
        return config
    }
}
