/*
 * lfm_gemm_avx512_packed.c — products of packed Q8_0 / Q4_0 weights (lfm_pack.c) on
 * AVX-512 VNNI, as outer products: one 64-byte load holds 4 k of 16 rows, the 4 matching
 * activation bytes of a token are broadcast to all lanes, and one vpdpbusd adds 64 products
 * into 16 row sums — no horizontal reductions, no sign tricks. Weights are the unsigned
 * operand (Q8_0 stored as w + 128, Q4_0 nibbles 0..15), activations the signed one; the
 * offsets come back through the activation's per-block nsum8 = -8 * sum(x):
 *   Q4_0: sum (q - 8) x   = sum q x + nsum8
 *   Q8_0: sum (u - 128) x = sum u x + 16 * nsum8
 * which initialises each block's int32 accumulator. At the end of a 32-k block the 16 sums
 * are converted and scaled by d_w (16 lanes) * d_x (broadcast) into fp32 accumulators.
 *
 * BF16_R16 (16 rows x 2 k per 64 bytes) works the same way with vdpbf16ps against a broadcast
 * pair of bf16 activations, and needs no per-block epilogue (tile 4 groups x 6 tokens).
 *
 * Register tile: NG row groups (16 rows each, NG <= 2) x NT tokens (NT <= 6):
 * 2*NG*NT accumulators + NG weights + 1 broadcast + scales <= 32 zmm registers.
 * The driver walks pairs of row groups, token blocks that fit L2, then token tiles, so a
 * group pair's weights stay in L2 while the token block streams through.
 */
#include "lfm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16,avx2,fma,f16c")))
#define AI __attribute__((always_inline)) inline

static inline int32_t rd32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }

/* Weights stream from memory once per product, so each tile prefetches the next group pair
 * (to L2) while it computes on this one: memory and arithmetic overlap instead of taking
 * turns. Measured on Zen 4, 2 threads, Q8_0 LFM2-350M shape (lfm-serve bench): tg128 69 -> 79-83
 * tok/s, batch-16 decode 490-500 -> 573-600 tok/s; one thread, the 65536-row output head:
 * T = 1 4.7 -> 3.0 ms, T = 16 9.7 -> 7.4 ms. (The earlier 2 KB-ahead L1 prefetch of the
 * current pair, T == 1 only, measured slower beside it and was dropped.) */

