/* SPDX-License-Identifier: GPL-2.0-or-later */
/* os-release (PAT-02): 「開発元のサポートが終了したソフトウエアを利用してはならない」. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-os-release.h"
#include "fileio.h"
#include "i18n.h"
#include "macro.h"

#define OS_RELEASE_MAX (64U * 1024U)

/* The value of one line after '=', unquoted. */
static char *unquote(const char *s, size_t n) {
        char *d = malloc(n + 1), *p = d, q = 0;

        if (!d)
                return NULL;
        if (n > 0 && (s[0] == '"' || s[0] == '\'')) {
                q = s[0];
                s++;
                n--;
        }
        for (size_t i = 0; i < n; i++) {
                if (q && s[i] == q)
                        break;
                if (q == '"' && s[i] == '\\' && i + 1 < n)
                        i++;
                *p++ = s[i];
        }
        *p = 0;
        return d;
}

int os_release_parse(const char *data, size_t size, OsRelease *ret) {
        OsRelease o = {};
        const char *end = data + size;

        assert_return(data || size == 0, -EINVAL);
        for (const char *line = data; line && line < end;) {
                const char *eol = memchr(line, '\n', (size_t) (end - line)) ?: end, *eq;
                char **slot = NULL;

                eq = memchr(line, '=', (size_t) (eol - line));
                if (eq && line[0] != '#') {
                        size_t klen = (size_t) (eq - line);

                        if (klen == 2 && memcmp(line, "ID", 2) == 0)
                                slot = &o.id;
                        else if (klen == 10 && memcmp(line, "VERSION_ID", 10) == 0)
                                slot = &o.version_id;
                        else if (klen == 11 && memcmp(line, "PRETTY_NAME", 11) == 0)
                                slot = &o.pretty_name;
                }
                if (slot) {
                        free(*slot);
                        *slot = unquote(eq + 1, (size_t) (eol - eq - 1));
                        if (!*slot) {
                                os_release_done(&o);
                                return -ENOMEM;
                        }
                }
                line = eol + 1;
        }
        *ret = o;
        return 0;
}

int os_release_probe(const char *path, OsRelease *ret) {
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        int r;

        r = read_full_file(path ?: "/etc/os-release", OS_RELEASE_MAX, &data, &size);
        if (r == -ENOENT && !path)
                r = read_full_file("/usr/lib/os-release", OS_RELEASE_MAX, &data, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                *ret = (OsRelease) { .error = r };
                return 0;
        }
        return os_release_parse(data, size, ret);
}

void os_release_done(OsRelease *o) {
        if (!o)
                return;
        free(o->id);
        free(o->version_id);
        free(o->pretty_name);
        *o = (OsRelease) {};
}

int os_release_verdict(const OsRelease *o, int eol_year, int eol_month, int eol_day, time_t now,
                       PostureResult *r) {
        const char *name;
        char eol[48], today[48];
        struct tm tm;
        int k = 0;

        assert_return(o && r, -EINVAL);
        r->id = POSTURE_CHECK_OS_RELEASE;
        snprintf(eol, sizeof eol, "%04d-%02d-%02d", eol_year, eol_month, eol_day);
        if (!localtime_r(&now, &tm))
                return -EINVAL;
        snprintf(today, sizeof today, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        name = o->pretty_name ?: o->id ?: "Linux";

        if (o->error < 0)
                posture_result_set(r, POSTURE_STATUS_UNKNOWN, _("The operating system release could not be read."));
        else if (strcmp(today, eol) > 0)        /* same width: the text order is the date order */
                posture_result_set(r, POSTURE_STATUS_FAIL, _("%s reached its end of life on %s."), name, eol);
        else
                posture_result_set(r, POSTURE_STATUS_PASS, _("%s is supported until %s."), name, eol);

        k = k ?: posture_evidence_add_string(&r->evidence, "id", o->id);
        k = k ?: posture_evidence_add_string(&r->evidence, "version_id", o->version_id);
        k = k ?: posture_evidence_add_string(&r->evidence, "pretty_name", o->pretty_name);
        k = k ?: posture_evidence_add_string(&r->evidence, "end_of_life", eol);
        k = k ?: posture_evidence_add_string(&r->evidence, "today", today);
        if (o->error < 0)
                k = k ?: posture_evidence_add_string(&r->evidence, "error", strerror(-o->error));
        return k;
}
