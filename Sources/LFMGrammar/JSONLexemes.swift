import OrderedJSON

/// Grammar pieces of JSON text: bounded whitespace, string characters (literal or escaped),
/// literals of given values, integer ranges as digit patterns.
enum JSONLexemes {
    /// Whitespace between tokens: nothing, one space, or one newline (optionally `\r\n`)
    /// followed by up to 32 spaces or 8 tabs of indentation. Bounded, so a model cannot loop on it.
    static let ws: GrammarExpr = .optional(.alt([
        .literal(" "),
        .seq([.alt([.literal("\n"), .literal("\r\n")]), .alt([.rep(.literal(" "), min: 0, max: 24), .rep(.literal("\t"), min: 1, max: 6)])]),
    ]))

    static let hexDigit = GrammarExpr.bytes(ByteSet(bytes: Array("0123456789abcdefABCDEF".utf8)))
    /// Characters that must be escaped in a JSON string.
    static let mustEscape = UnicodeClass([0...0x1F, 0x22...0x22, 0x5C...0x5C])
    static let shortEscapes: [(UInt32, String)] = [(0x22, "\""), (0x5C, "\\"), (0x2F, "/"), (0x08, "b"), (0x0C, "f"), (0x0A, "n"), (0x0D, "r"), (0x09, "t")]

    /// One character of a JSON string whose decoded value is in `cls`: written literally, as
    /// a short escape, or as `\uXXXX` (surrogate pairs for characters beyond the BMP when the
    /// class holds every such character).
    static func char(_ cls: UnicodeClass) -> GrammarExpr {
        if cls.ranges.count == 1, cls.ranges[0].lowerBound == cls.ranges[0].upperBound, cls.ranges[0].lowerBound < 0x80 {
            return asciiChars[Int(cls.ranges[0].lowerBound)]
        }
        return spelled(cls)
    }

    /// ``char(_:)`` computed.
    private static func spelled(_ cls: UnicodeClass) -> GrammarExpr {
        var alts: [GrammarExpr] = []
        let lit = cls.subtracting(mustEscape)
        if !lit.isEmpty { alts.append(lit.utf8Expr) }
        var shorts = ByteSet()
        for (c, e) in shortEscapes where cls.contains(c) { shorts.insert(e.utf8.first!) }
        var escapes: [GrammarExpr] = []
        if !shorts.isEmpty { escapes.append(.bytes(shorts)) }
        if let u = uEscape(cls) { escapes.append(u) }
        if !escapes.isEmpty { alts.append(.seq([.literal("\\"), escapes.count == 1 ? escapes[0] : .alt(escapes)])) }
        return alts.count == 1 ? alts[0] : .alt(alts)
    }

    /// ``char(_:)`` of one scalar; ASCII ones come from a table built once per process (every
    /// property name and string constant spells its characters this way).
    static func char(scalar c: UInt32) -> GrammarExpr {
        c < 0x80 ? asciiChars[Int(c)] : char(UnicodeClass(scalar: c))
    }

    private static let asciiChars: [GrammarExpr] = (0..<0x80).map { spelled(UnicodeClass(scalar: UInt32($0))) }

    /// `u` + hex of the characters of `cls` (after the backslash): BMP scalars, and surrogate
    /// pairs when the class holds every character beyond the BMP; nil when none.
    static func uEscape(_ cls: UnicodeClass) -> GrammarExpr? {
        // \uXXXX for BMP scalars (hex, either case).
        var bmp: [GrammarExpr] = []
        for r in cls.ranges where r.lowerBound <= 0xFFFF {
            let hi = min(r.upperBound, 0xFFFF)
            for piece in [(r.lowerBound, min(hi, 0xD7FF)), (max(r.lowerBound, 0xE000), hi)] where piece.0 <= piece.1 {
                bmp.append(digitRange(UInt64(piece.0), UInt64(piece.1), width: 4, base: 16))
            }
        }
        if cls.intersection(UnicodeClass([0x10000...UnicodeClass.maxScalar])).count == 0x100000 {
            bmp.append(.seq([digitRange(0xD800, 0xDBFF, width: 4, base: 16), .literal("\\u"), digitRange(0xDC00, 0xDFFF, width: 4, base: 16)]))
        }
        return bmp.isEmpty ? nil : .seq([.literal("u"), bmp.count == 1 ? bmp[0] : .alt(bmp)])
    }

