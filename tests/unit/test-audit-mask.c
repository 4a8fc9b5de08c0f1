/* SPDX-License-Identifier: GPL-2.0-or-later */
/* audit_mask_serial(): first and last two characters kept, whole UTF-8 characters only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "audit.h"

static void check(const char *in, const char *want) {
        char *m = audit_mask_serial(in);

        assert_non_null(m);
        assert_string_equal(m, want);
        free(m);
}

static void test_ascii(void **state) {
        check("4C530001234567897054", "4C****************54");
        check("ABCDE", "AB*DE");
        check("ABCD", "****");
        check("", "");
        assert_null(audit_mask_serial(NULL));
}

static void test_utf8(void **state) {
        /* Each Japanese character is three bytes: never cut. */
        check("日本製メモリ", "日本**モリ");
        check("シリアル", "****");
        check("Aé€😀Bc", "Aé**Bc");
        /* a byte that starts no character counts as one */
        check("\xff\xfeXYZ", "\xff\xfe*YZ");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ascii),
                cmocka_unit_test(test_utf8),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
