/*
 * lfm_pack.c — packed weight layouts for the AVX-512 and AVX2 kernels, and their portable
 * reference product (lfm_kernels.h, "Packed weights").
 *
 * A packed matrix is a sequence of row groups of 16 rows (the last group zero-padded); a
 * group is the sequence of its 32-element blocks; a group-block holds the 16 rows' block
 * scales (fp16, 32 bytes) and then their quants interleaved so that one 64-byte load gives 4
 * consecutive k of all 16 rows (one int32 lane per row, ready for vpdpbusd against 4
 * activation bytes broadcast to every lane):
 *
 *   Q8_0_R16  32 + 8 x 64 = 544 bytes: quad q, row r, byte j = (w[r][4q + j] + 128) as u8
 *   Q4_0_R16  32 + 4 x 64 = 288 bytes: chunk c, row r, byte j = q[r][4c + j] | q[r][16 + 4c + j] << 4
 *             (q = the stored nibble, w = q - 8, as in block_q4_0)
 *
 * A group-block is exactly 16 ggml blocks long, so group g starts at g * 16 * row_bytes and
 * only a partial last group makes the packed matrix larger than the original.
 *
 *   BF16_R16  no blocks: pair p, row r at byte 64p + 4r = w[r][2p], w[r][2p + 1] (bf16); k even
 *
 * K-quants (Q4_K_R16, Q5_K_R16, Q6_K_R16; AVX2 kernels): a group-block covers one 256-element
 * super-block of 16 rows, a header of per-row scales unpacked from the 6-bit / int8 fields,
 * then 8 sub-blocks of 32 elements. q = the stored unsigned value (Q4 0..15, Q5 0..31, Q6
 * 0..63; w = d*sc*q - dmin*m for Q4/Q5, w = d*sc*(q - 32) for Q6), element e of sub-block s
 * is element 32s + e of the super-block:
 *
 *   header Q4/Q5 (320 B): fp16 d[16] | fp16 dmin[16] | u8 sc[s][16 rows] (128 B) |
 *                         u8 m[pair p][row r][2] = m[2p], m[2p+1] (128 B)
 *   header Q6    (288 B): fp16 d[16] | int8 sc[s][row r][2] = sc16[2s], sc16[2s+1] (256 B)
 *   sub-block s:  nibbles, 4 chunks x 64 B: chunk c, row r, byte j = (q[4c+j] & 15) | (q[16+4c+j] & 15) << 4
 *                 Q5 (+64 B):  row r, byte j, bit 2c = q[4c+j] >> 4, bit 2c+1 = q[16+4c+j] >> 4
 *                 Q6 (+128 B): line L (0, 1), row r, byte j: for chunk c = 2L + i, bits 4i..4i+1 =
 *                              q[4c+j] >> 4 and bits 4i+2..4i+3 = q[16+4c+j] >> 4
 *
 * Group-blocks are 2368 / 2880 / 3360 bytes: 16 rows of 148 / 180 / 210 bytes (the packed
 * types' row_bytes), so Q4_K_R16 and Q5_K_R16 are 2.8 % and 2.3 % larger than the originals
 * and Q6_K_R16 is the same size.
 */
#include "lfm_internal.h"

static int64_t pk_base(int ptype) {
    switch (ptype) {
    case LFM_TYPE_Q8_0_R16: return LFM_TYPE_Q8_0;
    case LFM_TYPE_Q4_0_R16: return LFM_TYPE_Q4_0;
    case LFM_TYPE_BF16_R16: return LFM_TYPE_BF16;
    case LFM_TYPE_Q4_K_R16: return LFM_TYPE_Q4_K;
    case LFM_TYPE_Q5_K_R16: return LFM_TYPE_Q5_K;
    case LFM_TYPE_Q6_K_R16: return LFM_TYPE_Q6_K;
    default: return -1;
    }
}

