/*
 * lfm_gemm_portable.c — portable C matrix products for every weight type. Used on CPUs
 * without AVX2 (and arm64), and as the readable statement of what the SIMD kernels compute.
 * Quantised products use the integer formulation of docs/lfm2.md §6.4 with the activation
 * formats of lfm_kernels.h; per-block float accumulation matches ggml's scalar code.
 * Loops over a block are simple enough for the compiler to vectorise.
 */
#include "lfm_internal.h"

static float dot_f32(const float *w, const float *x, int64_t k) {
#pragma clang fp reassociate(on)
    float s = 0.0f;
    for (int64_t i = 0; i < k; ++i) s += w[i] * x[i];
    return s;
}

static float dot_f16(const uint8_t *w, const float *x, int64_t k) {
    float s = 0.0f;
    for (int64_t i = 0; i < k; ++i) s += lfm_h2f(lfm_rd16(w + 2 * i)) * x[i];
    return s;
}

static float dot_bf16(const uint8_t *w, const float *x, int64_t k) {
#pragma clang fp reassociate(on)
    float s = 0.0f;
    for (int64_t i = 0; i < k; ++i) s += lfm_b2f(lfm_rd16(w + 2 * i)) * x[i];
    return s;
}

static float dot_q8_0(const uint8_t *w, lfm_qact a, int64_t k) {
    float s = 0.0f;
    for (int64_t b = 0; b < k / 32; ++b, w += Q8_0_BYTES) {
        const int8_t *q = (const int8_t *)(w + 2), *x = a.qs + 32 * b;
        int32_t isum = 0;
        for (int j = 0; j < 32; ++j) isum += q[j] * x[j];
        s += (float)isum * (lfm_h2f(lfm_rd16(w)) * a.d[b]);
    }
    return s;
}

static float dot_q4_0(const uint8_t *w, lfm_qact a, int64_t k) {
    const int32_t *nsum8 = (const int32_t *)a.extra;
    float s = 0.0f;
    for (int64_t b = 0; b < k / 32; ++b, w += Q4_0_BYTES) {
        const uint8_t *q = w + 2;
        const int8_t *x = a.qs + 32 * b;
        int32_t isum = nsum8[b];   /* sum (n - 8) x = sum n x - 8 sum x */
        for (int j = 0; j < 16; ++j) isum += (q[j] & 0xf) * x[j] + (q[j] >> 4) * x[j + 16];
        s += (float)isum * (lfm_h2f(lfm_rd16(w)) * a.d[b]);
    }
    return s;
}

static float dot_q4_k(const uint8_t *w, lfm_qact a, int64_t k) {
    const int16_t *bsums = (const int16_t *)a.extra;
    float s = 0.0f;
    for (int64_t b = 0; b < k / 256; ++b, w += Q4_K_BYTES) {
        uint8_t sc[8], m[8];
        lfm_q4k_scales(w + 4, sc, m);
        const uint8_t *qs = w + 16;
        const int8_t *x = a.qs + 256 * b;
        int32_t sumi = 0, summ = 0;
        for (int g = 0; g < 4; ++g) {
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; ++l) {
                lo += (qs[32 * g + l] & 0xf) * x[64 * g + l];
                hi += (qs[32 * g + l] >> 4) * x[64 * g + 32 + l];
            }
            sumi += sc[2 * g] * lo + sc[2 * g + 1] * hi;
        }
        for (int j = 0; j < 8; ++j) summ += m[j] * (bsums[16 * b + 2 * j] + bsums[16 * b + 2 * j + 1]);
        const float d = lfm_h2f(lfm_rd16(w)) * a.d[b], dmin = lfm_h2f(lfm_rd16(w + 2)) * a.d[b];
        s += d * (float)sumi - dmin * (float)summ;
    }
    return s;
}

/* Q5_K: the Q4_K product with the fifth bit of each value from qh (values 0..31). */
static float dot_q5_k(const uint8_t *w, lfm_qact a, int64_t k) {
    const int16_t *bsums = (const int16_t *)a.extra;
    float s = 0.0f;
    for (int64_t b = 0; b < k / 256; ++b, w += Q5_K_BYTES) {
        uint8_t sc[8], m[8];
        lfm_q4k_scales(w + 4, sc, m);
        const uint8_t *qh = w + 16, *qs = w + 48;
        const int8_t *x = a.qs + 256 * b;
        int32_t sumi = 0, summ = 0;
        for (int g = 0; g < 4; ++g) {
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; ++l) {
                lo += ((qs[32 * g + l] & 0xf) | (((qh[l] >> (2 * g)) & 1) << 4)) * x[64 * g + l];
                hi += ((qs[32 * g + l] >> 4) | (((qh[l] >> (2 * g + 1)) & 1) << 4)) * x[64 * g + 32 + l];
            }
            sumi += sc[2 * g] * lo + sc[2 * g + 1] * hi;
        }
        for (int j = 0; j < 8; ++j) summ += m[j] * (bsums[16 * b + 2 * j] + bsums[16 * b + 2 * j + 1]);
        const float d = lfm_h2f(lfm_rd16(w)) * a.d[b], dmin = lfm_h2f(lfm_rd16(w + 2)) * a.d[b];
        s += d * (float)sumi - dmin * (float)summ;
    }
    return s;
}

