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
        /// Bound of the copies of one shared rule together (its size times its call sites).
        var sharedInlineTotal = 1_500
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
        // The rules each reachable rule calls (in order of first appearance), by position in `order`.
        var ruleRefs: [[Int]] = []
        var i = 0
        while i < order.count {
            var refs: [Int] = []
            Self.collectRefs(rules[order[i]], &refs)
            ruleRefs.append(refs)
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
            let refs = ruleRefs[ri]
            let d: RuleDFA
            if let tag = g.builtin[original] {
                let key = RuleDFA.Key(tag: tag, lexeme: g.noInline.contains(original) && refs.isEmpty && !Self.hasTokens(rule), calls: refs.count)
                if let hit = RuleDFA.cached(key) {
                    assert({ var r: [Int] = []; return RuleDFA.canonical(rule, &r) == hit.expr }(), "built-in tag \(tag) names two different rule bodies")
                    try hit.dfa.check(nfaLimit: nfaLimit, workLimit: workLimit, stateLimit: stateLimit, name: name, limits: limits)
                    d = hit.dfa
                } else {
                    var canonicalRefs: [Int] = []
                    let canon = RuleDFA.canonical(rule, &canonicalRefs)
                    d = try RuleDFA(canon, lexeme: key.lexeme, nfaLimit: nfaLimit, workLimit: workLimit, stateLimit: stateLimit, name: name, limits: limits)
                    RuleDFA.store(key, expr: canon, d)
                }
                callMaps.append(refs.map { index[$0]! })
            } else {
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
        // The transition table is handed to the automaton (freed here if the grammar is refused).
        let cells = max(1, stateTotal * classCount)
        // Every row is written in full below (no separate fill with -1).
        let trans = UnsafeMutablePointer<Int32>.allocate(capacity: cells)
        if stateTotal == 0 { trans.initialize(to: -1) }
        var handedOver = false
        defer { if !handedOver { trans.deallocate() } }
        var accepting: [Bool] = []
        accepting.reserveCapacity(stateTotal)
        var ruleOf = [Int32](repeating: 0, count: stateTotal)
        var ruleStart: [Int32] = []
        var sharedKeys: [SharedStateKey?] = []
        sharedKeys.reserveCapacity(stateTotal)
        var readable: [UInt8] = [], selfLoop: [UInt64] = [], fewBytes: [UInt8] = []
        readable.reserveCapacity(stateTotal); selfLoop.reserveCapacity(stateTotal * 4); fewBytes.reserveCapacity(stateTotal * 4)
        // Call and token edges of every state (CSR: state s's are at start[s] ..< start[s + 1]);
        // call edges hold the callee's rule (its position in `order`) until rule starts are known.
        var callStart = [Int32](repeating: 0, count: stateTotal + 1), callee: [Int32] = [], callRet: [Int32] = []
        var tokenStart = [Int32](repeating: 0, count: stateTotal + 1), tokenID: [Int32] = [], tokenTarget: [Int32] = []
        // Successors of each state by a byte or a token (CSR, duplicates kept).
        var succStart = [Int32](repeating: 0, count: stateTotal + 1)
        var succ: [Int32] = []
        succ.reserveCapacity(stateTotal * 2)
        for (ri, d) in dfas.enumerated() {
            let base = Int32(accepting.count)
            ruleStart.append(base)
            let local = repByte.map { Int(d.classOf[$0]) }
            d.trans.withUnsafeBufferPointer { src in
                local.withUnsafeBufferPointer { local in
                    for s in 0..<d.stateCount {
                        let from = s * d.classCount, to = (Int(base) + s) * classCount
                        for c in 0..<classCount {
                            let t = src[from + local[c]]
                            trans[to + c] = t >= 0 ? t + base : -1
                        }
                    }
                }
            }
            accepting.append(contentsOf: d.accepting)
            readable.append(contentsOf: d.readable); selfLoop.append(contentsOf: d.selfLoop); fewBytes.append(contentsOf: d.fewBytes)
            let map = callMaps[ri]
            for k in 0..<d.callRule.count {
                let r = Int(d.callRule[k])
                callee.append(Int32(map.isEmpty ? index[r]! : map[r])); callRet.append(d.callRet[k] + base)
            }
            for k in 0..<d.tokenID.count { tokenID.append(d.tokenID[k]); tokenTarget.append(d.tokenTarget[k] + base) }
            for s in 0..<d.stateCount {
                let g = Int(base) + s
                callStart[g + 1] = d.callStart[s + 1] + callStart[Int(base)]
                tokenStart[g + 1] = d.tokenStart[s + 1] + tokenStart[Int(base)]
                ruleOf[g] = Int32(ri)
                for k in Int(d.byteSuccStart[s])..<Int(d.byteSuccStart[s + 1]) { succ.append(d.byteSucc[k] + base) }
                for k in Int(d.tokenStart[s])..<Int(d.tokenStart[s + 1]) { succ.append(d.tokenTarget[k] + base) }
                succStart[g + 1] = Int32(succ.count)
            }
            if let subsets = d.subsets {
                for s in 0..<d.stateCount { sharedKeys.append(SharedStateKey(rule: d.exprHash, subset: subsets[s])) }
            } else {
                sharedKeys.append(contentsOf: repeatElement(nil, count: d.stateCount))
            }
        }
        for k in callee.indices { callee[k] = ruleStart[Int(callee[k])] }
        let n = accepting.count
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
                for k in Int(callStart[Int(s)])..<Int(callStart[Int(s) + 1]) where through[Int(ruleOf[Int(callee[k])])] {
                    let ret = callRet[k]
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
                for k in Int(callStart[Int(s)])..<Int(callStart[Int(s) + 1]) {
                    let c = Int(ruleOf[Int(callee[k])]), ret = callRet[k]
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
        // Predecessors (CSR) by bytes, tokens and the returns of calls of productive rules.
        var revStart = [Int32](repeating: 0, count: n + 1)
        for t in succ { revStart[Int(t) + 1] += 1 }
        for k in callee.indices where productive[Int(ruleOf[Int(callee[k])])] { revStart[Int(callRet[k]) + 1] += 1 }
        for s in 0..<n { revStart[s + 1] += revStart[s] }
        var fill = revStart
        var rev = [Int32](repeating: 0, count: Int(revStart[n]))
        for s in 0..<n {
            for i in Int(succStart[s])..<Int(succStart[s + 1]) {
                let t = Int(succ[i]); rev[Int(fill[t])] = Int32(s); fill[t] += 1
            }
            for k in Int(callStart[s])..<Int(callStart[s + 1]) where productive[Int(ruleOf[Int(callee[k])])] {
                let t = Int(callRet[k]); rev[Int(fill[t])] = Int32(s); fill[t] += 1
            }
        }
        // Trim: states that cannot reach acceptance, and calls of unproductive rules.
        var live = accepting
        var stack = (0..<n).filter { live[$0] }.map(Int32.init)
        while let s = stack.popLast() {
            for i in Int(revStart[Int(s)])..<Int(revStart[Int(s) + 1]) where !live[Int(rev[i])] { live[Int(rev[i])] = true; stack.append(rev[i]) }
        }
        if live.contains(false) {
            for i in 0..<n * classCount where trans[i] >= 0 && !live[Int(trans[i])] { trans[i] = -1 }
            // A state's byte facts must agree with its trimmed row.
            for s in 0..<n where readable[s] > 0 {
                var dead = false
                for k in Int(succStart[s])..<Int(succStart[s + 1]) where !live[Int(succ[k])] { dead = true }
                if dead { Self.recount(s, trans, classCount, classOf, &readable, &selfLoop, &fewBytes) }
            }
        }
        var calls: [(callee: Int32, ret: Int32)] = [], tokens: [(token: Int32, target: Int32)] = []
        calls.reserveCapacity(callee.count); tokens.reserveCapacity(tokenID.count)
        var keptCallStart = [Int32](repeating: 0, count: n + 1), keptTokenStart = [Int32](repeating: 0, count: n + 1)
        for s in 0..<n {
            for k in Int(callStart[s])..<Int(callStart[s + 1]) where productive[Int(ruleOf[Int(callee[k])])] && live[Int(callRet[k])] {
                calls.append((callee: callee[k], ret: callRet[k]))
            }
            for k in Int(tokenStart[s])..<Int(tokenStart[s + 1]) where live[Int(tokenTarget[k])] {
                tokens.append((token: tokenID[k], target: tokenTarget[k]))
            }
            keptCallStart[s + 1] = Int32(calls.count); keptTokenStart[s + 1] = Int32(tokens.count)
        }
        handedOver = true
        return Automaton(classOf: classOf, classCount: classCount, trans: trans, accepting: accepting,
                         readable: readable, selfLoop: selfLoop, fewBytes: fewBytes,
                         callStart: keptCallStart, callEdges: calls, tokenStart: keptTokenStart, tokenEdges: tokens,
                         start: ruleStart[0], ruleOf: ruleOf, sharedKeys: sharedKeys)
    }

    /// Recomputes the byte facts of state `s` from its row (after transitions to dead states
    /// were removed).
    static func recount(_ s: Int, _ trans: UnsafeMutablePointer<Int32>, _ classCount: Int, _ classOf: [UInt8],
                        _ readable: inout [UInt8], _ selfLoop: inout [UInt64], _ fewBytes: inout [UInt8]) {
        var count = 0
        for w in 0..<4 { selfLoop[s * 4 + w] = 0; fewBytes[s * 4 + w] = 0 }
        var few: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        for b in 0..<256 {
            let t = trans[s * classCount + Int(classOf[b])]
            if t < 0 { continue }
            switch count {
            case 0: few.0 = UInt8(b)
            case 1: few.1 = UInt8(b)
            case 2: few.2 = UInt8(b)
            case 3: few.3 = UInt8(b)
            default: break
            }
            count += 1
            if t == Int32(s) { selfLoop[s * 4 + (b >> 6)] |= UInt64(1) << UInt64(b & 63) }
        }
        readable[s] = UInt8(min(count, 255))
        if count <= 4 { fewBytes[s * 4] = few.0; fewBytes[s * 4 + 1] = few.1; fewBytes[s * 4 + 2] = few.2; fewBytes[s * 4 + 3] = few.3 }
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

/// A Thompson NFA with epsilon edges, built from one rule's expression. Edges are kept in
/// flat lists in creation order (no array per state); ``epsilonCSR()`` and ``edgeCSR()`` group
/// them by source state, keeping that order.
struct NFA {
    enum Label { case set(Int), call(Int), token(Int) }
    struct Edge { var label: Label; var target: Int32 }
    /// Number of states.
    private(set) var count = 0
    private var epsFrom: [Int32] = [], epsTo: [Int32] = []
    private var edgeFrom: [Int32] = [], edgeList: [Edge] = []
    var final = 0
    /// The most states there were when ``build(_:from:setIndex:limit:map:)`` checked its limit.
    var peak = 0

    mutating func newState() -> Int {
        count += 1
        return count - 1
    }

    /// An epsilon edge.
    mutating func eps(_ from: Int, _ to: Int) { epsFrom.append(Int32(from)); epsTo.append(Int32(to)) }

    /// A labelled edge.
    mutating func edge(_ from: Int, _ label: Label, _ to: Int) { edgeFrom.append(Int32(from)); edgeList.append(Edge(label: label, target: Int32(to))) }

    /// The epsilon edges by source state: state x's targets are `target[start[x] ..< start[x + 1]]`.
    func epsilonCSR() -> (start: [Int32], target: [Int32]) { grouped(epsTo, from: epsFrom, filler: 0) }

    /// The labelled edges by source state: state x's are `edges[start[x] ..< start[x + 1]]`.
    func edgeCSR() -> (start: [Int32], edges: [Edge]) { grouped(edgeList, from: edgeFrom, filler: Edge(label: .call(0), target: 0)) }

    /// `items` grouped by their source state (`from`, same order), keeping creation order within
    /// a state: a counting sort.
    private func grouped<T>(_ items: [T], from: [Int32], filler: T) -> ([Int32], [T]) {
        var start = [Int32](repeating: 0, count: count + 1)
        for f in from { start[Int(f) + 1] += 1 }
        for x in 0..<count { start[x + 1] += start[x] }
        var fill = start
        var out = [T](repeating: filler, count: items.count)
        for i in from.indices { let f = Int(from[i]); out[Int(fill[f])] = items[i]; fill[f] += 1 }
        return (start, out)
    }

    mutating func build(_ e: GrammarExpr, from s: Int, setIndex: ByteSetIndex, limit: Int, map: (Int) -> Int) throws(GrammarError) -> Int {
        if count > peak { peak = count }
        if count > limit { throw GrammarError("grammar too large: more than \(limit) NFA states (reduce repetition counts, lengths or alternatives)") }
        switch e {
        case .empty: return s
        case .bytes(let set):
            if set.isEmpty { return newState() }
            let t = newState(); edge(s, .set(setIndex.index(of: set)!), t); return t
        case .token(let id):
            let t = newState(); edge(s, .token(id), t); return t
        case .ref(let r):
            let t = newState(); edge(s, .call(map(r)), t); return t
        case .seq(let xs):
            var cur = s
            for x in xs { cur = try build(x, from: cur, setIndex: setIndex, limit: limit, map: map) }
            return cur
        case .alt(let xs):
            let t = newState()
            for x in xs {
                let a = newState(); eps(s, a)
                let end = try build(x, from: a, setIndex: setIndex, limit: limit, map: map)
                eps(end, t)
            }
            return t
        case .rep(let x, let lo, let hi):
            var cur = s
            for _ in 0..<lo { cur = try build(x, from: cur, setIndex: setIndex, limit: limit, map: map) }
            if let hi {
                if hi > lo {
                    let t = newState()
                    for _ in lo..<hi {
                        eps(cur, t)
                        cur = try build(x, from: cur, setIndex: setIndex, limit: limit, map: map)
                    }
                    eps(cur, t)
                    return t
                }
                return cur
            }
            let loop = newState(); eps(cur, loop)
            let a = newState(); eps(loop, a)
            let end = try build(x, from: a, setIndex: setIndex, limit: limit, map: map)
            eps(end, loop)
            return loop
        case .members(let items, let optional, let extra, let sep):
            // c_i: an item must follow (start, or after a separator), candidates from i on;
            // b_i: something was written, candidates from i on. Each item is built once.
            let n = items.count
            let c = (0...n).map { _ in newState() }, b = (0...n).map { _ in newState() }
            let end = newState()
            eps(s, c[0])
            if optional.allSatisfy({ $0 }) { eps(s, end) }
            for i in 0..<n {
                let e1 = try build(items[i], from: c[i], setIndex: setIndex, limit: limit, map: map)
                eps(e1, b[i + 1])
                if optional[i] { eps(c[i], c[i + 1]); eps(b[i], b[i + 1]) }
            }
            for i in 0...n {
                let e2 = try build(sep, from: b[i], setIndex: setIndex, limit: limit, map: map)
                eps(e2, c[i])
                if let extra {
                    let e3 = try build(extra, from: c[i], setIndex: setIndex, limit: limit, map: map)
                    eps(e3, b[i])
                }
            }
            eps(b[n], end)
            return end
        case .automaton(let d):
            let base = count
            for _ in 0..<d.count { _ = newState() }
            let end = newState()
            eps(s, base)
            for (q, row) in d.edges.enumerated() {
                for e in row { edge(base + q, .set(setIndex.index(of: e.set)!), base + e.target) }
                if d.accepting[q] { eps(base + q, end) }
            }
            return end
        }
    }
}
