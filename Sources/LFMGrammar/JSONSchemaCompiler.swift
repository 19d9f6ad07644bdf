import OrderedJSON

/// Translates a JSON Schema into a ``Grammar`` for its JSON texts.
///
/// Objects list their properties in schema order (optional ones may be left out; other keys,
/// when allowed, may appear anywhere); whitespace is bounded (``JSONLexemes/ws``). Keywords that
/// cannot be enforced while generating text (`not`, `if`, `patternProperties`, …) are refused
/// with an error naming the keyword and its JSON pointer; `uniqueItems`, `oneOf`'s exclusivity
/// and annotations are not enforced (documented in docs/architecture.md).
struct JSONSchemaCompiler {
    let root: JSONValue
    let strict: Bool
    /// The root's draft ignores a `$ref`'s siblings (``SchemaMerger/refIgnoresSiblings``).
    let refIgnoresSiblings: Bool
    /// Keywords the root's draft does not define (``SchemaMerger/ignoredKeywords(_:)``).
    let ignored: Set<String>
    var g = Grammar()
    var refRules: [String: Int] = [:]
    /// Merged `allOf` schemas being compiled, with the rule a recursive occurrence calls once
    /// one is met (a sibling beside a recursive `$ref` merges into the same schema again one
    /// level down: that occurrence calls the outer one instead of expanding without end).
    var mergesInProgress: [SchemaKey: Int?] = [:]
    /// Subschemas compiled so far, by the storage of their object (each kept alive here, so an
    /// equal identity means the same, unchanged object): a subschema that merges pass on
    /// unchanged — a property's schema in every branch a dependency or `anyOf` multiplies the
    /// object into — is compiled once. Its expression does not depend on where it is met.
    var compiled: [StorageIdentity: (schema: JSONValue, expr: GrammarExpr, size: Int?)] = [:]
    /// Merged schemas compiled so far, by content (``mergedSchema(_:_:)``). Sizes in both memos
    /// are measured when an entry is first repeated.
    var mergedDone: [SchemaKey: (expr: GrammarExpr, size: Int?)] = [:]
    /// Expressions with values excluded, built so far (``excluding(_:_:number:ptr:)``).
    var exclusions: [Exclusion: GrammarExpr] = [:]
    /// Whether the schema being compiled becomes a byte automaton (`propertyNames`).
    var forByteAutomaton = false
    /// Key automata built so far (``KeyRegions``).
    var keyRegions = KeyRegions()
    /// Extra-member keys by the names they exclude (``extraKey(excluding:)``).
    var extraKeys: [[String]: GrammarExpr] = [:]
    /// String lexeme rules by their content tag (one rule per distinct bounds, pattern, format).
    var lexemeByTag: [String: Int] = [:]
    var anyRule: Int?
    var nesting = 0
    var totalSize = 0
    /// Python literal spelling (`True`, `False`, `None`) for LFM2's pythonic tool calls.
    var pythonic = false
    /// Why the first unsatisfiable subschema matches nothing (reported when the root does).
    var unsatisfiableReason: GrammarError?

    /// Records why a subschema matches nothing (an `anyOf` branch may, the root may not).
    mutating func unsatisfiable(_ why: GrammarError) -> GrammarExpr {
        if unsatisfiableReason == nil { unsatisfiableReason = why }
        return .nothing
    }

    var nullLiteral: GrammarExpr { .literal(pythonic ? "None" : "null") }
    var boolLiteral: GrammarExpr { pythonic ? .alt([.literal("True"), .literal("False")]) : .alt([.literal("true"), .literal("false")]) }

    static let maxNesting = 64
    /// Nesting from which merged schemas are tracked for recursion (``mergedSchema(_:_:)``).
    static let mergeMemoNesting = 8
    static let maxSize = 3_000_000
    static let maxRepetition = 10_000

