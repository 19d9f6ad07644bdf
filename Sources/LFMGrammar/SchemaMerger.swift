import OrderedJSON

/// Resolves local `$ref`s and merges `allOf` parts into one schema where the keywords allow
/// it (intersecting types, enums and bounds; uniting properties and required).
struct SchemaMerger {
    let root: JSONValue
    /// Whether the root declares draft 3, 4, 6 or 7, where a `$ref` replaces its whole schema
    /// object (siblings are ignored); from 2019-09 on, siblings apply beside it. Read once.
    let refIgnoresSiblings: Bool

    /// Keywords the root's declared draft does not have (``ignoredKeywords(_:)``). Read once.
    let ignored: Set<String>

    /// A merger over `root`; `refIgnoresSiblings` and `ignored` as ``refIgnoresSiblings(_:)``
    /// and ``ignoredKeywords(_:)`` compute them (compilers read them once and pass them to the
    /// many mergers they make).
    init(root: JSONValue, refIgnoresSiblings: Bool? = nil, ignored: Set<String>? = nil) {
        self.root = root
        self.refIgnoresSiblings = refIgnoresSiblings ?? Self.refIgnoresSiblings(root)
        self.ignored = ignored ?? Self.ignoredKeywords(root)
    }

    /// The keywords (of other drafts) that the draft the root declares in `$schema` does not
    /// define: unknown keywords there, which assert nothing — as validators of that draft treat
    /// them (`dependencies` in 2019-09 and 2020-12; `prefixItems`, `dependentRequired`, … up to
    /// draft 7). Without `$schema` every draft's keywords apply.
    static func ignoredKeywords(_ root: JSONValue) -> Set<String> {
        guard let d = root.objectValue?["$schema"]?.stringValue else { return [] }
        let later: Set<String> = ["dependentRequired", "dependentSchemas", "prefixItems", "unevaluatedProperties",
                                  "unevaluatedItems", "$dynamicRef", "$recursiveRef"]
        if d.contains("draft/2020-12") { return ["dependencies", "$recursiveRef"] }
        if d.contains("draft/2019-09") { return ["dependencies", "prefixItems", "$dynamicRef"] }
        if d.contains("draft-07") { return later }
        if d.contains("draft-06") { return later.union(["if", "then", "else"]) }
        if d.contains("draft-04") { return later.union(["if", "then", "else", "const", "contains", "propertyNames"]) }
        return []
    }

    /// `o` without the keywords ``ignored`` lists.
    func droppingIgnored(_ o: JSONObject) -> JSONObject {
        if ignored.isEmpty || !ignored.contains(where: { o[$0] != nil }) { return o }
        var out = o
        for k in ignored { _ = out.removeValue(forKey: k) }
        return out
    }

    static func refIgnoresSiblings(_ root: JSONValue) -> Bool {
        guard let d = root.objectValue?["$schema"]?.stringValue else { return false }
        return ["draft-03", "draft-04", "draft-06", "draft-07"].contains { d.contains($0) }
    }

    /// `open`'s patternProperties with `closed`'s additionalProperties joined to each pattern's
    /// schema (keys those patterns match are not `closed`'s properties); refused when `closed`
    /// has patterns too or one of its declared names matches an `open` pattern.
    static func closing(_ open: JSONObject, by closed: JSONObject, _ fail: (String) -> GrammarError) throws(GrammarError) -> JSONObject {
        guard closed["patternProperties"] == nil, let pp = open["patternProperties"]?.objectValue,
              let additional = closed["additionalProperties"] else { throw fail("patternProperties") }
        let names = closed["properties"]?.objectValue?.keys.map { $0 } ?? []
        var out = open
        var wrapped = pp
        for (pattern, schema) in pp {
            var parser = RegexParser(pattern)
            guard let node = try? parser.parse(), let e = try? node.utf8Expr(anchoredWhole: false),
                  let dfa = try? ByteDFA.from(e), !names.contains(where: { dfa.accepts(Array($0.utf8)) }) else {
                throw fail("patternProperties")
            }
            wrapped[pattern] = .object(["allOf": .array([schema, additional])])
        }
        out["patternProperties"] = .object(wrapped)
        return out
    }

