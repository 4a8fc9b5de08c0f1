/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* clamd.conf(5): one "Key value" per line, '#' starts a comment line, keys may repeat
 * (OnAccessIncludePath), a bare "Example" line disables the file. A small pure parser (ClamAV
 * ships no library for its configuration; libclamav's optparser is internal to clamd) with a
 * fuzz target (tests/fuzz/fuzz-clamd-conf.c): the file is not ours. */

#include <stdbool.h>
#include <stddef.h>

typedef struct ClamdConfEntry {
        char *key;
        char *value;                    /* "" for a key alone on its line */
        unsigned line;
} ClamdConfEntry;

typedef struct ClamdConf {
        ClamdConfEntry *entries;
        size_t n_entries;
} ClamdConf;

/* Parses size bytes at data. Keys are compared case-insensitively, as clamd does. Returns 0 or
 * -ENOMEM; -EBADMSG for a NUL byte in the text. */
int clamd_conf_parse(const char *data, size_t size, ClamdConf *ret);
void clamd_conf_done(ClamdConf *c);

/* The value of the last occurrence of key, NULL when absent. */
const char *clamd_conf_get(const ClamdConf *c, const char *key);
/* The next occurrence of key after *i (start with *i = 0); NULL at the end. */
const char *clamd_conf_next(const ClamdConf *c, const char *key, size_t *i);
/* Whether the last occurrence of key says yes (yes, true, 1; no, false, 0 and absence say no). */
bool clamd_conf_get_bool(const ClamdConf *c, const char *key);
