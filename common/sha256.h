/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SHA-256 (FIPS 180-4), small and self-contained: mamorid hashes a few kilobytes per event and
 * must not pay for a general crypto library's initialisation and mapped pages. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE (2 * SHA256_DIGEST_SIZE + 1)

typedef struct Sha256Ctx {
        uint32_t state[8];
        uint64_t length;                /* bytes hashed so far */
        uint8_t buffer[64];
        size_t buffer_len;
} Sha256Ctx;

/* Starts a new digest in ctx. */
void sha256_init(Sha256Ctx *ctx);

/* Adds size bytes at data (may be NULL when size is 0). */
void sha256_update(Sha256Ctx *ctx, const void *data, size_t size);

/* Finishes the digest into ret; ctx must be re-initialised before reuse. */
void sha256_final(Sha256Ctx *ctx, uint8_t ret[static SHA256_DIGEST_SIZE]);

/* One-shot digest of size bytes at data. */
void sha256(const void *data, size_t size, uint8_t ret[static SHA256_DIGEST_SIZE]);

/* The first n bytes at md as 2n lower-case hex digits and a NUL, into ret. */
void hex_encode(const uint8_t *md, size_t n, char *ret);

/* One-shot digest of size bytes at data, as 64 lower-case hex digits. */
void sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]);
