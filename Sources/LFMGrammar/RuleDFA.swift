import Locking

/// One grammar rule determinised on its own: a DFA over the rule's own byte classes (the
/// partition its byte sets generate), with call and token edges, numbered from 0.
/// ``AutomatonBuilder`` remaps it onto the grammar's global classes and state numbers. Built-in
/// rules (``Grammar/builtin``: JSON values, strings, whitespace — fixed by the compiler, not
/// by the schema) are cached process-wide under their tag, so each is determinised once per process.
final class RuleDFA: Sendable {
    /// Byte → the rule's own class.
    let classOf: [UInt8]
    let classCount: Int
    /// `trans[state * classCount + class]` = next state (rule-local) or -1.
    let trans: [Int32]
    let accepting: [Bool]
    /// Call edges of state s: `callRule[callStart[s] ..< callStart[s + 1]]` (rule number as
    /// written in the expression) with their return states in `callRet`.
    let callStart: [Int32]
    let callRule: [Int32]
    let callRet: [Int32]
    /// Token edges of state s: `tokenID[tokenStart[s] ..< tokenStart[s + 1]]` with their targets
    /// in `tokenTarget`.
    let tokenStart: [Int32]
    let tokenID: [Int32]
    let tokenTarget: [Int32]
    /// Per state, the NFA subset (lexeme rules only: the key of masks shared across grammars).
    let subsets: [[Int32]]?
    /// Hash of the rule's expression (lexeme rules: part of the shared mask key).
    let exprHash: Int
    /// Determinisation work (NFA states visited) up to and including each state.
    let workPrefix: [Int]
    /// The most NFA states there were when the NFA builder entered an expression (its limit check).
    let nfaPeak: Int
    /// Number of NFA states.
    let nfaStates: Int
    /// Per state, facts about its byte transitions that do not depend on how the grammar's other
    /// rules split bytes into classes (``Automaton`` keeps them per state): the number of bytes
    /// it reads (capped at 255), the bytes that lead back to it (4 words), the bytes it reads
    /// when they are at most 4 (ascending, 4 per state), and its byte successors
    /// (`byteSucc[byteSuccStart[s] ..< byteSuccStart[s + 1]]`, rule-local).
    let readable: [UInt8]
    let selfLoop: [UInt64]
    let fewBytes: [UInt8]
    let byteSuccStart: [Int32]
    let byteSucc: [Int32]

    var stateCount: Int { accepting.count }

    /// Determinises `rule`. `lexeme`: record subsets for shared masks. Limits are the budget
    /// left in the grammar being built; errors name `name`.
    init(_ rule: GrammarExpr, lexeme: Bool, nfaLimit: Int, workLimit: Int, stateLimit: Int, name: String,
         limits: AutomatonBuilder.Limits = AutomatonBuilder.Limits()) throws(GrammarError) {
        var d = try Determinisation(rule, lexeme: lexeme, nfaLimit: nfaLimit)
        try d.run(workLimit: workLimit, stateLimit: stateLimit, name: name, limits: limits)
        classOf = d.classOf; classCount = d.classCount
        trans = d.trans; accepting = d.accepting
        callStart = d.callStart; callRule = d.callRule; callRet = d.callRet
        tokenStart = d.tokenStart; tokenID = d.tokenID; tokenTarget = d.tokenTarget
        subsets = lexeme ? d.subsets : nil
        exprHash = lexeme ? rule.hashValue : 0
        workPrefix = d.workPrefix
        nfaPeak = d.nfaPeak; nfaStates = d.nfaStates
        readable = d.readable; selfLoop = d.selfLoop; fewBytes = d.fewBytes
        byteSuccStart = d.byteSuccStart; byteSucc = d.byteSucc
    }

    /// Throws the error building this rule within the given budget would have thrown (a cached
    /// rule is checked against the same limits as a freshly built one).
    func check(nfaLimit: Int, workLimit: Int, stateLimit: Int, name: String, limits: AutomatonBuilder.Limits) throws(GrammarError) {
        if nfaPeak > nfaLimit {
            throw GrammarError("grammar too large: more than \(nfaLimit) NFA states (reduce repetition counts, lengths or alternatives)")
        }
        for k in 0..<stateCount {
            if workPrefix[k] > workLimit {
                throw GrammarError("grammar too large: determinising it needs more than \(limits.maxWork) steps (rule \(name))")
            }
            if k >= stateLimit {
                throw GrammarError("grammar too large: more than \(limits.maxDFAStates) automaton states (rule \(name))")
            }
        }
    }

    // MARK: process-wide cache of built-in rules

