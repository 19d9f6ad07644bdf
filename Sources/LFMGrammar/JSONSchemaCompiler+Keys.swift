import OrderedJSON

/// Object keys constrained by `patternProperties` and `propertyNames`, as byte automata over
/// the key's JSON string lexeme (every spelling of a character, escapes included).
struct KeyConstraints {
    /// Keys allowed by `propertyNames` (nil: any).
    var names: ByteDFA?
    /// `patternProperties` in schema order: the keys matching each pattern (search semantics)
    /// and the schema their values must satisfy.
    var patterns: [(dfa: ByteDFA, schema: JSONValue)]
    /// What the key automata were built from (``KeyRegions/Key``): the `propertyNames`
    /// schema and the patterns' sources.
    var namesSchema: SchemaKey?
    var patternSources: [String] = []

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
            let key = SchemaKey(pn)
            if let dfa = keyRegions.names[key] {
                keys.names = dfa
            } else {
                let merged = try merger.merge(pn, .object(["type": "string"]), nptr)
                let outer = forByteAutomaton
                forByteAutomaton = true
                defer { forByteAutomaton = outer }
                let e = try schema(merged, nptr)
                guard let dfa = try ByteDFA.from(inlineLexemes(e)) else { throw fail("propertyNames", nptr, "this key schema is not supported (it must be a string schema without references)") }
                keyRegions.names[key] = dfa
                keys.names = dfa
            }
            keys.namesSchema = key
        }
        if pp.count > KeyConstraints.maxPatterns {
            throw fail("patternProperties", ptr + "/patternProperties", "more than \(KeyConstraints.maxPatterns) patterns are not supported")
        }
        for (pattern, s) in pp {
            let pptr = ptr + "/patternProperties/" + Self.escapePointer(pattern)
            let dfa: ByteDFA
            if let done = keyRegions.patterns[pattern] {
                dfa = done
            } else {
                var parser = RegexParser(pattern)
                do {
                    let node = try parser.parse()
                    let body = try node.anchoredExpr(render: JSONLexemes.char, search: true, any: .any)
                    dfa = try ByteDFA.from(.seq([.literal("\""), body, .literal("\"")]))!
                } catch { throw fail("patternProperties", pptr, error.message) }
                keyRegions.patterns[pattern] = dfa
            }
            keys.patterns.append((dfa, s))
            keys.patternSources.append(pattern)
        }
        return keys
    }

    /// Members whose keys are not declared: one alternative per region of keys (matched
    /// patterns × propertyNames × not declared), valued by the matched patterns' schemas or
    /// `additional` where no pattern matches.
    mutating func keyedExtra(_ keys: KeyConstraints, declared: [String], additional: JSONValue, _ ptr: String) throws(GrammarError) -> GrammarExpr? {
        let ws = wsRef()
        let regionKey = KeyRegions.Key(names: keys.namesSchema, patterns: keys.patternSources, declared: declared)
        let regions: [(dfa: ByteDFA, patterns: [Int])]
        if let done = keyRegions.regions[regionKey] {
            regions = done
        } else {
            regions = try keyRegions(keys, declared: declared, ptr)
            keyRegions.regions[regionKey] = regions
        }
        var alts: [GrammarExpr] = []
        for (region, matched) in regions {
            let schemas = matched.map { keys.patterns[$0].schema }
            let valueSchema: JSONValue = schemas.isEmpty ? additional : schemas.count == 1 ? schemas[0] : .object(["allOf": .array(schemas)])
            if valueSchema == .bool(false) { continue }
            let value = try schema(valueSchema, schemas.isEmpty ? ptr + "/additionalProperties" : ptr + "/patternProperties")
            if value == .nothing { continue }
            alts.append(.seq([region.expr, ws, .literal(":"), ws, value]))
        }
        if alts.isEmpty { return nil }
        return shared(alts.count == 1 ? alts[0] : .alt(alts), "\(ptr)/patternProperties")
    }

    /// The regions of undeclared keys: each non-empty set of keys that the same patterns match
    /// (with the patterns' positions), within `propertyNames` and outside `declared`.
    mutating func keyRegions(_ keys: KeyConstraints, declared: [String], _ ptr: String) throws(GrammarError) -> [(dfa: ByteDFA, patterns: [Int])] {
        // The regions of all keys depend only on the patterns and propertyNames (shared by the
        // objects a schema's variants repeat them in); the declared names are taken out after.
        let openKey = KeyRegions.Key(names: keys.namesSchema, patterns: keys.patternSources, declared: [])
        let open: [(dfa: ByteDFA, patterns: [Int])]
        if let done = keyRegions.regions[openKey] {
            open = done
        } else {
            open = try patternRegions(keys, ptr)
            keyRegions.regions[openKey] = open
        }
        if declared.isEmpty { return open }
        let undeclared = try ByteDFA.from(.alt(declared.map(JSONLexemes.literalString)))!.complement()
        var out: [(dfa: ByteDFA, patterns: [Int])] = []
        for r in open {
            let d = try r.dfa.intersection(undeclared)
            if !d.isEmpty { out.append((d, r.patterns)) }
        }
        return out
    }

    /// The non-empty regions of keys within `propertyNames` that the same patterns match.
    func patternRegions(_ keys: KeyConstraints, _ ptr: String) throws(GrammarError) -> [(dfa: ByteDFA, patterns: [Int])] {
        var base = KeyRegions.anyKey
        if let names = keys.names { base = try base.intersection(names) }
        // Split the keys pattern by pattern, keeping only non-empty regions (disjoint patterns
        // give n + 1 regions, not 2^n).
        var regions: [(dfa: ByteDFA, patterns: [Int])] = [(base, [])]
        for (i, p) in keys.patterns.enumerated() {
            let outside = p.dfa.complement()
            var next: [(dfa: ByteDFA, patterns: [Int])] = []
            for r in regions {
                let inside = try r.dfa.intersection(p.dfa)
                if !inside.isEmpty { next.append((inside, r.patterns + [i])) }
                let rest = try r.dfa.intersection(outside)
                if !rest.isEmpty { next.append((rest, r.patterns)) }
            }
            if next.count > KeyConstraints.maxRegions {
                throw fail("patternProperties", ptr + "/patternProperties", "the patterns split the keys into more than \(KeyConstraints.maxRegions) regions (sets of patterns that keys match together)")
            }
            regions = next
        }
        return regions
    }
}

/// Key automata a schema compile builds once: `propertyNames` automata by schema, pattern
/// automata by pattern, and the key regions of undeclared members by what they depend on
/// (objects merged into many variants repeat the same patterns and declared names).
struct KeyRegions {
    struct Key: Hashable {
        let names: SchemaKey?
        let patterns: [String]
        let declared: [String]
    }

    var names: [SchemaKey: ByteDFA] = [:]
    var patterns: [String: ByteDFA] = [:]
    var regions: [Key: [(dfa: ByteDFA, patterns: [Int])]] = [:]

    /// Any JSON string, as a byte automaton.
    static let anyKey: ByteDFA = try! ByteDFA.from(JSONLexemes.anyString)!
}
