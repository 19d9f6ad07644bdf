/// Byte-level mutations in the style of libFuzzer's: bit flips, byte insert / delete /
/// duplicate, splices between corpus entries, dictionary tokens, and integer boundary values
/// written over 1-, 2-, 4- or 8-byte little-endian fields (the counts, lengths and offsets of
/// GGUF and safetensors headers).
public struct Mutator: Sendable {
    /// Tokens of the target's format (keywords, markers, field names) inserted or overwritten.
    public var dictionary: [[UInt8]]
    /// Longest input produced.
    public var maxLength: Int

    /// Creates a mutator.
    public init(dictionary: [String], maxLength: Int) {
        self.dictionary = dictionary.map { Array($0.utf8) }
        self.maxLength = max(1, maxLength)
    }

    /// Values at the edges of integer ranges, little-endian, widest first.
    static let boundaries: [UInt64] = [
        0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 33, 64, 127, 128, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000,
        0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 1 << 40, 1 << 62,
        UInt64(Int64.max), UInt64(bitPattern: Int64.min), UInt64.max, UInt64.max - 1, UInt64.max - 31,
    ]

    /// Applies one to four random mutations to `input`; `corpus` supplies splice partners.
    public func mutate(_ input: [UInt8], corpus: [[UInt8]], random: inout FuzzRandom) -> [UInt8] {
        var data = input
        let rounds = 1 + random.below(4)
        for _ in 0..<rounds { mutateOnce(&data, corpus: corpus, random: &random) }
        if data.count > maxLength { data.removeLast(data.count - maxLength) }
        return data
    }

    private func mutateOnce(_ data: inout [UInt8], corpus: [[UInt8]], random: inout FuzzRandom) {
        let position = data.isEmpty ? 0 : random.below(data.count + 1)
        switch random.below(11) {
        case 0 where !data.isEmpty:   // bit flip
            data[min(position, data.count - 1)] ^= UInt8(1) << UInt8(random.below(8))
        case 1 where !data.isEmpty:   // random byte
            data[min(position, data.count - 1)] = UInt8(truncatingIfNeeded: random.next())
        case 2:   // insert bytes
            let n = 1 + random.below(random.oneIn(8) ? 64 : 4)
            data.insert(contentsOf: (0..<n).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: position)
        case 3 where !data.isEmpty:   // delete a range
            let start = min(position, data.count - 1)
            let n = 1 + random.below(min(data.count - start, random.oneIn(8) ? 256 : 8))
            data.removeSubrange(start..<(start + n))
        case 4 where !data.isEmpty:   // duplicate a range
            let start = random.below(data.count)
            let n = 1 + random.below(min(data.count - start, 64))
            let piece = Array(data[start..<(start + n)])
            data.insert(contentsOf: piece, at: position)
        case 5 where !corpus.isEmpty:   // splice: our prefix + another entry's suffix, or insert a piece
            let other = corpus[random.below(corpus.count)]
            guard !other.isEmpty else { return }
            let from = random.below(other.count)
            if random.oneIn(2) {
                data = Array(data.prefix(position)) + other[from...]
            } else {
                let n = 1 + random.below(min(other.count - from, 128))
                data.insert(contentsOf: other[from..<(from + n)], at: position)
            }
        case 6, 7:   // dictionary token: insert or overwrite
            guard !dictionary.isEmpty else { return }
            let token = dictionary[random.below(dictionary.count)]
            if random.oneIn(2) || position + token.count > data.count {
                data.insert(contentsOf: token, at: position)
            } else {
                data.replaceSubrange(position..<(position + token.count), with: token)
            }
        case 8, 9:   // integer boundary value over a 1/2/4/8-byte field
            let width = [1, 2, 4, 8][random.below(4)]
            guard data.count >= width else { return }
            // Prefer aligned fields (header integers are aligned in both formats).
            var at = random.below(data.count - width + 1)
            if random.oneIn(2) { at -= at % width }
            var value = Self.boundaries[random.below(Self.boundaries.count)]
            if random.oneIn(4) { value = value &+ UInt64(bitPattern: Int64(random.below(5) - 2)) }
            for i in 0..<width { data[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        case 10 where !data.isEmpty:   // truncate
            data.removeLast(random.below(data.count) + 1)
        default:
            data.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
        }
    }
}