    /// Keywords refused because they cannot be enforced while generating (what is left of
    /// them once rewritten or carried through merges). A list: a few short keys compare faster
    /// than hashing every key of every schema object.
    static let unsupported = ["dependentSchemas", "dependencies", "dependentRequired",
        "unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$recursiveRef"]
    /// Subschema applicators that could evaluate members (beside them unevaluated* are not
    /// simply additional*).
    static let combinators = ["allOf", "anyOf", "oneOf", "$ref", "$dynamicRef", "if", "dependentSchemas", "patternProperties", "not", "contains"]

    init(root: JSONValue, strict: Bool) {
        self.root = root
        self.strict = strict
        refIgnoresSiblings = SchemaMerger.refIgnoresSiblings(root)
        ignored = SchemaMerger.ignoredKeywords(root)
    }

    /// A merger over this compiler's root (the draft read once, at init).
    var merger: SchemaMerger { SchemaMerger(root: root, refIgnoresSiblings: refIgnoresSiblings, ignored: ignored) }

    /// A grammar for any JSON object (JSON mode).
    static func jsonObjectGrammar() -> Grammar {
        var c = JSONSchemaCompiler(root: true, strict: false)
        let value = c.anyValueRule()
        _ = value
        let start = c.g.add("root", .seq([c.anyObject(), c.wsRef()]))
        c.g.start = start
        return c.g
    }

    mutating func compile() throws(GrammarError) -> Grammar {
        let body = try schema(root, "")
        if body == .nothing, let why = unsatisfiableReason { throw why }
        let start = g.add("root", .seq([body, wsRef()]))
        g.start = start
        return g
    }

    func fail(_ keyword: String, _ ptr: String, _ why: String) -> GrammarError {
        GrammarError("schema keyword '\(keyword)' at \(ptr.isEmpty ? "/" : ptr): \(why)")
    }

    // MARK: any JSON value

    mutating func anyValueRule() -> Int {
        if let r = anyRule { return r }
        let value = g.declare("json_value")
        anyRule = value
        let ws = wsRef()
        let str = stringRule()
        let member = GrammarExpr.seq([.ref(str), ws, .literal(":"), ws, .ref(value)])
        let object = GrammarExpr.seq([.literal("{"), ws, .optional(.seq([member, .star(.seq([ws, .literal(","), ws, member])), ws])), .literal("}")])
        let array = GrammarExpr.seq([.literal("["), ws, .optional(.seq([.ref(value), .star(.seq([ws, .literal(","), ws, .ref(value)])), ws])), .literal("]")])
        let obj = g.add("json_object", object), arr = g.add("json_array", array)
        g.define(value, .alt([.ref(obj), .ref(arr), .ref(str), JSONLexemes.anyNumber, boolLiteral, nullLiteral]))
        let variant = pythonic ? "/python" : ""
        g.builtin[value] = "json_value" + variant; g.builtin[obj] = "json_object" + variant; g.builtin[arr] = "json_array" + variant
        return value
    }

    mutating func anyObject() -> GrammarExpr {
        let v = anyValueRule()
        return .ref(g.names.firstIndex(of: "json_object") ?? v)
    }

    /// Bounded whitespace as a shared lexeme rule (one call edge per position instead of the
    /// indentation counter's states; its masks are computed once per process).
    mutating func wsRef() -> GrammarExpr { .ref(lexeme("ws", JSONLexemes.ws)) }

    /// A named lexeme rule (created once, never inlined; masks shared across grammars).
    /// `builtin`: its body does not depend on the schema (its automaton is cached process-wide
    /// under the rule's name, so a name must always come with the same body).
    mutating func lexeme(_ name: String, _ body: GrammarExpr, builtin: Bool = true) -> Int {
        if let r = g.names.firstIndex(of: name) { return r }
        let r = g.add(name, body)
        g.noInline.insert(r)
        if builtin { g.builtin[r] = name }
        return r
    }

    /// A lexeme rule whose body depends only on `tag` (a string's keywords): never inlined,
    /// cached process-wide under the tag, found again in ``lexemeByTag`` by later uses.
    mutating func addLexeme(_ tag: String, name: String, _ body: GrammarExpr) -> GrammarExpr {
        let r = g.add(name, body)
        g.noInline.insert(r)
        g.builtin[r] = tag
        lexemeByTag[tag] = r
        return .ref(r)
    }

