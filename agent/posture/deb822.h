/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* deb822 control data (deb822(5)): the dpkg status file, apt's Packages indices and Release
 * files. A small pure parser over bytes: no library reads these from C (libapt-pkg is C++, and
 * libdpkg's parser needs its whole package database), and the updates check needs only a few
 * single-line fields. */

#include <stdbool.h>
#include <stddef.h>

/* One field of a stanza. name and value point into the parsed data (not NUL-terminated); value is
 * the first line only, without the leading and trailing blanks (continuation lines are skipped). */
typedef struct Deb822Field {
        const char *name;
        size_t name_len;
        const char *value;
        size_t value_len;
} Deb822Field;

/* Called for each field, then once with NULL at the end of each stanza that had a field. A
 * negative return stops the parse and is returned by deb822_parse(). */
typedef int (*Deb822Func)(const Deb822Field *f, void *userdata);

/* Parses data (any bytes; NUL is an ordinary byte). Stanzas are separated by blank lines; lines
 * starting with '#' are comments; a line without ':' is ignored. An OpenPGP clear-signed
 * message (InRelease) is read from its first blank line to its signature. Pure.
 * Returns 0 or what func returned. */
int deb822_parse(const char *data, size_t size, Deb822Func func, void *userdata);

/* Whether the field is called name (ASCII case-insensitive, as field names are). */
bool deb822_field_is(const Deb822Field *f, const char *name);
/* Whether the field's value equals s (exactly). */
bool deb822_value_is(const Deb822Field *f, const char *s);
/* A malloc'ed NUL-terminated copy of the value, or NULL (-ENOMEM). */
char *deb822_value_dup(const Deb822Field *f);
