/// Interns sorted sets of NFA states (determinisation subsets) by a 64-bit hash of their
/// elements, compared element by element only on a hash hit: a specialised `[UInt64: Int32]`
/// instead of a dictionary keyed by arrays (whose generic hashing dominated compile profiles).
struct SubsetIndex {
    private var first: [UInt64: Int32] = [:]
    private var more: [UInt64: [Int32]] = [:]

    static func hash(_ s: [Int32]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(s.count)
        for x in s { h = (h ^ UInt64(UInt32(bitPattern: x))) &* 0x0000_0100_0000_01b3 }
        // Final avalanche (splitmix64) so nearby subsets spread over the table.
        h ^= h >> 30; h &*= 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27; h &*= 0x94d0_49bb_1331_11eb
        return h ^ (h >> 31)
    }

    /// The id stored for `s` (whose hash is `h`), looking subsets up in `subsets`.
    func find(_ s: [Int32], _ h: UInt64, in subsets: [[Int32]], offset: Int32 = 0) -> Int32? {
        guard let id = first[h] else { return nil }
        if subsets[Int(id - offset)] == s { return id }
        for id in more[h] ?? [] where subsets[Int(id - offset)] == s { return id }
        return nil
    }

    mutating func insert(_ h: UInt64, _ id: Int32) {
        if first[h] == nil { first[h] = id } else { more[h, default: []].append(id) }
    }
}