    /// The shared rule of an unconstrained JSON string (a lexeme: masks shared across grammars).
    mutating func stringRule() -> Int {
        if let r = g.names.firstIndex(of: "json_string") { return r }
        let r = g.add("json_string", JSONLexemes.anyString)
        g.noInline.insert(r)
        g.builtin[r] = "json_string"
        return r
    }

    // MARK: schemas

    /// Above this size a subschema's expression is a rule of its own (``schema(_:_:)``).
    static let ruleSize = 400

    mutating func schema(_ s: JSONValue, _ ptr: String) throws(GrammarError) -> GrammarExpr {
        nesting += 1
        defer { nesting -= 1 }
        if nesting > Self.maxNesting { throw GrammarError("schema at \(ptr.isEmpty ? "/" : ptr) nests deeper than \(Self.maxNesting) levels") }
        let identity = s.objectValue?.storageIdentity
        if let identity, let done = compiled[identity] {
            // A repeat is a copy of the whole expression: its size counts (measured once).
            let size = done.size ?? done.expr.size
            if done.size == nil { compiled[identity]!.size = size }
            try addSize(size, ptr)
            return done.expr
        }
        var e = try schemaBody(s, ptr)
        // A large subschema is a rule of its own: where it is met again (merges pass property
        // schemas and `$ref` targets on unchanged, in every variant they make) it is called, not
        // copied. Rules called once are inlined again by the automaton builder.
        if case .ref = e {} else if e.size(upTo: Self.ruleSize) > Self.ruleSize { e = .ref(g.add(ptr, e)) }
        if let identity { compiled[identity] = (s, e, nil) }
        try addSize(1, ptr)
        return e
    }

    /// Adds `size` nodes to the grammar's total: each subschema compiled counts one, each
    /// repeat of a compiled one (the same subschema met again, a merged schema met again)
    /// its whole size — the copies multiplied merges and shared subschemas make.
    mutating func addSize(_ size: Int, _ ptr: String) throws(GrammarError) {
        totalSize += size
        if totalSize > Self.maxSize { throw GrammarError("schema at \(ptr.isEmpty ? "/" : ptr) is too large to compile (grammar above \(Self.maxSize) nodes)") }
    }

