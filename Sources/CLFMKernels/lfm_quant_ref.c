/*
 * lfm_quant_ref.c — block geometry, scalar dequantisers and reference quantisers for the
 * supported ggml formats (docs/lfm2.md §6.3). Everything here is plain scalar C and is the
 * ground truth the SIMD kernels are tested against.
 */
#include "lfm_internal.h"

int64_t lfm_block_elems(int type) {
    switch (type) {
    case LFM_TYPE_F32: case LFM_TYPE_F16: case LFM_TYPE_BF16: case LFM_TYPE_BF16_R16: return 1;
    case LFM_TYPE_Q8_0: case LFM_TYPE_Q4_0: case LFM_TYPE_Q8_0_R16: case LFM_TYPE_Q4_0_R16: return 32;
    case LFM_TYPE_Q4_K: case LFM_TYPE_Q5_K: case LFM_TYPE_Q6_K: return 256;
    case LFM_TYPE_Q4_K_R16: case LFM_TYPE_Q5_K_R16: case LFM_TYPE_Q6_K_R16: return 256;
    default: return 0;
    }
}

int64_t lfm_block_bytes(int type) {
    switch (type) {
    case LFM_TYPE_F32: return 4;
    case LFM_TYPE_F16: case LFM_TYPE_BF16: case LFM_TYPE_BF16_R16: return 2;
    case LFM_TYPE_Q8_0: case LFM_TYPE_Q8_0_R16: return Q8_0_BYTES;
    case LFM_TYPE_Q4_0: case LFM_TYPE_Q4_0_R16: return Q4_0_BYTES;
    case LFM_TYPE_Q4_K: return Q4_K_BYTES;
    case LFM_TYPE_Q5_K: return Q5_K_BYTES;
    case LFM_TYPE_Q6_K: return Q6_K_BYTES;
    /* packed K-quants (lfm_pack.c): bytes per row and super-block = group-block / 16 */
    case LFM_TYPE_Q4_K_R16: return 148;
    case LFM_TYPE_Q5_K_R16: return 180;
    case LFM_TYPE_Q6_K_R16: return 210;
    default: return 0;
    }
}

size_t lfm_row_bytes(int type, int64_t n) {
    const int64_t be = lfm_block_elems(type);
    if (be == 0 || n < 0 || n % be != 0) return 0;
    return (size_t)(n / be) * (size_t)lfm_block_bytes(type);
}

float lfm_fp16_to_fp32(uint16_t h) { return lfm_h2f(h); }
uint16_t lfm_fp32_to_fp16(float f) { return lfm_f2h(f); }
float lfm_bf16_to_fp32(uint16_t h) { return lfm_b2f(h); }
uint16_t lfm_fp32_to_bf16(float f) { return lfm_f2b(f); }

/* ---- Dequantisation -------------------------------------------------------------------- */

static void deq_q8_0(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, b += Q8_0_BYTES, y += 32) {
        const float d = lfm_h2f(lfm_rd16(b));
        for (int j = 0; j < 32; ++j) y[j] = d * (float)(int8_t)b[2 + j];
    }
}

static void deq_q4_0(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, b += Q4_0_BYTES, y += 32) {
        const float d = lfm_h2f(lfm_rd16(b));
        for (int j = 0; j < 16; ++j) {
            y[j] = d * (float)((b[2 + j] & 0xf) - 8);
            y[j + 16] = d * (float)((b[2 + j] >> 4) - 8);
        }
    }
}

static void deq_q4_k(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, b += Q4_K_BYTES, y += 256) {
        const float d = lfm_h2f(lfm_rd16(b)), dmin = lfm_h2f(lfm_rd16(b + 2));
        uint8_t sc[8], m[8];
        lfm_q4k_scales(b + 4, sc, m);
        const uint8_t *qs = b + 16;
        for (int g = 0; g < 4; ++g) {
            const float d1 = d * sc[2 * g], m1 = dmin * m[2 * g];
            const float d2 = d * sc[2 * g + 1], m2 = dmin * m[2 * g + 1];
            for (int l = 0; l < 32; ++l) {
                y[64 * g + l] = d1 * (float)(qs[32 * g + l] & 0xf) - m1;
                y[64 * g + 32 + l] = d2 * (float)(qs[32 * g + l] >> 4) - m2;
            }
        }
    }
}

