/// Byte-level BPE (the `BPE` model of Hugging Face `tokenizers` with no dropout, no unknown
/// token and `ignore_merges = false`): a piece starts as one symbol per byte and the
/// adjacent pair with the lowest merge rank is merged repeatedly (leftmost first on ties)
/// until no adjacent pair has a merge.
struct BPEModel: Sendable {
    /// Token id of each single byte's alphabet symbol (-1 when the vocabulary lacks it).
    let byteTokens: [Int32]
    /// (left id << 32 | right id) → (rank, merged id).
    let merges: [UInt64: Merge]

    struct Merge: Sendable {
        var rank: Int32
        var id: Int32
    }

    /// Builds the model from a vocabulary (alphabet string → id) and ranked merges.
    /// - Throws: `TokenizerError.invalid` naming the merge whose parts or result are not in the vocabulary.
    init(vocab: [String: Int32], merges mergeList: [(String, String)], source: String) throws {
        var bytes = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            bytes[b] = vocab[String(ByteLevel.scalarForByte[b])] ?? -1
        }
        byteTokens = bytes
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(mergeList.count)
        for (rank, (a, b)) in mergeList.enumerated() {
            guard let ia = vocab[a], let ib = vocab[b], let iab = vocab[a + b] else {
                throw TokenizerError.invalid(source, "merge \(rank) \"\(a) \(b)\" refers to a token missing from the vocabulary")
            }
            let key = UInt64(UInt32(bitPattern: ia)) << 32 | UInt64(UInt32(bitPattern: ib))
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), id: iab) }
        }
        merges = table
    }

    @inline(__always)
    private func merge(_ a: Int32, _ b: Int32) -> Merge? {
        merges[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))]
    }

    /// Appends the token ids of one pre-tokenized piece to `out`.
    func encode(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        if piece.count == 1 {
            let t = byteTokens[Int(piece[0])]
            if t >= 0 { out.append(t) }
            return
        }
        var symbols = [Int32]()
        symbols.reserveCapacity(piece.count)
        for b in piece {
            let t = byteTokens[Int(b)]
            if t >= 0 { symbols.append(t) }   // a byte absent from the vocabulary is dropped, as tokenizers does without unk
        }
        if symbols.count > 64 {
            mergeLong(&symbols)
        } else {
            mergeShort(&symbols)
        }
        out.append(contentsOf: symbols)
    }

    /// Quadratic scan; fastest for the short pieces that make up almost all text.
    private func mergeShort(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var bestRank = Int32.max
            var bestPos = -1
            var bestID: Int32 = 0
            for i in 0..<(symbols.count - 1) {
                if let m = merge(symbols[i], symbols[i + 1]), m.rank < bestRank {
                    bestRank = m.rank
                    bestPos = i
                    bestID = m.id
                }
            }
            if bestPos < 0 { return }
            symbols[bestPos] = bestID
            symbols.remove(at: bestPos + 1)
        }
    }

    /// Heap-driven merging over a linked list (n log n), for long pieces such as whitespace
    /// or symbol runs. Same order as `tokenizers`: lowest rank first, then lowest position.
    private func mergeLong(_ symbols: inout [Int32]) {
        let n = symbols.count
        var prev = [Int](0..<n).map { $0 - 1 }
        var next = [Int](1...n)
        var alive = [Bool](repeating: true, count: n)
        var heap = MergeHeap()
        for i in 0..<(n - 1) {
            if let m = merge(symbols[i], symbols[i + 1]) { heap.push(.init(rank: m.rank, pos: i, id: m.id)) }
        }
        while let top = heap.pop() {
            let i = top.pos
            guard alive[i], next[i] < n else { continue }
            let j = next[i]
            guard let m = merge(symbols[i], symbols[j]), m.rank == top.rank, m.id == top.id else { continue }
            symbols[i] = m.id
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { prev[next[j]] = i }
            if prev[i] >= 0, let l = merge(symbols[prev[i]], symbols[i]) {
                heap.push(.init(rank: l.rank, pos: prev[i], id: l.id))
            }
            if next[i] < n, let r = merge(symbols[i], symbols[next[i]]) {
                heap.push(.init(rank: r.rank, pos: i, id: r.id))
            }
        }
        var result: [Int32] = []
        result.reserveCapacity(n)
        var i = 0
        while i < n {
            result.append(symbols[i])
            i = next[i]
        }
        symbols = result
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
private struct MergeHeap {
    struct Entry {
        var rank: Int32
        var pos: Int
        var id: Int32
        func less(_ o: Entry) -> Bool { rank != o.rank ? rank < o.rank : pos < o.pos }
    }

    private var items: [Entry] = []

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[i].less(items[p]) { items.swapAt(i, p); i = p } else { break }
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].less(items[m]) { m = l }
                if r < items.count && items[r].less(items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return first
    }
}
