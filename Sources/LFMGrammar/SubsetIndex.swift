/// Interns sets of NFA states (determinisation subsets, or lists of targets) by a 64-bit hash of their
/// elements, compared element by element only on a hash hit: an open-addressing table of
/// (hash, id) slots with linear probing instead of a dictionary keyed by arrays (whose generic
/// hashing dominated compile profiles). ``removeAll()`` empties it in time proportional to
/// the entries, so one table can be reused for many small memos.
struct SubsetIndex {
    private var ids: [Int32]
    private var hashes: [UInt64]
    private var used: [Int] = []
    private var mask: Int

    /// An empty table with room for about `capacity` entries before it grows.
    init(capacity: Int = 8) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        ids = [Int32](repeating: -1, count: size)
        hashes = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    static func hash(_ s: some Collection<Int32>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(s.count)
        for x in s { h = (h ^ UInt64(UInt32(bitPattern: x))) &* 0x0000_0100_0000_01b3 }
        // Final avalanche (splitmix64) so nearby subsets spread over the table.
        h ^= h >> 30; h &*= 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27; h &*= 0x94d0_49bb_1331_11eb
        return h ^ (h >> 31)
    }

    /// The id stored for `s` (whose hash is `h`), looking subsets up in `subsets`.
    func find(_ s: [Int32], _ h: UInt64, in subsets: [[Int32]], offset: Int32 = 0) -> Int32? {
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = ids[i]
            if id < 0 { return nil }
            if hashes[i] == h && subsets[Int(id - offset)] == s { return id }
            i = (i + 1) & mask
        }
    }

    /// The id stored under hash `h` for which `equal(id)` holds.
    @inline(__always) func find(_ h: UInt64, where equal: (Int32) -> Bool) -> Int32? {
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = ids[i]
            if id < 0 { return nil }
            if hashes[i] == h && equal(id) { return id }
            i = (i + 1) & mask
        }
    }

    /// Stores `id` (not negative) under hash `h`; entries with equal hashes are all kept.
    mutating func insert(_ h: UInt64, _ id: Int32) {
        if (used.count + 1) * 2 > ids.count { grow() }
        place(h, id)
    }

    /// Empties the table, keeping its storage.
    mutating func removeAll() {
        for i in used { ids[i] = -1 }
        used.removeAll(keepingCapacity: true)
    }

    private mutating func place(_ h: UInt64, _ id: Int32) {
        var i = Int(truncatingIfNeeded: h) & mask
        while ids[i] >= 0 { i = (i + 1) & mask }
        ids[i] = id; hashes[i] = h
        used.append(i)
    }

    private mutating func grow() {
        let old = used.map { (hashes[$0], ids[$0]) }
        let size = ids.count * 2
        ids = [Int32](repeating: -1, count: size)
        hashes = [UInt64](repeating: 0, count: size)
        mask = size - 1
        used.removeAll(keepingCapacity: true)
        for (h, id) in old { place(h, id) }
    }
}

/// The DFA states of one rule under construction: each state is the epsilon closure of a set
/// of NFA states (its important states: see ``important``), numbered from `base` in order of
/// discovery. The subsets are stored end to end in one array (state `base + i` is
/// `members[offsets[i] ..< offsets[i + 1]]`), so finding or adding a state allocates nothing
/// per state. A struct with mutating methods rather than closures over local variables, so
/// the determinisation loop's state needs no boxes or dynamic exclusivity checks.
struct SubsetQueue {
    /// The rule's NFA epsilon edges: state x's are `epsTarget[epsStart[x] ..< epsStart[x + 1]]`.
    let epsStart: [Int32]
    let epsTarget: [Int32]
    /// Number of the first state.
    let base: Int32
    /// The closed subsets, end to end, in state order.
    private(set) var members: [Int32] = []
    private(set) var offsets: [Int32] = [0]
    private var index = SubsetIndex(capacity: 64)
    private var mark: [Int32]
    private var stamp: Int32 = 0
    private var work: [Int32] = []
    private var scratch: [Int32] = []

