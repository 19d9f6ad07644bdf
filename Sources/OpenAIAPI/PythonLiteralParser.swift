import OrderedJSON

/// Why ``PythonLiteralParser`` stopped.
enum LiteralParseFailure: Error, Sendable {
    /// The input ended before the construct was complete; more text could still make it valid.
    case needMore
    /// The input can never become a valid construct, whatever follows.
    case invalid
}

/// A parsed function call before an id and index are assigned.
struct ParsedCall: Sendable, Hashable {
    var name: String
    var arguments: JSONObject
}

/// Recursive-descent parser for one LFM2 tool call: pythonic `name(key=literal, …)` or a JSON
/// object `{"name": …, "arguments"|"parameters": {…}}`, over `text[pos..<end]`.
///
/// Streaming contract: every decision is made from scalars before `end`. Whenever the parser
/// needs a scalar at or past `end` it throws ``LiteralParseFailure/needMore``, so parsing a
/// prefix either gives the same answer as parsing the whole text or asks for more input.
///
/// Accepted Python literals: strings in `'…'`, `"…"`, `'''…'''`, `"""…"""` with optional `r`/`u`
/// prefixes, escapes (`\n \t \r \b \f \v \a \0 \ooo \xHH \uXXXX \UXXXXXXXX`, `\/`, line
/// continuation; unknown escapes keep the backslash as Python does), raw newlines inside
/// strings, adjacent-string concatenation; integers (decimal with `_`, `0x`/`0o`/`0b`), floats;
/// `True False None` and `true false null`; lists, tuples (→ arrays), dicts (keys converted to
/// strings like `json.dumps`), sets (→ arrays); unary `+`/`-` on numbers; trailing commas.
/// Rejected: positional arguments, bare names other than the constants, expressions, calls as
/// values, `inf`/`nan`, complex and bytes literals, numbers overflowing `Double`.
struct PythonLiteralParser {
    /// Deepest nesting of containers accepted (keeps recursion bounded on hostile input).
    static let maxDepth = 128

    let text: [Unicode.Scalar]
    let end: Int
    var pos: Int
    private var depth = 0

    init(text: [Unicode.Scalar], start: Int, end: Int) {
        self.text = text
        self.pos = start
        self.end = end
    }

    // MARK: Scalars

    private func peek() throws(LiteralParseFailure) -> Unicode.Scalar {
        guard pos < end else { throw .needMore }
        return text[pos]
    }

    private func peek(at offset: Int) throws(LiteralParseFailure) -> Unicode.Scalar {
        guard pos + offset < end else { throw .needMore }
        return text[pos + offset]
    }

    private mutating func next() throws(LiteralParseFailure) -> Unicode.Scalar {
        let s = try peek()
        pos += 1
        return s
    }

    private mutating func skipWhitespace() {
        while pos < end, ScalarText.isWhitespace(text[pos]) { pos += 1 }
    }

    private mutating func expect(_ s: Unicode.Scalar) throws(LiteralParseFailure) {
        guard try next() == s else { throw .invalid }
    }

