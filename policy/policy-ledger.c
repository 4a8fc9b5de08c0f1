/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The media ledger in JSON Lines (SYNTAX.md, "Media ledger"): a header line, then one medium
 * object per line. json-c reads each line (one reused tokener); the object becomes a PolicyNode
 * mapping and goes to the same medium validation as a YAML `media:` item, so both formats mean
 * the same and report the same errors.
 *
 * json-c gives no positions inside an object, so the column of each key and value is found in
 * the line's text after json-c has parsed it: a key is the quoted text `"KEY"` after `{` or `,`
 * and before `:`. That is also how a duplicate key (json-c keeps the last one) is found, so a key
 * must be written as it is (`"asset"`, not `"\u0061sset"` nor `'asset'`), or it is refused. */

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <json-c/json.h>

#include "json-c-util.h"
#include "policy-internal.h"

#define LEDGER_FORMAT "mamori-media/1"

typedef struct Line {
        const char *file;
        unsigned number;
        const char *text;
        size_t length;
        size_t last_off;        /* the last offset asked for, and its column (positions are asked */
        unsigned last_column;   /* for in nearly increasing order: counting goes on from there) */
} Line;

/* 1-based column (in characters) of byte offset off of the line. */
static unsigned line_column(Line *l, size_t off) {
        size_t i = 0;
        unsigned c = 1;

        off = MIN(off, l->length);
        if (l->last_column > 0 && l->last_off <= off) {
                i = l->last_off;
                c = l->last_column;
        }
        for (; i < off; i++)
                if (((unsigned char) l->text[i] & 0xc0) != 0x80)
                        c++;
        l->last_off = off;
        l->last_column = c;
        return c;
}

static bool is_json_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Finds `"key"` as a key of the object at the top level of the line from byte from on: preceded
 * (across white space) by `{` or `,` and followed by `:`. Returns the offset of its opening
 * quote, or SIZE_MAX; *ret_value is the offset of the value after the colon. */
static size_t find_key(Line *l, size_t from, const char *key, size_t *ret_value) {
        size_t k = strlen(key);

        while (from + k + 2 <= l->length) {
                const char *q = memmem(l->text + from, l->length - from, key, k);
                size_t at, i;

                if (!q)
                        return SIZE_MAX;
                at = (size_t) (q - l->text);
                from = at + 1;
                if (at == 0 || l->text[at - 1] != '"' || at + k >= l->length || l->text[at + k] != '"')
                        continue;
                i = at - 1;
                while (i > 0 && is_json_space(l->text[i - 1]))
                        i--;
                if (i == 0 || (l->text[i - 1] != '{' && l->text[i - 1] != ','))
                        continue;
                i = at + k + 1;
                while (i < l->length && is_json_space(l->text[i]))
                        i++;
                if (i >= l->length || l->text[i] != ':')
                        continue;
                i++;
                while (i < l->length && is_json_space(l->text[i]))
                        i++;
                *ret_value = i;
                return at - 1;
        }
        return SIZE_MAX;
}

static int add_value(PolicyTreeBuilder *b, Line *l, size_t off, json_object *v, PolicyError *reterr);

/* A JSON array: a sequence; its items are placed at the array (json-c gives no positions). */
static int add_array(PolicyTreeBuilder *b, Line *l, size_t off, json_object *v, PolicyError *reterr) {
        size_t n = json_object_array_length(v);
        int r;

        r = policy_builder_open(b, POLICY_NODE_SEQUENCE, l->number, line_column(l, off), reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = add_value(b, l, off, json_object_array_get_idx(v, i), reterr);
                if (r < 0)
                        return r;
        }
        return policy_builder_close(b, reterr);
}

/* A JSON object at byte off: a mapping, its keys and values placed in the line's text. */
static int add_object(PolicyTreeBuilder *b, Line *l, size_t off, json_object *o, PolicyError *reterr) {
        unsigned column = line_column(l, off);
        size_t cursor = off;
        int r;

        r = policy_builder_open(b, POLICY_NODE_MAPPING, l->number, column, reterr);
        if (r < 0)
                return r;
        json_object_object_foreach(o, key, value) {
                size_t k, v, dup_v;
                unsigned kcol;

                k = find_key(l, cursor, key, &v);
                if (k == SIZE_MAX)
                        return policy_error_set(reterr, -EBADMSG, l->file, l->number, column,
                                                "key '%s' must be written as a plain JSON string \"%s\"", key, key);
                kcol = line_column(l, k);
                cursor = v;
                /* json-c kept only the last of repeated keys: look for another one */
                if (find_key(l, v, key, &dup_v) != SIZE_MAX)
                        return policy_error_set(reterr, -EBADMSG, l->file, l->number,
                                                line_column(l, find_key(l, v, key, &dup_v)),
                                                "duplicate key '%s' (first at %s:%u:%u)", key, l->file, l->number,
                                                kcol);
                r = policy_builder_scalar(b, l->number, kcol, key, strlen(key), false, reterr);
                if (r < 0)
                        return r;
                r = add_value(b, l, v, value, reterr);
                if (r < 0)
                        return r;
        }
        return policy_builder_close(b, reterr);
}