    /// States kept in a subset: those with labelled edges and the final state (the others
    /// only lead on by epsilon edges, so two closures that agree on these behave the same).
    let important: [Bool]

    /// Most states: ``state(for:)`` answers -1 instead of adding one more.
    let limit: Int

    init(epsStart: [Int32], epsTarget: [Int32], base: Int32, important: [Bool], limit: Int = Int.max) {
        self.important = important
        self.limit = limit
        self.epsStart = epsStart
        self.epsTarget = epsTarget
        self.base = base
        mark = [Int32](repeating: -1, count: important.count)
        work = [Int32](repeating: 0, count: important.count)
        scratch = [Int32](repeating: 0, count: important.count)
    }

    /// Number of states.
    var count: Int { offsets.count - 1 }

    /// The NFA states of state `base + i`.
    func subset(_ i: Int) -> Range<Int> { Int(offsets[i])..<Int(offsets[i + 1]) }

    /// The important states of the epsilon closure of `states`, in order of discovery, into
    /// `scratch[0 ..< count]` (both buffers hold every NFA state at most once, so they are sized
    /// once to the NFA). The closure's states are marked with the current stamp until the next
    /// call.
    private mutating func close(_ states: [Int32]) -> Int {
        stamp += 1
        let stamp = self.stamp
        var n = 0
        mark.withUnsafeMutableBufferPointer { mark in
            work.withUnsafeMutableBufferPointer { work in
                scratch.withUnsafeMutableBufferPointer { out in
                    important.withUnsafeBufferPointer { important in
                        epsStart.withUnsafeBufferPointer { epsStart in
                            epsTarget.withUnsafeBufferPointer { epsTarget in
                                var top = 0
                                for x in states where mark[Int(x)] != stamp {
                                    mark[Int(x)] = stamp; work[top] = x; top += 1
                                    if important[Int(x)] { out[n] = x; n += 1 }
                                }
                                while top > 0 {
                                    top -= 1
                                    let x = Int(work[top])
                                    for i in Int(epsStart[x])..<Int(epsStart[x + 1]) {
                                        let t = epsTarget[i]
                                        if mark[Int(t)] != stamp {
                                            mark[Int(t)] = stamp; work[top] = t; top += 1
                                            if important[Int(t)] { out[n] = t; n += 1 }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return n
    }

    /// A hash of a set of NFA states that does not depend on their order (a sum of mixed
    /// elements), so closures need no sorting.
    static func setHash(_ s: UnsafeBufferPointer<Int32>) -> UInt64 {
        var h: UInt64 = 0x9e37_79b9_7f4a_7c15 &* UInt64(s.count &+ 1)
        for x in s {
            var z = UInt64(UInt32(bitPattern: x)) &+ 0x9e37_79b9_7f4a_7c15
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            h &+= z ^ (z >> 31)
        }
        return h
    }

    /// The state of the closure of `targets`, added when new (-1 when new past ``limit``). A stored subset equals the
    /// closure when it has as many states and all of them are marked (in the closure).
    mutating func state(for targets: [Int32]) -> Int32 {
        let count = close(targets)
        let h = scratch.withUnsafeBufferPointer { Self.setHash(UnsafeBufferPointer(rebasing: $0[0..<count])) }
        let stamp = self.stamp
        let found = members.withUnsafeBufferPointer { m in
            offsets.withUnsafeBufferPointer { o in
                mark.withUnsafeBufferPointer { mark in
                    index.find(h) { id in
                        let i = Int(id - base)
                        let lo = Int(o[i]), hi = Int(o[i + 1])
                        if hi - lo != count { return false }
                        for k in lo..<hi where mark[Int(m[k])] != stamp { return false }
                        return true
                    }
                }
            }
        }
        if let found { return found }
        if self.count >= limit { return -1 }
        let s = base + Int32(self.count)
        index.insert(h, s)
        members.append(contentsOf: scratch[0..<count])
        offsets.append(Int32(members.count))
        return s
    }
}
