/// The state of one sequence under a ``CompiledGrammar``: which tokens may come next, and
/// the history needed to roll back. A value type: copying it (``copy()``) is cheap
/// (copy-on-write arrays), so forks for speculation or preemption cost nothing up front.
public struct GrammarMatcher: Sendable {
    /// The pushdown configuration after some input: the possible stacks (tops ready to read
    /// a byte or token) and whether the input may end here.
    struct Configuration: Sendable {
        var stacks: [[Int32]]
        var complete: Bool
        var terminated = false
    }

    /// The grammar this matcher follows.
    public let grammar: CompiledGrammar
    private var history: [Configuration]

    init(grammar: CompiledGrammar) {
        self.grammar = grammar
        var stacks: [[Int32]] = []
        var complete = false
        grammar.automaton.expand([grammar.automaton.start], into: &stacks, complete: &complete)
        history = [Configuration(stacks: stacks, complete: complete)]
    }

    var current: Configuration { history[history.count - 1] }

    /// Whether the output may end now (an end-of-output token is allowed).
    public var canTerminate: Bool { current.complete && !current.terminated }

    /// Whether an end-of-output token has been accepted; no further token is allowed.
    public var isTerminated: Bool { current.terminated }

    /// Number of tokens accepted (and not rolled back) so far.
    public var acceptedCount: Int { history.count - 1 }

    /// Advances by one token. Returns false (and leaves the state unchanged) when the grammar
    /// does not allow the token here. End-of-output ids are allowed when ``canTerminate``.
    @discardableResult
    public mutating func accept(_ token: Int) -> Bool {
        let c = current
        if c.terminated { return false }
        let v = grammar.vocabulary
        guard token >= 0 && token < v.size else { return false }
        let a = grammar.automaton
        if v.eosIDs.contains(token) {
            guard c.complete else { return false }
            history.append(Configuration(stacks: [], complete: true, terminated: true))
            return true
        }
        var next: [[Int32]] = []
        var complete = false
        if v.isSpecial[token] {
            for s in c.stacks {
                let top = Int(s[s.count - 1])
                for e in a.tokens(Int32(top)) where e.token == Int32(token) {
                    var ns = s
                    ns[ns.count - 1] = e.target
                    a.expand(ns, into: &next, complete: &complete)
                }
            }
        } else {
            guard let bytes = v.tokenBytes[token], !bytes.isEmpty else { return false }
            var stacks = c.stacks
            for (k, b) in bytes.enumerated() {
                next = []
                complete = false
                for s in stacks {
                    let t = a.step(s[s.count - 1], b)
                    if t < 0 { continue }
                    var ns = s
                    ns[ns.count - 1] = t
                    a.expand(ns, into: &next, complete: &complete)
                }
                if next.isEmpty && (k < bytes.count - 1 || !complete) { return false }
                stacks = next
            }
        }
        if next.isEmpty && !complete { return false }
        history.append(Configuration(stacks: next, complete: complete))
        return true
    }

    /// Undoes the last `n` accepted tokens (clamped to what was accepted).
    public mutating func rollback(_ n: Int) {
        let k = max(0, min(n, history.count - 1))
        history.removeLast(k)
    }

    /// Forgets rollback history older than the last `keep` tokens (bounds memory of long outputs).
    public mutating func trimHistory(keep: Int) {
        let drop = history.count - 1 - max(0, keep)
        if drop > 0 { history.removeFirst(drop) }
    }

    /// An independent copy (same grammar, same position and history).
    public func copy() -> GrammarMatcher { self }

    /// Writes the allowed-token bitmask: bit `id & 63` of word `id >> 6` is set when token
    /// `id` may come next. `mask` is resized to ``TokenVocabulary/maskWords`` words.
    public func fillMask(into mask: inout [UInt64]) {
        let v = grammar.vocabulary
        if mask.count != v.maskWords { mask = [UInt64](repeating: 0, count: v.maskWords) }
        mask.withUnsafeMutableBufferPointer { p in fillMask(p.baseAddress!) }
    }

    /// ``fillMask(into:)`` into caller-owned memory of ``TokenVocabulary/maskWords`` words.
    public func fillMask(_ out: UnsafeMutablePointer<UInt64>) {
        let v = grammar.vocabulary
        out.initialize(repeating: 0, count: v.maskWords)
        let c = current
        if c.terminated { return }
        if c.complete { for e in v.eosIDs { out[e >> 6] |= UInt64(1) << UInt64(e & 63) } }
        let key = c.stacks + [[c.complete ? -1 : -2]]
        if let hit = grammar.cachedMask(key) {
            if let d = hit.dense {
                d.withUnsafeBufferPointer { p in for i in 0..<v.maskWords { out[i] |= p[i] } }
            } else {
                for id in hit.sparse { out[Int(id) >> 6] |= UInt64(1) << UInt64(id & 63) }
            }
            return
        }
        var walker: MaskWalker?
        for s in c.stacks {
            let sm = grammar.stateMask(s[s.count - 1])
            sm.apply(to: out, words: v.maskWords)
            if sm.pops.isEmpty || s.count < 2 { continue }
            let w = walker ?? MaskWalker(grammar.automaton, v, out: out)
            walker = w
            w.plainRun = 0
            w.startPlainRun(w.stackRun(s[...]))
            for node in sm.pops {
                w.load(s[0..<(s.count - 1)])
                w.epsilonSteps = 0
                w.expand(Int(node))
            }
        }
        if walker != nil { grammar.storeMask(key, out, words: v.maskWords) }
    }

    /// Whether `token` is allowed next (same answer as the mask bit, without a full mask).
    public func allows(_ token: Int) -> Bool {
        var m = self
        return m.accept(token)
    }

    /// The tokens that are forced from here: while exactly one token is allowed, it is taken
    /// (on a copy; this matcher is unchanged). At most `limit` tokens; stops at end of output.
    public func forcedTokens(limit: Int = 64) -> [Int] {
        var m = self
        var out: [Int] = []
        var mask: [UInt64] = []
        while out.count < limit && !m.isTerminated {
            m.fillMask(into: &mask)
            var only = -1
            for (i, w) in mask.enumerated() where w != 0 {
                if only >= 0 || w.nonzeroBitCount > 1 { return out }
                only = i * 64 + w.trailingZeroBitCount
            }
            guard only >= 0, m.accept(only) else { return out }
            out.append(only)
        }
        return out
    }
}
