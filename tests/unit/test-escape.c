/* SPDX-License-Identifier: GPL-2.0-or-later */
/* common/escape.c: what a device or a file name may not do to a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"

static void check(const char *in, size_t n, const char *want) {
        char *e = str_escape_len(in, n);

        assert_non_null(e);
        assert_string_equal(e, want);
        free(e);
}

/* in is a string literal: its length is its size (NUL bytes inside count). */
#define CHECK(in, want) check(in, sizeof(in) - 1, want)

static void test_controls(void **state) {
        /* an OSC sequence retitling the terminal, then a screen clear */
        CHECK("\x1b]0;pwned\x07\x1b[2J", "\\x1b]0;pwned\\x07\\x1b[2J");
        CHECK("a\nb\tc\rd\\e\x7f", "a\\nb\\tc\\rd\\\\e\\x7f");
        CHECK("x\0y", "x\\x00y");
        /* C1 CSI (U+009B) as UTF-8 acts as ESC [ on some terminals */
        CHECK("\xc2\x9b" "2J", "\\xc2\\x9b2J");
}

static void test_utf8(void **state) {
        CHECK("USBメモリ", "USBメモリ");
        CHECK("\xe3\x83", "\\xe3\\x83");             /* cut in the middle of a character */
        CHECK("\xc0\xaf", "\\xc0\\xaf");             /* overlong '/' */
        CHECK("\xed\xa0\x80", "\\xed\\xa0\\x80");    /* surrogate */
        CHECK("\xf0\x9f\x94\x91", "\xf0\x9f\x94\x91"); /* 🔑 */
}

static void test_null(void **state) {
        char *e = str_escape(NULL);

        assert_string_equal(e, "(null)");
        free(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_controls),
                cmocka_unit_test(test_utf8),
                cmocka_unit_test(test_null),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
