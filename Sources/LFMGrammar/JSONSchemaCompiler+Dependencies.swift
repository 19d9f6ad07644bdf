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
        if parts.count > Self.maxDependencies {
            throw fail(seen[0], ptr + "/" + seen[0], "more than \(Self.maxDependencies) dependencies in one schema are not supported")
        }
        if !parts.isEmpty { o["allOf"] = .array((o["allOf"]?.arrayValue ?? []) + parts) }
    }
}
