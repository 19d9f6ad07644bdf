/// A Thompson NFA with epsilon edges, built from one rule's expression. Edges are kept in
/// flat lists in creation order (no array per state); ``epsilonCSR()`` and ``edgeCSR()`` group
/// them by source state, keeping that order.
struct NFA {
    /// Edge kinds: a byte set (argument: its number), a call (argument: the mapped rule), a
    /// token (argument: its id).
    static let setEdge: UInt8 = 0, callEdge: UInt8 = 1, tokenEdge: UInt8 = 2
    /// Number of states.
    private(set) var count = 0
    private var epsFrom: [Int32] = [], epsTo: [Int32] = []
    private var edgeFrom: [Int32] = [], edgeKind: [UInt8] = [], edgeArg: [Int32] = [], edgeTo: [Int32] = []
    var final = 0
    /// Whether some state may be unable to reach the end through byte, token and call edges
    /// (an empty byte set or alternative, an embedded automaton, members that take nothing).
    /// When false, every state with edges, and every target of one, lies on a path from the
    /// start to the end.
    var deadEnds = false
    /// The most states there were when ``build(_:from:sets:limit:map:expand:)`` checked its limit.
    var peak = 0
    /// Whether some edge calls a rule or reads a token.
    private(set) var hasCallsOrTokens = false

    mutating func newState() -> Int {
        count += 1
        return count - 1
    }

    /// An epsilon edge.
    mutating func eps(_ from: Int, _ to: Int) { epsFrom.append(Int32(from)); epsTo.append(Int32(to)) }

    /// A labelled edge of `kind` (``setEdge``, ``callEdge``, ``tokenEdge``).
    mutating func edge(_ from: Int, _ kind: UInt8, _ arg: Int, _ to: Int) {
        edgeFrom.append(Int32(from)); edgeKind.append(kind); edgeArg.append(Int32(arg)); edgeTo.append(Int32(to))
        if kind != Self.setEdge { hasCallsOrTokens = true }
    }

    /// The epsilon edges by source state: state x's targets are `target[start[x] ..< start[x + 1]]`.
    func epsilonCSR() -> (start: [Int32], target: [Int32]) {
        let (start, order) = grouped(epsFrom)
        return (start, order.map { epsTo[Int($0)] })
    }

    /// The labelled edges by source state: state x's are positions `start[x] ..< start[x + 1]`
    /// of the other three lists.
    func edgeCSR() -> (start: [Int32], kind: [UInt8], arg: [Int32], target: [Int32]) {
        let (start, order) = grouped(edgeFrom)
        var kind = [UInt8](repeating: 0, count: order.count), arg = [Int32](repeating: 0, count: order.count)
        var target = [Int32](repeating: 0, count: order.count)
        for (i, k) in order.enumerated() {
            kind[i] = edgeKind[Int(k)]; arg[i] = edgeArg[Int(k)]; target[i] = edgeTo[Int(k)]
        }
        return (start, kind, arg, target)
    }

    /// Items grouped by their source state (`from`), keeping creation order within a state (a
    /// counting sort): each state's first position, and the items' creation positions in order.
    private func grouped(_ from: [Int32]) -> ([Int32], [Int32]) {
        var start = [Int32](repeating: 0, count: count + 1)
        for f in from { start[Int(f) + 1] += 1 }
        for x in 0..<count { start[x + 1] += start[x] }
        var fill = start
        var order = [Int32](repeating: 0, count: from.count)
        for i in from.indices { let f = Int(from[i]); order[Int(fill[f])] = Int32(i); fill[f] += 1 }
        return (start, order)
    }

    /// Adds `e` after state `s` and returns its end state. Byte sets are numbered in `sets` as
    /// they are met; a call whose rule `expand` gives a body is that body built in place (an
    /// inlined rule), any other is an edge labelled `map(rule)`; throws past `limit` states.
    mutating func build(_ e: GrammarExpr, from s: Int, sets: inout ByteSetIndex, limit: Int, map: (Int) -> Int, expand: (Int) -> GrammarExpr? = { _ in nil }) throws(GrammarError) -> Int {
        if count > peak { peak = count }
        if count > limit { throw GrammarError("grammar too large: more than \(limit) NFA states (reduce repetition counts, lengths or alternatives)") }
        switch e {
        case .empty: return s
        case .bytes(let set):
            if set.isEmpty { deadEnds = true; return newState() }
            let t = newState(); edge(s, Self.setEdge, sets.insert(set), t); return t
        case .token(let id):
            let t = newState(); edge(s, Self.tokenEdge, id, t); return t
        case .ref(let r):
            if let body = expand(r) { return try build(body, from: s, sets: &sets, limit: limit, map: map, expand: expand) }
            let t = newState(); edge(s, Self.callEdge, map(r), t); return t
        case .seq(let xs):
            var cur = s
            for x in xs { cur = try build(x, from: cur, sets: &sets, limit: limit, map: map, expand: expand) }
            return cur
        case .alt(let xs):
            if xs.isEmpty { deadEnds = true }
            let t = newState()
            for x in xs {
                let a = newState(); eps(s, a)
                let end = try build(x, from: a, sets: &sets, limit: limit, map: map, expand: expand)
                eps(end, t)
            }
            return t
        case .rep(let x, let lo, let hi):
            var cur = s
            for _ in 0..<lo { cur = try build(x, from: cur, sets: &sets, limit: limit, map: map, expand: expand) }
            if let hi {
                if hi > lo {
                    let t = newState()
                    for _ in lo..<hi {
                        eps(cur, t)
                        cur = try build(x, from: cur, sets: &sets, limit: limit, map: map, expand: expand)
                    }
                    eps(cur, t)
                    return t
                }
                return cur
            }
            let loop = newState(); eps(cur, loop)
            let a = newState(); eps(loop, a)
            let end = try build(x, from: a, sets: &sets, limit: limit, map: map, expand: expand)
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
                let e1 = try build(items[i], from: c[i], sets: &sets, limit: limit, map: map, expand: expand)
                eps(e1, b[i + 1])
                if optional[i] { eps(c[i], c[i + 1]); eps(b[i], b[i + 1]) }
            }
            // Without extra members, nothing can follow a separator after the last item: that
            // path would only make states that cannot reach the end.
            if extra == nil && n == 0 { deadEnds = true }
            for i in 0...n where extra != nil || i < n {
                let e2 = try build(sep, from: b[i], sets: &sets, limit: limit, map: map, expand: expand)
                eps(e2, c[i])
                if let extra {
                    let e3 = try build(extra, from: c[i], sets: &sets, limit: limit, map: map, expand: expand)
                    eps(e3, b[i])
                }
            }
            eps(b[n], end)
            return end
        case .automaton(let d):
            deadEnds = true  // its states are not known to reach acceptance
            let base = count
            for _ in 0..<d.count { _ = newState() }
            let end = newState()
            eps(s, base)
            for (q, row) in d.edges.enumerated() {
                for e in row { edge(base + q, Self.setEdge, sets.insert(e.set), base + e.target) }
                if d.accepting[q] { eps(base + q, end) }
            }
            return end
        }
    }
}
