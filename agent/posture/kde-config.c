/* SPDX-License-Identifier: GPL-2.0-or-later */
/* KConfig files, only as far as screen-lock needs them (kde-config.h). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kde-config.h"
#include "macro.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

/* Whether the bracket options "$i" or "$i,$e" (without the brackets) contain $i. */
static bool options_immutable(const char *s, size_t n) {
        for (size_t i = 0; i + 1 < n; i++)
                if (s[i] == '$' && s[i + 1] == 'i' && (i + 2 == n || s[i + 2] == ','))
                        return true;
        return false;
}

/* A group header "[A]", "[A][B]", "[A][$i]": whether it names group, and whether it is immutable. */
static void header_parse(const char *l, size_t n, const char *group, bool *ret_match, bool *ret_immutable) {
        size_t end = n, glen = strlen(group);

        *ret_immutable = false;
        /* a trailing [$i] marks the group */
        if (n >= 4 && l[n - 1] == ']') {
                const char *open = NULL;

                for (size_t i = n - 1; i > 0; i--)
                        if (l[i - 1] == '[') {
                                open = &l[i - 1];
                                break;
                        }
                if (open && open > l && open[-1] == ']' && open[1] == '$' &&
                    options_immutable(open + 1, (size_t) (&l[n - 1] - (open + 1)))) {
                        *ret_immutable = true;
                        end = (size_t) (open - l);
                }
        }
        *ret_match = end >= 2 && l[end - 1] == ']' && end - 2 == glen && memcmp(l + 1, group, glen) == 0;
}

static int entry_parse(const char *l, size_t n, KdeConfigKey *keys, size_t n_keys, bool immutable) {
        const char *eq = memchr(l, '=', n), *p;
        size_t klen;
        bool localised = false;

        if (!eq)
                return 0;
        for (klen = 0; l + klen < eq && l[klen] != '['; klen++)
                ;
        /* options: [$i], [de], [de][$i] */
        for (p = l + klen; p < eq && *p == '[';) {
                const char *close = memchr(p, ']', (size_t) (eq - p));

                if (!close)
                        return 0;       /* malformed: KConfig skips it */
                if (p[1] == '$')
                        immutable = immutable || options_immutable(p + 1, (size_t) (close - p - 1));
                else
                        localised = true;
                p = close + 1;
        }
        while (klen > 0 && is_blank(l[klen - 1]))
                klen--;
        if (localised)
                return 0;
        for (size_t i = 0; i < n_keys; i++) {
                const char *v = eq + 1, *e = l + n;
                char *copy;

                if (strlen(keys[i].name) != klen || memcmp(keys[i].name, l, klen) != 0)
                        continue;
                while (v < e && is_blank(*v))
                        v++;
                while (e > v && is_blank(e[-1]))
                        e--;
                copy = strndup(v, (size_t) (e - v));
                if (!copy)
                        return -ENOMEM;
                free(keys[i].value);
                keys[i].value = copy;
                keys[i].immutable = immutable;
        }
        return 0;
}

int kde_config_read(const char *text, size_t len, const char *group, KdeConfigKey *keys, size_t n_keys) {
        bool file_immutable = false, in_group = false, group_immutable = false, seen_group = false;
        const char *p = text, *end = text + len;

        assert_return(text || len == 0, -EINVAL);
        assert_return(group && (keys || n_keys == 0), -EINVAL);

        for (size_t i = 0; i < n_keys; i++)
                keys[i] = (KdeConfigKey) { .name = keys[i].name };
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *l = p, *le = nl ?: end;
                int r;

                p = nl ? nl + 1 : end;
                while (l < le && is_blank(*l))
                        l++;
                while (le > l && is_blank(le[-1]))
                        le--;
                if (l == le || *l == '#' || memchr(l, 0, (size_t) (le - l)))
                        continue;
                if (*l == '[') {
                        if (le - l == 4 && memcmp(l, "[$i]", 4) == 0) {
                                if (!seen_group)
                                        file_immutable = true;
                                continue;
                        }
                        seen_group = true;
                        header_parse(l, (size_t) (le - l), group, &in_group, &group_immutable);
                        continue;
                }
                if (!in_group)
                        continue;
                r = entry_parse(l, (size_t) (le - l), keys, n_keys, file_immutable || group_immutable);
                if (r < 0) {
                        kde_config_keys_done(keys, n_keys);
                        return r;
                }
        }
        return 0;
}

void kde_config_keys_done(KdeConfigKey *keys, size_t n_keys) {
        for (size_t i = 0; keys && i < n_keys; i++) {
                free(keys[i].value);
                keys[i].value = NULL;
                keys[i].immutable = false;
        }
}

int kde_config_parse_bool(const char *s) {
        static const char *const yes[] = { "true", "on", "yes", "1" }, *const no[] = { "false", "off", "no", "0" };

        for (size_t i = 0; s && i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}
