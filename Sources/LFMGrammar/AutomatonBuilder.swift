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
        var workDone = 0
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
        // Byte classes.
        var sets: [ByteSet] = []
        var setIndex: [ByteSet: Int] = [:]
        for r in rules { Self.collectSets(r, &sets, &setIndex) }
        var sig: [[Int]] = Array(repeating: [], count: 256)
        for (k, s) in sets.enumerated() { for b in 0..<256 where s.contains(UInt8(b)) { sig[b].append(k) } }
        var classIndex: [[Int]: Int] = [:]
        var classOf = [UInt8](repeating: 0, count: 256)
        for b in 0..<256 {
            if let c = classIndex[sig[b]] { classOf[b] = UInt8(c) } else {
                classIndex[sig[b]] = classIndex.count
                classOf[b] = UInt8(classIndex.count - 1)
            }
        }
        let classCount = classIndex.count
        let setClasses: [[Int]] = sets.map { s in
            var cs = Set<Int>()
            for b in 0..<256 where s.contains(UInt8(b)) { cs.insert(Int(classOf[b])) }
            return cs.sorted()
        }
        // NFA + DFA per rule.
        var trans: [Int32] = []
        var accepting: [Bool] = []
        var calls: [[(Int32, Int32)]] = []
        var tokens: [[(Int32, Int32)]] = []
        var ruleOf: [Int32] = []
        var ruleStart: [Int32] = []
        var pendingCalls: [[(rule: Int, ret: Int32)]] = []
        var sharedKeys: [SharedStateKey?] = []
        var nfaTotal = 0
        for (ri, rule) in rules.enumerated() {
            var nfa = NFA()
            let s0 = nfa.newState()
            let end = try nfa.build(rule, from: s0, setIndex: setIndex, limit: limits.maxNFAStates - nfaTotal, map: { index[$0]! })
            nfaTotal += nfa.eps.count
            nfa.final = end
            let base = Int32(accepting.count)
            ruleStart.append(base)
            var leafRefs: [Int] = []
            Self.collectRefs(rule, &leafRefs)
            let leafHash: Int? = g.noInline.contains(order[ri]) && leafRefs.isEmpty && !Self.hasTokens(rule) ? rule.hashValue : nil
            var dfa = SubsetQueue(eps: nfa.eps, base: base)
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
                workDone += subset.count
                if workDone > limits.maxWork {
                    throw GrammarError("grammar too large: determinising it needs more than \(limits.maxWork) steps (rule \(names[order[ri]]))")
                }
                if accepting.count >= limits.maxDFAStates {
                    throw GrammarError("grammar too large: more than \(limits.maxDFAStates) automaton states (rule \(names[order[ri]]))")
                }
                for c in touched { buckets[c].removeAll(keepingCapacity: true) }
                touched.removeAll(keepingCapacity: true)
                var callTargets: [Int: [Int32]] = [:], callOrder: [Int] = []
                var tokTargets: [Int: [Int32]] = [:], tokOrder: [Int] = []
                var acc = false
                for ns in subset {
                    if ns == Int32(end) { acc = true }
                    for e in nfa.edges[Int(ns)] {
                        switch e.label {
                        case .set(let k):
                            for c in setClasses[k] {
                                if buckets[c].isEmpty { touched.append(c) }
                                buckets[c].append(e.target)
                            }
                        case .call(let r):
                            if callTargets[r] == nil { callOrder.append(r) }
                            callTargets[r, default: []].append(e.target)
                        case .token(let t):
                            if tokTargets[t] == nil { tokOrder.append(t) }
                            tokTargets[t, default: []].append(e.target)
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
                pendingCalls.append(stateCalls)
                var stateTokens: [(Int32, Int32)] = []
                stateTokens.reserveCapacity(tokOrder.count)
                for t in tokOrder { stateTokens.append((Int32(t), dfa.state(for: tokTargets[t]!))) }
                tokens.append(stateTokens)
                ruleOf.append(Int32(ri))
                sharedKeys.append(leafHash.map { SharedStateKey(rule: $0, subset: subset) })
            }
        }
        calls = pendingCalls.map { $0.map { (ruleStart[$0.rule], $0.ret) } }
        let n = accepting.count
        // Analysis: nullable, productive, left recursion.
        let ruleOfState = ruleOf.map(Int.init)
        func reach(_ from: Int32, through: (Int32, Int32) -> Bool, bytes: Bool) -> Bool {
            var seen = Set<Int32>([from]), stack = [from]
            while let s = stack.popLast() {
                if accepting[Int(s)] { return true }
                var next: [Int32] = []
                if bytes {
                    for c in 0..<classCount { let t = trans[Int(s) * classCount + c]; if t >= 0 { next.append(t) } }
                    next.append(contentsOf: tokens[Int(s)].map(\.1))
                }
                for (callee, ret) in calls[Int(s)] where through(callee, ret) { next.append(ret) }
                for t in next where seen.insert(t).inserted { stack.append(t) }
            }
            return false
        }
        let ruleIndexOfStart = Dictionary(uniqueKeysWithValues: ruleStart.enumerated().map { ($1, $0) })
        var nullable = [Bool](repeating: false, count: rules.count)
        var productive = [Bool](repeating: false, count: rules.count)
        var changed = true
        while changed {
            changed = false
            for r in 0..<rules.count {
                if !nullable[r], reach(ruleStart[r], through: { c, _ in nullable[ruleIndexOfStart[c]!] }, bytes: false) { nullable[r] = true; changed = true }
                if !productive[r], reach(ruleStart[r], through: { c, _ in productive[ruleIndexOfStart[c]!] }, bytes: true) { productive[r] = true; changed = true }
            }
        }
        guard productive[0] else { throw GrammarError("the grammar matches nothing (rule \(names[order[0]]) is unsatisfiable)") }
        // Left-call graph: calls reachable from a rule's start without reading input.
        var leftCalls = [[Int]](repeating: [], count: rules.count)
        for r in 0..<rules.count {
            var seen = Set<Int32>([ruleStart[r]]), stack = [ruleStart[r]]
            while let s = stack.popLast() {
                for (callee, ret) in calls[Int(s)] {
                    leftCalls[r].append(ruleIndexOfStart[callee]!)
                    if nullable[ruleIndexOfStart[callee]!], seen.insert(ret).inserted { stack.append(ret) }
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
        for s in 0..<n { calls[s] = calls[s].filter { productive[ruleIndexOfStart[$0.0]!] } }
        var rev = [[Int32]](repeating: [], count: n)
        for s in 0..<n {
            for c in 0..<classCount { let t = trans[s * classCount + c]; if t >= 0 { rev[Int(t)].append(Int32(s)) } }
            for (_, t) in tokens[s] { rev[Int(t)].append(Int32(s)) }
            for (_, t) in calls[s] { rev[Int(t)].append(Int32(s)) }
        }
        var live = accepting
        var stack = (0..<n).filter { live[$0] }.map(Int32.init)
        while let s = stack.popLast() { for p in rev[Int(s)] where !live[Int(p)] { live[Int(p)] = true; stack.append(p) } }
        for s in 0..<n {
            for c in 0..<classCount where trans[s * classCount + c] >= 0 && !live[Int(trans[s * classCount + c])] { trans[s * classCount + c] = -1 }
            tokens[s] = tokens[s].filter { live[Int($0.1)] }
            calls[s] = calls[s].filter { live[Int($0.1)] }
        }
        _ = ruleOfState
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
                return b.size <= (uses[r] > 1 ? limits.sharedInlineSize : limits.inlineSize) ? b : e
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

    mutating func newState() -> Int {
        eps.append([]); edges.append([])
        return eps.count - 1
    }

    mutating func build(_ e: GrammarExpr, from s: Int, setIndex: [ByteSet: Int], limit: Int, map: (Int) -> Int) throws(GrammarError) -> Int {
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

    /// Epsilon closure, sorted.
    func closure(_ states: [Int32]) -> [Int32] {
        var seen = Set<Int32>(states), stack = states
        while let s = stack.popLast() { for t in eps[Int(s)] where seen.insert(t).inserted { stack.append(t) } }
        return seen.sorted()
    }
}
