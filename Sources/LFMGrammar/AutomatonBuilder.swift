/// Compiles a ``Grammar`` into an ``Automaton``: inlines non-recursive rules, builds one
/// Thompson NFA per rule, checks the grammar (no left recursion, start rule matches something)
/// on the NFAs and leaves out what cannot reach acceptance. The DFA states are built lazily by
/// the automaton, as matchers and mask walks enter them.
struct AutomatonBuilder {
    /// Limits that keep compile time and memory bounded.
    struct Limits {
        var maxNFAStates = 200_000
        /// Most automaton states one grammar builds (its tables' capacity).
        var maxDFAStates = 50_000
        var inlineSize = 2_000
        /// Inlining bound of rules called from more than one place.
        var sharedInlineSize = 300
        /// Bound of the copies of one shared rule together (its size times its call sites).
        var sharedInlineTotal = 1_500
    }

    var limits = Limits()

    func build(_ g: Grammar) throws(GrammarError) -> Automaton {
        let inlined = try inline(g)
        var rules = inlined.rules
        let names = g.names
        // Reachable rules from start. A rule whose body (after inlining) equals an earlier one's
        // is that rule: merged variants of one object repeat whole member rules verbatim, and
        // each copy would get an NFA and DFA states of its own.
        var order: [Int] = [g.start]
        var index: [Int: Int] = [g.start: 0]
        // Candidates are the earlier rules of the same name (the copies come from one place of
        // the schema), so only those are compared.
        var byName: [String: [Int]] = [names[g.start]: [0]]
        // The rules each reachable rule calls (in order of first appearance), by position in `order`.
        var ruleRefs: [[Int]] = []
        var i = 0
        while i < order.count {
            var refs: [Int] = []
            Self.collectRefs(rules[order[i]], &refs)
            ruleRefs.append(refs)
            for r in refs where index[r] == nil {
                guard r >= 0 && r < rules.count else { throw GrammarError("rule \(names[order[i]]) calls an undefined rule") }
                if let same = byName[names[r]]?.first(where: { Self.sameRule(g, rules, order[$0], r) }) { index[r] = same; continue }
                byName[names[r], default: []].append(order.count)
                index[r] = order.count; order.append(r)
            }
            i += 1
        }
        rules = order.map { rules[$0] }
        // Each rule's NFA (built-in rules from the process-wide cache), with its calls mapped
        // to rule positions in `order`.
        var nfas: [RuleNFA] = []
        var sharedDFAs: [LazyRuleDFA?] = []
        var callees: [[Int32: Int32]] = []
        var nfaTotal = 0
        for (ri, rule) in rules.enumerated() {
            let original = order[ri]
            let nfaLimit = limits.maxNFAStates - nfaTotal
            let refs = ruleRefs[ri]
            let lexeme = g.noInline.contains(original) && refs.isEmpty && !Self.hasTokens(rule)
            let nfa: RuleNFA
            var callee: [Int32: Int32] = [:]
            if let tag = g.builtin[original] {
                let key = RuleNFA.Key(tag: tag, lexeme: lexeme, calls: refs.count)
                if let hit = RuleNFA.cached(key) {
                    assert({ var r: [Int] = []; return RuleNFA.canonical(rule, &r) == hit.expr }(), "built-in tag \(tag) names two different rule bodies")
                    try hit.nfa.check(nfaLimit: nfaLimit)
                    nfa = hit.nfa
                    sharedDFAs.append(hit.dfa)
                } else {
                    var canonicalRefs: [Int] = []
                    let canon = RuleNFA.canonical(rule, &canonicalRefs)
                    nfa = try RuleNFA(canon, lexeme: lexeme, nfaLimit: nfaLimit)
                    let dfa = LazyRuleDFA(nfa, live: nfa.live(callable: { _ in true }), callable: Set((0..<Int32(refs.count))))
                    RuleNFA.store(key, expr: canon, nfa, dfa)
                    sharedDFAs.append(dfa)
                }
                for (k, r) in refs.enumerated() { callee[Int32(k)] = Int32(index[r]!) }
            } else {
                nfa = try RuleNFA(rule, lexeme: lexeme, nfaLimit: nfaLimit)
                sharedDFAs.append(nil)
                for r in refs { callee[Int32(r)] = Int32(index[r]!) }
            }
            nfaTotal += nfa.stateCount
            nfas.append(nfa)
            callees.append(callee)
        }
        // Analysis on the NFAs: nullable, productive, left recursion.
        let n = rules.count
        var nullable = [Bool](repeating: false, count: n)
        var productive = [Bool](repeating: false, count: n)
        var changed = true
        while changed {
            changed = false
            for r in 0..<n {
                let callee = callees[r]
                if !nullable[r], nfas[r].reaches(input: false, through: { nullable[Int(callee[$0]!)] }) { nullable[r] = true; changed = true }
                if !productive[r], nfas[r].reaches(input: true, through: { productive[Int(callee[$0]!)] }) { productive[r] = true; changed = true }
            }
        }
        guard productive[0] else { throw GrammarError("the grammar matches nothing (rule \(names[order[0]]) is unsatisfiable)") }
        // Left-call graph: calls reachable from a rule's start without reading input.
        var leftCalls = [[Int]](repeating: [], count: n)
        for r in 0..<n {
            let callee = callees[r]
            var called: [Int] = []
            _ = nfas[r].reaches(input: false, through: { nullable[Int(callee[$0]!)] }, called: { called.append(Int(callee[$0]!)) })
            leftCalls[r] = called
        }
        var color = [UInt8](repeating: 0, count: n)
        func dfs(_ r: Int) throws(GrammarError) {
            color[r] = 1
            for c in leftCalls[r] {
                if color[c] == 1 { throw GrammarError("rule \(names[order[c]]) is left-recursive (not supported; rewrite it with repetition)") }
                if color[c] == 0 { try dfs(c) }
            }
            color[r] = 2
        }
        for r in 0..<n where color[r] == 0 { try dfs(r) }
        // Global byte classes: the common refinement of the rules' own.
        let (classOf, classCount) = ByteClasses.refine(nfas.map(\.classOf))
        var repByte = [Int](repeating: -1, count: classCount)
        for b in 0..<256 where repByte[Int(classOf[b])] < 0 { repByte[Int(classOf[b])] = b }
        var lazyRules: [Automaton.Rule] = []
        for r in 0..<n {
            let callee = callees[r].filter { productive[Int($0.value)] }
            let dfa: LazyRuleDFA
            if let shared = sharedDFAs[r], callee.count == callees[r].count {
                dfa = shared  // every call kept: the process-wide DFA of the built-in rule
            } else {
                let live = productive[r] ? nfas[r].live(callable: { callee[$0] != nil }) : [Bool](repeating: false, count: nfas[r].stateCount)
                dfa = LazyRuleDFA(nfas[r], live: live, callable: Set(callee.keys))
            }
            let local = repByte.map { Int32(nfas[r].classOf[$0]) }
            lazyRules.append(Automaton.Rule(dfa: dfa, callee: callee, localClass: local, name: names[order[r]]))
        }
        return Automaton(rules: lazyRules, classOf: classOf, classCount: classCount, capacity: limits.maxDFAStates)
    }

