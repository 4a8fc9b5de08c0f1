/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A tiny JSON writer on a memory stream. Enough for state.json, decisions and event records. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Writes s as a JSON string literal (with quotes); NULL is written as null. Invalid UTF-8 bytes
 * are replaced by U+FFFD so the output is always valid JSON. */
void json_write_string(FILE *f, const char *s);

typedef struct JsonWriter {
        FILE *f;
        char *buf;
        size_t size;
        unsigned depth;
        bool need_comma[32];
        bool pretty;
} JsonWriter;

int json_writer_init(JsonWriter *w, bool pretty);
/* Finishes and returns the NUL-terminated text (owned by the caller). */
int json_writer_finish(JsonWriter *w, char **ret);
void json_writer_done(JsonWriter *w);

void json_begin_object(JsonWriter *w, const char *key);    /* key NULL inside arrays / at top */
void json_end_object(JsonWriter *w);
void json_begin_array(JsonWriter *w, const char *key);
void json_end_array(JsonWriter *w);
void json_string(JsonWriter *w, const char *key, const char *value);
void json_int(JsonWriter *w, const char *key, int64_t value);
void json_uint(JsonWriter *w, const char *key, uint64_t value);
void json_bool(JsonWriter *w, const char *key, bool value);
void json_null(JsonWriter *w, const char *key);
