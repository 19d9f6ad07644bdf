import OrderedJSON

/// Methods callable on values from templates (`s.split(',')`, `d.items()`, `loop.cycle(…)`).
/// Mutating list/dict methods are refused, as in Jinja's `ImmutableSandboxedEnvironment`.
extension JinjaInterpreter {
    func callMethod(_ receiver: JinjaValue, _ name: String, _ args: JinjaArguments) throws(TemplateError) -> JinjaValue {
        try chargeShallow(receiver)
        switch receiver {
        case .string(let s): return try stringMethod(s, name, args)
        case .dict(let d):
            switch name {
            case "items": return .list(d.map { .tuple([.string($0.key), $0.value]) })
            case "keys": return .list(d.keys.map { .string($0) })
            case "values": return .list(d.values)
            case "copy": return receiver
            case "get":
                guard let key = args.value(0, "key") else { throw TemplateError(.type, "get expected at least 1 argument, got 0") }
                if case .string(let k) = key, let v = d[k] { return v }
                return args.value(1, "default") ?? .none
            default:
                throw TemplateError(.security, "access to attribute '\(name)' of 'dict' object is unsafe.")
            }
        case .list(let a), .tuple(let a):
            switch name {
            case "count": return .int(a.filter { $0.pythonEquals(args.value(0, "value") ?? .none) }.count)
            case "index":
                let needle = args.value(0, "value") ?? .none
                if let i = a.firstIndex(where: { $0.pythonEquals(needle) }) { return .int(i) }
                throw TemplateError(.type, "\(needle.pythonRepr(namespaces)) is not in list")
            case "copy": return receiver
            default:
                throw TemplateError(.security, "access to attribute '\(name)' of '\(receiver.typeName)' object is unsafe.")
            }
        case .object(let o):
            if case .loop(let state) = o.kind, name == "cycle" {
                guard !args.positional.isEmpty else { throw TemplateError(.type, "no items for cycling given") }
                return args.positional[state.index0 % args.positional.count]
            }
        default: break
        }
        throw TemplateError(.type, "'\(receiver.typeName)' object has no method '\(name)'")
    }

    private func stringArgument(_ args: JinjaArguments, _ i: Int, _ name: String) throws(TemplateError) -> String? {
        guard let v = args.value(i, name) else { return nil }
        switch v {
        case .none: return nil
        case .string(let s): return s
        default: throw TemplateError(.type, "must be str or None, not \(v.typeName)")
        }
    }

    private func intArgument(_ args: JinjaArguments, _ i: Int, _ name: String, _ defaultValue: Int) throws(TemplateError) -> Int {
        guard let v = args.value(i, name) else { return defaultValue }
        guard case .int(let n)? = v.number else { throw TemplateError(.type, "'\(v.typeName)' object cannot be interpreted as an integer") }
        return n
    }

