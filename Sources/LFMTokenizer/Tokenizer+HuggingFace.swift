import Foundation

extension Tokenizer {
    /// Loads `tokenizer.json` (required) and `tokenizer_config.json` (optional) from a
    /// Hugging Face model folder.
    /// - Throws: `TokenizerError` naming the file and the field for a missing file, malformed
    ///   JSON, or a component LFMServe does not implement (model type, normalizer, pre-tokenizer).
    public static func load(directory: URL) throws -> Tokenizer {
        let tokURL = directory.appendingPathComponent("tokenizer.json")
        let cfgURL = directory.appendingPathComponent("tokenizer_config.json")
        let cfg = FileManager.default.fileExists(atPath: cfgURL.path) ? try readJSON(cfgURL) : [:]
        return try load(tokenizerJSON: tokURL, config: cfg, configName: cfgURL.path)
    }

    /// Loads a tokenizer.json file with an already-parsed tokenizer_config object.
    public static func load(tokenizerJSON url: URL, config: [String: Any] = [:], configName: String = "tokenizer_config.json") throws -> Tokenizer {
        let file = url.path
        let root = try readJSON(url)
        guard let model = root["model"] as? [String: Any] else { throw TokenizerError.invalid(file, "field 'model' is missing") }
        let type = model["type"] as? String ?? "?"
        guard type == "BPE" else { throw TokenizerError.unsupported(file, "model type '\(type)' (only BPE)") }
        if model["byte_fallback"] as? Bool == true { throw TokenizerError.unsupported(file, "model.byte_fallback = true") }
        if let p = model["continuing_subword_prefix"], !(p is NSNull) { throw TokenizerError.unsupported(file, "model.continuing_subword_prefix") }
        if let p = model["end_of_word_suffix"], !(p is NSNull) { throw TokenizerError.unsupported(file, "model.end_of_word_suffix") }
        if let n = root["normalizer"], !(n is NSNull) {
            throw TokenizerError.unsupported(file, "normalizer '\((n as? [String: Any])?["type"] ?? "?")'")
        }
        try checkPreTokenizer(root["pre_tokenizer"], file)
        try checkDecoder(root["decoder"], file)

        guard let vocabAny = model["vocab"] as? [String: Any] else { throw TokenizerError.invalid(file, "field 'model.vocab' is missing or not an object") }
        var vocab: [String: Int32] = [:]
        vocab.reserveCapacity(vocabAny.count)
        for (k, v) in vocabAny {
            guard let id = (v as? NSNumber)?.int32Value, id >= 0 else { throw TokenizerError.invalid(file, "model.vocab['\(k)'] is not a non-negative integer") }
            vocab[k] = id
        }
        guard let mergesAny = model["merges"] as? [Any] else { throw TokenizerError.invalid(file, "field 'model.merges' is missing") }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergesAny.count)
        for (i, m) in mergesAny.enumerated() {
            if let pair = m as? [String], pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else if let s = m as? String, let sp = s.firstIndex(of: " ") {
                merges.append((String(s[..<sp]), String(s[s.index(after: sp)...])))
            } else {
                throw TokenizerError.invalid(file, "model.merges[\(i)] is neither \"a b\" nor [a, b]")
            }
        }

        // Added tokens; tokenizer_config's added_tokens_decoder may override the special flag.
        let overrides = config["added_tokens_decoder"] as? [String: Any] ?? [:]
        var added: [(entry: AddedTokenMatcher.Entry, special: Bool, normalized: Bool)] = []
        for (i, a) in (root["added_tokens"] as? [[String: Any]] ?? []).enumerated() {
            guard let id = (a["id"] as? NSNumber)?.int32Value, let content = a["content"] as? String else {
                throw TokenizerError.invalid(file, "added_tokens[\(i)] lacks 'id' or 'content'")
            }
            if a["single_word"] as? Bool == true { throw TokenizerError.unsupported(file, "added_tokens[\(i)].single_word = true") }
            var isSpecial = a["special"] as? Bool ?? false
            if let o = overrides[String(id)] as? [String: Any], let s = o["special"] as? Bool { isSpecial = s }
            let normalized = a["normalized"] as? Bool ?? !isSpecial
            added.append((AddedTokenMatcher.Entry(content: content, id: id, lstrip: a["lstrip"] as? Bool ?? false,
                                                  rstrip: a["rstrip"] as? Bool ?? false),
                          isSpecial, normalized))
        }

