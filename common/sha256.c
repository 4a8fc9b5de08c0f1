/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SHA-256 as specified in FIPS 180-4. */

#include <stdbool.h>
#include <string.h>

#include "sha256.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#  define HAVE_SHA_NI 1
#  include <cpuid.h>
#  include <immintrin.h>
#endif

static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n) {
        return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t s[8], const uint8_t block[64]) {
        uint32_t w[64], a, b, c, d, e, f, g, h;

        for (unsigned i = 0; i < 16; i++)
                w[i] = (uint32_t) block[4 * i] << 24 | (uint32_t) block[4 * i + 1] << 16 |
                       (uint32_t) block[4 * i + 2] << 8 | (uint32_t) block[4 * i + 3];
        for (unsigned i = 16; i < 64; i++) {
                uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
                uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
        for (unsigned i = 0; i < 64; i++) {
                uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
                uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

                h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        s[0] += a, s[1] += b, s[2] += c, s[3] += d, s[4] += e, s[5] += f, s[6] += g, s[7] += h;
}

#ifdef HAVE_SHA_NI
/* The same compression with the x86 SHA extensions, as the processor's manual lays out the
 * state: ABEF and CDGH in two vectors. */
__attribute__((target("sha,sse4.1,ssse3")))
static void compress_ni(uint32_t s[8], const uint8_t *data, size_t n_blocks) {
        const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
        __m128i state0, state1, tmp;

        tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &s[0]), 0xB1);       /* CDAB */
        state1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *) &s[4]), 0x1B);    /* EFGH */
        state0 = _mm_alignr_epi8(tmp, state1, 8);                                      /* ABEF */
        state1 = _mm_blend_epi16(state1, tmp, 0xF0);                                   /* CDGH */

        for (; n_blocks > 0; n_blocks--, data += 64) {
                __m128i abef = state0, cdgh = state1, w[16];

                for (unsigned i = 0; i < 16; i++) {
                        __m128i msg;

                        if (i < 4)
                                w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *) (data + 16 * i)), mask);
                        else
                                w[i] = _mm_sha256msg2_epu32(
                                        _mm_add_epi32(_mm_sha256msg1_epu32(w[i - 4], w[i - 3]),
                                                      _mm_alignr_epi8(w[i - 1], w[i - 2], 4)),
                                        w[i - 1]);
                        msg = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *) &K[4 * i]));
                        state1 = _mm_sha256rnds2_epu32(state1, state0, msg);
                        state0 = _mm_sha256rnds2_epu32(state0, state1, _mm_shuffle_epi32(msg, 0x0E));
                }
                state0 = _mm_add_epi32(state0, abef);
                state1 = _mm_add_epi32(state1, cdgh);
        }

        tmp = _mm_shuffle_epi32(state0, 0x1B);                                         /* FEBA */
        state1 = _mm_shuffle_epi32(state1, 0xB1);                                      /* DCHG */
        _mm_storeu_si128((__m128i *) &s[0], _mm_blend_epi16(tmp, state1, 0xF0));      /* DCBA */
        _mm_storeu_si128((__m128i *) &s[4], _mm_alignr_epi8(state1, tmp, 8));         /* HGFE */
}

static bool have_sha_ni(void) {
        static int cached = -1;
        unsigned a, b, c, d;

        if (cached < 0) {
                bool ok = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSSE3) && (c & bit_SSE4_1) &&
                          __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);

                cached = ok;
        }
        return cached;
}
#endif

static void compress_blocks(uint32_t s[8], const uint8_t *data, size_t n_blocks) {
#ifdef HAVE_SHA_NI
        if (have_sha_ni()) {
                compress_ni(s, data, n_blocks);
                return;
        }
#endif
        for (; n_blocks > 0; n_blocks--, data += 64)
                compress(s, data);
}

/* Starts a new digest in ctx. */
void sha256_init(Sha256Ctx *ctx) {
        static const uint32_t iv[8] = {
                0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        };

        memcpy(ctx->state, iv, sizeof iv);
        ctx->length = 0;
        ctx->buffer_len = 0;
}

/* Adds size bytes at data (may be NULL when size is 0). */
void sha256_update(Sha256Ctx *ctx, const void *data, size_t size) {
        const uint8_t *p = data;

        ctx->length += size;
        if (ctx->buffer_len > 0) {
                size_t n = 64 - ctx->buffer_len;

                if (n > size)
                        n = size;
                memcpy(ctx->buffer + ctx->buffer_len, p, n);
                ctx->buffer_len += n;
                p += n;
                size -= n;
                if (ctx->buffer_len < 64)
                        return;
                compress_blocks(ctx->state, ctx->buffer, 1);
                ctx->buffer_len = 0;
        }
        if (size >= 64) {
                compress_blocks(ctx->state, p, size / 64);
                p += size / 64 * 64;
                size %= 64;
        }
        if (size > 0) {
                memcpy(ctx->buffer, p, size);
                ctx->buffer_len = size;
        }
}

/* Finishes the digest into ret; ctx must be re-initialised before reuse. */
void sha256_final(Sha256Ctx *ctx, uint8_t ret[static SHA256_DIGEST_SIZE]) {
        uint64_t bits = ctx->length * 8;
        uint8_t pad[72] = { 0x80 };
        size_t n = ctx->buffer_len < 56 ? 56 - ctx->buffer_len : 120 - ctx->buffer_len;

        for (unsigned i = 0; i < 8; i++)
                pad[n + i] = (uint8_t) (bits >> (56 - 8 * i));
        sha256_update(ctx, pad, n + 8);
        for (unsigned i = 0; i < 8; i++) {
                ret[4 * i] = (uint8_t) (ctx->state[i] >> 24);
                ret[4 * i + 1] = (uint8_t) (ctx->state[i] >> 16);
                ret[4 * i + 2] = (uint8_t) (ctx->state[i] >> 8);
                ret[4 * i + 3] = (uint8_t) ctx->state[i];
        }
}

/* One-shot digest of size bytes at data. */
void sha256(const void *data, size_t size, uint8_t ret[static SHA256_DIGEST_SIZE]) {
        Sha256Ctx ctx;

        sha256_init(&ctx);
        sha256_update(&ctx, data, size);
        sha256_final(&ctx, ret);
}

void hex_encode(const uint8_t *md, size_t n, char *ret) {
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                ret[2 * i] = digits[md[i] >> 4];
                ret[2 * i + 1] = digits[md[i] & 15];
        }
        ret[2 * n] = 0;
}

void sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]) {
        uint8_t md[SHA256_DIGEST_SIZE];

        sha256(data, size, md);
        hex_encode(md, sizeof md, ret);
}