int lfm_packed_base_type(int type) {
    const int64_t b = pk_base(type);
    return b < 0 ? type : (int)b;
}

size_t lfm_packed_bytes(int ptype, int64_t rows, int64_t k) {
    const int64_t base = pk_base(ptype);
    if (base < 0 || rows <= 0) return 0;
    if (base == LFM_TYPE_BF16 ? k % 2 != 0 : k % 32 != 0) return 0;
    const size_t rb = lfm_row_bytes(ptype, k);   /* the base type's, except for the K-quants */
    return rb == 0 ? 0 : (size_t)((rows + 15) / 16) * 16 * rb;
}

static void pack_bf16(const uint8_t *src, int64_t rows, int64_t k, int64_t g0, int64_t g1, uint8_t *dst) {
    for (int64_t g = g0; g < g1; ++g) {
        uint8_t *out = dst + (size_t)g * 32 * (size_t)k;
        for (int64_t p = 0; p < k / 2; ++p, out += 64) {
            memset(out, 0, 64);
            for (int r = 0; r < 16 && g * 16 + r < rows; ++r)
                memcpy(out + 4 * r, src + (size_t)(g * 16 + r) * 2 * (size_t)k + 4 * (size_t)p, 4);
        }
    }
}

/* ---- K-quant layouts ---------------------------------------------------------------------- */
static int pk_is_k(int64_t base) { return base == LFM_TYPE_Q4_K || base == LFM_TYPE_Q5_K || base == LFM_TYPE_Q6_K; }
static size_t kp_hdr(int64_t base) { return base == LFM_TYPE_Q6_K ? 288 : 320; }
static size_t kp_sub(int64_t base) { return base == LFM_TYPE_Q4_K ? 256 : base == LFM_TYPE_Q5_K ? 320 : 384; }

/* One super-block in plain form: values q[256] (unsigned), Q4/Q5 scales sc[8] and mins m[8],
 * Q6 int8 scales sc[16] (stored as bytes), the fp16 d and dmin. */
typedef struct { uint8_t q[256], sc[16], m[8]; uint16_t d, dmin; } kq_plain;

static void kq_from_block(int64_t base, const uint8_t *b, kq_plain *p) {
    if (base == LFM_TYPE_Q6_K) {
        const uint8_t *ql = b, *qh = b + 128;
        for (int h = 0; h < 2; ++h)
            for (int l = 0; l < 32; ++l) {
                const uint8_t L0 = ql[64 * h + l], L1 = ql[64 * h + 32 + l], H = qh[32 * h + l];
                p->q[128 * h + l] = (uint8_t)((L0 & 0xf) | ((H & 3) << 4));
                p->q[128 * h + 32 + l] = (uint8_t)((L1 & 0xf) | (((H >> 2) & 3) << 4));
                p->q[128 * h + 64 + l] = (uint8_t)((L0 >> 4) | (((H >> 4) & 3) << 4));
                p->q[128 * h + 96 + l] = (uint8_t)((L1 >> 4) | (((H >> 6) & 3) << 4));
            }
        memcpy(p->sc, b + 192, 16);
        memset(p->m, 0, 8);
        p->d = lfm_rd16(b + 208);
        p->dmin = 0;
        return;
    }
    const int five = base == LFM_TYPE_Q5_K;
    p->d = lfm_rd16(b);
    p->dmin = lfm_rd16(b + 2);
    lfm_q4k_scales(b + 4, p->sc, p->m);
    memset(p->sc + 8, 0, 8);
    const uint8_t *qh = b + 16, *qs = b + (five ? 48 : 16);
    for (int g = 0; g < 4; ++g)
        for (int l = 0; l < 32; ++l) {
            p->q[64 * g + l] = (uint8_t)((qs[32 * g + l] & 0xf) | (five ? ((qh[l] >> (2 * g)) & 1) << 4 : 0));
            p->q[64 * g + 32 + l] = (uint8_t)((qs[32 * g + l] >> 4) | (five ? ((qh[l] >> (2 * g + 1)) & 1) << 4 : 0));
        }
}

