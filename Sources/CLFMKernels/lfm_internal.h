/*
 * lfm_internal.h — shared definitions for the kernel implementation files (not public).
 *
 * Block layouts (docs/lfm2.md §6.3) are accessed through byte offsets rather than packed
 * structs: Q8_0 (34 B) and Q4_0 (18 B) blocks are not 4-byte aligned inside a row.
 */
#ifndef LFM_INTERNAL_H
#define LFM_INTERNAL_H

#include "lfm_kernels.h"
#include <math.h>
#include <string.h>

#define QK8_0 32
#define QK4_0 32
#define QK_K 256
#define Q8_0_BYTES 34
#define Q4_0_BYTES 18
#define Q4_K_BYTES 144
#define Q5_K_BYTES 176
#define Q6_K_BYTES 210

#define LFM_ALIGN64(x) (((x) + 63) & ~(size_t)63)

static inline uint32_t lfm_f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float lfm_u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint16_t lfm_rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* IEEE binary16 -> f32 (exact, handles subnormals, inf, nan). */
static inline float lfm_h2f(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    if (exp == 0) {
        const float v = (float)man * 5.9604644775390625e-08f; /* man * 2^-24 */
        return lfm_u2f(lfm_f2u(v) | sign);
    }
    if (exp == 31) return lfm_u2f(sign | 0x7f800000u | (man << 13));
    return lfm_u2f(sign | ((exp + 112u) << 23) | (man << 13));
}

/* f32 -> IEEE binary16, round to nearest even (the FP16-library bit trick: the f32 adder
 * performs the rounding). Matches F16C vcvtps2ph with imm 0 and ggml's GGML_FP32_TO_FP16. */
static inline uint16_t lfm_f2h(float f) {
    float base = (fabsf(f) * 0x1.0p+112f) * 0x1.0p-110f;
    const uint32_t w = lfm_f2u(f);
    const uint32_t shl1_w = w + w;
    const uint32_t sign = w & 0x80000000u;
    uint32_t bias = shl1_w & 0xff000000u;
    if (bias < 0x71000000u) bias = 0x71000000u;
    base = lfm_u2f((bias >> 1) + 0x07800000u) + base;
    const uint32_t bits = lfm_f2u(base);
    const uint32_t exp_bits = (bits >> 13) & 0x00007c00u;
    const uint32_t mantissa_bits = bits & 0x00000fffu;
    const uint32_t nonsign = exp_bits + mantissa_bits;
    return (uint16_t)((sign >> 16) | (shl1_w > 0xff000000u ? 0x7e00u : nonsign));
}

static inline float lfm_b2f(uint16_t h) { return lfm_u2f((uint32_t)h << 16); }

