#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Locking
import Synchronization

/// The compiled form of a ``Grammar``: every rule as a deterministic automaton over byte
/// classes, special tokens and rule calls, numbered in one global state space. A matcher
/// runs it as a pushdown automaton (a stack of states; a call pushes the callee's start
/// state, an accepting state may pop).
///
/// The states are built lazily: compiling makes each rule's NFA and the start state of each
/// rule; a state's transitions (its row, calls, tokens and byte facts) are computed by subset
/// construction the first time a matcher or a mask walk enters it (``ensure(_:)``), under a
/// lock, and published with a release store that readers acquire, so walks on any thread read
/// built states without locking. State numbers are handed out in order of discovery, at most
/// ``capacity`` of them (the tables are allocated for that many up front and touched as states
/// are built); transitions past it are left out.
final class Automaton: @unchecked Sendable {
    /// Most states (the tables' capacity).
    let capacity: Int
    /// Number of byte classes.
    let classCount: Int
    /// Byte → class.
    let classOf: UnsafeMutablePointer<UInt8>
    /// `trans[state * classCount + class]` = next state or -1 (rows of built states only).
    let trans: UnsafeMutablePointer<Int32>
    /// Bit 0: accepting; bit 1: has a byte edge; bit 2: has a call; bit 3: has a token edge.
    let flags: UnsafeMutablePointer<UInt8>
    /// Bytes that lead from each state back to itself (4 words per state).
    let selfLoop: UnsafeMutablePointer<UInt64>
    /// Number of bytes each state can read (its row's defined transitions, capped at 255).
    let readableCount: UnsafeMutablePointer<UInt8>
    /// The bytes of states that read at most 4 (`readableBytes[s * 4 ..< s * 4 + readableCount[s]]`,
    /// ascending): the mask walk looks them up among a trie node's children instead of
    /// scanning every child.
    let readableBytes: UnsafeMutablePointer<UInt8>
    // Facts mask walks of any thread find once per state and share (read without locking):
    // its ``MaskWalker/run(_:)`` + 1 (0: unknown); whether it reads every plain character into
    // an accepting state (0 unknown, 1 no, 2 yes; ``MaskWalker/readsOneChar(_:)``); the states
    // one plain character leads to (0 unknown, 1 none, 2 `successorList`;
    // ``MaskWalker/charSuccessors(_:)``), written under `successorLock`.
    private let runStore: UnsafeMutablePointer<Atomic<UInt8>>
    private let oneCharStore: UnsafeMutablePointer<Atomic<UInt8>>
    private let successorState: UnsafeMutablePointer<Atomic<UInt8>>
    private let successorList: UnsafeMutablePointer<[Int32]>
    private let successorLock = Locked<Void>(())
    /// The start state of the start rule.
    let start: Int32

    /// A call edge: the callee's start state and the state to return to.
    struct CallEdge { var callee: Int32; var ret: Int32 }
    /// A special-token edge.
    struct TokenEdge { var token: Int32; var target: Int32 }

    static let accepting: UInt8 = 1, hasBytes: UInt8 = 2, hasCalls: UInt8 = 4, hasTokens: UInt8 = 8

    // Per state, written once when the state is built.
    private let ready: UnsafeMutablePointer<Atomic<UInt8>>
    private let callList: UnsafeMutablePointer<UnsafeMutablePointer<CallEdge>?>
    private let callCount: UnsafeMutablePointer<Int32>
    private let tokenList: UnsafeMutablePointer<UnsafeMutablePointer<TokenEdge>?>
    private let tokenCount: UnsafeMutablePointer<Int32>
    private let sharedKeyStore: UnsafeMutablePointer<SharedStateKey?>
    // Per state, written when its number is handed out (read under the lock only).
    private let ruleOfStore: UnsafeMutablePointer<Int32>
    private let localOf: UnsafeMutablePointer<Int32>