static void kq_to_block(int64_t base, const kq_plain *p, uint8_t *b) {
    memset(b, 0, (size_t)lfm_block_bytes((int)base));
    if (base == LFM_TYPE_Q6_K) {
        uint8_t *ql = b, *qh = b + 128;
        for (int h = 0; h < 2; ++h)
            for (int l = 0; l < 32; ++l) {
                const uint8_t *q = p->q + 128 * h;
                ql[64 * h + l] = (uint8_t)((q[l] & 0xf) | (q[64 + l] & 0xf) << 4);
                ql[64 * h + 32 + l] = (uint8_t)((q[32 + l] & 0xf) | (q[96 + l] & 0xf) << 4);
                qh[32 * h + l] = (uint8_t)((q[l] >> 4) | (q[32 + l] >> 4) << 2 | (q[64 + l] >> 4) << 4 | (q[96 + l] >> 4) << 6);
            }
        memcpy(b + 192, p->sc, 16);
        memcpy(b + 208, &p->d, 2);
        return;
    }
    const int five = base == LFM_TYPE_Q5_K;
    memcpy(b, &p->d, 2);
    memcpy(b + 2, &p->dmin, 2);
    uint8_t *s12 = b + 4;
    for (int j = 0; j < 4; ++j) {   /* inverse of lfm_q4k_scales */
        s12[j] = (uint8_t)((p->sc[j] & 63) | (p->sc[j + 4] >> 4) << 6);
        s12[j + 4] = (uint8_t)((p->m[j] & 63) | (p->m[j + 4] >> 4) << 6);
        s12[j + 8] = (uint8_t)((p->sc[j + 4] & 0xf) | (p->m[j + 4] & 0xf) << 4);
    }
    uint8_t *qh = b + 16, *qs = b + (five ? 48 : 16);
    for (int g = 0; g < 4; ++g)
        for (int l = 0; l < 32; ++l) {
            const uint8_t lo = p->q[64 * g + l], hi = p->q[64 * g + 32 + l];
            qs[32 * g + l] = (uint8_t)((lo & 0xf) | (hi & 0xf) << 4);
            if (five) qh[l] |= (uint8_t)(((lo >> 4) & 1) << (2 * g) | ((hi >> 4) & 1) << (2 * g + 1));
        }
}

/* Writes row r (0..15) of super-block p into group-block gb (zeroed by the caller). */
static void kq_put(int64_t base, const kq_plain *p, int r, uint8_t *gb) {
    memcpy(gb + 2 * r, &p->d, 2);
    if (base == LFM_TYPE_Q6_K) {
        for (int s = 0; s < 8; ++s) { gb[32 + 32 * s + 2 * r] = p->sc[2 * s]; gb[32 + 32 * s + 2 * r + 1] = p->sc[2 * s + 1]; }
    } else {
        memcpy(gb + 32 + 2 * r, &p->dmin, 2);
        for (int s = 0; s < 8; ++s) gb[64 + 16 * s + r] = p->sc[s];
        for (int q = 0; q < 4; ++q) { gb[192 + 32 * q + 2 * r] = p->m[2 * q]; gb[192 + 32 * q + 2 * r + 1] = p->m[2 * q + 1]; }
    }
    for (int s = 0; s < 8; ++s) {
        uint8_t *sb = gb + kp_hdr(base) + (size_t)s * kp_sub(base);
        const uint8_t *q = p->q + 32 * s;
        for (int c = 0; c < 4; ++c)
            for (int j = 0; j < 4; ++j) {
                const uint8_t lo = q[4 * c + j], hi = q[16 + 4 * c + j];
                sb[64 * c + 4 * r + j] = (uint8_t)((lo & 0xf) | (hi & 0xf) << 4);
                if (base == LFM_TYPE_Q5_K) sb[256 + 4 * r + j] |= (uint8_t)(((lo >> 4) & 1) << (2 * c) | ((hi >> 4) & 1) << (2 * c + 1));
                if (base == LFM_TYPE_Q6_K) sb[256 + 64 * (c / 2) + 4 * r + j] |= (uint8_t)((lo >> 4) << (4 * (c % 2)) | (hi >> 4) << (4 * (c % 2) + 2));
            }
    }
}

