import CLFMKernels

/// Entry points to the CPU kernels, dispatched to the active `KernelISA`.
///
/// Matrix products work in two steps (docs/lfm2.md §6.4): `prepareActivations` converts the
/// f32 activation rows once per matmul into the format the weight type needs (f32, bf16,
/// Q8_0 or Q8_K blocks), then `gemm` multiplies any row range of the weights with them.
/// Both are safe to call concurrently on disjoint output ranges; neither allocates.
public enum Kernels {
    // MARK: Matrix products

    /// Bytes of one prepared activation row for weights of `type` with inner dimension `k`
    /// (0 if `k` is not a multiple of the weight block).
    @inlinable
    public static func activationRowBytes(_ type: WeightType, k: Int) -> Int {
        Int(lfm_act_row_bytes(type.rawValue, Int64(k)))
    }

    /// Prepares activation rows `tokens` of `x` (row t at `x + t*ldx`) into `dst` (row t at
    /// `dst + t*activationRowBytes`). Quantised formats follow ggml's reference quantisers.
    @inlinable
    public static func prepareActivations(
        _ type: WeightType, x: UnsafePointer<Float>, ldx: Int, k: Int, tokens: Range<Int>,
        into dst: UnsafeMutableRawPointer
    ) {
        lfm_prepare_act(type.rawValue, x, ldx, Int64(k), Int64(tokens.lowerBound),
                        Int64(tokens.upperBound), dst)
    }

    /// `y[t*ldy + r] = dot(weight row r, activation row t)` for `r` in `rows`, `t` in
    /// `0..<tokens`. Weight rows are `type.rowBytes(k)` apart.
    @inlinable
    public static func gemm(
        _ type: WeightType, weights: UnsafeRawPointer, k: Int, rows: Range<Int>,
        activations: UnsafeRawPointer, tokens: Int, y: UnsafeMutablePointer<Float>, ldy: Int
    ) {
        lfm_gemm(type.rawValue, weights, Int64(k), Int64(rows.lowerBound), Int64(rows.upperBound),
                 activations, Int64(tokens), y, ldy)
    }

    // MARK: Conversions

    /// Dequantises one row of `n` elements (a block multiple) to f32.
    public static func dequantizeRow(
        _ type: WeightType, _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count n: Int
    ) {
        lfm_dequantize_row(type.rawValue, src, dst, Int64(n))
    }

    /// Quantises one row (ggml reference for Q8_0/Q4_0, simple valid encoder for Q4_K/Q5_K/Q6_K).
    public static func quantizeRow(
        _ type: WeightType, _ src: UnsafePointer<Float>, into dst: UnsafeMutableRawPointer, count n: Int
    ) {
        _ = lfm_quantize_row(type.rawValue, src, dst, Int64(n))
    }

    /// Quantises a row-major matrix into a new byte array (test fixtures, tools).
    public static func quantize(_ type: WeightType, _ values: [Float], rows: Int, cols: Int) -> [UInt8] {
        precondition(values.count == rows * cols, "values must hold rows*cols elements")
        guard let rb = type.rowBytes(cols) else { preconditionFailure("cols not a block multiple") }
        var out = [UInt8](repeating: 0, count: rows * rb)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { dst in
                for r in 0..<rows {
                    quantizeRow(type, src.baseAddress! + r * cols, into: dst.baseAddress! + r * rb, count: cols)
                }
            }
        }
        return out
    }

    /// Dequantises `bytes` holding whole rows of `cols` elements into f32.
    public static func dequantize(_ type: WeightType, _ bytes: [UInt8], cols: Int) -> [Float] {
        guard let rb = type.rowBytes(cols), rb > 0 else { return [] }
        let rows = bytes.count / rb
        var out = [Float](repeating: 0, count: rows * cols)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    dequantizeRow(type, src.baseAddress! + r * rb, into: dst.baseAddress! + r * cols, count: cols)
                }
            }
        }
        return out
    }

    /// IEEE binary16 bits to f32.
    public static func float(fromHalfBits h: UInt16) -> Float { lfm_fp16_to_fp32(h) }
    /// f32 to IEEE binary16 bits (round to nearest even).
    public static func halfBits(_ f: Float) -> UInt16 { lfm_fp32_to_fp16(f) }
    /// bfloat16 bits to f32.
    public static func float(fromBF16Bits h: UInt16) -> Float { lfm_bf16_to_fp32(h) }
    /// f32 to bfloat16 bits (round to nearest even).
    public static func bf16Bits(_ f: Float) -> UInt16 { lfm_fp32_to_bf16(f) }

    // MARK: Vector primitives

    /// Σ a[i]·b[i] (fp32, vectorised; summation order differs from a sequential loop).
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        lfm_dot_f32(a, b, Int64(n))
    }

    /// y += a·x.
    @inlinable
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        lfm_axpy_f32(a, x, y, Int64(n))
    }

    /// x *= a.
    @inlinable
    public static func scale(_ a: Float, _ x: UnsafeMutablePointer<Float>, count n: Int) {
        lfm_scale_f32(a, x, Int64(n))
    }

    /// y = w · x / sqrt(mean(x²) + eps) (LFM2 RMSNorm, docs/lfm2.md §2.2: weight is w, not
    /// 1 + w). `y` may alias `x`.
    @inlinable
    public static func rmsNorm(
        _ x: UnsafePointer<Float>, weight w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        count n: Int, eps: Float
    ) {
        lfm_rmsnorm_f32(x, w, y, Int64(n), eps)
    }

    /// out = silu(gate) · up with silu(z) = z / (1 + e^-z) (SwiGLU, §2.6). `out` may alias.
    @inlinable
    public static func siluMul(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count n: Int
    ) {
        lfm_silu_mul_f32(gate, up, out, Int64(n))
    }

    /// max(x), or -infinity for an empty range.
    @inlinable
    public static func max(_ x: UnsafePointer<Float>, count n: Int) -> Float { lfm_max_f32(x, Int64(n)) }

    /// x[i] = exp(x[i] - m) in place, returning Σ x[i] (softmax numerator; exp(-inf) = 0).
    @inlinable
    public static func expSum(_ x: UnsafeMutablePointer<Float>, subtracting m: Float, count n: Int) -> Float {
        lfm_exp_sum_f32(x, m, Int64(n))
    }
}

