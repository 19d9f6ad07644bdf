import OrderedJSON

/// Attribute and item access, slicing and calls.
///
/// `a.b` tries the attribute (a method such as `dict.items`) first, then the item;
/// `a['b']` tries the item first, then the attribute — as Jinja's `getattr`/`getitem` do.
/// Missing attributes give Undefined (printing as `''`); any access on Undefined raises.
extension JinjaInterpreter {
    static let stringMethods: Set<String> = [
        "split", "rsplit", "strip", "lstrip", "rstrip", "startswith", "endswith", "upper", "lower",
        "title", "capitalize", "replace", "find", "rfind", "index", "rindex", "count", "format", "join",
        "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "isnumeric", "isdecimal",
        "splitlines", "removeprefix", "removesuffix", "center", "ljust", "rjust", "zfill", "swapcase",
        "partition", "rpartition", "casefold", "expandtabs", "istitle",
    ]
    static let dictMethods: Set<String> = ["items", "keys", "values", "get", "copy"]
    static let unsafeDictMethods: Set<String> = ["pop", "popitem", "update", "clear", "setdefault"]
    static let listMethods: Set<String> = ["index", "count", "copy"]
    static let unsafeListMethods: Set<String> = ["append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"]

    func method(_ receiver: JinjaValue, _ name: String) -> JinjaValue {
        .object(JinjaObject(kind: .method(receiver, name)))
    }

