import OrderedJSON

/// `unevaluatedProperties` / `unevaluatedItems` beside in-place applicators that are merged
/// (`allOf`, `$ref`, and `anyOf` / `oneOf` distributed over their branches): after merging, the
/// members the parts evaluate are the merged schema's, so the keyword acts as
/// `additionalProperties` / `items` of the merged schema. A `not` beside them evaluates nothing
/// (it never keeps annotations): its complement is merged afterwards like any `allOf` part, so
/// the closed schema restricts the members only the complement names. Where a part could
/// evaluate members the merge cannot see (`if`, `contains`, dynamic references) it is refused.
extension SchemaMerger {
    static let unevaluatedKeys = ["unevaluatedProperties", "unevaluatedItems"]
    /// Keywords beside which the merged form is not exact.
    static let unevaluatedBlockers = ["if", "then", "else", "contains", "$dynamicRef", "$recursiveRef", "dependentSchemas", "dependencies"]
    /// Applicators that are merged before the schema is compiled.
    static let mergedApplicators = ["allOf", "anyOf", "oneOf", "$ref"]

    /// Removes the unevaluated* keywords of `o` (to attach to the merged result with ``attachUnevaluated(_:_:_:)``).
    static func takeUnevaluated(_ o: inout JSONObject) -> JSONObject {
        var u: JSONObject = [:]
        for k in unevaluatedKeys { if let v = o.removeValue(forKey: k) { u[k] = v } }
        return u
    }

    /// `o` with the unevaluated* keywords `u` of the schema it was merged for: turned into
    /// additionalProperties / items when nothing else can evaluate members, kept for the next
    /// merge when `o` still has merged applicators, refused beside other applicators.
    /// `merged`: `o` is a merge result (its `items` is written only when a part gave one).
    static func attachUnevaluated(_ o: JSONObject, _ u: JSONObject, _ ptr: String, merged: Bool = true) throws(GrammarError) -> JSONObject {
        var o = o
        if u.isEmpty { return o }
        // o's own unevaluated* apply to o's evaluation, which includes the carried scope.
        for k in unevaluatedKeys where o[k] != nil && u[k] != nil && o[k] != u[k] {
            throw GrammarError("schema keyword '\(k)' at \(displayPointer(ptr)): nested \(k) beside applicators is not supported")
        }
        if let b = unevaluatedBlockers.first(where: { o[$0] != nil }) {
            throw GrammarError("schema keyword '\(u.keys.first!)' at \(displayPointer(ptr)): not supported beside '\(b)'")
        }
        if mergedApplicators.contains(where: { o[$0] != nil }) {
            for (k, v) in u { o[k] = v }
            return o
        }
        if let v = u["unevaluatedProperties"], o["additionalProperties"] == nil { o["additionalProperties"] = v }
        if let v = u["unevaluatedItems"] {
            if o["prefixItems"] != nil { if o["items"] == nil { o["items"] = v } }
            else if o["items"]?.arrayValue != nil { if o["additionalItems"] == nil { o["additionalItems"] = v } }
            else if o["items"] == nil { o["items"] = v }
        }
        return o
    }

    /// A part's own unevaluated* (its scope is the part alone): settled before merging it.
    static func settleUnevaluated(_ o: JSONObject, _ ptr: String) throws(GrammarError) -> JSONObject {
        var o = o
        let u = takeUnevaluated(&o)
        if u.isEmpty { return o }
        if let a = mergedApplicators.first(where: { o[$0] != nil }) {
            throw GrammarError("schema keyword '\(u.keys.first!)' at \(displayPointer(ptr)): not supported beside '\(a)' inside allOf")
        }
        return try attachUnevaluated(o, u, ptr, merged: false)
    }

    /// The properties of the `anyOf` branches (by index) that a valid instance's other branch
    /// may be joined by: in `anyOf`, every branch that holds evaluates its members, so a member
    /// of branch j counts beside branch i whenever branch j holds. Only branches that hold exactly
    /// when their present members are valid qualify — objects of `properties` with no required
    /// name, or with one required name that is their only property — so adding their members as
    /// optional properties to the other branches never admits a member no branch evaluates.
    static func crossEvaluated(_ parts: [JSONValue]) -> [Int: JSONObject] {
        var out: [Int: JSONObject] = [:]
        for (i, p) in parts.enumerated() {
            guard let o = p.objectValue, let props = o["properties"]?.objectValue, !props.isEmpty else { continue }
            let allowed: Set<String> = ["properties", "required", "type"]
            guard o.keys.allSatisfy({ allowed.contains($0) || JSONSchemaCompiler.isAnnotation($0) }) else { continue }
            if let t = o["type"], t != .string("object") { continue }
            let req = (o["required"]?.arrayValue ?? []).compactMap(\.stringValue)
            guard req.isEmpty || (req.count == 1 && props.count == 1 && props[req[0]] != nil) else { continue }
            out[i] = props
        }
        return out
    }

    /// The optional properties `crossEvaluated` gives branch `i` (other branches', in order), or nil.
    /// Names the branch or its siblings declare (`evaluated`) count anyway and are left alone.
    static func crossProperties(_ cross: [Int: JSONObject], except i: Int, evaluated: Set<String>) -> JSONObject? {
        var props: JSONObject = [:]
        for j in cross.keys.sorted() where j != i {
            for (name, s) in cross[j]! where !evaluated.contains(name) {
                if let e = props[name] { props[name] = .object(["allOf": .array([e, s])]) } else { props[name] = s }
            }
        }
        return props.isEmpty ? nil : props
    }
}