    mutating func schemaBody(_ s: JSONValue, _ ptr: String) throws(GrammarError) -> GrammarExpr {
        switch s {
        case .bool(true): return .ref(anyValueRule())
        case .bool(false): return .nothing
        case .object: break
        default: throw GrammarError("schema at \(ptr.isEmpty ? "/" : ptr) must be an object or a boolean")
        }
        var o = s.objectValue!
        if !ignored.isEmpty { o = merger.droppingIgnored(o) }
        // Without subschemas that could evaluate members, unevaluated* act like additional*.
        if !Self.combinators.contains(where: { o[$0] != nil }) {
            if let u = o.removeValue(forKey: "unevaluatedProperties"), o["additionalProperties"] == nil { o["additionalProperties"] = u }
            if let u = o.removeValue(forKey: "unevaluatedItems") {
                if o["prefixItems"] != nil { if o["items"] == nil { o["items"] = u } }
                else if o["items"]?.arrayValue != nil { if o["additionalItems"] == nil { o["additionalItems"] = u } }
                else if o["items"] == nil { o["items"] = u }
            }
        }
        if o["if"] != nil && o["then"] == nil && o["else"] == nil && SchemaMerger.unevaluatedKeys.contains(where: { o[$0] != nil }) {
            // An `if` alone still evaluates members where it holds: kept as a conditional with
            // `then: true`, which unevaluated* beside it then refuse (never a rejected valid instance).
            o["then"] = true
        }
        if o["if"] == nil || (o["then"] == nil && o["else"] == nil) {
            for k in ["if", "then", "else"] { _ = o.removeValue(forKey: k) }
        }
        try rewriteConditional(&o, ptr)
        try rewriteDependencies(&o, ptr)
        // unevaluated* beside merged applicators are carried through the merge (SchemaMerger+Unevaluated);
        // beside patternProperties alone they act as additional*.
        let carriesUnevaluated = SchemaMerger.unevaluatedKeys.contains { o[$0] != nil }
            && !SchemaMerger.unevaluatedBlockers.contains { o[$0] != nil }
        if carriesUnevaluated && !SchemaMerger.mergedApplicators.contains(where: { o[$0] != nil }) {
            let u = SchemaMerger.takeUnevaluated(&o)
            o = try SchemaMerger.attachUnevaluated(o, u, ptr, merged: false)
        }
        for k in o.keys where Self.unsupported.contains(k) {
            if carriesUnevaluated && SchemaMerger.unevaluatedKeys.contains(k) { continue }
            if (k == "dependencies" || k == "dependentRequired" || k == "dependentSchemas" || k == "patternProperties") && o[k]?.objectValue?.isEmpty == true { continue }
            throw fail(k, ptr + "/" + k, "not supported for constrained decoding")
        }
        var refWithSiblings = false
        if let ref = o["$ref"] {
            guard let r = ref.stringValue else { throw fail("$ref", ptr + "/$ref", "must be a string") }
            let siblings = o.keys.filter { !Self.isAnnotation($0) && $0 != "$ref" && $0 != "$defs" && $0 != "definitions" }
            if siblings.isEmpty || refIgnoresSiblings { return try refExpr(r, ptr + "/$ref") }
            _ = o.removeValue(forKey: "$ref")
            // Schema order of a `$ref` with siblings: the target's properties, then the
            // siblings' (then any allOf parts') — the order instance writers resolve it in.
            var sib: JSONObject = [:]
            for k in siblings where k != "allOf" && !SchemaMerger.unevaluatedKeys.contains(k) { sib[k] = o.removeValue(forKey: k) }
            o["allOf"] = .array([.object(["$ref": .string(r)]), .object(sib)] + (o["allOf"]?.arrayValue ?? []))
            refWithSiblings = true
        }
        if let all = o["allOf"] {
            guard let parts = all.arrayValue else { throw fail("allOf", ptr + "/allOf", "must be an array") }
            _ = o.removeValue(forKey: "allOf")
            let u = SchemaMerger.takeUnevaluated(&o)
            var merged = JSONValue.object(o)
            var targetCount = 0
            for (i, p) in parts.enumerated() {
                merged = try merger.merge(merged, p, ptr + "/allOf/\(i)")
                let n = merged.objectValue?["properties"]?.objectValue?.count ?? 0
                if refWithSiblings && i == 0 { targetCount = n }
                // The siblings' properties may also be written before the target's (the order
                // in which the schema text names them); a second member order of one object.
                if refWithSiblings && i == 1 && targetCount > 0 && n > targetCount, case .object(var mo) = merged, mo[Self.orderSplitKey] == nil {
                    mo[Self.orderSplitKey] = .integer(Int64(targetCount))
                    merged = .object(mo)
                }
            }
            if !u.isEmpty, let mo = merged.objectValue { merged = .object(try SchemaMerger.attachUnevaluated(mo, u, ptr)) }
            return try mergedSchema(merged, ptr)
        }
        for key in ["anyOf", "oneOf"] {
            guard let any = o[key] else { continue }
            guard let parts = any.arrayValue, !parts.isEmpty else { throw fail(key, ptr + "/" + key, "must be a non-empty array") }
            _ = o.removeValue(forKey: key)
            let u = SchemaMerger.takeUnevaluated(&o)
            let rest = JSONValue.object(o)
            let hasSiblings = o.keys.contains { !Self.isAnnotation($0) && $0 != "$defs" && $0 != "definitions" }
            // anyOf: members other branches evaluate also count (SchemaMerger.crossEvaluated).
            let cross = key == "anyOf" && u["unevaluatedProperties"] != nil ? SchemaMerger.crossEvaluated(parts) : [:]
            var alts: [GrammarExpr] = []
            for (i, p0) in parts.enumerated() {
                var p = p0
                let own = Set((p0.objectValue?["properties"]?.objectValue?.keys ?? []) + (o["properties"]?.objectValue?.keys ?? []))
                if let others = cross.isEmpty ? nil : SchemaMerger.crossProperties(cross, except: i, evaluated: own) {
                    p = try merger.merge(p, .object(["properties": .object(others)]), ptr + "/\(key)/\(i)")
                }
                var branch = hasSiblings ? try merger.merge(rest, p, ptr + "/\(key)/\(i)") : p
                if !u.isEmpty {
                    if branch == .bool(true) { branch = .object([:]) }
                    if let bo = branch.objectValue { branch = .object(try SchemaMerger.attachUnevaluated(bo, u, ptr, merged: hasSiblings)) }
                }
                alts.append(hasSiblings ? try mergedSchema(branch, ptr) : try schema(branch, ptr + "/\(key)/\(i)"))
            }
            // Objects that take extra members can all be read at once for as long as their keys
            // are extra to the others: determinised together they make the product of their
            // positions (12 such branches: 20k states). From three of them on, each is a rule of
            // its own, followed side by side by the matcher.
            let open = alts.indices.filter { takesExtraMembers(alts[$0]) }
            if open.count >= 3 {
                for i in open {
                    if case .ref(let r) = alts[i] { g.noInline.insert(r); continue }
                    let r = g.add(ptr + "/\(key)/\(i)", alts[i])
                    g.noInline.insert(r)
                    alts[i] = .ref(r)
                }
            }
            return .alt(alts)
        }
        let (excluded, recompile) = try applyNot(&o, ptr)
        if recompile { return try schema(.object(o), ptr) }
        var types: [String]
        switch o["type"] {
        case nil: types = ["null", "boolean", "object", "array", "number", "string"]
        case .string(let t)?: types = [t]
        case .array(let ts)?:
            types = []
            for t in ts { guard let t = t.stringValue else { throw fail("type", ptr + "/type", "must list type names") }; types.append(t) }
        default: throw fail("type", ptr + "/type", "must be a string or an array of strings")
        }
        for t in types where !["null", "boolean", "object", "array", "number", "string", "integer"].contains(t) {
            throw fail("type", ptr + "/type", "unknown type '\(t)'")
        }
        if o["nullable"]?.boolValue == true && !types.contains("null") { types.append("null") }
        if types.contains("number") { types.removeAll { $0 == "integer" } }
        if let values = o["enum"] ?? o["const"].map({ .array([$0]) }) {
            guard let vs = values.arrayValue else { throw fail("enum", ptr + "/enum", "must be an array") }
            let key = o["enum"] != nil ? "enum" : "const"
            let ok = vs.filter { v in types.contains { SchemaMerger.valueHasType(v, $0) } && !excluded.contains { Self.sameValue($0, v) } }
            if ok.isEmpty { return unsatisfiable(fail(key, ptr + "/" + key, "no value satisfies the schema")) }
            let py = pythonic
            return .alt(ok.map { JSONLexemes.literal($0, pythonic: py, canonical: true) })
        }
        var alts: [GrammarExpr] = []
        let exStrings = excluded.filter { $0.stringValue != nil }
        let exNumbers = excluded.filter { SchemaMerger.valueHasType($0, "number") }
        for t in types {
            switch t {
            case "null": if !excluded.contains(.null) { alts.append(nullLiteral) }
            case "boolean":
                let py = pythonic
                let bs = [true, false].filter { !excluded.contains(.bool($0)) }
                if !bs.isEmpty { alts.append(.alt(bs.map { JSONLexemes.literal(.bool($0), pythonic: py) })) }
            case "string": alts.append(try excluding(try stringExpr(o, ptr), exStrings, number: false, ptr: ptr))
            case "integer": alts.append(try excluding(try NumberGrammar.expr(o, integer: true, ptr: ptr), exNumbers, number: true, ptr: ptr))
            case "number": alts.append(try excluding(try NumberGrammar.expr(o, integer: false, ptr: ptr), exNumbers, number: true, ptr: ptr))
            case "object":
                if excluded.contains(where: { $0.objectValue != nil }) { throw fail("not", ptr + "/not", "excluded object values are not supported") }
                alts.append(try objectExpr(o, ptr))
            case "array":
                if excluded.contains(where: { $0.arrayValue != nil }) { throw fail("not", ptr + "/not", "excluded array values are not supported") }
                alts.append(try arrayExpr(o, ptr))
            default: break
            }
        }
        return alts.count == 1 ? alts[0] : .alt(alts)
    }

