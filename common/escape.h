/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* Printing strings that come from devices, files or users (product strings, serials, file names)
 * so that they can never act on a terminal or forge a line: control characters (C0, DEL, C1),
 * bytes that are not UTF-8 and the backslash are written as \n, \t, \\ or \xNN. Valid UTF-8
 * (Japanese included) is kept as it is. */

/* A newly allocated escaped copy of s (NULL → "(null)"), or NULL when out of memory. */
char *str_escape(const char *s);
/* The same, of length bytes of s (which may hold NUL bytes). */
char *str_escape_len(const char *s, size_t length);
/* Writes s escaped to f. */
void fputs_escaped(const char *s, FILE *f);
