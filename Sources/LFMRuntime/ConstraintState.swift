import LFMGrammar

/// One sequence's progress through its ``OutputConstraint``: a pure state machine over the
/// sampled tokens. It says which tokens may come next (``fillMask(into:tags:)``) and moves on
/// with each sampled token (``accept(_:tags:)``). Think-block tags are matched as text, since a
/// tokenizer may spell `<think>` with several tokens.
struct ConstraintState: Sendable {
    enum Phase: Equatable, Sendable {
        /// Before the first token of a `.whole` constraint that allows a think block: either
        /// the grammar starts, or `<think>` is being written (`tagMatched` bytes so far).
        case opening
        /// Inside the think block: free text until `</think>` (`tagMatched` bytes matched).
        case reasoning
        /// The grammar applies.
        case constrained
        /// `.triggered` scope, waiting for the trigger token.
        case watching
    }

    static let openTag = Array("<think>".utf8)
    static let closeTag = Array("</think>".utf8)

    let constraint: OutputConstraint
    private(set) var matcher: GrammarMatcher
    private(set) var phase: Phase
    private var tagMatched = 0

    init(_ constraint: OutputConstraint) {
        self.constraint = constraint
        matcher = constraint.grammar.makeMatcher()
        switch (constraint.scope, constraint.reasoning) {
        case (.triggered, _): phase = .watching
        case (.whole, .open): phase = .reasoning
        case (.whole, .optional): phase = .opening
        case (.whole, .none): phase = .constrained
        }
    }

    /// True once a `.whole` grammar has accepted an end-of-output token: nothing may follow.
    var isFinished: Bool { constraint.scope == .whole && matcher.isTerminated }

    /// The bytes the grammar forces next (``GrammarMatcher/forcedBytes(limit:)``), or nil when
    /// the grammar does not apply to the next token. `endsOutput` only for a `.whole` scope:
    /// after a triggered grammar, free text follows.
    func forcedBytes(limit: Int) -> ForcedBytes? {
        guard phase == .constrained else { return nil }
        var f = matcher.forcedBytes(limit: limit)
        if constraint.scope != .whole { f.endsOutput = false }
        return f
    }

    /// Writes the allowed-token mask of the next token into `mask` and returns true, or
    /// returns false when the next token is free.
    func fillMask(into mask: inout [UInt64], tags: TagTokens) -> Bool {
        switch phase {
        case .watching: return false
        case .constrained:
            matcher.fillMask(into: &mask)
            return true
        case .opening:
            if tagMatched == 0 {
                matcher.fillMask(into: &mask)
            } else {
                mask = [UInt64](repeating: 0, count: constraint.grammar.vocabulary.maskWords)
            }
            let rest = Self.openTag[tagMatched...]
            // At the start, only tokens beginning with "<"; inside the tag (a step or two), any token.
            for id in tagMatched == 0 ? tags.opening : Array(0..<tags.count) {
                guard let b = tags.bytes(id) else { continue }
                // The token continues the tag, or completes it (what follows goes into the block).
                if rest.starts(with: b) || b.starts(with: rest) { mask[id >> 6] |= 1 << UInt64(id & 63) }
            }
            return true
        case .reasoning:
            // Free, except that `</think>` must be followed by whitespace or a token boundary,
            // so the answer's first byte is always chosen under the grammar.
            mask = [UInt64](repeating: ~0, count: constraint.grammar.vocabulary.maskWords)
            for id in tags.closing {
                guard let b = tags.bytes(id), let end = Self.closeEnd(after: tagMatched, b) else { continue }
                if b[end...].contains(where: { !Self.isSpace($0) }) { mask[id >> 6] &= ~(1 << UInt64(id & 63)) }
            }
            return true
        }
    }