    /// JSON equality with numbers compared by value.
    static func sameValue(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if a == b { return true }
        if let x = a.doubleValue, let y = b.doubleValue, a.boolValue == nil, b.boolValue == nil,
           SchemaMerger.valueHasType(a, "number"), SchemaMerger.valueHasType(b, "number") { return x == y }
        return false
    }

    /// Internal keyword of a merged object: its first N properties (a `$ref` target's) and the
    /// rest (the siblings') may also be written the other way round. Any member order of the
    /// same members is equally valid, so a second order only widens what valid text is written.
    static let orderSplitKey = "x-lfm-orderSplit"
    /// Internal keyword of a string schema: patterns its strings must not match (`not: {pattern}`).
    static let notPatternKey = "x-lfm-notPattern"

    static let annotations: Set<String> = ["title", "description", "default", "examples", "$schema", "$id", "id", "$comment",
        "deprecated", "readOnly", "writeOnly", "$anchor", "markdownDescription", "format_hint", "x-order"]

    /// The keywords of JSON Schema drafts 3 to 2020-12 (and OpenAPI's `nullable`) that assert,
    /// apply subschemas or hold them; any other key is an annotation (the specification has
    /// unknown keywords ignored), except this compiler's own `x-lfm-` keys.
    static let keywords: Set<String> = ["type", "enum", "const", "multipleOf", "divisibleBy", "maximum", "exclusiveMaximum",
        "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "format", "maxItems", "minItems", "uniqueItems",
        "maxContains", "minContains", "maxProperties", "minProperties", "required", "dependentRequired", "dependentSchemas",
        "dependencies", "properties", "patternProperties", "additionalProperties", "propertyNames", "items", "prefixItems",
        "additionalItems", "contains", "unevaluatedItems", "unevaluatedProperties", "allOf", "anyOf", "oneOf", "not", "if",
        "then", "else", "$ref", "$dynamicRef", "$recursiveRef", "$defs", "definitions", "nullable", "disallow", "extends"]