/* Reads row r (0..15) of group-block gb back into plain form. */
static void kq_get(int64_t base, const uint8_t *gb, int r, kq_plain *p) {
    memset(p, 0, sizeof *p);
    p->d = lfm_rd16(gb + 2 * r);
    if (base == LFM_TYPE_Q6_K) {
        for (int s = 0; s < 8; ++s) { p->sc[2 * s] = gb[32 + 32 * s + 2 * r]; p->sc[2 * s + 1] = gb[32 + 32 * s + 2 * r + 1]; }
    } else {
        p->dmin = lfm_rd16(gb + 32 + 2 * r);
        for (int s = 0; s < 8; ++s) p->sc[s] = gb[64 + 16 * s + r];
        for (int q = 0; q < 4; ++q) { p->m[2 * q] = gb[192 + 32 * q + 2 * r]; p->m[2 * q + 1] = gb[192 + 32 * q + 2 * r + 1]; }
    }
    for (int s = 0; s < 8; ++s) {
        const uint8_t *sb = gb + kp_hdr(base) + (size_t)s * kp_sub(base);
        uint8_t *q = p->q + 32 * s;
        for (int c = 0; c < 4; ++c)
            for (int j = 0; j < 4; ++j) {
                const uint8_t v = sb[64 * c + 4 * r + j];
                int lo = v & 0xf, hi = v >> 4;
                if (base == LFM_TYPE_Q5_K) {
                    const uint8_t h = sb[256 + 4 * r + j];
                    lo |= ((h >> (2 * c)) & 1) << 4;
                    hi |= ((h >> (2 * c + 1)) & 1) << 4;
                }
                if (base == LFM_TYPE_Q6_K) {
                    const uint8_t h = sb[256 + 64 * (c / 2) + 4 * r + j] >> (4 * (c % 2));
                    lo |= (h & 3) << 4;
                    hi |= ((h >> 2) & 3) << 4;
                }
                q[4 * c + j] = (uint8_t)lo;
                q[16 + 4 * c + j] = (uint8_t)hi;
            }
    }
}

/* Row `row`, super-block b of a packed K-quant matrix back in its ggml block layout. */
static void kq_row_block(int64_t base, int ptype, const void *w, int64_t k, int64_t row, int64_t b, uint8_t *blk) {
    const size_t rb = lfm_row_bytes(ptype, k), gbb = 16 * (size_t)lfm_block_bytes(ptype);
    const uint8_t *gb = (const uint8_t *)w + (size_t)(row / 16) * 16 * rb + (size_t)b * gbb;
    kq_plain p;
    kq_get(base, gb, (int)(row % 16), &p);
    kq_to_block(base, &p, blk);
}

static void pack_k(int64_t base, int ptype, const uint8_t *src, int64_t rows, int64_t k, int64_t g0, int64_t g1, uint8_t *dst) {
    const size_t srb = lfm_row_bytes((int)base, k), rb = lfm_row_bytes(ptype, k);
    const size_t bb = (size_t)lfm_block_bytes((int)base), gbb = 16 * (size_t)lfm_block_bytes(ptype);
    kq_plain p;
    for (int64_t g = g0; g < g1; ++g) {
        uint8_t *out = dst + (size_t)g * 16 * rb;
        for (int64_t b = 0; b < k / 256; ++b, out += gbb) {
            memset(out, 0, gbb);
            for (int r = 0; r < 16 && g * 16 + r < rows; ++r) {   /* padding rows: all zero */
                kq_from_block(base, src + (size_t)(g * 16 + r) * srb + (size_t)b * bb, &p);
                kq_put(base, &p, r, out);
            }
        }
    }
}

