/// Jinja's built-in tests (`value is name(args)`), with Python's type rules
/// (`true is number` holds since bool is an int subclass; `true is integer` does not).
extension JinjaInterpreter {
    func applyTest(_ name: String, to value: JinjaValue, arguments args: JinjaArguments) throws(TemplateError) -> Bool {
        func other() throws(TemplateError) -> JinjaValue {
            guard let v = args.value(0, "other") ?? args.positional.first else {
                throw TemplateError(.type, "test '\(name)' requires an argument")
            }
            return v
        }
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "mapping": if case .dict = value { return true } else { return false }
        case "number": return value.number != nil
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .float = value { return true } else { return false }
        case "iterable", "sequence":
            switch value {
            case .string, .list, .tuple, .dict: return true
            default: return false
            }
        case "callable":
            guard case .object(let o) = value else { return false }
            switch o.kind {
            case .macro, .builtin, .function, .method: return true
            default: return false
            }
        case "escaped": return false
        case "lower": if case .string(let s) = value { return s == s.lowercased() } else { return false }
        case "upper": if case .string(let s) = value { return s == s.uppercased() } else { return false }
        case "even", "odd":
            guard case .int(let i)? = value.number else { throw TemplateError(.type, "not all arguments converted during string formatting") }
            return (i % 2 == 0) == (name == "even")
        case "divisibleby":
            guard case .int(let i)? = value.number, case .int(let d)? = try other().number else {
                throw TemplateError(.type, "divisibleby requires integers")
            }
            guard d != 0 else { throw TemplateError(.runtime, "integer division or modulo by zero") }
            return i % d == 0
        case "eq", "equalto", "==": return value.pythonEquals(try other())
        case "ne", "!=": return !value.pythonEquals(try other())
        case "lt", "lessthan", "<": return try value.pythonLess(try other())
        case "gt", "greaterthan", ">": return try other().pythonLess(value)
        case "le", "<=": let o = try other(); return try value.pythonLess(o) || value.pythonEquals(o)
        case "ge", ">=": let o = try other(); return try o.pythonLess(value) || value.pythonEquals(o)
        case "in":
            guard let seq = args.value(0, "seq") else { throw TemplateError(.type, "test 'in' requires an argument") }
            return try contains(seq, value)
        case "sameas":
            switch (value, try other()) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            default: return false
            }
        case "filter", "test":
            guard case .string(let n) = value else { return false }
            return name == "filter" ? JinjaBuiltins.filters.contains(n) : JinjaBuiltins.tests.contains(n)
        default:
            throw TemplateError(.syntax, "No test named '\(name)'.")
        }
    }
}
