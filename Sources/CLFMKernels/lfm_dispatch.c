/*
 * lfm_dispatch.c — run-time ISA selection. The CPU is probed once (__builtin_cpu_supports)
 * and the active kernel table is an atomic pointer, so public entry points cost one load
 * and an indirect call. lfm_isa_force() swaps the table (clamped to the detected level).
 */
#include "lfm_internal.h"
#include <stdlib.h>
#include <stdatomic.h>

static size_t act_row_bytes_f32(int wtype, int64_t k) { return lfm_act_row_bytes_impl(wtype, k, 0); }
static void prepare_f32(int wtype, const float *x, size_t ldx, int64_t k, int64_t t0, int64_t t1, void *dst) {
    lfm_prepare_act_impl(wtype, x, ldx, k, t0, t1, dst, 0);
}

static void gemm_portable(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                          const void *act, int64_t T, float *y, size_t ldy) {
    lfm_gemm_portable(wtype, w, k, r0, r1, act, T, y, ldy);
}

#define LFM_TABLE(name, level, bf16act, arb, prep, gemmfn, sfx)                                 \
    const lfm_kernel_table name = {                                                           \
        level, bf16act, arb, prep, gemmfn, lfm_dot_f32_##sfx, lfm_axpy_f32_##sfx, lfm_scale_f32_##sfx, \
        lfm_rmsnorm_f32_##sfx, lfm_silu_mul_f32_##sfx, lfm_max_f32_##sfx, lfm_exp_sum_f32_##sfx,   \
        lfm_attend_##sfx, lfm_kv_store_##sfx, lfm_attend_tile_##sfx }

LFM_TABLE(lfm_table_portable, LFM_ISA_PORTABLE, 0, act_row_bytes_f32, prepare_f32, gemm_portable, portable);

#if defined(__x86_64__)
static size_t act_row_bytes_bf16(int wtype, int64_t k) { return lfm_act_row_bytes_impl(wtype, k, 1); }
static void prepare_bf16(int wtype, const float *x, size_t ldx, int64_t k, int64_t t0, int64_t t1, void *dst) {
    lfm_prepare_act_impl(wtype, x, ldx, k, t0, t1, dst, 1);
}

/* ISA kernels fall back to the portable code for a type they do not implement. */
static void gemm_avx2(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                      const void *act, int64_t T, float *y, size_t ldy) {
    if (!lfm_gemm_avx2(wtype, w, k, r0, r1, act, T, y, ldy))
        lfm_gemm_portable(wtype, w, k, r0, r1, act, T, y, ldy);
}
static void gemm_avx512(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                        const void *act, int64_t T, float *y, size_t ldy) {
    if (!lfm_gemm_avx512(wtype, w, k, r0, r1, act, T, y, ldy))
        lfm_gemm_portable(wtype, w, k, r0, r1, act, T, y, ldy);
}
static void gemm_avx512_bf16f32(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                                const void *act, int64_t T, float *y, size_t ldy) {
    if (!lfm_gemm_avx512_bf16f32(wtype, w, k, r0, r1, act, T, y, ldy))
        lfm_gemm_portable(wtype, w, k, r0, r1, act, T, y, ldy);
}
LFM_TABLE(lfm_table_avx2, LFM_ISA_AVX2, 0, act_row_bytes_f32, prepare_f32, gemm_avx2, avx2);
LFM_TABLE(lfm_table_avx512, LFM_ISA_AVX512, 1, act_row_bytes_bf16, prepare_bf16, gemm_avx512, avx512);
/* AVX-512 with exact f32 activations for BF16 weights (LFM_ISA_BF16_F32). */
LFM_TABLE(lfm_table_avx512_bf16f32, LFM_ISA_AVX512, 0, act_row_bytes_f32, prepare_f32, gemm_avx512_bf16f32, avx512);
#endif

static int detect(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
        __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))
        return LFM_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))
        return LFM_ISA_AVX2;
#endif
    return LFM_ISA_PORTABLE;
}

static atomic_int g_detected = -1;
static _Atomic(const lfm_kernel_table *) g_active = NULL;

int lfm_isa_detected(void) {
    int d = atomic_load_explicit(&g_detected, memory_order_relaxed);
    if (d < 0) {
        d = detect();
        atomic_store_explicit(&g_detected, d, memory_order_relaxed);
    }
    return d;
}

const lfm_kernel_table *lfm_kernels_for_isa(int level) {
    const int d = lfm_isa_detected();
    const int bf16_f32 = (level & LFM_ISA_BF16_F32) != 0;
    level &= 0xff;
    if (level > d) level = d;
#if defined(__x86_64__)
    if (level >= LFM_ISA_AVX512) return bf16_f32 ? &lfm_table_avx512_bf16f32 : &lfm_table_avx512;
    if (level == LFM_ISA_AVX2) return &lfm_table_avx2;
#else
    (void)bf16_f32;
#endif
    return &lfm_table_portable;
}

static inline const lfm_kernel_table *active(void) {
    const lfm_kernel_table *t = atomic_load_explicit(&g_active, memory_order_acquire);
    if (__builtin_expect(t == NULL, 0)) {
        /* LFM_KERNELS_EXACT_BF16=1: BF16 weights take f32 activations on AVX-512 too (exact f32
         * math, e.g. to compare log-probabilities with an f32 reference; docs/kernels.md). */
        const char *e = getenv("LFM_KERNELS_EXACT_BF16");
        t = lfm_kernels_for_isa(lfm_isa_detected() | (e != NULL && e[0] == '1' ? LFM_ISA_BF16_F32 : 0));
        atomic_store_explicit(&g_active, t, memory_order_release);
    }
    return t;
}

