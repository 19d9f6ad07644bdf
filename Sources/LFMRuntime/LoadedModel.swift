import Foundation
import LFMModel
import LFMTokenizer

/// A checkpoint together with its tokenizer and chat template, ready to run: what
/// `lfm-serve` loads from `--model` (a Hugging Face folder or a GGUF file).
public struct LoadedModel: Sendable {
    public let checkpoint: Checkpoint
    public let tokenizer: Tokenizer
    /// The Jinja chat template source shipped with the model, if any.
    public let chatTemplateSource: String?
    /// Ids that end generation: the config's EOS ids, the tokenizer's EOS and `<|endoftext|>`.
    public let stopTokenIDs: Set<Int>

    /// Loads weights, tokenizer and chat template.
    /// - Throws: `ModelError` / `TokenizerError` naming the file and field.
    public static func load(path: String) throws -> LoadedModel {
        let ckpt = try Checkpoint.load(path: path)
        let tokenizer: Tokenizer
        var template: String?
        if let g = ckpt.gguf {
            tokenizer = try tokenizerFromGGUF(g)
            template = g.metadata["tokenizer.chat_template"]?.stringValue
        } else {
            let dir = URL(fileURLWithPath: path)
            tokenizer = try Tokenizer.load(directory: dir)
            let jinja = dir.appendingPathComponent("chat_template.jinja")
            if let t = try? String(contentsOf: jinja, encoding: .utf8) {
                template = t
            } else if let data = FileManager.default.contents(atPath: dir.appendingPathComponent("tokenizer_config.json").path),
                      let cfg = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                if let t = cfg["chat_template"] as? String {
                    template = t
                } else if let list = cfg["chat_template"] as? [[String: Any]] {
                    template = (list.first { $0["name"] as? String == "default" } ?? list.first)?["template"] as? String
                }
            }
        }
        var stops = Set(ckpt.config.eosTokenIDs)
        if let e = tokenizer.eosTokenID { stops.insert(e) }
        if let e = tokenizer.id(forToken: "<|endoftext|>") { stops.insert(e) }
        if let e = tokenizer.id(forToken: "<|im_end|>") { stops.insert(e) }
        return LoadedModel(checkpoint: ckpt, tokenizer: tokenizer, chatTemplateSource: template, stopTokenIDs: stops)
    }

    /// Builds the tokenizer stored in GGUF metadata (`tokenizer.ggml.*`).
    static func tokenizerFromGGUF(_ g: GGUFFile) throws -> Tokenizer {
        let path = g.file.path
        guard let model = g.metadata["tokenizer.ggml.model"]?.stringValue else {
            throw TokenizerError.invalid(path, "GGUF metadata 'tokenizer.ggml.model' is missing: the file has no tokenizer")
        }
        func strings(_ key: String) throws -> [String] {
            guard let a = g.metadata[key]?.arrayValue else { throw TokenizerError.invalid(path, "GGUF metadata '\(key)' is missing") }
            return try a.map {
                guard let s = $0.stringValue else { throw TokenizerError.invalid(path, "GGUF metadata '\(key)' holds a non-string") }
                return s
            }
        }
        let types = (g.metadata["tokenizer.ggml.token_type"]?.arrayValue ?? []).map { Int32($0.intValue ?? 1) }
        return try Tokenizer.fromGGUF(model: model, pre: g.metadata["tokenizer.ggml.pre"]?.stringValue,
                                      tokens: try strings("tokenizer.ggml.tokens"), types: types,
                                      merges: try strings("tokenizer.ggml.merges"),
                                      bosID: g.metadata["tokenizer.ggml.bos_token_id"]?.intValue,
                                      eosID: g.metadata["tokenizer.ggml.eos_token_id"]?.intValue,
                                      padID: g.metadata["tokenizer.ggml.padding_token_id"]?.intValue,
                                      addBOS: g.metadata["tokenizer.ggml.add_bos_token"]?.boolValue ?? true, source: path)
    }
}