/* Lanes of the group starting at row r that fall inside [r0, r1). */
static inline __mmask16 row_mask(int64_t r, int64_t r0, int64_t r1) {
    const int64_t lo = r0 > r ? r0 - r : 0, hi = r1 - r >= 16 ? 16 : r1 - r;
    return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

static TGT AI void packed_tile(const int NG, const int NT, const int q4, const uint8_t *w, size_t gstride,
                               const uint8_t *a, size_t arb, size_t offd, size_t offn, int64_t nb,
                               float *y, size_t ldy, int64_t row0, int64_t r0, int64_t r1,
                               const uint8_t *next, int phase, int nphase) {
    const size_t gbb = q4 ? 288 : 544;
    __m512 facc[4][6];
    for (int g = 0; g < NG; ++g)
        for (int t = 0; t < NT; ++t) facc[g][t] = _mm512_setzero_ps();
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t *wb[4];
        for (int g = 0; g < NG; ++g) {
            wb[g] = w + (size_t)g * gstride + (size_t)b * gbb;
            if (next && b % nphase == phase) {
                const char *np = (const char *)next + (size_t)g * gstride + (size_t)b * gbb;
                for (size_t off = 0; off < gbb; off += 64) _mm_prefetch(np + off, _MM_HINT_T1);
            }
        }
        /* With few tokens the dependent vpdpbusd chain of each accumulator, not the load or
         * issue rate, limits a block: give small tiles a second accumulator per (group,
         * token) so two chains of half the length run side by side. */
        const int SPLIT = NT <= 2;
        __m512i iacc[4][6], jacc[4][2];
        for (int g = 0; g < NG; ++g)
            for (int t = 0; t < (SPLIT ? NT : 0); ++t) jacc[g][t] = _mm512_setzero_si512();
        for (int t = 0; t < NT; ++t) {
            __m512i n = _mm512_set1_epi32(rd32(a + (size_t)t * arb + offn + 4 * (size_t)b));
            if (!q4) n = _mm512_slli_epi32(n, 4);
            for (int g = 0; g < NG; ++g) iacc[g][t] = n;
        }
        const uint8_t *xb = a + 32 * (size_t)b;
        if (!q4) {
            for (int q = 0; q < 8; ++q) {
                __m512i wv[4];
                for (int g = 0; g < NG; ++g) wv[g] = _mm512_loadu_si512(wb[g] + 32 + 64 * q);
                for (int t = 0; t < NT; ++t) {
                    const __m512i xv = _mm512_set1_epi32(rd32(xb + (size_t)t * arb + 4 * q));
                    for (int g = 0; g < NG; ++g) {
                        if (SPLIT && (q & 1)) jacc[g][t] = _mm512_dpbusd_epi32(jacc[g][t], wv[g], xv);
                        else iacc[g][t] = _mm512_dpbusd_epi32(iacc[g][t], wv[g], xv);
                    }
                }
            }
        } else {
            for (int c = 0; c < 4; ++c) {
                __m512i lo[4], hi[4];
                for (int g = 0; g < NG; ++g) {
                    const __m512i v = _mm512_loadu_si512(wb[g] + 32 + 64 * c);
                    lo[g] = _mm512_and_si512(v, low4);
                    hi[g] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
                }
                for (int t = 0; t < NT; ++t) {
                    const __m512i xl = _mm512_set1_epi32(rd32(xb + (size_t)t * arb + 4 * c));
                    const __m512i xh = _mm512_set1_epi32(rd32(xb + (size_t)t * arb + 16 + 4 * c));
                    for (int g = 0; g < NG; ++g) {
                        iacc[g][t] = _mm512_dpbusd_epi32(iacc[g][t], lo[g], xl);
                        if (SPLIT) jacc[g][t] = _mm512_dpbusd_epi32(jacc[g][t], hi[g], xh);
                        else iacc[g][t] = _mm512_dpbusd_epi32(iacc[g][t], hi[g], xh);
                    }
                }
            }
        }
        if (SPLIT)
            for (int g = 0; g < NG; ++g)
                for (int t = 0; t < NT; ++t) iacc[g][t] = _mm512_add_epi32(iacc[g][t], jacc[g][t]);
        __m512 dw[4];
        for (int g = 0; g < NG; ++g) dw[g] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)wb[g]));
        for (int t = 0; t < NT; ++t) {
            const __m512 dx = _mm512_set1_ps(*(const float *)(a + (size_t)t * arb + offd + 4 * (size_t)b));
            for (int g = 0; g < NG; ++g)
                facc[g][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(iacc[g][t]), _mm512_mul_ps(dw[g], dx), facc[g][t]);
        }
    }
    for (int g = 0; g < NG; ++g) {
        const int64_t r = row0 + 16 * g;
        const __mmask16 m = row_mask(r, r0, r1);
        for (int t = 0; t < NT; ++t) _mm512_mask_storeu_ps(y + (size_t)t * ldy + (size_t)r, m, facc[g][t]);
    }
}

#define PK_CASE(NG, NT) packed_tile(NG, NT, q4, wg, gstride, ar, arb, offd, offn, nb, yo, ldy, r, r0, r1, nx, ph, nph)

