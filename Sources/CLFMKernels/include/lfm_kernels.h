/*
 * lfm_kernels.h — CPU compute kernels for LFMServe (public C API).
 *
 * Weight formats follow ggml/GGUF block layouts (docs/lfm2.md §6.3). Matrix products take
 * weights as stored (no dequantised copy) and activations prepared once per matmul by
 * lfm_prepare_act() in a format that suits the weight type (§6.4):
 *
 *   weight type      activation row format (row stride = lfm_act_row_bytes)
 *   F32, F16         float[k]
 *   BF16             uint16 bf16[k] (round-to-nearest-even) when the ISA has AVX512_BF16,
 *                    else float[k]. The bf16 path rounds activations to bf16 (rel. err ~2^-9
 *                    per element, fp32 accumulation); or LFM_ISA_BF16_F32 into the ISA
 *                    level for the exact f32 path on AVX-512 as well.
 *   Q8_0, Q4_0       "Q8_0 activations": int8 qs[k]; float d[k/32]; int32 nsum8[k/32]
 *                    d is the ggml block scale rounded through fp16 (as block_q8_0 stores it),
 *                    nsum8 = -8 * sum(qs of the block) (used by the Q4_0 kernels).
 *   Q4_K, Q5_K, Q6_K "Q8_K activations": int8 qs[k]; float d[k/256]; int16 bsums[k/16]
 *                    exactly ggml's quantize_row_q8_K_ref (d = -max/127, signed max).
 *   Each section starts at an offset that is a multiple of 64 bytes; rows are padded to 64.
 *
 * Activation formats depend on the active ISA (BF16 only); prepare and multiply with the
 * same ISA (do not call lfm_isa_force between the two).
 *
 * Threading: every function is reentrant; lfm_gemm may run concurrently on disjoint row
 * ranges. Nothing allocates memory.
 */
#ifndef LFM_KERNELS_H
#define LFM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ggml type ids (docs/lfm2.md §6.1). */
enum {
    LFM_TYPE_F32 = 0,
    LFM_TYPE_F16 = 1,
    LFM_TYPE_Q4_0 = 2,
    LFM_TYPE_Q8_0 = 8,
    LFM_TYPE_Q4_K = 12,
    LFM_TYPE_Q5_K = 13,
    LFM_TYPE_Q6_K = 14,
    LFM_TYPE_BF16 = 30,
};

/* Packed weight layouts (lfm_pack.c): rows regrouped 16 at a time so that the AVX-512 VNNI
 * kernels compute outer products (4 k x 16 rows per instruction; BF16: 2 k x 16 rows per
 * vdpbf16ps, k even, with bf16 activations), and the AVX2 kernels likewise on 8-row halves
 * (BF16 with f32 activations). Same block geometry and
 * activation format as the base type; row_bytes is the base type's, and a packed matrix of
 * `rows` rows takes lfm_packed_bytes (rows rounded up to 16). Not valid for row lookups
 * (embeddings): use lfm_dequantize_packed_row. */
enum { LFM_TYPE_Q4_0_R16 = 0x1002, LFM_TYPE_Q8_0_R16 = 0x1008, LFM_TYPE_BF16_R16 = 0x101e };
/* K-quants regrouped 16 rows at a time with the super-block scales unpacked (one byte per
 * 32-element sub-block; lfm_pack.c), multiplied by the AVX2 outer-product kernels with Q8_K
 * activations. Unlike the types above their row_bytes differ from the base type's: 148
 * (Q4_K_R16), 180 (Q5_K_R16) and 210 (Q6_K_R16) bytes per 256 elements; group g still starts
 * at g * 16 * lfm_row_bytes(ptype, k). */
enum { LFM_TYPE_Q4_K_R16 = 0x100c, LFM_TYPE_Q5_K_R16 = 0x100d, LFM_TYPE_Q6_K_R16 = 0x100e };

/* Instruction-set levels. LFM_ISA_BF16_F32 may be or-ed into a level passed to
 * lfm_isa_force / lfm_kernels_for_isa: BF16 weights then take f32 activations and exact
 * fp32 products on AVX-512 too (instead of vdpbf16ps on bf16-rounded activations); use it
 * for parity tests against fp32 references. It changes nothing on other levels. */
enum { LFM_ISA_PORTABLE = 0, LFM_ISA_AVX2 = 1, LFM_ISA_AVX512 = 2, LFM_ISA_BF16_F32 = 0x100 };

/* ---- Block geometry --------------------------------------------------------------- */
int64_t lfm_block_elems(int type);          /* 1, 32 or 256; 0 if unsupported */
int64_t lfm_block_bytes(int type);          /* 4, 2, 2, 34, 18, 144, 176, 210; 0 if unsupported */
size_t lfm_row_bytes(int type, int64_t n);  /* 0 if unsupported or n not a block multiple */

