import Foundation
import OrderedJSON

/// Jinja's built-in filters (`value | name(args)`), plus transformers' `tojson` override:
/// `json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)` — note that
/// its first positional parameter is `ensure_ascii`, so `tojson(2)` does not indent.
extension JinjaInterpreter {
    func applyFilter(_ name: String, to value: JinjaValue, arguments args: JinjaArguments) throws(TemplateError) -> JinjaValue {
        if Self.deepFilters.contains(name), value.isContainer {
            try chargeDeep(value)
        } else if !Self.cheapFilters.contains(name) {
            try chargeShallow(value)
        }
        switch name {
        case "tojson": return try toJSONFilter(value, args)
        case "string": return .string(value.pythonString(namespaces))
        case "safe": return .string(value.pythonString(namespaces))
        case "escape", "e", "forceescape": return .string(htmlEscape(value.pythonString(namespaces)))
        case "trim":
            let chars = args.value(0, "chars").flatMap { if case .string(let c) = $0 { return c } else { return nil } }
            return .string(PythonString.strip(value.pythonString(namespaces), chars))
        case "length", "count": return .int(try value.pythonLength())
        case "lower": return .string(value.pythonString(namespaces).lowercased())
        case "upper": return .string(value.pythonString(namespaces).uppercased())
        case "capitalize": return .string(PythonString.capitalize(value.pythonString(namespaces)))
        case "title": return .string(titleFilter(value.pythonString(namespaces)))
        case "replace":
            let old = args.value(0, "old")?.pythonString(namespaces) ?? ""
            let new = args.value(1, "new")?.pythonString(namespaces) ?? ""
            var count = -1
            if case .int(let c)? = args.value(2, "count") { count = c }
            let text = value.pythonString(namespaces)
            try checkReplace(text, old, new, count: count)
            return .string(PythonString.replace(text, old, new, count: count))
        case "default", "d":
            let fallback = args.value(0, "default_value") ?? .string("")
            let boolean = args.value(1, "boolean")?.isTruthy ?? false
            if value.isUndefined || (boolean && !value.isTruthy) { return fallback }
            return value
        case "items":
            switch value {
            case .undefined: return .list([])
            case .dict(let d): return .list(d.map { .tuple([.string($0.key), $0.value]) })
            default: throw TemplateError(.type, "Can only get item pairs from a mapping.")
            }
        case "list": return .list(try iterate(value))
        case "first":
            if let f = try iterate(value).first { return f }
            return .undefined("No first item, sequence was empty.")
        case "last":
            if let l = try iterate(value).last { return l }
            return .undefined("No last item, sequence was empty.")
        case "reverse":
            if case .string(let s) = value { return .string(String(String.UnicodeScalarView(s.unicodeScalars.reversed()))) }
            return .list(try iterate(value).reversed())
        case "join":
            let separator = args.value(0, "d")?.pythonString(namespaces) ?? ""
            var items = try iterate(value)
            if let attribute = args.value(1, "attribute") {
                items = try items.map { (x) throws(TemplateError) in try attributePath(x, attribute) }
            }
            let parts = items.map { $0.pythonString(namespaces) }
            try checkJoin(parts, separator)
            return .string(parts.joined(separator: separator))
        case "sort": return .list(try sortFilter(try iterate(value), args))
        case "unique": return .list(try uniqueFilter(try iterate(value), args))
        case "min", "max":
            let sorted = try sortFilter(try iterate(value), JinjaArguments(keywords: [
                (name: "case_sensitive", value: args.value(0, "case_sensitive") ?? .bool(false)),
                (name: "attribute", value: args.value(1, "attribute") ?? .none),
            ]))
            return (name == "min" ? sorted.first : sorted.last) ?? .undefined("No aggregated item, sequence was empty.")
        case "sum":
            var total = args.value(1, "start") ?? .int(0)
            for item in try iterate(value) {
                let x = try args.value(0, "attribute").map { (a) throws(TemplateError) in try attributePath(item, a) } ?? item
                total = try binary("+", total, x)
            }
            return total
        case "map": return .list(try mapFilter(try iterate(value), args))
        case "select", "reject": return .list(try selectFilter(try iterate(value), args, attribute: false, keep: name == "select"))
        case "selectattr", "rejectattr":
            return .list(try selectFilter(try iterate(value), args, attribute: true, keep: name == "selectattr"))
        case "attr":
            return try getAttribute(value, args.value(0, "name")?.pythonString(namespaces) ?? "")
        case "int": return intFilter(value, args)
        case "float": return floatFilter(value, args)
        case "abs":
            switch value.number {
            case .int(let i)?:
                guard i != .min else { throw TemplateError(.runtime, "integer overflow") }
                return .int(abs(i))
            case .float(let d)?: return .float(abs(d))
            case nil: throw TemplateError(.type, "bad operand type for abs(): '\(value.typeName)'")
            }
        case "round": return try roundFilter(value, args)
        case "indent": return .string(try indentFilter(value.pythonString(namespaces), args))
        case "wordcount":
            var count = 0
            var inWord = false
            for c in value.pythonString(namespaces).unicodeScalars {
                let word = c.properties.isAlphabetic || c.properties.numericType != nil || c == "_"
                if word && !inWord { count += 1 }
                inWord = word
            }
            return .int(count)
        case "dictsort":
            guard case .dict(let d) = value else { throw TemplateError(.type, "You can only sort by either \"key\" or \"value\"") }
            let byValue = args.value(1, "by")?.pythonString(namespaces) == "value"
            let pairs: [JinjaValue] = d.map { .tuple([.string($0.key), $0.value]) }
            return .list(try sortFilter(pairs, JinjaArguments(keywords: [
                (name: "reverse", value: args.value(2, "reverse") ?? .bool(false)),
                (name: "case_sensitive", value: args.value(0, "case_sensitive") ?? .bool(false)),
                (name: "attribute", value: .int(byValue ? 1 : 0)),
            ])))
        default:
            throw TemplateError(.syntax, "No filter named '\(name)'.")
        }
    }

