import OrderedJSON

/// `not` and `if` / `then` / `else`: a negated schema is rewritten into supported keywords
/// where its complement can be written exactly (types, excluded values, one numeric bound,
/// object `properties` / `required`, `anyOf` of those); otherwise the keyword is refused.
extension JSONSchemaCompiler {
    static let allTypes = ["null", "boolean", "object", "array", "number", "string"]
    /// Internal keyword: numbers must have a non-zero fraction (the complement of `integer`).
    static let nonIntegralKey = "x-lfm-nonIntegral"

    /// What `not: s` excludes: values (matched per type) and schemas to intersect with
    /// (`[false]` when `s` accepts everything); nil when the complement cannot be written.
    func notParts(_ s: JSONValue, _ ptr: String, depth: Int = 0) throws(GrammarError) -> (values: [JSONValue], schemas: [JSONValue])? {
        if depth > 8 { return nil }
        let s = try merger.deref(s, ptr)
        switch s {
        case .bool(let b): return b ? ([], [false]) : ([], [])
        case .object(var o):
            o = merger.droppingIgnored(o)
            for k in Array(o.keys) where Self.isAnnotation(k) || k == "$defs" || k == "definitions" { _ = o.removeValue(forKey: k) }
            if o.isEmpty { return ([], [false]) }
            if o.count == 1, let e = o["enum"]?.arrayValue { return (e, []) }
            if o.count == 1, let c = o["const"] { return ([c], []) }
            if o.count == 1, let inner = o["not"] { return ([], [inner]) }
            if o.count == 1, let parts = o["anyOf"]?.arrayValue {
                var out: (values: [JSONValue], schemas: [JSONValue]) = ([], [])
                for p in parts {
                    guard let n = try notParts(p, ptr, depth: depth + 1) else { return nil }
                    out.values += n.values; out.schemas += n.schemas
                }
                return out
            }
            guard let neg = try negation(o, ptr, depth: depth) else { return nil }
            return ([], [neg])
        default: return nil
        }
    }

    static func typeNames(_ v: JSONValue?) -> [String]? {
        switch v {
        case nil: return nil
        case .string(let t)?: return [t]
        case .array(let ts)?: return ts.compactMap(\.stringValue)
        default: return nil
        }
    }

