/* SPDX-License-Identifier: GPL-2.0-or-later */
/* deb822 control data, read for the updates check (PAT-01). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deb822.h"
#include "macro.h"

#define PGP_SIGNED "-----BEGIN PGP SIGNED MESSAGE-----"
#define PGP_SIGNATURE "-----BEGIN PGP SIGNATURE-----"

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static bool line_is_empty(const char *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!is_blank(l[i]))
                        return false;
        return true;
}

static bool line_starts(const char *l, size_t n, const char *prefix) {
        size_t p = strlen(prefix);
        return n >= p && memcmp(l, prefix, p) == 0;
}

/* Splits "Name: value" into f. Returns false for a line that is not a field. */
static bool field_split(const char *l, size_t n, Deb822Field *f) {
        const char *colon = memchr(l, ':', n);
        const char *v, *e = l + n;

        if (!colon || colon == l)
                return false;
        v = colon + 1;
        while (v < e && is_blank(*v))
                v++;
        while (e > v && is_blank(e[-1]))
                e--;
        *f = (Deb822Field) { .name = l, .name_len = (size_t) (colon - l), .value = v, .value_len = (size_t) (e - v) };
        while (f->name_len > 0 && is_blank(f->name[f->name_len - 1]))
                f->name_len--;
        return f->name_len > 0;
}

int deb822_parse(const char *data, size_t size, Deb822Func func, void *userdata) {
        const char *p = data, *end = data + size;
        bool signed_msg = false, in_stanza = false, in_header = false;
        int r;

        assert_return((data || size == 0) && func, -EINVAL);

        for (bool first = true; p < end; first = false) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = (size_t) ((nl ?: end) - p);
                const char *l = p;
                Deb822Field f;

                p = nl ? nl + 1 : end;
                if (first && line_starts(l, n, PGP_SIGNED)) {
                        signed_msg = in_header = true;
                        continue;
                }
                if (in_header) {                /* "Hash: SHA512" up to the first blank line */
                        in_header = !line_is_empty(l, n);
                        continue;
                }
                if (signed_msg && line_starts(l, n, PGP_SIGNATURE))
                        break;
                if (line_is_empty(l, n)) {
                        if (in_stanza && (r = func(NULL, userdata)) < 0)
                                return r;
                        in_stanza = false;
                        continue;
                }
                if (l[0] == '#' || is_blank(l[0]))      /* comment, continuation line */
                        continue;
                if (signed_msg && line_starts(l, n, "- ")) {    /* dash-escaped (RFC 4880 §7.1) */
                        l += 2;
                        n -= 2;
                }
                if (!field_split(l, n, &f))
                        continue;
                in_stanza = true;
                r = func(&f, userdata);
                if (r < 0)
                        return r;
        }
        if (in_stanza && (r = func(NULL, userdata)) < 0)
                return r;
        return 0;
}

bool deb822_field_is(const Deb822Field *f, const char *name) {
        return f && strlen(name) == f->name_len && strncasecmp(f->name, name, f->name_len) == 0;
}

bool deb822_value_is(const Deb822Field *f, const char *s) {
        return f && strlen(s) == f->value_len && memcmp(f->value, s, f->value_len) == 0;
}

char *deb822_value_dup(const Deb822Field *f) {
        return strndup(f->value, f->value_len);
}
