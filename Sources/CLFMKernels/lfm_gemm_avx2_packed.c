/*
 * lfm_gemm_avx2_packed.c — products of the packed layouts (lfm_pack.c: Q8_0_R16, Q4_0_R16,
 * BF16_R16, Q4_K_R16, Q5_K_R16, Q6_K_R16) on AVX2 + FMA + F16C, as outer products over 8-row
 * halves of a 16-row group.
 *
 * A 64-byte line of a packed group holds 4 k (BF16: 2 k) of 16 rows, one 32-bit lane per
 * row, so a 32-byte load is 4 k of 8 rows ("a half"). The activation bytes of a token are
 * broadcast to all lanes; products land in per-row lanes, with no horizontal sums:
 *
 *   Q4_0_R16  nibbles q in [0,15] (unsigned operand) x 4 broadcast activation bytes via
 *             vpmaddubsw: |pair| <= 2*15*127 = 3810, so the 8 products of a 32-k block add
 *             up in int16 (<= 30480) and one vpmaddwd per block widens them to int32; the
 *             -8 offset enters as the block's nsum8 = -8 * sum(x).
 *   Q8_0_R16  stored u = w + 128; w = u ^ 0x80 restores the signed weight, then the sign
 *             trick |w| x sign(x, w) (pairs <= 2*127*127 = 32258, no saturation) and one
 *             vpmaddwd per 4 k into int32.
 *   BF16_R16  (f32 activations) even k = dword << 16, odd k = dword & 0xffff0000: two FMAs
 *             per pair against the broadcast activations, exact fp32 products.
 *
 * At the end of a 32-k block the 8 int32 sums are converted and scaled by d_w (8 lanes) times
 * d_x (broadcast) into fp32 accumulators. Register tile: NH halves x NT tokens within the 16
 * ymm registers (accumulators, per-block integer sums, weights, broadcasts). The driver walks
 * token blocks that fit L2, runs of NH halves, then token tiles, so a run's weights stay in
 * L1 while the token block streams by. T == 1 reads a whole group (2 halves) per block, one
 * sequential stream per thread, with software prefetch.
 */
#include "lfm_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TGT __attribute__((target("avx2,fma,f16c")))
#define AI __attribute__((always_inline)) inline

static inline int32_t rd32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }

/* Software prefetch distance (bytes ahead in the group stream) for T == 1. */
#define PF_BYTES 2048

/* Stores 8 row sums of half starting at row r, keeping only rows in [r0, r1). */
static TGT AI void store_half(float *y, int64_t r, int64_t r0, int64_t r1, __m256 v) {
    if (r >= r0 && r + 8 <= r1) {
        _mm256_storeu_ps(y + r, v);
        return;
    }
    const __m256i idx = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)(r - r0)));
    /* lane i valid iff 0 <= r - r0 + i < r1 - r0 */
    const __m256i ge = _mm256_cmpgt_epi32(idx, _mm256_set1_epi32(-1));
    const __m256i lt = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(r1 - r0)), idx);
    _mm256_maskstore_ps(y + r, _mm256_and_si256(ge, lt), v);
}

/* Address of half H (rows 8H..8H+7) in group-block b: group H/2, line offset 32 * (H % 2). */
typedef struct { const uint8_t *w; size_t gstride, gbb; } packed_q;

