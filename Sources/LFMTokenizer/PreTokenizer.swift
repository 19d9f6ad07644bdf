/// The LFM2 pre-tokenizer: a `Split` on the Llama-3 pattern with `Isolated` behaviour,
/// hand-compiled so no regex engine runs in the hot path.
///
/// Pattern (tokenizer.json):
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
///
/// Every scalar belongs to exactly one of letter / number / whitespace / other, so the
/// alternatives cover the whole input and `Isolated` produces no gap pieces. Alternatives
/// are tried in order at each position (leftmost-first, as Oniguruma does), with the
/// backtracking of each alternative worked out by hand below.
struct PreTokenizer: Sendable {
    /// The exact pattern string this pre-tokenizer implements; tokenizer.json must carry it.
    static let pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Character classes the pattern distinguishes.
    enum CharClass: UInt8 {
        case letter, number, newline, space, whitespace, apostrophe, other
        var isWhitespace: Bool { self == .newline || self == .space || self == .whitespace }
        /// `[^\s\p{L}\p{N}]`
        var isSymbol: Bool { self == .other || self == .apostrophe }
    }

    /// Classifies one scalar (`\p{L}`, `\p{N}`, `\s` = Unicode White_Space).
    @inline(__always)
    static func classify(_ v: UInt32) -> CharClass {
        if v < 0x80 {
            return asciiClasses[Int(v)]
        }
        guard let s = Unicode.Scalar(v) else { return .other }
        let p = s.properties
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return p.isWhitespace ? .whitespace : .other
        }
    }

    private static let asciiClasses: [CharClass] = (0..<128).map { i -> CharClass in
        let c = UInt8(i)
        switch c {
        case UInt8(ascii: "\r"), UInt8(ascii: "\n"): return .newline
        case UInt8(ascii: " "): return .space
        case 0x09, 0x0B, 0x0C: return .whitespace
        case UInt8(ascii: "'"): return .apostrophe
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return .letter
        default: return .other
        }
    }

    /// Splits UTF-8 `bytes` into pieces, calling `body` with the byte range of each piece.
    func split(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        // Decode scalars once: class and starting byte offset of each.
        var classes: [CharClass] = []
        var lower: [UInt8] = []       // ASCII lower-cased byte, 0 for non-ASCII (contractions)
        var starts: [Int] = []
        classes.reserveCapacity(bytes.count)
        starts.reserveCapacity(bytes.count + 1)
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            var v: UInt32
            var len: Int
            if b0 < 0x80 { v = UInt32(b0); len = 1 }
            else if b0 < 0xE0 { v = UInt32(b0 & 0x1F); len = 2 }
            else if b0 < 0xF0 { v = UInt32(b0 & 0x0F); len = 3 }
            else { v = UInt32(b0 & 0x07); len = 4 }
            if i + len > n { len = n - i }
            for k in 1..<max(len, 1) { v = (v << 6) | UInt32(bytes[i + k] & 0x3F) }
            starts.append(i)
            classes.append(PreTokenizer.classify(v))
            lower.append(b0 < 0x80 ? (b0 | (b0 >= 65 && b0 <= 90 ? 0x20 : 0)) : 0)
            i += len
        }
        starts.append(n)
        let count = classes.count
        var pos = 0
        while pos < count {
            let end = matchLength(at: pos, classes, lower, count)
            body(starts[pos]..<starts[pos + end])
            pos += end
        }
    }

    /// Length in scalars of the match at `p` (always ≥ 1).
    private func matchLength(at p: Int, _ c: [CharClass], _ lower: [UInt8], _ n: Int) -> Int {
        // 1. (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if c[p] == .apostrophe, p + 1 < n {
            let a = lower[p + 1]
            if a == UInt8(ascii: "s") || a == UInt8(ascii: "t") || a == UInt8(ascii: "m") || a == UInt8(ascii: "d") {
                return 2
            }
            if p + 2 < n {
                let b = lower[p + 2]
                if (a == UInt8(ascii: "r") && b == UInt8(ascii: "e")) || (a == UInt8(ascii: "v") && b == UInt8(ascii: "e"))
                    || (a == UInt8(ascii: "l") && b == UInt8(ascii: "l")) {
                    return 3
                }
            }
        }
        // 2. [^\r\n\p{L}\p{N}]?\p{L}+
        var q = p
        if c[q] != .letter && c[q] != .number && c[q] != .newline && q + 1 < n && c[q + 1] == .letter { q += 1 }
        if c[q] == .letter {
            var e = q + 1
            while e < n && c[e] == .letter { e += 1 }
            return e - p
        }
        // 3. \p{N}{1,3}
        if c[p] == .number {
            var e = p + 1
            while e < n && e - p < 3 && c[e] == .number { e += 1 }
            return e - p
        }
        // 4. ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        q = p
        if c[q] == .space && q + 1 < n && c[q + 1].isSymbol { q += 1 }
        if c[q].isSymbol {
            var e = q + 1
            while e < n && c[e].isSymbol { e += 1 }
            while e < n && c[e] == .newline { e += 1 }
            return e - p
        }
        // Whitespace alternatives: the run [p, runEnd).
        var runEnd = p
        var lastNewline = -1
        while runEnd < n && c[runEnd].isWhitespace {
            if c[runEnd] == .newline { lastNewline = runEnd }
            runEnd += 1
        }
        // 5. \s*[\r\n]+  — greedy \s* backs off to the last newline of the run.
        if lastNewline >= 0 { return lastNewline + 1 - p }
        // 6. \s+(?!\S)  — the whole run at end of input, else the run minus its last scalar.
        if runEnd == n { return runEnd - p }
        if runEnd - p >= 2 { return runEnd - 1 - p }
        // 7. \s+
        return max(runEnd - p, 1)
    }
}
