import Locking

/// One grammar rule determinised on its own: a DFA over the rule's own byte classes (the
/// partition its byte sets generate), with call and token edges, numbered from 0.
/// ``AutomatonBuilder`` remaps it onto the grammar's global classes and state numbers. Built-in
/// rules (``Grammar/builtin``: JSON values, strings, whitespace — fixed by the compiler, not
/// by the schema) are cached process-wide by content, so each is determinised once per process.
final class RuleDFA: Sendable {
    /// Byte → the rule's own class.
    let classOf: [UInt8]
    let classCount: Int
    /// `trans[state * classCount + class]` = next state (rule-local) or -1.
    let trans: [Int32]
    let accepting: [Bool]
    /// Call edges per state: (rule number as written in the expression, return state).
    let calls: [[(rule: Int, ret: Int32)]]
    /// Token edges per state: (token id, target state).
    let tokens: [[(Int32, Int32)]]
    /// Per state, the NFA subset (lexeme rules only: the key of masks shared across grammars).
    let subsets: [[Int32]]?
    /// Hash of the rule's expression (lexeme rules: part of the shared mask key).
    let exprHash: Int
    /// Determinisation work (NFA states visited) up to and including each state.
    let workPrefix: [Int]
    /// The most NFA states there were when the NFA builder entered an expression (its limit check).
    let nfaPeak: Int
    /// Number of NFA states.
    let nfaStates: Int

    var stateCount: Int { accepting.count }

    /// Determinises `rule`. `lexeme`: record subsets for shared masks. Limits are the budget
    /// left in the grammar being built; errors name `name`.
    init(_ rule: GrammarExpr, lexeme: Bool, nfaLimit: Int, workLimit: Int, stateLimit: Int, name: String,
         limits: AutomatonBuilder.Limits = AutomatonBuilder.Limits()) throws(GrammarError) {
        var sets: [ByteSet] = []
        var setIndex: [ByteSet: Int] = [:]
        AutomatonBuilder.collectSets(rule, &sets, &setIndex)
        let (classOf, classCount) = ByteClasses.partition(sets)
        self.classOf = classOf
        self.classCount = classCount
        // The classes of each set, flat (set k: setClassList[setClassStart[k] ..< setClassStart[k + 1]]).
        var setClassStart: [Int32] = [0]
        var setClassList: [Int32] = []
        for set in sets {
            for c in ByteClasses.classes(of: set, classOf) { setClassList.append(Int32(c)) }
            setClassStart.append(Int32(setClassList.count))
        }
        var nfa = NFA()
        let s0 = nfa.newState()
        let end = try nfa.build(rule, from: s0, setIndex: setIndex, limit: nfaLimit, map: { $0 })
        nfa.final = end
        nfaPeak = nfa.peak
        nfaStates = nfa.eps.count
        // The NFA's labelled edges, flat: kind 0 set / 1 call / 2 token, its argument, its target.
        var edgeStart = [Int32](repeating: 0, count: nfa.edges.count + 1)
        var edgeKind: [UInt8] = [], edgeArg: [Int32] = [], edgeTarget: [Int32] = []
        for (i, es) in nfa.edges.enumerated() {
            for e in es {
                switch e.label {
                case .set(let k): edgeKind.append(0); edgeArg.append(Int32(k))
                case .call(let r): edgeKind.append(1); edgeArg.append(Int32(r))
                case .token(let t): edgeKind.append(2); edgeArg.append(Int32(t))
                }
                edgeTarget.append(e.target)
            }
            edgeStart[i + 1] = Int32(edgeKind.count)
        }
        exprHash = rule.hashValue
        var trans: [Int32] = []
        var accepting: [Bool] = []
        var calls: [[(rule: Int, ret: Int32)]] = []
        var tokens: [[(Int32, Int32)]] = []
        var subsets: [[Int32]] = []
        var workPrefix: [Int] = []
        var work = 0
        var important = [Bool](repeating: false, count: nfa.edges.count)
        for x in 0..<nfa.edges.count where !nfa.edges[x].isEmpty || x == end { important[x] = true }
        var dfa = SubsetQueue(eps: nfa.eps, base: 0, important: important)
        // Per-class NFA targets of the state being built, reused across states.
        var buckets = [[Int32]](repeating: [], count: classCount)
        var touched: [Int] = []
        // Classes with the same targets share one closure: remembered by bucket hash.
        var memo = SubsetIndex()
        var memoKeys: [[Int32]] = [], memoStates: [Int32] = []
        _ = dfa.state(for: [Int32(s0)])
        var q = 0
        while q < dfa.subsets.count {
            let subset = dfa.subsets[q]; q += 1
            work += subset.count
            if work > workLimit {
                throw GrammarError("grammar too large: determinising it needs more than \(limits.maxWork) steps (rule \(name))")
            }
            if accepting.count >= stateLimit {
                throw GrammarError("grammar too large: more than \(limits.maxDFAStates) automaton states (rule \(name))")
            }
            workPrefix.append(work)
            for c in touched { buckets[c].removeAll(keepingCapacity: true) }
            touched.removeAll(keepingCapacity: true)
            var callTargets: [Int: [Int32]] = [:], callOrder: [Int] = []
            var tokTargets: [Int: [Int32]] = [:], tokOrder: [Int] = []
            var acc = false
            for ns in subset {
                if ns == Int32(end) { acc = true }
                for i in Int(edgeStart[Int(ns)])..<Int(edgeStart[Int(ns) + 1]) {
                    let target = edgeTarget[i], arg = Int(edgeArg[i])
                    switch edgeKind[i] {
                    case 0:
                        for j in Int(setClassStart[arg])..<Int(setClassStart[arg + 1]) {
                            let c = Int(setClassList[j])
                            if buckets[c].isEmpty { touched.append(c) }
                            buckets[c].append(target)
                        }
                    case 1:
                        if callTargets[arg] == nil { callOrder.append(arg) }
                        callTargets[arg, default: []].append(target)
                    default:
                        if tokTargets[arg] == nil { tokOrder.append(arg) }
                        tokTargets[arg, default: []].append(target)
                    }
                }
            }
            let row = trans.count
            trans.append(contentsOf: repeatElement(-1, count: classCount))
            memo.removeAll(); memoKeys.removeAll(keepingCapacity: true); memoStates.removeAll(keepingCapacity: true)
            touched.sort()
            for c in touched {
                let key = buckets[c]
                let h = SubsetIndex.hash(key)
                if let m = memo.find(key, h, in: memoKeys) { trans[row + c] = memoStates[Int(m)]; continue }
                let s = dfa.state(for: key)
                memo.insert(h, Int32(memoKeys.count)); memoKeys.append(key); memoStates.append(s)
                trans[row + c] = s
            }
            accepting.append(acc)
            var stateCalls: [(rule: Int, ret: Int32)] = []
            stateCalls.reserveCapacity(callOrder.count)
            for r in callOrder { stateCalls.append((rule: r, ret: dfa.state(for: callTargets[r]!))) }
            calls.append(stateCalls)
            var stateTokens: [(Int32, Int32)] = []
            stateTokens.reserveCapacity(tokOrder.count)
            for t in tokOrder { stateTokens.append((Int32(t), dfa.state(for: tokTargets[t]!))) }
            tokens.append(stateTokens)
            if lexeme { subsets.append(subset) }
        }
        self.trans = trans
        self.accepting = accepting
        self.calls = calls
        self.tokens = tokens
        self.subsets = lexeme ? subsets : nil
        self.workPrefix = workPrefix
    }

