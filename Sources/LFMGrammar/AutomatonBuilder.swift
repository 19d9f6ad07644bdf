/// Compiles a ``Grammar`` into an ``Automaton``: inlines non-recursive rules, builds one
/// Thompson NFA per rule, determinises it over global byte classes, then checks the grammar
/// (no left recursion, start rule matches something) and removes dead states.
struct AutomatonBuilder {
    /// Limits that keep compile time and memory bounded.
    struct Limits {
        var maxNFAStates = 200_000
        var maxDFAStates = 50_000
        var inlineSize = 2_000
        /// Inlining bound of rules called from more than one place.
        var sharedInlineSize = 300
        /// Work budget of one compilation (NFA states visited while determinising).
        var maxWork = 40_000_000
    }

    var limits = Limits()

    func build(_ g: Grammar) throws(GrammarError) -> Automaton {
        let inlined = try inline(g)
        var rules = inlined.rules
        let names = g.names
        // Reachable rules from start.
        var order: [Int] = [g.start]
        var index: [Int: Int] = [g.start: 0]
        var i = 0
        while i < order.count {
            var refs: [Int] = []
            Self.collectRefs(rules[order[i]], &refs)
            for r in refs where index[r] == nil {
                guard r >= 0 && r < rules.count else { throw GrammarError("rule \(names[order[i]]) calls an undefined rule") }
                index[r] = order.count; order.append(r)
            }
            i += 1
        }
        rules = order.map { rules[$0] }
        // Each rule determinised over its own byte classes (built-in rules from the process-wide
        // cache), then all of them remapped onto the common refinement of their classes.
        var dfas: [RuleDFA] = []
        var callMaps: [[Int]] = []
        var nfaTotal = 0, workDone = 0, stateTotal = 0
        for (ri, rule) in rules.enumerated() {
            let original = order[ri]
            let name = names[original]
            let nfaLimit = limits.maxNFAStates - nfaTotal
            let workLimit = limits.maxWork - workDone
            let stateLimit = limits.maxDFAStates - stateTotal
            var refs: [Int] = []
            let d: RuleDFA
            if g.builtin.contains(original) {
                let canon = RuleDFA.canonical(rule, &refs)
                let key = RuleDFA.Key(expr: canon, lexeme: g.noInline.contains(original) && refs.isEmpty && !Self.hasTokens(rule))
                if let hit = RuleDFA.cached(key) {
                    try hit.check(nfaLimit: nfaLimit, workLimit: workLimit, stateLimit: stateLimit, name: name, limits: limits)
                    d = hit
                } else {
                    d = try RuleDFA(canon, lexeme: key.lexeme, nfaLimit: nfaLimit, workLimit: workLimit, stateLimit: stateLimit, name: name, limits: limits)
                    RuleDFA.store(key, d)
                }
                callMaps.append(refs.map { index[$0]! })
            } else {
                Self.collectRefs(rule, &refs)
                let lexeme = g.noInline.contains(original) && refs.isEmpty && !Self.hasTokens(rule)
                d = try RuleDFA(rule, lexeme: lexeme, nfaLimit: nfaLimit, workLimit: workLimit, stateLimit: stateLimit, name: name, limits: limits)
                callMaps.append([])
            }
            nfaTotal += d.nfaStates
            workDone += d.workPrefix.last ?? 0
            stateTotal += d.stateCount
            dfas.append(d)
        }
        let (classOf, classCount) = ByteClasses.refine(dfas.map(\.classOf))
        var repByte = [Int](repeating: -1, count: classCount)
        for b in 0..<256 where repByte[Int(classOf[b])] < 0 { repByte[Int(classOf[b])] = b }
        var trans = [Int32](repeating: -1, count: stateTotal * classCount)
        var accepting: [Bool] = []
        accepting.reserveCapacity(stateTotal)
        var tokens: [[(Int32, Int32)]] = []
        tokens.reserveCapacity(stateTotal)
        var ruleOf: [Int32] = []
        ruleOf.reserveCapacity(stateTotal)
        var ruleStart: [Int32] = []
        var pendingCalls: [[(rule: Int, ret: Int32)]] = []
        pendingCalls.reserveCapacity(stateTotal)
        var sharedKeys: [SharedStateKey?] = []
        sharedKeys.reserveCapacity(stateTotal)
        var calls: [[(Int32, Int32)]]
        for (ri, d) in dfas.enumerated() {
            let base = Int32(accepting.count)
            ruleStart.append(base)
            let local = repByte.map { Int(d.classOf[$0]) }
            d.trans.withUnsafeBufferPointer { src in
                trans.withUnsafeMutableBufferPointer { dst in
                    for s in 0..<d.stateCount {
                        let from = s * d.classCount, to = (Int(base) + s) * classCount
                        for c in 0..<classCount {
                            let t = src[from + local[c]]
                            if t >= 0 { dst[to + c] = t + base }
                        }
                    }
                }
            }
            accepting.append(contentsOf: d.accepting)
            let map = callMaps[ri]
            for s in 0..<d.stateCount {
                pendingCalls.append(d.calls[s].map { (rule: map.isEmpty ? index[$0.rule]! : map[$0.rule], ret: $0.ret + base) })
                tokens.append(d.tokens[s].map { ($0.0, $0.1 + base) })
                ruleOf.append(Int32(ri))
                sharedKeys.append(d.subsets.map { SharedStateKey(rule: d.exprHash, subset: $0[s]) })
            }
        }
        calls = pendingCalls.map { $0.map { (ruleStart[$0.rule], $0.ret) } }
        let n = accepting.count
        // Successors of each state by a byte or a token (CSR, duplicates kept).
        var succStart = [Int32](repeating: 0, count: n + 1)
        var succ: [Int32] = []
        succ.reserveCapacity(n * 4)
        trans.withUnsafeBufferPointer { tp in
            for s in 0..<n {
                let row = s * classCount
                var last: Int32 = -1
                for c in 0..<classCount {
                    let t = tp[row + c]
                    if t >= 0 && t != last { succ.append(t); last = t }
                }
                for (_, t) in tokens[s] { succ.append(t) }
                succStart[s + 1] = Int32(succ.count)
            }
        }
        // Analysis: nullable, productive, left recursion.
        var mark = [Int32](repeating: -1, count: n)
        var stamp: Int32 = 0
        var work: [Int32] = []
        /// Whether an accepting state is reachable from `from` (by bytes and tokens when
        /// `bytes`, and by calls of rules whose flag in `through` is set).
        func reach(_ from: Int32, through: [Bool], bytes: Bool) -> Bool {
            stamp += 1
            mark[Int(from)] = stamp
            work.removeAll(keepingCapacity: true)
            work.append(from)
            while let s = work.popLast() {
                if accepting[Int(s)] { return true }
                if bytes {
                    for i in Int(succStart[Int(s)])..<Int(succStart[Int(s) + 1]) {
                        let t = succ[i]
                        if mark[Int(t)] != stamp { mark[Int(t)] = stamp; work.append(t) }
                    }
                }
                for (callee, ret) in calls[Int(s)] where through[Int(ruleOf[Int(callee)])] {
                    if mark[Int(ret)] != stamp { mark[Int(ret)] = stamp; work.append(ret) }
                }
            }
            return false
        }
        var nullable = [Bool](repeating: false, count: rules.count)
        var productive = [Bool](repeating: false, count: rules.count)
        var changed = true
        while changed {
            changed = false
            for r in 0..<rules.count {
                if !nullable[r], reach(ruleStart[r], through: nullable, bytes: false) { nullable[r] = true; changed = true }
                if !productive[r], reach(ruleStart[r], through: productive, bytes: true) { productive[r] = true; changed = true }
            }
        }
        guard productive[0] else { throw GrammarError("the grammar matches nothing (rule \(names[order[0]]) is unsatisfiable)") }
        // Left-call graph: calls reachable from a rule's start without reading input.
        var leftCalls = [[Int]](repeating: [], count: rules.count)
        for r in 0..<rules.count {
            stamp += 1
            mark[Int(ruleStart[r])] = stamp
            work.removeAll(keepingCapacity: true)
            work.append(ruleStart[r])
            while let s = work.popLast() {
                for (callee, ret) in calls[Int(s)] {
                    let c = Int(ruleOf[Int(callee)])
                    leftCalls[r].append(c)
                    if nullable[c], mark[Int(ret)] != stamp { mark[Int(ret)] = stamp; work.append(ret) }
                }
            }
        }
        var color = [UInt8](repeating: 0, count: rules.count)
        func dfs(_ r: Int) throws(GrammarError) {
            color[r] = 1
            for c in leftCalls[r] {
                if color[c] == 1 { throw GrammarError("rule \(names[order[c]]) is left-recursive (not supported; rewrite it with repetition)") }
                if color[c] == 0 { try dfs(c) }
            }
            color[r] = 2
        }
        for r in 0..<rules.count where color[r] == 0 { try dfs(r) }
        // Trim: drop calls of unproductive rules, then states that cannot reach acceptance.
        for s in 0..<n where !calls[s].isEmpty { calls[s] = calls[s].filter { productive[Int(ruleOf[Int($0.0)])] } }
        // Predecessors (CSR) by bytes, tokens and call returns.
        var revStart = [Int32](repeating: 0, count: n + 1)
        for t in succ { revStart[Int(t) + 1] += 1 }
        for s in 0..<n { for (_, t) in calls[s] { revStart[Int(t) + 1] += 1 } }
        for s in 0..<n { revStart[s + 1] += revStart[s] }
        var fill = revStart
        var rev = [Int32](repeating: 0, count: Int(revStart[n]))
        for s in 0..<n {
            for i in Int(succStart[s])..<Int(succStart[s + 1]) {
                let t = Int(succ[i]); rev[Int(fill[t])] = Int32(s); fill[t] += 1
            }
            for (_, t) in calls[s] { rev[Int(fill[Int(t)])] = Int32(s); fill[Int(t)] += 1 }
        }
        var live = accepting
        var stack = (0..<n).filter { live[$0] }.map(Int32.init)
        while let s = stack.popLast() {
            for i in Int(revStart[Int(s)])..<Int(revStart[Int(s) + 1]) where !live[Int(rev[i])] { live[Int(rev[i])] = true; stack.append(rev[i]) }
        }
        if live.contains(false) {
            trans.withUnsafeMutableBufferPointer { tp in
                for i in 0..<tp.count where tp[i] >= 0 && !live[Int(tp[i])] { tp[i] = -1 }
            }
            for s in 0..<n {
                if !tokens[s].isEmpty { tokens[s] = tokens[s].filter { live[Int($0.1)] } }
                if !calls[s].isEmpty { calls[s] = calls[s].filter { live[Int($0.1)] } }
            }
        }
        return Automaton(classOf: classOf, classCount: classCount, trans: trans, accepting: accepting, calls: calls,
                         tokens: tokens, start: ruleStart[0], ruleOf: ruleOf, sharedKeys: sharedKeys)
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
            let e = subst(g.rules[r])
            done[r] = e
            return e
        }
        func subst(_ e: GrammarExpr) -> GrammarExpr {
            switch e {
            case .ref(let r):
                if recursive[r] || g.noInline.contains(r) { return e }
                let b = body(r)
                if sizes[r] < 0 { sizes[r] = b.size }
                return sizes[r] <= (uses[r] > 1 ? limits.sharedInlineSize : limits.inlineSize) ? b : e
            case .seq(let xs): return .seq(xs.map(subst))
            case .alt(let xs): return .alt(xs.map(subst))
            case .rep(let x, let lo, let hi): return .rep(subst(x), min: lo, max: hi)
            case .members(let xs, let opt, let extra, let sep): return .members(xs.map(subst), optional: opt, extra: extra.map(subst), separator: subst(sep))
            default: return e
            }
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
        switch e {
        case .ref(let r): if !out.contains(r) { out.append(r) }
        case .seq(let xs), .alt(let xs): for x in xs { collectRefs(x, &out) }
        case .rep(let x, _, _): collectRefs(x, &out)
        case .members(let xs, _, let extra, let sep):
            for x in xs { collectRefs(x, &out) }
            if let extra { collectRefs(extra, &out) }
            collectRefs(sep, &out)
        default: break
        }
    }

