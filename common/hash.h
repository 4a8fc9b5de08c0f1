/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* SHA-256 through libgcrypt (already mapped into every process that links libsystemd), for the
 * event log's chain, device descriptor hashes and the policy version digest. */

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE (2 * SHA256_DIGEST_SIZE + 1)

typedef struct Sha256 Sha256;

/* Starts an incremental digest. Returns 0 or -ENOMEM. */
int sha256_new(Sha256 **ret);
/* Adds size bytes at data (may be NULL when size is 0). */
void sha256_update(Sha256 *h, const void *data, size_t size);
/* The digest of everything added so far into ret; h stays usable for sha256_free() only. */
void sha256_final(Sha256 *h, uint8_t ret[static SHA256_DIGEST_SIZE]);
/* Accepts NULL; returns NULL. */
Sha256 *sha256_free(Sha256 *h);

/* One-shot digest of size bytes at data. */
void sha256(const void *data, size_t size, uint8_t ret[static SHA256_DIGEST_SIZE]);

/* One-shot digest of size bytes at data, as 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]);

/* The first n bytes at md as 2n lower-case hex digits and a NUL, into ret. */
void hex_encode(const uint8_t *md, size_t n, char *ret);
