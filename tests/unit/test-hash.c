/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SHA-256 (libgcrypt through common/hash.c): the test vectors of FIPS 180-4 (examples) and
 * digests fed in pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hash.h"

static void hex(const uint8_t md[static SHA256_DIGEST_SIZE], char ret[static SHA256_HEX_SIZE]) {
        for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++)
                sprintf(ret + 2 * i, "%02x", md[i]);
}

/* The digest, by printf's hex and by sha256_hex() */
static void check(const void *data, size_t size, const char *expected) {
        uint8_t md[SHA256_DIGEST_SIZE];
        char h[SHA256_HEX_SIZE];

        sha256(data, size, md);
        hex(md, h);
        assert_string_equal(h, expected);
        memset(h, 'x', sizeof h);
        sha256_hex(data, size, h);
        assert_string_equal(h, expected);
}

static void test_vectors(void **state) {
        (void) state;
        check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        check("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
              112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_hex_encode(void **state) {
        static const uint8_t bytes[] = { 0x00, 0x0f, 0xf0, 0xff, 0xa5, 0x5a };
        char h[2 * sizeof bytes + 1];

        (void) state;
        memset(h, 'x', sizeof h);
        hex_encode(bytes, sizeof bytes, h);
        assert_string_equal(h, "000ff0ffa55a");
        hex_encode(bytes, 0, h);
        assert_string_equal(h, "");
}

static void test_million_a(void **state) {
        char *a = malloc(1000000);

        (void) state;
        assert_non_null(a);
        memset(a, 'a', 1000000);
        check(a, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        free(a);
}

static void test_pieces(void **state) {
        uint8_t data[1000], one[SHA256_DIGEST_SIZE], pieces[SHA256_DIGEST_SIZE];

        (void) state;
        for (size_t i = 0; i < sizeof data; i++)
                data[i] = (uint8_t) (i * 7 + 3);
        /* every length up to 300 (all padding cases), split at every step size up to 70 */
        for (size_t len = 0; len <= 300; len++) {
                sha256(data, len, one);
                for (size_t step = 1; step <= 70; step++) {
                        Sha256 *h = NULL;

                        assert_int_equal(sha256_new(&h), 0);
                        for (size_t off = 0; off < len; off += step)
                                sha256_update(h, data + off, len - off < step ? len - off : step);
                        sha256_final(h, pieces);
                        sha256_free(h);
                        assert_memory_equal(one, pieces, SHA256_DIGEST_SIZE);
                }
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vectors),
                cmocka_unit_test(test_hex_encode),
                cmocka_unit_test(test_million_a),
                cmocka_unit_test(test_pieces),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
