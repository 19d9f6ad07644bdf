import LFMGrammar
import LFMTokenizer

/// Grammar fast-forward (issue 15): after a sampled token, the bytes the grammar forces
/// (``GrammarMatcher/forcedBytes(limit:)``) are turned into the tokens a canonical tokenization
/// of the final text would hold there, and those are appended without sampling; the next
/// forward step then reads them together with the sampled token.
///
/// The canonical rule (docs/architecture.md, "Fast-forward"): encode the last output tokens
/// (``contextTokens`` at most, none before a special token) followed by the forced bytes,
/// piece by piece (``Tokenizer/encodePieces(_:)``). Nothing is appended unless the context
/// comes out as exactly the tokens the output holds and a piece ends where the forced bytes
/// start. Then the tokens of the pieces that start in the forced bytes are kept, except the
/// last piece (text that follows can still extend it or change its merges) and any piece
/// before it that ends in whitespace (a whitespace run can be re-split by what follows), unless
/// the forced bytes end the output (a character the forced bytes cut is left out too). The
/// grammar must accept every kept token in turn; the first it refuses ends the list.
struct FastForward: Sendable {
    let tokenizer: Tokenizer
    /// Output tokens read as context before the forced bytes, at most.
    static let contextTokens = 8
    /// Forced bytes looked at, at most.
    static let maxBytes = 256

    /// The tokens to append after `output` (the output so far, newest last), under `constraint`
    /// (which has read all of `output`). Empty when nothing is forced or the rule keeps nothing.
    func tokens(after output: ArraySlice<Int>, constraint: ConstraintState, tags: TagTokens) -> [Int] {
        guard let forced = constraint.forcedBytes(limit: Self.maxBytes), !forced.bytes.isEmpty else { return [] }
        var context: [Int] = []
        for id in output.reversed() {
            if context.count == Self.contextTokens || tokenizer.isSpecial(id) { break }
            context.append(id)
        }
        context.reverse()
        let candidates = Self.canonicalTokens(forced: forced, context: context, tokenizer: tokenizer)
        var probe = constraint
        var out: [Int] = []
        for t in candidates {
            guard probe.accept(t, tags: tags) else { break }
            out.append(t)
        }
        return out
    }

    /// The canonical rule alone (see the type's documentation): the ids to append after
    /// `context` (ordinary output tokens, oldest first) for the forced bytes.
    static func canonicalTokens(forced: ForcedBytes, context: [Int], tokenizer: Tokenizer) -> [Int] {
        var text: [UInt8] = []
        for id in context {
            guard let b = tokenizer.bytes(of: id) else { return [] }
            text += b
        }
        let join = text.count
        text += forced.bytes
        if !forced.endsOutput {
            // A character cut by the end of the forced bytes is left to the model.
            text.removeLast(incompleteTail(text))
        }
        guard text.count > join else { return [] }
        guard let pieces = tokenizer.encodePieces(text) else { return [] }
        var before: [Int] = []
        var kept: [Tokenizer.EncodedPiece] = []
        for p in pieces {
            if p.range.upperBound <= join {
                before += p.ids
            } else if p.range.lowerBound >= join {
                kept.append(p)
            } else {
                return []  // a piece spans the join: the output's last token would merge with the forced bytes
            }
        }
        guard before == context else { return [] }
        if !forced.endsOutput {
            if !kept.isEmpty { kept.removeLast() }
            while let last = kept.last, endsInWhitespace(text[last.range]) { kept.removeLast() }
        }
        return kept.flatMap(\.ids)
    }

    /// How many bytes at the end of `bytes` start a UTF-8 character they do not complete.
    static func incompleteTail(_ bytes: [UInt8]) -> Int {
        guard !bytes.isEmpty else { return 0 }
        for back in 1...min(4, bytes.count) {
            let b = bytes[bytes.count - back]
            if b & 0xC0 == 0x80 { continue }
            let length = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            return length > back ? back : 0
        }
        return 0
    }

    /// Whether the piece's last character is whitespace (`\s`, as the pre-tokenizer classes it).
    private static func endsInWhitespace(_ bytes: ArraySlice<UInt8>) -> Bool {
        String(decoding: bytes, as: UTF8.self).unicodeScalars.last?.properties.isWhitespace ?? false
    }
}
