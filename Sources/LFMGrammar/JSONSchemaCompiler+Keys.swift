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

    /// Most patterns of one object (keys are split into 2^n regions by the patterns they match).
    static let maxPatterns = 4
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
            let merged = try SchemaMerger(root: root).merge(pn, .object(["type": "string"]), nptr)
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
        let n = keys.patterns.count
        var alts: [GrammarExpr] = []
        for mask in 0..<(1 << n) {
            var region = base
            var schemas: [JSONValue] = []
            for i in 0..<n where !region.isEmpty {
                if mask & (1 << i) != 0 {
                    region = try region.intersection(keys.patterns[i].dfa)
                    schemas.append(keys.patterns[i].schema)
                } else {
                    region = try region.intersection(keys.patterns[i].dfa.complement())
                }
            }
            if region.isEmpty { continue }
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
