import Locking

/// One grammar rule as a Thompson NFA ready for subset construction: its own byte classes (the
/// partition its byte sets generate), its labelled edges grouped by state, its epsilon edges.
/// Immutable: the DFA states are built from it on demand, per grammar (``Automaton``). Built-in
/// rules (``Grammar/builtin``: JSON values, strings, whitespace — fixed by the compiler, not by
/// the schema) are cached process-wide under their tag, so each is built once per process.
final class RuleNFA: Sendable {
    /// Byte → the rule's own class.
    let classOf: [UInt8]
    let classCount: Int
    /// Labelled edges by state: state x's are `edgeStart[x] ..< edgeStart[x + 1]` (kind 0 byte
    /// set / 1 call / 2 token; argument: byte-set number, position in ``calls``, token id; target).
    let edgeStart: [Int32], edgeKind: [UInt8], edgeArg: [Int32], edgeTarget: [Int32]
    /// Epsilon edges by state: state x's targets are `epsTarget[epsStart[x] ..< epsStart[x + 1]]`.
    let epsStart: [Int32], epsTarget: [Int32]
    /// The start and the final state.
    let start: Int32, end: Int32
    /// The classes of each byte set: `setClassList[setClassStart[k] ..< setClassStart[k + 1]]`.
    let setClassStart: [Int32], setClassList: [Int32]
    /// Per class: its bytes (4 words) and how many.
    let classBits: [UInt64], classSize: [Int]
    /// Whether the rule is a lexeme (its states' masks are shared across grammars by
    /// ``exprHash`` and NFA subset).
    let lexeme: Bool
    /// Hash of the rule's expression (lexeme rules: part of the shared mask key).
    let exprHash: Int
    /// The most NFA states there were when the NFA builder entered an expression (its limit check).
    let nfaPeak: Int
    /// The rules it calls, as written, in order of first appearance: a call edge's argument
    /// is a position in this list.
    let calls: [Int]
    /// Whether some state may be unable to reach the final state even when every call is kept
    /// (``NFA/deadEnds``); when false, ``live(callable:)`` with every call kept is all true (the
    /// states that cannot reach it then have no edges and are left out of subsets anyway).
    let deadEnds: Bool

    /// Number of NFA states.
    var stateCount: Int { epsStart.count - 1 }

    /// Builds the NFA of `rule`; `nfaLimit` is the NFA budget left in the grammar being built;
    /// calls of the rules `expand` gives a body for are built in place (inlined). The rule is a
    /// lexeme when `mayBeLexeme` (it is never inlined) and it neither calls rules nor reads
    /// tokens.
    init(_ rule: GrammarExpr, mayBeLexeme: Bool, nfaLimit: Int, expand: (Int) -> GrammarExpr? = { _ in nil }) throws(GrammarError) {
        var setIndex = ByteSetIndex()
        var nfa = NFA()
        let s0 = nfa.newState()
        var calls: [Int] = [], local: [Int: Int] = [:], expandedCalls = false
        let end = try nfa.build(rule, from: s0, sets: &setIndex, limit: nfaLimit, map: { r in
            if let k = local[r] { return k }
            local[r] = calls.count
            calls.append(r)
            return calls.count - 1
        }, expand: { r in
            let body = expand(r)
            if body != nil { expandedCalls = true }
            return body
        })
        self.calls = calls
        let sets = setIndex.sets
        let (classOf, classCount) = ByteClasses.partition(sets)
        self.classOf = classOf
        self.classCount = classCount
        var setClassStart: [Int32] = [0], setClassList: [Int32] = []
        for set in sets {
            for c in ByteClasses.classes(of: set, classOf, classCount: classCount) { setClassList.append(Int32(c)) }
            setClassStart.append(Int32(setClassList.count))
        }
        self.setClassStart = setClassStart; self.setClassList = setClassList
        var classBits = [UInt64](repeating: 0, count: classCount * 4), classSize = [Int](repeating: 0, count: classCount)
        for b in 0..<256 {
            let c = Int(classOf[b])
            classBits[c * 4 + (b >> 6)] |= UInt64(1) << UInt64(b & 63)
            classSize[c] += 1
        }
        self.classBits = classBits; self.classSize = classSize
        nfa.final = end
        start = Int32(s0)
        self.end = Int32(end)
        nfaPeak = nfa.peak
        (edgeStart, edgeKind, edgeArg, edgeTarget) = nfa.edgeCSR()
        (epsStart, epsTarget) = nfa.epsilonCSR()
        lexeme = mayBeLexeme && !nfa.hasCallsOrTokens
        deadEnds = nfa.deadEnds
        // The hash names the rule's content: inlined calls count by their bodies.
        exprHash = !lexeme ? 0 : expandedCalls ? AutomatonBuilder.expanded(rule, expand).hashValue : rule.hashValue
    }

