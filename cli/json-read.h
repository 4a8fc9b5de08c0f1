/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A small JSON reader (RFC 8259) for the agent's state file: enough to show it generically. */

#include <stdbool.h>
#include <stddef.h>

typedef enum JsonType {
        JSON_NULL,
        JSON_BOOL,
        JSON_NUMBER,
        JSON_STRING,
        JSON_ARRAY,
        JSON_OBJECT,
} JsonType;

typedef struct JsonValue JsonValue;
struct JsonValue {
        JsonType type;
        bool boolean;
        char *text;             /* JSON_STRING: the decoded string; JSON_NUMBER: its literal */
        size_t n;               /* JSON_ARRAY/JSON_OBJECT: number of items */
        char **keys;            /* JSON_OBJECT: n keys */
        JsonValue **items;      /* JSON_ARRAY/JSON_OBJECT: n values */
};

/* Parses the NUL-terminated text s. Returns 0, -EBADMSG on a syntax error (or nesting deeper
 * than 64), -ENOMEM. */
int json_parse(const char *s, JsonValue **ret);
JsonValue *json_value_free(JsonValue *v);

/* The member key of object v, or NULL (also when v is not an object). */
const JsonValue *json_object_get(const JsonValue *v, const char *key);
/* Whether v is null, a bool, a number or a string. */
bool json_is_scalar(const JsonValue *v);
