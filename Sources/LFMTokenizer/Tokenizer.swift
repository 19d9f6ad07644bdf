/// The LFM2 byte-level BPE tokenizer, identical in ids to Hugging Face `tokenizers` for
/// LFM2 / LFM2.5 `tokenizer.json` files.
///
/// Encoding follows `tokenizers`' pipeline: added tokens are cut out of the raw text first
/// (non-normalized ones, then normalized ones; leftmost-longest), the remaining text is
/// split by the LFM2 pre-tokenizer, each piece is byte-level BPE encoded, and the
/// post-processor prepends BOS when special tokens are requested. Special-token text that
/// appears inside user content therefore becomes the special token (transformers does the
/// same when it tokenizes a rendered chat prompt; see docs/api.md).
public final class Tokenizer: Sendable {
    let model: BPEModel
    let preTokenizer = PreTokenizer()
    let firstPass: AddedTokenMatcher
    let secondPass: AddedTokenMatcher
    /// Decoded bytes of every id (nil where the id has no token).
    let idBytes: [[UInt8]?]
    let special: [Bool]
    let tokenToID: [String: Int32]
    let idToToken: [String?]

    /// Id of the beginning-of-sequence token, if the tokenizer has one.
    public let bosTokenID: Int?
    /// Whether `encode(_:addSpecialTokens: true)` prepends BOS (post-processor / `add_bos_token`).
    public let addsBOS: Bool
    /// The BOS token text (e.g. `<|startoftext|>`), passed to chat templates.
    public let bosToken: String?
    /// The EOS token text (e.g. `<|im_end|>`), passed to chat templates.
    public let eosToken: String?
    /// Id of the EOS token (`<|im_end|>` = 7 for LFM2).
    public let eosTokenID: Int?
    /// Id of the padding token.
    public let padTokenID: Int?

    /// Everything a tokenizer is made of, independent of the file format it came from.
    struct Parts {
        var vocab: [String: Int32]
        var merges: [(String, String)]
        var added: [(entry: AddedTokenMatcher.Entry, special: Bool, normalized: Bool)]
        var bosToken: String?
        var eosToken: String?
        var padToken: String?
        var addBOS: Bool
        var source: String
    }

    init(_ parts: Parts) throws {
        model = try BPEModel(vocab: parts.vocab, merges: parts.merges, source: parts.source)
        firstPass = AddedTokenMatcher(parts.added.filter { !$0.normalized }.map(\.entry))
        secondPass = AddedTokenMatcher(parts.added.filter { $0.normalized }.map(\.entry))
        var maxID = parts.vocab.values.max() ?? -1
        for a in parts.added { maxID = max(maxID, a.entry.id) }
        var bytes = [[UInt8]?](repeating: nil, count: Int(maxID) + 1)
        var names = [String?](repeating: nil, count: Int(maxID) + 1)
        var isSpecial = [Bool](repeating: false, count: Int(maxID) + 1)
        var lookup = parts.vocab
        for (token, id) in parts.vocab {
            bytes[Int(id)] = ByteLevel.decode(token)
            names[Int(id)] = token
        }
        for a in parts.added {
            let id = Int(a.entry.id)
            bytes[id] = ByteLevel.decode(a.entry.content)
            names[id] = a.entry.content
            isSpecial[id] = a.special
            lookup[a.entry.content] = a.entry.id
        }
        idBytes = bytes
        idToToken = names
        special = isSpecial
        tokenToID = lookup
        bosToken = parts.bosToken
        eosToken = parts.eosToken
        bosTokenID = parts.bosToken.flatMap { lookup[$0] }.map(Int.init)
        eosTokenID = parts.eosToken.flatMap { lookup[$0] }.map(Int.init)
        padTokenID = parts.padToken.flatMap { lookup[$0] }.map(Int.init)
        addsBOS = parts.addBOS && bosTokenID != nil
    }

    /// Number of ids the tokenizer defines (one past the largest id).
    public var vocabularySize: Int { idBytes.count }

    /// Encodes text to ids. With `addSpecialTokens`, BOS is prepended when the tokenizer adds one.
    /// Do not add special tokens to a rendered chat prompt: LFM2 templates emit BOS themselves.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 2)
        if addSpecialTokens && addsBOS, let bos = bosTokenID { out.append(Int32(bos)) }
        var text = text
        text.withUTF8 { buf in encodeRaw(buf, into: &out) }
        return out.map(Int.init)
    }

    private func encodeRaw(_ buf: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        var first: [AddedTokenMatcher.Segment] = []
        firstPass.split(buf, 0..<buf.count, into: &first)
        var segments: [AddedTokenMatcher.Segment] = []
        for s in first {
            if case .text(let r) = s { secondPass.split(buf, r, into: &segments) } else { segments.append(s) }
        }
        for s in segments {
            switch s {
            case .token(let id):
                out.append(id)
            case .text(let r):
                preTokenizer.split(UnsafeBufferPointer(rebasing: buf[r])) { piece in
                    let lo = r.lowerBound + piece.lowerBound
                    model.encode(UnsafeBufferPointer(rebasing: buf[lo..<(lo + piece.count)]), into: &out)
                }
            }
        }
    }

    /// Decodes ids to text exactly as `tokenizers` does (ByteLevel decoder, lossy UTF-8).
    /// Ids the tokenizer does not define are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            if let b = self.bytes(of: id, skipSpecial: skipSpecialTokens) { bytes.append(contentsOf: b) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The raw bytes a token stands for, or nil for an undefined id (or a skipped special one).
    public func bytes(of id: Int, skipSpecial: Bool = false) -> [UInt8]? {
        guard id >= 0 && id < idBytes.count, let b = idBytes[id] else { return nil }
        if skipSpecial && special[id] { return nil }
        return b
    }

    /// The id of a token given its vocabulary string or added-token content.
    public func id(forToken token: String) -> Int? { tokenToID[token].map(Int.init) }

    /// The vocabulary string of an id (byte-level alphabet for ordinary tokens).
    public func token(forID id: Int) -> String? {
        id >= 0 && id < idToToken.count ? idToToken[id] : nil
    }

    /// Whether the id is a special token (skipped by `skipSpecialTokens`).
    public func isSpecial(_ id: Int) -> Bool { id >= 0 && id < special.count && special[id] }
}