    /// One rule of the grammar as the lazy construction needs it.
    struct Rule: Sendable {
        /// The rule's DFA (a built-in rule's is shared by the grammars of the process).
        let dfa: LazyRuleDFA
        /// Call (position in the NFA's call list) → the callee's rule index; -1 for calls left
        /// out (their callee matches nothing).
        let callee: [Int32]
        /// Global class → the rule's class.
        let localClass: [Int32]
        let name: String
    }

    private let rules: [Rule]
    /// NFA states of the rules together (what building the grammar cost, in states).
    var nfaStateCount: Int { rules.reduce(0) { $0 + $1.dfa.nfa.stateCount } }
    /// Global number of each rule's start state.
    let ruleStart: [Int32]

    private struct Construction {
        /// Per rule, the global number of each of its DFA's states met so far (-1: past
        /// capacity, -2: not numbered yet).
        var globalOf: [[Int32]]
        var count: Int
        /// Scratch: a row mapped to global states, over the rule's classes.
        var mapped: [Int32] = []
    }

    private let construction: Locked<Construction>

    /// An automaton for `rules` (rule 0 is the start rule) over the global byte classes
    /// `classOf` (`classCount` of them), with room for `capacity` states.
    init(rules: [Rule], classOf: [UInt8], classCount: Int, capacity: Int) {
        let capacity = max(capacity, rules.count)
        self.capacity = capacity
        self.classCount = classCount
        self.rules = rules
        self.classOf = .allocate(capacity: 256)
        self.classOf.initialize(from: classOf, count: 256)
        // Large tables are not initialised: a state's entries are written before it is published.
        trans = .allocate(capacity: capacity * max(1, classCount))
        flags = .allocate(capacity: capacity)
        selfLoop = .allocate(capacity: capacity * 4)
        readableCount = .allocate(capacity: capacity)
        readableBytes = .allocate(capacity: capacity * 4)
        ready = Self.zeroedAtomics(capacity)
        runStore = Self.zeroedAtomics(capacity)
        oneCharStore = Self.zeroedAtomics(capacity)
        successorState = Self.zeroedAtomics(capacity)
        successorList = .allocate(capacity: capacity)
        callList = .allocate(capacity: capacity)
        callCount = .allocate(capacity: capacity)
        tokenList = .allocate(capacity: capacity)
        tokenCount = .allocate(capacity: capacity)
        sharedKeyStore = .allocate(capacity: capacity)
        ruleOfStore = .allocate(capacity: capacity)
        localOf = .allocate(capacity: capacity)
        var globalOf: [[Int32]] = []
        for r in rules.indices {
            globalOf.append([Int32(r)])
            ruleOfStore[r] = Int32(r); localOf[r] = 0
            (sharedKeyStore + r).initialize(to: nil)
        }
        ruleStart = rules.indices.map { Int32($0) }
        start = 0
        construction = Locked(Construction(globalOf: globalOf, count: rules.count))
    }

    deinit {
        let n = stateCount
        for s in 0..<n where ready[s].load(ordering: .relaxed) != 0 {
            callList[s]?.deallocate()
            tokenList[s]?.deallocate()
        }
        sharedKeyStore.deinitialize(count: n)
        sharedKeyStore.deallocate()
        for s in 0..<n where successorState[s].load(ordering: .relaxed) == 2 { (successorList + s).deinitialize(count: 1) }
        successorList.deallocate()
        for p in [ready, runStore, oneCharStore, successorState] { free(UnsafeMutableRawPointer(p)) }
        classOf.deallocate(); trans.deallocate(); flags.deallocate(); selfLoop.deallocate()
        readableCount.deallocate(); readableBytes.deallocate()
        callList.deallocate(); callCount.deallocate(); tokenList.deallocate(); tokenCount.deallocate()
        ruleOfStore.deallocate(); localOf.deallocate()
    }

