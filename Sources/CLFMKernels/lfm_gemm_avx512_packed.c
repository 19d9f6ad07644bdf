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
 * Register tile: NG row groups (16 rows each, NG <= 2) x NT tokens (NT <= 6):
 * 2*NG*NT accumulators + NG weights + 1 broadcast + scales <= 32 zmm registers.
 * The driver walks pairs of row groups, token blocks that fit L2, then token tiles, so a
 * group pair's weights stay in L2 while the token block streams through.
 */
#include "lfm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))
#define AI __attribute__((always_inline)) inline

static inline int32_t rd32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }

static TGT AI void packed_tile(const int NG, const int NT, const int q4, const uint8_t *w, size_t gstride,
                               const uint8_t *a, size_t arb, size_t offd, size_t offn, int64_t nb,
                               float *y, size_t ldy, int64_t row0, int64_t r1, int prefetch) {
    const size_t gbb = q4 ? 288 : 544;
    __m512 facc[2][6];
    for (int g = 0; g < NG; ++g)
        for (int t = 0; t < NT; ++t) facc[g][t] = _mm512_setzero_ps();
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t *wb[2];
        for (int g = 0; g < NG; ++g) {
            wb[g] = w + (size_t)g * gstride + (size_t)b * gbb;
            if (prefetch) {
                _mm_prefetch((const char *)wb[g] + 2048, _MM_HINT_T0);
                _mm_prefetch((const char *)wb[g] + 2048 + 64 * 4, _MM_HINT_T0);
            }
        }
        __m512i iacc[2][6];
        for (int t = 0; t < NT; ++t) {
            __m512i n = _mm512_set1_epi32(rd32(a + (size_t)t * arb + offn + 4 * (size_t)b));
            if (!q4) n = _mm512_slli_epi32(n, 4);
            for (int g = 0; g < NG; ++g) iacc[g][t] = n;
        }
        const uint8_t *xb = a + 32 * (size_t)b;
        if (!q4) {
            for (int q = 0; q < 8; ++q) {
                __m512i wv[2];
                for (int g = 0; g < NG; ++g) wv[g] = _mm512_loadu_si512(wb[g] + 32 + 64 * q);
                for (int t = 0; t < NT; ++t) {
                    const __m512i xv = _mm512_set1_epi32(rd32(xb + (size_t)t * arb + 4 * q));
                    for (int g = 0; g < NG; ++g) iacc[g][t] = _mm512_dpbusd_epi32(iacc[g][t], wv[g], xv);
                }
            }
        } else {
            for (int c = 0; c < 4; ++c) {
                __m512i lo[2], hi[2];
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
                        iacc[g][t] = _mm512_dpbusd_epi32(iacc[g][t], hi[g], xh);
                    }
                }
            }
        }
        __m512 dw[2];
        for (int g = 0; g < NG; ++g) dw[g] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)wb[g]));
        for (int t = 0; t < NT; ++t) {
            const __m512 dx = _mm512_set1_ps(*(const float *)(a + (size_t)t * arb + offd + 4 * (size_t)b));
            for (int g = 0; g < NG; ++g)
                facc[g][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(iacc[g][t]), _mm512_mul_ps(dw[g], dx), facc[g][t]);
        }
    }
    for (int g = 0; g < NG; ++g) {
        const int64_t r = row0 + 16 * g;
        const int64_t valid = r1 - r >= 16 ? 16 : r1 - r;
        const __mmask16 m = (__mmask16)((1u << valid) - 1u);
        for (int t = 0; t < NT; ++t) _mm512_mask_storeu_ps(y + (size_t)t * ldy + (size_t)r, m, facc[g][t]);
    }
}

#define PK_CASE(NG, NT) packed_tile(NG, NT, q4, wg, gstride, ar, arb, offd, offn, nb, yo, ldy, r, r1, pf)

static TGT void gemm_packed(int q4, const void *w, int64_t k, int64_t r0, int64_t r1,
                            const void *act, int64_t T, float *y, size_t ldy) {
    const int64_t nb = k / 32;
    const size_t gstride = (size_t)nb * (q4 ? 288 : 544);
    const size_t arb = lfm_q8_0_act_bytes(k);
    const size_t offd = LFM_ALIGN64((size_t)k), offn = offd + LFM_ALIGN64((size_t)nb * 4);
    /* Token block: activations of about 512 KB, so they stay in L2 while a group pair walks them. */
    int64_t tb = (int64_t)((512u << 10) / arb);
    tb = tb < 6 ? 6 : tb - tb % 6;
    const int pf = T == 1;
    for (int64_t tb0 = 0; tb0 < T; tb0 += tb) {
        const int64_t tb1 = tb0 + tb < T ? tb0 + tb : T;
        for (int64_t r = r0; r < r1; r += 32) {
            const int ng = r1 - r > 16 ? 2 : 1;
            const uint8_t *wg = (const uint8_t *)w + (size_t)(r / 16) * gstride;
            for (int64_t t = tb0; t < tb1; t += 6) {
                const int nt = tb1 - t < 6 ? (int)(tb1 - t) : 6;
                const uint8_t *ar = (const uint8_t *)act + (size_t)t * arb;
                float *yo = y + (size_t)t * ldy;
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

/* Rows r0..r1 of a packed matrix; r0 must be a multiple of 16. Returns 0 for other types. */
int lfm_gemm_avx512_packed(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1,
                           const void *act, int64_t T, float *y, size_t ldy) {
    if (wtype != LFM_TYPE_Q8_0_R16 && wtype != LFM_TYPE_Q4_0_R16) return 0;
    if (k % 32 || r0 % 16) return 0;
    if (r1 > r0 && T > 0) gemm_packed(wtype == LFM_TYPE_Q4_0_R16, w, k, r0, r1, act, T, y, ldy);
    return 1;
}
#endif
