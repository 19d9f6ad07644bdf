/// Where a setting's value came from, for error messages and the startup log.
public enum ConfigurationSource: Sendable, Equatable, CustomStringConvertible {
    case defaultValue
    case file(String)
    case environment(String)
    case flag(String)

    public var description: String {
        switch self {
        case .defaultValue: return "the built-in default"
        case .file(let path): return "config file \(path)"
        case .environment(let name): return "environment variable \(name)"
        case .flag(let flag): return "flag \(flag)"
        }
    }
}

/// A configuration problem found at startup: it names the key, the source, the value
/// (unless secret) and why it is wrong.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    /// `invalid value for 'key' from <source>: "<value>" (expected …)`.
    public static func invalid(_ spec: SettingSpec, _ text: String, from source: ConfigurationSource, reason: String? = nil) -> Self {
        let shown = spec.isSecret ? "<secret>" : "\"\(text)\""
        return Self("invalid value for '\(spec.key)' from \(source): \(shown) — expected \(reason ?? spec.kind.expectation)")
    }

    public var description: String { message }
}
