import Foundation

/// A loaded LFM2 checkpoint: configuration plus weights, from a Hugging Face folder
/// (`config.json` + `model.safetensors` or shards with `model.safetensors.index.json`)
/// or a GGUF file. Weights are memory-mapped and used in place.
public struct Checkpoint: Sendable {
    /// Where the weights come from.
    public enum Format: Sendable, Equatable {
        case safetensors
        case gguf
    }

    public let path: String
    public let format: Format
    public let config: LFM2Config
    public let weights: LFM2Weights
    /// Total bytes of the weight files.
    public let fileBytes: Int
    /// The GGUF file (for its tokenizer metadata and chat template), if loaded from one.
    public let gguf: GGUFFile?
    /// Tensor storage types and how many tensors use each (e.g. ["BF16": 120]).
    public let typeCounts: [String: Int]

    /// Loads a folder or a `.gguf` file.
    /// - Throws: `ModelError` naming the file and what is wrong.
    public static func load(path: String) throws -> Checkpoint {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ModelError.missingFile(path, "model folder or .gguf file")
        }
        return isDir.boolValue ? try loadFolder(path) : try loadGGUF(path)
    }

    static func loadFolder(_ dir: String) throws -> Checkpoint {
        let url = URL(fileURLWithPath: dir)
        var config = try LFM2Config.load(path: url.appendingPathComponent("config.json").path)
        let single = url.appendingPathComponent("model.safetensors").path
        let index = url.appendingPathComponent("model.safetensors.index.json").path
        var files: [SafetensorsFile] = []
        if FileManager.default.fileExists(atPath: single) {
            files = [try SafetensorsFile(path: single)]
        } else if FileManager.default.fileExists(atPath: index) {
            guard let data = FileManager.default.contents(atPath: index),
                  let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = obj["weight_map"] as? [String: String] else {
                throw ModelError.corrupt(index, "no 'weight_map' object")
            }
            for shard in Set(map.values).sorted() {
                guard !shard.contains("/") else { throw ModelError.corrupt(index, "shard name '\(shard)' must be a file name") }
                files.append(try SafetensorsFile(path: url.appendingPathComponent(shard).path))
            }
        } else {
            throw ModelError.missingFile(single, "weights (model.safetensors or model.safetensors.index.json)")
        }
        var tensors: [String: Tensor] = [:]
        for f in files { tensors.merge(f.tensors) { a, _ in a } }
        let weights = try LFM2Weights.build(tensors, config: &config, source: dir)
        return Checkpoint(path: dir, format: .safetensors, config: config, weights: weights,
                          fileBytes: files.reduce(0) { $0 + $1.file.count }, gguf: nil,
                          typeCounts: Dictionary(tensors.values.map { ($0.type.name, 1) }, uniquingKeysWith: +))
    }

    static func loadGGUF(_ path: String) throws -> Checkpoint {
        let g = try GGUFFile(path: path)
        var config = try LFM2Config.fromGGUF(g)
        var tensors: [String: Tensor] = [:]
        for (name, t) in g.tensors {
            guard let hf = hfName(forGGUF: name) else { continue }
            tensors[hf] = t
        }
        let weights = try LFM2Weights.build(tensors, config: &config, source: path)
        return Checkpoint(path: path, format: .gguf, config: config, weights: weights, fileBytes: g.file.count, gguf: g,
                          typeCounts: Dictionary(g.tensors.values.map { ($0.type.name, 1) }, uniquingKeysWith: +))
    }

    /// llama.cpp's `lfm2` / `lfm2moe` tensor names → Hugging Face names (docs/lfm2.md §4.2; the
    /// stacked expert tensors keep their stacking under the converter's merged name, docs/lfm2.md).
    static func hfName(forGGUF name: String) -> String? {
        switch name {
        case "token_embd.weight": return "model.embed_tokens.weight"
        case "token_embd_norm.weight": return "model.embedding_norm.weight"   // the FINAL norm
        case "output.weight": return "lm_head.weight"
        default: break
        }
        let parts = name.split(separator: ".", maxSplits: 2)
        guard parts.count == 3, parts[0] == "blk", let i = Int(parts[1]) else { return nil }
        let suffix: [Substring: String] = [
            "attn_norm.weight": "operator_norm.weight", "ffn_norm.weight": "ffn_norm.weight",
            "ffn_gate.weight": "feed_forward.w1.weight", "ffn_up.weight": "feed_forward.w3.weight",
            "ffn_down.weight": "feed_forward.w2.weight",
            "shortconv.in_proj.weight": "conv.in_proj.weight", "shortconv.out_proj.weight": "conv.out_proj.weight",
            "shortconv.conv.weight": "conv.conv.weight", "shortconv.in_proj.bias": "conv.in_proj.bias",
            "shortconv.out_proj.bias": "conv.out_proj.bias", "shortconv.conv.bias": "conv.conv.bias",
            "attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight",
            "attn_v.weight": "self_attn.v_proj.weight", "attn_output.weight": "self_attn.out_proj.weight",
            "attn_q_norm.weight": "self_attn.q_layernorm.weight", "attn_k_norm.weight": "self_attn.k_layernorm.weight",
            "ffn_gate_inp.weight": "feed_forward.gate.weight", "exp_probs_b.bias": "feed_forward.expert_bias",
            "ffn_gate_exps.weight": "feed_forward.experts.w1.weight", "ffn_up_exps.weight": "feed_forward.experts.w3.weight",
            "ffn_down_exps.weight": "feed_forward.experts.w2.weight",
        ]
        guard let s = suffix[parts[2]] else { return nil }
        return "model.layers.\(i).\(s)"
    }

    /// Parameter count (tied embeddings counted once).
    public var parameterCount: Int {
        var n = weights.embedding.count + weights.finalNorm.count + (weights.lmHead?.count ?? 0)
        for l in weights.layers {
            n += l.operatorNorm.count + l.ffnNorm.count + (l.w1?.count ?? 0) + (l.w2?.count ?? 0) + (l.w3?.count ?? 0)
            if let m = l.moe {
                n += m.router.count + (m.expertBias?.count ?? 0) + m.experts.reduce(0) { $0 + $1.w1.count + $1.w3.count + $1.w2.count }
            }
            n += (l.inProj?.count ?? 0) + (l.outProj?.count ?? 0) + l.convTaps.count
            n += (l.inProjBias?.count ?? 0) + (l.convBias?.count ?? 0) + (l.outProjBias?.count ?? 0)
            n += (l.q?.count ?? 0) + (l.k?.count ?? 0) + (l.v?.count ?? 0) + (l.o?.count ?? 0) + l.qNorm.count + l.kNorm.count
        }
        return n
    }
}