/* ---- Reference conversions (scalar, exact) ---------------------------------------- */
/* Dequantise n elements (n a block multiple) of one row. */
void lfm_dequantize_row(int type, const void *src, float *dst, int64_t n);
/* Quantise n elements into blocks of `type`. Q8_0 and Q4_0 are ggml's reference algorithms
 * (bit-exact); F16/BF16 round to nearest even. Q4_K, Q5_K and Q6_K use a simple valid encoder
 * (per-sub-block min/max scales, not ggml's make_qkx2/make_qx search): meant for tests and
 * fixtures, not for producing model files. Returns 0 on success, -1 if unsupported. */
int lfm_quantize_row(int type, const float *src, void *dst, int64_t n);
float lfm_fp16_to_fp32(uint16_t h);
uint16_t lfm_fp32_to_fp16(float f);   /* round to nearest even */
float lfm_bf16_to_fp32(uint16_t h);
uint16_t lfm_fp32_to_bf16(float f);   /* round to nearest even */

/* ---- Activations ------------------------------------------------------------------ */
size_t lfm_act_row_bytes(int wtype, int64_t k);
/* Quantise/convert rows t0..t1-1: source row t is x + t*ldx, destination row t is
 * (char *)dst + t*lfm_act_row_bytes(wtype, k). Both pointers are the buffers' bases, so
 * callers can split [0, T) over threads. */
void lfm_prepare_act(int wtype, const float *x, size_t ldx, int64_t k, int64_t t0, int64_t t1,
                     void *dst);

/* As lfm_prepare_act on rmsnorm(x row) * norm_w (y = w * x / sqrt(mean(x^2) + eps)): the
 * normalisation fused into the activation preparation of the following product, so the
 * normalised rows are never written out. k <= LFM_RMS_FUSE_MAX (otherwise nothing is done). */
#define LFM_RMS_FUSE_MAX 16384
void lfm_prepare_act_rms(int wtype, const float *x, size_t ldx, int64_t k, int64_t t0, int64_t t1, void *dst,
                         const float *norm_w, float eps);

/* ---- Matrix product --------------------------------------------------------------- */
/* Y[t*ldy + r] = dot(W row r, activation row t) for r in [r0, r1), t in [0, T).
 * W rows are lfm_row_bytes(wtype, k) apart; activation rows lfm_act_row_bytes(wtype, k). */
void lfm_gemm(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1, const void *act,
              int64_t T, float *y, size_t ldy);

/* ---- Packed weights -------------------------------------------------------------------- */
/* The packed type the active kernels are fastest with for `type`, or `type` itself. */
int lfm_preferred_packing(int type);
/* The base type of a packed type (the type itself for others). */
int lfm_packed_base_type(int type);
/* Bytes of a packed matrix of `rows` x k; 0 if ptype is not a packed type or k is invalid. */
size_t lfm_packed_bytes(int ptype, int64_t rows, int64_t k);
/* Packs row groups g0..g1-1 (rows 16*g0 .. 16*g1-1) of the base-type matrix `src` (`rows`
 * rows) into dst (lfm_packed_bytes). Disjoint group ranges may run on different threads.
 * Returns 0, or -1 for an unsupported type / k. */
int lfm_pack_rows(int ptype, const void *src, int64_t rows, int64_t k, int64_t g0, int64_t g1, void *dst);
/* Dequantises row `row` of a packed matrix. */
void lfm_dequantize_packed_row(int ptype, const void *w, int64_t k, int64_t row, float *dst);

/* Runs `iters` rounds of independent int8 dot-product instructions (AVX-512 VNNI) on the
 * calling thread and returns the int8 operations done (0 without AVX-512): time it on every
 * thread to measure the machine's int8 peak. */
double lfm_int8_peak_probe(int64_t iters);

/* ---- ISA control -------------------------------------------------------------------- */
int lfm_isa_detected(void);
void lfm_isa_force(int level);   /* level (| LFM_ISA_BF16_F32), clamped to [0, detected] */
int lfm_isa_active(void);        /* the active level (without flags) */
int lfm_bf16_uses_bf16_act(void); /* 1 if the active kernels feed BF16 weights bf16 activations */

/* ---- f32 vector primitives (dispatched) ---------------------------------------------- */
float lfm_dot_f32(const float *a, const float *b, int64_t n);
void lfm_axpy_f32(float a, const float *x, float *y, int64_t n);   /* y += a*x */
void lfm_scale_f32(float a, float *x, int64_t n);                   /* x *= a */
/* y = w * x / sqrt(mean(x^2) + eps); y may alias x. */
void lfm_rmsnorm_f32(const float *x, const float *w, float *y, int64_t n, float eps);
/* out = silu(gate) * up, silu(z) = z / (1 + exp(-z)); out may alias gate or up. */
void lfm_silu_mul_f32(const float *gate, const float *up, float *out, int64_t n);
float lfm_max_f32(const float *x, int64_t n);                       /* -inf for n == 0 */
/* x[i] = exp(x[i] - m) in place, returns the sum; exp(-inf) = 0. */
float lfm_exp_sum_f32(float *x, float m, int64_t n);
/* KV cache element types. */
enum { LFM_KV_F32 = 0, LFM_KV_F16 = 1, LFM_KV_BF16 = 2 };
size_t lfm_kv_elem_bytes(int dtype);
/* Converts n floats into KV storage of `dtype` at dst (f16 / bf16: round to nearest even). */
void lfm_kv_store(int dtype, const float *src, void *dst, int64_t n);
/* Causal attention of one query head over KV of element type `dtype`: position tau's key
 * starts at element (tau % P) * stride of kpages[tau / P] (d elements), its value likewise
 * in vpages; out[0..d) = the softmax(scale * q.k)-weighted sum of the values over tau in
 * [0, n), computed in f32. scores: n floats of scratch. */
