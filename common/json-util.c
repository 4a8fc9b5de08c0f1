/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>

#include "json-util.h"
#include "macro.h"

/* Length of a valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_valid_len(const unsigned char *s) {
        unsigned char c = s[0];
        size_t n;
        uint32_t cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf) {
                n = 2;
                cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
                n = 3;
                cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                n = 4;
                cp = c & 0x07;
        } else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

void json_write_string(FILE *f, const char *s) {
        const unsigned char *p = (const unsigned char *) s;

        if (!s) {
                fputs("null", f);
                return;
        }
        fputc('"', f);
        while (*p) {
                size_t n;

                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        p++;
                        continue;
                case '\\':
                        fputs("\\\\", f);
                        p++;
                        continue;
                case '\n':
                        fputs("\\n", f);
                        p++;
                        continue;
                case '\t':
                        fputs("\\t", f);
                        p++;
                        continue;
                case '\r':
                        fputs("\\r", f);
                        p++;
                        continue;
                }
                if (*p < 0x20 || *p == 0x7f) {
                        fprintf(f, "\\u%04x", *p);
                        p++;
                        continue;
                }
                n = utf8_valid_len(p);
                if (n == 0) {
                        fputs("\xef\xbf\xbd", f);
                        p++;
                        continue;
                }
                fwrite(p, 1, n, f);
                p += n;
        }
        fputc('"', f);
}

int json_writer_init(JsonWriter *w, bool pretty) {
        *w = (JsonWriter) { .pretty = pretty };
        w->f = open_memstream(&w->buf, &w->size);
        if (!w->f)
                return -ENOMEM;
        return 0;
}

int json_writer_finish(JsonWriter *w, char **ret) {
        if (w->pretty)
                fputc('\n', w->f);
        if (fclose(w->f) != 0) {
                w->f = NULL;
                return -ENOMEM;
        }
        w->f = NULL;
        *ret = TAKE_PTR(w->buf);
        return 0;
}

void json_writer_done(JsonWriter *w) {
        if (w->f)
                fclose(w->f);
        w->f = NULL;
        free(w->buf);
        w->buf = NULL;
}

static void json_indent(JsonWriter *w) {
        if (!w->pretty)
                return;
        fputc('\n', w->f);
        for (unsigned i = 0; i < w->depth; i++)
                fputs("  ", w->f);
}

static void json_key(JsonWriter *w, const char *key) {
        if (w->depth < ELEMENTSOF(w->need_comma)) {
                if (w->need_comma[w->depth])
                        fputc(',', w->f);
                w->need_comma[w->depth] = true;
        }
        if (w->depth > 0)
                json_indent(w);
        if (key) {
                json_write_string(w->f, key);
                fputs(w->pretty ? ": " : ":", w->f);
        }
}

static void json_open(JsonWriter *w, const char *key, char c) {
        json_key(w, key);
        fputc(c, w->f);
        w->depth++;
        if (w->depth < ELEMENTSOF(w->need_comma))
                w->need_comma[w->depth] = false;
}

static void json_close(JsonWriter *w, char c) {
        bool had = w->depth < ELEMENTSOF(w->need_comma) && w->need_comma[w->depth];

        assert(w->depth > 0);
        w->depth--;
        if (had)
                json_indent(w);
        fputc(c, w->f);
}

void json_begin_object(JsonWriter *w, const char *key) {
        json_open(w, key, '{');
}

void json_end_object(JsonWriter *w) {
        json_close(w, '}');
}

void json_begin_array(JsonWriter *w, const char *key) {
        json_open(w, key, '[');
}

void json_end_array(JsonWriter *w) {
        json_close(w, ']');
}

void json_string(JsonWriter *w, const char *key, const char *value) {
        json_key(w, key);
        json_write_string(w->f, value);
}

void json_int(JsonWriter *w, const char *key, int64_t value) {
        json_key(w, key);
        fprintf(w->f, "%" PRId64, value);
}

void json_uint(JsonWriter *w, const char *key, uint64_t value) {
        json_key(w, key);
        fprintf(w->f, "%" PRIu64, value);
}

void json_bool(JsonWriter *w, const char *key, bool value) {
        json_key(w, key);
        fputs(value ? "true" : "false", w->f);
}

void json_null(JsonWriter *w, const char *key) {
        json_key(w, key);
        fputs("null", w->f);
}