    /// Throws the error building this rule within the given NFA budget would have thrown (a
    /// cached rule is checked against the same limit as a freshly built one).
    func check(nfaLimit: Int) throws(GrammarError) {
        if nfaPeak > nfaLimit {
            throw GrammarError("grammar too large: more than \(nfaLimit) NFA states (reduce repetition counts, lengths or alternatives)")
        }
    }

    /// The states from which the final state can be reached (by epsilon edges, byte and token
    /// edges, and the calls `callable` keeps — per position in ``calls`` — through their
    /// return states).
    func live(callable: [Bool]) -> [Bool] {
        let n = stateCount
        if !deadEnds && !callable.contains(false) {
            assert(Self.deadOnlyWithoutEdges(self, Self.reverseLive(self, callable)), "an NFA without dead ends has a dead state with edges")
            return [Bool](repeating: true, count: n)
        }
        return Self.reverseLive(self, callable)
    }

    /// Whether the states `live` leaves out neither read nor are reached by a byte, token or call
    /// edge (such states — an object's position after its last optional member, when it takes no
    /// other members — are only passed through by epsilon edges, and subsets leave out states
    /// without edges anyway: counting them live changes no DFA state).
    private static func deadOnlyWithoutEdges(_ a: RuleNFA, _ live: [Bool]) -> Bool {
        for x in 0..<a.stateCount where !live[x] && (a.edgeStart[x + 1] > a.edgeStart[x] || Int32(x) == a.end) { return false }
        for t in a.edgeTarget where !live[Int(t)] { return false }
        return true
    }

    /// ``live(callable:)`` by a search over the reversed edges.
    private static func reverseLive(_ a: RuleNFA, _ callable: [Bool]) -> [Bool] {
        let n = a.stateCount
        let epsStart = a.epsStart, epsTarget = a.epsTarget, edgeStart = a.edgeStart
        let edgeKind = a.edgeKind, edgeArg = a.edgeArg, edgeTarget = a.edgeTarget
        // Predecessors (CSR).
        var revStart = [Int32](repeating: 0, count: n + 1)
        for x in 0..<n {
            for i in Int(epsStart[x])..<Int(epsStart[x + 1]) { revStart[Int(epsTarget[i]) + 1] += 1 }
            for i in Int(edgeStart[x])..<Int(edgeStart[x + 1]) where edgeKind[i] != 1 || callable[Int(edgeArg[i])] {
                revStart[Int(edgeTarget[i]) + 1] += 1
            }
        }
        for x in 0..<n { revStart[x + 1] += revStart[x] }
        var fill = revStart
        var rev = [Int32](repeating: 0, count: Int(revStart[n]))
        for x in 0..<n {
            for i in Int(epsStart[x])..<Int(epsStart[x + 1]) {
                let t = Int(epsTarget[i]); rev[Int(fill[t])] = Int32(x); fill[t] += 1
            }
            for i in Int(edgeStart[x])..<Int(edgeStart[x + 1]) where edgeKind[i] != 1 || callable[Int(edgeArg[i])] {
                let t = Int(edgeTarget[i]); rev[Int(fill[t])] = Int32(x); fill[t] += 1
            }
        }
        var live = [Bool](repeating: false, count: n)
        live[Int(a.end)] = true
        var stack: [Int32] = [a.end]
        while let x = stack.popLast() {
            for i in Int(revStart[Int(x)])..<Int(revStart[Int(x) + 1]) where !live[Int(rev[i])] {
                live[Int(rev[i])] = true
                stack.append(rev[i])
            }
        }
        return live
    }

