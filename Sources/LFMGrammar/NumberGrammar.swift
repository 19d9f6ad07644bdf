import OrderedJSON

/// JSON numbers within `minimum` / `maximum` / `exclusiveMinimum` / `exclusiveMaximum`
/// (draft 4 boolean and draft 6+ numeric forms). Integers take any bounds. For numbers, integral
/// bounds split a number into sign, integer part and fraction and bound the integer part per
/// case; non-integral bounds compare the written magnitude digit by digit with the bound's
/// decimal digits (`decimalBounded`). Bounded numbers are written without exponent.
enum NumberGrammar {
    /// The numbers of `o` (bounds, then `multipleOf` as a remainder automaton intersected
    /// with them; numbers with `multipleOf` are written without exponent).
    static func expr(_ o: JSONObject, integer: Bool, ptr: String) throws(GrammarError) -> GrammarExpr {
        var e = try boundedExpr(o, integer: integer, ptr: ptr)
        if o[JSONSchemaCompiler.nonIntegralKey] == .bool(true) {
            if integer { return .nothing }
            let frac = GrammarExpr.seq([.optional(.literal("-")), .alt([.literal("0"), .seq([.byteRange(0x31...0x39), .star(.byteRange(0x30...0x39))])]),
                                        .literal("."), .star(.byteRange(0x30...0x39)), .byteRange(0x31...0x39), .star(.byteRange(0x30...0x39))])
            guard let d = try ByteDFA.from(e) else { return .nothing }
            e = try d.intersection(ByteDFA.from(frac)!).expr
        }
        guard let m = o["multipleOf"] else { return e }
        let mptr = displayPointer(ptr + "/multipleOf")
        guard let (p, d) = decimal(m), p > 0 else { throw GrammarError("schema keyword 'multipleOf' at \(mptr): must be a positive number") }
        guard p <= 2_000, d <= 18 else {
            throw GrammarError("schema keyword 'multipleOf' at \(mptr): divisors with more than 2000 significant units or 18 fraction digits are not supported")
        }
        if e == .nothing { return e }
        guard let bounds = try ByteDFA.from(e) else { return e }
        return try bounds.intersection(multipleDFA(p, d)).expr
    }

    /// `v` as p / 10^d with p a positive integer (nil for non-numbers or huge values).
    static func decimal(_ v: JSONValue) -> (Int, Int)? {
        let text: String
        switch v {
        case .integer(let i): text = String(i)
        case .double(let x) where x.isFinite && x > 0: text = "\(x)"
        default: return nil
        }
        let parts = text.lowercased().split(separator: "e", omittingEmptySubsequences: false)
        guard parts.count <= 2, let exp = parts.count == 2 ? Int(parts[1]) : 0 else { return nil }
        let mant = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        let frac = mant.count == 2 ? String(mant[1]) : ""
        var digits = String(mant[0]) + frac
        var d = frac.count - exp
        while d < 0 { digits += "0"; d += 1 }
        while d > 0 && digits.hasSuffix("0") { digits.removeLast(); d -= 1 }
        guard digits.count <= 18, let p = Int(digits) else { return nil }
        return (p, d)
    }

    /// Decimal JSON numbers without exponent whose value times 10^d is a multiple of p:
    /// the remainder of the scaled value is tracked digit by digit.
    static func multipleDFA(_ p: Int, _ d: Int) -> ByteDFA {
        // States: 0 start, 1 after '-', 2 integer part "0", 3 + r: integer part with
        // remainder r, then fraction states 3 + p + j * p + r (j = fraction digits read, 0...d,
        // and d + 1 for "more than d, the extra ones zeros"; j == 0 right after '.', not accepting).
        let digit = ByteSet(0x30...0x39), nonzero = ByteSet(0x31...0x39), dot = ByteSet(bytes: [0x2E])
        let count = 3 + p + (d + 2) * p
        var edges = [[ByteDFA.Edge]](repeating: [], count: count)
        var accepting = [Bool](repeating: false, count: count)
        func pow10mod(_ k: Int) -> Int { var r = 1 % p; for _ in 0..<k { r = r * 10 % p }; return r }
        func intState(_ r: Int) -> Int { 3 + r }
        func fracState(_ j: Int, _ r: Int) -> Int { 3 + p + j * p + r }
        func digitEdges(_ from: Int, _ set: ByteSet, _ next: (Int) -> Int) {
            var byTarget: [Int: ByteSet] = [:], order: [Int] = []
            for b in 0x30...0x39 where set.contains(UInt8(b)) {
                let t = next(b - 0x30)
                if byTarget[t] == nil { order.append(t) }
                byTarget[t, default: ByteSet()].insert(UInt8(b))
            }
            edges[from] += order.map { ByteDFA.Edge(set: byTarget[$0]!, target: $0) }
        }
        let scale = pow10mod(d)
        for s in [0, 1] {
            if s == 0 { edges[0].append(.init(set: ByteSet(bytes: [0x2D]), target: 1)) }
            edges[s].append(.init(set: ByteSet(bytes: [0x30]), target: 2))
            digitEdges(s, nonzero) { intState($0 % p) }
        }
        accepting[2] = true
        edges[2].append(.init(set: dot, target: fracState(0, 0)))
        for r in 0..<p {
            digitEdges(intState(r), digit) { intState((r * 10 + $0) % p) }
            accepting[intState(r)] = r * scale % p == 0
            edges[intState(r)].append(.init(set: dot, target: fracState(0, r)))
            for j in 0...(d + 1) {
                let s = fracState(j, r)
                accepting[s] = j > 0 && r * pow10mod(d - min(j, d)) % p == 0
                if j < d { digitEdges(s, digit) { fracState(j + 1, (r * 10 + $0) % p) } }
                else { edges[s].append(.init(set: ByteSet(bytes: [0x30]), target: fracState(d + 1, r))) }
            }
        }
        return ByteDFA(edges: edges, accepting: accepting).trimmed()
    }