    func getAttribute(_ value: JinjaValue, _ name: String) throws(TemplateError) -> JinjaValue {
        switch value {
        case .undefined(let hint):
            throw TemplateError(.undefined, hint)
        case .dict(let d):
            if Self.dictMethods.contains(name) || Self.unsafeDictMethods.contains(name) { return method(value, name) }
            return d[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case .string:
            if Self.stringMethods.contains(name) { return method(value, name) }
        case .list, .tuple:
            if Self.listMethods.contains(name) || Self.unsafeListMethods.contains(name) { return method(value, name) }
        case .object(let o):
            switch o.kind {
            case .namespace(let id):
                return namespaces[id][name] ?? .undefined("'Namespace object' has no attribute '\(name)'")
            case .loop(let state):
                if let v = loopAttribute(state, name) { return v }
                if name == "cycle" { return method(value, name) }
            default: break
            }
        default: break
        }
        return .undefined("'\(value.typeName) object' has no attribute '\(name)'")
    }

    func loopAttribute(_ s: LoopState, _ name: String) -> JinjaValue? {
        let n = s.items.count
        switch name {
        case "index": return .int(s.index0 + 1)
        case "index0": return .int(s.index0)
        case "revindex": return .int(n - s.index0)
        case "revindex0": return .int(n - s.index0 - 1)
        case "first": return .bool(s.index0 == 0)
        case "last": return .bool(s.index0 == n - 1)
        case "length": return .int(n)
        case "depth": return .int(s.depth0 + 1)
        case "depth0": return .int(s.depth0)
        case "previtem": return s.index0 > 0 ? s.items[s.index0 - 1] : .undefined("there is no previous item")
        case "nextitem": return s.index0 + 1 < n ? s.items[s.index0 + 1] : .undefined("there is no next item")
        default: return nil
        }
    }

    func getItem(_ value: JinjaValue, _ key: JinjaValue) throws(TemplateError) -> JinjaValue {
        switch (value, key) {
        case (.undefined(let hint), _):
            throw TemplateError(.undefined, hint)
        case (.dict(let d), .string(let k)):
            if let v = d[k] { return v }
        case (.list(let a), _), (.tuple(let a), _):
            if case .int(let i)? = key.number {
                let j = i < 0 ? i + a.count : i
                if j >= 0 && j < a.count { return a[j] }
                return .undefined("'\(value.typeName) object' has no element \(i)")
            }
        case (.string(let s), _):
            if case .int(let i)? = key.number {
                let scalars = Array(s.unicodeScalars)
                let j = i < 0 ? i + scalars.count : i
                if j >= 0 && j < scalars.count { return .string(String(scalars[j])) }
                return .undefined("'str object' has no element \(i)")
            }
        default: break
        }
        if case .string(let name) = key { return try getAttribute(value, name) }
        return .undefined("'\(value.typeName) object' has no element \(key.pythonRepr(namespaces))")
    }

    func slice(_ value: JinjaValue, start: JinjaValue?, stop: JinjaValue?, step: JinjaValue?) throws(TemplateError) -> JinjaValue {
        func index(_ v: JinjaValue?) throws(TemplateError) -> Int? {
            guard let v else { return nil }
            switch v {
            case .none: return nil
            case .int(let i): return i
            case .bool(let b): return b ? 1 : 0
            case .undefined(let hint): throw TemplateError(.undefined, hint)
            default: throw TemplateError(.type, "slice indices must be integers or None")
            }
        }
        let stepValue = try index(step) ?? 1
        if stepValue == 0 { throw TemplateError(.type, "slice step cannot be zero") }
        func pick<T>(_ items: [T]) throws(TemplateError) -> [T] {
            let n = items.count
            func clamp(_ i: Int?, _ defaultValue: Int, low: Int, high: Int) -> Int {
                guard var i else { return defaultValue }
                if i < 0 { i += n }
                return min(max(i, low), high)
            }
            var out: [T] = []
            if stepValue > 0 {
                var i = clamp(try index(start), 0, low: 0, high: n)
                let end = clamp(try index(stop), n, low: 0, high: n)
                while i < end { out.append(items[i]); i += stepValue }
            } else {
                var i = clamp(try index(start), n - 1, low: -1, high: n - 1)
                let end = clamp(try index(stop), -1, low: -1, high: n - 1)
                while i > end { out.append(items[i]); i += stepValue }
            }
            return out
        }
        switch value {
        case .list(let a): return .list(try pick(a))
        case .tuple(let a): return .tuple(try pick(a))
        case .string(let s):
            var out = String.UnicodeScalarView()
            out.append(contentsOf: try pick(Array(s.unicodeScalars)))
            return .string(String(out))
        case .undefined(let hint): throw TemplateError(.undefined, hint)
        default: throw TemplateError(.type, "'\(value.typeName)' object is not subscriptable")
        }
    }

    func call(_ function: JinjaValue, _ arguments: JinjaArguments) throws(TemplateError) -> JinjaValue {
        switch function {
        case .object(let o):
            switch o.kind {
            case .macro(let id, _): return try callMacro(id, arguments)
            case .function(_, let body): return try body(arguments)
            case .builtin(let name): return try callBuiltin(name, arguments)
            case .method(let receiver, let name): return try callMethod(receiver, name, arguments)
            case .namespace, .loop: break
            }
        case .undefined(let hint):
            throw TemplateError(.undefined, hint)
        default: break
        }
        throw TemplateError(.type, "'\(function.typeName)' object is not callable")
    }

    /// Built-in globals that need interpreter state.
    func callBuiltin(_ name: String, _ args: JinjaArguments) throws(TemplateError) -> JinjaValue {
        switch name {
        case "namespace":
            var attrs = OrderedMap<JinjaValue>()
            for p in args.positional {
                guard case .dict(let d) = p else { throw TemplateError(.type, "namespace() positional argument must be a mapping") }
                for (k, v) in d { attrs[k] = v }
            }
            for (k, v) in args.keywords { attrs[k] = v }
            for k in attrs.keys where k.hasPrefix("_") {
                throw TemplateError(.security, "Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(k)'. Please rename the attribute.")
            }
            namespaces.append(attrs)
            return .object(JinjaObject(kind: .namespace(namespaces.count - 1)))
        case "dict":
            var d = OrderedMap<JinjaValue>()
            for p in args.positional {
                guard case .dict(let m) = p else { throw TemplateError(.type, "dict() positional argument must be a mapping") }
                for (k, v) in m { d[k] = v }
            }
            for (k, v) in args.keywords { d[k] = v }
            return .dict(d)
        case "range":
            var ints: [Int] = []
            for p in args.positional {
                guard case .int(let i)? = p.number else { throw TemplateError(.type, "range() arguments must be integers") }
                ints.append(i)
            }
            let (start, stop, step): (Int, Int, Int)
            switch ints.count {
            case 1: (start, stop, step) = (0, ints[0], 1)
            case 2: (start, stop, step) = (ints[0], ints[1], 1)
            case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
            default: throw TemplateError(.type, "range expected 1 to 3 arguments, got \(ints.count)")
            }
            if step == 0 { throw TemplateError(.type, "range() arg 3 must not be zero") }
            let count = step > 0 ? max(0, (stop - start + step - 1) / step) : max(0, (start - stop - step - 1) / -step)
            if count > 100_000 { throw TemplateError(.security, "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).") }
            return .list(stride(from: start, to: stop, by: step).map { .int($0) })
        default:
            throw TemplateError(.runtime, "unknown builtin \(name)")
        }
    }
}
