/// Parses GBNF, the grammar format of llama.cpp (its documented subset): rules
/// `name ::= …`, alternation `|`, groups `( … )`, `* + ?`, `{m}`, `{m,}`, `{m,n}`, string
/// literals with escapes, character classes `[…]` / `[^…]` with ranges and escapes, `.`
/// (any character), and `#` comments. The start rule is `root`. Errors name the rule and line.
struct GBNFParser {
    let s: [Unicode.Scalar]
    var pos = 0
    var grammar = Grammar()
    var ruleIndex: [String: Int] = [:]
    var defined: Set<String> = []
    var firstUse: [String: (line: Int, rule: String)] = [:]
    var currentRule = ""

    init(_ text: String) { s = Array(text.unicodeScalars) }

    var line: Int { s[0..<min(pos, s.count)].reduce(1) { $0 + ($1 == "\n" ? 1 : 0) } }

    func fail(_ what: String) -> GrammarError {
        GrammarError("grammar line \(line)\(currentRule.isEmpty ? "" : " (rule \(currentRule))"): \(what)")
    }

    mutating func rule(_ name: String) -> Int {
        if let r = ruleIndex[name] { return r }
        let r = grammar.declare(name)
        ruleIndex[name] = r
        return r
    }

    mutating func skipSpace(newlines: Bool) {
        while pos < s.count {
            let c = s[pos]
            if c == "#" { while pos < s.count && s[pos] != "\n" { pos += 1 } }
            else if c == " " || c == "\t" || c == "\r" { pos += 1 }
            else if c == "\n" && newlines { pos += 1 }
            else if c == "\\" && pos + 1 < s.count && s[pos + 1] == "\n" { pos += 2 }
            else { break }
        }
    }

    static func isNameChar(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "-" || c == "_"
    }

    mutating func name() -> String? {
        let start = pos
        while pos < s.count && Self.isNameChar(s[pos]) { pos += 1 }
        return pos > start ? String(String.UnicodeScalarView(s[start..<pos])) : nil
    }

    mutating func parse() throws(GrammarError) -> Grammar {
        skipSpace(newlines: true)
        while pos < s.count {
            guard let n = name() else { throw fail("expected a rule name, found '\(s[pos])'") }
            currentRule = n
            skipSpace(newlines: false)
            guard pos + 2 < s.count, s[pos] == ":", s[pos + 1] == ":", s[pos + 2] == "=" else { throw fail("expected ::= after rule name") }
            pos += 3
            if defined.contains(n) { throw fail("rule \(n) is defined twice") }
            defined.insert(n)
            let r = rule(n)
            let body = try alternatives(nested: false)
            grammar.define(r, body)
            currentRule = ""
            skipSpace(newlines: true)
        }
        for (n, _) in ruleIndex where !defined.contains(n) {
            let u = firstUse[n]!
            throw GrammarError("grammar line \(u.line) (rule \(u.rule)): rule \(n) is used but not defined")
        }
        guard let root = ruleIndex["root"], defined.contains("root") else { throw GrammarError("grammar: no rule named root") }
        grammar.start = root
        return grammar
    }

    mutating func alternatives(nested: Bool) throws(GrammarError) -> GrammarExpr {
        var alts = [try sequence(nested: nested)]
        while pos < s.count && s[pos] == "|" {
            pos += 1
            alts.append(try sequence(nested: nested))
        }
        return alts.count == 1 ? alts[0] : .alt(alts)
    }

