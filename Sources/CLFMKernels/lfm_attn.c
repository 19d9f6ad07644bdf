/*
 * lfm_attn.c — instantiates the tiled attention kernel (lfm_attn.inc) for the portable,
 * AVX2+FMA+F16C and AVX-512 targets, and the split-K merge shared by all of them.
 */
#include "lfm_internal.h"

/* The vector helpers are always inlined into their own target's functions: no ABI crossing. */
#pragma clang diagnostic ignored "-Wpsabi"

typedef float lfm_v8 __attribute__((vector_size(32)));
typedef float lfm_v4 __attribute__((vector_size(16)));
typedef int32_t lfm_v8i __attribute__((vector_size(32)));
typedef _Float16 lfm_h8 __attribute__((vector_size(16)));
typedef uint16_t lfm_u16x8 __attribute__((vector_size(16)));

#define lfm_v8_splat(x) ((lfm_v8){ (x), (x), (x), (x), (x), (x), (x), (x) })
/* mask ? a : b per lane (mask lanes all ones or zero, as comparisons give). */
#define lfm_v8_select(mask, a, b) ((lfm_v8)(((lfm_v8i)(a) & (mask)) | ((lfm_v8i)(b) & ~(mask))))

#define LFM_VEC_SFX portable
#define LFM_VEC_TGT
#include "lfm_attn.inc"
#undef LFM_VEC_SFX
#undef LFM_VEC_TGT

#if defined(__x86_64__)
#define LFM_VEC_SFX avx2
#define LFM_VEC_TGT __attribute__((target("avx2,fma,f16c")))
#include "lfm_attn.inc"
#undef LFM_VEC_SFX
#undef LFM_VEC_TGT

#define LFM_VEC_SFX avx512
#define LFM_VEC_TGT __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#include "lfm_attn.inc"
#undef LFM_VEC_SFX
#undef LFM_VEC_TGT
#endif

size_t lfm_attend_tile_scratch(int64_t group, int64_t d) {
    const int64_t DP = (d + 15) & ~(int64_t)15;
    const int64_t rmax = group > LFM_ATT_RMAX ? group : LFM_ATT_RMAX;
    const int64_t RP = (rmax + 7) & ~(int64_t)7;
    const int64_t n = 2 * LFM_ATT_BK * DP + LFM_ATT_BK * RP + LFM_ATT_TILES * (2 * DP * RP + 3 * RP + 4 * DP);
    return (size_t)((n + 15) & ~(int64_t)15);
}

int64_t lfm_attend_tile_tokens(int64_t group) {
    return (group >= LFM_ATT_RMAX ? 1 : LFM_ATT_RMAX / (group > 0 ? group : 1)) * LFM_ATT_TILES;
}

void lfm_attend_merge(int64_t parts, int64_t rows, int64_t slot_rows, int64_t d, const float *po, const float *pml,
                      float *out, int64_t ldo, int64_t group) {
    for (int64_t r = 0; r < rows; ++r) {
        float m = -INFINITY;
        for (int64_t s = 0; s < parts; ++s) {
            const float ms = pml[(s * slot_rows + r) * 2];
            if (pml[(s * slot_rows + r) * 2 + 1] > 0.0f && ms > m) m = ms;
        }
        float *o = out + (r / group) * ldo + (r % group) * d;
        for (int64_t i = 0; i < d; ++i) o[i] = 0.0f;
        float z = 0.0f;
        for (int64_t s = 0; s < parts; ++s) {
            const float l = pml[(s * slot_rows + r) * 2 + 1];
            if (!(l > 0.0f)) continue;
            const float w = l * expf(pml[(s * slot_rows + r) * 2] - m);
            z += w;
            const float *p = po + (s * slot_rows + r) * d;
            for (int64_t i = 0; i < d; ++i) o[i] = fmaf(w, p[i], o[i]);
        }
        const float inv = z > 0.0f ? 1.0f / z : 0.0f;
        for (int64_t i = 0; i < d; ++i) o[i] *= inv;
    }
}
