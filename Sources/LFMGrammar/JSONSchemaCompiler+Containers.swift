import OrderedJSON

extension JSONSchemaCompiler {
    /// Large member/item expressions become rules of their own so they are not copied.
    mutating func shared(_ e: GrammarExpr, _ name: String) -> GrammarExpr {
        if e.size(upTo: 400) <= 400 { return e }
        return .ref(g.add(name, e))
    }

    /// Above this estimate of the states inline property names need, names are called rules.
    static let maxInlineKeyStates = 4_000

    mutating func objectExpr(_ o: JSONObject, _ ptr: String) throws(GrammarError) -> GrammarExpr {
        let ws = wsRef()
        var props: [(String, JSONValue)] = []
        if let p = o["properties"] {
            guard let po = p.objectValue else { throw fail("properties", ptr + "/properties", "must be an object") }
            for (k, v) in po { props.append((k, v)) }
        }
        var required = Set<String>()
        if let r = o["required"] {
            guard let ra = r.arrayValue else { throw fail("required", ptr + "/required", "must be an array of strings") }
            for x in ra { guard let s = x.stringValue else { throw fail("required", ptr + "/required", "must be an array of strings") }; required.insert(s) }
        }
        let additional: JSONValue = o["additionalProperties"] ?? (strict ? false : true)
        for name in (o["required"]?.arrayValue ?? []).compactMap(\.stringValue) where !props.contains(where: { $0.0 == name }) {
            props.append((name, additional))
        }
        let keys = try keyConstraints(o, ptr)
        // Each declared name can be read at every member position up to its own, so inline
        // names cost about Σ length × position automaton states; past a bound each name is a
        // called lexeme rule instead (one small automaton, its masks shared across grammars).
        let keyCost = props.enumerated().reduce(0) { $0 + ($1.element.0.utf8.count + 2) * ($1.offset + 1) }
        let callKeys = keyCost > Self.maxInlineKeyStates
        var items: [GrammarExpr] = [], optional: [Bool] = []
        let split = o[Self.orderSplitKey]?.doubleValue.map { Int($0) } ?? 0
        var itemSplit = 0
        for (index, (k, v0)) in props.enumerated() {
            if index == split { itemSplit = items.count }
            var v = v0
            if let keys {
                if !keys.nameAllowed(k) {
                    if required.contains(k) { return .nothing }
                    continue
                }
                let matching = keys.patternSchemas(matching: k)
                if !matching.isEmpty {
                    // A required name that is not a declared property takes the pattern schemas
                    // instead of additionalProperties.
                    let declared = o["properties"]?.objectValue?[k] != nil
                    v = .object(["allOf": .array((declared ? [v] : []) + matching)])
                }
            }
            let valuePtr = ptr + "/properties/" + Self.escapePointer(k)
            let value = try schema(v, valuePtr)
            if case .alt(let xs) = value, xs.isEmpty {
                if required.contains(k) { return unsatisfiable(fail("required", ptr + "/required", "required property '\(k)' cannot have any value")) }
                continue
            }
            let name = callKeys ? GrammarExpr.ref(lexeme("key " + JSONValue.string(k).serialized(), JSONLexemes.keyString(k), builtin: false)) : JSONLexemes.keyString(k)
            items.append(shared(.seq([name, ws, .literal(":"), ws, value]), "\(ptr)/properties/\(k)"))
            optional.append(!required.contains(k))
        }
        var extra: GrammarExpr?
        if let keys {
            extra = try keyedExtra(keys, declared: props.map(\.0), additional: additional, ptr)
        } else if additional != .bool(false) {
            let value = try schema(additional, ptr + "/additionalProperties")
            if !(value == .nothing) {
                let key = props.isEmpty ? GrammarExpr.ref(stringRule()) : extraKey(excluding: props.map(\.0))
                extra = shared(.seq([key, ws, .literal(":"), ws, value]), "\(ptr)/additionalProperties")
            }
        }
        if let e = extra, e.size(upTo: 1_000 / (items.count + 1)) * (items.count + 1) > 1_000 {
            // The members NFA builds the extra member once per position: call it instead.
            let r = g.add("\(ptr)/additionalProperties#extra", e)
            g.noInline.insert(r)
            extra = .ref(r)
        }
        let empty = GrammarExpr.seq([.literal("{"), ws, .literal("}")])
        let sep = GrammarExpr.seq([ws, .literal(","), ws])
        let minP = try count(o, "minProperties", ptr) ?? 0, maxP = try count(o, "maxProperties", ptr)
        let requiredCount = optional.filter { !$0 }.count
        if let maxP, maxP < max(minP, requiredCount) { return .nothing }
        if items.isEmpty && extra == nil { return minP > 0 ? .nothing : empty }
        let possible = extra == nil ? items.count : Int.max
        if minP > possible { return .nothing }
        let countsFree = minP <= requiredCount && (maxP.map { possible <= $0 } ?? true)
        var body: GrammarExpr
        if countsFree {
            body = .members(items, optional: optional, extra: extra, separator: sep)
            if itemSplit > 0 && itemSplit < items.count {
                let swapped = Array(items[itemSplit...] + items[..<itemSplit]), swappedOptional = Array(optional[itemSplit...] + optional[..<itemSplit])
                body = .alt([body, .members(swapped, optional: swappedOptional, extra: extra, separator: sep)])
            }
        } else if items.isEmpty, let extra {
            // Only extra members: count them.
            if maxP == 0 { return empty }
            if max(minP, maxP ?? 0) > Self.maxRepetition { throw fail("maxProperties", ptr + "/maxProperties", "above the supported \(Self.maxRepetition)") }
            let x = shared(extra, "\(ptr)/additionalProperties#member")
            body = .seq([x, .rep(.seq([sep, x]), min: max(0, minP - 1), max: maxP.map { $0 - 1 })])
            if minP == 0 { return .alt([empty, .seq([.literal("{"), ws, body, ws, .literal("}")])]) }
        } else if minP == 1 && requiredCount == 0 && (maxP.map { possible <= $0 } ?? true) {
            // At least one member: the first one written is item i, or an extra member.
            var alts: [GrammarExpr] = []
            for i in items.indices {
                var opt = Array(optional[i...]); opt[0] = false
                alts.append(.members(Array(items[i...]), optional: opt, extra: extra, separator: sep))
            }
            if let extra { alts.append(.seq([extra, .star(.seq([sep, extra]))])) }
            body = .alt(alts)
        } else if maxP == 1 {
            // At most one member ("one of these keys"): one item or one extra member, alone.
            var alts: [GrammarExpr] = []
            for i in items.indices where requiredCount == 0 || !optional[i] { alts.append(items[i]) }
            if let extra, requiredCount == 0 { alts.append(extra) }
            let emptyAllowed = minP == 0 && requiredCount == 0
            if alts.isEmpty { return emptyAllowed ? empty : .nothing }
            let one = GrammarExpr.seq([.literal("{"), ws, .alt(alts), ws, .literal("}")])
            return emptyAllowed ? .alt([empty, one]) : one
        } else {
            let k = minP > requiredCount ? "minProperties" : "maxProperties"
            throw fail(k, ptr + "/" + k, "counting members is only supported for objects whose members are all additional, for minProperties 1 and for maxProperties 1")
        }
        return .seq([.literal("{"), ws, body, ws, .literal("}")])
    }