static TGT void gemm_packed(int q4, const void *w, int64_t k, int64_t r0, int64_t r1,
                            const void *act, int64_t T, float *y, size_t ldy) {
    const int64_t nb = k / 32;
    const size_t gstride = (size_t)nb * (q4 ? 288 : 544);
    const size_t arb = lfm_q8_0_act_bytes(k);
    const size_t offd = LFM_ALIGN64((size_t)k), offn = offd + LFM_ALIGN64((size_t)nb * 4);
    /* Token block: activations of about 512 KB, so they stay in L2 while a group pair walks them. */
    int64_t tb = (int64_t)((512u << 10) / arb);
    tb = tb < 6 ? 6 : tb - tb % 6;
    for (int64_t tb0 = 0; tb0 < T; tb0 += tb) {
        const int64_t tb1 = tb0 + tb < T ? tb0 + tb : T;
        for (int64_t r = r0 - r0 % 16; r < r1; r += 32) {
            const int ng = r1 - r > 16 ? 2 : 1;
            const uint8_t *wg = (const uint8_t *)w + (size_t)(r / 16) * gstride;
            for (int64_t t = tb0; t < tb1; t += 6) {
                const int nt = tb1 - t < 6 ? (int)(tb1 - t) : 6;
                const uint8_t *ar = (const uint8_t *)act + (size_t)t * arb;
                float *yo = y + (size_t)t * ldy;
                /* Prefetch the next group pair, its blocks spread over this pair's token tiles. */
                const uint8_t *nx = r + 32 < r1 ? wg + 2 * gstride : NULL;
                const int nph = (int)((tb1 - tb0 + 5) / 6), ph = (int)((t - tb0) / 6);
                switch (ng * 8 + nt) {
                case 9: PK_CASE(1, 1); break;  case 10: PK_CASE(1, 2); break; case 11: PK_CASE(1, 3); break;
                case 12: PK_CASE(1, 4); break; case 13: PK_CASE(1, 5); break; case 14: PK_CASE(1, 6); break;
                case 17: PK_CASE(2, 1); break; case 18: PK_CASE(2, 2); break; case 19: PK_CASE(2, 3); break;
                case 20: PK_CASE(2, 4); break; case 21: PK_CASE(2, 5); break; default: PK_CASE(2, 6); break;
                }
            }
        }
    }
}

/* ---- BF16_R16: 16 rows x 2 k per 64 bytes, vdpbf16ps against a broadcast bf16 pair ---------- */
static TGT AI void bf16p_tile(const int NG, const int NT, const uint8_t *w, size_t gstride, const uint8_t *a,
                              size_t arb, int64_t np, float *y, size_t ldy, int64_t row0, int64_t r0, int64_t r1,
                              const uint8_t *next, int phase, int nphase) {
    __m512 acc[4][6];
    for (int g = 0; g < NG; ++g)
        for (int t = 0; t < NT; ++t) acc[g][t] = _mm512_setzero_ps();
    for (int64_t p = 0; p < np; ++p) {
        __m512i wv[4];
        for (int g = 0; g < NG; ++g) {
            const uint8_t *wp = w + (size_t)g * gstride + 64 * (size_t)p;
            if (next && p % nphase == phase) _mm_prefetch((const char *)next + (size_t)g * gstride + 64 * (size_t)p, _MM_HINT_T1);
            else if (!next && nphase == 0) _mm_prefetch((const char *)wp + 2048, _MM_HINT_T0);
            wv[g] = _mm512_loadu_si512(wp);
        }
        for (int t = 0; t < NT; ++t) {
            const __m512i xv = _mm512_set1_epi32(rd32(a + (size_t)t * arb + 4 * (size_t)p));
            for (int g = 0; g < NG; ++g) acc[g][t] = _mm512_dpbf16_ps(acc[g][t], (__m512bh)wv[g], (__m512bh)xv);
        }
    }
    for (int g = 0; g < NG; ++g) {
        const int64_t r = row0 + 16 * g;
        const __mmask16 m = row_mask(r, r0, r1);
        for (int t = 0; t < NT; ++t) _mm512_mask_storeu_ps(y + (size_t)t * ldy + (size_t)r, m, acc[g][t]);
    }
}

#define BP_CASE(NG, NT) bf16p_tile(NG, NT, wg, gstride, ar, arb, np, yo, ldy, r, r0, r1, nx, ph, nph)

/* Specialise BP_CASE(ng, nt) for runtime ng in 1..4, nt in 1..6. */
#define BP_SWITCH(ng, nt)                                                                          \
    switch ((ng) * 8 + (nt)) {                                                                     \
    case 9: BP_CASE(1, 1); break;  case 10: BP_CASE(1, 2); break; case 11: BP_CASE(1, 3); break;  \
    case 12: BP_CASE(1, 4); break; case 13: BP_CASE(1, 5); break; case 14: BP_CASE(1, 6); break;  \
    case 17: BP_CASE(2, 1); break; case 18: BP_CASE(2, 2); break; case 19: BP_CASE(2, 3); break;  \
    case 20: BP_CASE(2, 4); break; case 21: BP_CASE(2, 5); break; case 22: BP_CASE(2, 6); break;  \
    case 25: BP_CASE(3, 1); break; case 26: BP_CASE(3, 2); break; case 27: BP_CASE(3, 3); break;  \
    case 28: BP_CASE(3, 4); break; case 29: BP_CASE(3, 5); break; case 30: BP_CASE(3, 6); break;  \
    case 33: BP_CASE(4, 1); break; case 34: BP_CASE(4, 2); break; case 35: BP_CASE(4, 3); break;  \
    case 36: BP_CASE(4, 4); break; case 37: BP_CASE(4, 5); break; default: BP_CASE(4, 6); break;  \
    }