/* ---- Q4_0_R16 / Q8_0_R16 x Q8_0 activations -------------------------------------------- */
static TGT AI void q_tile(const int NH, const int NT, const int q4, packed_q P, int64_t H0, const uint8_t *a,
                          size_t arb, size_t offd, size_t offn, int64_t nb, float *y, size_t ldy, int64_t r0,
                          int64_t r1, int prefetch) {
    __m256 facc[4][6];
    for (int h = 0; h < NH; ++h)
        for (int t = 0; t < NT; ++t) facc[h][t] = _mm256_setzero_ps();
    const uint8_t *wh[4];
    for (int h = 0; h < NH; ++h) wh[h] = P.w + (size_t)((H0 + h) / 2) * P.gstride + 32 * (size_t)((H0 + h) % 2);
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < nb; ++b) {
        const size_t boff = (size_t)b * P.gbb;
        if (prefetch) {
            /* NH == 2 and H0 even: both halves are one contiguous group-block */
            for (size_t off = 0; off < P.gbb; off += 64)
                _mm_prefetch((const char *)wh[0] + boff + PF_BYTES + off, _MM_HINT_T0);
        }
        const uint8_t *xb = a + 32 * (size_t)b;
        __m256i isum[4][6];
        if (q4) {
            const __m256i m4 = _mm256_set1_epi8(0x0f);
            for (int c = 0; c < 4; ++c) {
                __m256i lo[4], hi[4];
                for (int h = 0; h < NH; ++h) {
                    const __m256i v = _mm256_loadu_si256((const __m256i *)(wh[h] + boff + 32 + 64 * c));
                    lo[h] = _mm256_and_si256(v, m4);
                    hi[h] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
                }
                for (int t = 0; t < NT; ++t) {
                    const __m256i xl = _mm256_set1_epi32(rd32(xb + (size_t)t * arb + 4 * c));
                    const __m256i xh = _mm256_set1_epi32(rd32(xb + (size_t)t * arb + 16 + 4 * c));
                    for (int h = 0; h < NH; ++h) {
                        const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo[h], xl), _mm256_maddubs_epi16(hi[h], xh));
                        isum[h][t] = c == 0 ? p : _mm256_add_epi16(isum[h][t], p);
                    }
                }
            }
            for (int t = 0; t < NT; ++t) {
                const __m256i n = _mm256_set1_epi32(rd32(a + (size_t)t * arb + offn + 4 * (size_t)b));
                for (int h = 0; h < NH; ++h) isum[h][t] = _mm256_add_epi32(_mm256_madd_epi16(isum[h][t], ones), n);
            }
        } else {
            const __m256i flip = _mm256_set1_epi8((char)0x80);
            for (int q = 0; q < 8; ++q) {
                __m256i sw[4], aw[4];
                for (int h = 0; h < NH; ++h) {
                    sw[h] = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(wh[h] + boff + 32 + 64 * q)), flip);
                    aw[h] = _mm256_abs_epi8(sw[h]);
                }
                for (int t = 0; t < NT; ++t) {
                    const __m256i xv = _mm256_set1_epi32(rd32(xb + (size_t)t * arb + 4 * q));
                    for (int h = 0; h < NH; ++h) {
                        const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(aw[h], _mm256_sign_epi8(xv, sw[h])), ones);
                        isum[h][t] = q == 0 ? p : _mm256_add_epi32(isum[h][t], p);
                    }
                }
            }
        }
        __m256 dw[4];
        for (int h = 0; h < NH; ++h) {
            /* the group-block's 16 fp16 scales; this half's 8 at 16 * (H % 2) */
            const uint8_t *sc = wh[h] - 32 * (size_t)((H0 + h) % 2) + boff + 16 * (size_t)((H0 + h) % 2);
            dw[h] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)sc));
        }
        for (int t = 0; t < NT; ++t) {
            const __m256 dx = _mm256_broadcast_ss((const float *)(a + (size_t)t * arb + offd + 4 * (size_t)b));
            for (int h = 0; h < NH; ++h)
                facc[h][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[h][t]), _mm256_mul_ps(dw[h], dx), facc[h][t]);
        }
    }
    for (int h = 0; h < NH; ++h)
        for (int t = 0; t < NT; ++t) store_half(y + (size_t)t * ldy, 8 * (H0 + h), r0, r1, facc[h][t]);
}

/* Q8_0_R16, two halves (one 16-row group) x 4 tokens: the 8 integer sums stay in registers
 * and the fp32 sums live in an L1 array (16 ymm cannot hold both), so each broadcast of 4
 * activation bytes serves 16 rows and each widened weight vector 4 tokens. */