/* Q5_K: as Q4_K plus a fifth bit per value in qh[32] (offset 16; nibbles at 48): value l of
 * the low (high) nibble half of 64-group g takes bit 2g (2g+1) of qh[l]. */
static void deq_q5_k(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, b += Q5_K_BYTES, y += 256) {
        const float d = lfm_h2f(lfm_rd16(b)), dmin = lfm_h2f(lfm_rd16(b + 2));
        uint8_t sc[8], m[8];
        lfm_q4k_scales(b + 4, sc, m);
        const uint8_t *qh = b + 16, *qs = b + 48;
        for (int g = 0; g < 4; ++g) {
            const float d1 = d * sc[2 * g], m1 = dmin * m[2 * g];
            const float d2 = d * sc[2 * g + 1], m2 = dmin * m[2 * g + 1];
            for (int l = 0; l < 32; ++l) {
                const int lo = (qs[32 * g + l] & 0xf) | (((qh[l] >> (2 * g)) & 1) << 4);
                const int hi = (qs[32 * g + l] >> 4) | (((qh[l] >> (2 * g + 1)) & 1) << 4);
                y[64 * g + l] = d1 * (float)lo - m1;
                y[64 * g + 32 + l] = d2 * (float)hi - m2;
            }
        }
    }
}

static void deq_q6_k(const uint8_t *b, float *y, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, b += Q6_K_BYTES, y += 256) {
        const uint8_t *ql = b, *qh = b + 128;
        const int8_t *sc = (const int8_t *)(b + 192);
        const float d = lfm_h2f(lfm_rd16(b + 208));
        for (int h = 0; h < 2; ++h) {
            const uint8_t *L = ql + 64 * h, *H = qh + 32 * h;
            float *o = y + 128 * h;
            const int8_t *s = sc + 8 * h;
            for (int l = 0; l < 32; ++l) {
                const int q0 = ((L[l] & 0xf) | (((H[l] >> 0) & 3) << 4)) - 32;
                const int q1 = ((L[l + 32] & 0xf) | (((H[l] >> 2) & 3) << 4)) - 32;
                const int q2 = ((L[l] >> 4) | (((H[l] >> 4) & 3) << 4)) - 32;
                const int q3 = ((L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)) - 32;
                /* (d * scale) * q, the evaluation order of ggml and gguf-py */
                o[l] = d * (float)s[l / 16] * (float)q0;
                o[l + 32] = d * (float)s[2 + l / 16] * (float)q1;
                o[l + 64] = d * (float)s[4 + l / 16] * (float)q2;
                o[l + 96] = d * (float)s[6 + l / 16] * (float)q3;
            }
        }
    }
}

void lfm_dequantize_row(int type, const void *src, float *dst, int64_t n) {
    const uint8_t *b = (const uint8_t *)src;
    switch (type) {
    case LFM_TYPE_F32: memcpy(dst, src, (size_t)n * 4); break;
    case LFM_TYPE_F16:
        for (int64_t i = 0; i < n; ++i) dst[i] = lfm_h2f(lfm_rd16(b + 2 * i));
        break;
    case LFM_TYPE_BF16:
        for (int64_t i = 0; i < n; ++i) dst[i] = lfm_b2f(lfm_rd16(b + 2 * i));
        break;
    case LFM_TYPE_Q8_0: deq_q8_0(b, dst, n / 32); break;
    case LFM_TYPE_Q4_0: deq_q4_0(b, dst, n / 32); break;
    case LFM_TYPE_Q4_K: deq_q4_k(b, dst, n / 256); break;
    case LFM_TYPE_Q5_K: deq_q5_k(b, dst, n / 256); break;
    case LFM_TYPE_Q6_K: deq_q6_k(b, dst, n / 256); break;
    default: break;
    }
}

