/// Errors raised while loading a tokenizer or chat template; each names the file and the field.
public enum TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A required file does not exist.
    case missingFile(String)
    /// A file exists but its content is malformed: (file, what is wrong).
    case invalid(String, String)
    /// A well-formed file uses a feature LFMServe does not implement: (file, what).
    case unsupported(String, String)

    public var description: String {
        switch self {
        case .missingFile(let path): return "tokenizer file not found: \(path)"
        case .invalid(let file, let why): return "\(file): \(why)"
        case .unsupported(let file, let what): return "\(file): unsupported \(what)"
        }
    }
}
