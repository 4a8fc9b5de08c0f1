/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-read.h"
#include "macro.h"

#define JSON_DEPTH_MAX 64

typedef struct Parser {
        const char *p;
} Parser;

JsonValue *json_value_free(JsonValue *v) {
        if (!v)
                return NULL;
        for (size_t i = 0; i < v->n; i++) {
                if (v->keys)
                        free(v->keys[i]);
                json_value_free(v->items[i]);
        }
        free(v->keys);
        free(v->items);
        free(v->text);
        free(v);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(JsonValue *, json_value_free);

static void skip_ws(Parser *ps) {
        while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
                ps->p++;
}

static int hex4(const char *s, unsigned *ret) {
        unsigned v = 0;

        for (int i = 0; i < 4; i++) {
                char c = s[i];

                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned) (c - 'A' + 10);
                else
                        return -EBADMSG;
        }
        *ret = v;
        return 0;
}

static void put_utf8(FILE *f, uint32_t cp) {
        if (cp < 0x80)
                fputc((int) cp, f);
        else if (cp < 0x800) {
                fputc((int) (0xc0 | (cp >> 6)), f);
                fputc((int) (0x80 | (cp & 0x3f)), f);
        } else if (cp < 0x10000) {
                fputc((int) (0xe0 | (cp >> 12)), f);
                fputc((int) (0x80 | ((cp >> 6) & 0x3f)), f);
                fputc((int) (0x80 | (cp & 0x3f)), f);
        } else {
                fputc((int) (0xf0 | (cp >> 18)), f);
                fputc((int) (0x80 | ((cp >> 12) & 0x3f)), f);
                fputc((int) (0x80 | ((cp >> 6) & 0x3f)), f);
                fputc((int) (0x80 | (cp & 0x3f)), f);
        }
}

static int parse_escape(Parser *ps, FILE *f) {
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e = strchr(from, *ps->p);
        unsigned cp, lo;

        if (*ps->p && e) {
                fputc(to[e - from], f);
                ps->p++;
                return 0;
        }
        if (*ps->p != 'u' || hex4(ps->p + 1, &cp) < 0)
                return -EBADMSG;
        ps->p += 5;
        if (cp >= 0xd800 && cp <= 0xdbff) {
                if (ps->p[0] != '\\' || ps->p[1] != 'u' || hex4(ps->p + 2, &lo) < 0 ||
                    lo < 0xdc00 || lo > 0xdfff)
                        return -EBADMSG;
                ps->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff)
                return -EBADMSG;
        if (cp == 0)
                return -EBADMSG;        /* would cut the C string */
        put_utf8(f, cp);
        return 0;
}

static int parse_string(Parser *ps, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r = 0;

        if (*ps->p != '"')
                return -EBADMSG;
        ps->p++;
        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        while (r >= 0 && *ps->p != '"') {
                if (*ps->p == 0 || (unsigned char) *ps->p < 0x20)
                        r = -EBADMSG;
                else if (*ps->p == '\\') {
                        ps->p++;
                        r = parse_escape(ps, f);
                } else
                        fputc(*ps->p++, f);
        }
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        ps->p++;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int parse_number(Parser *ps, JsonValue *v) {
        const char *start = ps->p;

        if (*ps->p == '-')
                ps->p++;
        if (*ps->p < '0' || *ps->p > '9')
                return -EBADMSG;
        while (strchr("0123456789+-.eE", *ps->p) && *ps->p)
                ps->p++;
        v->type = JSON_NUMBER;
        v->text = strndup(start, (size_t) (ps->p - start));
        return v->text ? 0 : -ENOMEM;
}

static int parse_value(Parser *ps, unsigned depth, JsonValue **ret);

static int append_item(JsonValue *v, char *key, JsonValue *item) {
        JsonValue **items = realloc(v->items, (v->n + 1) * sizeof(JsonValue *));

        if (!items)
                return -ENOMEM;
        v->items = items;
        if (v->type == JSON_OBJECT) {
                char **keys = realloc(v->keys, (v->n + 1) * sizeof(char *));

                if (!keys)
                        return -ENOMEM;
                v->keys = keys;
                v->keys[v->n] = key;
        }
        v->items[v->n++] = item;
        return 0;
}

static int parse_container(Parser *ps, unsigned depth, JsonValue *v) {
        char close = v->type == JSON_OBJECT ? '}' : ']';
        int r;

        ps->p++;
        skip_ws(ps);
        if (*ps->p == close) {
                ps->p++;
                return 0;
        }
        for (;;) {
                _cleanup_free_ char *key = NULL;
                _cleanup_(json_value_freep) JsonValue *item = NULL;

                skip_ws(ps);
                if (v->type == JSON_OBJECT) {
                        r = parse_string(ps, &key);
                        if (r < 0)
                                return r;
                        skip_ws(ps);
                        if (*ps->p != ':')
                                return -EBADMSG;
                        ps->p++;
                }
                r = parse_value(ps, depth + 1, &item);
                if (r < 0)
                        return r;
                r = append_item(v, key, item);
                if (r < 0)
                        return r;
                TAKE_PTR(key);
                TAKE_PTR(item);
                skip_ws(ps);
                if (*ps->p == close) {
                        ps->p++;
                        return 0;
                }
                if (*ps->p != ',')
                        return -EBADMSG;
                ps->p++;
        }
}

static int parse_value(Parser *ps, unsigned depth, JsonValue **ret) {
        _cleanup_(json_value_freep) JsonValue *v = NULL;
        int r = 0;

        if (depth > JSON_DEPTH_MAX)
                return -EBADMSG;
        v = calloc(1, sizeof(JsonValue));
        if (!v)
                return -ENOMEM;
        skip_ws(ps);
        if (*ps->p == '{' || *ps->p == '[') {
                v->type = *ps->p == '{' ? JSON_OBJECT : JSON_ARRAY;
                r = parse_container(ps, depth, v);
        } else if (*ps->p == '"') {
                v->type = JSON_STRING;
                r = parse_string(ps, &v->text);
        } else if (strncmp(ps->p, "true", 4) == 0 || strncmp(ps->p, "false", 5) == 0) {
                v->type = JSON_BOOL;
                v->boolean = *ps->p == 't';
                ps->p += v->boolean ? 4 : 5;
        } else if (strncmp(ps->p, "null", 4) == 0) {
                v->type = JSON_NULL;
                ps->p += 4;
        } else
                r = parse_number(ps, v);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

int json_parse(const char *s, JsonValue **ret) {
        _cleanup_(json_value_freep) JsonValue *v = NULL;
        Parser ps = { .p = s };
        int r;

        assert(s);
        assert(ret);

        r = parse_value(&ps, 0, &v);
        if (r < 0)
                return r;
        skip_ws(&ps);
        if (*ps.p != 0)
                return -EBADMSG;
        *ret = TAKE_PTR(v);
        return 0;
}

const JsonValue *json_object_get(const JsonValue *v, const char *key) {
        if (!v || v->type != JSON_OBJECT)
                return NULL;
        for (size_t i = 0; i < v->n; i++)
                if (streq(v->keys[i], key))
                        return v->items[i];
        return NULL;
}

bool json_is_scalar(const JsonValue *v) {
        return v && v->type != JSON_ARRAY && v->type != JSON_OBJECT;
}