// MARK: Packed layouts

extension Kernels {
    /// Bytes of a `rows` x `cols` matrix in the packed layout `packed` (rows rounded up to 16).
    public static func packedBytes(_ packed: WeightType, rows: Int, cols: Int) -> Int {
        Int(lfm_packed_bytes(packed.rawValue, Int64(rows), Int64(cols)))
    }

    /// Packs row groups `groups` (16 rows each) of `src` (`rows` rows of `packed.packedBase`)
    /// into `dst`; disjoint group ranges may run concurrently.
    public static func pack(_ packed: WeightType, _ src: UnsafeRawPointer, rows: Int, cols: Int, groups: Range<Int>,
                            into dst: UnsafeMutableRawPointer) {
        let rc = lfm_pack_rows(packed.rawValue, src, Int64(rows), Int64(cols), Int64(groups.lowerBound), Int64(groups.upperBound), dst)
        precondition(rc == 0, "cannot pack \(packed.packedBase) rows of \(cols) as \(packed)")
    }

    /// Packs a whole matrix held in `bytes` (tests, tools).
    public static func pack(_ packed: WeightType, _ bytes: [UInt8], rows: Int, cols: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: packedBytes(packed, rows: rows, cols: cols))
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                pack(packed, src.baseAddress!, rows: rows, cols: cols, groups: 0..<(rows + 15) / 16, into: dst.baseAddress!)
            }
        }
        return out
    }

    /// Dequantises row `row` of a packed matrix.
    public static func dequantizePackedRow(_ packed: WeightType, _ w: UnsafeRawPointer, cols: Int, row: Int,
                                           into dst: UnsafeMutablePointer<Float>) {
        lfm_dequantize_packed_row(packed.rawValue, w, Int64(cols), Int64(row), dst)
    }
}

extension Kernels {
    /// Floats of 32-byte-aligned scratch one `lfm_attend_tile` call needs (per thread).
    public static func attendTileScratch(group: Int, headDim d: Int) -> Int { Int(lfm_attend_tile_scratch(Int64(group), Int64(d))) }

    /// Query tokens per `attendTile` call whose tiles share each key block's read and widening
    /// (`lfm_attend_tile_tokens`): the job size for prompt chunks.
    public static func attendTileTokens(group: Int) -> Int { Int(lfm_attend_tile_tokens(Int64(group))) }

    /// Split-K reduction (`lfm_attend_merge`): `parts` partial tile results over disjoint key
    /// ranges (outputs `[part][slotRows][d]`, (max, sum) pairs `[part][slotRows][2]`, of which the
    /// first `rows` are used) → the softmax output of each row r (token r / group, head r % group)
    /// at `out + (r / group) · outputStride + (r % group) · d`.
    public static func attendMerge(parts: Int, rows: Int, slotRows: Int? = nil, headDim d: Int, partials: UnsafePointer<Float>,
                                   maxSums: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, outputStride: Int, group: Int) {
        lfm_attend_merge(Int64(parts), Int64(rows), Int64(slotRows ?? rows), Int64(d), partials, maxSums, out, Int64(outputStride),
                         Int64(group))
    }

    /// Runs `iterations` rounds of independent int8 dot-product instructions on the calling
    /// thread and returns the int8 operations done (0 without AVX-512 VNNI); timed on every
    /// thread at once it measures the machine's int8 peak (`lfm-serve bench --batch`).
    public static func int8PeakProbe(iterations: Int64) -> Double { lfm_int8_peak_probe(iterations) }
}
