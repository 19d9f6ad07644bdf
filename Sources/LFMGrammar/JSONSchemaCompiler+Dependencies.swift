import OrderedJSON

extension JSONSchemaCompiler {
    /// Most dependencies of one object schema (the alternatives double with each one).
    static let maxDependencies = 6
    /// Up to this many dependencies, an undeclared trigger may come before or after its names.
    static let maxOrderedDependencies = 3

    /// Rewrites `dependentRequired`, `dependentSchemas` and draft-4..7 `dependencies` into
    /// presence alternatives merged through `allOf`: for a property `p` with dependency `d`,
    /// `anyOf: [{properties: {p: false}}, {required: […d, p]} or allOf[{required: [p]}, d]]` — `p` is absent, or present
    /// together with the required names (array form) or the dependent schema. Exact for
    /// objects and vacuous for other values, as the keywords are.
    func rewriteDependencies(_ o: inout JSONObject, _ ptr: String) throws(GrammarError) {
        if o["dependentRequired"] == nil && o["dependentSchemas"] == nil && o["dependencies"] == nil { return }
        var parts: [JSONValue] = []
        var seen: [String] = []
        let declared = Set(o["properties"]?.objectValue?.keys ?? [])
        let count = ["dependentRequired", "dependentSchemas", "dependencies"].reduce(0) { $0 + (o[$1]?.objectValue?.count ?? 0) }
        for key in ["dependentRequired", "dependentSchemas", "dependencies"] {
            guard let v = o[key] else { continue }
            guard let deps = v.objectValue else { throw fail(key, ptr + "/" + key, "must be an object") }
            _ = o.removeValue(forKey: key)
            seen.append(key)
            for (name, dep) in deps {
                let depPtr = ptr + "/" + key + "/" + Self.escapePointer(name)
                let present: JSONValue
                if let names = dep.arrayValue {
                    guard key != "dependentSchemas", names.allSatisfy({ $0.stringValue != nil }) else {
                        throw fail(key, depPtr, "must be an array of property names")
                    }
                    if names.isEmpty { continue }
                    // Undeclared names are written in `required` order: the trigger last, or
                    // (while the alternatives stay few: 3 per dependency) also first.
                    present = .object(["required": .array(names + [.string(name)])])
                    if count <= Self.maxOrderedDependencies && !declared.contains(name) {
                        let first: JSONValue = .object(["required": .array([.string(name)] + names)])
                        parts.append(.object(["anyOf": .array([.object(["properties": .object([name: false])]), present, first])]))
                        continue
                    }
                } else {
                    guard key != "dependentRequired", dep.objectValue != nil || dep.boolValue != nil else {
                        throw fail(key, depPtr, key == "dependentRequired" ? "must be an array of property names" : "must be a schema")
                    }
                    if dep == .bool(true) { continue }
                    present = .object(["allOf": .array([.object(["required": .array([.string(name)])]), dep])])
                }
                parts.append(.object(["anyOf": .array([.object(["properties": .object([name: false])]), present])]))
            }
        }
        if parts.count > Self.maxDependencies, let (split, rest) = Self.discriminated(parts), rest.count < Self.maxDependencies {
            parts = [split] + rest
        }
        if parts.count > Self.maxDependencies {
            throw fail(seen[0], ptr + "/" + seen[0], "more than \(Self.maxDependencies) dependencies in one schema are not supported")
        }
        if !parts.isEmpty { o["allOf"] = .array((o["allOf"]?.arrayValue ?? []) + parts) }
    }

    /// Dependencies that each allow their trigger only beside certain values of one other
    /// property (`p: {properties: {k: {enum: E_p}}}`, a discriminator: "this field only for
    /// these types"), as one split on k instead of two alternatives per dependency: k absent
    /// (every trigger allowed), or k's value in one class of values that the same E_p contain
    /// with the triggers whose E_p lacks it absent, or k's value in none of them with all those
    /// triggers absent. Exact; as many alternatives as classes plus two. `parts` are the
    /// rewritten dependencies (`anyOf: [{properties: {p: false}}, {allOf: [{required: [p]}, dep]}]`);
    /// returns the split and the parts it does not cover, or nil when fewer than two share a k.
    static func discriminated(_ parts: [JSONValue]) -> (JSONValue, [JSONValue])? {
        // (trigger, k, values) of the parts in the discriminator form.
        var found: [(index: Int, trigger: String, key: String, values: [JSONValue])] = []
        for (i, part) in parts.enumerated() {
            guard let alts = part.objectValue?["anyOf"]?.arrayValue, alts.count == 2,
                  let absent = alts[0].objectValue?["properties"]?.objectValue, absent.count == 1,
                  let trigger = absent.keys.first, absent[trigger] == .bool(false),
                  let both = alts[1].objectValue?["allOf"]?.arrayValue, both.count == 2,
                  let dep = both[1].objectValue, dep.count == 1,
                  let props = dep["properties"]?.objectValue, props.count == 1,
                  let key = props.keys.first, key != trigger,
                  let restriction = props[key]?.objectValue, restriction.count == 1,
                  let values = restriction["enum"]?.arrayValue ?? restriction["const"].map({ [$0] }) else { continue }
            found.append((i, trigger, key, values))
        }
        // The key most dependencies restrict.
        var byKey: [String: Int] = [:]
        for f in found { byKey[f.key, default: 0] += 1 }
        guard let (key, n) = byKey.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }), n >= 2 else { return nil }
        let group = found.filter { $0.key == key }
        var union: [JSONValue] = []
        for f in group { for v in f.values where !union.contains(where: { sameValue($0, v) }) { union.append(v) } }
        // Values with the same membership in every E_p form one class.
        var classes: [(members: [Bool], values: [JSONValue])] = []
        for v in union {
            let members = group.map { f in f.values.contains { sameValue($0, v) } }
            if let c = classes.firstIndex(where: { $0.members == members }) { classes[c].values.append(v) }
            else { classes.append((members, [v])) }
        }
        func absent(_ triggers: [String]) -> JSONObject {
            var o: JSONObject = [:]
            for t in triggers { o[t] = false }
            return o
        }
        var alts: [JSONValue] = [.object(["properties": .object([key: false])])]
        for c in classes {
            var props = absent(zip(group, c.members).filter { !$0.1 }.map(\.0.trigger))
            props[key] = .object(["enum": .array(c.values)])
            alts.append(.object(["properties": .object(props)]))
        }
        var other = absent(group.map(\.trigger))
        other[key] = .object(["not": .object(["enum": .array(union)])])
        alts.append(.object(["properties": .object(other)]))
        let covered = Set(group.map(\.index))
        let rest = parts.indices.filter { !covered.contains($0) }.map { parts[$0] }
        return (.object(["anyOf": .array(alts)]), rest)
    }
}
