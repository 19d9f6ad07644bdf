/// Parses the ECMAScript regular-expression subset: alternation, groups (capturing,
/// `(?:…)`, named), `* + ? {n} {n,} {n,m}` (lazy forms read as greedy), classes with ranges,
/// negation and escapes (`\d \w \s \D \W \S`, `\xHH`, `\uHHHH`, `\u{…}`, control escapes),
/// `.`, `^`/`$` at the ends, and lookaheads `(?=…)` / `(?!…)` in the top-level sequence (built
/// as automaton intersections), and `\b` / `\B` in the top-level sequence. Lookbehind and
/// backreferences are refused with an error.
struct RegexParser {
    let chars: [Unicode.Scalar]
    var pos = 0
    let source: String

    init(_ pattern: String) {
        chars = Array(pattern.unicodeScalars)
        source = pattern
    }

    static let digit = UnicodeClass([0x30...0x39])
    static let word = UnicodeClass([0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A])
    static let space = UnicodeClass([0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
                                     0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF])
    static let dot = UnicodeClass([0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029]).complement

    func fail(_ what: String) -> GrammarError { GrammarError("regex /\(source)/: \(what) at offset \(pos)") }

    mutating func parse() throws(GrammarError) -> RegexNode {
        let n = try parseAlt()
        if pos < chars.count { throw fail(chars[pos] == ")" ? "unbalanced )" : "unexpected '\(chars[pos])'") }
        return n
    }

    mutating func parseAlt() throws(GrammarError) -> RegexNode {
        var branches = [try parseSeq()]
        while pos < chars.count && chars[pos] == "|" { pos += 1; branches.append(try parseSeq()) }
        return branches.count == 1 ? branches[0] : .alt(branches)
    }

    mutating func parseSeq() throws(GrammarError) -> RegexNode {
        var items: [RegexNode] = []
        while pos < chars.count && chars[pos] != "|" && chars[pos] != ")" {
            var atom = try parseAtom()
            while pos < chars.count {
                let c = chars[pos]
                var lo = 0, hi: Int? = nil
                if c == "*" { pos += 1 } else if c == "+" { lo = 1; pos += 1 } else if c == "?" { hi = 1; pos += 1 }
                else if c == "{", let (a, b) = try parseBraces() { lo = a; hi = b }
                else { break }
                if case .start = atom { throw fail("quantifier after ^") }
                if case .end = atom { throw fail("quantifier after $") }
                if case .lookahead = atom { throw fail("quantifier after a lookahead") }
                if case .wordBoundary = atom { throw fail("quantifier after \\b") }
                if pos < chars.count && chars[pos] == "?" { pos += 1 }
                if let h = hi, h < lo { throw fail("bad repetition {\(lo),\(h)}") }
                if lo > 10_000 || (hi ?? 0) > 10_000 { throw fail("repetition count above 10000") }
                atom = .rep(atom, min: lo, max: hi)
            }
            items.append(atom)
        }
        return items.count == 1 ? items[0] : .seq(items)
    }

    /// `{n}`, `{n,}`, `{n,m}`; nil (and no input consumed) when the brace is a literal.
    mutating func parseBraces() throws(GrammarError) -> (Int, Int?)? {
        var p = pos + 1
        func number(_ p: inout Int) -> Int? {
            var v = 0, any = false
            while p < chars.count, let d = chars[p].properties.numericType != nil ? Int(String(chars[p])) : nil, chars[p].isASCII {
                v = min(v * 10 + d, 1_000_000); any = true; p += 1
            }
            return any ? v : nil
        }
        guard let a = number(&p) else { return nil }
        var b: Int? = a
        if p < chars.count && chars[p] == "," {
            p += 1
            b = number(&p)
        }
        guard p < chars.count && chars[p] == "}" else { return nil }
        pos = p + 1
        return (a, b)
    }

