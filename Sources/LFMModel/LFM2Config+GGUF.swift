extension LFM2Config {
    /// Reads the `lfm2.*` metadata llama.cpp's converter writes (lfm2-spec §4.3). The layer type
    /// comes from `lfm2.attention.head_count_kv[i]` (0 = conv layer).
    /// - Throws: `ModelError` naming the file and metadata key.
    public static func fromGGUF(_ g: GGUFFile) throws -> LFM2Config {
        let path = g.file.path
        let arch = g.metadata["general.architecture"]?.stringValue ?? "?"
        guard arch == "lfm2" else { throw ModelError.unknownArchitecture(path, arch) }
        func int(_ key: String, default d: Int? = nil) throws -> Int {
            if let v = g.metadata["lfm2." + key] {
                guard let i = v.intValue else { throw ModelError.invalidConfig(path, "lfm2." + key, "expected an integer") }
                return i
            }
            if let d { return d }
            throw ModelError.invalidConfig(path, "lfm2." + key, "is required")
        }
        func double(_ key: String, default d: Double) throws -> Double {
            guard let v = g.metadata["lfm2." + key] else { return d }
            guard let x = v.doubleValue else { throw ModelError.invalidConfig(path, "lfm2." + key, "expected a number") }
            return x
        }
        let layers = try int("block_count")
        guard (1...100_000).contains(layers) else {   // untrusted: bounds the per-layer arrays below
            throw ModelError.invalidConfig(path, "lfm2.block_count", "\(layers) is not a plausible layer count")
        }
        let heads = try int("attention.head_count")
        let hidden = try int("embedding_length")
        let kvHeads: [Int]
        switch g.metadata["lfm2.attention.head_count_kv"] {
        case .array(let a)?:
            kvHeads = try a.map {
                guard let i = $0.intValue else { throw ModelError.invalidConfig(path, "lfm2.attention.head_count_kv", "expected integers") }
                return i
            }
        case let v?:
            guard let i = v.intValue else { throw ModelError.invalidConfig(path, "lfm2.attention.head_count_kv", "expected an integer or array") }
            kvHeads = Array(repeating: i, count: layers)
        case nil:
            throw ModelError.invalidConfig(path, "lfm2.attention.head_count_kv", "is required")
        }
        guard kvHeads.count == layers else {
            throw ModelError.invalidConfig(path, "lfm2.attention.head_count_kv", "has \(kvHeads.count) entries for \(layers) layers")
        }
        let attnKV = Set(kvHeads.filter { $0 > 0 })
        guard attnKV.count <= 1 else { throw ModelError.invalidConfig(path, "lfm2.attention.head_count_kv", "differs between attention layers") }
        let vocab = try int("vocab_size", default: g.tensors["token_embd.weight"]?.rows ?? 0)
        let config = LFM2Config(
            vocabSize: vocab, hiddenSize: hidden, numLayers: layers, numHeads: heads,
            numKVHeads: attnKV.first ?? heads, headDim: try int("attention.key_length", default: heads > 0 ? hidden / heads : 0),
            ffnSize: try int("feed_forward_length"), layerTypes: kvHeads.map { $0 == 0 ? .conv : .attention },
            convKernel: try int("shortconv.l_cache"), convBias: g.tensors["blk.0.shortconv.in_proj.bias"] != nil
                || g.tensors.keys.contains { $0.hasSuffix("shortconv.in_proj.bias") },
            normEps: Float(try double("attention.layer_norm_rms_epsilon", default: 1e-5)),
            ropeTheta: try double("rope.freq_base", default: 1_000_000), maxPositions: try int("context_length", default: 128000),
            tieEmbeddings: g.tensors["output.weight"] == nil,
            bosTokenID: g.metadata["tokenizer.ggml.bos_token_id"]?.intValue,
            eosTokenIDs: g.metadata["tokenizer.ggml.eos_token_id"]?.intValue.map { [$0] } ?? [],
            padTokenID: g.metadata["tokenizer.ggml.padding_token_id"]?.intValue)
        try config.validate(source: path)
        return config
    }
}