    /// A built-in rule as the cache knows it: its tag (``Grammar/builtin``), whether it is a
    /// lexeme, and how many distinct rules it calls.
    struct Key: Hashable, Sendable {
        var tag: String
        var lexeme: Bool
        var calls: Int
    }

    /// A cached rule: its expression with calls renumbered 0, 1, … in order of first
    /// appearance (what debug builds compare a hit against), and its DFA.
    struct Entry: Sendable {
        let expr: GrammarExpr
        let dfa: RuleDFA
    }

    private struct Cache {
        var items: [Key: Entry] = [:]
        var cells = 0
    }

    private static let cache = Locked<Cache>(Cache())
    /// Bound of the cache (transition cells over all entries); it is emptied when full.
    static let maxCachedCells = 4_000_000

    /// The cached DFA of a built-in rule, or nil.
    static func cached(_ key: Key) -> Entry? { cache.withLock { $0.items[key] } }

    /// Remembers the DFA of a built-in rule (`expr`: the rule in ``canonical(_:_:)`` form).
    static func store(_ key: Key, expr: GrammarExpr, _ d: RuleDFA) {
        let cells = d.trans.count
        cache.withLock { c in
            if c.cells + cells > maxCachedCells { c.items.removeAll(); c.cells = 0 }
            if c.items.updateValue(Entry(expr: expr, dfa: d), forKey: key) == nil { c.cells += cells }
        }
    }

    /// `e` with its rule calls renumbered 0, 1, … in order of first appearance; `refs` gets the
    /// original rule numbers (`refs[k]` is the rule called as `k`).
    static func canonical(_ e: GrammarExpr, _ refs: inout [Int]) -> GrammarExpr {
        switch e {
        case .empty, .bytes, .token, .automaton: return e
        case .ref(let r):
            if let k = refs.firstIndex(of: r) { return .ref(k) }
            refs.append(r)
            return .ref(refs.count - 1)
        case .seq(let xs): return .seq(xs.map { canonical($0, &refs) })
        case .alt(let xs): return .alt(xs.map { canonical($0, &refs) })
        case .rep(let x, let lo, let hi): return .rep(canonical(x, &refs), min: lo, max: hi)
        case .members(let xs, let optional, let extra, let sep):
            let items = xs.map { canonical($0, &refs) }
            let ex = extra.map { canonical($0, &refs) }
            return .members(items, optional: optional, extra: ex, separator: canonical(sep, &refs))
        }
    }
}

/// The subset construction of one rule (``RuleDFA``'s builder): a struct whose loop works on its
/// own arrays, collecting the DFA's tables and each state's byte facts as it goes.
private struct Determinisation {
    let classOf: [UInt8]
    let classCount: Int
    let lexeme: Bool
    let nfaPeak: Int, nfaStates: Int
    // The rule's NFA: labelled edges by state (kind 0 set / 1 call / 2 token, argument, target).
    private let edgeStart: [Int32], edgeKind: [UInt8], edgeArg: [Int32], edgeTarget: [Int32]
    private let end: Int32
    private var dfa: SubsetQueue
    // The classes of each byte set: setClassList[setClassStart[k] ..< setClassStart[k + 1]].
    private let setClassStart: [Int32], setClassList: [Int32]
    // Per class: its bytes (4 words) and how many.
    private let classBits: [UInt64], classSize: [Int]

    var trans: [Int32] = [], accepting: [Bool] = []
    var callStart: [Int32] = [0], callRule: [Int32] = [], callRet: [Int32] = []
    var tokenStart: [Int32] = [0], tokenID: [Int32] = [], tokenTarget: [Int32] = []
    var subsets: [[Int32]] = []
    var workPrefix: [Int] = []
    var readable: [UInt8] = [], selfLoop: [UInt64] = [], fewBytes: [UInt8] = []
    var byteSuccStart: [Int32] = [0], byteSucc: [Int32] = []