void lfm_attend(int dtype, const float *q, const void *const *kpages, const void *const *vpages, int64_t P,
                int64_t stride, int64_t n, int64_t d, float scale, float *scores, float *out);

/* Tiled causal attention (flash-attention style, online softmax; docs/lfm2.md §2.5) of nq
 * consecutive query tokens at positions qpos0 .. qpos0+nq-1, each with `group` query heads that
 * share one KV head: head h of token t is q[t*ldq + h*d .. +d), its output out[t*ldo + h*d ..].
 * Token t attends the keys tau in [k0, min(k1, qpos0+t+1)), read from pages as lfm_attend
 * (kpages / vpages already offset to the KV head). Each block of keys is read and widened to f32
 * once per group of up to 8 tiles of up to 32 rows (tokens x heads) each. With ml == NULL, out is the
 * softmax-weighted sum; otherwise out is the part over the given key range, normalised by its
 * own sum, and ml[2r], ml[2r+1] (row r = t*group + h) get its score maximum m and sum l of
 * exp(score - m) (m = -inf, l = 0, out = 0 for a row without keys), for lfm_attend_merge.
 * scratch: lfm_attend_tile_scratch(group, d) floats, 32-byte aligned. */
size_t lfm_attend_tile_scratch(int64_t group, int64_t d);
/* Query tokens per call that share each key block's read (LFM_ATT_TILES tiles of up to 32
 * rows): the natural job size for a prompt chunk. */
int64_t lfm_attend_tile_tokens(int64_t group);
void lfm_attend_tile(int dtype, const float *q, int64_t ldq, int64_t nq, int64_t group, int64_t d, int64_t qpos0,
                     const void *const *kpages, const void *const *vpages, int64_t P, int64_t stride,
                     int64_t k0, int64_t k1, float scale, float *scratch, float *out, int64_t ldo, float *ml);
/* Split-K reduction: `parts` partial results of lfm_attend_tile over disjoint key ranges, part s
 * with rows r in [0, rows) at po[(s*slot_rows + r)*d] and pml[(s*slot_rows + r)*2] → the exact
 * softmax output of row r (token r / group, head r % group) at out[(r/group)*ldo + (r%group)*d]. */
void lfm_attend_merge(int64_t parts, int64_t rows, int64_t slot_rows, int64_t d, const float *po, const float *pml,
                      float *out, int64_t ldo, int64_t group);

/* ---- Explicit-ISA entry points (tests, benchmarks) ------------------------------------
 * A table of the kernels for one ISA level, independent of the global active level, so
 * tests running in parallel can compare paths without racing on lfm_isa_force. */
typedef struct lfm_kernel_table {
    int isa;          /* LFM_ISA_PORTABLE / AVX2 / AVX512 */
    int bf16_act;     /* 1: BF16 weights take bf16 activations (see LFM_ISA_BF16_F32) */
    size_t (*act_row_bytes)(int wtype, int64_t k);
    void (*prepare_act)(int wtype, const float *x, size_t ldx, int64_t k, int64_t t0, int64_t t1,
                        void *dst);
    void (*gemm)(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1, const void *act,
                 int64_t T, float *y, size_t ldy);
    float (*dot)(const float *a, const float *b, int64_t n);
    void (*axpy)(float a, const float *x, float *y, int64_t n);
    void (*scale)(float a, float *x, int64_t n);
    void (*rmsnorm)(const float *x, const float *w, float *y, int64_t n, float eps);
    void (*silu_mul)(const float *gate, const float *up, float *out, int64_t n);
    float (*max)(const float *x, int64_t n);
    float (*exp_sum)(float *x, float m, int64_t n);
    void (*attend)(int dtype, const float *q, const void *const *kpages, const void *const *vpages, int64_t P,
                   int64_t stride, int64_t n, int64_t d, float scale, float *scores, float *out);
    void (*kv_store)(int dtype, const float *src, void *dst, int64_t n);
    void (*attend_tile)(int dtype, const float *q, int64_t ldq, int64_t nq, int64_t group, int64_t d,
                        int64_t qpos0, const void *const *kpages, const void *const *vpages, int64_t P,
                        int64_t stride, int64_t k0, int64_t k1, float scale, float *scratch, float *out,
                        int64_t ldo, float *ml);
} lfm_kernel_table;

/* The table for `level` (| LFM_ISA_BF16_F32) clamped to what the CPU supports (never NULL). */
const lfm_kernel_table *lfm_kernels_for_isa(int level);

#ifdef __cplusplus
}
#endif
#endif /* LFM_KERNELS_H */
