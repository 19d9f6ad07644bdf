import OrderedJSON

/// Object keys constrained by `patternProperties` and `propertyNames`, as byte automata over
/// the key's JSON string lexeme (every spelling of a character, escapes included).
struct KeyConstraints {
    /// Keys allowed by `propertyNames` (nil: any).
    var names: ByteDFA?
    /// `patternProperties` in schema order: the keys matching each pattern (search semantics)
    /// and the schema their values must satisfy.
    var patterns: [(dfa: ByteDFA, schema: JSONValue)]

    static func keyBytes(_ k: String) -> [UInt8] { Array(JSONValue.string(k).serialized().utf8) }

    /// Whether `propertyNames` allows the declared name `k`.
    func nameAllowed(_ k: String) -> Bool { names?.accepts(Self.keyBytes(k)) ?? true }

    /// The `patternProperties` schemas that apply to the declared name `k`.
    func patternSchemas(matching k: String) -> [JSONValue] {
        let b = Self.keyBytes(k)
        return patterns.filter { $0.dfa.accepts(b) }.map(\.schema)
    }

    /// Most patterns of one object.
    static let maxPatterns = 16
    /// Most non-empty regions the patterns split the keys into (each set of patterns that
    /// some key matches together, and the keys no pattern matches).
    static let maxRegions = 32
}

extension JSONSchemaCompiler {
    /// The key constraints of an object schema (nil when it has neither keyword).
    mutating func keyConstraints(_ o: JSONObject, _ ptr: String) throws(GrammarError) -> KeyConstraints? {
        let pp = o["patternProperties"]?.objectValue ?? [:]
        if o["patternProperties"] != nil && o["patternProperties"]?.objectValue == nil { throw fail("patternProperties", ptr + "/patternProperties", "must be an object") }
        guard !pp.isEmpty || o["propertyNames"] != nil else { return nil }
        var keys = KeyConstraints(names: nil, patterns: [])
        if let pn = o["propertyNames"] {
            let nptr = ptr + "/propertyNames"
            let merged = try merger.merge(pn, .object(["type": "string"]), nptr)
            let e = try schema(merged, nptr)
            guard let dfa = try ByteDFA.from(inlineLexemes(e)) else { throw fail("propertyNames", nptr, "this key schema is not supported (it must be a string schema without references)") }
            keys.names = dfa
        }
        if pp.count > KeyConstraints.maxPatterns {
            throw fail("patternProperties", ptr + "/patternProperties", "more than \(KeyConstraints.maxPatterns) patterns are not supported")
        }
        for (pattern, s) in pp {
            let pptr = ptr + "/patternProperties/" + Self.escapePointer(pattern)
            var parser = RegexParser(pattern)
            let dfa: ByteDFA
            do {
                let node = try parser.parse()
                let body = try node.anchoredExpr(render: JSONLexemes.char, search: true, any: .any)
                dfa = try ByteDFA.from(.seq([.literal("\""), body, .literal("\"")]))!
            } catch { throw fail("patternProperties", pptr, error.message) }
            keys.patterns.append((dfa, s))
        }
        return keys
    }

    /// Members whose keys are not declared: one alternative per region of keys (matched
    /// patterns × propertyNames × not declared), valued by the matched patterns' schemas or
    /// `additional` where no pattern matches.
    mutating func keyedExtra(_ keys: KeyConstraints, declared: [String], additional: JSONValue, _ ptr: String) throws(GrammarError) -> GrammarExpr? {
        let ws = wsRef()
        var base = try ByteDFA.from(JSONLexemes.anyString)!
        if let names = keys.names { base = try base.intersection(names) }
        if !declared.isEmpty {
            base = try base.intersection(try ByteDFA.from(.alt(declared.map(JSONLexemes.literalString)))!.complement())
        }
        // Split the keys pattern by pattern, keeping only non-empty regions (disjoint patterns
        // give n + 1 regions, not 2^n).
        var regions: [(dfa: ByteDFA, schemas: [JSONValue])] = [(base, [])]
        for p in keys.patterns {
            let outside = p.dfa.complement()
            var next: [(dfa: ByteDFA, schemas: [JSONValue])] = []
            for r in regions {
                let inside = try r.dfa.intersection(p.dfa)
                if !inside.isEmpty { next.append((inside, r.schemas + [p.schema])) }
                let rest = try r.dfa.intersection(outside)
                if !rest.isEmpty { next.append((rest, r.schemas)) }
            }
            if next.count > KeyConstraints.maxRegions {
                throw fail("patternProperties", ptr + "/patternProperties", "the patterns split the keys into more than \(KeyConstraints.maxRegions) regions (sets of patterns that keys match together)")
            }
            regions = next
        }
        var alts: [GrammarExpr] = []
        for (region, schemas) in regions {
            let valueSchema: JSONValue = schemas.isEmpty ? additional : schemas.count == 1 ? schemas[0] : .object(["allOf": .array(schemas)])
            if valueSchema == .bool(false) { continue }
            let value = try schema(valueSchema, schemas.isEmpty ? ptr + "/additionalProperties" : ptr + "/patternProperties")
            if value == .nothing { continue }
            alts.append(.seq([region.expr, ws, .literal(":"), ws, value]))
        }
        if alts.isEmpty { return nil }
        return shared(alts.count == 1 ? alts[0] : .alt(alts), "\(ptr)/patternProperties")
    }
}
