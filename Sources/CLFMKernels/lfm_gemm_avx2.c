/*
 * lfm_gemm_avx2.c — matrix products for AVX2 + FMA + F16C CPUs (kernels in lfm_gemm_x86.inc,
 * int8 dot products emulated with vpmaddubsw/vpmaddwd). BF16 weights use f32 activations.
 */
#include "lfm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define X86_TGT __attribute__((target("avx2,fma,f16c")))
#define X86_VNNI 0
/* 16 ymm registers: K-quant tiles of 1 row x 4 tokens (no spills; the row's unpacked nibbles
 * and scales are reused by 4 tokens). Measured on a 2-core AVX2 EPYC (T = 64, 1 thread,
 * 57344 x 2048): Q4_K 95 vs 58-64 GOP/s for 2 x 2, Q5_K 83 vs 53-56, Q6_K 83 vs 60-62; 2 x 4,
 * 4 x 2, 3 x 3 and 2 x 3 were slower than 1 x 4 (docs/benchmarks.md, MoE section).
 * Overridable (-D) for such measurements. */
#ifndef X86_KQ_NR
#define X86_KQ_NR 1
#endif
#ifndef X86_KQ_NT
#define X86_KQ_NT 4
#endif
#include "lfm_gemm_x86.inc"

int lfm_gemm_avx2(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                  const void *act, int64_t T, float *y, size_t ldy) {
    if (lfm_row_bytes(wtype, k) == 0 || r1 <= r0 || T <= 0) return lfm_row_bytes(wtype, k) != 0;
    switch (wtype) {
    case LFM_TYPE_Q8_0_R16: case LFM_TYPE_Q4_0_R16: case LFM_TYPE_BF16_R16:
    case LFM_TYPE_Q4_K_R16: case LFM_TYPE_Q5_K_R16: case LFM_TYPE_Q6_K_R16:
        return lfm_gemm_avx2_packed(wtype, w, k, r0, r1, act, T, y, ldy);
    case LFM_TYPE_F32: case LFM_TYPE_F16: case LFM_TYPE_BF16:
        gemm_fp(wtype, w, k, r0, r1, act, T, y, ldy); return 1;
    case LFM_TYPE_Q8_0: case LFM_TYPE_Q4_0: case LFM_TYPE_Q4_K: case LFM_TYPE_Q5_K: case LFM_TYPE_Q6_K:
        gemm_q(wtype, w, k, r0, r1, act, T, y, ldy); return 1;
    default: return 0;
    }
}
#endif
