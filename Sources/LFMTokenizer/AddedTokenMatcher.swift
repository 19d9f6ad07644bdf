/// Finds added tokens (`<|im_end|>`, `python`, …) in raw text the way `tokenizers` does:
/// leftmost-longest matching over a byte trie, before pre-tokenization, optionally
/// absorbing whitespace on the left (`lstrip`) or right (`rstrip`) into the match.
struct AddedTokenMatcher: Sendable {
    /// One added token as declared in tokenizer.json.
    struct Entry: Sendable {
        var content: String
        var id: Int32
        var lstrip: Bool
        var rstrip: Bool
    }

    /// A piece of the input: either plain text to tokenize or a matched added token.
    enum Segment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private var children: [[UInt8: Int32]] = [[:]]
    private var terminal: [Int32] = [-1]
    private var entries: [Entry] = []

    init(_ list: [Entry]) {
        for e in list where !e.content.isEmpty {
            var node = 0
            for b in e.content.utf8 {
                if let c = children[node][b] {
                    node = Int(c)
                } else {
                    children.append([:])
                    terminal.append(-1)
                    children[node][b] = Int32(children.count - 1)
                    node = children.count - 1
                }
            }
            terminal[node] = Int32(entries.count)
            entries.append(e)
        }
    }

    var isEmpty: Bool { entries.isEmpty }

    /// Splits `bytes[range]` into text and token segments.
    func split(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [Segment]) {
        if entries.isEmpty {
            out.append(.text(range))
            return
        }
        var textStart = range.lowerBound
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            guard let first = children[0][bytes[i]] else { i += 1; continue }
            var node = Int(first)
            var j = i + 1
            var best = -1
            var bestEnd = i
            if terminal[node] >= 0 { best = Int(terminal[node]); bestEnd = j }
            while j < end, let c = children[node][bytes[j]] {
                node = Int(c)
                j += 1
                if terminal[node] >= 0 { best = Int(terminal[node]); bestEnd = j }
            }
            guard best >= 0 else { i += 1; continue }
            let e = entries[best]
            var matchStart = i
            var matchEnd = bestEnd
            if e.lstrip {
                while matchStart > textStart && Self.isSpace(bytes[matchStart - 1]) { matchStart -= 1 }
            }
            if e.rstrip {
                while matchEnd < end && Self.isSpace(bytes[matchEnd]) { matchEnd += 1 }
            }
            if matchStart > textStart { out.append(.text(textStart..<matchStart)) }
            out.append(.token(e.id))
            textStart = matchEnd
            i = matchEnd
        }
        if textStart < end { out.append(.text(textStart..<end)) }
    }

    private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C
    }
}