    mutating func parseAtom() throws(GrammarError) -> RegexNode {
        let c = chars[pos]
        pos += 1
        switch c {
        case "(":
            if pos < chars.count && chars[pos] == "?" {
                if pos + 1 < chars.count && chars[pos + 1] == ":" { pos += 2 }
                else if pos + 1 < chars.count && (chars[pos + 1] == "=" || chars[pos + 1] == "!") {
                    let negative = chars[pos + 1] == "!"
                    pos += 2
                    let inner = try parseAlt()
                    guard pos < chars.count && chars[pos] == ")" else { throw fail("missing )") }
                    pos += 1
                    return .lookahead(inner, negative: negative)
                } else if pos + 1 < chars.count && chars[pos + 1] == "<" && pos + 2 < chars.count && chars[pos + 2] != "=" && chars[pos + 2] != "!" {
                    while pos < chars.count && chars[pos] != ">" { pos += 1 }
                    pos += 1
                } else { throw fail("lookbehind groups are not supported") }
            }
            let inner = try parseAlt()
            guard pos < chars.count && chars[pos] == ")" else { throw fail("missing )") }
            pos += 1
            return inner
        case ")": throw fail("unbalanced )")
        case "[": return .chars(try parseClass())
        case ".": return .chars(Self.dot)
        case "^": return .start
        case "$": return .end
        case "*", "+", "?": throw fail("nothing to repeat")
        case "\\":
            if pos < chars.count && (chars[pos] == "b" || chars[pos] == "B") {
                pos += 1
                return .wordBoundary(negated: chars[pos - 1] == "B")
            }
            return .chars(try parseEscape(inClass: false))
        default: return .chars(UnicodeClass(scalar: c.value))
        }
    }

    mutating func parseClass() throws(GrammarError) -> UnicodeClass {
        var negate = false
        if pos < chars.count && chars[pos] == "^" { negate = true; pos += 1 }
        var set = UnicodeClass([])
        var first = true
        while true {
            guard pos < chars.count else { throw fail("missing ]") }
            var c = chars[pos]
            if c == "]" && !first { pos += 1; break }
            if c == "]" && first { pos += 1; break }  // [] matches nothing, [^] anything
            first = false
            pos += 1
            var lo: UnicodeClass
            if c == "\\" { lo = try parseEscape(inClass: true) } else { lo = UnicodeClass(scalar: c.value) }
            if pos + 1 < chars.count && chars[pos] == "-" && chars[pos + 1] != "]", lo.ranges.count == 1, lo.count == 1 {
                pos += 1
                c = chars[pos]; pos += 1
                let hi: UnicodeClass = c == "\\" ? try parseEscape(inClass: true) : UnicodeClass(scalar: c.value)
                guard hi.count == 1, hi.ranges[0].lowerBound >= lo.ranges[0].lowerBound else { throw fail("bad class range") }
                lo = UnicodeClass([lo.ranges[0].lowerBound...hi.ranges[0].lowerBound])
            }
            set = set.union(lo)
        }
        return negate ? set.complement : set
    }

    mutating func hex(_ n: Int) throws(GrammarError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<n {
            guard pos < chars.count, let d = chars[pos].properties.isASCIIHexDigit ? UInt32(String(chars[pos]), radix: 16) : nil else { throw fail("bad hex escape") }
            v = v * 16 + d; pos += 1
        }
        return v
    }

    mutating func parseEscape(inClass: Bool) throws(GrammarError) -> UnicodeClass {
        guard pos < chars.count else { throw fail("trailing backslash") }
        let c = chars[pos]
        pos += 1
        switch c {
        case "d": return Self.digit
        case "D": return Self.digit.complement
        case "w": return Self.word
        case "W": return Self.word.complement
        case "s": return Self.space
        case "S": return Self.space.complement
        case "n": return UnicodeClass(scalar: 0x0A)
        case "r": return UnicodeClass(scalar: 0x0D)
        case "t": return UnicodeClass(scalar: 0x09)
        case "f": return UnicodeClass(scalar: 0x0C)
        case "v": return UnicodeClass(scalar: 0x0B)
        case "0": return UnicodeClass(scalar: 0)
        case "b": return UnicodeClass(scalar: 0x08)   // backspace (only reached inside a class)
        case "B": throw fail("\\B inside a class is not supported")
        case "x": return UnicodeClass(scalar: try hex(2))
        case "u":
            if pos < chars.count && chars[pos] == "{" {
                pos += 1
                var v: UInt32 = 0
                while pos < chars.count && chars[pos] != "}" { v = v * 16 + (try hex(1)); if v > 0x10FFFF { throw fail("bad \\u{}") } }
                pos += 1
                return UnicodeClass(scalar: v)
            }
            return UnicodeClass(scalar: try hex(4))
        case "p", "P": throw fail("Unicode property escapes \\p are not supported")
        case "c": throw fail("control escapes \\c are not supported")
        default:
            if c.properties.numericType != nil && c.isASCII { throw fail("backreferences are not supported") }
            return UnicodeClass(scalar: c.value)
        }
    }
}