int lfm_pack_rows(int ptype, const void *src, int64_t rows, int64_t k, int64_t g0, int64_t g1, void *dst) {
    const int64_t base = pk_base(ptype);
    if (base < 0 || lfm_packed_bytes(ptype, rows, k) == 0) return -1;
    if (base == LFM_TYPE_BF16) {
        pack_bf16((const uint8_t *)src, rows, k, g0, g1, (uint8_t *)dst);
        return 0;
    }
    if (pk_is_k(base)) {
        pack_k(base, ptype, (const uint8_t *)src, rows, k, g0, g1, (uint8_t *)dst);
        return 0;
    }
    const size_t rb = lfm_row_bytes((int)base, k);
    if (rb == 0) return -1;
    const int64_t nb = k / 32;
    const size_t bb = (size_t)lfm_block_bytes((int)base);   /* 34 or 18 */
    const size_t gbb = 16 * bb;                               /* 544 or 288 */
    for (int64_t g = g0; g < g1; ++g) {
        uint8_t *out = (uint8_t *)dst + (size_t)g * 16 * rb;
        for (int64_t b = 0; b < nb; ++b, out += gbb) {
            memset(out, 0, gbb);
            for (int r = 0; r < 16; ++r) {
                const int64_t row = g * 16 + r;
                if (row >= rows) break;   /* padding rows: scale 0, quants 0 */
                const uint8_t *blk = (const uint8_t *)src + (size_t)row * rb + (size_t)b * bb;
                memcpy(out + 2 * r, blk, 2);   /* fp16 scale */
                if (base == LFM_TYPE_Q8_0) {
                    for (int i = 0; i < 32; ++i)
                        out[32 + 64 * (i / 4) + 4 * r + (i % 4)] = (uint8_t)(blk[2 + i] ^ 0x80u);
                } else {
                    for (int i = 0; i < 16; ++i) {
                        /* element i (low nibble of byte i) and i + 16 (high nibble) */
                        const uint8_t lo = blk[2 + i] & 0x0f, hi = blk[2 + i] >> 4;
                        const int c = i / 4, j = i % 4;
                        out[32 + 64 * c + 4 * r + j] = (uint8_t)(lo | (hi << 4));
                    }
                }
            }
        }
    }
    return 0;
}

/* The quantised value of row r (0..15), element i (0..31) of a group-block, and its scale. */
static inline int pk_q(int base, const uint8_t *gb, int r, int i) {
    if (base == LFM_TYPE_Q8_0) return (int)gb[32 + 64 * (i / 4) + 4 * r + (i % 4)] - 128;
    const int ii = i % 16;
    const uint8_t byte = gb[32 + 64 * (ii / 4) + 4 * r + (ii % 4)];
    return (int)(i < 16 ? (byte & 0x0f) : (byte >> 4)) - 8;
}

static inline float pk_bf16(const void *w, int64_t k, int64_t row, int64_t i) {
    const uint8_t *g = (const uint8_t *)w + (size_t)(row / 16) * 32 * (size_t)k;
    return lfm_b2f(lfm_rd16(g + 64 * (size_t)(i / 2) + 4 * (size_t)(row % 16) + 2 * (size_t)(i % 2)));
}