    /// Keywords that each assert on their own (none reads another's annotations), so the
    /// complement of several is the union of their complements (De Morgan).
    static let independentKeywords: Set<String> = ["type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "minProperties", "maxProperties"]

    /// A schema for exactly the instances `o` rejects (nil when not writable).
    func negation(_ o: JSONObject, _ ptr: String, depth: Int) throws(GrammarError) -> JSONValue? {
        if let split = try deMorgan(o, ptr, depth: depth) { return split }
        let keys = Set(o.keys)
        let types = Self.typeNames(o["type"])
        if o["type"] != nil && types == nil { return nil }
        func typesExcept(_ ts: [String]) -> JSONValue { .object(["type": .array(Self.allTypes.filter { !ts.contains($0) }.map { .string($0) })]) }
        if keys == ["type"], let types {
            if types.contains("integer") && !types.contains("number") {
                // Numbers with a non-zero fraction are the complement of integers among numbers.
                return .object(["type": .array(Self.allTypes.filter { !types.contains($0) }.map { .string($0) }), Self.nonIntegralKey: true])
            }
            let rest = Self.allTypes.filter { !types.contains($0) }
            return rest.isEmpty ? false : typesExcept(types)
        }
        // One length / count bound of one type.
        let counts: [String: (String, String, Int)] = ["minLength": ("string", "maxLength", -1), "maxLength": ("string", "minLength", 1),
            "minItems": ("array", "maxItems", -1), "maxItems": ("array", "minItems", 1),
            "minProperties": ("object", "maxProperties", -1), "maxProperties": ("object", "minProperties", 1)]
        let nonType = keys.subtracting(["type"])
        if nonType.count == 1, let k = nonType.first, let (t, flipped, delta) = counts[k], types == nil || types == [t],
           let v = o[k]?.doubleValue, v >= 0, v == v.rounded(), v < 1e9 {
            let n = Int(v) + delta
            // Other types pass the bound: in the complement only when the type is asserted too.
            if n < 0 { return types == nil ? false : typesExcept([t]) }
            let inType: JSONValue = .object(["type": .string(t), flipped: .integer(Int64(n))])
            return types == nil ? inType : .object(["anyOf": .array([typesExcept([t]), inType])])
        }
        // One numeric bound (other types pass it: in the complement only beside `type`).
        let bounds: [String: String] = ["minimum": "exclusiveMaximum", "exclusiveMinimum": "maximum", "maximum": "exclusiveMinimum", "exclusiveMaximum": "minimum"]
        let other = keys.subtracting(["type"])
        if other.count == 1, let k = other.first, let flipped = bounds[k], let v = o[k], v.boolValue == nil, v.doubleValue != nil,
           types == nil || types == ["number"] {
            let inType: JSONValue = .object(["type": "number", flipped: v])
            return types == nil ? inType : .object(["anyOf": .array([typesExcept(["number"]), inType])])
        }
        // A pattern: non-strings, or strings that do not match it (see stringExpr).
        if other == ["pattern"], types == nil || types == ["string"], let p = o["pattern"], p.stringValue != nil {
            // Other types pass a pattern, so only strings are in its complement.
            return .object(["type": "string", Self.notPatternKey: .array([p])])
        }
        // Objects with properties / required: some required name is missing, or some present
        // property fails its schema.
        if other.isSubset(of: ["properties", "required"]), types == nil || types == ["object"] {
            var alts: [JSONValue] = types == nil ? [] : [typesExcept(["object"])]
            for name in o["required"]?.arrayValue ?? [] {
                guard let n = name.stringValue else { return nil }
                var absent: JSONObject = ["type": "object", "properties": .object([n: false])]
                if !strict { absent["additionalProperties"] = true }
                alts.append(.object(absent))
            }
            for (name, ps) in o["properties"]?.objectValue ?? [:] {
                guard let n = try notParts(ps, ptr, depth: depth + 1) else { return nil }
                var parts: [JSONValue] = n.schemas
                if !n.values.isEmpty { parts.append(.object(["not": .object(["enum": .array(n.values)])])) }
                if parts.isEmpty { continue }
                // notParts is a conjunction: not one of the values, and every schema.
                let value: JSONValue = parts.count == 1 ? parts[0] : .object(["allOf": .array(parts)])
                var failing: JSONObject = ["type": "object", "required": [.string(name)], "properties": .object([name: value])]
                if !strict { failing["additionalProperties"] = true }
                alts.append(.object(failing))
            }
            return alts.isEmpty ? false : .object(["anyOf": .array(alts)])
        }
        return nil
    }

    /// `not (a and b and …)` = `anyOf[not a, not b, …]` over independent keywords, with
    /// `properties` / `required` kept together as one part (nil when some part cannot be written).
    func deMorgan(_ o: JSONObject, _ ptr: String, depth: Int) throws(GrammarError) -> JSONValue? {
        let object: Set<String> = ["properties", "required"]
        guard o.keys.allSatisfy({ Self.independentKeywords.contains($0) || object.contains($0) }) else { return nil }
        var parts: [JSONObject] = o.keys.filter { !object.contains($0) }.map { [$0: o[$0]!] }
        let objectPart = JSONObject(o.keys.filter { object.contains($0) }.map { ($0, o[$0]!) })
        if !objectPart.isEmpty { parts.append(objectPart) }
        guard parts.count > 1 else { return nil }
        var alts: [JSONValue] = []
        for p in parts {
            guard let n = try notParts(.object(p), ptr, depth: depth + 1) else { return nil }
            var conj: [JSONValue] = n.schemas
            if !n.values.isEmpty { conj.append(.object(["not": .object(["enum": .array(n.values)])])) }
            if conj.isEmpty { continue }
            alts.append(conj.count == 1 ? conj[0] : .object(["allOf": .array(conj)]))
        }
        if alts.isEmpty { return false }
        return .object(["anyOf": .array(alts)])
    }

    /// Rewrites `if` / `then` / `else` as `anyOf: [allOf: [if, then], allOf: [not if, else]]`
    /// (into `allOf`), when `not if` can be written.
    func rewriteConditional(_ o: inout JSONObject, _ ptr: String) throws(GrammarError) {
        guard let cond = o.removeValue(forKey: "if") else { return }
        let then = o.removeValue(forKey: "then") ?? true, els = o.removeValue(forKey: "else") ?? true
        guard try notParts(cond, ptr + "/if") != nil else {
            throw fail("if", ptr + "/if", "its negation (for 'else') cannot be expressed; only type, const/enum, pattern, bounds, lengths, counts and properties/required conditions are supported")
        }
        let branches: JSONValue = .object(["anyOf": .array([
            .object(["allOf": .array([cond, then])]),
            .object(["allOf": .array([.object(["not": cond]), els])]),
        ])])
        o["allOf"] = .array((o["allOf"]?.arrayValue ?? []) + [branches])
    }

    /// Applies `not` at the type level: excluded values are returned; complements that need
    /// other keywords are merged into `o` (the caller compiles it again).
    func applyNot(_ o: inout JSONObject, _ ptr: String) throws(GrammarError) -> (values: [JSONValue], recompile: Bool) {
        guard let inner = o.removeValue(forKey: "not") else { return ([], false) }
        guard let parts = try notParts(inner, ptr + "/not") else {
            throw fail("not", ptr + "/not", "the complement of this schema cannot be expressed; only type, const/enum, pattern, bounds, lengths, counts, properties/required and anyOf of those are supported")
        }
        if parts.schemas.isEmpty { return (parts.values, false) }
        if !parts.values.isEmpty { o["not"] = .object(["enum": .array(parts.values)]) }
        o["allOf"] = .array((o["allOf"]?.arrayValue ?? []) + parts.schemas)
        return ([], true)
    }

    /// The strings or numbers of `e` except the JSON values `excluded` (every spelling of an
    /// excluded string; numbers are written without exponent).
    mutating func excluding(_ e: GrammarExpr, _ excluded: [JSONValue], number: Bool, ptr: String) throws(GrammarError) -> GrammarExpr {
        if excluded.isEmpty || e == .nothing { return e }
        // The same values are often excluded from the same schema in many places (an `enum`
        // negated in each branch of a merged object): the product is built once.
        let names = excluded.compactMap(\.stringValue)
        // Any string but these: the trie of an extra member's key (``extraKey(excluding:)``),
        // which reads printable ASCII only as itself while on a prefix of an excluded value (JSON
        // writers do not `\u`-escape it) — no automaton product to build. Not where the result
        // becomes a byte automaton itself (`propertyNames`): there the trie, its rest-of-string
        // calls copied into every node, is the larger one to determinise.
        let trie = !number && !forByteAutomaton && names.count == excluded.count
        let key = Exclusion(expr: e, excluded: excluded, number: number, trie: trie)
        if let done = exclusions[key] { return done }
        let out: GrammarExpr
        if trie && inlineLexemes(e) == JSONLexemes.anyString {
            out = extraKey(excluding: names)
        } else {
            out = try excludingValues(e, excluded, number: number, ptr: ptr)
        }
        exclusions[key] = out
        return out
    }

    /// Numbers without exponent, as a byte automaton.
    static let plainNumber: ByteDFA = {
        let plain = GrammarExpr.seq([.optional(.literal("-")), .alt([.literal("0"), .seq([.byteRange(0x31...0x39), .star(.byteRange(0x30...0x39))])]),
                                     .optional(.seq([.literal("."), .plus(.byteRange(0x30...0x39))]))])
        return try! ByteDFA.from(plain)!
    }()

    /// ``excluding(_:_:number:ptr:)`` without the memo.
    private func excludingValues(_ e: GrammarExpr, _ excluded: [JSONValue], number: Bool, ptr: String) throws(GrammarError) -> GrammarExpr {
        let whole = inlineLexemes(e)
        // Any JSON string (the common case: `not: {enum: […]}` beside `type: string`) is built once per process.
        guard var dfa = whole == JSONLexemes.anyString ? KeyRegions.anyKey : try ByteDFA.from(whole) else {
            throw fail("not", ptr + "/not", "excluded values on this schema are not supported")
        }
        var lits: [GrammarExpr] = []
        for v in excluded {
            if number {
                if case .double(let d) = v, d != d.rounded() {
                    let text = v.serialized()
                    if text.contains("e") || text.contains("E") { throw fail("not", ptr + "/not", "excluded number \(text) is not supported") }
                    lits.append(.seq([.literal(text), .star(.literal("0"))]))
                } else {
                    lits.append(JSONLexemes.literal(v))
                }
            } else {
                lits.append(JSONLexemes.literal(v))
            }
        }
        if number { dfa = try dfa.intersection(Self.plainNumber) }
        let ex = try ByteDFA.from(.alt(lits))!
        return try dfa.intersection(ex.complement()).expr
    }

    /// `e` with calls of lexeme rules (like `json_string`) replaced by their bodies.
    func inlineLexemes(_ e: GrammarExpr, depth: Int = 0) -> GrammarExpr {
        switch e {
        case .ref(let r):
            // Call-free rules, and rules calling only such rules (a bounded string calls `json_char`),
            // up to `depth` calls deep.
            guard depth < 4, r < g.rules.count else { return e }
            let body = g.rules[r]
            var refs: [Int] = []
            AutomatonBuilder.collectRefs(body, &refs)
            if refs.isEmpty { return body }
            let inlined = inlineLexemes(body, depth: depth + 1)
            refs.removeAll()
            AutomatonBuilder.collectRefs(inlined, &refs)
            return refs.isEmpty ? inlined : e
        case .seq(let xs): return .seq(xs.map { inlineLexemes($0, depth: depth) })
        case .alt(let xs): return .alt(xs.map { inlineLexemes($0, depth: depth) })
        case .rep(let x, let lo, let hi): return .rep(inlineLexemes(x, depth: depth), min: lo, max: hi)
        default: return e
        }
    }
}

/// Values excluded from an expression's texts (``JSONSchemaCompiler/excluding(_:_:number:ptr:)``).
struct Exclusion: Hashable {
    let expr: GrammarExpr
    let excluded: [JSONValue]
    let number: Bool
    /// Whether strings may be excluded by the key trie (not inside a byte automaton).
    let trie: Bool
}
