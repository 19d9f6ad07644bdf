/*
 * lfm_vec.c — instantiates the f32 vector primitives (lfm_vec.inc) for the portable,
 * AVX2+FMA and AVX-512 targets, and defines the vectorisable expf they share.
 */
#include "lfm_internal.h"

/* exp(x) for vector loops: Cephes-style range reduction x = n*ln2 + r (|r| <= ln2/2, ln2
 * split in two parts), degree-6 polynomial, 2^n through the exponent bits. Max relative
 * error ~2e-7 for x in [-87.3, 88]; x > 88 is clamped to exp(88) (~1.65e38); x < -87.3
 * (including -inf) gives 0. NaN inputs are not propagated. Branch-free so it vectorises. */
static inline __attribute__((always_inline)) float lfm_expf_vec(float x) {
    const float xc = fminf(fmaxf(x, -87.33654f), 88.0f);
    float fx = xc * 1.44269504088896341f;
    fx = (fx + 12582912.0f) - 12582912.0f;  /* round to nearest integer */
    float r = fmaf(fx, -0.693359375f, xc);
    r = fmaf(fx, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = fmaf(p, r, 1.3981999507e-3f);
    p = fmaf(p, r, 8.3334519073e-3f);
    p = fmaf(p, r, 4.1665795894e-2f);
    p = fmaf(p, r, 1.6666665459e-1f);
    p = fmaf(p, r, 5.0000001201e-1f);
    const float y = fmaf(p, r * r, r) + 1.0f;
    const int32_t n = (int32_t)fx;
    const float scale = lfm_u2f((uint32_t)(n + 127) << 23);
    return x < -87.33654f ? 0.0f : y * scale;
}

#define LFM_VEC_SFX portable
#define LFM_VEC_TGT
#include "lfm_vec.inc"
#undef LFM_VEC_SFX
#undef LFM_VEC_TGT

#if defined(__x86_64__)
#define LFM_VEC_SFX avx2
#define LFM_VEC_TGT __attribute__((target("avx2,fma,f16c")))
#include "lfm_vec.inc"
#undef LFM_VEC_SFX
#undef LFM_VEC_TGT

#define LFM_VEC_SFX avx512
#define LFM_VEC_TGT __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#include "lfm_vec.inc"
#undef LFM_VEC_SFX
#undef LFM_VEC_TGT
#endif