    mutating func sequence(nested: Bool) throws(GrammarError) -> GrammarExpr {
        var items: [GrammarExpr] = []
        while true {
            skipSpace(newlines: nested)
            guard pos < s.count else { break }
            let c = s[pos]
            if c == "|" || c == ")" || c == "\n" { break }
            // A new rule starts on this line: `name ::=` (only outside groups).
            let save = pos
            if !nested, let _ = name() {
                skipSpace(newlines: false)
                if pos + 2 < s.count && s[pos] == ":" && s[pos + 1] == ":" && s[pos + 2] == "=" { pos = save; break }
                pos = save
            }
            var atom = try self.atom()
            while pos < s.count {
                let q = s[pos]
                if q == "*" { atom = .star(atom); pos += 1 }
                else if q == "+" { atom = .plus(atom); pos += 1 }
                else if q == "?" { atom = .optional(atom); pos += 1 }
                else if q == "{" {
                    pos += 1
                    skipSpace(newlines: false)
                    guard let lo = number() else { throw fail("expected a number after {") }
                    skipSpace(newlines: false)
                    var hi: Int? = lo
                    if pos < s.count && s[pos] == "," {
                        pos += 1; skipSpace(newlines: false)
                        hi = number()
                        skipSpace(newlines: false)
                    }
                    guard pos < s.count && s[pos] == "}" else { throw fail("expected } to close a repetition") }
                    pos += 1
                    if let h = hi, h < lo { throw fail("repetition {\(lo),\(h)} has max below min") }
                    if lo > 10_000 || (hi ?? 0) > 10_000 { throw fail("repetition count above 10000") }
                    atom = .rep(atom, min: lo, max: hi)
                } else { break }
            }
            items.append(atom)
        }
        return items.count == 1 ? items[0] : .seq(items)
    }

    mutating func number() -> Int? {
        var v = 0, any = false
        while pos < s.count, s[pos] >= "0" && s[pos] <= "9" { v = min(v * 10 + Int(s[pos].value - 48), 1_000_000); pos += 1; any = true }
        return any ? v : nil
    }

    mutating func atom() throws(GrammarError) -> GrammarExpr {
        let c = s[pos]
        switch c {
        case "\"":
            pos += 1
            var items: [GrammarExpr] = []
            while true {
                guard pos < s.count, s[pos] != "\n" else { throw fail("unterminated string literal") }
                if s[pos] == "\"" { pos += 1; break }
                let ch = try char()
                items.append(UnicodeClass(scalar: ch).utf8Expr)
            }
            return items.count == 1 ? items[0] : .seq(items)
        case "[":
            pos += 1
            var negate = false
            if pos < s.count && s[pos] == "^" { negate = true; pos += 1 }
            var cls = UnicodeClass([])
            while true {
                guard pos < s.count, s[pos] != "\n" else { throw fail("unterminated character class") }
                if s[pos] == "]" { pos += 1; break }
                let lo = try char()
                var hi = lo
                if pos + 1 < s.count && s[pos] == "-" && s[pos + 1] != "]" && s[pos + 1] != "\n" {
                    pos += 1
                    hi = try char()
                    if hi < lo { throw fail("character range is reversed") }
                }
                cls = cls.union(UnicodeClass([lo...hi]))
            }
            return (negate ? cls.complement : cls).utf8Expr
        case "(":
            pos += 1
            let inner = try alternatives(nested: true)
            skipSpace(newlines: true)
            guard pos < s.count && s[pos] == ")" else { throw fail("missing ) to close a group") }
            pos += 1
            return inner
        case ".":
            pos += 1
            return UnicodeClass.any.utf8Expr
        default:
            guard let n = name() else { throw fail("unexpected character '\(c)'") }
            if firstUse[n] == nil { firstUse[n] = (line, currentRule) }
            return .ref(rule(n))
        }
    }

    /// One character of a literal or class, with escapes `\n \r \t \\ \" \[ \] \xHH \uHHHH \UHHHHHHHH`.
    mutating func char() throws(GrammarError) -> UInt32 {
        let c = s[pos]
        pos += 1
        guard c == "\\" else { return c.value }
        guard pos < s.count else { throw fail("dangling backslash") }
        let e = s[pos]
        pos += 1
        switch e {
        case "n": return 0x0A
        case "r": return 0x0D
        case "t": return 0x09
        case "x", "u", "U":
            let n = e == "x" ? 2 : e == "u" ? 4 : 8
            var v: UInt32 = 0
            for _ in 0..<n {
                guard pos < s.count, let d = UInt32(String(s[pos]), radix: 16) else { throw fail("bad \\\(e) escape") }
                v = v * 16 + d; pos += 1
            }
            if v > 0x10FFFF { throw fail("escape beyond U+10FFFF") }
            return v
        default: return e.value
        }
    }
}