static TGT void q8_tile_2x4(packed_q P, int64_t H0, const uint8_t *a, size_t arb, size_t offd, int64_t nb, float *y,
                            size_t ldy, int64_t r0, int64_t r1) {
    __attribute__((aligned(32))) float acc[2][4][8];
    memset(acc, 0, sizeof acc);
    const uint8_t *w0 = P.w + (size_t)(H0 / 2) * P.gstride + 32 * (size_t)(H0 % 2);
    const uint8_t *w1 = P.w + (size_t)((H0 + 1) / 2) * P.gstride + 32 * (size_t)((H0 + 1) % 2);
    const uint8_t *sc0 = w0 - 32 * (size_t)(H0 % 2) + 16 * (size_t)(H0 % 2);
    const uint8_t *sc1 = w1 - 32 * (size_t)((H0 + 1) % 2) + 16 * (size_t)((H0 + 1) % 2);
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    for (int64_t b = 0; b < nb; ++b) {
        const size_t boff = (size_t)b * P.gbb;
        const uint8_t *xb = a + 32 * (size_t)b;
        __m256i s0[4], s1[4];
        for (int q = 0; q < 8; ++q) {
            const __m256i u0 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(w0 + boff + 32 + 64 * q)), flip);
            const __m256i u1 = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(w1 + boff + 32 + 64 * q)), flip);
            const __m256i a0 = _mm256_abs_epi8(u0), a1 = _mm256_abs_epi8(u1);
            for (int t = 0; t < 4; ++t) {
                const __m256i xv = _mm256_set1_epi32(rd32(xb + (size_t)t * arb + 4 * q));
                const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(a0, _mm256_sign_epi8(xv, u0)), ones);
                const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(a1, _mm256_sign_epi8(xv, u1)), ones);
                s0[t] = q == 0 ? p0 : _mm256_add_epi32(s0[t], p0);
                s1[t] = q == 0 ? p1 : _mm256_add_epi32(s1[t], p1);
            }
        }
        const __m256 d0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(sc0 + boff)));
        const __m256 d1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(sc1 + boff)));
        for (int t = 0; t < 4; ++t) {
            const __m256 dx = _mm256_broadcast_ss((const float *)(a + (size_t)t * arb + offd + 4 * (size_t)b));
            _mm256_store_ps(acc[0][t], _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0[t]), _mm256_mul_ps(d0, dx), _mm256_load_ps(acc[0][t])));
            _mm256_store_ps(acc[1][t], _mm256_fmadd_ps(_mm256_cvtepi32_ps(s1[t]), _mm256_mul_ps(d1, dx), _mm256_load_ps(acc[1][t])));
        }
    }
    for (int h = 0; h < 2; ++h)
        for (int t = 0; t < 4; ++t) store_half(y + (size_t)t * ldy, 8 * (H0 + h), r0, r1, _mm256_load_ps(acc[h][t]));
}

#define QT_CASE(NH, NT) q_tile(NH, NT, q4, P, H, ar, arb, offd, offn, nb, yo, ldy, r0, r1, pf)

/* Tiles: T == 1 a whole group (2 halves) x 1 token; T > 1 one half x up to 4 tokens
 * (4 fp32 + 4 integer accumulators, 2 weight vectors, broadcasts: no spills). */
static TGT void gemm_q_packed(int q4, const void *w, int64_t k, int64_t r0, int64_t r1, const void *act, int64_t T,
                              float *y, size_t ldy) {
    const int64_t nb = k / 32;
    packed_q P = { (const uint8_t *)w, 0, q4 ? 288 : 544 };
    P.gstride = (size_t)nb * P.gbb;
    const size_t arb = lfm_q8_0_act_bytes(k);
    const size_t offd = LFM_ALIGN64((size_t)k), offn = offd + LFM_ALIGN64((size_t)nb * 4);
    const int64_t NTM = 4;
    int64_t tb = (int64_t)((512u << 10) / arb);
    tb = tb < NTM ? NTM : tb - tb % NTM;
    const int64_t H1 = (r1 + 7) / 8;
    if (T == 1) {
        const uint8_t *ar = (const uint8_t *)act;
        float *yo = y;
        for (int64_t H = (r0 / 16) * 2; H < H1; H += 2) {
            const int pf = 1;
            if (H + 1 < H1) QT_CASE(2, 1);
            else QT_CASE(1, 1);
        }
        return;
    }
    const int pf = 0;
    for (int64_t tb0 = 0; tb0 < T; tb0 += tb) {
        const int64_t tb1 = tb0 + tb < T ? tb0 + tb : T;
        for (int64_t H0 = r0 / 8; H0 < H1;) {
            /* Q8_0: both halves of a group per full token tile (q8_tile_2x4) */
            const int pair = !q4 && H0 + 1 < H1;
            for (int64_t t = tb0; t < tb1; t += NTM) {
                const int nt = tb1 - t < NTM ? (int)(tb1 - t) : (int)NTM;
                const uint8_t *ar = (const uint8_t *)act + (size_t)t * arb;
                float *yo = y + (size_t)t * ldy;
                if (pair && nt == 4) {
                    q8_tile_2x4(P, H0, ar, arb, offd, nb, yo, ldy, r0, r1);
                    continue;
                }
                for (int64_t H = H0; H <= H0 + pair; ++H) {
                    switch (nt) {
                    case 1: QT_CASE(1, 1); break;
                    case 2: QT_CASE(1, 2); break;
                    case 3: QT_CASE(1, 3); break;
                    default: QT_CASE(1, 4); break;
                    }
                }
            }
            H0 += 1 + pair;
        }
    }
}