    init(_ rule: GrammarExpr, lexeme: Bool, nfaLimit: Int) throws(GrammarError) {
        self.lexeme = lexeme
        var setIndex = ByteSetIndex()
        AutomatonBuilder.collectSets(rule, &setIndex)
        let sets = setIndex.sets
        let (classOf, classCount) = ByteClasses.partition(sets)
        self.classOf = classOf
        self.classCount = classCount
        var setClassStart: [Int32] = [0], setClassList: [Int32] = []
        for set in sets {
            for c in ByteClasses.classes(of: set, classOf) { setClassList.append(Int32(c)) }
            setClassStart.append(Int32(setClassList.count))
        }
        self.setClassStart = setClassStart; self.setClassList = setClassList
        var classBits = [UInt64](repeating: 0, count: classCount * 4), classSize = [Int](repeating: 0, count: classCount)
        for b in 0..<256 {
            let c = Int(classOf[b])
            classBits[c * 4 + (b >> 6)] |= UInt64(1) << UInt64(b & 63)
            classSize[c] += 1
        }
        self.classBits = classBits; self.classSize = classSize
        var nfa = NFA()
        let s0 = nfa.newState()
        let end = try nfa.build(rule, from: s0, setIndex: setIndex, limit: nfaLimit, map: { $0 })
        nfa.final = end
        self.end = Int32(end)
        nfaPeak = nfa.peak
        nfaStates = nfa.count
        let (edgeStart, edges) = nfa.edgeCSR()
        var edgeKind = [UInt8](repeating: 0, count: edges.count), edgeArg = [Int32](repeating: 0, count: edges.count)
        var edgeTarget = [Int32](repeating: 0, count: edges.count)
        for (i, e) in edges.enumerated() {
            switch e.label {
            case .set(let k): edgeKind[i] = 0; edgeArg[i] = Int32(k)
            case .call(let r): edgeKind[i] = 1; edgeArg[i] = Int32(r)
            case .token(let t): edgeKind[i] = 2; edgeArg[i] = Int32(t)
            }
            edgeTarget[i] = e.target
        }
        self.edgeStart = edgeStart; self.edgeKind = edgeKind; self.edgeArg = edgeArg; self.edgeTarget = edgeTarget
        var important = [Bool](repeating: false, count: nfa.count)
        for x in 0..<nfa.count where edgeStart[x + 1] > edgeStart[x] || x == end { important[x] = true }
        let (epsStart, epsTarget) = nfa.epsilonCSR()
        dfa = SubsetQueue(epsStart: epsStart, epsTarget: epsTarget, base: 0, important: important)
        _ = dfa.state(for: [Int32(s0)])
    }