    func nonNone(_ v: JinjaValue?) -> JinjaValue? {
        if case .none? = v { return nil }
        return v
    }

    func htmlEscape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Jinja's `title` filter: capitalise each chunk delimited by `-`, whitespace or `({[<`.
    func titleFilter(_ s: String) -> String {
        var out = ""
        var atStart = true
        for c in s.unicodeScalars {
            let delimiter = PythonString.isSpace(c) || "-({[<".unicodeScalars.contains(c)
            if delimiter {
                out.unicodeScalars.append(c)
                atStart = true
            } else {
                out += atStart ? String(c).uppercased() : String(c).lowercased()
                atStart = false
            }
        }
        return out
    }

    func toJSONFilter(_ value: JinjaValue, _ args: JinjaArguments) throws(TemplateError) -> JinjaValue {
        var options = PythonJSONOptions()
        options.ensureASCII = args.value(0, "ensure_ascii")?.isTruthy ?? false
        switch args.value(1, "indent") ?? .none {
        case .none: break
        case .int(let n):
            try checkStringBytes(n)
            options.indent = String(repeating: " ", count: max(0, n))
        case .string(let s): options.indent = s
        case let other: throw TemplateError(.type, "indent must be an int or a string, not \(other.typeName)")
        }
        if let separators = args.value(2, "separators"), case .none = separators {} else if let separators = args.value(2, "separators") {
            guard let pair = separators.sequenceElements, pair.count == 2,
                  case .string(let item) = pair[0], case .string(let key) = pair[1] else {
                throw TemplateError(.type, "separators must be a pair of strings")
            }
            options.itemSeparator = item
            options.keySeparator = key
        }
        options.sortKeys = args.value(3, "sort_keys")?.isTruthy ?? false
        // Indentation repeats per nesting level on every line: bound the serialised size first.
        let stats = try chargeDeep(value)
        let perValue = 4 + stats.depth * (options.indent?.utf8.count ?? 0)
            + (options.itemSeparator?.utf8.count ?? 2) + (options.keySeparator?.utf8.count ?? 2)
        try checkRepeat(perValue, stats.values, string: true)
        return .string(try value.toJSON().serialized(options: options))
    }

