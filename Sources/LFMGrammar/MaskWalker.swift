/// Walks the token trie with a pushdown-automaton stack, marking every token whose bytes the
/// automaton can read. Used for the per-state masks (``StateMask``, cached; pops below the
/// walk's base frame are recorded instead of followed) and for the context-dependent rest.
final class MaskWalker {
    let a: Automaton
    let v: TokenVocabulary
    let trans: UnsafeMutablePointer<Int32>
    let classOf: UnsafeMutablePointer<UInt8>
    let flags: UnsafeMutablePointer<UInt8>
    let classCount: Int
    var stack: UnsafeMutablePointer<Int32>
    var capacity: Int
    var depth = 0
    /// Output mask (words).
    var out: UnsafeMutablePointer<UInt64>
    /// When true, a pop of the bottom frame records the trie node in ``pops``.
    var record = false
    var pops: [Int32] = []
    /// Calls and returns taken since the last byte; bounds loops through nullable rules
    /// (left recursion is refused at compile time, so only such loops can repeat).
    var epsilonSteps = 0
    static let maxEpsilonSteps = 48
    /// Per state: whether it reads any plain string content (valid UTF-8 without `"`, `\\`,
    /// controls) and returns to itself at every character boundary, never accepting or calling
    /// in between. Subtrees of plain content are then accepted whole (``TokenVocabulary/plainBelow``).
    var plainLoop: [Int32: Bool] = [:]

    func isPlainLoop(_ t: Int32) -> Bool {
        if let k = plainLoop[t] { return k }
        var ok = flags[Int(t)] & (Automaton.hasCalls | Automaton.accepting) == 0
        var seen = Set<Int64>()
        var work: [(Int32, Int)] = [(t, 0)]
        seen.insert(Int64(t) << 3)
        outer: while ok, let (d, u) = work.popLast() {
            for b in 0..<256 {
                let nu = UTF8Walk.next(u, UInt8(b))
                if nu < 0 { continue }
                let nd = trans[Int(d) * classCount + Int(classOf[b])]
                if nd < 0 { ok = false; break outer }
                if nu == 0 {
                    if nd != t { ok = false; break outer }
                    continue
                }
                if flags[Int(nd)] & (Automaton.hasCalls | Automaton.accepting) != 0 { ok = false; break outer }
                if seen.insert(Int64(nd) << 3 | Int64(nu)).inserted { work.append((nd, nu)) }
            }
        }
        plainLoop[t] = ok
        return ok
    }

    init(_ a: Automaton, _ v: TokenVocabulary, out: UnsafeMutablePointer<UInt64>) {
        self.a = a; self.v = v
        trans = a.trans; classOf = a.classOf; flags = a.flags; classCount = a.classCount
        capacity = 256
        stack = .allocate(capacity: capacity)
        self.out = out
    }

    deinit { stack.deallocate() }

    func load(_ s: ArraySlice<Int32>) {
        if s.count + 64 > capacity { grow(s.count + 64) }
        depth = 0
        for x in s { stack[depth] = x; depth += 1 }
    }

    private func grow(_ need: Int) {
        let n = max(need, capacity * 2)
        let ns = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        ns.update(from: stack, count: depth)
        stack.deallocate()
        stack = ns; capacity = n
    }

    @inline(__always) func mark(_ node: Int) {
        var i = Int(v.tokenStart[node])
        let e = Int(v.tokenStart[node + 1])
        while i < e {
            let id = Int(v.tokenIDs[i])
            out[id >> 6] |= UInt64(1) << UInt64(id & 63)
            i += 1
        }
    }

    /// Reads every child byte of `node` from the top state (which can read bytes).
    func descend(_ node: Int) {
        let top = stack[depth - 1]
        // Fast path: every byte below `node` keeps the (non-accepting, call-free) state where
        // it is, so every token of the subtree is readable.
        if flags[Int(top)] & (Automaton.hasCalls | Automaton.accepting) == 0 {
            let loop = a.selfLoop + Int(top) * 4, sub = v.subtreeBytes + node * 4
            if sub[0] & ~loop[0] == 0 && sub[1] & ~loop[1] == 0 && sub[2] & ~loop[2] == 0 && sub[3] & ~loop[3] == 0 {
                var i = Int(v.tokenStart[node + 1])
                let end = Int(v.tokenStart[Int(v.subtreeEnd[node])])
                while i < end {
                    let id = Int(v.tokenIDs[i])
                    out[id >> 6] |= UInt64(1) << UInt64(id & 63)
                    i += 1
                }
                return
            }
            if v.plainBelow[node] && isPlainLoop(top) {
                var i = Int(v.tokenStart[node + 1])
                let end = Int(v.tokenStart[Int(v.subtreeEnd[node])])
                while i < end {
                    let id = Int(v.tokenIDs[i])
                    out[id >> 6] |= UInt64(1) << UInt64(id & 63)
                    i += 1
                }
                return
            }
        }
        let row = trans + Int(top) * classCount
        var e = Int(v.edgeStart[node])
        let end = Int(v.edgeStart[node + 1])
        let savedSteps = epsilonSteps
        while e < end {
            let t = row[Int(classOf[Int(v.edgeByte[e])])]
            if t >= 0 {
                let child = Int(v.edgeChild[e])
                mark(child)
                if v.edgeStart[child] != v.edgeStart[child + 1] {
                    stack[depth - 1] = t
                    let f = flags[Int(t)]
                    if f & (Automaton.hasCalls | Automaton.accepting) == 0 {
                        if f & Automaton.hasBytes != 0 { descend(child) }
                    } else {
                        epsilonSteps = 0
                        expand(child)
                        epsilonSteps = savedSteps
                    }
                }
            }
            e += 1
        }
        stack[depth - 1] = top
    }

    /// The top state was just entered at `node`: follow its byte edges, calls and pops.
    func expand(_ node: Int) {
        if epsilonSteps > Self.maxEpsilonSteps { return }
        epsilonSteps += 1
        defer { epsilonSteps -= 1 }
        let top = stack[depth - 1]
        let f = flags[Int(top)]
        if f & Automaton.hasBytes != 0 { descend(node) }
        if f & Automaton.hasCalls != 0 {
            for i in Int(a.callStart[Int(top)])..<Int(a.callStart[Int(top) + 1]) {
                let c = a.callEdges[i]
                if depth + 1 >= capacity { grow(depth + 2) }
                stack[depth - 1] = c.ret
                stack[depth] = c.callee
                depth += 1
                expand(node)
                depth -= 1
                stack[depth - 1] = top
            }
        }
        if f & Automaton.accepting != 0 {
            if depth == 1 {
                if record { pops.append(Int32(node)) }
            } else {
                depth -= 1
                expand(node)
                depth += 1
                stack[depth - 1] = top
            }
        }
    }
}
