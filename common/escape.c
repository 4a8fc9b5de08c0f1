/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"

/* The length of the UTF-8 sequence starting at s (at most n bytes), or 0 when it is not a valid,
 * shortest-form sequence of a character that is not a C1 control or a surrogate. */
static size_t utf8_valid_length(const unsigned char *s, size_t n) {
        uint32_t c;
        size_t len;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, c = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, c = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, c = s[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)))
                return 0;
        if (c >= 0xd800 && c <= 0xdfff)
                return 0;
        if (c >= 0x80 && c <= 0x9f) /* C1 controls (CSI is U+009B) */
                return 0;
        return len;
}

static size_t escape_into(const unsigned char *s, size_t n, char *out) {
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;

        for (size_t i = 0; i < n;) {
                size_t len = utf8_valid_length(s + i, n - i);
                unsigned char c = s[i];

                if (len > 1) {
                        if (out)
                                memcpy(out + o, s + i, len);
                        o += len;
                        i += len;
                        continue;
                }
                i++;
                if (len == 1 && c >= 0x20 && c != 0x7f && c != '\\') {
                        if (out)
                                out[o] = (char) c;
                        o++;
                        continue;
                }
                if (c == '\\' || c == '\n' || c == '\t' || c == '\r') {
                        if (out) {
                                out[o] = '\\';
                                out[o + 1] = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : '\\';
                        }
                        o += 2;
                        continue;
                }
                if (out) {
                        out[o] = '\\';
                        out[o + 1] = 'x';
                        out[o + 2] = hex[c >> 4];
                        out[o + 3] = hex[c & 15];
                }
                o += 4;
        }
        return o;
}

char *str_escape_len(const char *s, size_t length) {
        size_t n;
        char *r;

        if (!s)
                return strdup("(null)");
        n = escape_into((const unsigned char *) s, length, NULL);
        r = malloc(n + 1);
        if (!r)
                return NULL;
        escape_into((const unsigned char *) s, length, r);
        r[n] = 0;
        return r;
}

char *str_escape(const char *s) {
        return str_escape_len(s, s ? strlen(s) : 0);
}

void fputs_escaped(const char *s, FILE *f) {
        char *e = str_escape(s);

        fputs(e ?: "?", f);
        free(e);
}