    /// Whether rules `a` and `b` are the same rule: equal bodies after inlining, both kept as
    /// calls or neither (a lexeme's masks are shared), the same built-in tag.
    static func sameRule(_ g: Grammar, _ rules: [GrammarExpr], _ a: Int, _ b: Int) -> Bool {
        g.noInline.contains(a) == g.noInline.contains(b) && g.builtin[a] == g.builtin[b] && rules[a] == rules[b]
    }

    // MARK: inlining

    /// Replaces calls of non-recursive rules by their bodies (when not too large).
    func inline(_ g: Grammar) throws(GrammarError) -> Grammar {
        let n = g.rules.count
        var refs = [[Int]](repeating: [], count: n)
        for r in 0..<n {
            Self.collectRefs(g.rules[r], &refs[r])
            for c in refs[r] where c < 0 || c >= n { throw GrammarError("rule \(g.names[r]) calls an undefined rule") }
        }
        // Tarjan SCC to find recursive rules.
        var idx = [Int](repeating: -1, count: n), low = [Int](repeating: 0, count: n), onStack = [Bool](repeating: false, count: n)
        var st: [Int] = [], counter = 0
        var recursive = [Bool](repeating: false, count: n)
        func strong(_ v: Int) {
            idx[v] = counter; low[v] = counter; counter += 1; st.append(v); onStack[v] = true
            for w in refs[v] {
                if idx[w] < 0 { strong(w); low[v] = min(low[v], low[w]) } else if onStack[w] { low[v] = min(low[v], idx[w]) }
            }
            if low[v] == idx[v] {
                var comp: [Int] = []
                while true { let w = st.removeLast(); onStack[w] = false; comp.append(w); if w == v { break } }
                if comp.count > 1 || refs[v].contains(v) { for w in comp { recursive[w] = true } }
            }
        }
        for v in 0..<n where idx[v] < 0 { strong(v) }
        // Call sites per rule: a large rule called from several places stays a call (one
        // automaton shared by the callers instead of a copy per site).
        var uses = [Int](repeating: 0, count: n)
        func countUses(_ e: GrammarExpr) {
            switch e {
            case .ref(let r): uses[r] += 1
            case .seq(let xs), .alt(let xs): xs.forEach(countUses)
            case .rep(let x, _, _): countUses(x)
            case .members(let xs, _, let extra, let sep):
                // The NFA builds the extra member and the separator once per position.
                xs.forEach(countUses)
                for _ in 0...xs.count { extra.map(countUses); countUses(sep) }
            default: break
            }
        }
        g.rules.forEach(countUses)
        var done = [GrammarExpr?](repeating: nil, count: n)
        var sizes = [Int](repeating: -1, count: n)
        var out = g
        func body(_ r: Int) -> GrammarExpr {
            if let d = done[r] { return d }
            // A rule that calls nothing is its own body (no copy of its tree).
            let e = refs[r].isEmpty ? g.rules[r] : (subst(g.rules[r]) ?? g.rules[r])
            done[r] = e
            return e
        }
        /// `e` with inlinable calls replaced, or nil when nothing in it changes (unchanged
        /// subtrees are shared, not rebuilt).
        func subst(_ e: GrammarExpr) -> GrammarExpr? {
            switch e {
            case .ref(let r):
                if recursive[r] || g.noInline.contains(r) { return nil }
                let b = body(r)
                let bound = uses[r] > 1 ? min(limits.sharedInlineSize, limits.sharedInlineTotal / uses[r]) : limits.inlineSize
                if sizes[r] < 0 { sizes[r] = b.size(upTo: bound) }
                return sizes[r] <= bound ? b : nil
            case .seq(let xs): return substAll(xs).map { .seq($0) }
            case .alt(let xs): return substAll(xs).map { .alt($0) }
            case .rep(let x, let lo, let hi): return subst(x).map { .rep($0, min: lo, max: hi) }
            case .members(let xs, let opt, let extra, let sep):
                let items = substAll(xs), ex = extra.flatMap(subst), s = subst(sep)
                if items == nil && ex == nil && s == nil { return nil }
                return .members(items ?? xs, optional: opt, extra: ex ?? extra, separator: s ?? sep)
            default: return nil
            }
        }
        func substAll(_ xs: [GrammarExpr]) -> [GrammarExpr]? {
            var out: [GrammarExpr]?
            for (i, x) in xs.enumerated() {
                if let y = subst(x) {
                    if out == nil { out = Array(xs[..<i]) }
                    out!.append(y)
                } else if out != nil {
                    out!.append(x)
                }
            }
            return out
        }
        for r in 0..<n { out.rules[r] = body(r) }
        return out
    }