    /// A JSON string other than the given names in any spelling (an extra member's key), built
    /// once per list of names: the variants of one object that merges and branches make
    /// (`allOf`, `anyOf`, conditionals) share it.
    mutating func extraKey(excluding names: [String]) -> GrammarExpr {
        if let e = extraKeys[names] { return e }
        let e = JSONLexemes.stringExcluding(names, tail: .ref(lexeme("json_string_rest", .seq([.star(JSONLexemes.anyChar), .literal("\"")]))), escapeTail: .ref(lexeme("json_string_escape_rest", .seq([JSONLexemes.otherEscape, .star(JSONLexemes.anyChar), .literal("\"")]))), nonASCIITail: .ref(lexeme("json_string_nonascii_rest", JSONLexemes.nonASCIIStringRest)))
        extraKeys[names] = e
        return e
    }

    mutating func arrayExpr(_ o: JSONObject, _ ptr: String) throws(GrammarError) -> GrammarExpr {
        let ws = wsRef()
        var prefix: [JSONValue] = []
        var rest: JSONValue = true
        var restPtr = ptr + "/items"
        if let p = o["prefixItems"] {
            guard let pa = p.arrayValue else { throw fail("prefixItems", ptr + "/prefixItems", "must be an array") }
            prefix = pa
            if let i = o["items"] { rest = i }
        } else if let i = o["items"] {
            if let ia = i.arrayValue {
                prefix = ia
                rest = o["additionalItems"] ?? true
                restPtr = ptr + "/additionalItems"
            } else {
                rest = i
            }
        }
        if let c = o["contains"] { return try containsExpr(o, c, rest: rest, restPtr: restPtr, prefix: prefix, ptr) }
        let minItems = try count(o, "minItems", ptr) ?? 0
        var maxItems = try count(o, "maxItems", ptr)
        if maxItems ?? 0 > Self.maxRepetition || minItems > Self.maxRepetition {
            throw fail(minItems > Self.maxRepetition ? "minItems" : "maxItems", ptr, "above the supported \(Self.maxRepetition)")
        }
        var prefixExprs: [GrammarExpr] = []
        for (i, p) in prefix.enumerated() {
            let e = try schema(p, ptr + (o["prefixItems"] != nil ? "/prefixItems/\(i)" : "/items/\(i)"))
            if e == .nothing { maxItems = min(maxItems ?? i, i); break }
            prefixExprs.append(e)
        }
        var restExpr = try schema(rest, restPtr)
        if restExpr == .nothing { maxItems = min(maxItems ?? prefixExprs.count, prefixExprs.count) }
        if let m = maxItems, m < minItems { return .nothing }
        if let m = maxItems, m <= prefixExprs.count { prefixExprs = Array(prefixExprs.prefix(m)) }
        let sep = GrammarExpr.seq([ws, .literal(","), ws])
        let lp = prefixExprs.count
        let restCount = maxItems.map { $0 - lp } ?? nil
        if (restCount ?? 2) > 1 && (restExpr.size > 200 || (restCount ?? 0) * restExpr.size > 20_000) {
            restExpr = .ref(g.add("\(restPtr)", restExpr))
        }
        // Elements from position `pos` on, each preceded by a separator.
        func tail(_ pos: Int) -> GrammarExpr {
            if pos >= lp {
                if restCount == 0 || maxItems.map({ pos >= $0 }) == true { return .empty }
                return .rep(.seq([sep, restExpr]), min: max(0, minItems - pos), max: maxItems.map { $0 - pos })
            }
            let e = GrammarExpr.seq([sep, prefixExprs[pos], tail(pos + 1)])
            return pos >= minItems ? .optional(e) : e
        }
        var first: GrammarExpr
        if lp > 0 {
            first = .seq([prefixExprs[0], tail(1)])
        } else if maxItems == 0 {
            first = .nothing
        } else {
            first = .seq([restExpr, tail(1)])
        }
        if minItems == 0 { first = .optional(first) }
        return .seq([.literal("["), ws, first, ws, .literal("]")])
    }