/* ---- BF16_R16 x f32 activations ----------------------------------------------------------
 * Pair p of a group at 64p: half H at + 32 * (H % 2). Tile NH halves x NT tokens; with one
 * token, even and odd k accumulate separately (two FMA chains per half). */
static TGT AI void bf16_tile(const int NH, const int NT, const uint8_t *w, size_t gstride, int64_t H0,
                             const uint8_t *a, size_t arb, int64_t k, float *y, size_t ldy, int64_t r0, int64_t r1,
                             int prefetch) {
    __m256 acc[4][4], odd[4];
    for (int h = 0; h < NH; ++h) {
        odd[h] = _mm256_setzero_ps();
        for (int t = 0; t < NT; ++t) acc[h][t] = _mm256_setzero_ps();
    }
    const uint8_t *wh[4];
    for (int h = 0; h < NH; ++h) wh[h] = w + (size_t)((H0 + h) / 2) * gstride + 32 * (size_t)((H0 + h) % 2);
    const __m256i hi16 = _mm256_set1_epi32((int)0xffff0000u);
    for (int64_t p = 0; p < k / 2; ++p) {
        __m256 we[4], wo[4];
        if (prefetch) _mm_prefetch((const char *)wh[0] + 64 * (size_t)p + PF_BYTES, _MM_HINT_T0);
        for (int h = 0; h < NH; ++h) {
            const __m256i v = _mm256_loadu_si256((const __m256i *)(wh[h] + 64 * (size_t)p));
            we[h] = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
            wo[h] = _mm256_castsi256_ps(_mm256_and_si256(v, hi16));
        }
        for (int t = 0; t < NT; ++t) {
            const float *x = (const float *)(a + (size_t)t * arb) + 2 * p;
            const __m256 xe = _mm256_broadcast_ss(x), xo = _mm256_broadcast_ss(x + 1);
            for (int h = 0; h < NH; ++h) {
                acc[h][t] = _mm256_fmadd_ps(we[h], xe, acc[h][t]);
                if (NT == 1) odd[h] = _mm256_fmadd_ps(wo[h], xo, odd[h]);
                else acc[h][t] = _mm256_fmadd_ps(wo[h], xo, acc[h][t]);
            }
        }
    }
    for (int h = 0; h < NH; ++h)
        for (int t = 0; t < NT; ++t)
            store_half(y + (size_t)t * ldy, 8 * (H0 + h), r0, r1, NT == 1 ? _mm256_add_ps(acc[h][t], odd[h]) : acc[h][t]);
}

#define BT_CASE(NH, NT) bf16_tile(NH, NT, (const uint8_t *)w, gstride, H, ar, arb, k, yo, ldy, r0, r1, pf)

