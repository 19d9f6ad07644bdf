extension Tokenizer {
    /// GGUF token types (`tokenizer.ggml.token_type`).
    public enum GGUFTokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// Builds a tokenizer from GGUF metadata (`tokenizer.ggml.*`), as llama.cpp's converter
    /// writes it for `tokenizer.ggml.model = "gpt2"` with `pre = "lfm2"`. CONTROL tokens
    /// become special added tokens, USER_DEFINED tokens non-special added tokens (matched in
    /// raw text like `python`), UNUSED filler ids are left undefined.
    /// - Throws: `TokenizerError` naming the metadata key that is wrong.
    public static func fromGGUF(model: String, pre: String?, tokens: [String], types: [Int32], merges: [String],
                                bosID: Int?, eosID: Int?, padID: Int?, addBOS: Bool, source: String) throws -> Tokenizer {
        guard model == "gpt2" else { throw TokenizerError.unsupported(source, "tokenizer.ggml.model '\(model)' (only gpt2 byte-level BPE)") }
        if let pre, pre != "lfm2" && pre != "llama-bpe" {
            throw TokenizerError.unsupported(source, "tokenizer.ggml.pre '\(pre)' (only lfm2)")
        }
        guard types.isEmpty || types.count == tokens.count else {
            throw TokenizerError.invalid(source, "tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
        }
        var vocab: [String: Int32] = [:]
        var added: [(entry: AddedTokenMatcher.Entry, special: Bool, normalized: Bool)] = []
        for (i, t) in tokens.enumerated() {
            let type = types.isEmpty ? GGUFTokenType.normal : GGUFTokenType(rawValue: types[i]) ?? .normal
            switch type {
            case .unused: continue
            case .control, .userDefined:
                // Added tokens stay in the vocabulary too: merges may produce them (e.g. "Math ias").
                added.append((AddedTokenMatcher.Entry(content: t, id: Int32(i), lstrip: false, rstrip: false),
                              type == .control, type == .userDefined))
                vocab[t] = Int32(i)
            default: vocab[t] = Int32(i)
            }
        }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(merges.count)
        for (i, m) in merges.enumerated() {
            guard let sp = m.firstIndex(of: " ") else { throw TokenizerError.invalid(source, "tokenizer.ggml.merges[\(i)] has no space") }
            pairs.append((String(m[..<sp]), String(m[m.index(after: sp)...])))
        }
        func name(_ id: Int?) -> String? { id.flatMap { $0 >= 0 && $0 < tokens.count ? tokens[$0] : nil } }
        return try Tokenizer(Parts(vocab: vocab, merges: pairs, added: added, bosToken: name(bosID),
                                   eosToken: name(eosID), padToken: name(padID), addBOS: addBOS, source: source))
    }
}