    /// `u` + hex of a non-ASCII character (surrogate pairs included).
    static let nonASCIIUEscape = GrammarExpr.seq([.literal("u"), .alt([
        digitRange(0x80, 0xD7FF, width: 4, base: 16), digitRange(0xE000, 0xFFFF, width: 4, base: 16),
        .seq([digitRange(0xD800, 0xDBFF, width: 4, base: 16), .literal("\\u"), digitRange(0xDC00, 0xDFFF, width: 4, base: 16)]),
    ])])
    /// `u` + hex of a control character.
    static let controlUEscape = GrammarExpr.seq([.literal("u"), digitRange(0, 0x1F, width: 4, base: 16)])

    /// Escapes (after the backslash) allowed where no excluded key continues: short escapes,
    /// and `\u` of non-ASCII or control characters.
    static let otherEscape = GrammarExpr.alt([.bytes(ByteSet(bytes: Array("\"\\/bfnrt".utf8))), nonASCIIUEscape, controlUEscape])

    /// Any character of a JSON string.
    static let anyChar = char(.any)
    /// A non-ASCII character, then the rest of a JSON string and its closing quote.
    static let nonASCIIStringRest = GrammarExpr.seq([UnicodeClass.any.subtracting(UnicodeClass([0...0x7F])).utf8Expr, .star(anyChar), .literal("\"")])

    /// A JSON string with any content.
    static let anyString = GrammarExpr.seq([.literal("\""), .star(anyChar), .literal("\"")])

    /// A JSON number.
    static let anyNumber = GrammarExpr.seq([
        .optional(.literal("-")), .alt([.literal("0"), .seq([.byteRange(0x31...0x39), .star(.byteRange(0x30...0x39))])]),
        .optional(.seq([.literal("."), .plus(.byteRange(0x30...0x39))])),
        .optional(.seq([.bytes(ByteSet(bytes: Array("eE".utf8))), .optional(.bytes(ByteSet(bytes: Array("+-".utf8)))), .plus(.byteRange(0x30...0x39))])),
    ])

    /// A declared property name as a JSON string: printable ASCII characters other than `"`, `\`
    /// and `/` are written as themselves only (no `\u` escape: JSON writers do not use one, and
    /// the names of extra members refuse one wherever it could spell a declared name, see
    /// ``stringExcluding(_:tail:escapeTail:nonASCIITail:)``); other characters in every spelling
    /// (``char(scalar:)``).
    static func keyString(_ s: String) -> GrammarExpr {
        var items: [GrammarExpr] = [quote]
        items.reserveCapacity(s.utf8.count + 2)
        for c in s.unicodeScalars { items.append(keyChar(c.value)) }
        items.append(quote)
        return .seq(items)
    }

    /// `"`.
    static let quote = GrammarExpr.byte(0x22)

    /// One character of a property name (see ``keyString(_:)``).
    static func keyChar(_ c: UInt32) -> GrammarExpr {
        if c >= 0x20 && c < 0x7F && c != 0x22 && c != 0x5C && c != 0x2F { return .byte(UInt8(c)) }
        return char(scalar: c)
    }

    /// A string literal spelling exactly `s` (each character literal or escaped).
    static func literalString(_ s: String) -> GrammarExpr {
        .seq([.literal("\"")] + s.unicodeScalars.map { char(scalar: $0.value) } + [.literal("\"")])
    }