    func stringMethod(_ s: String, _ name: String, _ args: JinjaArguments) throws(TemplateError) -> JinjaValue {
        switch name {
        case "split", "rsplit":
            let sep = try stringArgument(args, 0, "sep")
            if sep == "" { throw TemplateError(.type, "empty separator") }
            let parts = PythonString.split(s, sep, maxSplit: try intArgument(args, 1, "maxsplit", -1), fromRight: name == "rsplit")
            return .list(parts.map { .string($0) })
        case "strip": return .string(PythonString.strip(s, try stringArgument(args, 0, "chars")))
        case "lstrip": return .string(PythonString.strip(s, try stringArgument(args, 0, "chars"), trailing: false))
        case "rstrip": return .string(PythonString.strip(s, try stringArgument(args, 0, "chars"), leading: false))
        case "startswith", "endswith":
            let candidates: [JinjaValue]
            switch args.value(0, "prefix") ?? .none {
            case .tuple(let t), .list(let t): candidates = t
            case let other: candidates = [other]
            }
            for c in candidates {
                guard case .string(let p) = c else { throw TemplateError(.type, "\(name) first arg must be str or a tuple of str, not \(c.typeName)") }
                if name == "startswith" ? s.unicodeScalars.starts(with: p.unicodeScalars)
                    : s.unicodeScalars.reversed().starts(with: p.unicodeScalars.reversed()) { return .bool(true) }
            }
            return .bool(false)
        case "upper": return .string(s.uppercased())
        case "lower", "casefold": return .string(s.lowercased())
        case "title": return .string(PythonString.title(s))
        case "capitalize": return .string(PythonString.capitalize(s))
        case "swapcase":
            return .string(String(s.unicodeScalars.map { c -> String in
                c.properties.isUppercase ? String(c).lowercased() : (c.properties.isLowercase ? String(c).uppercased() : String(c))
            }.joined()))
        case "replace":
            guard let old = try stringArgument(args, 0, "old"), let new = try stringArgument(args, 1, "new") else {
                throw TemplateError(.type, "replace expected at least 2 arguments")
            }
            let count = try intArgument(args, 2, "count", -1)
            try checkReplace(s, old, new, count: count)
            return .string(PythonString.replace(s, old, new, count: count))
        case "find", "index", "rfind", "rindex", "count":
            guard let needle = try stringArgument(args, 0, "sub") else { throw TemplateError(.type, "\(name) expected a string") }
            let hay = Array(s.unicodeScalars)
            let pat = Array(needle.unicodeScalars)
            var positions: [Int] = []
            var i = 0
            while i + pat.count <= hay.count {
                if Array(hay[i..<(i + pat.count)]) == pat {
                    positions.append(i)
                    i += max(pat.count, 1)
                } else {
                    i += 1
                }
            }
            if name == "count" { return .int(pat.isEmpty ? hay.count + 1 : positions.count) }
            let found = name.hasPrefix("r") ? positions.last : positions.first
            if let found { return .int(found) }
            if name.hasSuffix("index") { throw TemplateError(.type, "substring not found") }
            return .int(-1)
        case "join":
            let items = try iterate(args.value(0, "iterable") ?? .list([]))
            var parts: [String] = []
            for item in items {
                guard case .string(let p) = item else { throw TemplateError(.type, "sequence item \(parts.count): expected str instance, \(item.typeName) found") }
                parts.append(p)
            }
            try checkJoin(parts, s)
            return .string(parts.joined(separator: s))
        case "format": return .string(try pythonFormat(s, args))
        case "isdigit", "isnumeric", "isdecimal":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType != nil })
        case "isalpha": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic })
        case "isalnum":
            return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
        case "isspace": return .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(PythonString.isSpace))
        case "isupper":
            return .bool(s.unicodeScalars.contains { $0.properties.isCased } && s == s.uppercased())
        case "islower":
            return .bool(s.unicodeScalars.contains { $0.properties.isCased } && s == s.lowercased())
        case "istitle": return .bool(!s.isEmpty && PythonString.title(s) == s && s.unicodeScalars.contains { $0.properties.isCased })
        case "splitlines": return .list(PythonString.splitLines(s).map { .string($0) })
        case "removeprefix":
            let p = try stringArgument(args, 0, "prefix") ?? ""
            return .string(s.unicodeScalars.starts(with: p.unicodeScalars) ? String(s.unicodeScalars.dropFirst(p.unicodeScalars.count)) : s)
        case "removesuffix":
            let p = try stringArgument(args, 0, "suffix") ?? ""
            return .string(!p.isEmpty && s.unicodeScalars.reversed().starts(with: p.unicodeScalars.reversed()) ? String(s.unicodeScalars.dropLast(p.unicodeScalars.count)) : s)
        case "center", "ljust", "rjust", "zfill":
            let width = try intArgument(args, 0, "width", 0)
            let fill = name == "zfill" ? "0" : (try stringArgument(args, 1, "fillchar") ?? " ")
            let n = s.unicodeScalars.count
            guard width > n else { return .string(s) }
            let pad = width - n
            try checkRepeat(fill.utf8.count, pad, string: true)
            switch name {
            case "ljust": return .string(s + String(repeating: fill, count: pad))
            case "rjust", "zfill": return .string(String(repeating: fill, count: pad) + s)
            default:
                let left = pad / 2 + (pad & width & 1)
                return .string(String(repeating: fill, count: left) + s + String(repeating: fill, count: pad - left))
            }
        case "partition", "rpartition":
            let sep = try stringArgument(args, 0, "sep") ?? ""
            let parts = PythonString.split(s, sep, maxSplit: 1, fromRight: name == "rpartition")
            if parts.count == 2 { return .tuple([.string(parts[0]), .string(sep), .string(parts[1])]) }
            return name == "partition" ? .tuple([.string(s), "", ""]) : .tuple(["", "", .string(s)])
        case "expandtabs": return .string(s.pyReplacing("\t", with: "        "))
        default:
            throw TemplateError(.type, "'str' object has no attribute '\(name)'")
        }
    }

    /// `str.format` with `{}`, `{0}`, `{name}` fields and `{{`/`}}` escapes (no format specs).
    func pythonFormat(_ s: String, _ args: JinjaArguments) throws(TemplateError) -> String {
        var out = ""
        var auto = 0
        let scalars = Array(s.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "{" {
                if i + 1 < scalars.count && scalars[i + 1] == "{" { out += "{"; i += 2; continue }
                guard let close = scalars[i...].firstIndex(of: "}") else { throw TemplateError(.type, "Single '{' encountered in format string") }
                let field = String(String.UnicodeScalarView(scalars[(i + 1)..<close]))
                if field.contains(":") || field.contains("!") || field.contains(".") || field.contains("[") {
                    throw TemplateError(.syntax, "format specifications in str.format are not supported")
                }
                let value: JinjaValue?
                if field.isEmpty {
                    value = auto < args.positional.count ? args.positional[auto] : nil
                    auto += 1
                } else if let n = Int(field) {
                    value = n < args.positional.count ? args.positional[n] : nil
                } else {
                    value = args.keywords.first { $0.name == field }?.value
                }
                guard let value else { throw TemplateError(.type, "Replacement index \(field) out of range for positional args tuple") }
                if value.isContainer { try chargeDeep(value) }
                out += value.pythonString(namespaces)
                try checkStringBytes(out.utf8.count)
                i = close + 1
            } else if c == "}" {
                if i + 1 < scalars.count && scalars[i + 1] == "}" { out += "}"; i += 2; continue }
                throw TemplateError(.type, "Single '}' encountered in format string")
            } else {
                out.unicodeScalars.append(c)
                i += 1
            }
        }
        return out
    }
}