    static func collectSets(_ e: GrammarExpr, _ sets: inout [ByteSet], _ index: inout [ByteSet: Int]) {
        switch e {
        case .bytes(let s): if index[s] == nil { index[s] = sets.count; sets.append(s) }
        case .automaton(let d):
            for row in d.edges { for e in row where index[e.set] == nil { index[e.set] = sets.count; sets.append(e.set) } }
        case .seq(let xs), .alt(let xs): for x in xs { collectSets(x, &sets, &index) }
        case .rep(let x, _, _): collectSets(x, &sets, &index)
        case .members(let xs, _, let extra, let sep):
            for x in xs { collectSets(x, &sets, &index) }
            if let extra { collectSets(extra, &sets, &index) }
            collectSets(sep, &sets, &index)
        default: break
        }
    }
}

/// A Thompson NFA with epsilon edges, built from one rule's expression.
struct NFA {
    enum Label { case set(Int), call(Int), token(Int) }
    struct Edge { var label: Label; var target: Int32 }
    var eps: [[Int32]] = []
    var edges: [[Edge]] = []
    var final = 0
    /// The most states there were when ``build(_:from:setIndex:limit:map:)`` checked its limit.
    var peak = 0

    mutating func newState() -> Int {
        eps.append([]); edges.append([])
        return eps.count - 1
    }