    /// Whether `key` asserts nothing: a listed annotation or an unknown keyword.
    static func isAnnotation(_ key: String) -> Bool {
        annotations.contains(key) || (!keywords.contains(key) && !key.hasPrefix("x-lfm-"))
    }

    /// A schema made by merging (allOf parts, or an anyOf/oneOf branch with its siblings),
    /// compiled once per content (``SchemaKey``): merged variants of one object — `if`/`then`
    /// chains, dependencies, `$ref`s with siblings — repeat the same merged subschemas many
    /// times over (3,872 merged schemas, 234 distinct, in one SchemaStore schema). When the
    /// same merged schema is met again while it is being compiled — a sibling beside a
    /// recursive `$ref` merges into the same schema one level down — that occurrence calls a
    /// rule holding the outer one instead of expanding without end; only merges nested at least
    /// `mergeMemoNesting` deep are tracked for that (a recursion reaches that depth long before
    /// the nesting limit).
    mutating func mergedSchema(_ merged: JSONValue, _ ptr: String) throws(GrammarError) -> GrammarExpr {
        let key = SchemaKey(merged)
        if let done = mergedDone[key] {
            let size = done.size ?? done.expr.size
            if done.size == nil { mergedDone[key]!.size = size }
            try addSize(size, ptr)
            return done.expr
        }
        let tracked = nesting >= Self.mergeMemoNesting
        if tracked, let entry = mergesInProgress[key] {
            let rule = entry ?? g.declare(ptr)
            mergesInProgress[key] = rule
            return .ref(rule)
        }
        if tracked { mergesInProgress[key] = .some(nil) }
        var body = try schema(merged, ptr)
        if tracked, let rule = mergesInProgress.removeValue(forKey: key) ?? nil {
            g.define(rule, body)
            body = .ref(rule)
        }
        mergedDone[key] = (body, nil)
        return body
    }