    /// Resolves a Jinja attribute path (`"a.b"`, `"0"`) with item-then-attribute lookup.
    func attributePath(_ value: JinjaValue, _ path: JinjaValue) throws(TemplateError) -> JinjaValue {
        if case .int = path { return try getItem(value, path) }
        var current = value
        for part in path.pythonString(namespaces).split(separator: ".") {
            let key: JinjaValue = Int(part).map { .int($0) } ?? .string(String(part))
            current = try getItem(current, key)
        }
        return current
    }

    func sortFilter(_ items: [JinjaValue], _ args: JinjaArguments) throws(TemplateError) -> [JinjaValue] {
        let reverse = args.value(0, "reverse")?.isTruthy ?? false
        let caseSensitive = args.value(1, "case_sensitive")?.isTruthy ?? false
        let attribute = nonNone(args.value(2, "attribute"))
        var keyed: [(JinjaValue, JinjaValue)] = []
        for item in items {
            var key = item
            if let attribute { key = try attributePath(item, attribute) }
            if !caseSensitive, case .string(let s) = key { key = .string(s.lowercased()) }
            keyed.append((key, item))
        }
        var failure: TemplateError?
        // Stable insertion-merge sort through Swift's stable sort.
        keyed = keyed.enumerated().sorted { a, b in
            do {
                if try a.element.0.pythonLess(b.element.0) { return !reverse }
                if try b.element.0.pythonLess(a.element.0) { return reverse }
            } catch {
                failure = error as? TemplateError
            }
            return a.offset < b.offset
        }.map { $0.element }
        if let failure { throw failure }
        return keyed.map { $0.1 }
    }

    func uniqueFilter(_ items: [JinjaValue], _ args: JinjaArguments) throws(TemplateError) -> [JinjaValue] {
        let caseSensitive = args.value(0, "case_sensitive")?.isTruthy ?? false
        let attribute = nonNone(args.value(1, "attribute"))
        var seen: [JinjaValue] = []
        var out: [JinjaValue] = []
        for item in items {
            var key = item
            if let attribute { key = try attributePath(item, attribute) }
            if !caseSensitive, case .string(let s) = key { key = .string(s.lowercased()) }
            if !seen.contains(where: { $0.pythonEquals(key) }) {
                seen.append(key)
                out.append(item)
            }
        }
        return out
    }

    func mapFilter(_ items: [JinjaValue], _ args: JinjaArguments) throws(TemplateError) -> [JinjaValue] {
        if let attribute = args.keywords.first(where: { $0.name == "attribute" })?.value {
            let fallback = args.keywords.first { $0.name == "default" }?.value
            return try items.map { (item) throws(TemplateError) in
                let v = try attributePath(item, attribute)
                if v.isUndefined, let fallback { return fallback }
                return v
            }
        }
        guard case .string(let filter)? = args.positional.first else { throw TemplateError(.type, "map requires a filter argument") }
        let rest = JinjaArguments(positional: Array(args.positional.dropFirst()), keywords: args.keywords)
        return try items.map { (item) throws(TemplateError) in try applyFilter(filter, to: item, arguments: rest) }
    }