    static func boundedExpr(_ o: JSONObject, integer: Bool, ptr: String) throws(GrammarError) -> GrammarExpr {
        var lo: (Double, Bool)? = nil   // (bound, exclusive)
        var hi: (Double, Bool)? = nil
        func num(_ k: String) throws(GrammarError) -> Double? {
            guard let v = o[k] else { return nil }
            if v.boolValue != nil { return nil }
            guard let d = v.doubleValue, d.isFinite else { throw GrammarError("schema keyword '\(k)' at \(ptr)/\(k): must be a number") }
            return d
        }
        if let m = try num("minimum") { lo = (m, o["exclusiveMinimum"]?.boolValue == true) }
        if let m = try num("maximum") { hi = (m, o["exclusiveMaximum"]?.boolValue == true) }
        if let m = try num("exclusiveMinimum"), lo.map({ m >= $0.0 }) ?? true { lo = (m, true) }
        if let m = try num("exclusiveMaximum"), hi.map({ m <= $0.0 }) ?? true { hi = (m, true) }
        if lo == nil && hi == nil {
            if integer {
                return .seq([.optional(.literal("-")), JSONLexemes.naturalRange(0, nil), Self.zeroFraction])
            }
            return JSONLexemes.anyNumber
        }
        // A far bound (often ±DBL_MAX for "no limit") admits the numbers of magnitude below 1e17:
        // a subset of what it allows, and every number of at most 17 integer digits.
        if let h = hi, h.0 >= 1e17 { hi = (1e17, true) }
        if let l = lo, l.0 <= -1e17 { lo = (-1e17, true) }
        for (k, b) in [("minimum", lo), ("maximum", hi)] {
            if let b, abs(b.0) > 1e17 { throw GrammarError("schema keyword '\(k)' at \(displayPointer(ptr)): bounds beyond ±1e17 are not supported") }
        }
        // Integral bounds on the value: x >= L (or > L), x <= H (or < H).
        let zeroFrac = Self.zeroFraction
        let posFrac = GrammarExpr.seq([.literal("."), .star(.byteRange(0x30...0x39)), .byteRange(0x31...0x39), .star(.byteRange(0x30...0x39))])
        if integer {
            var l: Int64? = nil, h: Int64? = nil
            if let (b, ex) = lo { l = ex ? Int64(b.rounded(.down)) + 1 : Int64(b.rounded(.up)) }
            if let (b, ex) = hi { h = ex ? Int64(b.rounded(.up)) - 1 : Int64(b.rounded(.down)) }
            if let l, let h, l > h { throw GrammarError("schema keyword 'minimum' at \(displayPointer(ptr)): no integer lies within the bounds") }
            return .alt(pieces(l, h).map { .seq([$0, zeroFrac]) })
        }
        if [lo, hi].contains(where: { b in b.map { $0.0 != $0.0.rounded() } ?? false }) {
            return try decimalBounded(lo, hi, ptr: ptr)
        }
        // Fraction zero: integer value v in [L', H'] (exclusive bounds shift by one).
        let l0 = lo.map { Int64($0.0) + ($0.1 ? 1 : 0) }, h0 = hi.map { Int64($0.0) - ($0.1 ? 1 : 0) }
        // Fraction positive: x = ±(N + f); for x >= 0: N in [L, H-1]; for x < 0: N in [-H, -L-1].
        var alts: [GrammarExpr] = []
        if l0.map({ h0 == nil || $0 <= h0! }) ?? true { alts += pieces(l0, h0).map { .seq([$0, zeroFrac]) } }
        let L = lo.map { Int64($0.0) }, H = hi.map { Int64($0.0) }
        // positive side, x = N + f (0 < f < 1): L <= x (x > L also fine when N >= L), x <= H -> N <= H-1.
        let pLo = max(0, L ?? 0), pHi = H.map { $0 - 1 }
        if pHi.map({ pLo <= $0 }) ?? true { alts.append(.seq([JSONLexemes.naturalRange(UInt64(pLo), pHi.map { UInt64($0) }), posFrac])) }
        // negative side, x = -(N + f): x >= L -> N + f <= -L -> N <= -L-1; x <= H -> N + f >= -H -> N >= -H (when H < 0), N >= 0.
        let nLo = max(0, H.map { -$0 } ?? 0), nHi = L.map { -$0 - 1 }
        if nHi.map({ nLo <= $0 }) ?? true { alts.append(.seq([.literal("-"), JSONLexemes.naturalRange(UInt64(nLo), nHi.map { UInt64($0) }), posFrac])) }
        return alts.isEmpty ? .nothing : .alt(alts)
    }