/* ---- Quantisation ------------------------------------------------------------------------ */

/* ggml quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d), d stored as fp16. */
static void q_q8_0(const float *x, uint8_t *b, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += 32, b += Q8_0_BYTES) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t hd = lfm_f2h(d);
        memcpy(b, &hd, 2);
        for (int j = 0; j < 32; ++j) b[2 + j] = (uint8_t)(int8_t)roundf(x[j] * id);
    }
}

/* ggml quantize_row_q4_0_ref: d = max/-8 (signed max-abs element), q = min(15, (int8)(x/d + 8.5)). */
static void q_q4_0(const float *x, uint8_t *b, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += 32, b += Q4_0_BYTES) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 32; ++j)
            if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
        const float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        const uint16_t hd = lfm_f2h(d);
        memcpy(b, &hd, 2);
        for (int j = 0; j < 16; ++j) {
            const uint8_t q0 = (uint8_t)fminf(15.0f, (float)(int8_t)(x[j] * id + 8.5f));
            const uint8_t q1 = (uint8_t)fminf(15.0f, (float)(int8_t)(x[j + 16] * id + 8.5f));
            b[2 + j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* Simple Q4_K / Q5_K encoder (not ggml's make_qkx2_quants): with L = 15 (Q4_K) or 31 (Q5_K)
 * levels, each 32-element sub-block gets scale (max - min)/L and min min(0, min x); the 8
 * scales and mins are quantised to 6 bits against fp16 super-scales d = max scale/63 and
 * dmin = max min/63; values are then chosen by rounding against the quantised scale/min.
 * Produces valid blocks, error ~ scale/2. */
static void q_qk_k(const float *x, uint8_t *b, int64_t nb, int five) {
    const int L = five ? 31 : 15;
    const size_t bytes = five ? Q5_K_BYTES : Q4_K_BYTES;
    for (int64_t i = 0; i < nb; ++i, x += 256, b += bytes) {
        float scale[8], mn[8], maxs = 0.0f, maxm = 0.0f;
        for (int j = 0; j < 8; ++j) {
            float lo = 0.0f, hi = 0.0f;
            for (int l = 0; l < 32; ++l) { lo = fminf(lo, x[32 * j + l]); hi = fmaxf(hi, x[32 * j + l]); }
            scale[j] = (hi - lo) / (float)L; mn[j] = -lo;
            maxs = fmaxf(maxs, scale[j]); maxm = fmaxf(maxm, mn[j]);
        }
        const uint16_t hd = lfm_f2h(maxs / 63.0f), hm = lfm_f2h(maxm / 63.0f);
        const float d = lfm_h2f(hd), dmin = lfm_h2f(hm);
        uint8_t sc[8], m[8];
        for (int j = 0; j < 8; ++j) {
            sc[j] = (uint8_t)(d > 0 ? clampi((int)ceilf(scale[j] / d), 0, 63) : 0);
            m[j] = (uint8_t)(dmin > 0 ? clampi((int)ceilf(mn[j] / dmin), 0, 63) : 0);
        }
        memcpy(b, &hd, 2); memcpy(b + 2, &hm, 2);
        uint8_t *s12 = b + 4;
        for (int j = 0; j < 4; ++j) {
            s12[j] = (uint8_t)(sc[j] | ((sc[j + 4] >> 4) << 6));
            s12[j + 4] = (uint8_t)(m[j] | ((m[j + 4] >> 4) << 6));
            s12[j + 8] = (uint8_t)((sc[j + 4] & 0xf) | ((m[j + 4] & 0xf) << 4));
        }
        uint8_t q[256];
        for (int j = 0; j < 8; ++j) {
            const float ds = d * sc[j], dm = dmin * m[j];
            for (int l = 0; l < 32; ++l)
                q[32 * j + l] = (uint8_t)(ds > 0 ? clampi((int)roundf((x[32 * j + l] + dm) / ds), 0, L) : 0);
        }
        uint8_t *qh = five ? b + 16 : NULL, *qs = b + (five ? 48 : 16);
        if (qh) memset(qh, 0, 32);
        for (int g = 0; g < 4; ++g)
            for (int l = 0; l < 32; ++l) {
                const uint8_t lo = q[64 * g + l], hi = q[64 * g + 32 + l];
                qs[32 * g + l] = (uint8_t)((lo & 0xf) | ((hi & 0xf) << 4));
                if (qh) qh[l] |= (uint8_t)(((lo >> 4) << (2 * g)) | ((hi >> 4) << (2 * g + 1)));
            }
    }
}

/* Simple Q6_K encoder (not ggml's make_qx_quants): each 16-element group gets the int8
 * scale round(amax/31 / d) with d = max(amax/31)/127 stored as fp16, then q = round(x/(d*s))
 * clamped to [-32, 31]. Produces valid blocks. */
static void q_q6_k(const float *x, uint8_t *b, int64_t nb) {
    for (int64_t i = 0; i < nb; ++i, x += 256, b += Q6_K_BYTES) {
        float gs[16], maxs = 0.0f;
        for (int g = 0; g < 16; ++g) {
            float amax = 0.0f;
            for (int l = 0; l < 16; ++l) amax = fmaxf(amax, fabsf(x[16 * g + l]));
            gs[g] = amax / 31.0f; maxs = fmaxf(maxs, gs[g]);
        }
        const uint16_t hd = lfm_f2h(maxs / 127.0f);
        const float d = lfm_h2f(hd);
        int8_t sc[16];
        uint8_t q[256];
        for (int g = 0; g < 16; ++g) {
            sc[g] = (int8_t)(d > 0 ? clampi((int)ceilf(gs[g] / d), 0, 127) : 0);
            const float ds = d * sc[g];
            for (int l = 0; l < 16; ++l)
                q[16 * g + l] = (uint8_t)(32 + (ds > 0 ? clampi((int)roundf(x[16 * g + l] / ds), -32, 31) : 0));
        }
        uint8_t *ql = b, *qh = b + 128;
        for (int h = 0; h < 2; ++h) {
            const uint8_t *Q = q + 128 * h;
            for (int l = 0; l < 32; ++l) {
                ql[64 * h + l] = (uint8_t)((Q[l] & 0xf) | ((Q[l + 64] & 0xf) << 4));
                ql[64 * h + l + 32] = (uint8_t)((Q[l + 32] & 0xf) | ((Q[l + 96] & 0xf) << 4));
                qh[32 * h + l] = (uint8_t)((Q[l] >> 4) | ((Q[l + 32] >> 4) << 2) |
                                           ((Q[l + 64] >> 4) << 4) | ((Q[l + 96] >> 4) << 6));
            }
        }
        memcpy(b + 192, sc, 16);
        memcpy(b + 208, &hd, 2);
    }
}

int lfm_quantize_row(int type, const float *src, void *dst, int64_t n) {
    uint8_t *b = (uint8_t *)dst;
    if (lfm_row_bytes(type, n) == 0 && n != 0) return -1;
    switch (type) {
    case LFM_TYPE_F32: memcpy(dst, src, (size_t)n * 4); return 0;
    case LFM_TYPE_F16:
        for (int64_t i = 0; i < n; ++i) { const uint16_t h = lfm_f2h(src[i]); memcpy(b + 2 * i, &h, 2); }
        return 0;
    case LFM_TYPE_BF16:
        for (int64_t i = 0; i < n; ++i) { const uint16_t h = lfm_f2b(src[i]); memcpy(b + 2 * i, &h, 2); }
        return 0;
    case LFM_TYPE_Q8_0: q_q8_0(src, b, n / 32); return 0;
    case LFM_TYPE_Q4_0: q_q4_0(src, b, n / 32); return 0;
    case LFM_TYPE_Q4_K: q_qk_k(src, b, n / 256, 0); return 0;
    case LFM_TYPE_Q5_K: q_qk_k(src, b, n / 256, 1); return 0;
    case LFM_TYPE_Q6_K: q_q6_k(src, b, n / 256); return 0;
    default: return -1;
    }
}