    mutating func build(_ e: GrammarExpr, from s: Int, setIndex: [ByteSet: Int], limit: Int, map: (Int) -> Int) throws(GrammarError) -> Int {
        if eps.count > peak { peak = eps.count }
        if eps.count > limit { throw GrammarError("grammar too large: more than \(limit) NFA states (reduce repetition counts, lengths or alternatives)") }
        switch e {
        case .empty: return s
        case .bytes(let set):
            if set.isEmpty { return newState() }
            let t = newState(); edges[s].append(Edge(label: .set(setIndex[set]!), target: Int32(t))); return t
        case .token(let id):
            let t = newState(); edges[s].append(Edge(label: .token(id), target: Int32(t))); return t
        case .ref(let r):
            let t = newState(); edges[s].append(Edge(label: .call(map(r)), target: Int32(t))); return t
        case .seq(let xs):
            var cur = s
            for x in xs { cur = try build(x, from: cur, setIndex: setIndex, limit: limit, map: map) }
            return cur
        case .alt(let xs):
            let t = newState()
            for x in xs {
                let a = newState(); eps[s].append(Int32(a))
                let end = try build(x, from: a, setIndex: setIndex, limit: limit, map: map)
                eps[end].append(Int32(t))
            }
            return t
        case .rep(let x, let lo, let hi):
            var cur = s
            for _ in 0..<lo { cur = try build(x, from: cur, setIndex: setIndex, limit: limit, map: map) }
            if let hi {
                if hi > lo {
                    let t = newState()
                    for _ in lo..<hi {
                        eps[cur].append(Int32(t))
                        cur = try build(x, from: cur, setIndex: setIndex, limit: limit, map: map)
                    }
                    eps[cur].append(Int32(t))
                    return t
                }
                return cur
            }
            let loop = newState(); eps[cur].append(Int32(loop))
            let a = newState(); eps[loop].append(Int32(a))
            let end = try build(x, from: a, setIndex: setIndex, limit: limit, map: map)
            eps[end].append(Int32(loop))
            return loop
        case .members(let items, let optional, let extra, let sep):
            // c_i: an item must follow (start, or after a separator), candidates from i on;
            // b_i: something was written, candidates from i on. Each item is built once.
            let n = items.count
            let c = (0...n).map { _ in newState() }, b = (0...n).map { _ in newState() }
            let end = newState()
            eps[s].append(Int32(c[0]))
            if optional.allSatisfy({ $0 }) { eps[s].append(Int32(end)) }
            for i in 0..<n {
                let e1 = try build(items[i], from: c[i], setIndex: setIndex, limit: limit, map: map)
                eps[e1].append(Int32(b[i + 1]))
                if optional[i] { eps[c[i]].append(Int32(c[i + 1])); eps[b[i]].append(Int32(b[i + 1])) }
            }
            for i in 0...n {
                let e2 = try build(sep, from: b[i], setIndex: setIndex, limit: limit, map: map)
                eps[e2].append(Int32(c[i]))
                if let extra {
                    let e3 = try build(extra, from: c[i], setIndex: setIndex, limit: limit, map: map)
                    eps[e3].append(Int32(b[i]))
                }
            }
            eps[b[n]].append(Int32(end))
            return end
        case .automaton(let d):
            let base = eps.count
            for _ in 0..<d.count { _ = newState() }
            let end = newState()
            eps[s].append(Int32(base))
            for (q, row) in d.edges.enumerated() {
                for e in row { edges[base + q].append(Edge(label: .set(setIndex[e.set]!), target: Int32(base + e.target))) }
                if d.accepting[q] { eps[base + q].append(Int32(end)) }
            }
            return end
        }
    }
}
