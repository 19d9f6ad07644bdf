import CLFMKernels

/// Instruction-set level the kernels run on. The CPU is probed once; the active level
/// defaults to the best detected and can be lowered (settings, tests, benchmarks).
public enum KernelISA: Int32, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Plain C (compiler auto-vectorised); always available, the only path on arm64.
    case portable = 0
    /// AVX2 + FMA + F16C.
    case avx2 = 1
    /// AVX-512 F/BW/VL with VNNI and BF16 (e.g. AMD Zen 4, Intel Sapphire Rapids).
    case avx512 = 2

    /// The best level this CPU supports.
    public static var detected: KernelISA { KernelISA(rawValue: lfm_isa_detected()) ?? .portable }

    /// The level the global `Kernels` entry points currently use.
    public static var active: KernelISA { KernelISA(rawValue: lfm_isa_active()) ?? .portable }

    /// Selects the level used by the global entry points, clamped to `detected`.
    /// Not synchronised with running kernels: call it at start-up, not while a matmul is
    /// between `prepareActivations` and `gemm` (the BF16 activation format depends on it).
    ///
    /// With `exactBF16`, BF16 weights use f32 activations and fp32 FMAs even on AVX-512
    /// (default: vdpbf16ps on bf16-rounded activations, ~3x faster for prefill).
    public static func force(_ level: KernelISA, exactBF16: Bool = false) {
        lfm_isa_force(level.rawValue | (exactBF16 ? Int32(LFM_ISA_BF16_F32) : 0))
    }

    /// True when the active kernels feed BF16 weights bf16-rounded activations.
    public static var activeUsesBF16Activations: Bool { lfm_bf16_uses_bf16_act() != 0 }

    /// Every level this CPU can run, from portable up to `detected`.
    public static var available: [KernelISA] { allCases.filter { $0 <= detected } }

    /// Orders levels from portable to avx512.
    public static func < (a: KernelISA, b: KernelISA) -> Bool { a.rawValue < b.rawValue }

    /// "portable", "avx2" or "avx512".
    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }
}