/* T > 1: 2 halves x 4 tokens (8 accumulators, 4 weight vectors, 2 broadcasts). */
static TGT void gemm_bf16_packed(const void *w, int64_t k, int64_t r0, int64_t r1, const void *act, int64_t T,
                                 float *y, size_t ldy) {
    const size_t gstride = (size_t)k * 32;
    const size_t arb = LFM_ALIGN64((size_t)k * 4);
    const int64_t H1 = (r1 + 7) / 8;
    if (T == 1) {
        const uint8_t *ar = (const uint8_t *)act;
        float *yo = y;
        const int pf = 1;
        for (int64_t H = (r0 / 16) * 2; H < H1; H += 2) {
            if (H + 1 < H1) BT_CASE(2, 1);
            else BT_CASE(1, 1);
        }
        return;
    }
    const int pf = 0;
    int64_t tb = (int64_t)((512u << 10) / arb);
    tb = tb < 4 ? 4 : tb - tb % 4;
    for (int64_t tb0 = 0; tb0 < T; tb0 += tb) {
        const int64_t tb1 = tb0 + tb < T ? tb0 + tb : T;
        for (int64_t H = r0 / 8; H < H1; H += 2) {
            const int nh = H + 1 < H1 ? 2 : 1;
            for (int64_t t = tb0; t < tb1; t += 4) {
                const int nt = tb1 - t < 4 ? (int)(tb1 - t) : 4;
                const uint8_t *ar = (const uint8_t *)act + (size_t)t * arb;
                float *yo = y + (size_t)t * ldy;
                switch (nh * 8 + nt) {
                case 9: BT_CASE(1, 1); break;  case 10: BT_CASE(1, 2); break;
                case 11: BT_CASE(1, 3); break; case 12: BT_CASE(1, 4); break;
                case 17: BT_CASE(2, 1); break; case 18: BT_CASE(2, 2); break;
                case 19: BT_CASE(2, 3); break; default: BT_CASE(2, 4); break;
                }
            }
        }
    }
}

/* ---- Q4_K_R16 / Q5_K_R16 / Q6_K_R16 x Q8_K activations -------------------------------------
 * Per sub-block s (32 k) and half: the nibble chunks (and Q5's fifth bits / Q6's high pairs)
 * give unsigned values u in lanes of 4 k per row; vpmaddubsw with 4 broadcast activation bytes
 * adds pairs in int16 (Q4: 8 products of <= 15 * 127 per int16 over the sub-block, <= 30480;
 * Q5 and Q6 are folded every 2 chunks: <= 4 * 31 * 127 = 15748 and, per 16-group, 4 * 63 *
 * 127 = 32004), then vpmaddwd with the row's scale duplicated in both int16 halves of its
 * lane into the super-block's int32 sum. Q4/Q5 mins: sum_s m_s * (bsum_2s + bsum_2s+1) through
 * vpmaddwd on (m_2p, m_2p+1) lanes against the broadcast pair sums; Q6's -32 offset: 32 * sc
 * pairs against broadcast bsum pairs, subtracted in the same int32 sum. At the super-block end
 * the int32 sums are converted and scaled by d_w (8 lanes) * d_x (and dmin_w * d_x). */
typedef struct { const uint8_t *w; size_t gstride, gbb; } packed_k;

/* Lanes (a, b) of int16 pairs -> (a, a) and (b, b). */
static TGT AI __m256i dup_even16(__m256i v) { return _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(v, 0xa0), 0xa0); }
static TGT AI __m256i dup_odd16(__m256i v) { return _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(v, 0xf5), 0xf5); }
/* 16-bit shift left by n (right by -n), n a compile-time constant after inlining. */
static TGT AI __m256i shl16(__m256i v, const int n) {
    return n > 0 ? _mm256_slli_epi16(v, n) : n < 0 ? _mm256_srli_epi16(v, -n) : v;
}

