/// Turns a stream of token ids into text as soon as it is complete UTF-8.
///
/// Bytes of a character split across tokens (emoji, CJK) are held back until the
/// character is complete; bytes that can never become valid are replaced by U+FFFD exactly
/// as a whole-sequence lossy decode would, so the concatenation of all pieces (plus
/// `finish()`) always equals `Tokenizer.decode` of the whole id sequence.
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: Tokenizer
    private let skipSpecialTokens: Bool
    private var pending: [UInt8] = []

    /// - Parameters:
    ///   - tokenizer: the tokenizer whose vocabulary the ids come from.
    ///   - skipSpecialTokens: drop special tokens (as `decode(_:skipSpecialTokens:)`).
    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one token and returns the text that became complete (possibly empty).
    public mutating func push(_ id: Int) -> String {
        guard let bytes = tokenizer.bytes(of: id, skipSpecial: skipSpecialTokens) else { return "" }
        pending.append(contentsOf: bytes)
        let cut = Self.completePrefixLength(pending)
        if cut == 0 { return "" }
        let text = String(decoding: pending[0..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns whatever is still held back (an incomplete character becomes U+FFFD).
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Bytes still held back because they may start a multi-byte character.
    public var pendingByteCount: Int { pending.count }

    /// Length of the prefix of `b` that can be decoded now: everything except a trailing,
    /// still-valid, incomplete UTF-8 sequence (at most 3 bytes).
    static func completePrefixLength(_ b: [UInt8]) -> Int {
        let n = b.count
        var start = n - 1
        // Find the last byte that is not a continuation byte, looking back at most 3 bytes.
        while start >= 0 && start >= n - 4 && (b[start] & 0xC0) == 0x80 { start -= 1 }
        guard start >= 0 && start >= n - 4 else { return n }
        let lead = b[start]
        let need: Int
        switch lead {
        case 0xC2...0xDF: need = 2
        case 0xE0...0xEF: need = 3
        case 0xF0...0xF4: need = 4
        default: return n   // ASCII or an invalid lead: nothing to wait for
        }
        let have = n - start
        if have >= need { return n }
        // Check the continuation bytes so far are valid for this lead (else it can never complete).
        for k in 1..<have {
            let c = b[start + k]
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            if k == 1 {
                switch lead {
                case 0xE0: lo = 0xA0
                case 0xED: hi = 0x9F
                case 0xF0: lo = 0x90
                case 0xF4: hi = 0x8F
                default: break
                }
            }
            if c < lo || c > hi { return n }
        }
        return start
    }
}