    /// A JSON text equal to `v` (numbers compare by value for integral values: `1` and `1.0`).
    /// `canonical`: strings spell printable ASCII as itself only (``keyString(_:)``), as JSON
    /// writers do; otherwise every spelling of every character (needed where the literal is
    /// excluded, so that no spelling of an excluded value gets through).
    static func literal(_ v: JSONValue, pythonic: Bool = false, canonical: Bool = false) -> GrammarExpr {
        switch v {
        case .null: return .literal(pythonic ? "None" : "null")
        case .bool(let b): return .literal(pythonic ? (b ? "True" : "False") : (b ? "true" : "false"))
        case .integer(let i): return integral(i)
        case .double(let d):
            if d == d.rounded(), abs(d) < 9e18 { return integral(Int64(d)) }
            return .literal(v.serialized())
        case .string(let s): return canonical ? keyString(s) : literalString(s)
        case .array(let xs):
            guard !xs.isEmpty else { return .seq([.literal("["), ws, .literal("]")]) }
            var items: [GrammarExpr] = [.literal("["), ws]
            for (i, x) in xs.enumerated() {
                if i > 0 { items += [ws, .literal(","), ws] }
                items.append(literal(x, pythonic: pythonic, canonical: canonical))
            }
            return .seq(items + [ws, .literal("]")])
        case .object(let o):
            guard !o.isEmpty else { return .seq([.literal("{"), ws, .literal("}")]) }
            var items: [GrammarExpr] = [.literal("{"), ws]
            for (i, (k, x)) in o.enumerated() {
                if i > 0 { items += [ws, .literal(","), ws] }
                items += [canonical ? keyString(k) : literalString(k), ws, .literal(":"), ws, literal(x, pythonic: pythonic, canonical: canonical)]
            }
            return .seq(items + [ws, .literal("}")])
        }
    }

    static func integral(_ i: Int64) -> GrammarExpr {
        let frac = GrammarExpr.optional(.seq([.literal("."), .plus(.literal("0"))]))
        if i == 0 { return .seq([.optional(.literal("-")), .literal("0"), frac]) }
        return .seq([.literal(String(i)), frac])
    }

    /// Digit strings of exactly `width` digits whose value is in [lo, hi] (base 10 or 16;
    /// hex letters in either case).
    static func digitRange(_ lo: UInt64, _ hi: UInt64, width: Int, base: Int) -> GrammarExpr {
        func digits(_ x: UInt64) -> [Int] {
            var d = [Int](repeating: 0, count: width)
            var v = x
            for i in stride(from: width - 1, through: 0, by: -1) { d[i] = Int(v % UInt64(base)); v /= UInt64(base) }
            return d
        }
        return fixed(digits(lo)[...], digits(hi)[...], base: base)
    }

    static func digitClass(_ a: Int, _ b: Int, base: Int) -> GrammarExpr {
        var s = ByteSet()
        for d in a...b {
            if d < 10 { s.insert(UInt8(0x30 + d)) } else { s.insert(UInt8(0x61 + d - 10)); s.insert(UInt8(0x41 + d - 10)) }
        }
        return .bytes(s)
    }

    static func fixed(_ lo: ArraySlice<Int>, _ hi: ArraySlice<Int>, base: Int) -> GrammarExpr {
        guard let a = lo.first, let b = hi.first else { return .empty }
        let rl = lo.dropFirst(), rh = hi.dropFirst()
        if a == b { return .seq([digitClass(a, a, base: base), fixed(rl, rh, base: base)]) }
        let allMin = rl.allSatisfy { $0 == 0 }, allMax = rh.allSatisfy { $0 == base - 1 }
        let anyRest = GrammarExpr.rep(digitClass(0, base - 1, base: base), min: rl.count, max: rl.count)
        var alts: [GrammarExpr] = []
        var from = a, to = b
        if !allMin {
            alts.append(.seq([digitClass(a, a, base: base), fixed(rl, ArraySlice(repeating: base - 1, count: rl.count), base: base)]))
            from = a + 1
        }
        if !allMax { to = b - 1 }
        if from <= to { alts.append(.seq([digitClass(from, to, base: base), anyRest])) }
        if !allMax { alts.append(.seq([digitClass(b, b, base: base), fixed(ArraySlice(repeating: 0, count: rh.count), rh, base: base)])) }
        return alts.count == 1 ? alts[0] : .alt(alts)
    }

    /// Decimal integers without leading zeros (and without sign) in [lo, hi] (hi nil: unbounded).
    static func naturalRange(_ lo: UInt64, _ hi: UInt64?) -> GrammarExpr {
        if let hi, hi < lo { return .nothing }
        let loLen = String(lo).count
        let hiLen = hi.map { String($0).count }
        var alts: [GrammarExpr] = []
        for len in loLen...(hiLen ?? loLen) {
            let minOfLen: UInt64 = len == 1 ? 0 : pow10(len - 1)
            let maxOfLen: UInt64 = len >= 20 ? UInt64.max : pow10(len) - 1
            let a = max(lo, minOfLen), b = min(hi ?? maxOfLen, maxOfLen)
            if a <= b { alts.append(digitRange(a, b, width: len, base: 10)) }
        }
        if hi == nil { alts.append(.seq([.byteRange(0x31...0x39), .rep(.byteRange(0x30...0x39), min: loLen, max: nil)])) }
        return alts.count == 1 ? alts[0] : .alt(alts)
    }

