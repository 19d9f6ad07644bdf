/// Splits Jinja source into tokens, applying whitespace control exactly as Jinja 3.1's lexer does
/// with `trim_blocks=True, lstrip_blocks=True` (the transformers chat-template settings):
///
/// * newlines are normalised to `\n` and one trailing newline of the source is dropped
///   (`keep_trailing_newline=False`);
/// * `{%-`, `{{-`, `{#-` strip all whitespace before the tag; `-%}`, `-}}`, `-#}` after it;
/// * trim_blocks: a single `\n` right after `%}` or `#}` is removed (not after `}}`, not after
///   `{% raw %}`, not with `+%}`);
/// * lstrip_blocks: spaces/tabs between the start of a line and `{%`/`{#` are removed
///   (not before `{{`, not with `{%+`);
/// * inside tags, `%}`/`}}` only end the tag when brackets are balanced.
struct JinjaLexer {
    private let src: [UInt8]
    private var pos = 0
    private var line = 1
    private var tokens: [JinjaToken] = []
    /// Whether the previously consumed tag end ended with a newline (Jinja's `line_starting`).
    private var lineStarting = true
    /// Set by `-%}` style ends: strip all leading whitespace of the next text.
    private var stripNextLeading = false

    init(source: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(source.utf8.count)
        var previousCR = false
        for b in source.utf8 {
            if b == 0x0D {
                bytes.append(0x0A)
                previousCR = true
                continue
            }
            if b == 0x0A && previousCR {
                previousCR = false
                continue
            }
            previousCR = false
            bytes.append(b)
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        src = bytes
    }

    /// Tokenises the whole source.
    static func tokenize(_ source: String) throws(TemplateError) -> [JinjaToken] {
        var lexer = JinjaLexer(source: source)
        try lexer.run()
        return lexer.tokens
    }

    private func error(_ message: String) -> TemplateError {
        TemplateError(.syntax, message, line: line)
    }

    @inline(__always) private func byte(_ i: Int) -> UInt8 { i < src.count ? src[i] : 0 }

    @inline(__always) private static func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == 0x0B || b == 0x0C
    }