static float dot_q6_k(const uint8_t *w, lfm_qact a, int64_t k) {
    float s = 0.0f;
    for (int64_t b = 0; b < k / 256; ++b, w += Q6_K_BYTES) {
        const uint8_t *ql = w, *qh = w + 128;
        const int8_t *sc = (const int8_t *)(w + 192);
        const int8_t *x = a.qs + 256 * b;
        int32_t sumi = 0;
        for (int h = 0; h < 2; ++h) {
            const uint8_t *L = ql + 64 * h, *H = qh + 32 * h;
            const int8_t *X = x + 128 * h;
            int32_t g[8] = {0};
            for (int l = 0; l < 32; ++l) {
                const int q0 = ((L[l] & 0xf) | (((H[l] >> 0) & 3) << 4)) - 32;
                const int q1 = ((L[l + 32] & 0xf) | (((H[l] >> 2) & 3) << 4)) - 32;
                const int q2 = ((L[l] >> 4) | (((H[l] >> 4) & 3) << 4)) - 32;
                const int q3 = ((L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)) - 32;
                g[0 + l / 16] += q0 * X[l];
                g[2 + l / 16] += q1 * X[l + 32];
                g[4 + l / 16] += q2 * X[l + 64];
                g[6 + l / 16] += q3 * X[l + 96];
            }
            for (int j = 0; j < 8; ++j) sumi += sc[8 * h + j] * g[j];
        }
        s += lfm_h2f(lfm_rd16(w + 208)) * a.d[b] * (float)sumi;
    }
    return s;
}

/* One K-quant row (ggml layout) against Q8_K activations: the reference product the packed
 * K-quant layouts reuse (lfm_pack.c). */
float lfm_dot_k_portable(int wtype, const uint8_t *w, lfm_qact a, int64_t k) {
    switch (wtype) {
    case LFM_TYPE_Q4_K: return dot_q4_k(w, a, k);
    case LFM_TYPE_Q5_K: return dot_q5_k(w, a, k);
    case LFM_TYPE_Q6_K: return dot_q6_k(w, a, k);
    default: return 0.0f;
    }
}

int lfm_gemm_portable(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                      const void *act, int64_t T, float *y, size_t ldy) {
    if (lfm_packed_base_type(wtype) != wtype) return lfm_gemm_packed_portable(wtype, w, k, r0, r1, act, T, y, ldy);
    const size_t wrb = lfm_row_bytes(wtype, k);
    const size_t arb = lfm_act_row_bytes_impl(wtype, k, 0);
    if (wrb == 0 || arb == 0) return 0;
    for (int64_t t = 0; t < T; ++t) {
        const char *ar = (const char *)act + (size_t)t * arb;
        for (int64_t r = r0; r < r1; ++r) {
            const uint8_t *wr = (const uint8_t *)w + (size_t)r * wrb;
            float v = 0.0f;
            switch (wtype) {
            case LFM_TYPE_F32: v = dot_f32((const float *)wr, (const float *)ar, k); break;
            case LFM_TYPE_F16: v = dot_f16(wr, (const float *)ar, k); break;
            case LFM_TYPE_BF16: v = dot_bf16(wr, (const float *)ar, k); break;
            case LFM_TYPE_Q8_0: v = dot_q8_0(wr, lfm_q8_0_act(ar, k), k); break;
            case LFM_TYPE_Q4_0: v = dot_q4_0(wr, lfm_q8_0_act(ar, k), k); break;
            case LFM_TYPE_Q4_K: v = dot_q4_k(wr, lfm_q8_k_act(ar, k), k); break;
            case LFM_TYPE_Q5_K: v = dot_q5_k(wr, lfm_q8_k_act(ar, k), k); break;
            case LFM_TYPE_Q6_K: v = dot_q6_k(wr, lfm_q8_k_act(ar, k), k); break;
            default: return 0;
            }
            y[(size_t)t * ldy + (size_t)r] = v;
        }
    }
    return 1;
}