    func selectFilter(_ items: [JinjaValue], _ args: JinjaArguments, attribute: Bool, keep: Bool) throws(TemplateError) -> [JinjaValue] {
        var positional = args.positional
        var attributeName: JinjaValue?
        if attribute {
            guard !positional.isEmpty else { throw TemplateError(.type, "missing attribute argument") }
            attributeName = positional.removeFirst()
        }
        var testName: String?
        if !positional.isEmpty {
            guard case .string(let t) = positional.removeFirst() else { throw TemplateError(.type, "test name must be a string") }
            testName = t
        }
        let testArgs = JinjaArguments(positional: positional, keywords: args.keywords)
        var out: [JinjaValue] = []
        for item in items {
            let subject = try attributeName.map { (a) throws(TemplateError) in try attributePath(item, a) } ?? item
            let passed = try testName.map { (t) throws(TemplateError) in try applyTest(t, to: subject, arguments: testArgs) } ?? subject.isTruthy
            if passed == keep { out.append(item) }
        }
        return out
    }

    func intFilter(_ value: JinjaValue, _ args: JinjaArguments) -> JinjaValue {
        let fallback = args.value(0, "default") ?? .int(0)
        switch value {
        case .int: return value
        case .bool(let b): return .int(b ? 1 : 0)
        case .float(let d): return Int(exactly: d.rounded(.towardZero)).map { .int($0) } ?? fallback
        case .string(let s):
            let t = PythonString.strip(s, nil).replacingOccurrences(of: "_", with: "")
            if let i = Int(t) { return .int(i) }
            if let d = Double(t), let i = Int(exactly: d.rounded(.towardZero)) { return .int(i) }
            return fallback
        default: return fallback
        }
    }

    func floatFilter(_ value: JinjaValue, _ args: JinjaArguments) -> JinjaValue {
        let fallback = args.value(0, "default") ?? .float(0)
        switch value {
        case .float: return value
        case .int(let i): return .float(Double(i))
        case .bool(let b): return .float(b ? 1 : 0)
        case .string(let s):
            let t = PythonString.strip(s, nil).lowercased()
            if let d = Double(t) { return .float(d) }
            if t == "inf" || t == "infinity" { return .float(.infinity) }
            return fallback
        default: return fallback
        }
    }

    func roundFilter(_ value: JinjaValue, _ args: JinjaArguments) throws(TemplateError) -> JinjaValue {
        guard let n = value.number else { throw TemplateError(.type, "type \(value.typeName) doesn't define __round__ method") }
        var precision = 0
        if case .int(let p)? = args.value(0, "precision") { precision = p }
        let method = args.value(1, "method")?.pythonString(namespaces) ?? "common"
        let scale = pow(10.0, Double(precision))
        let x = n.double * scale
        let rounded: Double
        switch method {
        case "common":
            // Python's round(): half to even; an int stays an int.
            if case .int(let i) = n { return .int(i) }
            rounded = x.rounded(.toNearestOrEven)
        case "ceil": rounded = x.rounded(.up)
        case "floor": rounded = x.rounded(.down)
        default: throw TemplateError(.type, "method must be common, ceil or floor")
        }
        return .float(rounded / scale)
    }

    /// Jinja 3.1 `indent(width=4, first=False, blank=False)`.
    func indentFilter(_ text: String, _ args: JinjaArguments) throws(TemplateError) -> String {
        var indentation = "    "
        switch args.value(0, "width") {
        case .int(let n)?:
            try checkStringBytes(n)
            indentation = String(repeating: " ", count: max(0, n))
        case .string(let s)?: indentation = s
        default: break
        }
        let first = args.value(1, "first")?.isTruthy ?? false
        let blank = args.value(2, "blank")?.isTruthy ?? false
        let lines = PythonString.splitLines(text + "\n")
        try checkRepeat(indentation.utf8.count, lines.count + 1, string: true)
        try checkStringBytes(text.utf8.count + lines.count * indentation.utf8.count)
        var rv: String
        if blank {
            rv = lines.joined(separator: "\n" + indentation)
        } else {
            rv = lines.first ?? ""
            if lines.count > 1 {
                rv += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : indentation + $0 }.joined(separator: "\n")
            }
        }
        if first { rv = indentation + rv }
        return rv
    }
}