    private func hasPrefix(_ s: StaticString, at i: Int) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= src.count else { return false }
        let p = s.utf8Start
        for k in 0..<n where src[i + k] != p[k] { return false }
        return true
    }

    private mutating func emit(_ kind: JinjaToken.Kind) {
        tokens.append(JinjaToken(kind: kind, line: line))
    }

    private mutating func countLines(_ from: Int, _ to: Int) {
        var i = from
        while i < to {
            if src[i] == 0x0A { line += 1 }
            i += 1
        }
    }

    /// Emits text `src[start..<end]` after applying the strip rules for a following tag.
    /// - Parameters:
    ///   - modifier: the byte after the tag opener (`-`, `+` or other).
    ///   - lstripEligible: the tag is a block or comment (lstrip_blocks applies).
    private mutating func emitText(_ start: Int, _ end: Int, modifier: UInt8, lstripEligible: Bool) {
        var s = start
        var e = end
        if stripNextLeading {
            while s < e, Self.isSpace(src[s]) { s += 1 }
            stripNextLeading = false
        }
        if modifier == UInt8(ascii: "-") {
            while e > s, Self.isSpace(src[e - 1]) { e -= 1 }
        } else if modifier != UInt8(ascii: "+") && lstripEligible {
            var lineStart = e
            while lineStart > s, src[lineStart - 1] != 0x0A { lineStart -= 1 }
            if lineStart > s || lineStarting && lineStart < e {
                var allSpace = true
                for k in lineStart..<e where !Self.isSpace(src[k]) { allSpace = false; break }
                if allSpace { e = lineStart }
            }
        }
        if e > s {
            emit(.text(String(decoding: src[s..<e], as: UTF8.self)))
        }
        countLines(start, end)
    }

    private mutating func run() throws(TemplateError) {
        let n = src.count
        while pos < n {
            // Find the next tag opener.
            var j = pos
            var kind: UInt8 = 0
            while j + 1 < n {
                if src[j] == UInt8(ascii: "{") {
                    let k = src[j + 1]
                    if k == UInt8(ascii: "{") || k == UInt8(ascii: "%") || k == UInt8(ascii: "#") {
                        kind = k
                        break
                    }
                }
                j += 1
            }
            if kind == 0 {
                emitText(pos, n, modifier: 0, lstripEligible: false)
                pos = n
                break
            }
            let modifier = byte(j + 2)
            if kind == UInt8(ascii: "%"), let raw = rawBlockEnd(at: j) {
                emitText(pos, j, modifier: modifier, lstripEligible: true)
                pos = raw
                try lexRaw()
                continue
            }
            emitText(pos, j, modifier: modifier, lstripEligible: kind != UInt8(ascii: "{"))
            pos = j + 2
            if modifier == UInt8(ascii: "-") || modifier == UInt8(ascii: "+") { pos += 1 }
            switch kind {
            case UInt8(ascii: "#"): try lexComment()
            case UInt8(ascii: "%"):
                emit(.blockBegin)
                try lexTagBody(isBlock: true)
            default:
                emit(.variableBegin)
                try lexTagBody(isBlock: false)
            }
        }
        emit(.eof)
    }

    /// If a `{% raw %}` tag starts at `i`, returns the offset after it (and sets strip state).
    private mutating func rawBlockEnd(at i: Int) -> Int? {
        var k = i + 2
        if byte(k) == UInt8(ascii: "-") || byte(k) == UInt8(ascii: "+") { k += 1 }
        while k < src.count, Self.isSpace(src[k]) { k += 1 }
        guard hasPrefix("raw", at: k) else { return nil }
        k += 3
        guard k < src.count, Self.isSpace(src[k]) || src[k] == UInt8(ascii: "-") || src[k] == UInt8(ascii: "%") else { return nil }
        while k < src.count, Self.isSpace(src[k]) { k += 1 }
        if hasPrefix("-%}", at: k) {
            k += 3
            while k < src.count, Self.isSpace(src[k]) { k += 1 }
        } else if hasPrefix("%}", at: k) {
            k += 2
        } else {
            return nil
        }
        return k
    }

    /// Lexes the body of a raw block up to and including `{% endraw %}`.
    private mutating func lexRaw() throws(TemplateError) {
        lineStarting = pos > 0 && src[pos - 1] == 0x0A
        var j = pos
        while j + 1 < src.count {
            if src[j] == UInt8(ascii: "{") && src[j + 1] == UInt8(ascii: "%") {
                var k = j + 2
                let modifier = byte(k)
                if modifier == UInt8(ascii: "-") || modifier == UInt8(ascii: "+") { k += 1 }
                while k < src.count, Self.isSpace(src[k]) { k += 1 }
                if hasPrefix("endraw", at: k) {
                    k += 6
                    while k < src.count, Self.isSpace(src[k]) { k += 1 }
                    var end: Int?
                    var after = 0
                    if hasPrefix("-%}", at: k) { end = k + 3; after = 1 }
                    else if hasPrefix("+%}", at: k) { end = k + 3; after = 2 }
                    else if hasPrefix("%}", at: k) { end = k + 2 }
                    if let end {
                        emitText(pos, j, modifier: modifier, lstripEligible: true)
                        pos = end
                        finishBlockEnd(strip: after == 1, keepNewline: after == 2)
                        return
                    }
                }
            }
            j += 1
        }
        throw error("Missing end of raw directive")
    }

    /// Applies what follows a block/comment end: `-` strips, otherwise trim_blocks eats one `\n`.
    private mutating func finishBlockEnd(strip: Bool, keepNewline: Bool) {
        if strip {
            stripNextLeading = true
            var k = pos
            while k < src.count, Self.isSpace(src[k]) { k += 1 }
            lineStarting = k > pos && src[k - 1] == 0x0A
        } else if !keepNewline && pos < src.count && src[pos] == 0x0A {
            pos += 1
            line += 1
            lineStarting = true
        } else {
            lineStarting = false
        }
    }

    private mutating func lexComment() throws(TemplateError) {
        var j = pos
        while j + 1 < src.count {
            if src[j] == UInt8(ascii: "#") && src[j + 1] == UInt8(ascii: "}") {
                let before = j > pos ? src[j - 1] : 0
                countLines(pos, j)
                pos = j + 2
                finishBlockEnd(strip: before == UInt8(ascii: "-"), keepNewline: before == UInt8(ascii: "+"))
                return
            }
            j += 1
        }
        throw error("Missing end of comment tag")
    }

    /// Lexes expression tokens until the matching `%}` / `}}`.
    private mutating func lexTagBody(isBlock: Bool) throws(TemplateError) {
        var balance: [UInt8] = []
        let n = src.count
        while true {
            guard pos < n else { throw error(isBlock ? "unexpected end of template, expected '%}'" : "unexpected end of template, expected '}}'") }
            let c = src[pos]
            if balance.isEmpty {
                if isBlock {
                    if hasPrefix("-%}", at: pos) {
                        emit(.blockEnd); pos += 3; finishBlockEnd(strip: true, keepNewline: false); return
                    }
                    if hasPrefix("+%}", at: pos) {
                        emit(.blockEnd); pos += 3; finishBlockEnd(strip: false, keepNewline: true); return
                    }
                    if hasPrefix("%}", at: pos) {
                        emit(.blockEnd); pos += 2; finishBlockEnd(strip: false, keepNewline: false); return
                    }
                } else {
                    if hasPrefix("-}}", at: pos) {
                        emit(.variableEnd); pos += 3; finishBlockEnd(strip: true, keepNewline: true); return
                    }
                    if hasPrefix("}}", at: pos) {
                        emit(.variableEnd); pos += 2; lineStarting = false; return
                    }
                }
            }
            if Self.isSpace(c) {
                if c == 0x0A { line += 1 }
                pos += 1
                continue
            }
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                try lexNumber()
                continue
            }
            if c == UInt8(ascii: "_") || (c | 0x20 >= UInt8(ascii: "a") && c | 0x20 <= UInt8(ascii: "z")) || c >= 0x80 {
                let start = pos
                while pos < n {
                    let d = src[pos]
                    if d == UInt8(ascii: "_") || (d | 0x20 >= UInt8(ascii: "a") && d | 0x20 <= UInt8(ascii: "z"))
                        || (d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9")) || d >= 0x80 {
                        pos += 1
                    } else { break }
                }
                emit(.name(String(decoding: src[start..<pos], as: UTF8.self)))
                continue
            }
            if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                try lexString(quote: c)
                continue
            }
            try lexOperator(&balance)
        }
    }

    private mutating func lexOperator(_ balance: inout [UInt8]) throws(TemplateError) {
        let c = src[pos]
        let next = byte(pos + 1)
        let twoChar: [(UInt8, UInt8, String)] = [
            (UInt8(ascii: "/"), UInt8(ascii: "/"), "//"), (UInt8(ascii: "*"), UInt8(ascii: "*"), "**"),
            (UInt8(ascii: "="), UInt8(ascii: "="), "=="), (UInt8(ascii: "!"), UInt8(ascii: "="), "!="),
            (UInt8(ascii: ">"), UInt8(ascii: "="), ">="), (UInt8(ascii: "<"), UInt8(ascii: "="), "<="),
        ]
        for (a, b, op) in twoChar where c == a && next == b {
            emit(.op(op))
            pos += 2
            return
        }
        switch c {
        case UInt8(ascii: "("): balance.append(UInt8(ascii: ")"))
        case UInt8(ascii: "["): balance.append(UInt8(ascii: "]"))
        case UInt8(ascii: "{"): balance.append(UInt8(ascii: "}"))
        case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
            guard let expected = balance.popLast() else {
                throw error("unexpected '\(Character(Unicode.Scalar(c)))'")
            }
            if expected != c {
                throw error("unexpected '\(Character(Unicode.Scalar(c)))', expected '\(Character(Unicode.Scalar(expected)))'")
            }
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "*"), UInt8(ascii: "%"),
             UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "<"), UInt8(ascii: "="), UInt8(ascii: "."),
             UInt8(ascii: ":"), UInt8(ascii: "|"), UInt8(ascii: ","), UInt8(ascii: ";"):
            break
        default:
            throw error("unexpected char '\(Character(Unicode.Scalar(c)))' at \(pos)")
        }
        emit(.op(String(Character(Unicode.Scalar(c)))))
        pos += 1
    }

    private mutating func lexNumber() throws(TemplateError) {
        let start = pos
        func digits(_ p: inout Int) {
            while p < src.count, (src[p] >= UInt8(ascii: "0") && src[p] <= UInt8(ascii: "9")) || (src[p] == UInt8(ascii: "_") && p + 1 < src.count && src[p + 1] >= UInt8(ascii: "0") && src[p + 1] <= UInt8(ascii: "9")) { p += 1 }
        }
        var p = pos
        digits(&p)
        var isFloat = false
        if byte(p) == UInt8(ascii: "."), byte(p + 1) >= UInt8(ascii: "0"), byte(p + 1) <= UInt8(ascii: "9") {
            isFloat = true
            p += 1
            digits(&p)
        }
        if byte(p) == UInt8(ascii: "e") || byte(p) == UInt8(ascii: "E") {
            var q = p + 1
            if byte(q) == UInt8(ascii: "+") || byte(q) == UInt8(ascii: "-") { q += 1 }
            if byte(q) >= UInt8(ascii: "0") && byte(q) <= UInt8(ascii: "9") {
                isFloat = true
                digits(&q)
                p = q
            }
        }
        pos = p
        let text = String(decoding: src[start..<p].filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        if isFloat {
            guard let d = Double(text) else { throw error("invalid float literal \(text)") }
            emit(.float(d))
        } else {
            guard let i = Int(text) else { throw error("integer literal \(text) is too large") }
            emit(.integer(i))
        }
    }

    /// Lexes a quoted string, resolving Python escapes (`\n`, `\t`, `\xhh`, `\uXXXX`, …);
    /// unknown escapes keep their backslash, as Python's `unicode-escape` codec does.
    private mutating func lexString(quote: UInt8) throws(TemplateError) {
        let startLine = line
        pos += 1
        var out: [UInt8] = []
        while true {
            guard pos < src.count else { throw TemplateError(.syntax, "unexpected end of string", line: startLine) }
            let c = src[pos]
            if c == quote { pos += 1; break }
            if c == 0x0A { line += 1 }
            if c != UInt8(ascii: "\\") { out.append(c); pos += 1; continue }
            let e = byte(pos + 1)
            pos += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "'"): out.append(0x27)
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case 0x0A: line += 1
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let count = e == UInt8(ascii: "x") ? 2 : (e == UInt8(ascii: "u") ? 4 : 8)
                var value: UInt32 = 0
                for _ in 0..<count {
                    guard let h = Self.hexValue(byte(pos)) else { throw error("truncated \\\(Character(Unicode.Scalar(e))) escape in string") }
                    value = value << 4 | h
                    pos += 1
                }
                let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = UInt32(e - UInt8(ascii: "0"))
                var k = 0
                while k < 2, byte(pos) >= UInt8(ascii: "0"), byte(pos) <= UInt8(ascii: "7") {
                    value = value * 8 + UInt32(byte(pos) - UInt8(ascii: "0"))
                    pos += 1
                    k += 1
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(value) ?? "\u{FFFD}")).utf8))
            default:
                out.append(UInt8(ascii: "\\"))
                pos -= 1
            }
        }
        emit(.string(String(decoding: out, as: UTF8.self)))
    }

    private static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
