/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "macro.h"

struct Sha256 {
        gcry_md_hd_t md;
};

/* libgcrypt must be initialised once per process before use; libsystemd does the same when it
 * needs it, and whoever comes first does it for both. */
static void hash_init(void) {
        if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
                return;
        (void) gcry_check_version(NULL);
        (void) gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        (void) gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
}

int sha256_new(Sha256 **ret) {
        Sha256 *h;

        assert_return(ret, -EINVAL);
        hash_init();
        h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        if (gcry_md_open(&h->md, GCRY_MD_SHA256, 0) != 0) {
                free(h);
                return -ENOMEM;
        }
        *ret = h;
        return 0;
}

void sha256_update(Sha256 *h, const void *data, size_t size) {
        assert(h);
        if (size > 0)
                gcry_md_write(h->md, data, size);
}

void sha256_final(Sha256 *h, uint8_t ret[static SHA256_DIGEST_SIZE]) {
        assert(h);
        memcpy(ret, gcry_md_read(h->md, GCRY_MD_SHA256), SHA256_DIGEST_SIZE);
}

Sha256 *sha256_free(Sha256 *h) {
        if (!h)
                return NULL;
        gcry_md_close(h->md);
        free(h);
        return NULL;
}

void sha256(const void *data, size_t size, uint8_t ret[static SHA256_DIGEST_SIZE]) {
        hash_init();
        gcry_md_hash_buffer(GCRY_MD_SHA256, ret, size > 0 ? data : "", size);
}

void hex_encode(const uint8_t *md, size_t n, char *ret) {
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                ret[2 * i] = digits[md[i] >> 4];
                ret[2 * i + 1] = digits[md[i] & 0x0f];
        }
        ret[2 * n] = 0;
}

void sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]) {
        uint8_t md[SHA256_DIGEST_SIZE];

        sha256(data, size, md);
        hex_encode(md, SHA256_DIGEST_SIZE, ret);
}
