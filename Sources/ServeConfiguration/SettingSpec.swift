import Foundation

/// One setting of `lfm-serve serve`: its key (the long flag name), how its value is read,
/// its default and its help text. The same key names the flag (`--max-num-seqs`), the
/// environment variable (`LFM_SERVE_MAX_NUM_SEQS`) and the config-file key
/// (`"max-num-seqs"`, `"max_num_seqs"` also accepted).
public struct SettingSpec: Sendable, Equatable {
    /// The key, in flag spelling (`max-num-seqs`).
    public let key: String
    /// How values are read and checked.
    public let kind: SettingKind
    /// The default in the text form a user would write, or nil when unset by default.
    public let defaultText: String?
    /// What the setting does (flag help, docs/configuration.md).
    public let help: String
    /// Secrets (API keys) are never printed, also not in error messages.
    public let isSecret: Bool
    /// How an unset default is described (e.g. "the model's name"), when "none" would mislead.
    public let unsetDescription: String?
    /// Whether the flag may be given several times, each value kept (joined by newlines).
    public let isRepeatable: Bool

    public init(_ key: String, _ kind: SettingKind, default defaultText: String?, help: String, secret: Bool = false,
                repeatable: Bool = false, unsetDescription: String? = nil) {
        self.unsetDescription = unsetDescription
        self.isRepeatable = repeatable
        self.key = key
        self.kind = kind
        self.defaultText = defaultText
        self.help = help
        self.isSecret = secret
    }

    /// The environment variable: `LFM_SERVE_` + the key upper-cased, `-` → `_`.
    public var environmentName: String { Self.environmentPrefix + key.uppercased().replacingOccurrences(of: "-", with: "_") }

    /// The command-line spelling: `--key`, or `--key/--no-key` for booleans.
    public var flagSpelling: String {
        if case .bool = kind { return "--\(key)/--no-\(key)" }
        return "--\(key)"
    }

    /// The help text with the default appended, as `--help` and the docs show it.
    public var helpWithDefault: String { "\(help) (default: \(defaultDescription))" }

    /// The default as shown to users.
    public var defaultDescription: String {
        guard let d = defaultText else {
            if case .optionalInt(_, let unsetMeaning) = kind { return unsetMeaning }
            return unsetDescription ?? "none"
        }
        return d
    }

    /// Prefix of every environment variable the server reads.
    public static let environmentPrefix = "LFM_SERVE_"
}

/// How a setting's text is read and checked.
public enum SettingKind: Sendable, Equatable {
    /// Any non-empty string.
    case string
    /// A whole number in the range.
    case int(ClosedRange<Int>)
    /// A whole number in the range, or `auto` (also: unset) for the documented automatic value.
    case optionalInt(ClosedRange<Int>, unsetMeaning: String)
    /// Seconds, a non-negative number (fractions allowed).
    case seconds(ClosedRange<Double>)
    /// true / false (also 1/0, yes/no, on/off).
    case bool
    /// One of the listed words.
    case choice([String])
    /// A byte count: `1048576`, `512K`, `512M`, `2G`, `1GiB`.
    case bytes
    /// A byte count, or a fraction of physical memory: `25%` or `0.25`.
    case memory
    /// A comma-separated list of non-empty items.
    case list

    /// What a valid value looks like, for error messages.
    public var expectation: String {
        switch self {
        case .string: return "a non-empty string"
        case .int(let r): return "a whole number in \(r.lowerBound)…\(r.upperBound)"
        case .optionalInt(let r, _): return "a whole number in \(r.lowerBound)…\(r.upperBound), or auto"
        case .seconds(let r): return "a number of seconds in \(Self.format(r.lowerBound))…\(Self.format(r.upperBound))"
        case .bool: return "true or false"
        case .choice(let words): return "one of " + words.joined(separator: ", ")
        case .bytes: return "a size such as 1048576, 512K, 512M or 2G"
        case .memory: return "a size such as 512M or 2G, or a fraction of physical memory such as 25% or 0.25"
        case .list: return "a comma-separated list"
        }
    }

    private static func format(_ d: Double) -> String {
        d == d.rounded() ? String(Int(d)) : String(d)
    }
}
