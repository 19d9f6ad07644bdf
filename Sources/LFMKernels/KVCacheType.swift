import CLFMKernels

/// Element type of the KV cache: f32, or f16 / bf16 (half the memory per page; attention
/// converts to f32 as it reads).
public enum KVCacheType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case bf16 = 2

    /// Reads `f32`, `f16`, `bf16` (also `fp16`, `float16`, `float32`, `bfloat16`).
    public init?(name: String) {
        switch name.lowercased() {
        case "f32", "fp32", "float32": self = .f32
        case "f16", "fp16", "float16": self = .f16
        case "bf16", "bfloat16": self = .bf16
        default: return nil
        }
    }

    /// Bytes per element.
    public var elementBytes: Int { Int(lfm_kv_elem_bytes(rawValue)) }

    public var description: String {
        switch self {
        case .f32: "f32"
        case .f16: "f16"
        case .bf16: "bf16"
        }
    }
}
