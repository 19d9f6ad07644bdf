/*
 * lfm_act.c — activation preparation: converts f32 activation rows into the format the
 * weight type's kernels consume (layouts in lfm_kernels.h). This is O(k*T) work next to the
 * O(k*T*rows) product, so it stays portable C; the quantisers reproduce ggml's reference
 * quantize_row_q8_0_ref / quantize_row_q8_K_ref bit for bit.
 */
#include "lfm_internal.h"

size_t lfm_act_row_bytes_impl(int wtype, int64_t k, int bf16_act) {
    wtype = lfm_packed_base_type(wtype);
    switch (wtype) {
    case LFM_TYPE_F32: case LFM_TYPE_F16: return LFM_ALIGN64((size_t)k * 4);
    case LFM_TYPE_BF16: return LFM_ALIGN64((size_t)k * (bf16_act ? 2 : 4));
    case LFM_TYPE_Q8_0: case LFM_TYPE_Q4_0: return k % 32 ? 0 : lfm_q8_0_act_bytes(k);
    case LFM_TYPE_Q4_K: case LFM_TYPE_Q5_K: case LFM_TYPE_Q6_K: return k % 256 ? 0 : lfm_q8_k_act_bytes(k);
    default: return 0;
    }
}

/* roundf() (half away from zero) without a libm call so the loop vectorises: for the
 * |v| <= 127.5 range used here trunc(v + copysign(0.49999997, v)) is exact. */
static inline float round_half_away(float v) {
    /* (int) truncates toward zero like truncf, and inlines as cvttps2dq on every target
     * (truncf became a libm call without SSE4.1 in the portable build). */
    return (float)(int32_t)(v + copysignf(0.49999997f, v));
}

/* One row -> "Q8_0 activations": qs, d (fp16-rounded), nsum8 = -8*sum(q). */
static void act_q8_0(const float *x, int64_t k, void *dst) {
    char *p = (char *)dst;
    int8_t *qs = (int8_t *)p;
    float *d = (float *)(p + LFM_ALIGN64((size_t)k));
    int32_t *nsum8 = (int32_t *)(p + LFM_ALIGN64((size_t)k) + LFM_ALIGN64((size_t)(k / 32) * 4));
    for (int64_t b = 0; b < k / 32; ++b) {
        const float *xb = x + 32 * b;
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = fmaxf(amax, fabsf(xb[j]));
        const float db = amax / 127.0f, id = db != 0.0f ? 1.0f / db : 0.0f;
        int8_t q[32];
        int sum = 0;
        for (int j = 0; j < 32; ++j) q[j] = (int8_t)round_half_away(xb[j] * id);
        for (int j = 0; j < 32; ++j) sum += q[j];
        memcpy(qs + 32 * b, q, 32);
        d[b] = lfm_h2f(lfm_f2h(db));
        nsum8[b] = -8 * sum;
    }
}

/* One row -> "Q8_K activations" (ggml quantize_row_q8_K_ref): d = -max/127 where max is the
 * signed element of largest magnitude, q = min(127, nearest_int(x * -127/max)). */
static void act_q8_k(const float *x, int64_t k, void *dst) {
    char *p = (char *)dst;
    int8_t *qs = (int8_t *)p;
    float *d = (float *)(p + LFM_ALIGN64((size_t)k));
    int16_t *bsums = (int16_t *)(p + LFM_ALIGN64((size_t)k) + LFM_ALIGN64((size_t)(k / 256) * 4));
    for (int64_t b = 0; b < k / 256; ++b) {
        const float *xb = x + 256 * b;
        int8_t *q = qs + 256 * b;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 256; ++j) {
            const float ax = fabsf(xb[j]);
            if (ax > amax) { amax = ax; max = xb[j]; }
        }
        if (amax == 0.0f) {
            d[b] = 0.0f;
            memset(q, 0, 256);
            memset(bsums + 16 * b, 0, 32);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < 256; ++j) {
            const int v = lfm_nearest_int(iscale * xb[j]);
            q[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int g = 0; g < 16; ++g) {
            int s = 0;
            for (int l = 0; l < 16; ++l) s += q[16 * g + l];
            bsums[16 * b + g] = (int16_t)s;
        }
        d[b] = 1.0f / iscale;
    }
}

void lfm_prepare_act_impl(int wtype, const float *x, size_t ldx, int64_t k, int64_t t0,
                          int64_t t1, void *dst, int bf16_act) {
    wtype = lfm_packed_base_type(wtype);
    const size_t rb = lfm_act_row_bytes_impl(wtype, k, bf16_act);
    if (rb == 0) return;
    for (int64_t t = t0; t < t1; ++t) {
        const float *xr = x + (size_t)t * ldx;
        char *dr = (char *)dst + (size_t)t * rb;
        switch (wtype) {
        case LFM_TYPE_F32: case LFM_TYPE_F16: memcpy(dr, xr, (size_t)k * 4); break;
        case LFM_TYPE_BF16:
            if (bf16_act) {
                uint16_t *o = (uint16_t *)dr;
                for (int64_t i = 0; i < k; ++i) o[i] = lfm_f2b(xr[i]);
            } else {
                memcpy(dr, xr, (size_t)k * 4);
            }
            break;
        case LFM_TYPE_Q8_0: case LFM_TYPE_Q4_0: act_q8_0(xr, k, dr); break;
        case LFM_TYPE_Q4_K: case LFM_TYPE_Q5_K: case LFM_TYPE_Q6_K: act_q8_k(xr, k, dr); break;
        default: break;
        }
    }
}
