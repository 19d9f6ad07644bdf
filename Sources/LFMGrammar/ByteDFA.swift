/// A deterministic automaton over bytes (no calls, no tokens), start state 0. Used where a
/// regular expression cannot state a constraint compactly but an automaton can: intersections
/// (a `format` and a length, a key pattern and excluded names), complements, and counters
/// such as the remainder of `multipleOf`. Embedded in a rule as ``GrammarExpr/automaton(_:)``.
public struct ByteDFA: Hashable, Sendable {
    /// An edge: the bytes of `set` lead to `target` (the sets of one state are disjoint).
    public struct Edge: Hashable, Sendable {
        public var set: ByteSet
        public var target: Int
    }

    /// Edges per state.
    public var edges: [[Edge]]
    /// Accepting flag per state.
    public var accepting: [Bool]

    /// Most states an operation may build before it gives up (compile time stays bounded).
    static let maxStates = 20_000

    /// An automaton of the given states.
    public init(edges: [[Edge]], accepting: [Bool]) {
        self.edges = edges
        self.accepting = accepting
    }

    /// Number of states.
    public var count: Int { accepting.count }

    /// Size for grammar limits (states plus edges).
    var size: Int { edges.reduce(accepting.count) { $0 + $1.count } }

    /// The automaton of a call-free, token-free expression (nil when `e` has calls or tokens).
    static func from(_ e: GrammarExpr) throws(GrammarError) -> ByteDFA? {
        var index = ByteSetIndex()
        var nfa = NFA()
        let s0 = nfa.newState()
        let end = try nfa.build(e, from: s0, sets: &index, limit: 200_000, map: { $0 })
        if nfa.hasCallsOrTokens { return nil }
        let sets = index.sets
        // Byte classes of the sets.
        let (classOf, classCount) = ByteClasses.partition(sets)
        var classBytes = [ByteSet](repeating: ByteSet(), count: classCount)
        for b in 0..<256 { classBytes[Int(classOf[b])].insert(UInt8(b)) }
        let setClasses = sets.map { ByteClasses.classes(of: $0, classOf, classCount: classCount) }
        let (epsStart, epsTarget) = nfa.epsilonCSR()
        let (edgeStart, edgeKind, edgeArg, edgeTarget) = nfa.edgeCSR()
        var important = [Bool](repeating: false, count: nfa.count)
        for x in 0..<nfa.count where edgeStart[x + 1] > edgeStart[x] || x == end { important[x] = true }
        var queue = SubsetQueue(epsStart: epsStart, epsTarget: epsTarget, base: 0, important: important)
        var dfa = ByteDFA(edges: [], accepting: [])
        _ = queue.state(for: [Int32(s0)])
        var buckets = [[Int32]](repeating: [], count: classCount)
        // Per state: the classes some edge reads, and the states their targets close to (classes
        // with the same targets — the letters of a class of characters — are closed once).
        var touched: [Int] = []
        var closed: [(targets: [Int32], state: Int)] = []
        var row: [Edge] = []
        var q = 0
        while q < queue.count {
            var acc = false
            for c in touched { buckets[c].removeAll(keepingCapacity: true) }
            touched.removeAll(keepingCapacity: true)
            for k in queue.subset(q) {
                let ns = queue.members[k]
                if ns == Int32(end) { acc = true }
                for i in Int(edgeStart[Int(ns)])..<Int(edgeStart[Int(ns) + 1]) where edgeKind[i] == NFA.setEdge {
                    for c in setClasses[Int(edgeArg[i])] {
                        if buckets[c].isEmpty { touched.append(c) }
                        buckets[c].append(edgeTarget[i])
                    }
                }
            }
            touched.sort()
            closed.removeAll(keepingCapacity: true)
            row.removeAll(keepingCapacity: true)
            for c in touched {
                let t: Int
                if let hit = closed.first(where: { $0.targets == buckets[c] }) {
                    t = hit.state
                } else {
                    t = Int(queue.state(for: buckets[c]))
                    if queue.count > maxStates { throw GrammarError("grammar too large: more than \(maxStates) states in a byte automaton") }
                    closed.append((buckets[c], t))
                }
                if let i = row.firstIndex(where: { $0.target == t }) { row[i].set = row[i].set.union(classBytes[c]) }
                else { row.append(Edge(set: classBytes[c], target: t)) }
            }
            dfa.accepting.append(acc)
            dfa.edges.append(row)
            q += 1
        }
        return dfa.trimmed()
    }

