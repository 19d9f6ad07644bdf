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
    /// Most states ``run(_:)`` visits.
    static let maxRunSearch = 96
    /// The longest token in characters: runs are not followed further.
    let runCap: Int
    /// When positive: every token that is plain string content of at most this many characters
    /// (``TokenVocabulary/plainUpTo``) is already in the output, because the configuration the
    /// walk started from (at the trie root) reads any such text; subtrees holding only such
    /// tokens are skipped (their pops too: a walk from a pop below would only mark tokens of
    /// that subtree).
    var plainRun = 0

    /// Whether every token of `node`'s subtree is covered by ``plainRun``.
    @inline(__always) func coveredByPlainRun(_ node: Int) -> Bool {
        let c = v.plainCharsFromRoot[node]
        return c >= 0 && Int(c) <= plainRun
    }

    /// Sets ``plainRun`` to `n` (capped at the longest plain token) and marks those tokens.
    func startPlainRun(_ n: Int) {
        let k = min(n, v.plainUpTo.count)
        guard k > 0 else { return }
        plainRun = k
        v.plainUpTo[k - 1].withUnsafeBufferPointer { p in for i in 0..<v.maskWords { out[i] |= p[i] } }
    }

    /// Whether `t` reads every plain character into an accepting state (memoised per grammar).
    func readsOneChar(_ t: Int32) -> Bool {
        if let k = a.knownReadsOneChar(t) { return k }
        let k = plainCharTargets(t, intoAccepting: true) != nil
        a.storeReadsOneChar(t, k)
        return k
    }

    /// Plain characters any text of which the stack `st` (top last) reads: the top's own
    /// ``run(_:)``, or, when the top reads every plain character into an accepting state (a
    /// one-character rule such as `json_char`), one more than the run of the state below it.
    func stackRun(_ st: ArraySlice<Int32>) -> Int {
        guard let top = st.last else { return 0 }
        var r = run(top)
        if st.count >= 2 && readsOneChar(top) {
            r = max(r, 1 + run(st[st.index(st.endIndex, offsetBy: -2)]))
        }
        return r
    }

    /// How many plain JSON-string characters (valid UTF-8 without `"`, `\\`, controls) can
    /// be read from `t` whatever they are: every plain text of at most that many characters
    /// (and so every prefix of one) has a path from `t`. Capped at ``runCap``. Counted strings
    /// (`maxLength`) have one state per remaining length, object keys one per prefix of the
    /// declared names; this lets a walk take whole trie subtrees of plain tokens that fit
    /// (``TokenVocabulary/maxCharsBelow``) without stepping. A breadth-first search over
    /// ``charSuccessors(_:)`` for the nearest state that cannot read some character.
    func run(_ t: Int32) -> Int {
        let known = a.knownRun(t)
        if known != 0 { return known - 1 }
        var frontier: [Int32] = [t], seen: Set<Int32> = [t]
        var n = 0
        search: while n < runCap {
            var next: [Int32] = []
            for s in frontier {
                guard let succ = charSuccessors(s) else { break search }
                for x in succ where seen.insert(x).inserted { next.append(x) }
            }
            if next.isEmpty { n = runCap; break }
            frontier = next
            n += 1
            // A shorter run is still a true one: stop before the search builds many states
            // (counted patterns branch at every character).
            if seen.count > Self.maxRunSearch { break }
        }
        a.storeRun(t, n)
        return min(n, 254)
    }

    /// The states (at a character boundary, in the same frame) that one plain character read
    /// from `t` can lead to, when every plain character can be read; nil otherwise. Either by
    /// bytes, or through a call of a rule that reads every such character by bytes into an
    /// accepting state (then the one successor is the call's return state). Shared by the walks
    /// of a grammar through ``Automaton/knownSuccessors(_:)``.
    func charSuccessors(_ t: Int32) -> [Int32]? {
        if let k = a.knownSuccessors(t) { return k }
        var k = plainCharTargets(t, intoAccepting: false)
        if k == nil && flags[Int(t)] & Automaton.hasCalls != 0 {
            for c in a.calls(t) where plainCharTargets(c.callee, intoAccepting: true) != nil {
                a.ensure(c.ret)
                k = [c.ret]
                break
            }
        }
        a.storeSuccessors(t, k)
        return k
    }

    /// Reads every plain character from `t` by byte transitions. Returns the states they end
    /// in (with `intoAccepting`, an empty list when each ends in an accepting state); nil when
    /// a character cannot be read (or, with `intoAccepting`, ends in a non-accepting state).
    func plainCharTargets(_ t: Int32, intoAccepting: Bool) -> [Int32]? {
        a.ensure(t)
        var targets: [Int32] = []
        // (state, UTF-8 state) pairs seen: few (the states inside multi-byte characters).
        var seen: [Int64] = [Int64(t) << 3]
        var work: [(Int32, Int)] = [(t, 0)]
        while let (d, u) = work.popLast() {
            let row = trans + Int(d) * classCount
            let next = UTF8Walk.table + u * 256
            for b in UTF8Walk.lowest[u]...UTF8Walk.highest[u] {
                let nu = Int(next[b])
                if nu < 0 { continue }
                let nd = row[Int(classOf[b])]
                if nd < 0 { return nil }
                a.ensure(nd)
                if nu == 0 {
                    if intoAccepting {
                        if flags[Int(nd)] & Automaton.accepting == 0 { return nil }
                    } else if !targets.contains(nd) {
                        targets.append(nd)
                    }
                    continue
                }
                let key = Int64(nd) << 3 | Int64(nu)
                if !seen.contains(key) { seen.append(key); work.append((nd, nu)) }
            }
        }
        return targets
    }

    /// Whether every token below `node` is readable from `top` (plain content that fits its run).
    @inline(__always) func takesWhole(_ node: Int, _ top: Int32) -> Bool {
        v.plainBelow[node] && Int(v.maxCharsBelow[node]) <= run(top)
    }

    /// Marks every token strictly below `node`.
    @inline(__always) func markBelow(_ node: Int) {
        var i = Int(v.tokenStart[node + 1])
        let end = Int(v.tokenStart[Int(v.subtreeEnd[node])])
        while i < end {
            let id = Int(v.tokenIDs[i])
            out[id >> 6] |= UInt64(1) << UInt64(id & 63)
            i += 1
        }
    }

    init(_ a: Automaton, _ v: TokenVocabulary, out: UnsafeMutablePointer<UInt64>) {
        self.a = a; self.v = v
        trans = a.trans; classOf = a.classOf; flags = a.flags; classCount = a.classCount
        capacity = 256
        stack = .allocate(capacity: capacity)
        self.out = out
        runCap = Int(v.maxCharsBelow[0])
    }

    deinit {
        stack.deallocate()
    }

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
        if plainRun > 0 && coveredByPlainRun(node) { return }
        let top = stack[depth - 1]
        // Fast paths: every byte below `node` keeps the (non-accepting, call-free) state where
        // it is, or the subtree is plain string content that fits the state's run, so every
        // token of the subtree is readable.
        if flags[Int(top)] & (Automaton.hasCalls | Automaton.accepting) == 0 {
            let loop = a.selfLoop + Int(top) * 4, sub = v.subtreeBytes + node * 4
            if sub[0] & ~loop[0] == 0 && sub[1] & ~loop[1] == 0 && sub[2] & ~loop[2] == 0 && sub[3] & ~loop[3] == 0 {
                markBelow(node)
                return
            }
        }
        if takesWhole(node, top) { markBelow(node); return }
        let row = trans + Int(top) * classCount
        var e = Int(v.edgeStart[node])
        let end = Int(v.edgeStart[node + 1])
        let savedSteps = epsilonSteps
        let few = Int(a.readableCount[Int(top)])
        if few <= 4 && end - e > 8 * max(1, few) {
            // Few readable bytes, many children: look each byte up (children sorted by byte).
            for k in 0..<few {
                let b = a.readableBytes[Int(top) * 4 + k]
                var lo = e, hi = end
                while lo < hi {
                    let mid = (lo + hi) >> 1
                    if v.edgeByte[mid] < b { lo = mid + 1 } else { hi = mid }
                }
                if lo < end && v.edgeByte[lo] == b {
                    follow(lo, row[Int(classOf[Int(b)])], savedSteps)
                    e = lo + 1
                }
            }
        } else {
            while e < end {
                let t = row[Int(classOf[Int(v.edgeByte[e])])]
                if t >= 0 { follow(e, t, savedSteps) }
                e += 1
            }
        }
        stack[depth - 1] = top
    }

    /// Takes trie edge `e` into state `t` (the top frame is overwritten; the caller restores it).
    @inline(__always) func follow(_ e: Int, _ t: Int32, _ savedSteps: Int) {
        let child = Int(v.edgeChild[e])
        mark(child)
        if v.edgeStart[child] != v.edgeStart[child + 1] {
            a.ensure(t)
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

    /// The top state was just entered at `node`: follow its byte edges, calls and pops.
    func expand(_ node: Int) {
        if epsilonSteps > Self.maxEpsilonSteps { return }
        if plainRun > 0 && coveredByPlainRun(node) { return }
        epsilonSteps += 1
        defer { epsilonSteps -= 1 }
        let top = stack[depth - 1]
        // Everything this state could add below `node` (tokens, pops) is inside a subtree
        // that is readable whole.
        if takesWhole(node, top) { markBelow(node); return }
        let f = flags[Int(top)]
        if f & Automaton.hasBytes != 0 { descend(node) }
        if f & Automaton.hasCalls != 0 {
            for c in a.calls(top) {
                a.ensure(c.ret); a.ensure(c.callee)
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