    static func isIdentifierStart(_ s: Unicode.Scalar) -> Bool {
        s == "_" || (s.isASCII ? (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") : s.properties.isXIDStart)
    }

    static func isIdentifierContinue(_ s: Unicode.Scalar) -> Bool {
        isIdentifierStart(s) || (s >= "0" && s <= "9") || (!s.isASCII && s.properties.isXIDContinue)
    }

    /// Function names: identifier characters plus `.`, `-` (e.g. `weather.get`, `get-time`).
    static func isFunctionNameScalar(_ s: Unicode.Scalar) -> Bool {
        isIdentifierContinue(s) || s == "." || s == "-"
    }

    // MARK: Calls

    /// Parses one call starting at `pos` (no leading whitespace skipped by the caller needed).
    mutating func parseCall() throws(LiteralParseFailure) -> ParsedCall {
        skipWhitespace()
        if try peek() == "{" {
            return try parseJSONStyleCall()
        }
        let nameStart = pos
        while Self.isFunctionNameScalar(try peek()) { pos += 1 }
        guard pos > nameStart else { throw .invalid }
        let name = ScalarText.string(text[nameStart..<pos])
        skipWhitespace()
        try expect("(")
        var arguments = JSONObject()
        while true {
            skipWhitespace()
            if try peek() == ")" {
                pos += 1
                return ParsedCall(name: name, arguments: arguments)
            }
            // Keyword: a Python identifier (dashes tolerated). A quote, digit, bracket… here
            // means a positional argument, which is rejected (no parameter name to map it to).
            let keyStart = pos
            guard Self.isIdentifierStart(try peek()) else { throw .invalid }
            while true {
                let s = try peek()
                guard Self.isIdentifierContinue(s) || s == "-" else { break }
                pos += 1
            }
            let key = ScalarText.string(text[keyStart..<pos])
            skipWhitespace()
            guard try next() == "=" else { throw .invalid }
            if try peek() == "=" { throw .invalid } // `==` is a comparison, not a keyword
            skipWhitespace()
            let value = try parseValue()
            arguments[key] = value // a repeated keyword: last value wins, first position kept
            skipWhitespace()
            switch try next() {
            case ",": continue
            case ")": return ParsedCall(name: name, arguments: arguments)
            default: throw .invalid
            }
        }
    }

    /// `{"name": "f", "arguments": {...}}`, also with `"parameters"`, with arguments given as a
    /// JSON string, or in OpenAI's `{"type": "function", "function": {...}}` wrapping.
    private mutating func parseJSONStyleCall() throws(LiteralParseFailure) -> ParsedCall {
        guard case .object(var object) = try parseValue() else { throw .invalid }
        if case .object(let inner)? = object["function"], inner["name"] != nil {
            object = inner
        }
        guard case .string(let name)? = object["name"], !name.isEmpty else { throw .invalid }
        switch object["arguments"] ?? object["parameters"] ?? .null {
        case .null:
            return ParsedCall(name: name, arguments: JSONObject())
        case .object(let arguments):
            return ParsedCall(name: name, arguments: arguments)
        case .string(let json):
            if json.allSatisfy(\.isWhitespace) { return ParsedCall(name: name, arguments: JSONObject()) }
            guard case .object(let arguments)? = try? JSONValue.parse(json) else { throw .invalid }
            return ParsedCall(name: name, arguments: arguments)
        default:
            throw .invalid
        }
    }

    // MARK: Values

    mutating func parseValue() throws(LiteralParseFailure) -> JSONValue {
        let s = try peek()
        switch s {
        case "'", "\"":
            return .string(try parseStrings(raw: false))
        case "[":
            return .array(try parseSequence(close: "]"))
        case "(":
            return try parseTupleOrGroup()
        case "{":
            return try parseDictOrSet()
        case "-", "+", ".", "0"..."9":
            return try parseNumber()
        default:
            guard Self.isIdentifierStart(s) else { throw .invalid }
            let start = pos
            while Self.isIdentifierContinue(try peek()) { pos += 1 }
            let word = ScalarText.string(text[start..<pos])
            let following = try peek()
            if following == "'" || following == "\"" {
                switch word {
                case "r", "R": return .string(try parseStrings(raw: true))
                case "u", "U": return .string(try parseStrings(raw: false))
                default: throw .invalid // b'', f'' and other prefixes are not JSON-representable
                }
            }
            switch word {
            case "True", "true": return .bool(true)
            case "False", "false": return .bool(false)
            case "None", "null": return .null
            default: throw .invalid
            }
        }
    }

    private mutating func enter() throws(LiteralParseFailure) {
        depth += 1
        if depth > Self.maxDepth { throw .invalid }
    }

    /// `[a, b,]` after the opening bracket is at `pos`.
    private mutating func parseSequence(close: Unicode.Scalar) throws(LiteralParseFailure) -> [JSONValue] {
        try enter()
        defer { depth -= 1 }
        pos += 1
        var elements: [JSONValue] = []
        while true {
            skipWhitespace()
            if try peek() == close {
                pos += 1
                return elements
            }
            elements.append(try parseValue())
            skipWhitespace()
            let s = try next()
            if s == close { return elements }
            guard s == "," else { throw .invalid }
        }
    }

    /// `(a, b)` and `(a,)` are tuples (arrays); `(a)` is just `a`; `()` is an empty tuple.
    private mutating func parseTupleOrGroup() throws(LiteralParseFailure) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        pos += 1
        skipWhitespace()
        if try peek() == ")" {
            pos += 1
            return .array([])
        }
        let first = try parseValue()
        skipWhitespace()
        let s = try next()
        if s == ")" { return first }
        guard s == "," else { throw .invalid }
        var elements = [first]
        while true {
            skipWhitespace()
            if try peek() == ")" {
                pos += 1
                return .array(elements)
            }
            elements.append(try parseValue())
            skipWhitespace()
            let s = try next()
            if s == ")" { return .array(elements) }
            guard s == "," else { throw .invalid }
        }
    }

    /// `{k: v, …}` (keys become strings like `json.dumps` does) or a set `{a, b}` (an array).
    private mutating func parseDictOrSet() throws(LiteralParseFailure) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        pos += 1
        skipWhitespace()
        if try peek() == "}" {
            pos += 1
            return .object(JSONObject())
        }
        let firstKey = try parseValue()
        skipWhitespace()
        if try peek() != ":" {
            // A set literal.
            var elements = [firstKey]
            while true {
                skipWhitespace()
                let s = try next()
                if s == "}" { return .array(elements) }
                guard s == "," else { throw .invalid }
                skipWhitespace()
                if try peek() == "}" {
                    pos += 1
                    return .array(elements)
                }
                elements.append(try parseValue())
            }
        }
        var object = JSONObject()
        var key = firstKey
        while true {
            skipWhitespace()
            try expect(":")
            skipWhitespace()
            let value = try parseValue()
            object[try Self.keyString(key)] = value
            skipWhitespace()
            let s = try next()
            if s == "}" { return .object(object) }
            guard s == "," else { throw .invalid }
            skipWhitespace()
            if try peek() == "}" {
                pos += 1
                return .object(object)
            }
            key = try parseValue()
        }
    }