    /// The fraction an integer may be written with (`12.0`): a point and 1 to 16 zeros —
    /// bounded, like whitespace, so a model cannot loop on zeros (a bounded integer's output
    /// always ends).
    static let zeroFraction = GrammarExpr.optional(.seq([.literal("."), .rep(.literal("0"), min: 1, max: 16)]))

    /// Integers (no fraction) in [l, h], either side optional, as sign + digits.
    static func pieces(_ l: Int64?, _ h: Int64?) -> [GrammarExpr] {
        var out: [GrammarExpr] = []
        // Non-negative part.
        let pl = max(0, l ?? 0)
        if h.map({ $0 >= pl }) ?? true { out.append(JSONLexemes.naturalRange(UInt64(pl), h.map { UInt64($0) })) }
        // Negative part: -N with N in [max(1, -h), -l].
        let nl = max(1, h.map { -$0 } ?? 1)
        let nh = l.map { -$0 }
        if nh.map({ $0 >= nl }) ?? true { out.append(.seq([.literal("-"), JSONLexemes.naturalRange(UInt64(nl), nh.map { UInt64($0) })])) }
        if pl == 0 && (h ?? 0) >= 0 && (l ?? -1) <= 0 { out.append(.literal("-0")) }
        return out
    }

    /// A bound's magnitude as decimal digits: integer part and fraction digits without
    /// trailing zeros (from the shortest spelling of the double, as the schema wrote it).
    static func decimalDigits(_ v: Double) -> (int: UInt64, frac: [UInt8])? {
        guard v.isFinite, abs(v) <= 1e17 else { return nil }
        let text = "\(abs(v))".lowercased()
        let parts = text.split(separator: "e", omittingEmptySubsequences: false)
        guard parts.count <= 2, let exp = parts.count == 2 ? Int(parts[1]) : 0 else { return nil }
        let mant = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        var digits = Array(mant[0].utf8).map { $0 - 0x30 } + (mant.count == 2 ? Array(mant[1].utf8).map { $0 - 0x30 } : [])
        var point = mant[0].utf8.count + exp   // digits before the decimal point
        if point < 0 { digits = [UInt8](repeating: 0, count: -point) + digits; point = 0 }
        while digits.count < point { digits.append(0) }
        var frac = Array(digits[point...])
        while frac.last == 0 { frac.removeLast() }
        var int: UInt64 = 0
        for d in digits[..<point] { int = int * 10 + UInt64(d) }
        return (int, frac)
    }

