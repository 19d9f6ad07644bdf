import CLFMKernels

/// The kernels of one fixed `KernelISA`, independent of the global active level, so tests
/// and benchmarks can run several paths side by side (even concurrently) without
/// `KernelISA.force`. Semantics are those of the matching `Kernels` functions.
public struct KernelSet: Sendable {
    /// The level actually used (the requested one clamped to what the CPU supports).
    public let isa: KernelISA
    /// Whether BF16 weights were asked to use exact f32 activations (see `init`).
    public let exactBF16: Bool

    /// The kernels for `isa`, clamped to `KernelISA.detected`. With `exactBF16`, BF16
    /// weights multiply f32 activations with fp32 FMAs on AVX-512 too, instead of vdpbf16ps
    /// on bf16-rounded activations (for parity tests against fp32 references).
    public init(_ isa: KernelISA, exactBF16: Bool = false) {
        let t = lfm_kernels_for_isa(isa.rawValue | (exactBF16 ? Int32(LFM_ISA_BF16_F32) : 0))!
        self.isa = KernelISA(rawValue: Int32(t.pointee.isa)) ?? .portable
        self.exactBF16 = exactBF16
    }

    /// The kernels the global entry points use now.
    public static var active: KernelSet {
        KernelSet(.active, exactBF16: lfm_bf16_uses_bf16_act() == 0)
    }

    /// True when BF16 weights multiply bf16-rounded activations (vdpbf16ps, AVX-512 BF16)
    /// rather than f32 activations.
    public var usesBF16Activations: Bool { table.bf16_act != 0 }

    @usableFromInline
    var table: lfm_kernel_table {
        lfm_kernels_for_isa(isa.rawValue | (exactBF16 ? Int32(LFM_ISA_BF16_F32) : 0))!.pointee
    }

    /// See `Kernels.activationRowBytes`.
    public func activationRowBytes(_ type: WeightType, k: Int) -> Int {
        Int(table.act_row_bytes(type.rawValue, Int64(k)))
    }

    /// See `Kernels.prepareActivations`.
    public func prepareActivations(
        _ type: WeightType, x: UnsafePointer<Float>, ldx: Int, k: Int, tokens: Range<Int>,
        into dst: UnsafeMutableRawPointer
    ) {
        table.prepare_act(type.rawValue, x, ldx, Int64(k), Int64(tokens.lowerBound), Int64(tokens.upperBound), dst)
    }

    /// See `Kernels.gemm`.
    public func gemm(
        _ type: WeightType, weights: UnsafeRawPointer, k: Int, rows: Range<Int>,
        activations: UnsafeRawPointer, tokens: Int, y: UnsafeMutablePointer<Float>, ldy: Int
    ) {
        table.gemm(type.rawValue, weights, Int64(k), Int64(rows.lowerBound), Int64(rows.upperBound),
                   activations, Int64(tokens), y, ldy)
    }

    /// See `Kernels.dot`.
    public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        table.dot(a, b, Int64(n))
    }

    /// See `Kernels.axpy`.
    public func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        table.axpy(a, x, y, Int64(n))
    }

    /// See `Kernels.scale`.
    public func scale(_ a: Float, _ x: UnsafeMutablePointer<Float>, count n: Int) { table.scale(a, x, Int64(n)) }

    /// See `Kernels.rmsNorm`.
    public func rmsNorm(
        _ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        count n: Int, eps: Float
    ) {
        table.rmsnorm(x, w, y, Int64(n), eps)
    }

    /// See `Kernels.siluMul`.
    public func siluMul(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count n: Int
    ) {
        table.silu_mul(gate, up, out, Int64(n))
    }

    /// See `Kernels.max`.
    public func max(_ x: UnsafePointer<Float>, count n: Int) -> Float { table.max(x, Int64(n)) }

    /// See `Kernels.expSum`.
    public func expSum(_ x: UnsafeMutablePointer<Float>, subtracting m: Float, count n: Int) -> Float {
        table.exp_sum(x, m, Int64(n))
    }

    /// One query head's causal attention over paged keys and values of type `type` (`lfm_attend`):
    /// position τ's key starts at element `(τ % pageSize) * stride` of `keyPages[τ / pageSize]`.
    public func attend(_ type: KVCacheType, query q: UnsafePointer<Float>, keyPages: UnsafePointer<UnsafeRawPointer?>,
                       valuePages: UnsafePointer<UnsafeRawPointer?>, pageSize: Int, stride: Int, count n: Int,
                       headDim d: Int, scale: Float, scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        table.attend(type.rawValue, q, keyPages, valuePages, Int64(pageSize), Int64(stride), Int64(n), Int64(d), scale, scratch, out)
    }

    /// Tiled causal attention of `tokens` consecutive queries × `group` heads sharing one KV
    /// head over the keys `keyRange` ∩ [0, position + 1) (`lfm_attend_tile`, lfm_kernels.h).
    /// With `partial` nil the output is the softmax-weighted sum; otherwise it is the part over
    /// `keyRange` and `partial` gets (max score, sum) per row for `Kernels.attendMerge`.
    public func attendTile(_ type: KVCacheType, queries q: UnsafePointer<Float>, queryStride: Int, tokens: Int, group: Int,
                           headDim d: Int, firstPosition: Int, keyPages: UnsafePointer<UnsafeRawPointer?>,
                           valuePages: UnsafePointer<UnsafeRawPointer?>, pageSize: Int, stride: Int, keyRange: Range<Int>,
                           scale: Float, scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>,
                           outputStride: Int, partial: UnsafeMutablePointer<Float>? = nil) {
        table.attend_tile(type.rawValue, q, Int64(queryStride), Int64(tokens), Int64(group), Int64(d), Int64(firstPosition),
                          keyPages, valuePages, Int64(pageSize), Int64(stride), Int64(keyRange.lowerBound),
                          Int64(keyRange.upperBound), scale, scratch, out, Int64(outputStride), partial)
    }

    /// Converts `n` floats into KV storage of `type` (`lfm_kv_store`).
    public func storeKV(_ type: KVCacheType, _ src: UnsafePointer<Float>, into dst: UnsafeMutableRawPointer, count n: Int) {
        table.kv_store(type.rawValue, src, dst, Int64(n))
    }
}