    static func hasTokens(_ e: GrammarExpr) -> Bool {
        switch e {
        case .token: return true
        case .seq(let xs), .alt(let xs): return xs.contains(where: hasTokens)
        case .rep(let x, _, _): return hasTokens(x)
        case .members(let xs, _, let extra, let sep): return xs.contains(where: hasTokens) || extra.map(hasTokens) == true || hasTokens(sep)
        default: return false
        }
    }

    static func collectRefs(_ e: GrammarExpr, _ out: inout [Int]) {
        var seen = Set<Int>()
        collectRefs(e, &out, &seen)
    }

    /// ``collectRefs(_:_:)`` with the rules already in `out` in `seen`.
    private static func collectRefs(_ e: GrammarExpr, _ out: inout [Int], _ seen: inout Set<Int>) {
        switch e {
        case .ref(let r): if seen.insert(r).inserted { out.append(r) }
        case .seq(let xs), .alt(let xs): for x in xs { collectRefs(x, &out, &seen) }
        case .rep(let x, _, _): collectRefs(x, &out, &seen)
        case .members(let xs, _, let extra, let sep):
            for x in xs { collectRefs(x, &out, &seen) }
            if let extra { collectRefs(extra, &out, &seen) }
            collectRefs(sep, &out, &seen)
        default: break
        }
    }

    static func collectSets(_ e: GrammarExpr, _ index: inout ByteSetIndex) {
        switch e {
        case .bytes(let s): index.insert(s)
        case .automaton(let d):
            for row in d.edges { for e in row { index.insert(e.set) } }
        case .seq(let xs), .alt(let xs): for x in xs { collectSets(x, &index) }
        case .rep(let x, _, _): collectSets(x, &index)
        case .members(let xs, _, let extra, let sep):
            for x in xs { collectSets(x, &index) }
            if let extra { collectSets(extra, &index) }
            collectSets(sep, &index)
        default: break
        }
    }
}

