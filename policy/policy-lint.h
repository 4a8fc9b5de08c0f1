/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The policy check shared by `mamorictl policy lint DIR` and `mamorid --check-policy DIR`. */

#include <stdio.h>

/* Loads and validates the policy directory dir. On success prints one summary line
 * ("N rules, M registered media, version V") to out and returns 0. On failure prints the
 * error as "file:line:col: message" to err and returns a negative errno (-ENOENT: no such
 * directory, -EBADMSG: parse or validation error, -ENODATA: no rule at all). */
int policy_lint_dir(const char *dir, FILE *out, FILE *err);