    /// Arrays with `contains`: elements satisfying `items` and `contains` (B) between
    /// minContains (default 1) and maxContains times, the others satisfying `items` (and, when
    /// maxContains bounds the count, not `contains`: N, the complement must be expressible).
    /// A list with at least one B is `(N (sep N)* sep)? B (sep N)* (sep B (sep N)*){min-1, max-1}`.
    mutating func containsExpr(_ o: JSONObject, _ c: JSONValue, rest: JSONValue, restPtr: String, prefix: [JSONValue], _ ptr: String) throws(GrammarError) -> GrammarExpr {
        let ws = wsRef()
        let minC = try count(o, "minContains", ptr) ?? 1
        let maxC = try count(o, "maxContains", ptr)
        if let maxC, maxC < minC { return unsatisfiable(fail("maxContains", ptr + "/maxContains", "is below minContains")) }
        if minC == 0 && maxC == nil {
            // Vacuous: any array of items.
            var plain = o
            for k in ["contains", "minContains", "maxContains"] { _ = plain.removeValue(forKey: k) }
            return try arrayExpr(plain, ptr)
        }
        guard prefix.isEmpty, o["maxItems"] == nil, (try count(o, "minItems", ptr) ?? 0) <= max(1, minC) else {
            throw fail("contains", ptr + "/contains", "contains together with prefixItems, maxItems or minItems above minContains is not supported")
        }
        if max(minC, maxC ?? 0) > 64 {
            throw fail(maxC ?? 0 > 64 ? "maxContains" : "minContains", ptr, "above the supported 64")
        }
        let both = try schema(try merger.merge(rest, c, ptr + "/contains"), ptr + "/contains")
        let other: GrammarExpr
        if maxC != nil {
            do {
                other = try schema(try merger.merge(rest, .object(["not": c]), ptr + "/contains"), ptr + "/contains")
            } catch {
                throw fail("maxContains", ptr + "/maxContains", "needs the complement of 'contains', which cannot be expressed (\(error.message))")
            }
        } else {
            other = try schema(rest, restPtr)
        }
        let sep = GrammarExpr.seq([ws, .literal(","), ws])
        let x = shared(other, "\(restPtr)#other"), b = shared(both, "\(ptr)/contains#both")
        let ns = GrammarExpr.star(.seq([sep, x]))
        var alts: [GrammarExpr] = []
        if minC == 0 { alts += [.empty, .seq([x, ns])] }
        if maxC != 0 && both != .nothing {
            alts.append(.seq([.optional(.seq([x, ns, sep])), b, ns,
                              .rep(.seq([sep, b, ns]), min: max(0, minC - 1), max: maxC.map { $0 - 1 })]))
        }
        if alts.isEmpty { return .nothing }
        return .seq([.literal("["), ws, alts.count == 1 ? alts[0] : .alt(alts), ws, .literal("]")])
    }

    static func escapePointer(_ s: String) -> String {
        s.replacingOccurrencesOf("~", "~0").replacingOccurrencesOf("/", "~1")
    }
}

extension String {
    func replacingOccurrencesOf(_ a: String, _ b: String) -> String {
        guard let first = a.utf8.first, utf8.contains(first) else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: a) {
            out += rest[..<r.lowerBound] + b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        let n = Array(needle.utf8)
        guard !n.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].utf8.starts(with: n) { return i..<utf8.index(i, offsetBy: n.count) }
            i = index(after: i)
        }
        return nil
    }
}