static TGT AI void k_tile(const int KT, const int NH, const int NT, packed_k P, int64_t H0, const uint8_t *a,
                          size_t arb, size_t offd, size_t offb, int64_t nsb, float *y, size_t ldy, int64_t r0,
                          int64_t r1, int prefetch) {
    __m256 facc[2][4];
    for (int h = 0; h < NH; ++h)
        for (int t = 0; t < NT; ++t) facc[h][t] = _mm256_setzero_ps();
    const uint8_t *gh[2];
    int hh[2];
    for (int h = 0; h < NH; ++h) {
        gh[h] = P.w + (size_t)((H0 + h) / 2) * P.gstride;
        hh[h] = (int)((H0 + h) % 2);
    }
    const size_t hdr = KT == 6 ? 288 : 320, sub = KT == 4 ? 256 : KT == 5 ? 320 : 384;
    const __m256i m4 = _mm256_set1_epi8(0x0f), m10 = _mm256_set1_epi8(0x10), m30 = _mm256_set1_epi8(0x30);
    for (int64_t b = 0; b < nsb; ++b) {
        const uint8_t *gb[2];
        for (int h = 0; h < NH; ++h) gb[h] = gh[h] + (size_t)b * P.gbb;
        if (prefetch)   /* NH == 2: both halves are one group-block; fetch the next one */
            for (size_t off = 0; off < P.gbb; off += 64) _mm_prefetch((const char *)gb[0] + P.gbb + off, _MM_HINT_T0);
        __m256i isum[2][4];
        for (int h = 0; h < NH; ++h)
            for (int t = 0; t < NT; ++t) isum[h][t] = _mm256_setzero_si256();
        for (int s = 0; s < 8; ++s) {
            __m256i sca[2], scb[2], sc32[2];
            const uint8_t *qb[2];
            for (int h = 0; h < NH; ++h) {
                qb[h] = gb[h] + hdr + (size_t)s * sub + 32 * (size_t)hh[h];
                if (KT == 6) {
                    const __m256i pr = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(gb[h] + 32 + 32 * s + 16 * hh[h])));
                    sca[h] = dup_even16(pr);
                    scb[h] = dup_odd16(pr);
                    sc32[h] = _mm256_slli_epi16(pr, 5);
                } else {
                    const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(gb[h] + 64 + 16 * s + 8 * hh[h])));
                    sca[h] = _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
                }
            }
            const size_t xo = 256 * (size_t)b + 32 * (size_t)s;
            if (KT == 4) {
                __m256i s16[2][4];
#pragma clang loop unroll(full)
                for (int c = 0; c < 4; ++c) {
                    __m256i lo[2], hi[2];
                    for (int h = 0; h < NH; ++h) {
                        const __m256i v = _mm256_loadu_si256((const __m256i *)(qb[h] + 64 * c));
                        lo[h] = _mm256_and_si256(v, m4);
                        hi[h] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
                    }
                    for (int t = 0; t < NT; ++t) {
                        const __m256i xl = _mm256_set1_epi32(rd32(a + (size_t)t * arb + xo + 4 * c));
                        const __m256i xh = _mm256_set1_epi32(rd32(a + (size_t)t * arb + xo + 16 + 4 * c));
                        for (int h = 0; h < NH; ++h) {
                            const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo[h], xl), _mm256_maddubs_epi16(hi[h], xh));
                            s16[h][t] = c == 0 ? p : _mm256_add_epi16(s16[h][t], p);
                        }
                    }
                }
                for (int t = 0; t < NT; ++t)
                    for (int h = 0; h < NH; ++h) isum[h][t] = _mm256_add_epi32(isum[h][t], _mm256_madd_epi16(s16[h][t], sca[h]));
            } else if (KT == 5) {
                __m256i qh[2];
                for (int h = 0; h < NH; ++h) qh[h] = _mm256_loadu_si256((const __m256i *)(qb[h] + 256));
                __m256i s16[2][4];
#pragma clang loop unroll(full)
                for (int c = 0; c < 4; ++c) {
                    __m256i lo[2], hi[2];
                    for (int h = 0; h < NH; ++h) {
                        /* chunk c's bits (2c, 2c+1) are at (0, 1) after c shifts by 2 */
                        const __m256i v = _mm256_loadu_si256((const __m256i *)(qb[h] + 64 * c));
                        lo[h] = _mm256_or_si256(_mm256_and_si256(v, m4), _mm256_and_si256(_mm256_slli_epi16(qh[h], 4), m10));
                        hi[h] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4),
                                                _mm256_and_si256(_mm256_slli_epi16(qh[h], 3), m10));
                        qh[h] = _mm256_srli_epi16(qh[h], 2);
                    }
                    for (int t = 0; t < NT; ++t) {
                        const __m256i xl = _mm256_set1_epi32(rd32(a + (size_t)t * arb + xo + 4 * c));
                        const __m256i xh = _mm256_set1_epi32(rd32(a + (size_t)t * arb + xo + 16 + 4 * c));
                        for (int h = 0; h < NH; ++h) {
                            const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo[h], xl), _mm256_maddubs_epi16(hi[h], xh));
                            s16[h][t] = c % 2 == 0 ? p : _mm256_add_epi16(s16[h][t], p);
                            if (c % 2) isum[h][t] = _mm256_add_epi32(isum[h][t], _mm256_madd_epi16(s16[h][t], sca[h]));
                        }
                    }
                }
            } else {
#pragma clang loop unroll(full)
                for (int L = 0; L < 2; ++L) {
                    __m256i lo[2][2], hi[2][2];
                    for (int h = 0; h < NH; ++h) {
                        const __m256i hb = _mm256_loadu_si256((const __m256i *)(qb[h] + 256 + 64 * L));
#pragma clang loop unroll(full)
                        for (int i = 0; i < 2; ++i) {
                            const __m256i v = _mm256_loadu_si256((const __m256i *)(qb[h] + 64 * (2 * L + i)));
                            lo[h][i] = _mm256_or_si256(_mm256_and_si256(v, m4), _mm256_and_si256(shl16(hb, 4 - 4 * i), m30));
                            hi[h][i] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), m4),
                                                       _mm256_and_si256(shl16(hb, 2 - 4 * i), m30));
                        }
                    }
                    for (int t = 0; t < NT; ++t) {
                        const uint8_t *x = a + (size_t)t * arb + xo + 8 * L;
                        const __m256i xl0 = _mm256_set1_epi32(rd32(x)), xl1 = _mm256_set1_epi32(rd32(x + 4));
                        const __m256i xh0 = _mm256_set1_epi32(rd32(x + 16)), xh1 = _mm256_set1_epi32(rd32(x + 20));
                        for (int h = 0; h < NH; ++h) {
                            const __m256i pa = _mm256_add_epi16(_mm256_maddubs_epi16(lo[h][0], xl0), _mm256_maddubs_epi16(lo[h][1], xl1));
                            const __m256i pb = _mm256_add_epi16(_mm256_maddubs_epi16(hi[h][0], xh0), _mm256_maddubs_epi16(hi[h][1], xh1));
                            isum[h][t] = _mm256_add_epi32(isum[h][t], _mm256_add_epi32(_mm256_madd_epi16(pa, sca[h]), _mm256_madd_epi16(pb, scb[h])));
                        }
                    }
                }
                /* -32 offset: 32 * (sc_2s * bsum_2s + sc_2s+1 * bsum_2s+1) */
                for (int t = 0; t < NT; ++t) {
                    const __m256i bs = _mm256_set1_epi32(rd32(a + (size_t)t * arb + offb + 2 * (16 * (size_t)b + 2 * (size_t)s)));
                    for (int h = 0; h < NH; ++h) isum[h][t] = _mm256_sub_epi32(isum[h][t], _mm256_madd_epi16(sc32[h], bs));
                }
            }
        }
        __m256 dw[2], dm[2];
        __m256i mp[2][4];
        for (int h = 0; h < NH; ++h) {
            dw[h] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(gb[h] + 16 * hh[h])));
            if (KT != 6) {
                dm[h] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(gb[h] + 32 + 16 * hh[h])));
                for (int q = 0; q < 4; ++q)
                    mp[h][q] = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(gb[h] + 192 + 32 * q + 16 * hh[h])));
            }
        }
        for (int t = 0; t < NT; ++t) {
            const uint8_t *at = a + (size_t)t * arb;
            const __m256 dx = _mm256_broadcast_ss((const float *)(at + offd + 4 * (size_t)b));
            __m256i sp = _mm256_setzero_si256();
            if (KT != 6) {
                /* pair sums S_j = bsum_2j + bsum_2j+1 as int16 pairs (S_2q, S_2q+1) per dword:
                 * lanes [S0 S1 S2 S3 S0 S1 S2 S3 | S4 .. S7 S4 .. S7] */
                const __m256i bs = _mm256_loadu_si256((const __m256i *)(at + offb + 32 * (size_t)b));
                const __m256i S = _mm256_madd_epi16(bs, _mm256_set1_epi16(1));
                sp = _mm256_packs_epi32(S, S);
            }
            for (int h = 0; h < NH; ++h) {
                facc[h][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[h][t]), _mm256_mul_ps(dw[h], dx), facc[h][t]);
                if (KT != 6) {
                    __m256i mi = _mm256_setzero_si256();
                    for (int q = 0; q < 4; ++q) {
                        const __m256i Sq = _mm256_permutevar8x32_epi32(sp, _mm256_set1_epi32(q < 2 ? q : q + 2));
                        mi = _mm256_add_epi32(mi, _mm256_madd_epi16(mp[h][q], Sq));
                    }
                    facc[h][t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(mi), _mm256_mul_ps(dm[h], dx), facc[h][t]);
                }
            }
        }
    }
    for (int h = 0; h < NH; ++h)
        for (int t = 0; t < NT; ++t) store_half(y + (size_t)t * ldy, 8 * (H0 + h), r0, r1, facc[h][t]);
}