    /// Dict key conversion as `json.dumps` does it: str as is, numbers in their repr,
    /// `True`/`False`/`None` as `true`/`false`/`null`; unhashable keys are invalid.
    private static func keyString(_ key: JSONValue) throws(LiteralParseFailure) -> String {
        switch key {
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .double: return key.serialized()
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array, .object: throw .invalid
        }
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(LiteralParseFailure) -> JSONValue {
        var negative = false
        while true {
            let s = try peek()
            if s == "-" { negative.toggle(); pos += 1; skipWhitespace() }
            else if s == "+" { pos += 1; skipWhitespace() }
            else { break }
        }
        let first = try peek()
        guard first == "." || (first >= "0" && first <= "9") else { throw .invalid }
        // Radix literals.
        if first == "0", let radix = Self.radix(of: try peek(at: 1)) {
            pos += 2
            var digits = ""
            while true {
                let s = try peek()
                if s == "_" { pos += 1; continue }
                guard let d = Self.hexDigit(s), d < radix else { break }
                digits.unicodeScalars.append(s)
                pos += 1
            }
            guard !digits.isEmpty, !Self.isIdentifierContinue(try peek()) else { throw .invalid }
            if let v = Int64(digits, radix: radix) {
                return .integer(negative ? -v : v)
            }
            throw .invalid // larger than Int64 in a radix literal: not representable faithfully
        }
        var intPart = ""
        var fracPart: String?
        var expPart: String?
        while true {
            let s = try peek()
            if s >= "0" && s <= "9" { intPart.unicodeScalars.append(s); pos += 1 }
            else if s == "_" && !intPart.isEmpty { pos += 1 }
            else { break }
        }
        if try peek() == "." {
            pos += 1
            var frac = ""
            while true {
                let s = try peek()
                if s >= "0" && s <= "9" { frac.unicodeScalars.append(s); pos += 1 }
                else if s == "_" && !frac.isEmpty { pos += 1 }
                else { break }
            }
            fracPart = frac
            guard !(intPart.isEmpty && frac.isEmpty) else { throw .invalid } // a lone "."
        }
        let e = try peek()
        if e == "e" || e == "E" {
            pos += 1
            var exp = ""
            let sign = try peek()
            if sign == "+" || sign == "-" {
                if sign == "-" { exp = "-" }
                pos += 1
            }
            while true {
                let s = try peek()
                guard s >= "0" && s <= "9" else { break }
                exp.unicodeScalars.append(s)
                pos += 1
            }
            guard exp.contains(where: \.isNumber) else { throw .invalid }
            expPart = exp
        }
        // `12abc`, `3j`, `1.5.2`: not a literal.
        let after = try peek()
        guard !Self.isIdentifierContinue(after), after != "." else { throw .invalid }
        if fracPart == nil && expPart == nil {
            if let v = Int64(intPart) { return .integer(negative ? -v : v) }
            if negative, let v = Int64("-" + intPart) { return .integer(v) }
        }
        let frac = fracPart ?? ""
        let literal = (negative ? "-" : "") + (intPart.isEmpty ? "0" : intPart) + "."
            + (frac.isEmpty ? "0" : frac) + (expPart.map { "e" + $0 } ?? "")
        guard let d = Double(literal), d.isFinite else { throw .invalid }
        return .double(d)
    }

    private static func radix(of s: Unicode.Scalar) -> Int? {
        switch s {
        case "x", "X": return 16
        case "o", "O": return 8
        case "b", "B": return 2
        default: return nil
        }
    }

    private static func hexDigit(_ s: Unicode.Scalar) -> Int? {
        switch s {
        case "0"..."9": return Int(s.value - 48)
        case "a"..."f": return Int(s.value - 97 + 10)
        case "A"..."F": return Int(s.value - 65 + 10)
        default: return nil
        }
    }

    // MARK: Strings

    /// One or more adjacent string literals (`'a' "b"` is `'ab'`), the first starting at `pos`.
    private mutating func parseStrings(raw: Bool) throws(LiteralParseFailure) -> String {
        var result = String.UnicodeScalarView()
        try parseString(raw: raw, into: &result)
        while true {
            let save = pos
            skipWhitespace()
            // At the end of the input we cannot tell yet whether another literal follows.
            guard pos < end else { throw .needMore }
            var s = text[pos]
            var nextRaw = false
            if s == "r" || s == "R" || s == "u" || s == "U" {
                let q = try peek(at: 1)
                guard q == "'" || q == "\"" else { pos = save; break }
                nextRaw = s == "r" || s == "R"
                pos += 1
                s = q
            }
            guard s == "'" || s == "\"" else { pos = save; break }
            try parseString(raw: nextRaw, into: &result)
        }
        return String(result)
    }

    private mutating func parseString(raw: Bool, into out: inout String.UnicodeScalarView) throws(LiteralParseFailure) {
        let quote = try next()
        var triple = false
        if try peek() == quote {
            // Either '' (empty) or the start of '''.
            if try peek(at: 1) == quote {
                triple = true
                pos += 2
            } else {
                pos += 1
                return
            }
        }
        while true {
            let s = try next()
            if s == quote {
                if !triple { return }
                if try peek() == quote, try peek(at: 1) == quote {
                    pos += 2
                    return
                }
                out.append(s)
                continue
            }
            if s == "\\" {
                if raw {
                    // Raw strings keep the backslash; it still protects the next quote.
                    let t = try next()
                    out.append(s)
                    out.append(t)
                } else {
                    try parseEscape(into: &out)
                }
                continue
            }
            out.append(s)
        }
    }

    private mutating func parseEscape(into out: inout String.UnicodeScalarView) throws(LiteralParseFailure) {
        let e = try next()
        switch e {
        case "\n": return // line continuation
        case "\r":
            if try peek() == "\n" { pos += 1 }
            return
        case "\\", "'", "\"", "/": out.append(e)
        case "n": out.append("\n")
        case "t": out.append("\t")
        case "r": out.append("\r")
        case "b": out.append("\u{08}")
        case "f": out.append("\u{0C}")
        case "v": out.append("\u{0B}")
        case "a": out.append("\u{07}")
        case "0"..."7":
            var value = Int(e.value - 48)
            var count = 1
            while count < 3 {
                let s = try peek()
                guard s >= "0" && s <= "7" else { break }
                value = value * 8 + Int(s.value - 48)
                pos += 1
                count += 1
            }
            out.append(Unicode.Scalar(UInt32(value)) ?? "\u{FFFD}")
        case "x":
            out.append(Unicode.Scalar(try hexValue(digits: 2)) ?? "\u{FFFD}")
        case "U":
            out.append(Unicode.Scalar(try hexValue(digits: 8)) ?? "\u{FFFD}")
        case "u":
            let unit = try hexValue(digits: 4)
            if (0xD800..<0xDC00).contains(unit) {
                // A JSON-style surrogate pair `\ud83d\ude00`; a lone half becomes U+FFFD.
                if try peek() == "\\", try peek(at: 1) == "u" {
                    let save = pos
                    pos += 2
                    let low = try hexValue(digits: 4)
                    if (0xDC00..<0xE000).contains(low) {
                        let combined = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                        out.append(Unicode.Scalar(combined) ?? "\u{FFFD}")
                        return
                    }
                    pos = save
                }
                out.append("\u{FFFD}")
            } else {
                out.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
            }
        default:
            // Python keeps unknown escapes verbatim, backslash included.
            out.append("\\")
            out.append(e)
        }
    }

    private mutating func hexValue(digits: Int) throws(LiteralParseFailure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let d = Self.hexDigit(try next()) else { throw .invalid }
            value = value &* 16 &+ UInt32(d)
        }
        return value
    }
}
