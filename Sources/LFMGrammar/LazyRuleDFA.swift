import Locking

/// One rule's DFA, built a state at a time by subset construction: the DFA states found so far
/// (numbered in order of discovery, rule-local) and the transitions of those built, over the
/// rule's own classes. States are built when a matcher or a mask walk first enters them
/// (``Automaton/ensure(_:)``), never all up front. Edges into NFA states that cannot reach the
/// rule's end, and calls of rules that match nothing, are left out, so every state built can
/// reach acceptance. Thread-safe (a lock of its own): a built-in rule's DFA is shared by every
/// grammar of the process (``RuleNFA/Entry``), so each of its states is built once per process.
final class LazyRuleDFA: Sendable {
    let nfa: RuleNFA
    /// Most states one rule's DFA finds; transitions to further states are left out.
    static let maxStates = 100_000
    private let expansion: Locked<RuleExpansion>

    /// The DFA of `nfa` given its live NFA states and, per call (``RuleNFA/calls``), whether it is kept.
    init(_ nfa: RuleNFA, live: [Bool], callable: [Bool]) {
        self.nfa = nfa
        expansion = Locked(RuleExpansion(nfa, live: live, callable: callable))
    }

    /// Transition cells of the states found so far (states × the rule's classes).
    var cells: Int { expansion.withLock { $0.count * $0.classCount } }

    /// Runs `body` on state `q` (built on the first request) under this DFA's lock. The
    /// state's targets are states of this DFA, found (numbered) when `q` was built.
    func withState<R>(_ q: Int, _ body: (inout RuleExpansion) -> R) -> R {
        expansion.withLock { e in
            e.build(q)
            return body(&e)
        }
    }
}

/// The mutable part of a ``LazyRuleDFA``: the subset construction's states and scratch.
struct RuleExpansion {
    let nfa: RuleNFA
    /// NFA states that can reach the final state.
    let live: [Bool]
    /// Per call (``RuleNFA/calls``): whether it is kept (its callee matches something).
    let callable: [Bool]
    private(set) var queue: SubsetQueue
    let classCount: Int
    // Per state (rule-local), filled when it is built: whether it is, its row over the rule's
    // classes (-1: no transition), whether it accepts, its byte facts (``Automaton``), its call
    // edges (callee as written, return state) and token edges (token id, target), and for
    // lexeme rules its NFA subset, sorted (the key of masks shared across grammars).
    private(set) var isBuilt: [Bool] = []
    private(set) var rows: [Int32] = []
    private(set) var accepting: [Bool] = []
    private(set) var readable: [UInt8] = []
    private(set) var selfLoop: [UInt64] = []
    private(set) var fewBytes: [UInt8] = []
    private(set) var calls: [[(Int32, Int32)]] = []
    private(set) var tokens: [[(Int32, Int32)]] = []
    private(set) var subsets: [[Int32]] = []

    // Scratch, kept between expansions.
    private var signature: [UInt64]
    private var touched: [Int] = []
    private var edgeTargets: [Int32] = [], edgeSets: [Int32] = []
    private var sigKeys: [UInt64] = [], sigStates: [Int32] = []
    private var buckets: [[Int32]]
    private var targets: [Int32] = []
    private var callEdges: [(Int32, Int32)] = [], tokenEdges: [(Int32, Int32)] = []
    private var row: [Int32]

    /// The expansion of `nfa` whose first state (0) is the closure of its start state.
    init(_ nfa: RuleNFA, live: [Bool], callable: [Bool]) {
        self.nfa = nfa
        self.live = live
        self.callable = callable
        var important = [Bool](repeating: false, count: nfa.stateCount)
        for x in 0..<nfa.stateCount where live[x] && (nfa.edgeStart[x + 1] > nfa.edgeStart[x] || Int32(x) == nfa.end) { important[x] = true }
        queue = SubsetQueue(epsStart: nfa.epsStart, epsTarget: nfa.epsTarget, base: 0, important: important, limit: LazyRuleDFA.maxStates)
        _ = queue.state(for: [nfa.start])
        classCount = nfa.classCount
        signature = [UInt64](repeating: 0, count: nfa.classCount)
        buckets = [[Int32]](repeating: [], count: nfa.classCount)
        row = [Int32](repeating: -1, count: nfa.classCount)
        grow()
    }