    /// Moves on with the sampled token. Returns false when the token breaks the constraint
    /// (not possible when the mask was applied; the caller ends the sequence).
    mutating func accept(_ id: Int, tags: TagTokens) -> Bool {
        switch phase {
        case .watching:
            if case .triggered(let trigger) = constraint.scope, id == trigger {
                matcher = constraint.grammar.makeMatcher()
                guard matcher.accept(id) else { return false }
                phase = .constrained
            }
            return true
        case .constrained:
            guard matcher.accept(id) else { return false }
            if case .triggered = constraint.scope, matcher.canTerminate, !matcher.isTerminated, Self.onlyEnd(matcher) {
                phase = .watching
            }
            return true
        case .opening:
            if tagMatched == 0, matcher.accept(id) {
                phase = .constrained
                return true
            }
            guard let b = tags.bytes(id) else { return false }
            let rest = Self.openTag[tagMatched...]
            if rest.starts(with: b) {
                tagMatched += b.count
                if tagMatched == Self.openTag.count { phase = .reasoning; tagMatched = 0 }
                return true
            }
            guard b.starts(with: rest) else { return false }
            phase = .reasoning
            tagMatched = 0
            return advanceReasoning(Array(b[rest.count...]))
        case .reasoning:
            return advanceReasoning(tags.bytes(id) ?? [])
        }
    }

    /// Feeds text of the think block; on `</think>` the grammar starts.
    private mutating func advanceReasoning(_ bytes: [UInt8]) -> Bool {
        if let end = Self.closeEnd(after: tagMatched, bytes) {
            phase = .constrained
            tagMatched = 0
            return !bytes[end...].contains { !Self.isSpace($0) }
        }
        tagMatched = Self.closePrefix(after: tagMatched, bytes)
        return true
    }

    /// Where `</think>` ends inside `bytes`, given that `matched` bytes of it ended the text before.
    static func closeEnd(after matched: Int, _ bytes: [UInt8]) -> Int? {
        var m = matched
        for (i, c) in bytes.enumerated() {
            m = step(m, c)
            if m == closeTag.count { return i + 1 }
        }
        return nil
    }

    /// How many bytes of `</think>` end the text after `bytes` (a KMP step over the tag).
    static func closePrefix(after matched: Int, _ bytes: [UInt8]) -> Int {
        var m = matched
        for c in bytes { m = step(m, c) }
        return m
    }

    private static func step(_ m: Int, _ c: UInt8) -> Int {
        // The tag has no proper border except via '<', so a mismatch restarts at 0 or 1.
        if m < closeTag.count && closeTag[m] == c { return m + 1 }
        return c == closeTag[0] ? 1 : 0
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Whether, at a complete position, only end-of-output may follow (the grammar is done).
    private static func onlyEnd(_ m: GrammarMatcher) -> Bool {
        var mask: [UInt64] = []
        m.fillMask(into: &mask)
        let v = m.grammar.vocabulary
        for e in v.eosIDs { mask[e >> 6] &= ~(1 << UInt64(e & 63)) }
        return mask.allSatisfy { $0 == 0 }
    }
}

/// The tokens that can take part in think-block tags, found once per vocabulary: those
/// starting with `<` (may open `<think>`) and those containing `>` (may close `</think>`).
struct TagTokens: Sendable {
    let opening: [Int]
    let closing: [Int]
    private let tokenBytes: [[UInt8]?]

    init(tokenBytes: [[UInt8]?], isSpecial: (Int) -> Bool) {
        self.tokenBytes = tokenBytes
        var o: [Int] = [], c: [Int] = []
        for (id, b) in tokenBytes.enumerated() where !isSpecial(id) {
            guard let b, !b.isEmpty else { continue }
            if b[0] == UInt8(ascii: "<") { o.append(id) }
            if b.contains(UInt8(ascii: ">")) { c.append(id) }
        }
        opening = o
        closing = c
    }

    func bytes(_ id: Int) -> [UInt8]? { id >= 0 && id < tokenBytes.count ? tokenBytes[id] : nil }

    /// Number of token ids.
    var count: Int { tokenBytes.count }
}
