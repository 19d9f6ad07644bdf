/// Errors raised while loading or running a checkpoint. Every case names the file and,
/// where it applies, the tensor or field, so a user can tell what is wrong without a debugger.
public enum ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A required file is absent: (path, what it is for).
    case missingFile(String, String)
    /// The file is not what it claims to be or is cut short: (path, detail).
    case corrupt(String, String)
    /// The checkpoint is of another architecture: (path, architecture).
    case unknownArchitecture(String, String)
    /// A configuration field is missing or has an invalid value: (path, field, detail).
    case invalidConfig(String, String, String)
    /// A tensor is missing: (path, tensor).
    case missingTensor(String, String)
    /// A tensor's shape disagrees with the configuration: (path, tensor, expected, found).
    case shapeMismatch(String, String, [Int], [Int])
    /// A tensor uses a storage type LFMServe does not implement: (path, tensor, type).
    case unsupportedTensorType(String, String, String)
    /// A request cannot be run: (detail). Example: a token id outside the vocabulary.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .missingFile(let p, let what): return "\(p): file not found (\(what))"
        case .corrupt(let p, let d): return "\(p): corrupt or truncated file: \(d)"
        case .unknownArchitecture(let p, let a): return "\(p): unsupported architecture '\(a)' (LFMServe runs Lfm2ForCausalLM and Lfm2MoeForCausalLM / GGUF arch 'lfm2' and 'lfm2moe')"
        case .invalidConfig(let p, let f, let d): return "\(p): field '\(f)': \(d)"
        case .missingTensor(let p, let t): return "\(p): tensor '\(t)' is missing"
        case .shapeMismatch(let p, let t, let e, let f): return "\(p): tensor '\(t)' has shape \(f), expected \(e)"
        case .unsupportedTensorType(let p, let t, let ty): return "\(p): tensor '\(t)' has unsupported type \(ty)"
        case .invalidInput(let d): return "invalid input: \(d)"
        }
    }
}