    /// Throws the error building this rule within the given budget would have thrown (a cached
    /// rule is checked against the same limits as a freshly built one).
    func check(nfaLimit: Int, workLimit: Int, stateLimit: Int, name: String, limits: AutomatonBuilder.Limits) throws(GrammarError) {
        if nfaPeak > nfaLimit {
            throw GrammarError("grammar too large: more than \(nfaLimit) NFA states (reduce repetition counts, lengths or alternatives)")
        }
        for k in 0..<stateCount {
            if workPrefix[k] > workLimit {
                throw GrammarError("grammar too large: determinising it needs more than \(limits.maxWork) steps (rule \(name))")
            }
            if k >= stateLimit {
                throw GrammarError("grammar too large: more than \(limits.maxDFAStates) automaton states (rule \(name))")
            }
        }
    }

    // MARK: process-wide cache of built-in rules

    struct Key: Hashable, Sendable {
        /// The rule with its calls renumbered 0, 1, … in order of first appearance.
        var expr: GrammarExpr
        var lexeme: Bool
    }

    private struct Cache {
        var items: [Key: RuleDFA] = [:]
        var cells = 0
    }

    private static let cache = Locked<Cache>(Cache())
    /// Bound of the cache (transition cells over all entries); it is emptied when full.
    static let maxCachedCells = 4_000_000

    /// The cached DFA of a built-in rule, or nil.
    static func cached(_ key: Key) -> RuleDFA? { cache.withLock { $0.items[key] } }

    /// Remembers the DFA of a built-in rule.
    static func store(_ key: Key, _ d: RuleDFA) {
        let cells = d.trans.count
        cache.withLock { c in
            if c.cells + cells > maxCachedCells { c.items.removeAll(); c.cells = 0 }
            if c.items.updateValue(d, forKey: key) == nil { c.cells += cells }
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