    /// `n` atomic bytes, all 0, from zeroed memory the system hands out untouched (an atomic byte
    /// is a plain byte in memory), so a grammar's capacity costs nothing until states use it.
    private static func zeroedAtomics(_ n: Int) -> UnsafeMutablePointer<Atomic<UInt8>> {
        guard let raw = calloc(max(1, n), 1) else { fatalError("out of memory") }
        return raw.bindMemory(to: Atomic<UInt8>.self, capacity: max(1, n))
    }

    /// Number of states found so far (built or not).
    var stateCount: Int { construction.withLock { $0.count } }

    /// Builds state `s` when it is not built yet; afterwards its row, flags, byte facts, calls,
    /// tokens and shared key may be read (from any thread).
    @inline(__always) func ensure(_ s: Int32) {
        if ready[Int(s)].load(ordering: .acquiring) == 0 { build(s) }
    }

    /// Whether state `s` is built.
    func isBuilt(_ s: Int32) -> Bool { ready[Int(s)].load(ordering: .acquiring) != 0 }

    /// State `s`'s run + 1 as some walk stored it (0: not known yet).
    @inline(__always) func knownRun(_ s: Int32) -> Int { Int(runStore[Int(s)].load(ordering: .relaxed)) }

    /// Stores state `s`'s run (at most 254).
    func storeRun(_ s: Int32, _ run: Int) { runStore[Int(s)].store(UInt8(min(run, 254) + 1), ordering: .relaxed) }

    /// Whether state `s` reads every plain character into an accepting state, when known.
    @inline(__always) func knownReadsOneChar(_ s: Int32) -> Bool? {
        switch oneCharStore[Int(s)].load(ordering: .relaxed) {
        case 0: return nil
        case 1: return false
        default: return true
        }
    }

    func storeReadsOneChar(_ s: Int32, _ value: Bool) { oneCharStore[Int(s)].store(value ? 2 : 1, ordering: .relaxed) }

    /// The states one plain character leads to from `s`: `.some(nil)` when some character
    /// cannot be read, nil when not known yet.
    @inline(__always) func knownSuccessors(_ s: Int32) -> [Int32]?? {
        switch successorState[Int(s)].load(ordering: .acquiring) {
        case 0: return nil
        case 1: return .some(nil)
        default: return .some(successorList[Int(s)])
        }
    }

    /// Stores the states one plain character leads to from `s` (nil: some character cannot be read).
    func storeSuccessors(_ s: Int32, _ list: [Int32]?) {
        successorLock.withLock { _ in
            guard successorState[Int(s)].load(ordering: .relaxed) == 0 else { return }
            if let list {
                (successorList + Int(s)).initialize(to: list)
                successorState[Int(s)].store(2, ordering: .releasing)
            } else {
                successorState[Int(s)].store(1, ordering: .releasing)
            }
        }
    }

    /// The call edges of a built state.
    @inline(__always) func calls(_ s: Int32) -> UnsafeBufferPointer<CallEdge> {
        UnsafeBufferPointer(start: callList[Int(s)], count: Int(callCount[Int(s)]))
    }

    /// The special-token edges of a built state.
    @inline(__always) func tokens(_ s: Int32) -> UnsafeBufferPointer<TokenEdge> {
        UnsafeBufferPointer(start: tokenList[Int(s)], count: Int(tokenCount[Int(s)]))
    }

    /// For states of lexeme rules (``Grammar/noInline`` rules without calls or tokens): a key
    /// that identifies a built state across grammars (rule content + NFA subset).
    func sharedKey(_ s: Int32) -> SharedStateKey? { sharedKeyStore[Int(s)] }

    /// The rule (index) of a state, and its name.
    func rule(of s: Int32) -> (index: Int, name: String) {
        let r = construction.withLock { _ in Int(ruleOfStore[Int(s)]) }
        return (r, rules[r].name)
    }

    @inline(never) private func build(_ s: Int32) {
        construction.withLock { c in
            if ready[Int(s)].load(ordering: .relaxed) != 0 { return }
            expand(s, &c)
        }
    }

