/// Numbers the distinct byte sets of an expression in order of first appearance: an
/// open-addressing table with a cheap hash of the set's four words (a dictionary keyed by
/// ``ByteSet`` spent most of its time in the generic hasher).
struct ByteSetIndex {
    /// The sets, by number.
    private(set) var sets: [ByteSet] = []
    private var slots: [Int32] = [Int32](repeating: -1, count: 32)
    private var mask = 31

    @inline(__always) private static func hash(_ s: ByteSet) -> Int {
        var h = s.words.0 &* 0x9E37_79B9_7F4A_7C15
        h ^= s.words.1 &* 0xC2B2_AE3D_27D4_EB4F
        h ^= s.words.2 &* 0x1656_67B1_9E37_79F9
        h ^= s.words.3 &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }

    /// Numbers of the one-byte sets by their byte (-1: not inserted yet): most sets of a
    /// grammar are one byte of a literal, found here without hashing.
    private var single = [Int32](repeating: -1, count: 256)

    /// The byte of a one-byte set, or nil.
    @inline(__always) private static func onlyByte(_ s: ByteSet) -> UInt8? {
        let w = s.words
        let count = w.0.nonzeroBitCount + w.1.nonzeroBitCount + w.2.nonzeroBitCount + w.3.nonzeroBitCount
        guard count == 1 else { return nil }
        if w.0 != 0 { return UInt8(w.0.trailingZeroBitCount) }
        if w.1 != 0 { return UInt8(64 + w.1.trailingZeroBitCount) }
        if w.2 != 0 { return UInt8(128 + w.2.trailingZeroBitCount) }
        return UInt8(192 + w.3.trailingZeroBitCount)
    }

    /// The number of `s`, adding it when new.
    @discardableResult
    mutating func insert(_ s: ByteSet) -> Int {
        if let b = Self.onlyByte(s) {
            if single[Int(b)] >= 0 { return Int(single[Int(b)]) }
            let n = insertHashed(s)
            single[Int(b)] = Int32(n)
            return n
        }
        return insertHashed(s)
    }

    private mutating func insertHashed(_ s: ByteSet) -> Int {
        var i = Self.hash(s) & mask
        while true {
            let k = slots[i]
            if k < 0 { break }
            if sets[Int(k)] == s { return Int(k) }
            i = (i + 1) & mask
        }
        let n = sets.count
        sets.append(s)
        slots[i] = Int32(n)
        if sets.count * 2 > slots.count { grow() }
        return n
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (n, s) in sets.enumerated() {
            var i = Self.hash(s) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(n)
        }
    }
}