/* No per-block epilogue, so the tile can be 4 groups (64 rows) x 6 tokens: 24 accumulators,
 * 4 weight vectors and a broadcast; 10 loads per 24 vdpbf16ps. T == 1 streams 2 groups. */
static TGT void gemm_bf16_packed(const void *w, int64_t k, int64_t r0, int64_t r1, const void *act, int64_t T,
                             float *y, size_t ldy) {
    const int64_t np = k / 2;
    const size_t gstride = (size_t)k * 32;            /* 16 rows x 2 bytes x k */
    const size_t arb = LFM_ALIGN64((size_t)k * 2);    /* bf16 activations */
    int64_t tb = (int64_t)((512u << 10) / arb);
    tb = tb < 6 ? 6 : tb - tb % 6;
    const int64_t G = T == 1 ? 2 : 4;
    for (int64_t tb0 = 0; tb0 < T; tb0 += tb) {
        const int64_t tb1 = tb0 + tb < T ? tb0 + tb : T;
        for (int64_t r = r0 - r0 % 16; r < r1; r += 16 * G) {
            const int64_t left = (r1 - r + 15) / 16;
            const int ng = (int)(left < G ? left : G);
            const uint8_t *wg = (const uint8_t *)w + (size_t)(r / 16) * gstride;
            for (int64_t t = tb0; t < tb1; t += 6) {
                const int nt = tb1 - t < 6 ? (int)(tb1 - t) : 6;
                const uint8_t *ar = (const uint8_t *)act + (size_t)t * arb;
                float *yo = y + (size_t)t * ldy;
                /* T > 1: prefetch the next group set (as gemm_packed). T == 1 (nph = 0) streams
                 * 2 KB ahead into L1 instead: this product is bound by memory bandwidth, and the
                 * next-set prefetch measured ~4 % slower there (tg64, BF16 350M shape). */
                const uint8_t *nx = T > 1 && r + 16 * G < r1 ? wg + (size_t)G * gstride : NULL;
                const int nph = T > 1 ? (int)((tb1 - tb0 + 5) / 6) : 0, ph = (int)((t - tb0) / 6);
                BP_SWITCH(ng, nt)
            }
        }
    }
}

/* Peak probe: `iters` rounds of 12 independent vpdpbusd zmm chains (no memory traffic).
 * Returns the int8 operations done (2 per multiply-add), for "fraction of peak" reports. */
static TGT double vnni_peak(int64_t iters) {
    __m512i acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_epi32(i);
    const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
    for (int64_t n = 0; n < iters; ++n) {
        for (int i = 0; i < 12; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                              "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
    }
    __m512i s = acc[0];
    for (int i = 1; i < 12; ++i) s = _mm512_add_epi32(s, acc[i]);
    volatile int sink = _mm512_reduce_add_epi32(s);
    (void)sink;
    return (double)iters * 12 * 64 * 2;
}

double lfm_int8_peak_probe(int64_t iters) {
    return lfm_isa_detected() >= LFM_ISA_AVX512 ? vnni_peak(iters) : 0.0;
}

/* Rows r0..r1 of a packed matrix; r0 must be a multiple of 16. Returns 0 for other types. */
int lfm_gemm_avx512_packed(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                           const void *act, int64_t T, float *y, size_t ldy) {
    if (wtype == LFM_TYPE_BF16_R16) {   /* bf16 activations (the AVX-512 BF16 table) */
        if (k % 2) return 0;
        if (r1 > r0 && T > 0) gemm_bf16_packed(w, k, r0, r1, act, T, y, ldy);
        return 1;
    }
    if (wtype != LFM_TYPE_Q8_0_R16 && wtype != LFM_TYPE_Q4_0_R16) return 0;
    if (k % 32) return 0;
    if (r1 > r0 && T > 0) gemm_packed(wtype == LFM_TYPE_Q4_0_R16, w, k, r0, r1, act, T, y, ldy);
    return 1;
}
#else
double lfm_int8_peak_probe(int64_t iters) { (void)iters; return 0.0; }
#endif