    /// Computes state `s`'s transitions (under the lock) and publishes them.
    private func expand(_ s: Int32, _ c: inout Construction) {
        let si = Int(s)
        let r = Int(ruleOfStore[si])
        let rule = rules[r]
        let q = Int(localOf[si])
        var overflow = false
        /// The global number of the rule's local state `t`, handed out on first use.
        func global(_ t: Int32, _ c: inout Construction) -> Int32 {
            let ti = Int(t)
            if ti >= c.globalOf[r].count { c.globalOf[r].append(contentsOf: repeatElement(-2, count: ti + 1 - c.globalOf[r].count)) }
            let known = c.globalOf[r][ti]
            if known != -2 {
                if known < 0 { overflow = true }
                return known
            }
            guard c.count < capacity else {
                c.globalOf[r][ti] = -1
                overflow = true
                return -1
            }
            let g = c.count
            c.count += 1
            ruleOfStore[g] = Int32(r); localOf[g] = t
            (sharedKeyStore + g).initialize(to: nil)
            c.globalOf[r][ti] = Int32(g)
            return Int32(g)
        }
        let classCount = self.classCount
        let row = trans + si * classCount
        var f: UInt8 = 0
        rule.dfa.withState(q) { e in
            let localCount = e.classCount
            if c.mapped.count < localCount { c.mapped = [Int32](repeating: -1, count: localCount) }
            let base = q * localCount
            for k in 0..<localCount {
                let t = e.rows[base + k]
                c.mapped[k] = t >= 0 ? global(t, &c) : -1
            }
            rule.localClass.withUnsafeBufferPointer { lc in
                c.mapped.withUnsafeBufferPointer { local in
                    for k in 0..<classCount { row[k] = local[Int(lc[k])] }
                }
            }
            if e.accepting[q] { f |= Self.accepting }
            if !overflow {
                readableCount[si] = e.readable[q]
                for w in 0..<4 { selfLoop[si * 4 + w] = e.selfLoop[q * 4 + w]; readableBytes[si * 4 + w] = e.fewBytes[q * 4 + w] }
            }
            var n = 0
            let stateCalls = e.calls[q]
            if !stateCalls.isEmpty {
                let p = UnsafeMutablePointer<CallEdge>.allocate(capacity: stateCalls.count)
                for (callee, target) in stateCalls {
                    let ci = rule.callee[Int(callee)]
                    guard ci >= 0 else { continue }
                    let ret = global(target, &c)
                    if ret >= 0 { (p + n).initialize(to: CallEdge(callee: ruleStart[Int(ci)], ret: ret)); n += 1 }
                }
                if n > 0 { callList[si] = p; f |= Self.hasCalls } else { p.deallocate(); callList[si] = nil }
            } else {
                callList[si] = nil
            }
            callCount[si] = Int32(n)
            n = 0
            let stateTokens = e.tokens[q]
            if !stateTokens.isEmpty {
                let p = UnsafeMutablePointer<TokenEdge>.allocate(capacity: stateTokens.count)
                for (token, target) in stateTokens {
                    let t = global(target, &c)
                    if t >= 0 { (p + n).initialize(to: TokenEdge(token: token, target: t)); n += 1 }
                }
                if n > 0 { tokenList[si] = p; f |= Self.hasTokens } else { p.deallocate(); tokenList[si] = nil }
            } else {
                tokenList[si] = nil
            }
            tokenCount[si] = Int32(n)
            if rule.dfa.nfa.lexeme { sharedKeyStore[si] = SharedStateKey(rule: rule.dfa.nfa.exprHash, subset: e.subsets[q]) }
        }
        if overflow { Self.recount(si, trans, classCount, classOf, readableCount, selfLoop, readableBytes) }
        if readableCount[si] > 0 { f |= Self.hasBytes }
        flags[si] = f
        ready[si].store(1, ordering: .releasing)
    }