    mutating func run(workLimit: Int, stateLimit: Int, name: String, limits: AutomatonBuilder.Limits) throws(GrammarError) {
        // Per class, the set edges of the state being built that read it (bit k: its k-th set
        // edge): classes with equal signatures go to the same state, whose subset is computed once.
        var signature = [UInt64](repeating: 0, count: classCount)
        var touched: [Int] = []
        var edgeTargets: [Int32] = [], edgeSets: [Int32] = []
        var sigKeys: [UInt64] = [], sigStates: [Int32] = []
        var sigIndex: [UInt64: Int32] = [:]
        // Fallback for states with more than 64 set edges: per-class target lists.
        var buckets = [[Int32]](repeating: [], count: classCount)
        var memo = SubsetIndex()
        var memoKeys: [[Int32]] = [], memoStates: [Int32] = []
        var targets: [Int32] = []
        let emptyRow = [Int32](repeating: -1, count: classCount)
        // The call and token edges of the state being built: (callee or token, target).
        var callEdges: [(Int32, Int32)] = [], tokenEdges: [(Int32, Int32)] = []
        var work = 0
        var q = 0
        while q < dfa.count {
            let subset = dfa.subset(q)
            let current = Int32(q)
            q += 1
            work += subset.count
            if work > workLimit {
                throw GrammarError("grammar too large: determinising it needs more than \(limits.maxWork) steps (rule \(name))")
            }
            if accepting.count >= stateLimit {
                throw GrammarError("grammar too large: more than \(limits.maxDFAStates) automaton states (rule \(name))")
            }
            workPrefix.append(work)
            edgeTargets.removeAll(keepingCapacity: true); edgeSets.removeAll(keepingCapacity: true)
            callEdges.removeAll(keepingCapacity: true); tokenEdges.removeAll(keepingCapacity: true)
            var acc = false
            for k in subset {
                let ns = dfa.members[k]
                if ns == end { acc = true }
                for i in Int(edgeStart[Int(ns)])..<Int(edgeStart[Int(ns) + 1]) {
                    let target = edgeTarget[i], arg = Int(edgeArg[i])
                    switch edgeKind[i] {
                    case 0:
                        edgeSets.append(Int32(arg)); edgeTargets.append(target)
                    case 1: callEdges.append((Int32(arg), target))
                    default: tokenEdges.append((Int32(arg), target))
                    }
                }
            }
            let row = trans.count
            trans.append(contentsOf: emptyRow)
            touched.removeAll(keepingCapacity: true)
            var count = 0
            var loop: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            if edgeSets.count <= 64 {
                for k in 0..<edgeSets.count {
                    let arg = Int(edgeSets[k]), bit = UInt64(1) << UInt64(k)
                    for j in Int(setClassStart[arg])..<Int(setClassStart[arg + 1]) {
                        let c = Int(setClassList[j])
                        if signature[c] == 0 { touched.append(c) }
                        signature[c] |= bit
                    }
                }
                touched.withUnsafeMutableBufferPointer { Self.sort($0) }
                sigKeys.removeAll(keepingCapacity: true); sigStates.removeAll(keepingCapacity: true)
                sigIndex.removeAll(keepingCapacity: true)
                for c in touched {
                    let sig = signature[c]
                    signature[c] = 0
                    var found: Int32 = -1
                    if sigKeys.count <= 16 {
                        for (i, key) in sigKeys.enumerated() where key == sig { found = sigStates[i]; break }
                    } else if let s = sigIndex[sig] { found = s }
                    if found < 0 {
                        targets.removeAll(keepingCapacity: true)
                        var bits = sig
                        while bits != 0 {
                            targets.append(edgeTargets[bits.trailingZeroBitCount])
                            bits &= bits - 1
                        }
                        found = dfa.state(for: targets)
                        byteSucc.append(found)
                        sigKeys.append(sig); sigStates.append(found)
                        if sigKeys.count > 16 {
                            if sigIndex.isEmpty { for (i, key) in sigKeys.enumerated() { sigIndex[key] = sigStates[i] } }
                            else { sigIndex[sig] = found }
                        }
                    }
                    trans[row + c] = found
                    count += classSize[c]
                    if found == current { loop = Self.or(loop, classBits, c) }
                }
            } else {
                for k in 0..<edgeSets.count {
                    let arg = Int(edgeSets[k])
                    for j in Int(setClassStart[arg])..<Int(setClassStart[arg + 1]) {
                        let c = Int(setClassList[j])
                        if buckets[c].isEmpty { touched.append(c) }
                        buckets[c].append(edgeTargets[k])
                    }
                }
                memo.removeAll(); memoKeys.removeAll(keepingCapacity: true); memoStates.removeAll(keepingCapacity: true)
                touched.withUnsafeMutableBufferPointer { Self.sort($0) }
                for c in touched {
                    let key = buckets[c]
                    let h = SubsetIndex.hash(key)
                    let found: Int32
                    if let m = memo.find(key, h, in: memoKeys) { found = memoStates[Int(m)] }
                    else {
                        found = dfa.state(for: key)
                        byteSucc.append(found)
                        memo.insert(h, Int32(memoKeys.count)); memoKeys.append(key); memoStates.append(found)
                    }
                    trans[row + c] = found
                    count += classSize[c]
                    if found == current { loop = Self.or(loop, classBits, c) }
                }
                for c in touched { buckets[c].removeAll(keepingCapacity: true) }
            }
            byteSuccStart.append(Int32(byteSucc.count))
            readable.append(UInt8(min(count, 255)))
            selfLoop.append(loop.0); selfLoop.append(loop.1); selfLoop.append(loop.2); selfLoop.append(loop.3)
            let fewAt = fewBytes.count
            fewBytes.append(0); fewBytes.append(0); fewBytes.append(0); fewBytes.append(0)
            if count > 0 && count <= 4 {
                // The few bytes, ascending: the members of the (at most 4) readable classes.
                var k = 0
                for c in touched {
                    for w in 0..<4 {
                        var bits = classBits[c * 4 + w]
                        while bits != 0 {
                            let b = UInt8(w * 64 + bits.trailingZeroBitCount)
                            bits &= bits - 1
                            var j = k
                            while j > 0 && fewBytes[fewAt + j - 1] > b { fewBytes[fewAt + j] = fewBytes[fewAt + j - 1]; j -= 1 }
                            fewBytes[fewAt + j] = b
                            k += 1
                        }
                    }
                }
            }
            accepting.append(acc)
            Self.group(callEdges, &callRule, &callRet, &targets, &dfa)
            callStart.append(Int32(callRule.count))
            Self.group(tokenEdges, &tokenID, &tokenTarget, &targets, &dfa)
            tokenStart.append(Int32(tokenID.count))
            // Sorted: the key of shared masks must not depend on the order of discovery.
            if lexeme { subsets.append(Array(dfa.members[subset]).sorted()) }
        }
    }

    /// One edge per label (callee or token) of `edges`, in order of first appearance, to the
    /// state of the closure of all that label's targets.
    private static func group(_ edges: [(Int32, Int32)], _ labels: inout [Int32], _ states: inout [Int32],
                              _ targets: inout [Int32], _ dfa: inout SubsetQueue) {
        for (k, e) in edges.enumerated() where !edges[..<k].contains(where: { $0.0 == e.0 }) {
            targets.removeAll(keepingCapacity: true)
            for x in edges[k...] where x.0 == e.0 { targets.append(x.1) }
            labels.append(e.0); states.append(dfa.state(for: targets))
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
