/// Reads `lfm-serve serve`'s command-line flags from the setting specs, so the specs are the
/// only list of flags: `--key value`, `--key=value`; booleans as `--key` / `--no-key` (or
/// `--key=false`); a repeatable setting (``SettingSpec/isRepeatable``) given several times
/// keeps every value, one per line; any other setting given twice keeps the last, as
/// swift-argument-parser does. Pure: tested without a process.
public struct FlagParser: Sendable {
    /// The settings the flags name.
    public let specs: [SettingSpec]
    /// Flags that are not settings but take a value (`config`), returned apart.
    public let extraOptions: Set<String>

    public init(specs: [SettingSpec], extraOptions: Set<String> = []) {
        self.specs = specs
        self.extraOptions = extraOptions
    }

    /// What a command line held.
    public struct Result: Sendable, Equatable {
        /// Setting texts by key (booleans as `true` / `false`).
        public var flags: [String: String] = [:]
        /// Values of ``FlagParser/extraOptions`` by name.
        public var extras: [String: String] = [:]
    }

    /// Parses `arguments` (without the program and command names).
    /// - Throws: ``ConfigurationError`` naming the unknown flag (with the closest known one),
    ///   the flag without its value, or the stray argument.
    public func parse(_ arguments: [String]) throws(ConfigurationError) -> Result {
        var result = Result()
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw ConfigurationError("unexpected argument '\(argument)': settings are given as --name value (see --help)")
            }
            let body = argument.dropFirst(2)
            let name: String
            var inline: String?
            if let eq = body.firstIndex(of: "=") {
                name = String(body[..<eq])
                inline = String(body[body.index(after: eq)...])
            } else {
                name = String(body)
            }
            if extraOptions.contains(name) {
                result.extras[name] = try value(for: name, inline: inline, arguments, &i)
                continue
            }
            if let spec = specs.first(where: { $0.key == name }) {
                if case .bool = spec.kind, inline == nil {
                    result.flags[spec.key] = "true"
                    continue
                }
                let v = try value(for: name, inline: inline, arguments, &i)
                if spec.isRepeatable, let earlier = result.flags[spec.key] {
                    result.flags[spec.key] = earlier + "\n" + v
                } else {
                    result.flags[spec.key] = v
                }
                continue
            }
            if name.hasPrefix("no-"), inline == nil, let spec = specs.first(where: { $0.key == name.dropFirst(3) }), case .bool = spec.kind {
                result.flags[spec.key] = "false"
                continue
            }
            throw ConfigurationError("unknown option '--\(name)'" + (suggestion(for: name).map { "; did you mean '--\($0)'?" } ?? "") + " (see --help)")
        }
        return result
    }

    private func value(for name: String, inline: String?, _ arguments: [String], _ i: inout Int) throws(ConfigurationError) -> String {
        if let inline { return inline }
        guard i < arguments.count, !arguments[i].hasPrefix("--") else {
            throw ConfigurationError("option '--\(name)' needs a value")
        }
        i += 1
        return arguments[i - 1]
    }

    /// The known flag nearest to `name` by edit distance, if it is close enough to be a typo.
    func suggestion(for name: String) -> String? {
        let names = specs.map(\.key) + extraOptions.sorted()
        let scored = names.map { ($0, Self.editDistance(Array(name.utf8), Array($0.utf8))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The flags as `--help` lists them: spelling and value name, then the help text with
    /// its default, wrapped to `columns`.
    public func helpText(columns: Int = 100) -> String {
        var lines: [String] = []
        for spec in specs {
            let head: String
            if case .bool = spec.kind { head = "  \(spec.flagSpelling)" } else { head = "  --\(spec.key) <\(spec.key)>" }
            lines.append(head)
            lines += Self.wrap(spec.helpWithDefault + (spec.isRepeatable ? " (repeatable)" : ""), indent: 8, columns: columns)
        }
        return lines.joined(separator: "\n")
    }

    static func wrap(_ text: String, indent: Int, columns: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty, indent + line.count + 1 + word.count > columns {
                lines.append(pad + line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(pad + line) }
        return lines
    }
}