    /// Recomputes the byte facts of state `s` from its row (after transitions past the
    /// capacity were left out).
    static func recount(_ s: Int, _ trans: UnsafeMutablePointer<Int32>, _ classCount: Int, _ classOf: UnsafeMutablePointer<UInt8>,
                        _ readable: UnsafeMutablePointer<UInt8>, _ selfLoop: UnsafeMutablePointer<UInt64>, _ fewBytes: UnsafeMutablePointer<UInt8>) {
        var count = 0
        for w in 0..<4 { selfLoop[s * 4 + w] = 0; fewBytes[s * 4 + w] = 0 }
        for b in 0..<256 {
            let t = trans[s * classCount + Int(classOf[b])]
            if t < 0 { continue }
            if count < 4 { fewBytes[s * 4 + count] = UInt8(b) }
            count += 1
            if t == Int32(s) { selfLoop[s * 4 + (b >> 6)] |= UInt64(1) << UInt64(b & 63) }
        }
        readable[s] = UInt8(min(count, 255))
        if count > 4 { for w in 0..<4 { fewBytes[s * 4 + w] = 0 } }
    }

    /// Builds every state reachable from the rules' start states (tests and diagnostics: a
    /// matcher builds only what it enters). Returns the number of states.
    @discardableResult
    func buildAll() -> Int { build(from: ruleStart, upTo: Int.max) }

    /// Builds the states reachable from `roots`, nearest first, until `limit` states are built.
    /// Returns the number of states found.
    @discardableResult
    func build(from roots: [Int32], upTo limit: Int) -> Int {
        var seen = [Bool](repeating: false, count: capacity)
        for r in roots { seen[Int(r)] = true }
        var work = roots
        var head = 0, built = 0
        while head < work.count && built < limit {
            let s = work[head]
            head += 1
            built += 1
            ensure(s)
            var next: [Int32] = []
            let row = trans + Int(s) * classCount
            for k in 0..<classCount where row[k] >= 0 { next.append(row[k]) }
            for c in calls(s) { next.append(c.callee); next.append(c.ret) }
            for t in tokens(s) { next.append(t.target) }
            for t in next where t >= 0 && !seen[Int(t)] { seen[Int(t)] = true; work.append(t) }
        }
        return stateCount
    }

    @inline(__always) func step(_ s: Int32, _ byte: UInt8) -> Int32 {
        trans[Int(s) * classCount + Int(classOf[Int(byte)])]
    }

    /// Expands a stack whose top state was just entered into the stacks whose top can read a
    /// byte or a token (calls pushed, accepting tops popped); `complete` is set when a pop
    /// empties the stack (the input may end here). Every state of the stacks it gives is built.
    func expand(_ stack: [Int32], into out: inout [[Int32]], complete: inout Bool) {
        var work = stack
        var guardList: [[Int32]] = []
        expandRec(&work, &out, &complete, &guardList)
    }

    private func expandRec(_ st: inout [Int32], _ out: inout [[Int32]], _ complete: inout Bool, _ seen: inout [[Int32]]) {
        let top = st[st.count - 1]
        ensure(top)
        let depth = st.count
        if seen.contains(st) { return }
        seen.append(st)
        defer { seen.removeLast() }
        let f = flags[Int(top)]
        if f & (Self.hasBytes | Self.hasTokens) != 0, !out.contains(st) { out.append(st) }
        if f & Self.hasCalls != 0 {
            for e in calls(top) {
                ensure(e.ret)
                st[depth - 1] = e.ret
                st.append(e.callee)
                expandRec(&st, &out, &complete, &seen)
                st.removeLast()
                st[depth - 1] = top
            }
        }
        if f & Self.accepting != 0 {
            if depth == 1 {
                complete = true
            } else {
                st.removeLast()
                expandRec(&st, &out, &complete, &seen)
                st.append(top)
            }
        }
    }
}

/// Identifies a state of a lexeme rule independently of the grammar it is in.
struct SharedStateKey: Hashable, Sendable {
    var rule: Int
    var subset: [Int32]
}
