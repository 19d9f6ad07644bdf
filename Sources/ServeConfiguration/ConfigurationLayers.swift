import Foundation
import OrderedJSON

/// The three places settings come from, lowest precedence first: a JSON config file,
/// `LFM_SERVE_…` environment variables, and command-line flags. Pure: the caller reads
/// the file and the environment, so the resolution is tested without either.
public struct ConfigurationLayers: Sendable {
    /// The config file's path and its parsed top-level object, if a file is used.
    public var file: (path: String, values: JSONObject)?
    /// The process environment (only `LFM_SERVE_…` names are looked at).
    public var environment: [String: String]
    /// Flags given on the command line, by key (`"max-num-seqs": "8"`); booleans as "true"/"false".
    public var flags: [String: String]

    public init(file: (path: String, values: JSONObject)? = nil, environment: [String: String] = [:], flags: [String: String] = [:]) {
        self.file = file
        self.environment = environment
        self.flags = flags
    }

    /// Reads and checks a config file: a JSON object whose keys are setting keys (`-` or `_`
    /// spelling); keys starting with `_` are comments.
    /// - Throws: ``ConfigurationError`` naming the file and the problem.
    public static func readFile(_ path: String, specs: [SettingSpec]) throws -> (path: String, values: JSONObject) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read config file \(path): \(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw ConfigurationError("config file \(path) is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw ConfigurationError("config file \(path) must hold a JSON object of settings")
        }
        var normalized = JSONObject()
        let known = Set(specs.map(\.key))
        for (rawKey, v) in object {
            if rawKey.hasPrefix("_") { continue }
            let key = rawKey.replacingOccurrences(of: "_", with: "-")
            guard known.contains(key) else {
                throw ConfigurationError("unknown key '\(rawKey)' in config file \(path); known keys: \(specs.map(\.key).joined(separator: ", "))")
            }
            guard normalized[key] == nil else { throw ConfigurationError("key '\(rawKey)' appears twice in config file \(path)") }
            normalized[key] = v
        }
        return (path, normalized)
    }

    /// `LFM_SERVE_…` variables that name no setting (likely typos), for a startup warning.
    public func unknownEnvironmentNames(specs: [SettingSpec], ignoring extra: Set<String> = []) -> [String] {
        let known = Set(specs.map(\.environmentName)).union(extra)
        return environment.keys.filter { $0.hasPrefix(SettingSpec.environmentPrefix) && !known.contains($0) }.sorted()
    }

    /// The winning text of `spec` and where it came from: flag, else environment, else file,
    /// else the default. Empty environment values count as unset.
    /// - Throws: ``ConfigurationError`` when a file value is not a scalar.
    public func text(for spec: SettingSpec) throws -> (text: String?, source: ConfigurationSource) {
        if let v = flags[spec.key] { return (v, .flag(spec.flagSpelling)) }
        if let v = environment[spec.environmentName], !v.isEmpty { return (v, .environment(spec.environmentName)) }
        if let file, let v = file.values[spec.key] ?? file.values[spec.key.replacingOccurrences(of: "-", with: "_")] {
            switch v {
            case .null: return (nil, .file(file.path))
            case .string(let s): return (s, .file(file.path))
            case .integer(let i): return (String(i), .file(file.path))
            case .double(let d): return (String(d), .file(file.path))
            case .bool(let b): return (b ? "true" : "false", .file(file.path))
            case .array(let items) where spec.kind == .list:
                let strings = items.compactMap(\.stringValue)
                guard strings.count == items.count else {
                    throw ConfigurationError("invalid value for '\(spec.key)' in config file \(file.path): expected a list of strings")
                }
                return (strings.joined(separator: ","), .file(file.path))
            case .array, .object:
                throw ConfigurationError("invalid value for '\(spec.key)' in config file \(file.path): expected \(spec.kind.expectation), got \(v.serialized())")
            }
        }
        return (spec.defaultText, .defaultValue)
    }

    /// Resolves every spec to a checked value.
    /// - Throws: the first ``ConfigurationError``, naming key, source, value and expectation.
    public func resolve(_ specs: [SettingSpec], physicalMemory: Int) throws -> ResolvedSettings {
        var values: [String: SettingValue] = [:]
        var sources: [String: ConfigurationSource] = [:]
        for spec in specs {
            let (text, source) = try text(for: spec)
            sources[spec.key] = source
            guard let text else { values[spec.key] = .unset; continue }
            guard let v = spec.kind.read(text, physicalMemory: physicalMemory) else {
                throw ConfigurationError.invalid(spec, text, from: source)
            }
            values[spec.key] = v
        }
        return ResolvedSettings(values: values, sources: sources)
    }
}

/// Checked values by key, with their sources.
public struct ResolvedSettings: Sendable, Equatable {
    public let values: [String: SettingValue]
    public let sources: [String: ConfigurationSource]

    public func string(_ key: String) -> String? {
        if case .string(let s) = values[key] { return s }
        return nil
    }

    public func int(_ key: String) -> Int? {
        if case .int(let i) = values[key] { return i }
        return nil
    }

    public func double(_ key: String) -> Double? {
        if case .double(let d) = values[key] { return d }
        return nil
    }

    public func bool(_ key: String) -> Bool? {
        if case .bool(let b) = values[key] { return b }
        return nil
    }

    public func list(_ key: String) -> [String]? {
        if case .list(let l) = values[key] { return l }
        return nil
    }
}
