import OrderedJSON

/// JSON numbers within `minimum` / `maximum` / `exclusiveMinimum` / `exclusiveMaximum`
/// (draft 4 boolean and draft 6+ numeric forms). Integers take any bounds; numbers take
/// integral bounds (a number is split into sign, integer part and fraction, and the integer
/// part is bounded per case). Bounded numbers are written without exponent.
enum NumberGrammar {
    static func expr(_ o: JSONObject, integer: Bool, ptr: String) throws(GrammarError) -> GrammarExpr {
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
                return .seq([.optional(.literal("-")), JSONLexemes.naturalRange(0, nil), .optional(.seq([.literal("."), .plus(.literal("0"))]))])
            }
            return JSONLexemes.anyNumber
        }
        for (k, b) in [("minimum", lo), ("maximum", hi)] {
            if let b, abs(b.0) > 1e17 { throw GrammarError("schema keyword '\(k)' at \(displayPointer(ptr)): bounds beyond ±1e17 are not supported") }
        }
        // Integral bounds on the value: x >= L (or > L), x <= H (or < H).
        let zeroFrac = GrammarExpr.optional(.seq([.literal("."), .plus(.literal("0"))]))
        let posFrac = GrammarExpr.seq([.literal("."), .star(.byteRange(0x30...0x39)), .byteRange(0x31...0x39), .star(.byteRange(0x30...0x39))])
        if integer {
            var l: Int64? = nil, h: Int64? = nil
            if let (b, ex) = lo { l = ex ? Int64(b.rounded(.down)) + 1 : Int64(b.rounded(.up)) }
            if let (b, ex) = hi { h = ex ? Int64(b.rounded(.up)) - 1 : Int64(b.rounded(.down)) }
            if let l, let h, l > h { throw GrammarError("schema keyword 'minimum' at \(displayPointer(ptr)): no integer lies within the bounds") }
            return .alt(pieces(l, h).map { .seq([$0, zeroFrac]) })
        }
        for (k, b) in [("minimum", lo), ("maximum", hi)] {
            if let b, b.0 != b.0.rounded() { throw GrammarError("schema keyword '\(k)' at \(displayPointer(ptr)): non-integral bounds on numbers are not supported") }
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
}