#define KT_CASE(NH, NT)                                                                              \
    do {                                                                                             \
        if (kt == 4) k_tile(4, NH, NT, P, H, ar, arb, offd, offb, nsb, yo, ldy, r0, r1, pf);         \
        else if (kt == 5) k_tile(5, NH, NT, P, H, ar, arb, offd, offb, nsb, yo, ldy, r0, r1, pf);    \
        else k_tile(6, NH, NT, P, H, ar, arb, offd, offb, nsb, yo, ldy, r0, r1, pf);                 \
    } while (0)

/* Tiles as gemm_q_packed: T == 1 a whole group x 1 token, T > 1 one half x up to 4 tokens. */
static TGT void gemm_k_packed(int kt, int ptype, const void *w, int64_t k, int64_t r0, int64_t r1, const void *act,
                              int64_t T, float *y, size_t ldy) {
    const int64_t nsb = k / 256;
    packed_k P = { (const uint8_t *)w, 0, 16 * (size_t)lfm_block_bytes(ptype) };
    P.gstride = (size_t)nsb * P.gbb;
    const size_t arb = lfm_q8_k_act_bytes(k);
    const size_t offd = LFM_ALIGN64((size_t)k), offb = offd + LFM_ALIGN64((size_t)nsb * 4);
    const int64_t NTM = 4;
    int64_t tb = (int64_t)((512u << 10) / arb);
    tb = tb < NTM ? NTM : tb - tb % NTM;
    const int64_t H1 = (r1 + 7) / 8;
    if (T == 1) {
        const uint8_t *ar = (const uint8_t *)act;
        float *yo = y;
        const int pf = 1;
        for (int64_t H = (r0 / 16) * 2; H < H1; H += 2) {
            if (H + 1 < H1) KT_CASE(2, 1);
            else KT_CASE(1, 1);
        }
        return;
    }
    const int pf = 0;
    for (int64_t tb0 = 0; tb0 < T; tb0 += tb) {
        const int64_t tb1 = tb0 + tb < T ? tb0 + tb : T;
        for (int64_t H = r0 / 8; H < H1; ++H) {
            for (int64_t t = tb0; t < tb1; t += NTM) {
                const int nt = tb1 - t < NTM ? (int)(tb1 - t) : (int)NTM;
                const uint8_t *ar = (const uint8_t *)act + (size_t)t * arb;
                float *yo = y + (size_t)t * ldy;
                switch (nt) {
                case 1: KT_CASE(1, 1); break;
                case 2: KT_CASE(1, 2); break;
                case 3: KT_CASE(1, 3); break;
                default: KT_CASE(1, 4); break;
                }
            }
        }
    }
}

