/// Python `str` operations on Swift strings, counting in Unicode code points like Python.
enum PythonString {
    /// Python's `str.isspace()` for one character.
    static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x1F, 0x20, 0x85, 0xA0: return true
        default: return c.value > 0x7F && c.properties.isWhitespace
        }
    }

    /// `s.strip(chars)` / `lstrip` / `rstrip`; nil chars means whitespace.
    static func strip(_ s: String, _ chars: String?, leading: Bool = true, trailing: Bool = true) -> String {
        let set = chars.map { Set($0.unicodeScalars) }
        let strip: (Unicode.Scalar) -> Bool = { c in set.map { $0.contains(c) } ?? isSpace(c) }
        let scalars = s.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        if leading { while start < end, strip(scalars[start]) { start = scalars.index(after: start) } }
        if trailing {
            while end > start {
                let before = scalars.index(before: end)
                if strip(scalars[before]) { end = before } else { break }
            }
        }
        return String(scalars[start..<end])
    }

    /// `s.split(sep, maxsplit)` (and `rsplit` when `fromRight`).
    static func split(_ s: String, _ sep: String?, maxSplit: Int = -1, fromRight: Bool = false) -> [String] {
        guard let sep else {
            // Whitespace split: runs of whitespace, no empty strings.
            var words: [String] = []
            var current = String.UnicodeScalarView()
            var scalars = Array(s.unicodeScalars)
            if fromRight { scalars.reverse() }
            var i = 0
            while i < scalars.count {
                if isSpace(scalars[i]) {
                    if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
                    i += 1
                    continue
                }
                if maxSplit >= 0 && words.count == maxSplit {
                    var rest = scalars[i...].map { $0 }
                    while let last = rest.last, isSpace(last) { rest.removeLast() }
                    current.append(contentsOf: rest)
                    break
                }
                current.append(scalars[i])
                i += 1
            }
            if !current.isEmpty { words.append(String(current)) }
            if fromRight { return words.reversed().map { String(String.UnicodeScalarView($0.unicodeScalars.reversed())) } }
            return words
        }
        if fromRight {
            let rev = split(String(String.UnicodeScalarView(s.unicodeScalars.reversed())), String(String.UnicodeScalarView(sep.unicodeScalars.reversed())), maxSplit: maxSplit)
            return rev.reversed().map { String(String.UnicodeScalarView($0.unicodeScalars.reversed())) }
        }
        var parts: [String] = []
        var rest = Substring(s)
        while maxSplit < 0 || parts.count < maxSplit, let range = rest.pyFind(sep) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }

    /// `s.splitlines()` with Python's line boundaries.
    static func splitLines(_ s: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            switch c.value {
            case 0x0A, 0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029, 0x0D:
                lines.append(String(current))
                current = String.UnicodeScalarView()
                if c.value == 0x0D, i + 1 < scalars.count, scalars[i + 1].value == 0x0A { i += 1 }
            default:
                current.append(c)
            }
            i += 1
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    /// Python `str.title()`: uppercase letters that follow an uncased character, lowercase others.
    static func title(_ s: String) -> String {
        var out = ""
        var previousCased = false
        for c in s.unicodeScalars {
            let cased = c.properties.isCased
            if cased {
                out += previousCased ? String(c).lowercased() : String(c).uppercased()
            } else {
                out.unicodeScalars.append(c)
            }
            previousCased = cased
        }
        return out
    }

    /// Python `str.capitalize()`: first character uppercased, the rest lowercased.
    static func capitalize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first else { return s }
        return String(first).uppercased() + String(s.unicodeScalars.dropFirst()).lowercased()
    }

    /// Python `str.replace(old, new, count)`.
    static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1) -> String {
        if old.isEmpty {
            var out = ""
            var n = 0
            for c in s.unicodeScalars {
                if count < 0 || n < count { out += new; n += 1 }
                out.unicodeScalars.append(c)
            }
            if count < 0 || n < count { out += new }
            return out
        }
        if count < 0 { return s.pyReplacing(old, with: new) }
        var out = ""
        var rest = Substring(s)
        var n = 0
        while n < count, let r = rest.pyFind(old) {
            out += rest[..<r.lowerBound]
            out += new
            rest = rest[r.upperBound...]
            n += 1
        }
        out += rest
        return out
    }
}

extension StringProtocol {
    /// Literal (code-unit exact) substring search, avoiding Foundation's locale-aware matching.
    func pyFind(_ needle: String) -> Range<Index>? {
        let hay = self.unicodeScalars
        let pat = Array(needle.unicodeScalars)
        guard let first = pat.first else { return startIndex..<startIndex }
        var i = hay.startIndex
        while i < hay.endIndex {
            if hay[i] == first {
                var j = i
                var k = 0
                while k < pat.count, j < hay.endIndex, hay[j] == pat[k] {
                    j = hay.index(after: j)
                    k += 1
                }
                if k == pat.count { return i..<j }
            }
            i = hay.index(after: i)
        }
        return nil
    }

    /// Replaces every literal occurrence of `old` with `new`.
    func pyReplacing(_ old: String, with new: String) -> String {
        var out = ""
        var rest = self[...]
        while let r = rest.pyFind(old) {
            out += rest[..<r.lowerBound]
            out += new
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}
