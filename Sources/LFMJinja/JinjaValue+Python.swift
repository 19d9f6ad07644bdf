import OrderedJSON

/// Python semantics of values: `str()`, `repr()`, `==`, ordering and `len()`.
extension JinjaValue {
    /// Python `str(value)` as Jinja prints it (`{{ value }}`): `None`, `True`, `1.0`, `[1, 'a']`.
    /// Undefined prints as the empty string.
    func pythonString(_ namespaces: [OrderedMap<JinjaValue>] = []) -> String {
        switch self {
        case .string(let s): return s
        case .undefined: return ""
        default:
            var out = ""
            appendRepr(to: &out, namespaces)
            return out
        }
    }

    /// Python `repr(value)`.
    func pythonRepr(_ namespaces: [OrderedMap<JinjaValue>] = []) -> String {
        var out = ""
        appendRepr(to: &out, namespaces)
        return out
    }

    func appendRepr(to out: inout String, _ namespaces: [OrderedMap<JinjaValue>]) {
        switch self {
        case .undefined: out += ""
        case .none: out += "None"
        case .bool(let b): out += b ? "True" : "False"
        case .int(let i): out += String(i)
        case .float(let d): out += PythonFloat.repr(d)
        case .string(let s): Self.appendStringRepr(s, to: &out)
        case .list(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += ", " }
                v.appendRepr(to: &out, namespaces)
            }
            out += "]"
        case .tuple(let a):
            out += "("
            for (i, v) in a.enumerated() {
                if i > 0 { out += ", " }
                v.appendRepr(to: &out, namespaces)
            }
            out += a.count == 1 ? ",)" : ")"
        case .dict(let d):
            Self.appendDictRepr(d, to: &out, namespaces)
        case .object(let o):
            switch o.kind {
            case .namespace(let id):
                out += "<Namespace "
                Self.appendDictRepr(id < namespaces.count ? namespaces[id] : [:], to: &out, namespaces)
                out += ">"
            case .macro(_, let name): out += "<Macro '\(name)'>"
            case .builtin(let name), .function(let name, _): out += "<function \(name)>"
            case .method(let receiver, let name): out += "<built-in method \(name) of \(receiver.typeName) object>"
            case .loop(let state): out += "<LoopContext \(state.index0 + 1)/\(state.items.count)>"
            }
        }
    }

    private static func appendDictRepr(_ d: OrderedMap<JinjaValue>, to out: inout String, _ namespaces: [OrderedMap<JinjaValue>]) {
        out += "{"
        for (i, (k, v)) in d.enumerated() {
            if i > 0 { out += ", " }
            appendStringRepr(k, to: &out)
            out += ": "
            v.appendRepr(to: &out, namespaces)
        }
        out += "}"
    }

    /// Python's `repr(str)`: single quotes unless the text has `'` and no `"`; escapes
    /// backslash, the quote, `\n` `\r` `\t`, and non-printable characters as `\xNN`/`\uNNNN`.
    static func appendStringRepr(_ s: String, to out: inout String) {
        let quote: Unicode.Scalar = (s.contains("'") && !s.contains("\"")) ? "\"" : "'"
        out.unicodeScalars.append(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case quote: out += "\\"; out.unicodeScalars.append(scalar)
            default:
                if isPrintable(scalar) {
                    out.unicodeScalars.append(scalar)
                } else if scalar.value < 0x100 {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value < 0x10000 {
                    out += "\\u" + hex(scalar.value, width: 4)
                } else {
                    out += "\\U" + hex(scalar.value, width: 8)
                }
            }
        }
        out.unicodeScalars.append(quote)
    }

    private static func hex(_ v: UInt32, width: Int) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Python's `str.isprintable()` for one character.
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned,
             .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    /// Python `==` (1 == 1.0 == True; dicts compare without order; Undefined equals Undefined).
    func pythonEquals(_ other: JinjaValue) -> Bool {
        if let a = number, let b = other.number {
            switch (a, b) {
            case (.int(let x), .int(let y)): return x == y
            default: return a.double == b.double
            }
        }
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.pythonEquals($1) }
        case (.dict(let a), .dict(let b)):
            guard a.count == b.count else { return false }
            for (k, v) in a {
                guard let w = b[k], v.pythonEquals(w) else { return false }
            }
            return true
        case (.object(let a), .object(let b)):
            switch (a.kind, b.kind) {
            case (.namespace(let x), .namespace(let y)): return x == y
            case (.macro(let x, _), .macro(let y, _)): return x == y
            case (.builtin(let x), .builtin(let y)): return x == y
            default: return false
            }
        default: return false
        }
    }

    /// Python ordering (`<`), for numbers, strings and sequences.
    /// - Throws: a type error for unorderable operands, as Python does.
    func pythonLess(_ other: JinjaValue) throws(TemplateError) -> Bool {
        if let a = number, let b = other.number {
            switch (a, b) {
            case (.int(let x), .int(let y)): return x < y
            default: return a.double < b.double
            }
        }
        switch (self, other) {
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !x.pythonEquals(y) {
                return try x.pythonLess(y)
            }
            return a.count < b.count
        case (.undefined(let hint), _), (_, .undefined(let hint)):
            throw TemplateError(.undefined, hint)
        default:
            throw TemplateError(.type, "'<' not supported between instances of '\(typeName)' and '\(other.typeName)'")
        }
    }

    /// Python `len(value)`; Undefined has length 0, strings count code points.
    func pythonLength() throws(TemplateError) -> Int {
        switch self {
        case .string(let s): return s.unicodeScalars.count
        case .list(let a), .tuple(let a): return a.count
        case .dict(let d): return d.count
        case .undefined: return 0
        default: throw TemplateError(.type, "object of type '\(typeName)' has no len()")
        }
    }
}

extension JinjaValue: CustomStringConvertible {
    /// Python `str()` of the value.
    public var description: String { pythonString() }
}
