/*
 * lfm_gemm_avx512.c — matrix products for AVX-512 (F/BW/VL/VNNI/BF16) CPUs.
 * Integer kernels: lfm_gemm_x86.inc with VNNI dot products (vpdpbusd / vpdpwssd on ymm).
 * BF16 weights: vdpbf16ps on zmm against bf16-rounded activations (see lfm_kernels.h).
 */
#include "lfm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define X86_TGT __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16,avx2,fma,f16c")))
#define X86_VNNI 1
/* 32 registers: 2 rows x 4 tokens of int32 + fp32 accumulators fit. */
#define X86_KQ_NR 2
#define X86_KQ_NT 4
#include "lfm_gemm_x86.inc"

/* BF16 weights x bf16 activations: 32 elements per vdpbf16ps (pairs multiplied exactly,
 * accumulated in fp32); k % 32 handled by zero-masked loads. */
static TGT AI void bf16_tile(const int NR, const int NT, const uint8_t *w, size_t wrb,
                             const uint8_t *a, size_t arb, int64_t k, float *y, size_t ldy) {
    __m512 acc[4][4];
    for (int r = 0; r < NR; ++r)
        for (int t = 0; t < NT; ++t) acc[r][t] = _mm512_setzero_ps();
    for (int64_t i = 0; i < k; i += 32) {
        const __mmask32 m = k - i >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << (k - i)) - 1u);
        __m512i wv[4];
        for (int r = 0; r < NR; ++r) {
            if (NT == 1) PREFETCH(w + r * wrb + 2 * i);
            wv[r] = _mm512_maskz_loadu_epi16(m, w + r * wrb + 2 * i);
        }
        for (int t = 0; t < NT; ++t) {
            const __m512i xv = _mm512_maskz_loadu_epi16(m, a + t * arb + 2 * i);
            for (int r = 0; r < NR; ++r)
                acc[r][t] = _mm512_dpbf16_ps(acc[r][t], (__m512bh)wv[r], (__m512bh)xv);
        }
    }
    for (int r = 0; r < NR; ++r)
        for (int t = 0; t < NT; ++t) y[(size_t)t * ldy + r] = _mm512_reduce_add_ps(acc[r][t]);
}
#define BF16BF_TILE(NR, NT, ...) bf16_tile(NR, NT, __VA_ARGS__)

static TGT void gemm_bf16bf(const void *w, int64_t k, int64_t r0, int64_t r1,
                            const void *act, int64_t T, float *y, size_t ldy) {
    const int wt = LFM_TYPE_BF16;
    const size_t wrb = lfm_row_bytes(wt, k), arb = lfm_act_row_bytes_impl(wt, k, 1);
    GEMM_DRIVER(BF16BF_TILE, 4, 4, wrb, arb);
}

int lfm_gemm_avx512(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                    const void *act, int64_t T, float *y, size_t ldy) {
    if (lfm_row_bytes(wtype, k) == 0 || r1 <= r0 || T <= 0) return lfm_row_bytes(wtype, k) != 0;
    switch (wtype) {
    case LFM_TYPE_Q8_0_R16: case LFM_TYPE_Q4_0_R16: case LFM_TYPE_BF16_R16:
        return lfm_gemm_avx512_packed(wtype, w, k, r0, r1, act, T, y, ldy);
    /* packed K-quants (made on AVX2 machines): the AVX2 kernels run here too */
    case LFM_TYPE_Q4_K_R16: case LFM_TYPE_Q5_K_R16: case LFM_TYPE_Q6_K_R16:
        return lfm_gemm_avx2_packed(wtype, w, k, r0, r1, act, T, y, ldy);
    case LFM_TYPE_BF16: gemm_bf16bf(w, k, r0, r1, act, T, y, ldy); return 1;
    case LFM_TYPE_F32: case LFM_TYPE_F16:
        gemm_fp(wtype, w, k, r0, r1, act, T, y, ldy); return 1;
    case LFM_TYPE_Q8_0: case LFM_TYPE_Q4_0: case LFM_TYPE_Q4_K: case LFM_TYPE_Q5_K: case LFM_TYPE_Q6_K:
        gemm_q(wtype, w, k, r0, r1, act, T, y, ldy); return 1;
    default: return 0;
    }
}

int lfm_gemm_avx512_bf16f32(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                            const void *act, int64_t T, float *y, size_t ldy) {
    if (wtype == LFM_TYPE_BF16_R16) return 0;   /* f32 activations: the portable packed product */
    if (wtype != LFM_TYPE_BF16) return lfm_gemm_avx512(wtype, w, k, r0, r1, act, T, y, ldy);
    if (r1 > r0 && T > 0) gemm_fp(wtype, w, k, r0, r1, act, T, y, ldy);
    return 1;
}
#endif