/* JSON values as the YAML reader would give them: strings are quoted scalars; numbers, true,
 * false and null are plain scalars of their JSON text (so `"vendor": 781` is "quote hex values"
 * and null is a missing value, as in YAML). */
static int add_value(PolicyTreeBuilder *b, Line *l, size_t off, json_object *v, PolicyError *reterr) {
        unsigned column = line_column(l, off);
        const char *s;

        switch (json_object_get_type(v)) {
        case json_type_object:
                return add_object(b, l, off, v, reterr);
        case json_type_array:
                return add_array(b, l, off, v, reterr);
        case json_type_string:
                return policy_builder_scalar(b, l->number, column, json_object_get_string(v),
                                             (size_t) json_object_get_string_len(v), false, reterr);
        case json_type_null:
                return policy_builder_scalar(b, l->number, column, "null", 4, true, reterr);
        default:
                s = json_object_get_string(v);
                return policy_builder_scalar(b, l->number, column, s, strlen(s), true, reterr);
        }
}

/* Parses one line with json-c: exactly one JSON value, nothing after it but white space. */
static int parse_line(json_tokener *tok, Line *l, json_object **ret, size_t *ret_start, PolicyError *reterr) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        enum json_tokener_error err;
        size_t end, start = 0;

        while (start < l->length && is_json_space(l->text[start]))
                start++;
        if (start == l->length)
                return policy_error_set(reterr, -EBADMSG, l->file, l->number, 1,
                                        "empty line in a media ledger");
        json_tokener_reset(tok);
        o = json_tokener_parse_ex(tok, l->text, (int) l->length);
        err = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (err == json_tokener_continue)
                return policy_error_set(reterr, -EBADMSG, l->file, l->number, line_column(l, l->length),
                                        "JSON syntax error: the line ends inside a value");
        if (err != json_tokener_success || !o)
                return policy_error_set(reterr, -EBADMSG, l->file, l->number, line_column(l, MIN(end, l->length - 1)),
                                        "JSON syntax error: %s", json_tokener_error_desc(err));
        while (end < l->length && is_json_space(l->text[end]))
                end++;
        if (end < l->length)
                return policy_error_set(reterr, -EBADMSG, l->file, l->number, line_column(l, end),
                                        "trailing characters after the JSON value");
        if (!json_object_is_type(o, json_type_object))
                return policy_error_set(reterr, -EBADMSG, l->file, l->number, line_column(l, start),
                                        "a media ledger line must be a JSON object");
        *ret = TAKE_PTR(o);
        *ret_start = start;
        return 0;
}

static int check_header(json_object *o, Line *l, size_t start, PolicyError *reterr) {
        json_object *f = NULL;
        const char *s;

        if (!json_object_object_get_ex(o, "format", &f) || !json_object_is_type(f, json_type_string))
                return policy_error_set(reterr, -EBADMSG, l->file, l->number, line_column(l, start),
                                        "the first line of a media ledger must be {\"format\":\"" LEDGER_FORMAT "\"}");
        s = json_object_get_string(f);
        if (!streq(s, LEDGER_FORMAT))
                return policy_error_set(reterr, -EBADMSG, l->file, l->number, line_column(l, start),
                                        "unsupported media ledger format '%s': expected '" LEDGER_FORMAT "'", s);
        json_object_object_foreach(o, key, value) {
                (void) value;
                if (!streq(key, "format"))
                        return policy_error_set(reterr, -EBADMSG, l->file, l->number, line_column(l, start),
                                                "unknown key '%s' in the ledger header", key);
        }
        return 0;
}

int policy_ledger_parse(Policy *p, const char *file, const char *data, size_t size, PolicyError *reterr) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(policy_builder_freep) PolicyTreeBuilder *b = NULL;
        const char *c = data ?: "", *end = c + size;
        unsigned number = 0;
        int r;

        assert(p);
        assert(file);

        r = policy_text_check(file, data, size, reterr);
        if (r < 0)
                return r;
        if (size == 0)
                return policy_error_set(reterr, -EBADMSG, file, 1, 1,
                                        "the first line of a media ledger must be {\"format\":\"" LEDGER_FORMAT "\"}");
        /* depth: the medium object and a list in it; deeper is refused by the validation anyway */
        tok = json_tokener_new_ex(POLICY_MAX_DEPTH);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        r = policy_builder_new(file, &b);
        if (r < 0)
                return r;

        while (c < end) {
                _cleanup_(json_object_putp) json_object *o = NULL;
                const char *nl = memchr(c, '\n', (size_t) (end - c));
                Line l = {
                        .file = file,
                        .number = ++number,
                        .text = c,
                        .length = (size_t) ((nl ?: end) - c),
                };
                size_t start = 0;

                c = nl ? nl + 1 : end;
                if (l.length > INT_MAX)
                        return policy_error_set(reterr, -EBADMSG, file, l.number, 1, "line too long");
                r = parse_line(tok, &l, &o, &start, reterr);
                if (r < 0)
                        return r;
                if (number == 1) {
                        r = check_header(o, &l, start, reterr);
                        if (r < 0)
                                return r;
                        continue;
                }
                policy_builder_reset(b);
                r = add_object(b, &l, start, o, reterr);
                if (r < 0)
                        return r;
                r = policy_medium_parse(p, policy_builder_root(b), reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}