    /// Whether the final state is reachable from the start by epsilon edges and, when `input`,
    /// byte and token edges, and by the calls whose callee `through` accepts; `called` gets the
    /// callee of every call met (as written) when given.
    func reaches(input: Bool, through: (Int32) -> Bool, called: ((Int32) -> Void)? = nil) -> Bool {
        var seen = [Bool](repeating: false, count: stateCount)
        var stack: [Int32] = [start]
        seen[Int(start)] = true
        var found = false
        while let x = stack.popLast() {
            if x == end {
                found = true
                if called == nil { return true }
            }
            for i in Int(epsStart[Int(x)])..<Int(epsStart[Int(x) + 1]) where !seen[Int(epsTarget[i])] {
                seen[Int(epsTarget[i])] = true; stack.append(epsTarget[i])
            }
            for i in Int(edgeStart[Int(x)])..<Int(edgeStart[Int(x) + 1]) {
                let t = edgeTarget[i]
                if edgeKind[i] == 1 {
                    called?(edgeArg[i])
                    if !through(edgeArg[i]) { continue }
                } else if !input { continue }
                if !seen[Int(t)] { seen[Int(t)] = true; stack.append(t) }
            }
        }
        return found
    }

    // MARK: process-wide cache of built-in rules

    /// A built-in rule as the cache knows it: its tag (``Grammar/builtin``), whether it is a
    /// lexeme, and how many distinct rules it calls.
    struct Key: Hashable, Sendable {
        var tag: String
        var lexeme: Bool
        var calls: Int
    }

    /// A cached rule: its expression with calls renumbered 0, 1, … in order of first
    /// appearance (what debug builds compare a hit against), its NFA, and its DFA as far as
    /// grammars built it (for grammars in which every rule it calls matches something).
    struct Entry: Sendable {
        let expr: GrammarExpr
        let nfa: RuleNFA
        let dfa: LazyRuleDFA
    }

    private struct Cache {
        var items: [Key: Entry] = [:]
        var states = 0
    }

    private static let cache = Locked<Cache>(Cache())
    /// Bound of the cache: NFA states over all entries, and the transition cells their DFAs
    /// built since (they grow as grammars use them); it is emptied when either is full.
    static let maxCachedStates = 1_000_000
    static let maxCachedCells = 4_000_000

    /// The cached NFA of a built-in rule, or nil.
    static func cached(_ key: Key) -> Entry? { cache.withLock { $0.items[key] } }

    /// Remembers the NFA of a built-in rule (`expr`: the rule in ``canonical(_:_:)`` form).
    static func store(_ key: Key, expr: GrammarExpr, _ nfa: RuleNFA, _ dfa: LazyRuleDFA) {
        let states = nfa.stateCount
        cache.withLock { c in
            let cells = c.items.values.reduce(0) { $0 + $1.dfa.cells }
            if c.states + states > maxCachedStates || cells > maxCachedCells { c.items.removeAll(); c.states = 0 }
            if c.items.updateValue(Entry(expr: expr, nfa: nfa, dfa: dfa), forKey: key) == nil { c.states += states }
        }
    }

    /// `e` with its rule calls renumbered 0, 1, … in order of first appearance; `refs` gets the
    /// original rule numbers (`refs[k]` is the rule called as `k`).
    static func canonical(_ e: GrammarExpr, _ refs: inout [Int]) -> GrammarExpr {
        switch e {
        case .empty, .bytes, .token, .automaton: return e
        case .ref(let r):
            if let k = refs.firstIndex(of: r) { return .ref(k) }
            refs.append(r)
            return .ref(refs.count - 1)
        case .seq(let xs): return .seq(xs.map { canonical($0, &refs) })
        case .alt(let xs): return .alt(xs.map { canonical($0, &refs) })
        case .rep(let x, let lo, let hi): return .rep(canonical(x, &refs), min: lo, max: hi)
        case .members(let xs, let optional, let extra, let sep):
            let items = xs.map { canonical($0, &refs) }
            let ex = extra.map { canonical($0, &refs) }
            return .members(items, optional: optional, extra: ex, separator: canonical(sep, &refs))
        }
    }
}
