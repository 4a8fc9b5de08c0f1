/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The one way an enum gets its strings: a table indexed by the enum and two functions.
 *
 *   static const char *const decision_table[_DECISION_MAX] = { [DECISION_ALLOW] = "allow", ... };
 *   DEFINE_STRING_TABLE(decision, Decision);
 *
 * defines `const char *decision_to_string(Decision)` (NULL outside the table) and
 * `Decision decision_from_string(const char *)` (the enum's _INVALID value, -EINVAL, for an unknown
 * or NULL string). Every table has a round-trip test (tests/unit/test-strings.c). */

#include <errno.h>
#include <string.h>

#include "macro.h"

/* Index of s in table[0..n), or -EINVAL. */
static inline int string_table_lookup(const char *const *table, size_t n, const char *s) {
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (table[i] && streq(table[i], s))
                        return (int) i;
        return -EINVAL;
}

#define DEFINE_STRING_TABLE(name, type)                                                 \
        const char *name##_to_string(type i) {                                          \
                if ((int) i < 0 || (size_t) i >= ELEMENTSOF(name##_table))              \
                        return NULL;                                                    \
                return name##_table[i];                                                 \
        }                                                                               \
        type name##_from_string(const char *s) {                                        \
                return (type) string_table_lookup(name##_table, ELEMENTSOF(name##_table), s); \
        }