void lfm_isa_force(int level) {
    atomic_store_explicit(&g_active, lfm_kernels_for_isa(level < 0 ? 0 : level), memory_order_release);
}
int lfm_isa_active(void) { return active()->isa; }

int lfm_preferred_packing(int type) {
    static int disabled = -1;   /* LFM_KERNELS_NO_PACK=1 keeps the ggml layouts (A/B measurements) */
    static int k_disabled = -1; /* LFM_KERNELS_NO_KPACK=1 only for the K-quants */
    if (disabled < 0) {
        const char *e = getenv("LFM_KERNELS_NO_PACK"), *ek = getenv("LFM_KERNELS_NO_KPACK");
        k_disabled = ek != NULL && ek[0] == '1';
        disabled = e != NULL && e[0] == '1';
    }
    const lfm_kernel_table *t = active();
    if (disabled || t->isa < LFM_ISA_AVX2) return type;
    /* K-quants: packed on AVX2 only (the AVX-512 table keeps its 2 x 4 VNNI tiles on the ggml
     * layout; docs/kernels.md, "Packed K-quants on AVX2") */
    if (t->isa == LFM_ISA_AVX2 && !k_disabled) {
        if (type == LFM_TYPE_Q4_K) return LFM_TYPE_Q4_K_R16;
        if (type == LFM_TYPE_Q5_K) return LFM_TYPE_Q5_K_R16;
        if (type == LFM_TYPE_Q6_K) return LFM_TYPE_Q6_K_R16;
    }
    if (type == LFM_TYPE_Q8_0) return LFM_TYPE_Q8_0_R16;
    if (type == LFM_TYPE_Q4_0) return LFM_TYPE_Q4_0_R16;
    /* AVX2 multiplies BF16_R16 with f32 activations; AVX-512 with bf16 ones (the exact-f32
     * AVX-512 table has no packed BF16 kernel) */
    if (type == LFM_TYPE_BF16 && (t->isa == LFM_ISA_AVX2 || t->bf16_act)) return LFM_TYPE_BF16_R16;
    return type;
}
int lfm_bf16_uses_bf16_act(void) { return active()->bf16_act; }

size_t lfm_act_row_bytes(int wtype, int64_t k) { return active()->act_row_bytes(wtype, k); }
void lfm_prepare_act(int wtype, const float *x, size_t ldx, int64_t k, int64_t t0, int64_t t1, void *dst) {
    active()->prepare_act(wtype, x, ldx, k, t0, t1, dst);
}
void lfm_prepare_act_rms(int wtype, const float *x, size_t ldx, int64_t k, int64_t t0, int64_t t1, void *dst,
                         const float *norm_w, float eps) {
    if (k <= 0 || k > LFM_RMS_FUSE_MAX) return;
    const lfm_kernel_table *tb = active();
    float row[k];   /* one normalised row, in L1: the normalised activations never reach memory */
    for (int64_t t = t0; t < t1; ++t) {
        tb->rmsnorm(x + (size_t)t * ldx, norm_w, row, k, eps);
        tb->prepare_act(wtype, row, 0, k, t, t + 1, dst);   /* ldx 0: row t is `row`; output row t of dst */
    }
}

void lfm_gemm(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1, const void *act,
              int64_t T, float *y, size_t ldy) {
    active()->gemm(wtype, w, k, r0, r1, act, T, y, ldy);
}
float lfm_dot_f32(const float *a, const float *b, int64_t n) { return active()->dot(a, b, n); }
void lfm_axpy_f32(float a, const float *x, float *y, int64_t n) { active()->axpy(a, x, y, n); }
void lfm_scale_f32(float a, float *x, int64_t n) { active()->scale(a, x, n); }
void lfm_rmsnorm_f32(const float *x, const float *w, float *y, int64_t n, float eps) {
    active()->rmsnorm(x, w, y, n, eps);
}
void lfm_silu_mul_f32(const float *gate, const float *up, float *out, int64_t n) {
    active()->silu_mul(gate, up, out, n);
}
float lfm_max_f32(const float *x, int64_t n) { return active()->max(x, n); }
float lfm_exp_sum_f32(float *x, float m, int64_t n) { return active()->exp_sum(x, m, n); }
void lfm_attend(int dtype, const float *q, const void *const *kpages, const void *const *vpages, int64_t P,
                int64_t stride, int64_t n, int64_t d, float scale, float *scores, float *out) {
    active()->attend(dtype, q, kpages, vpages, P, stride, n, d, scale, scores, out);
}
void lfm_attend_tile(int dtype, const float *q, int64_t ldq, int64_t nq, int64_t group, int64_t d, int64_t qpos0,
                     const void *const *kpages, const void *const *vpages, int64_t P, int64_t stride,
                     int64_t k0, int64_t k1, float scale, float *scratch, float *out, int64_t ldo, float *ml) {
    active()->attend_tile(dtype, q, ldq, nq, group, d, qpos0, kpages, vpages, P, stride, k0, k1, scale, scratch, out,
                          ldo, ml);
}
void lfm_kv_store(int dtype, const float *src, void *dst, int64_t n) { active()->kv_store(dtype, src, dst, n); }
size_t lfm_kv_elem_bytes(int dtype) { return dtype == LFM_KV_F16 || dtype == LFM_KV_BF16 ? 2 : 4; }
