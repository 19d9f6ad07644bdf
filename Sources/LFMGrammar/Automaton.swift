import Locking

/// The compiled form of a ``Grammar``: every rule as a deterministic automaton over byte
/// classes, special tokens and rule calls, numbered in one global state space. A matcher
/// runs it as a pushdown automaton (a stack of states; a call pushes the callee's start
/// state, an accepting state may pop).
final class Automaton: @unchecked Sendable {
    /// Number of states.
    let stateCount: Int
    /// Number of byte classes.
    let classCount: Int
    /// Byte → class.
    let classOf: UnsafeMutablePointer<UInt8>
    /// `trans[state * classCount + class]` = next state or -1.
    let trans: UnsafeMutablePointer<Int32>
    /// Bit 0: accepting; bit 1: has a byte edge; bit 2: has a call; bit 3: has a token edge.
    let flags: UnsafeMutablePointer<UInt8>
    /// Call edges of state s: `callEdges[callStart[s] ..< callStart[s+1]]` = (callee start, return state).
    let callStart: [Int32]
    let callEdges: [(callee: Int32, ret: Int32)]
    /// Token edges of state s: `tokenEdges[tokenStart[s] ..< tokenStart[s+1]]`.
    let tokenStart: [Int32]
    let tokenEdges: [(token: Int32, target: Int32)]
    /// Bytes that lead from each state back to itself (4 words per state).
    let selfLoop: UnsafeMutablePointer<UInt64>
    /// Number of bytes each state can read (its row's defined transitions, capped at 255).
    let readableCount: UnsafeMutablePointer<UInt8>
    /// The bytes of states that read at most 4 (`readableBytes[s * 4 ..< s * 4 + readableCount[s]]`,
    /// ascending): the mask walk looks them up among a trie node's children instead of
    /// scanning every child.
    let readableBytes: UnsafeMutablePointer<UInt8>
    /// Per state, the states reached after one plain JSON-string character (see
    /// ``MaskWalker/charSuccessors(_:)``); filled lazily by mask walks of any thread.
    let charSuccessors = Locked<[Int32: [Int32]?]>([:])
    /// Per state, its ``MaskWalker/run(_:)`` once some walk computed it (shared by the walks
    /// of every thread, so a state's run is searched for once per grammar).
    let runs = Locked<[Int32: UInt8]>([:])
    /// Per state, whether it reads every plain character into an accepting state (see
    /// ``MaskWalker/stackRun(_:)``); filled lazily.
    let readsOneChar = Locked<[Int32: Bool]>([:])
    /// The start state of the start rule.
    let start: Int32
    /// Rule of each state (for diagnostics).
    let ruleOf: [Int32]
    /// For states of lexeme rules (``Grammar/noInline`` rules without calls or tokens): a key
    /// that identifies the state across grammars (rule content + NFA subset).
    let sharedKeys: [SharedStateKey?]

    static let accepting: UInt8 = 1, hasBytes: UInt8 = 2, hasCalls: UInt8 = 4, hasTokens: UInt8 = 8

    /// An automaton of `stateCount` states (the length of `accepting`). It takes ownership of
    /// `trans` (`stateCount * classCount` cells). `readable`, `selfLoop` and `fewBytes` are the
    /// per-state byte facts of ``RuleDFA``; call and token edges are in CSR form (state s's are at
    /// `callStart[s] ..< callStart[s + 1]`).
    init(classOf: [UInt8], classCount: Int, trans: UnsafeMutablePointer<Int32>, accepting: [Bool],
         readable: [UInt8], selfLoop: [UInt64], fewBytes: [UInt8],
         callStart: [Int32], callEdges: [(callee: Int32, ret: Int32)],
         tokenStart: [Int32], tokenEdges: [(token: Int32, target: Int32)],
         start: Int32, ruleOf: [Int32], sharedKeys: [SharedStateKey?]) {
        self.sharedKeys = sharedKeys
        stateCount = accepting.count
        self.classCount = classCount
        self.classOf = .allocate(capacity: 256)
        self.classOf.initialize(from: classOf, count: 256)
        self.trans = trans
        flags = .allocate(capacity: max(1, stateCount))
        self.selfLoop = .allocate(capacity: max(4, stateCount * 4))
        self.selfLoop.initialize(repeating: 0, count: max(4, stateCount * 4))
        self.selfLoop.update(from: selfLoop, count: stateCount * 4)
        readableCount = .allocate(capacity: max(1, stateCount))
        readableCount.initialize(repeating: 0, count: max(1, stateCount))
        readableCount.update(from: readable, count: stateCount)
        readableBytes = .allocate(capacity: max(4, stateCount * 4))
        readableBytes.initialize(repeating: 0, count: max(4, stateCount * 4))
        readableBytes.update(from: fewBytes, count: stateCount * 4)
        self.callStart = callStart; self.callEdges = callEdges
        self.tokenStart = tokenStart; self.tokenEdges = tokenEdges
        self.start = start
        self.ruleOf = ruleOf
        for s in 0..<stateCount {
            var f: UInt8 = accepting[s] ? Self.accepting : 0
            if readable[s] > 0 { f |= Self.hasBytes }
            if callStart[s + 1] > callStart[s] { f |= Self.hasCalls }
            if tokenStart[s + 1] > tokenStart[s] { f |= Self.hasTokens }
            flags[s] = f
        }
    }

    deinit {
        classOf.deallocate()
        trans.deallocate()
        flags.deallocate()
        selfLoop.deallocate()
        readableCount.deallocate()
        readableBytes.deallocate()
    }

    @inline(__always) func step(_ s: Int32, _ byte: UInt8) -> Int32 {
        trans[Int(s) * classCount + Int(classOf[Int(byte)])]
    }

    /// Expands a stack whose top state was just entered into the stacks whose top can read a
    /// byte or a token (calls pushed, accepting tops popped); `complete` is set when a pop
    /// empties the stack (the input may end here).
    func expand(_ stack: [Int32], into out: inout [[Int32]], complete: inout Bool) {
        var work = stack
        var guardList: [[Int32]] = []
        expandRec(&work, &out, &complete, &guardList)
    }

    private func expandRec(_ st: inout [Int32], _ out: inout [[Int32]], _ complete: inout Bool, _ seen: inout [[Int32]]) {
        let top = st[st.count - 1]
        let depth = st.count
        if seen.contains(st) { return }
        seen.append(st)
        defer { seen.removeLast() }
        let f = flags[Int(top)]
        if f & (Self.hasBytes | Self.hasTokens) != 0, !out.contains(st) { out.append(st) }
        if f & Self.hasCalls != 0 {
            for i in Int(callStart[Int(top)])..<Int(callStart[Int(top) + 1]) {
                let e = callEdges[i]
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
