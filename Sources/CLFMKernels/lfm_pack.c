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
 */
#include "lfm_internal.h"

static int64_t pk_base(int ptype) {
    switch (ptype) {
    case LFM_TYPE_Q8_0_R16: return LFM_TYPE_Q8_0;
    case LFM_TYPE_Q4_0_R16: return LFM_TYPE_Q4_0;
    case LFM_TYPE_BF16_R16: return LFM_TYPE_BF16;
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
    const size_t rb = lfm_row_bytes((int)base, k);
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

int lfm_pack_rows(int ptype, const void *src, int64_t rows, int64_t k, int64_t g0, int64_t g1, void *dst) {
    const int64_t base = pk_base(ptype);
    if (base < 0 || lfm_packed_bytes(ptype, rows, k) == 0) return -1;
    if (base == LFM_TYPE_BF16) {
        pack_bf16((const uint8_t *)src, rows, k, g0, g1, (uint8_t *)dst);
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
