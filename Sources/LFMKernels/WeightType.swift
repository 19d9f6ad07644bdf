import CLFMKernels

/// Storage format of a weight matrix, with the ggml type ids used in GGUF files
/// (docs/lfm2.md §6.1). Block layouts are in §6.3.
public enum WeightType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// IEEE binary32, one element per 4 bytes.
    case f32 = 0
    /// IEEE binary16, one element per 2 bytes.
    case f16 = 1
    /// 32-element blocks: fp16 scale + 16 bytes of 4-bit values (18 bytes).
    case q4_0 = 2
    /// 32-element blocks: fp16 scale + 32 int8 values (34 bytes).
    case q8_0 = 8
    /// 256-element super-blocks with 6-bit sub-block scales/mins and 4-bit values (144 bytes).
    case q4_K = 12
    /// 256-element super-blocks as Q4_K plus 32 bytes of fifth bits: 5-bit values (176 bytes).
    case q5_K = 13
    /// 256-element super-blocks with int8 group scales and 6-bit values (210 bytes).
    case q6_K = 14
    /// bfloat16 (upper half of an IEEE binary32), one element per 2 bytes.
    case bf16 = 30
    /// Q8_0 rows regrouped 16 at a time for the AVX-512 VNNI outer-product kernels (lfm_pack.c).
    case q8_0Packed = 0x1008
    /// Q4_0 rows regrouped 16 at a time for the AVX-512 VNNI outer-product kernels (lfm_pack.c).
    case q4_0Packed = 0x1002
    /// BF16 rows regrouped 16 at a time for the AVX-512 BF16 outer-product kernels (lfm_pack.c).
    case bf16Packed = 0x101E
    /// Q4_K rows regrouped 16 at a time with unpacked scales, for the AVX2 outer-product kernels (lfm_pack.c).
    case q4_KPacked = 0x100C
    /// Q5_K rows regrouped 16 at a time with unpacked scales, for the AVX2 outer-product kernels (lfm_pack.c).
    case q5_KPacked = 0x100D
    /// Q6_K rows regrouped 16 at a time with unpacked scales, for the AVX2 outer-product kernels (lfm_pack.c).
    case q6_KPacked = 0x100E

    /// The storage formats found in checkpoints (packed layouts are made at load time).
    public static let allCases: [WeightType] = [.f32, .f16, .q4_0, .q8_0, .q4_K, .q5_K, .q6_K, .bf16]

    /// Creates the type for a ggml type id; nil for ids the kernels do not support.
    public init?(ggmlType: Int) {
        guard let v = Int32(exactly: ggmlType), let t = WeightType(rawValue: v) else { return nil }
        self = t
    }

    /// Creates the type for a safetensors `dtype` string ("F32", "F16", "BF16").
    public init?(safetensorsDType: String) {
        switch safetensorsDType.uppercased() {
        case "F32": self = .f32
        case "F16": self = .f16
        case "BF16": self = .bf16
        default: return nil
        }
    }

    /// Elements per block: 1, 32 or 256.
    public var blockElems: Int { Int(lfm_block_elems(rawValue)) }

    /// Bytes per block: 4, 2, 2, 34, 18, 144, 176 or 210.
    public var blockBytes: Int { Int(lfm_block_bytes(rawValue)) }

    /// Bytes of one row of `n` elements; nil if `n` is not a multiple of `blockElems`.
    public func rowBytes(_ n: Int) -> Int? {
        let b = lfm_row_bytes(rawValue, Int64(n))
        return b == 0 && n != 0 ? nil : Int(b)
    }

    /// The ggml name of the type ("Q8_0", "BF16", ...).
    public var name: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .q4_0: "Q4_0"
        case .q8_0: "Q8_0"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .bf16: "BF16"
        case .q8_0Packed: "Q8_0 (packed)"
        case .q4_0Packed: "Q4_0 (packed)"
        case .bf16Packed: "BF16 (packed)"
        case .q4_KPacked: "Q4_K (packed)"
        case .q5_KPacked: "Q5_K (packed)"
        case .q6_KPacked: "Q6_K (packed)"
        }
    }

    /// Same as `name`.
    public var description: String { name }

    /// True for the block-quantised formats (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K), whose products use
    /// integer-quantised activations.
    public var isQuantized: Bool { blockElems > 1 }

    /// The layout the active kernels multiply fastest, for weights used only in matrix
    /// products (`self` when no packing helps; `LFM_KERNELS_NO_PACK=1` disables packing).
    public var preferredPacking: WeightType { WeightType(rawValue: lfm_preferred_packing(rawValue)) ?? self }

    /// The checkpoint format of a packed layout (`self` otherwise).
    public var packedBase: WeightType { WeightType(rawValue: lfm_packed_base_type(rawValue)) ?? self }

    /// Whether this is a packed layout (row lookups need `dequantizePackedRow`).
    public var isPacked: Bool { packedBase != self }
}