    mutating func refExpr(_ r: String, _ ptr: String) throws(GrammarError) -> GrammarExpr {
        if let rule = refRules[r] { return .ref(rule) }
        let target = try merger.resolve(r, ptr)
        let rule = g.declare(r)
        refRules[r] = rule
        let body = try schema(target, String(r.dropFirst()))
        g.define(rule, body)
        return .ref(rule)
    }

    // MARK: strings

    mutating func stringExpr(_ o: JSONObject, _ ptr: String) throws(GrammarError) -> GrammarExpr {
        if let excluded = o[Self.notPatternKey]?.arrayValue {
            // `not: {pattern: p}`: the strings of the rest whose text no spelling of a match
            // of p reaches (product with the complement of p's string automaton).
            var rest = o
            _ = rest.removeValue(forKey: Self.notPatternKey)
            let whole = try stringExpr(rest, ptr)
            if whole == .nothing { return whole }
            do throws(GrammarError) {
                guard var dfa = try ByteDFA.from(inlineLexemes(whole)) else { throw GrammarError("the string automaton has calls") }
                for p in excluded {
                    guard let pattern = p.stringValue else { throw GrammarError("must be a string") }
                    var parser = RegexParser(pattern)
                    let body = try parser.parse().anchoredExpr(render: JSONLexemes.char, search: true, any: .any)
                    guard let match = try ByteDFA.from(.seq([.literal("\""), body, .literal("\"")])) else { throw GrammarError("the pattern automaton has calls") }
                    dfa = try dfa.intersection(match.complement())
                }
                return dfa.trimmed().expr
            } catch { throw fail("not", ptr + "/not", "the complement of 'pattern': \(error.message)") }
        }
        let minLen = try count(o, "minLength", ptr) ?? 0
        let maxLen = try count(o, "maxLength", ptr)
        if let maxLen, maxLen < minLen { return .nothing }
        let quote = GrammarExpr.literal("\"")
        let hasLength = minLen > 0 || maxLen != nil
        // Strings whose automaton depends only on their keywords (bounds, pattern, format) are
        // lexeme rules named by a tag spelling those keywords: one rule per tag, called from every
        // use and cached process-wide (``addLexeme(_:name:_:)``).
        let bounds = "{\(minLen),\(maxLen.map(String.init) ?? "")}"
        if let p = o["pattern"] {
            guard let pattern = p.stringValue else { throw fail("pattern", ptr + "/pattern", "must be a string") }
            let tag = "json_pattern" + bounds + "/" + pattern
            if let r = lexemeByTag[tag] { return .ref(r) }
            var parser = RegexParser(pattern)
            let node: RegexNode
            do { node = try parser.parse() } catch { throw fail("pattern", ptr + "/pattern", error.message) }
            let body: GrammarExpr
            do { body = try node.anchoredExpr(render: JSONLexemes.char, search: true, any: .any) } catch { throw fail("pattern", ptr + "/pattern", error.message) }
            let content = hasLength ? try lengthBounded(body, minLen, maxLen, "pattern", ptr) : body
            return addLexeme(tag, name: ptr + "/pattern", .seq([quote, content, quote]))
        }
        if let f = o["format"]?.stringValue, let regex = Self.formats[f] {
            let tag = "json_format/\(f)" + (hasLength ? bounds : "")
            if let r = lexemeByTag[tag] { return .ref(r) }
            var parser = RegexParser(regex)
            let body = try parser.parse().anchoredExpr(render: JSONLexemes.char, search: false, any: .any)
            return addLexeme(tag, name: tag, .seq([quote, hasLength ? try lengthBounded(body, minLen, maxLen, "format", ptr) : body, quote]))
        }
        if maxLen ?? 0 > Self.maxRepetition || minLen > Self.maxRepetition {
            throw fail(maxLen ?? 0 > Self.maxRepetition ? "maxLength" : "minLength", ptr, "above the supported \(Self.maxRepetition)")
        }
        if !hasLength { return .ref(stringRule()) }
        // Bounded strings: a rule per pair of bounds (built once per process) counting calls of
        // the one-character lexeme, so the counter costs one state per length instead of a copy
        // of the character automaton per length (the mask walk reads plain text through such
        // calls a trie subtree at a time, see MaskWalker.charSuccessors).
        let tag = "json_string" + bounds
        if let r = lexemeByTag[tag] { return .ref(r) }
        let char = GrammarExpr.ref(lexeme("json_char", JSONLexemes.anyChar))
        return addLexeme(tag, name: tag, .seq([quote, .rep(char, min: minLen, max: maxLen), quote]))
    }