    /// The schema a local reference (`#`, `#/$defs/x`, `#/definitions/x`, any JSON pointer) names.
    func resolve(_ ref: String, _ ptr: String) throws(GrammarError) -> JSONValue {
        guard ref.hasPrefix("#") else { throw GrammarError("schema keyword '$ref' at \(displayPointer(ptr)): only local references (#/…) are supported, got '\(ref)'") }
        var cur = root
        let path = ref.dropFirst()
        if path.isEmpty { return cur }
        guard path.hasPrefix("/") else {
            // A plain-name fragment: the subschema whose `$anchor` it is (in this document).
            if let target = Self.anchor(String(path), in: root) { return target }
            throw GrammarError("schema keyword '$ref' at \(displayPointer(ptr)): no subschema has '$anchor' \(path) (got '\(ref)')")
        }
        for raw in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let seg = Self.percentDecode(String(raw)).replacingOccurrencesOf("~1", "/").replacingOccurrencesOf("~0", "~")
            if let o = cur.objectValue, let next = o[seg] { cur = next }
            else if let a = cur.arrayValue, let i = Int(seg), a.indices.contains(i) { cur = a[i] }
            else { throw GrammarError("schema keyword '$ref' at \(displayPointer(ptr)): '\(ref)' does not resolve") }
        }
        return cur
    }

    /// The first subschema (depth-first, in document order) whose `$anchor` is `name`, outside
    /// values (`const`, `enum`, `default`, `examples`) and subschemas with their own `$id`.
    static func anchor(_ name: String, in v: JSONValue, depth: Int = 0) -> JSONValue? {
        guard depth < 64 else { return nil }
        switch v {
        case .object(let o):
            if depth > 0, o["$id"] != nil { return nil }
            if o["$anchor"]?.stringValue == name { return v }
            for (k, x) in o where !["const", "enum", "default", "examples"].contains(k) {
                if let hit = anchor(name, in: x, depth: depth + 1) { return hit }
            }
        case .array(let a):
            for x in a { if let hit = anchor(name, in: x, depth: depth + 1) { return hit } }
        default: break
        }
        return nil
    }

    static func percentDecode(_ s: String) -> String {
        guard s.contains("%") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 0x25, i + 2 < b.count, let v = UInt8(String(decoding: b[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(v); i += 3
            } else { out.append(b[i]); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The positional item schemas and the schema of the items after them.
    static func arrayForm(_ o: JSONObject) -> (prefix: [JSONValue], rest: JSONValue)? {
        if let p = o["prefixItems"]?.arrayValue { return (p, o["items"] ?? true) }
        if let ia = o["items"]?.arrayValue { return (ia, o["additionalItems"] ?? true) }
        if let i = o["items"] { return ([], i) }
        return nil
    }

    /// Whether the schema names the items after its positional ones (`items` beside
    /// `prefixItems`, `additionalItems` beside an `items` array, or `items` alone).
    static func explicitRest(_ o: JSONObject) -> Bool {
        if o["prefixItems"] != nil { return o["items"] != nil }
        if o["items"]?.arrayValue != nil { return o["additionalItems"] != nil }
        return o["items"] != nil
    }

    static func valueHasType(_ v: JSONValue, _ t: String) -> Bool {
        switch (v, t) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"): return true
        case (.integer, "integer"), (.integer, "number"), (.double, "number"): return true
        case (.double(let d), "integer"): return d == d.rounded()
        default: return false
        }
    }

    /// Inlines `$ref` (non-recursively, bounded) so a part can be merged.
    func deref(_ s: JSONValue, _ ptr: String, depth: Int = 0) throws(GrammarError) -> JSONValue {
        guard case .object(var o) = s, let r = o["$ref"]?.stringValue else { return s }
        if depth > 16 { throw GrammarError("schema keyword 'allOf' at \(displayPointer(ptr)): recursive $ref inside allOf is not supported") }
        _ = o.removeValue(forKey: "$ref")
        let target = try deref(try resolve(r, ptr), ptr, depth: depth + 1)
        if refIgnoresSiblings || o.keys.allSatisfy({ JSONSchemaCompiler.isAnnotation($0) }) { return target }
        let u = Self.takeUnevaluated(&o)
        let merged = try merge(.object(o), target, ptr)
        guard let mo = merged.objectValue, !u.isEmpty else { return merged }
        return .object(try Self.attachUnevaluated(mo, u, ptr))
    }

    /// `allOf: [a, b]`, left to be merged when compiled — or the one part when the other is
    /// `true`, kept as written (a `$ref` stays a call of its rule, not a copy of its target).
    static func both(_ a: JSONValue, _ b: JSONValue) -> JSONValue {
        if b == .bool(true) { return a }
        if a == .bool(true) { return b }
        return .object(["allOf": .array([a, b])])
    }

    /// The schema equivalent to `allOf: [a, b]` (or an error naming the keyword that cannot be merged).
    func merge(_ a: JSONValue, _ b: JSONValue, _ ptr: String) throws(GrammarError) -> JSONValue {
        // With `true` the other part is kept as written: a `$ref` stays a call of its rule
        // rather than a copy of its target.
        if a == .bool(true) { return b }
        if b == .bool(true) { return a }
        let a = try deref(a, ptr), b = try deref(b, ptr)
        if a == .bool(true) { return b }
        if b == .bool(true) { return a }
        if a == .bool(false) || b == .bool(false) { return false }
        guard var x = a.objectValue, var y = b.objectValue else { throw GrammarError("schema at \(displayPointer(ptr)) must be an object or a boolean") }
        x = droppingIgnored(x)
        y = droppingIgnored(y)
        x = try Self.settleUnevaluated(x, ptr)
        y = try Self.settleUnevaluated(y, ptr)
        // `if` without `then`/`else` (and those without `if`) have no effect; drop them so
        // parts do not combine into one conditional.
        for k in ["if", "then", "else"] where x["if"] == nil || (x["then"] == nil && x["else"] == nil) { _ = x.removeValue(forKey: k) }
        for k in ["if", "then", "else"] where y["if"] == nil || (y["then"] == nil && y["else"] == nil) { _ = y.removeValue(forKey: k) }
        // Flatten nested allOf first.
        for (name, part) in [("a", x), ("b", y)] {
            if let all = part["allOf"]?.arrayValue {
                var p = part
                _ = p.removeValue(forKey: "allOf")
                var m = JSONValue.object(p)
                for s in all { m = try merge(m, s, ptr) }
                guard let mo = m.objectValue else { return m }
                if name == "a" { x = mo } else { y = mo }
            }
        }
        var out = x
        // Two conditionals: keep b's as an allOf part of the result.
        if x["if"] != nil && y["if"] != nil {
            var cond: JSONObject = [:]
            for k in ["if", "then", "else"] { if let v = y.removeValue(forKey: k) { cond[k] = v } }
            out["allOf"] = .array([.object(cond)])
        }
        func fail(_ k: String) -> GrammarError { GrammarError("schema keyword 'allOf' at \(displayPointer(ptr)): cannot merge '\(k)'") }
        // One part's additionalProperties restricts keys the other part's patterns would admit:
        // it joins each of those patterns' schemas, which is exact when the closed part has no
        // patterns of its own and none of its declared names matches the other part's patterns.
        if x["patternProperties"] != y["patternProperties"] {
            let closes: (JSONObject) -> Bool = { o in o["additionalProperties"].map { $0 != .bool(true) } ?? false }
            if closes(x) && y["patternProperties"] != nil { y = try Self.closing(y, by: x, fail) }
            if closes(y) && x["patternProperties"] != nil { x = try Self.closing(x, by: y, fail) }
        }
        // Array items: merge position by position (prefixItems / items arrays with their rest).
        let arrayKeys: Set<String> = ["items", "prefixItems", "additionalItems"]
        let fx = Self.arrayForm(x), fy = Self.arrayForm(y)
        // The rest schema is only written when a part gives one (an implicit `true` stays
        // implicit, so a carried unevaluatedItems still sees which items are evaluated).
        if let fx, let fy {
            let n = max(fx.prefix.count, fy.prefix.count)
            func at(_ f: (prefix: [JSONValue], rest: JSONValue), _ i: Int) -> JSONValue { i < f.prefix.count ? f.prefix[i] : f.rest }
            let prefix: [JSONValue] = (0..<n).map { i in Self.both(at(fx, i), at(fy, i)) }
            let rx = Self.explicitRest(x), ry = Self.explicitRest(y)
            for k in arrayKeys { _ = out.removeValue(forKey: k) }
            if !prefix.isEmpty { out["prefixItems"] = .array(prefix) }
            if rx || ry { out["items"] = Self.both(fx.rest, fy.rest) }
            for k in arrayKeys { _ = y.removeValue(forKey: k) }
        } else if let fy {
            let ry = Self.explicitRest(y)
            for k in arrayKeys { _ = y.removeValue(forKey: k) }
            if !fy.prefix.isEmpty { out["prefixItems"] = .array(fy.prefix) }
            if ry { out["items"] = fy.rest }
        } else if let fx {
            let rx = Self.explicitRest(x)
            for k in arrayKeys { _ = out.removeValue(forKey: k) }
            if !fx.prefix.isEmpty { out["prefixItems"] = .array(fx.prefix) }
            if rx { out["items"] = fx.rest }
        }
        let px = x["properties"]?.objectValue, py = y["properties"]?.objectValue
        // b's additionalProperties also applies to a's properties when b declares none.
        if py == nil, let px, let ap = y["additionalProperties"], ap != .bool(true) {
            var props = px
            for (name, s) in px { props[name] = Self.both(s, ap) }
            out["properties"] = .object(props)
        }
        for (k, vy) in y {
            guard let vx = x[k] else {
                if k == "properties", let py {
                    // b's new properties are also subject to a's additionalProperties.
                    var props = px ?? [:]
                    for (name, s) in py where props[name] == nil {
                        if let ap = x["additionalProperties"] { props[name] = Self.both(s, ap) } else { props[name] = s }
                    }
                    out["properties"] = .object(props)
                } else {
                    out[k] = vy
                }
                continue
            }
            if vx == vy { continue }
            switch k {
            case "type":
                let tx = Set(vx.arrayValue?.compactMap(\.stringValue) ?? [vx.stringValue ?? ""])
                let ty = Set(vy.arrayValue?.compactMap(\.stringValue) ?? [vy.stringValue ?? ""])
                var t = tx.intersection(ty)
                if tx.contains("number") && ty.contains("integer") || ty.contains("number") && tx.contains("integer") { t.insert("integer") }
                if t.contains("integer") && t.contains("number") && !(tx.contains("number") && ty.contains("number")) { t.remove("number") }
                out["type"] = .array(t.sorted().map { .string($0) })
            case "properties":
                var props = px ?? [:]
                for (name, s) in py ?? [:] {
                    if let e = props[name] { props[name] = Self.both(e, s) }
                    else if let ap = x["additionalProperties"] { props[name] = Self.both(s, ap) }
                    else { props[name] = s }
                }
                for (name, s) in px ?? [:] where py?[name] == nil {
                    if let ap = y["additionalProperties"] { props[name] = Self.both(s, ap) }
                }
                out["properties"] = .object(props)
            case "required":
                var r = vx.arrayValue ?? []
                for v in vy.arrayValue ?? [] where !r.contains(v) { r.append(v) }
                out["required"] = .array(r)
            case "enum", "const":
                let ex = k == "enum" ? (vx.arrayValue ?? []) : [vx], ey = k == "enum" ? (vy.arrayValue ?? []) : [vy]
                out[k] = k == "enum" ? .array(ex.filter { ey.contains($0) }) : (ex == ey ? vx : .null)
                if k == "const" && ex != ey { return false }
            case "minimum", "exclusiveMinimum", "minLength", "minItems":
                if vx.boolValue != nil || vy.boolValue != nil { throw fail(k) }
                out[k] = (vx.doubleValue ?? 0) >= (vy.doubleValue ?? 0) ? vx : vy
            case "maximum", "exclusiveMaximum", "maxLength", "maxItems":
                if vx.boolValue != nil || vy.boolValue != nil { throw fail(k) }
                out[k] = (vx.doubleValue ?? 0) <= (vy.doubleValue ?? 0) ? vx : vy
            case "additionalProperties", "propertyNames":
                out[k] = Self.both(vx, vy)
            case "not":
                // not a and not b = not (a or b)
                out[k] = .object(["anyOf": .array([vx, vy])])
            case "multipleOf":
                guard let (p1, d1) = NumberGrammar.decimal(vx), let (p2, d2) = NumberGrammar.decimal(vy), max(d1, d2) <= 9 else { throw fail(k) }
                let d = max(d1, d2)
                let a = p1 * JSONLexemes.pow10i(d - d1), b = p2 * JSONLexemes.pow10i(d - d2)
                func gcd(_ x: Int, _ y: Int) -> Int { y == 0 ? x : gcd(y, x % y) }
                let (l, o) = (a / gcd(a, b)).multipliedReportingOverflow(by: b)
                guard !o, l <= 1_000_000_000 else { throw fail(k) }
                out[k] = d == 0 ? .integer(Int64(l)) : .double(Double(l) / Double(JSONLexemes.pow10i(d)))
            case "minProperties", "minContains":
                out[k] = (vx.doubleValue ?? 0) >= (vy.doubleValue ?? 0) ? vx : vy
            case "maxProperties", "maxContains":
                out[k] = (vx.doubleValue ?? 0) <= (vy.doubleValue ?? 0) ? vx : vy
            case "anyOf", "oneOf":
                let ax = vx.arrayValue ?? [], ay = vy.arrayValue ?? []
                guard ax.count * ay.count <= 64 else { throw fail(k) }
                var alts: [JSONValue] = []
                for p in ax { for q in ay { alts.append(.object(["allOf": .array([p, q])])) } }
                out[k] = .array(alts)
            case JSONSchemaCompiler.orderSplitKey:
                continue
            case JSONSchemaCompiler.notPatternKey:
                out[k] = .array((vx.arrayValue ?? []) + (vy.arrayValue ?? []))
            case "$defs", "definitions", "uniqueItems", "nullable":
                if k == "nullable" { out[k] = .bool(vx.boolValue == true && vy.boolValue == true) }
            default:
                if JSONSchemaCompiler.isAnnotation(k) { continue }
                throw fail(k)
            }
        }
        return .object(out)
    }
}