    static func pow10i(_ n: Int) -> Int { (0..<n).reduce(1) { r, _ in r &* 10 } }

    static func pow10(_ n: Int) -> UInt64 { (0..<n).reduce(UInt64(1)) { r, _ in r &* 10 } }

    /// A JSON string whose value is none of `excluded`. While the characters read so far are a
    /// prefix of an excluded name, printable ASCII characters other than `"`, `\` and `/` are
    /// read only as themselves (their `\u` escapes are refused there) and other characters in
    /// every spelling, so no spelling of an excluded name gets through; after that, any spelling.
    /// `tail` matches the rest of a string after a character that left the excluded set
    /// (any characters and the closing quote), `escapeTail` a backslash escape of a
    /// non-ASCII or control character or a short escape, followed by that rest.
    /// `nonASCIITail`, when given, matches a non-ASCII character followed by that rest: trie
    /// nodes whose children are all ASCII then read other characters as one ASCII byte set
    /// and a call of it, instead of a copy of the UTF-8 automaton per node.
    static func stringExcluding(_ excluded: [String], tail: GrammarExpr, escapeTail: GrammarExpr, nonASCIITail: GrammarExpr? = nil) -> GrammarExpr {
        final class Node { var word = false; var children: [(UInt32, Node)] = [] }
        let root = Node()
        for s in excluded {
            var n = root
            for c in s.unicodeScalars {
                if let next = n.children.first(where: { $0.0 == c.value })?.1 { n = next } else {
                    let m = Node(); n.children.append((c.value, m)); n = m
                }
            }
            n.word = true
        }
        func rest(_ n: Node) -> GrammarExpr {
            var alts: [GrammarExpr] = []
            if !n.word { alts.append(.literal("\"")) }
            // (Built only where a branch below needs it: most key tries are plain ASCII.)
            var childClass: UnicodeClass { UnicodeClass(n.children.map { $0.0...$0.0 }) }
            // Any character that is not a child, in every spelling except \u escapes of
            // printable ASCII (which JSON writers do not use).
            if let nonASCIITail, n.children.allSatisfy({ $0.0 < 0x80 }) {
                // Printable ASCII but `"`, `\\` and the children (the UTF-8 of that class is this byte set).
                var other = ByteSet(0x20...0x7F)
                other.remove(0x22); other.remove(0x5C)
                for (c, _) in n.children { other.remove(UInt8(c)) }
                alts.append(.seq([.bytes(other), tail]))
                alts.append(nonASCIITail)
            } else {
                alts.append(.seq([UnicodeClass.any.subtracting(mustEscape).subtracting(childClass).utf8Expr, tail]))
            }
            // Children that have escaped spellings (short, control or non-ASCII `\u`) must not
            // be reachable through the escape alternative.
            let escapedChild = n.children.contains { c in shortEscapes.contains { $0.0 == c.0 } || c.0 < 0x20 || c.0 >= 0x80 }
            if !escapedChild {
                alts.append(.seq([.literal("\\"), escapeTail]))
            } else {
                let childClass = childClass
                var shorts = ByteSet()
                for (c, e) in shortEscapes where !childClass.contains(c) { shorts.insert(e.utf8.first!) }
                var escapes: [GrammarExpr] = []
                if let u = uEscape(UnicodeClass([0x80...UnicodeClass.maxScalar]).subtracting(childClass)) { escapes.append(u) }
                if !shorts.isEmpty { escapes.append(.bytes(shorts)) }
                if childClass.intersection(UnicodeClass([0...0x1F])).isEmpty { escapes.append(controlUEscape) }
                alts.append(.seq([.literal("\\"), .alt(escapes), tail]))
            }
            // A child in the spellings the other alternatives leave out: printable ASCII only as
            // itself (none of them reads its `\u` escape), others in every spelling.
            for (c, child) in n.children {
                alts.append(.seq([keyChar(c), rest(child)]))
            }
            return .alt(alts)
        }
        return .seq([.literal("\""), rest(root)])
    }
}