        let templateBOS = bosFromPostProcessor(root["post_processor"])
        let bos = tokenString(config["bos_token"]) ?? templateBOS
        let addBOS = (config["add_bos_token"] as? Bool) ?? (templateBOS != nil)
        return try Tokenizer(Parts(vocab: vocab, merges: merges, added: added, bosToken: bos,
                                   eosToken: tokenString(config["eos_token"]), padToken: tokenString(config["pad_token"]),
                                   addBOS: addBOS, source: file))
    }

    /// A special token given as a string or as an AddedToken object `{"content": ...}`.
    static func tokenString(_ v: Any?) -> String? {
        if let s = v as? String { return s }
        if let d = v as? [String: Any] { return d["content"] as? String }
        return nil
    }

    static func readJSON(_ url: URL) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw TokenizerError.missingFile(url.path) }
        let obj: Any
        do { obj = try JSONSerialization.jsonObject(with: data) } catch {
            throw TokenizerError.invalid(url.path, "not valid JSON (\(error.localizedDescription))")
        }
        guard let dict = obj as? [String: Any] else { throw TokenizerError.invalid(url.path, "top level is not a JSON object") }
        return dict
    }

    private static func checkPreTokenizer(_ p: Any?, _ file: String) throws {
        guard let p = p as? [String: Any] else { throw TokenizerError.unsupported(file, "pre_tokenizer (missing)") }
        let steps: [[String: Any]] = (p["type"] as? String == "Sequence") ? (p["pretokenizers"] as? [[String: Any]] ?? []) : [p]
        let ok = steps.count == 2
            && steps[0]["type"] as? String == "Split"
            && (steps[0]["pattern"] as? [String: Any])?["Regex"] as? String == PreTokenizer.pattern
            && steps[0]["behavior"] as? String == "Isolated"
            && steps[0]["invert"] as? Bool != true
            && steps[1]["type"] as? String == "ByteLevel"
            && steps[1]["use_regex"] as? Bool == false
            && steps[1]["add_prefix_space"] as? Bool != true
        if !ok {
            let desc = steps.map { ($0["type"] as? String) ?? "?" }.joined(separator: "+")
            throw TokenizerError.unsupported(file, "pre_tokenizer '\(desc)' (only LFM2's Split(Llama-3 regex, Isolated) + ByteLevel)")
        }
    }

    private static func checkDecoder(_ d: Any?, _ file: String) throws {
        guard let d = d as? [String: Any] else { throw TokenizerError.unsupported(file, "decoder (missing)") }
        let steps: [[String: Any]] = (d["type"] as? String == "Sequence") ? (d["decoders"] as? [[String: Any]] ?? []) : [d]
        guard steps.count == 1, steps[0]["type"] as? String == "ByteLevel" else {
            throw TokenizerError.unsupported(file, "decoder '\(steps.map { ($0["type"] as? String) ?? "?" }.joined(separator: "+"))' (only ByteLevel)")
        }
    }

    /// The special token a TemplateProcessing post-processor puts before a single sequence.
    private static func bosFromPostProcessor(_ p: Any?) -> String? {
        guard let p = p as? [String: Any] else { return nil }
        if p["type"] as? String == "Sequence" {
            for q in p["processors"] as? [Any] ?? [] { if let b = bosFromPostProcessor(q) { return b } }
            return nil
        }
        guard p["type"] as? String == "TemplateProcessing", let single = p["single"] as? [[String: Any]],
              let first = single.first, let st = first["SpecialToken"] as? [String: Any] else { return nil }
        return st["id"] as? String
    }
}