    /// Strings accepted by both automata.
    func intersection(_ o: ByteDFA) throws(GrammarError) -> ByteDFA {
        var out = ByteDFA(edges: [], accepting: [])
        // Product state ids: a flat table while the pair space is small, a dictionary beyond.
        let pairs = count * o.count
        var table = pairs <= 1 << 20 ? [Int32](repeating: -1, count: pairs) : []
        var ids: [Int: Int] = [:]
        var queue: [(Int, Int)] = []
        func id(_ a: Int, _ b: Int) throws(GrammarError) -> Int {
            let key = a * o.count + b
            if !table.isEmpty {
                if table[key] >= 0 { return Int(table[key]) }
            } else if let i = ids[key] {
                return i
            }
            if queue.count >= Self.maxStates { throw GrammarError("grammar too large: more than \(Self.maxStates) states in a byte automaton") }
            if !table.isEmpty { table[key] = Int32(queue.count) } else { ids[key] = queue.count }
            queue.append((a, b))
            out.edges.append([]); out.accepting.append(accepting[a] && o.accepting[b])
            return queue.count - 1
        }
        _ = try id(0, 0)
        var q = 0
        while q < queue.count {
            let (a, b) = queue[q]
            var row: [Edge] = []
            for ea in edges[a] {
                for eb in o.edges[b] {
                    let s = ea.set.intersection(eb.set)
                    if !s.isEmpty { row.append(Edge(set: s, target: try id(ea.target, eb.target))) }
                }
            }
            out.edges[q] = row
            q += 1
        }
        return out.trimmed()
    }

    /// Strings not accepted (over all byte strings; intersect with a language to bound it).
    func complement() -> ByteDFA {
        var out = self
        let sink = out.count
        out.edges.append([Edge(set: ByteSet().complement, target: sink)])
        out.accepting.append(false)
        for s in 0..<sink {
            var covered = ByteSet()
            for e in out.edges[s] { covered = covered.union(e.set) }
            if !covered.complement.isEmpty { out.edges[s].append(Edge(set: covered.complement, target: sink)) }
        }
        out.accepting = out.accepting.map { !$0 }
        return out
    }

    /// True when no string is accepted.
    var isEmpty: Bool { !accepting.contains(true) }

    /// Whether the automaton accepts `bytes`.
    func accepts(_ bytes: some Sequence<UInt8>) -> Bool {
        var s = 0
        for b in bytes {
            guard let e = edges[s].first(where: { $0.set.contains(b) }) else { return false }
            s = e.target
        }
        return accepting[s]
    }

    /// Keeps the states reachable from the start that can reach acceptance (state 0 stays
    /// the start; an empty language becomes one non-accepting state without edges).
    func trimmed() -> ByteDFA {
        // Predecessors as one flat list per target (CSR).
        var revStart = [Int](repeating: 0, count: count + 1)
        for row in edges { for e in row { revStart[e.target + 1] += 1 } }
        for s in 0..<count { revStart[s + 1] += revStart[s] }
        var fill = revStart
        var rev = [Int](repeating: 0, count: revStart[count])
        for s in 0..<count { for e in edges[s] { rev[fill[e.target]] = s; fill[e.target] += 1 } }
        var live = accepting
        var stack = (0..<count).filter { live[$0] }
        while let s = stack.popLast() {
            for i in revStart[s]..<revStart[s + 1] where !live[rev[i]] { live[rev[i]] = true; stack.append(rev[i]) }
        }
        // Nothing to drop: the automaton as it is.
        if !live.contains(false) { return self }
        guard live[0] else { return ByteDFA(edges: [[]], accepting: [false]) }
        var newID = [Int](repeating: -1, count: count)
        var order = [0]
        newID[0] = 0
        var i = 0
        while i < order.count {
            for e in edges[order[i]] where live[e.target] && newID[e.target] < 0 { newID[e.target] = order.count; order.append(e.target) }
            i += 1
        }
        return ByteDFA(edges: order.map { s in edges[s].filter { live[$0.target] }.map { Edge(set: $0.set, target: newID[$0.target]) } },
                       accepting: order.map { accepting[$0] })
    }

    /// The automaton as a grammar expression (`.nothing` when it accepts nothing).
    var expr: GrammarExpr { isEmpty ? .nothing : .automaton(self) }
}

extension ByteSet {
    /// The bytes in both sets.
    public func intersection(_ o: ByteSet) -> ByteSet {
        var r = ByteSet()
        r.words = (words.0 & o.words.0, words.1 & o.words.1, words.2 & o.words.2, words.3 & o.words.3)
        return r
    }
}