void lfm_dequantize_packed_row(int ptype, const void *w, int64_t k, int64_t row, float *dst) {
    const int64_t base = pk_base(ptype);
    if (base < 0) return;
    if (base == LFM_TYPE_BF16) {
        for (int64_t i = 0; i < k; ++i) dst[i] = pk_bf16(w, k, row, i);
        return;
    }
    if (pk_is_k(base)) {
        uint8_t blk[Q6_K_BYTES];
        for (int64_t b = 0; b < k / 256; ++b) {
            kq_row_block(base, ptype, w, k, row, b, blk);
            lfm_dequantize_row((int)base, blk, dst + 256 * b, 256);
        }
        return;
    }
    const size_t rb = lfm_row_bytes((int)base, k), gbb = 16 * (size_t)lfm_block_bytes((int)base);
    const uint8_t *g = (const uint8_t *)w + (size_t)(row / 16) * 16 * rb;
    const int r = (int)(row % 16);
    for (int64_t b = 0; b < k / 32; ++b) {
        const uint8_t *gb = g + (size_t)b * gbb;
        const float d = lfm_h2f(lfm_rd16(gb + 2 * r));
        for (int i = 0; i < 32; ++i) dst[32 * b + i] = d * (float)pk_q((int)base, gb, r, i);
    }
}

/* Portable product for packed weights against "Q8_0 activations" (same sums as dot_q8_0 /
 * dot_q4_0: integer block dot, times d_w * d_x). */
int lfm_gemm_packed_portable(int ptype, const void *w, int64_t k, int64_t r0, int64_t r1,
                             const void *act, int64_t T, float *y, size_t ldy) {
    const int64_t base = pk_base(ptype);
    if (base == LFM_TYPE_BF16) {   /* f32 activations (the tables without bf16 activations) */
        if (k % 2) return 0;
        const size_t arb = LFM_ALIGN64((size_t)k * 4);
        for (int64_t t = 0; t < T; ++t) {
            const float *x = (const float *)((const char *)act + (size_t)t * arb);
            for (int64_t row = r0; row < r1; ++row) {
                float s = 0.0f;
                for (int64_t i = 0; i < k; ++i) s += pk_bf16(w, k, row, i) * x[i];
                y[(size_t)t * ldy + (size_t)row] = s;
            }
        }
        return 1;
    }
    if (pk_is_k(base)) {   /* super-block by super-block through the ggml layout */
        if (k % 256) return 0;
        const size_t arb = lfm_q8_k_act_bytes(k);
        uint8_t blk[Q6_K_BYTES];
        for (int64_t t = 0; t < T; ++t) {
            const lfm_qact a = lfm_q8_k_act((const char *)act + (size_t)t * arb, k);
            for (int64_t row = r0; row < r1; ++row) {
                float s = 0.0f;
                for (int64_t b = 0; b < k / 256; ++b) {
                    kq_row_block(base, ptype, w, k, row, b, blk);
                    const lfm_qact ab = { a.qs + 256 * b, a.d + b, (const int16_t *)a.extra + 16 * b };
                    s += lfm_dot_k_portable((int)base, blk, ab, 256);
                }
                y[(size_t)t * ldy + (size_t)row] = s;
            }
        }
        return 1;
    }
    if (base < 0 || k % 32) return 0;
    const size_t rb = lfm_row_bytes((int)base, k), gbb = 16 * (size_t)lfm_block_bytes((int)base);
    const size_t arb = lfm_q8_0_act_bytes(k);
    for (int64_t t = 0; t < T; ++t) {
        const lfm_qact a = lfm_q8_0_act((const char *)act + (size_t)t * arb, k);
        for (int64_t row = r0; row < r1; ++row) {
            const uint8_t *g = (const uint8_t *)w + (size_t)(row / 16) * 16 * rb;
            const int r = (int)(row % 16);
            float s = 0.0f;
            for (int64_t b = 0; b < k / 32; ++b) {
                const uint8_t *gb = g + (size_t)b * gbb;
                int sum = 0;
                for (int i = 0; i < 32; ++i) sum += pk_q((int)base, gb, r, i) * a.qs[32 * b + i];
                s += lfm_h2f(lfm_rd16(gb + 2 * r)) * a.d[b] * (float)sum;
            }
            y[(size_t)t * ldy + (size_t)row] = s;
        }
    }
    return 1;
}
