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
        let inlinable = try inlinePlan(g)
        let rules = g.rules
        let expand: (Int) -> GrammarExpr? = { inlinable[$0] ? rules[$0] : nil }
        let names = g.names
        // Reachable rules from start. A rule whose body (inlined calls expanded) equals an earlier
        // one's is that rule: merged variants of one object repeat whole member rules verbatim, and
        // each copy would get an NFA and DFA states of its own.
        var order: [Int] = [g.start]
        var index: [Int: Int] = [g.start: 0]
        // Candidates are the earlier rules of the same name (the copies come from one place of
        // the schema), so only those are compared.
        var byName: [String: [Int]] = [names[g.start]: [0]]
        // Each reachable rule's NFA (built-in rules from the process-wide cache), built as the
        // rule is reached, and its calls (by position in the NFA's call list) mapped to rule
        // positions in `order`.
        var nfas: [RuleNFA] = []
        var sharedDFAs: [LazyRuleDFA?] = []
        var callees: [[Int32]] = []
        var nfaTotal = 0
        var i = 0
        while i < order.count {
            let original = order[i]
            let rule = rules[original]
            let nfaLimit = limits.maxNFAStates - nfaTotal
            let nfa: RuleNFA
            // The rule (as numbered in `g`) each call of the NFA calls.
            let targets: [Int]
            if let tag = g.builtin[original] {
                // The cached NFA is built from the rule with its calls renumbered 0, 1, … in
                // order of first appearance (``RuleNFA/canonical(_:_:)``); `refs` maps them back.
                var refs: [Int] = []
                Self.collectRefs(rule, &refs)
                var body = rule
                if refs.contains(where: { inlinable[$0] }) {
                    body = Self.expanded(rule, expand)
                    refs.removeAll()
                    Self.collectRefs(body, &refs)
                }
                let lexeme = g.noInline.contains(original) && refs.isEmpty && !Self.hasTokens(body)
                let key = RuleNFA.Key(tag: tag, lexeme: lexeme, calls: refs.count)
                if let hit = RuleNFA.cached(key) {
                    assert({ var r: [Int] = []; return RuleNFA.canonical(body, &r) == hit.expr }(), "built-in tag \(tag) names two different rule bodies")
                    try hit.nfa.check(nfaLimit: nfaLimit)
                    nfa = hit.nfa
                    sharedDFAs.append(hit.dfa)
                } else {
                    var canonicalRefs: [Int] = []
                    let canon = RuleNFA.canonical(body, &canonicalRefs)
                    nfa = try RuleNFA(canon, mayBeLexeme: lexeme, nfaLimit: nfaLimit)
                    let all = [Bool](repeating: true, count: nfa.calls.count)
                    let dfa = LazyRuleDFA(nfa, live: nfa.live(callable: all), callable: all)
                    RuleNFA.store(key, expr: canon, nfa, dfa)
                    sharedDFAs.append(dfa)
                }
                targets = nfa.calls.map { refs[$0] }
            } else {
                nfa = try RuleNFA(rule, mayBeLexeme: g.noInline.contains(original), nfaLimit: nfaLimit, expand: expand)
                sharedDFAs.append(nil)
                targets = nfa.calls
            }
            var callee: [Int32] = []
            callee.reserveCapacity(targets.count)
            for r in targets {
                if index[r] == nil {
                    if let same = byName[names[r]]?.first(where: { Self.sameRule(g, inlinable, order[$0], r) }) {
                        index[r] = same
                    } else {
                        byName[names[r], default: []].append(order.count)
                        index[r] = order.count
                        order.append(r)
                    }
                }
                callee.append(Int32(index[r]!))
            }
            nfaTotal += nfa.stateCount
            nfas.append(nfa)
            callees.append(callee)
            i += 1
        }
        // Analysis on the NFAs: nullable, productive, left recursion.
        let n = nfas.count
        var nullable = [Bool](repeating: false, count: n)
        var productive = [Bool](repeating: false, count: n)
        var changed = true
        while changed {
            changed = false
            for r in 0..<n {
                let callee = callees[r]
                if !nullable[r], nfas[r].reaches(input: false, through: { nullable[Int(callee[Int($0)])] }) { nullable[r] = true; changed = true }
                if !productive[r], nfas[r].reaches(input: true, through: { productive[Int(callee[Int($0)])] }) { productive[r] = true; changed = true }
            }
        }
        guard productive[0] else { throw GrammarError("the grammar matches nothing (rule \(names[order[0]]) is unsatisfiable)") }
        // Left-call graph: calls reachable from a rule's start without reading input.
        var leftCalls = [[Int]](repeating: [], count: n)
        for r in 0..<n {
            let callee = callees[r]
            var called: [Int] = []
            _ = nfas[r].reaches(input: false, through: { nullable[Int(callee[Int($0)])] }, called: { called.append(Int(callee[Int($0)])) })
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
            // Calls of rules that match nothing are left out (-1).
            let callee = callees[r].map { productive[Int($0)] ? $0 : -1 }
            let dfa: LazyRuleDFA
            if let shared = sharedDFAs[r], !callee.contains(-1) {
                dfa = shared  // every call kept: the process-wide DFA of the built-in rule
            } else {
                let callable = callee.map { $0 >= 0 }
                let live = productive[r] ? nfas[r].live(callable: callable) : [Bool](repeating: false, count: nfas[r].stateCount)
                dfa = LazyRuleDFA(nfas[r], live: live, callable: callable)
            }
            let local = repByte.map { Int32(nfas[r].classOf[$0]) }
            lazyRules.append(Automaton.Rule(dfa: dfa, callee: callee, localClass: local, name: names[order[r]]))
        }
        return Automaton(rules: lazyRules, classOf: classOf, classCount: classCount, capacity: limits.maxDFAStates)
    }

    /// Whether rules `a` and `b` are the same rule: equal bodies with inlined calls expanded,
    /// both kept as calls or neither (a lexeme's masks are shared), the same built-in tag.
    static func sameRule(_ g: Grammar, _ inlinable: [Bool], _ a: Int, _ b: Int) -> Bool {
        g.noInline.contains(a) == g.noInline.contains(b) && g.builtin[a] == g.builtin[b]
            && sameExpanded(g.rules[a], g.rules[b], g.rules, inlinable)
    }

    /// Whether `x` and `y` are equal once the calls of inlinable rules are replaced by their
    /// bodies (what their NFAs are built from).
    static func sameExpanded(_ x: GrammarExpr, _ y: GrammarExpr, _ rules: [GrammarExpr], _ inlinable: [Bool]) -> Bool {
        switch (x, y) {
        case (.ref(let a), .ref(let b)) where a == b: return true
        case (.ref(let a), _) where inlinable[a]: return sameExpanded(rules[a], y, rules, inlinable)
        case (_, .ref(let b)) where inlinable[b]: return sameExpanded(x, rules[b], rules, inlinable)
        case (.seq(let xs), .seq(let ys)), (.alt(let xs), .alt(let ys)):
            if xs.count != ys.count || !sameKind(x, y) { return false }
            for i in xs.indices where !sameExpanded(xs[i], ys[i], rules, inlinable) { return false }
            return true
        case (.rep(let a, let lo, let hi), .rep(let b, let lo2, let hi2)):
            return lo == lo2 && hi == hi2 && sameExpanded(a, b, rules, inlinable)
        case (.members(let xs, let ox, let ex, let sx), .members(let ys, let oy, let ey, let sy)):
            guard xs.count == ys.count, ox == oy, (ex == nil) == (ey == nil), sameExpanded(sx, sy, rules, inlinable) else { return false }
            if let ex, let ey, !sameExpanded(ex, ey, rules, inlinable) { return false }
            for i in xs.indices where !sameExpanded(xs[i], ys[i], rules, inlinable) { return false }
            return true
        default:
            return x == y
        }
    }

    private static func sameKind(_ x: GrammarExpr, _ y: GrammarExpr) -> Bool {
        switch (x, y) {
        case (.seq, .seq), (.alt, .alt): return true
        default: return false
        }
    }

    /// `e` with the calls `expand` gives a body for replaced by that body (recursively).
    static func expanded(_ e: GrammarExpr, _ expand: (Int) -> GrammarExpr?) -> GrammarExpr {
        switch e {
        case .ref(let r): return expand(r).map { expanded($0, expand) } ?? e
        case .seq(let xs): return .seq(xs.map { expanded($0, expand) })
        case .alt(let xs): return .alt(xs.map { expanded($0, expand) })
        case .rep(let x, let lo, let hi): return .rep(expanded(x, expand), min: lo, max: hi)
        case .members(let xs, let opt, let extra, let sep):
            return .members(xs.map { expanded($0, expand) }, optional: opt, extra: extra.map { expanded($0, expand) }, separator: expanded(sep, expand))
        default: return e
        }
    }

    // MARK: inlining

    /// Which rules are inlined: the NFA builder expands their calls in place (calls of
    /// non-recursive rules whose expanded bodies are small enough; bounds in ``Limits``).
    func inlinePlan(_ g: Grammar) throws(GrammarError) -> [Bool] {
        let n = g.rules.count
        // Sizes are only compared with the bounds: they count up to just above the largest.
        let cap = max(limits.inlineSize, limits.sharedInlineSize) + 1
        // One walk of every rule: the rules it calls (each once), the call sites per rule (a
        // large rule called from several places stays a call: one automaton shared by the
        // callers instead of a copy per site), and the rule's size (``GrammarExpr/size``) with
        // each call counting one and how many times each callee's body would be copied in.
        var refs = [[Int]](repeating: [], count: n)
        var copies = [[Int]](repeating: [], count: n)
        var uses = [Int](repeating: 0, count: n)
        var own = [Int](repeating: 0, count: n)
        var lastCaller = [Int](repeating: -1, count: n), lastIndex = [Int](repeating: 0, count: n)
        func scan(_ e: GrammarExpr, _ caller: Int, _ useTimes: Int, _ sizeTimes: Int) {
            switch e {
            case .ref(let r):
                own[caller] = min(cap, own[caller] + sizeTimes)
                guard r >= 0 && r < n else { refs[caller].append(r); return }
                uses[r] += useTimes
                if lastCaller[r] != caller {
                    lastCaller[r] = caller; lastIndex[r] = refs[caller].count
                    refs[caller].append(r); copies[caller].append(0)
                }
                copies[caller][lastIndex[r]] = min(cap, copies[caller][lastIndex[r]] + sizeTimes)
            case .seq(let xs), .alt(let xs):
                own[caller] = min(cap, own[caller] + sizeTimes)
                for x in xs { scan(x, caller, useTimes, sizeTimes) }
            case .rep(let x, let lo, let hi):
                own[caller] = min(cap, own[caller] + sizeTimes)
                scan(x, caller, useTimes, min(cap, sizeTimes * max(1, min(max(lo, hi ?? lo + 1), 1 << 20))))
            case .members(let xs, _, let extra, let sep):
                // The NFA builds the extra member and the separator once per position.
                own[caller] = min(cap, own[caller] + sizeTimes)
                for x in xs { scan(x, caller, useTimes, sizeTimes) }
                let u = min(1 << 30, useTimes * (xs.count + 1)), t = min(cap, sizeTimes * (xs.count + 1))
                if let extra { scan(extra, caller, u, t) }
                scan(sep, caller, u, t)
            case .automaton(let d):
                own[caller] = min(cap, own[caller] + min(cap, d.size) * sizeTimes)
            case .empty, .bytes, .token:
                own[caller] = min(cap, own[caller] + sizeTimes)
            }
        }
        for r in 0..<n {
            scan(g.rules[r], r, 1, 1)
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
        // Sizes with inlined calls expanded (capped at `cap`).
        var sizes = [Int](repeating: -1, count: n)
        var inlinable = [Bool](repeating: false, count: n)
        func plan(_ r: Int) {
            guard sizes[r] < 0 else { return }
            sizes[r] = cap
            guard !recursive[r] && !g.noInline.contains(r) else { return }
            var size = own[r]
            for (k, c) in refs[r].enumerated() {
                plan(c)
                if inlinable[c] { size = min(cap, size + copies[r][k] * (sizes[c] - 1)) }
            }
            sizes[r] = size
            let bound = uses[r] > 1 ? min(limits.sharedInlineSize, limits.sharedInlineTotal / uses[r]) : limits.inlineSize
            inlinable[r] = size <= bound
        }
        for r in 0..<n where uses[r] > 0 { plan(r) }
        return inlinable
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
}