    /// Makes room in the per-state tables for every state found so far.
    private mutating func grow() {
        let have = isBuilt.count
        guard queue.count > have else { return }
        let n = max(queue.count, have + max(64, have / 2))
        isBuilt.append(contentsOf: repeatElement(false, count: n - have))
        rows.append(contentsOf: repeatElement(-1, count: (n - have) * classCount))
        accepting.append(contentsOf: repeatElement(false, count: n - have))
        readable.append(contentsOf: repeatElement(0, count: n - have))
        selfLoop.append(contentsOf: repeatElement(0, count: (n - have) * 4))
        fewBytes.append(contentsOf: repeatElement(0, count: (n - have) * 4))
        calls.append(contentsOf: repeatElement([], count: n - have))
        tokens.append(contentsOf: repeatElement([], count: n - have))
        if nfa.lexeme { subsets.append(contentsOf: repeatElement([], count: n - have)) }
    }

    /// Number of states found so far (built or not).
    var count: Int { queue.count }

    /// Builds state `q` unless it is built.
    mutating func build(_ q: Int) {
        if isBuilt[q] { return }
        expand(q)
    }

    /// Computes state `q`'s transitions (targets may be new states: ``count`` grows; -1 where
    /// the state limit was reached).
    private mutating func expand(_ q: Int) {
        let nfa = self.nfa
        let classCount = nfa.classCount
        let subset = queue.subset(q)
        let current = Int32(q)
        edgeTargets.removeAll(keepingCapacity: true); edgeSets.removeAll(keepingCapacity: true)
        callEdges.removeAll(keepingCapacity: true); tokenEdges.removeAll(keepingCapacity: true)
        var acc = false
        for k in subset {
            let ns = queue.members[k]
            if ns == nfa.end { acc = true }
            for i in Int(nfa.edgeStart[Int(ns)])..<Int(nfa.edgeStart[Int(ns) + 1]) {
                let target = nfa.edgeTarget[i], arg = nfa.edgeArg[i]
                guard live[Int(target)] else { continue }
                switch nfa.edgeKind[i] {
                case 0: edgeSets.append(arg); edgeTargets.append(target)
                case 1: if callable[Int(arg)] { callEdges.append((arg, target)) }
                default: tokenEdges.append((arg, target))
                }
            }
        }
        row.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
        touched.removeAll(keepingCapacity: true)
        var count = 0
        var loop: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        if edgeSets.count <= 64 {
            // Per class, the set edges that read it (bit k: the k-th): classes with equal
            // signatures go to the same state, whose subset is computed once.
            signature.withUnsafeMutableBufferPointer { signature in
                nfa.setClassStart.withUnsafeBufferPointer { setClassStart in
                    nfa.setClassList.withUnsafeBufferPointer { setClassList in
                        for k in 0..<edgeSets.count {
                            let arg = Int(edgeSets[k]), bit = UInt64(1) << UInt64(k)
                            for j in Int(setClassStart[arg])..<Int(setClassStart[arg + 1]) {
                                let c = Int(setClassList[j])
                                if signature[c] == 0 { touched.append(c) }
                                signature[c] |= bit
                            }
                        }
                    }
                }
            }
            touched.withUnsafeMutableBufferPointer { Self.sort($0) }
            sigKeys.removeAll(keepingCapacity: true); sigStates.removeAll(keepingCapacity: true)
            for c in touched {
                let sig = signature[c]
                signature[c] = 0
                var found: Int32 = -1
                for (i, key) in sigKeys.enumerated() where key == sig { found = sigStates[i]; break }
                if found < 0 {
                    targets.removeAll(keepingCapacity: true)
                    var bits = sig
                    while bits != 0 {
                        targets.append(edgeTargets[bits.trailingZeroBitCount])
                        bits &= bits - 1
                    }
                    found = queue.state(for: targets)
                    sigKeys.append(sig); sigStates.append(found)
                }
                if found < 0 { continue }
                row[c] = found
                count += nfa.classSize[c]
                if found == current { loop = Self.or(loop, nfa.classBits, c) }
            }
        } else {
            // More than 64 set edges: per-class target lists.
            for k in 0..<edgeSets.count {
                let arg = Int(edgeSets[k])
                for j in Int(nfa.setClassStart[arg])..<Int(nfa.setClassStart[arg + 1]) {
                    let c = Int(nfa.setClassList[j])
                    if buckets[c].isEmpty { touched.append(c) }
                    buckets[c].append(edgeTargets[k])
                }
            }
            touched.withUnsafeMutableBufferPointer { Self.sort($0) }
            for c in touched {
                let found = queue.state(for: buckets[c])
                if found < 0 { continue }
                row[c] = found
                count += nfa.classSize[c]
                if found == current { loop = Self.or(loop, nfa.classBits, c) }
            }
            for c in touched { buckets[c].removeAll(keepingCapacity: true) }
        }
        var stateCalls: [(Int32, Int32)] = [], stateTokens: [(Int32, Int32)] = []
        if !callEdges.isEmpty { Self.group(callEdges, &stateCalls, &targets, &queue) }
        if !tokenEdges.isEmpty { Self.group(tokenEdges, &stateTokens, &targets, &queue) }
        // Sorted: the key of shared masks must not depend on the order of discovery.
        let lexemeSubset = nfa.lexeme ? Array(queue.members[subset]).sorted() : []
        grow()
        isBuilt[q] = true
        accepting[q] = acc
        readable[q] = UInt8(min(count, 255))
        selfLoop[q * 4] = loop.0; selfLoop[q * 4 + 1] = loop.1; selfLoop[q * 4 + 2] = loop.2; selfLoop[q * 4 + 3] = loop.3
        if count > 0 && count <= 4 {
            // The few bytes, ascending: the members of the (at most 4) readable classes.
            let at = q * 4
            var k = 0
            for c in touched {
                for w in 0..<4 {
                    var bits = nfa.classBits[c * 4 + w]
                    while bits != 0 {
                        let b = UInt8(w * 64 + bits.trailingZeroBitCount)
                        bits &= bits - 1
                        var j = k
                        while j > 0 && fewBytes[at + j - 1] > b { fewBytes[at + j] = fewBytes[at + j - 1]; j -= 1 }
                        fewBytes[at + j] = b
                        k += 1
                    }
                }
            }
        }
        rows.withUnsafeMutableBufferPointer { rows in
            row.withUnsafeBufferPointer { row in
                for c in 0..<classCount { rows[q * classCount + c] = row[c] }
            }
        }
        calls[q] = stateCalls
        tokens[q] = stateTokens
        if nfa.lexeme { subsets[q] = lexemeSubset }
    }