/* f32 -> bf16, round to nearest even; NaN stays NaN (quiet). */
static inline uint16_t lfm_f2b(float f) {
    const uint32_t u = lfm_f2u(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 64u);
    return (uint16_t)((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}

/* ggml's nearest_int: round half to even via the 1.5*2^23 magic constant (|x| < 2^22). */
static inline int lfm_nearest_int(float x) {
    const float v = x + 12582912.0f;
    int32_t i; memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

/* Q4_K: unpack the 12 scale bytes into 8 six-bit scales (sc) and mins (m), §6.3. */
static inline void lfm_q4k_scales(const uint8_t *s12, uint8_t sc[8], uint8_t m[8]) {
    for (int j = 0; j < 4; ++j) {
        sc[j] = s12[j] & 63;
        m[j] = s12[j + 4] & 63;
        sc[j + 4] = (uint8_t)((s12[j + 8] & 0xf) | ((s12[j] >> 6) << 4));
        m[j + 4] = (uint8_t)((s12[j + 8] >> 4) | ((s12[j + 4] >> 6) << 4));
    }
}

/* Same unpacking on 32-bit words: out[0] = sc0..3, out[1] = sc4..7, out[2] = m0..3,
 * out[3] = m4..7 (little-endian bytes). Few integer ops; used in the hot loops. */
static inline void lfm_q4k_scales_u32(const uint8_t *s12, uint32_t out[4]) {
    uint32_t w0, w1, w2;
    memcpy(&w0, s12, 4); memcpy(&w1, s12 + 4, 4); memcpy(&w2, s12 + 8, 4);
    out[0] = w0 & 0x3f3f3f3fu;
    out[2] = w1 & 0x3f3f3f3fu;
    out[1] = (w2 & 0x0f0f0f0fu) | (((w0 >> 6) & 0x03030303u) << 4);
    out[3] = ((w2 >> 4) & 0x0f0f0f0fu) | (((w1 >> 6) & 0x03030303u) << 4);
}

/* ---- Activation row layouts (see lfm_kernels.h) ---- */
typedef struct {
    const int8_t *qs;      /* k int8 */
    const float *d;        /* k/32 (Q8_0) or k/256 (Q8_K) scales */
    const void *extra;     /* Q8_0: int32 nsum8[k/32]; Q8_K: int16 bsums[k/16] */
} lfm_qact;

static inline size_t lfm_q8_0_act_bytes(int64_t k) {
    return LFM_ALIGN64((size_t)k) + LFM_ALIGN64((size_t)(k / 32) * 4) * 2;
}
static inline size_t lfm_q8_k_act_bytes(int64_t k) {
    return LFM_ALIGN64((size_t)k) + LFM_ALIGN64((size_t)(k / 256) * 4) +
           LFM_ALIGN64((size_t)(k / 16) * 2);
}
static inline lfm_qact lfm_q8_0_act(const void *row, int64_t k) {
    const char *p = (const char *)row;
    lfm_qact a = { (const int8_t *)p, (const float *)(p + LFM_ALIGN64((size_t)k)),
                   p + LFM_ALIGN64((size_t)k) + LFM_ALIGN64((size_t)(k / 32) * 4) };
    return a;
}
static inline lfm_qact lfm_q8_k_act(const void *row, int64_t k) {
    const char *p = (const char *)row;
    lfm_qact a = { (const int8_t *)p, (const float *)(p + LFM_ALIGN64((size_t)k)),
                   p + LFM_ALIGN64((size_t)k) + LFM_ALIGN64((size_t)(k / 256) * 4) };
    return a;
}

/* Activation formats and preparation (lfm_act.c); bf16_act selects bf16 rows for BF16 weights. */
size_t lfm_act_row_bytes_impl(int wtype, int64_t k, int bf16_act);
void lfm_prepare_act_impl(int wtype, const float *x, size_t ldx, int64_t k, int64_t t0,
                          int64_t t1, void *dst, int bf16_act);

/* Per-ISA tables (lfm_dispatch.c wires them). */
extern const lfm_kernel_table lfm_table_portable;
#if defined(__x86_64__)
extern const lfm_kernel_table lfm_table_avx2;
extern const lfm_kernel_table lfm_table_avx512;
#endif

/* gemm implementations per ISA: return 0 if the type is unsupported. */
int lfm_gemm_portable(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                      const void *act, int64_t T, float *y, size_t ldy);
/* One Q4_K / Q5_K / Q6_K row (ggml layout) x Q8_K activations, portable (lfm_gemm_portable.c). */
float lfm_dot_k_portable(int wtype, const uint8_t *w, lfm_qact a, int64_t k);
int lfm_gemm_packed_portable(int ptype, const void *w, int64_t k, int64_t r0, int64_t r1,
                             const void *act, int64_t T, float *y, size_t ldy);
#if defined(__x86_64__)
int lfm_gemm_avx2(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                  const void *act, int64_t T, float *y, size_t ldy);
/* Packed layouts (lfm_gemm_avx2_packed.c): 0 for other types; BF16_R16 takes f32 activations. */
int lfm_gemm_avx2_packed(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                         const void *act, int64_t T, float *y, size_t ldy);
int lfm_gemm_avx512_packed(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                           const void *act, int64_t T, float *y, size_t ldy);
int lfm_gemm_avx512(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                    const void *act, int64_t T, float *y, size_t ldy);
/* As lfm_gemm_avx512 but BF16 weights take f32 activations (LFM_ISA_BF16_F32). */
int lfm_gemm_avx512_bf16f32(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                            const void *act, int64_t T, float *y, size_t ldy);
#endif

/* Tiled attention (lfm_attn.c): keys per block and rows (query tokens x heads) per tile. */
#define LFM_ATT_BK 32
#define LFM_ATT_RMAX 32
/* Tiles of one call that share each key block (read and widened once for all of them). */
#define LFM_ATT_TILES 8

/* Vector primitives per ISA (lfm_vec.c, lfm_attn.c). */
#define LFM_DECL_VEC(sfx)                                                                   \
    float lfm_dot_f32_##sfx(const float *a, const float *b, int64_t n);                     \
    void lfm_axpy_f32_##sfx(float a, const float *x, float *y, int64_t n);                  \
    void lfm_scale_f32_##sfx(float a, float *x, int64_t n);                                 \
    void lfm_rmsnorm_f32_##sfx(const float *x, const float *w, float *y, int64_t n, float eps); \
    void lfm_silu_mul_f32_##sfx(const float *g, const float *u, float *o, int64_t n);       \
    float lfm_max_f32_##sfx(const float *x, int64_t n);                                     \
    float lfm_exp_sum_f32_##sfx(float *x, float m, int64_t n);                                          \
    void lfm_attend_##sfx(int dtype, const float *q, const void *const *kpages, const void *const *vpages,  \
                          int64_t P, int64_t stride, int64_t n, int64_t d, float scale, float *scores,    \
                          float *out);                                                                    \
    void lfm_kv_store_##sfx(int dtype, const float *src, void *dst, int64_t n);                  \
    void lfm_attend_tile_##sfx(int dtype, const float *q, int64_t ldq, int64_t nq, int64_t group, int64_t d,  \
                               int64_t qpos0, const void *const *kpages, const void *const *vpages,          \
                               int64_t P, int64_t stride, int64_t k0, int64_t k1, float scale,               \
                               float *scratch, float *out, int64_t ldo, float *ml);
LFM_DECL_VEC(portable)
#if defined(__x86_64__)
LFM_DECL_VEC(avx2)
LFM_DECL_VEC(avx512)
#endif

#endif /* LFM_INTERNAL_H */
