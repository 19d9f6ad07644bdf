import Locking

/// A grammar compiled against one ``TokenVocabulary``: immutable, shareable between threads
/// and sequences. Make one ``GrammarMatcher`` per sequence with ``makeMatcher()``.
///
/// Per automaton state it caches (lazily, thread-safe) the tokens readable without leaving the
/// state's rule (context-independent) and the trie nodes where that rule may end inside a
/// token; only those nodes are walked again with the sequence's stack when a mask is filled.
public final class CompiledGrammar: Sendable {
    /// The vocabulary masks are computed over.
    public let vocabulary: TokenVocabulary
    let automaton: Automaton
    private let cache = Locked<[Int32: StateMask]>([:])
    /// Whole masks of configurations that needed a walk with the real stack.
    private let configCache = Locked<[[[Int32]]: CachedMask]>([:])
    /// Lexeme-state masks shared by all grammars of the process (keyed with the vocabulary).
    private static let shared = Locked<[SharedMaskKey: StateMask]>([:])
    /// Number of automaton states found so far (states are built as matchers enter them).
    public var stateCount: Int { automaton.stateCount }

    /// Builds every state the grammar can reach and returns their number (a size measure for
    /// tests and logs; matchers build only the states they enter).
    @discardableResult
    public func buildAllStates() -> Int { automaton.buildAll() }
    /// Whether a backslash in the text starts a JSON escape (grammars of JSON Schemas and JSON
    /// mode): ``GrammarMatcher/forcedBytes(limit:)`` may then pick a character's plain spelling.
    public let escapesAreSpellings: Bool

    init(automaton: Automaton, vocabulary: TokenVocabulary, escapesAreSpellings: Bool = false) {
        self.automaton = automaton
        self.vocabulary = vocabulary
        self.escapesAreSpellings = escapesAreSpellings
    }

    /// A matcher at the start of the output.
    public func makeMatcher() -> GrammarMatcher { GrammarMatcher(grammar: self) }

    /// The cached mask information of a state, computed on first use.
    func stateMask(_ s: Int32) -> StateMask {
        if let m = cache.withLock({ $0[s] }) { return m }
        var sharedKey: SharedMaskKey?
        if let k = automaton.sharedKey(s) {
            let key = SharedMaskKey(vocabulary: vocabulary.fingerprint, state: k)
            sharedKey = key
            if let m = Self.shared.withLock({ $0[key] }) {
                cache.withLock { $0[s] = m }
                return m
            }
        }
        let m = StateMask(automaton: automaton, vocabulary: vocabulary, state: s)
        if let sharedKey {
            Self.shared.withLock { c in
                if c.count > 4_096 { c.removeAll() }
                c[sharedKey] = m
            }
        }
        cache.withLock { c in
            if c.count > 20_000 { c.removeAll() }
            c[s] = m
        }
        return m
    }
}

/// A whole mask remembered for a configuration.
struct CachedMask: Sendable {
    let dense: [UInt64]?
    let sparse: [Int32]
}

struct SharedMaskKey: Hashable, Sendable {
    var vocabulary: Int
    var state: SharedStateKey
}

extension CompiledGrammar {
    func cachedMask(_ stacks: [[Int32]]) -> CachedMask? { configCache.withLock { $0[stacks] } }

    func storeMask(_ stacks: [[Int32]], _ out: UnsafeMutablePointer<UInt64>, words: Int) {
        var count = 0
        for i in 0..<words { count += out[i].nonzeroBitCount }
        let entry: CachedMask
        if count <= 256 {
            var ids: [Int32] = []
            for i in 0..<words where out[i] != 0 {
                var x = out[i]
                while x != 0 { ids.append(Int32(i * 64 + x.trailingZeroBitCount)); x &= x - 1 }
            }
            entry = CachedMask(dense: nil, sparse: ids)
        } else {
            entry = CachedMask(dense: Array(UnsafeBufferPointer(start: out, count: words)), sparse: [])
        }
        configCache.withLock { c in
            if c.count >= 1_024 { c.removeAll() }
            c[stacks] = entry
        }
    }
}

/// What a state alone decides about the next token: the tokens it accepts whatever the stack
/// below (dense bitset or sparse list) and the trie nodes where its rule may return.
final class StateMask: Sendable {
    let dense: [UInt64]?
    let sparse: [Int32]
    let pops: [Int32]

    init(automaton a: Automaton, vocabulary v: TokenVocabulary, state s: Int32) {
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: v.maskWords)
        words.initialize(repeating: 0, count: v.maskWords)
        defer { words.deallocate() }
        a.ensure(s)
        let w = MaskWalker(a, v, out: words)
        w.record = true
        w.load([s])
        if a.flags[Int(s)] & Automaton.hasBytes != 0 {
            w.startPlainRun(w.run(s))
            w.descend(0)
        }
        for e in a.tokens(s) {
            let id = Int(e.token)
            if id >= 0 && id < v.size { words[id >> 6] |= UInt64(1) << UInt64(id & 63) }
        }
        pops = Array(Set(w.pops)).sorted()
        var count = 0
        for i in 0..<v.maskWords { count += words[i].nonzeroBitCount }
        if count <= 512 {
            var ids: [Int32] = []
            ids.reserveCapacity(count)
            for i in 0..<v.maskWords where words[i] != 0 {
                var x = words[i]
                while x != 0 { ids.append(Int32(i * 64 + x.trailingZeroBitCount)); x &= x - 1 }
            }
            sparse = ids; dense = nil
        } else {
            dense = Array(UnsafeBufferPointer(start: words, count: v.maskWords)); sparse = []
        }
    }

    func apply(to out: UnsafeMutablePointer<UInt64>, words: Int) {
        if let d = dense {
            d.withUnsafeBufferPointer { p in for i in 0..<words { out[i] |= p[i] } }
        } else {
            for id in sparse { out[Int(id) >> 6] |= UInt64(1) << UInt64(id & 63) }
        }
    }
}