    /// String content matching `body` with `minLen...maxLen` characters: the product of the
    /// content automaton and a character counter (lengths up to 256).
    func lengthBounded(_ body: GrammarExpr, _ minLen: Int, _ maxLen: Int?, _ key: String, _ ptr: String) throws(GrammarError) -> GrammarExpr {
        let limit = 256
        if (maxLen ?? minLen) > limit { throw fail(key, ptr + "/" + key, "\(key) together with a length above \(limit) is not supported") }
        do throws(GrammarError) {
            guard let content = try ByteDFA.from(body) else { throw GrammarError("calls inside the content") }
            let length = try ByteDFA.from(.rep(JSONLexemes.anyChar, min: minLen, max: maxLen))!
            return try content.intersection(length).expr
        } catch { throw fail(key, ptr + "/" + key, "together with minLength/maxLength: \(error.message)") }
    }

    /// Whether `e` is (or calls, or is an alternative of) an object that takes members beyond
    /// its declared properties.
    func takesExtraMembers(_ e: GrammarExpr, depth: Int = 0) -> Bool {
        guard depth < 4 else { return false }
        switch e {
        case .members(_, _, let extra, _): return extra != nil
        case .seq(let xs): return xs.contains { takesExtraMembers($0, depth: depth + 1) }
        case .alt(let xs): return xs.contains { takesExtraMembers($0, depth: depth + 1) }
        case .ref(let r): return r < g.rules.count && !g.noInline.contains(r) && takesExtraMembers(g.rules[r], depth: depth + 1)
        default: return false
        }
    }

    func count(_ o: JSONObject, _ key: String, _ ptr: String) throws(GrammarError) -> Int? {
        guard let v = o[key] else { return nil }
        guard let d = v.doubleValue, d >= 0, d == d.rounded() else { throw fail(key, ptr + "/" + key, "must be a non-negative integer") }
        return d > 1e9 ? 1_000_000_000 : Int(d)
    }

    /// Regular expressions of the supported `format` values (RFC 3339 date/time, RFC 5322
    /// dot-atom email, RFC 4122 UUID, RFC 3986 absolute URI, dotted-quad IPv4).
    static let formats: [String: String] = {
        let leap = "([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
        let date = "([0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|" + leap + "-02-29)"
        let time = "([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([zZ]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
        let octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
        let atom = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
        return [
            "date": date,
            "time": time,
            "date-time": date + "[Tt ]" + time,
            "email": "(" + atom + "(\\." + atom + ")*|\"([^\"\\\\]|\\\\.)*\")@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[" + octet + "(\\." + octet + "){3}\\]|\\[IPv6:[0-9A-Fa-f:.]+\\])",
            "uuid": "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "uri": "[A-Za-z][A-Za-z0-9+.-]*:[^\\s\"<>\\\\^`{|}]*",
            "ipv4": octet + "\\." + octet + "\\." + octet + "\\." + octet,
        ]
    }()
}