    /// Numbers without exponent within bounds at least one of which is not integral: a sign,
    /// then the written magnitude (`0` or digits without leading zero, optional fraction)
    /// compared with each bound's digits; the two comparisons of a side are intersected as
    /// byte automata. `-0` is zero.
    static func decimalBounded(_ lo: (Double, Bool)?, _ hi: (Double, Bool)?, ptr: String) throws(GrammarError) -> GrammarExpr {
        typealias Bound = (int: UInt64, frac: [UInt8], strict: Bool)
        func bound(_ b: (Double, Bool)?, negate: Bool) throws(GrammarError) -> Bound? {
            guard let b else { return nil }
            guard let d = decimalDigits(negate ? -b.0 : b.0) else {
                throw GrammarError("schema keyword 'minimum' at \(displayPointer(ptr)): bound \(b.0) is not supported")
            }
            return (d.int, d.frac, b.1)
        }
        func side(_ lower: Bound?, _ upper: Bound?) throws(GrammarError) -> GrammarExpr {
            var parts: [GrammarExpr] = []
            if let lower { parts.append(magnitude(above: lower)) }
            if let upper { parts.append(magnitude(below: upper)) }
            if parts.isEmpty { return .seq([.alt([.literal("0"), .seq([.byteRange(0x31...0x39), .star(digit)])]), anyFraction]) }
            if parts.count == 1 { return parts[0] }
            guard let a = try ByteDFA.from(parts[0]), let b = try ByteDFA.from(parts[1]) else { return .nothing }
            return try a.intersection(b).expr
        }
        var alts: [GrammarExpr] = []
        // x >= 0 written without a sign: lo <= x (no constraint when lo < 0), x <= hi.
        let hiNegative = hi.map { $0.0 < 0 || ($0.0 == 0 && $0.1) } ?? false
        if !hiNegative {
            let lower = try lo.flatMap { b throws(GrammarError) in b.0 >= 0 ? try bound(b, negate: false) : nil }
            let nonNegative = try side(lower, try bound(hi, negate: false))
            if nonNegative != .nothing { alts.append(nonNegative) }
        }
        // x = -m: lo <= -m means m <= -lo (none when lo > 0); -m <= hi means m >= -hi.
        let loPositive = lo.map { $0.0 > 0 || ($0.0 == 0 && $0.1) } ?? false
        if !loPositive {
            let lower = try hi.flatMap { b throws(GrammarError) in b.0 <= 0 ? try bound(b, negate: true) : nil }
            let negative = try side(lower, try bound(lo, negate: true))
            if negative != .nothing { alts.append(.seq([.literal("-"), negative])) }
        }
        return alts.isEmpty ? .nothing : .alt(alts)
    }

    static let digit = GrammarExpr.byteRange(0x30...0x39)
    /// A fraction that is zero (bounded zeros, or none) or has a non-zero digit.
    static let anyFraction = GrammarExpr.alt([zeroFraction, .seq([.literal("."), .star(digit), .byteRange(0x31...0x39), .star(digit)])])

    /// Magnitudes m >= b (m > b when strict).
    static func magnitude(above b: (int: UInt64, frac: [UInt8], strict: Bool)) -> GrammarExpr {
        var alts: [GrammarExpr] = []
        if b.int < UInt64.max { alts.append(.seq([JSONLexemes.naturalRange(b.int + 1, nil), anyFraction])) }
        let fraction: GrammarExpr = if b.frac.isEmpty {
            b.strict ? .seq([.literal("."), .star(digit), .byteRange(0x31...0x39), .star(digit)]) : anyFraction
        } else {
            .seq([.literal("."), digits(above: b.frac[...], strict: b.strict)])
        }
        alts.append(.seq([.literal(String(b.int)), fraction]))
        return .alt(alts)
    }

    /// Digit strings f (one or more) with 0.f >= 0.b (> when strict); b ends in a non-zero digit.
    static func digits(above b: ArraySlice<UInt8>, strict: Bool) -> GrammarExpr {
        let b1 = b.first!, rest = b.dropFirst()
        var alts: [GrammarExpr] = []
        if b1 < 9 { alts.append(.seq([.byteRange((0x31 + b1)...0x39), .star(digit)])) }
        let tail: GrammarExpr = if rest.isEmpty {
            strict ? .seq([.star(digit), .byteRange(0x31...0x39), .star(digit)]) : .star(digit)
        } else {
            digits(above: rest, strict: strict)
        }
        alts.append(.seq([.literal(String(b1)), tail]))
        return .alt(alts)
    }

    /// Magnitudes m <= b (m < b when strict).
    static func magnitude(below b: (int: UInt64, frac: [UInt8], strict: Bool)) -> GrammarExpr {
        var alts: [GrammarExpr] = []
        if b.int > 0 { alts.append(.seq([JSONLexemes.naturalRange(0, b.int - 1), anyFraction])) }
        if b.frac.isEmpty {
            if !b.strict { alts.append(.seq([.literal(String(b.int)), zeroFraction])) }
        } else {
            alts.append(.seq([.literal(String(b.int)), .optional(.seq([.literal("."), digits(below: b.frac[...], strict: b.strict)]))]))
        }
        return alts.isEmpty ? .nothing : .alt(alts)
    }

    /// Digit strings f (one or more) with 0.f <= 0.b (< when strict); b ends in a non-zero digit.
    static func digits(below b: ArraySlice<UInt8>, strict: Bool) -> GrammarExpr {
        let b1 = b.first!, rest = b.dropFirst()
        var alts: [GrammarExpr] = []
        if b1 > 0 { alts.append(.seq([.byteRange(0x30...(0x2F + b1)), .star(digit)])) }
        if rest.isEmpty {
            // f = b1 then only zeros equals b (bounded zeros, as for integers).
            if !strict { alts.append(.seq([.literal(String(b1)), .rep(.literal("0"), min: 0, max: 16)])) }
        } else {
            alts.append(.seq([.literal(String(b1)), .optional(digits(below: rest, strict: strict))]))
        }
        return alts.isEmpty ? .nothing : .alt(alts)
    }
}