    /// One edge per label (callee or token) of `edges`, in order of first appearance, to the
    /// state of the closure of all that label's targets.
    private static func group(_ edges: [(Int32, Int32)], _ out: inout [(Int32, Int32)],
                              _ targets: inout [Int32], _ queue: inout SubsetQueue) {
        for (k, e) in edges.enumerated() where !edges[..<k].contains(where: { $0.0 == e.0 }) {
            targets.removeAll(keepingCapacity: true)
            for x in edges[k...] where x.0 == e.0 { targets.append(x.1) }
            let t = queue.state(for: targets)
            if t >= 0 { out.append((e.0, t)) }
        }
    }

    /// Sorts ascending: insertion sort for the few classes a state usually reads, the standard
    /// library's sort otherwise.
    @inline(__always) private static func sort<T: Comparable>(_ p: UnsafeMutableBufferPointer<T>) {
        if p.count > 24 { var q = p; q.sort(); return }
        var i = 1
        while i < p.count {
            let x = p[i]
            var j = i
            while j > 0 && p[j - 1] > x { p[j] = p[j - 1]; j -= 1 }
            p[j] = x
            i += 1
        }
    }

    @inline(__always) private static func or(_ l: (UInt64, UInt64, UInt64, UInt64), _ bits: [UInt64], _ c: Int) -> (UInt64, UInt64, UInt64, UInt64) {
        (l.0 | bits[c * 4], l.1 | bits[c * 4 + 1], l.2 | bits[c * 4 + 2], l.3 | bits[c * 4 + 3])
    }
}