/* Rows r0..r1 of a packed matrix (any r0) against this table's activations (BF16: f32).
 * Returns 0 for other types. */
int lfm_gemm_avx2_packed(int wtype, const void *w, int64_t k, int64_t r0, int64_t r1, const void *act, int64_t T,
                         float *y, size_t ldy) {
    if (wtype == LFM_TYPE_BF16_R16) {
        if (k % 2) return 0;
        if (r1 > r0 && T > 0) gemm_bf16_packed(w, k, r0, r1, act, T, y, ldy);
        return 1;
    }
    if (wtype == LFM_TYPE_Q4_K_R16 || wtype == LFM_TYPE_Q5_K_R16 || wtype == LFM_TYPE_Q6_K_R16) {
        if (k % 256) return 0;
        const int kt = wtype == LFM_TYPE_Q4_K_R16 ? 4 : wtype == LFM_TYPE_Q5_K_R16 ? 5 : 6;
        if (r1 > r0 && T > 0) gemm_k_packed(kt, wtype, w, k, r0, r1, act, T, y, ldy);
        return 1;
    }
    if (wtype != LFM_TYPE_Q8_0_R16 && wtype != LFM_TYPE_Q4_0_R16) return 0;
    if (k % 32) return 0;
    if (r1 > r0 && T > 0) gemm_q_packed(wtype == LFM_TYPE_Q4_0_R16, w, k, r0, r1, act, T, y, ldy);
    return 1;
}
#endif
