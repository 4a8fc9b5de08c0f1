/* SPDX-License-Identifier: GPL-2.0-or-later */
/* software (SW-01 「無断でソフトウエアを導入してはならない」, SW-02 「すべてのソフトウェアを把握」).
 * The installed packages come from the same dpkg status reader as the updates check. */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check-software.h"
#include "fileio.h"
#include "i18n.h"
#include "macro.h"

#define RULE_MAX (1024U * 1024U)
#define STATUS_MAX (256U * 1024U * 1024U)
#define NAMES_MAX 4096

static void strv_free(char **l) {
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The entries of dir (not starting with '.'), ending in suffix (removed), sorted. *ret stays
 * NULL when dir cannot be opened. */
static int dir_names(const char *dir, const char *suffix, char ***ret) {
        DIR *d = opendir(dir);
        char **l;
        size_t n = 0, sl = strlen(suffix);

        *ret = NULL;
        if (!d)
                return 0;
        l = calloc(1, sizeof(char *));
        if (!l) {
                closedir(d);
                return -ENOMEM;
        }
        for (struct dirent *de; (de = readdir(d)) && n < NAMES_MAX;) {
                size_t len = strlen(de->d_name);
                char **m;

                if (de->d_name[0] == '.' || len <= sl || !streq(de->d_name + len - sl, suffix))
                        continue;
                m = reallocarray(l, n + 2, sizeof(char *));
                if (!m || !(m[n] = strndup(de->d_name, len - sl))) {
                        strv_free(m ?: l);
                        closedir(d);
                        return -ENOMEM;
                }
                l = m;
                l[++n] = NULL;
        }
        closedir(d);
        qsort(l, n, sizeof(char *), name_cmp);
        *ret = l;
        return 0;
}

int software_probe(const char *root, const char *rule_path, SoftwareState *ret) {
        _cleanup_free_ char *rule = NULL, *data = NULL, *status = NULL, *flatpak = NULL, *snapd = NULL;
        SoftwareState s = {};
        size_t size = 0;
        int r;

        assert_return(rule_path && ret, -EINVAL);
        root = root ?: "";
        if (!(s.rule_path = strdup(rule_path)) || asprintf(&rule, "%s%s", root, rule_path) < 0 ||
            asprintf(&status, "%s/var/lib/dpkg/status", root) < 0 ||
            asprintf(&flatpak, "%s/var/lib/flatpak/app", root) < 0 ||
            asprintf(&snapd, "%s/var/lib/snapd/snaps", root) < 0) {
                free(s.rule_path);
                return -ENOMEM;
        }
        r = read_full_file(rule, RULE_MAX, &data, &size);
        if (r >= 0)
                sha256_hex(data, size, s.rule_sha256);
        s.rule_error = r < 0 ? r : 0;
        free(data);
        data = NULL;
        r = r == -ENOMEM ? r : read_full_file(status, STATUS_MAX, &data, &size);
        if (r != -ENOMEM) {
                s.dpkg.status_error = r < 0 ? r : 0;
                r = r >= 0 ? updates_status_parse(&s.dpkg, data, size) : 0;
        }
        if (r >= 0)
                r = dir_names(flatpak, "", &s.flatpaks);
        if (r >= 0)
                r = dir_names(snapd, ".snap", &s.snaps);
        if (r < 0) {
                software_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

void software_state_done(SoftwareState *s) {
        if (!s)
                return;
        free(s->rule_path);
        updates_state_done(&s->dpkg);
        strv_free(s->flatpaks);
        strv_free(s->snaps);
        *s = (SoftwareState) {};
}

static size_t strv_length(char *const *l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

/* The denied packages that are installed, comma-separated, into buf; returns how many. */
static size_t denied_installed(const SoftwareState *s, char *const *denied, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = 0;
        for (size_t i = 0; i < s->dpkg.n_packages; i++)
                for (char *const *d = denied; d && *d; d++)
                        if (streq(s->dpkg.packages[i].name, *d)) {
                                size_t l = strlen(buf);
                                snprintf(buf + l, size - l, "%s%s", n++ ? "," : "", *d);
                        }
        return n;
}

static int inventory_evidence(const SoftwareState *s, PostureEvidence *e) {
        PostureEvidence *o;
        int r;

        r = posture_evidence_add_int(e, "packages_count", (int64_t) s->dpkg.n_packages);
        r = r ?: posture_evidence_add_object(e, "packages", &o);
        for (size_t i = 0; r >= 0 && i < s->dpkg.n_packages; i++) {
                _cleanup_free_ char *key = NULL;

                if (asprintf(&key, "%s:%s", s->dpkg.packages[i].name, s->dpkg.packages[i].arch) < 0)
                        return -ENOMEM;
                r = posture_evidence_add_string(o, key, s->dpkg.packages[i].installed);
        }
        r = r ?: posture_evidence_add_int(e, "flatpaks_count", (int64_t) strv_length(s->flatpaks));
        if (!s->flatpaks)
                r = r ?: posture_evidence_add_null(e, "flatpaks");
        else
                r = r ?: posture_evidence_add_object(e, "flatpaks", &o);
        for (char **f = s->flatpaks; r >= 0 && f && *f; f++)
                r = posture_evidence_add_bool(o, *f, true);
        r = r ?: posture_evidence_add_int(e, "snaps_count", (int64_t) strv_length(s->snaps));
        if (!s->snaps)
                return r ?: posture_evidence_add_null(e, "snaps");
        r = r ?: posture_evidence_add_object(e, "snaps", &o);
        for (char **f = s->snaps; r >= 0 && f && *f; f++) {
                _cleanup_free_ char *name = strdup(*f);
                char *u = name ? strrchr(name, '_') : NULL;

                if (!name)
                        return -ENOMEM;
                if (u)
                        *u = 0;
                r = posture_evidence_add_string(o, name, u ? u + 1 : NULL);
        }
        return r;
}

int software_verdict(const SoftwareState *s, const char *expected_sha256, char *const *denied, PostureResult *r) {
        char found[1024];
        bool matches;
        size_t n_denied;
        int k = 0;

        assert_return(s && expected_sha256 && r, -EINVAL);
        r->id = POSTURE_CHECK_SOFTWARE;
        matches = s->rule_error == 0 && strcasecmp(s->rule_sha256, expected_sha256) == 0;
        n_denied = denied_installed(s, denied, found, sizeof found);

        if (s->rule_error < 0)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The rule that keeps staff from installing software is not installed (%s)."),
                                   s->rule_path);
        else if (!matches)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The rule that keeps staff from installing software (%s) is not the one "
                                     "shipped."), s->rule_path);
        else if (n_denied > 0)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("Denied software is installed: %s."), found);
        else if (s->dpkg.status_error < 0)
                posture_result_set(r, POSTURE_STATUS_UNKNOWN, _("The installed packages could not be read."));
        else
                posture_result_set(r, POSTURE_STATUS_PASS,
                                   _("Staff cannot install software; %zu packages, %zu flatpaks and %zu snaps are "
                                     "installed."), s->dpkg.n_packages, strv_length(s->flatpaks),
                                   strv_length(s->snaps));

        k = k ?: posture_evidence_add_string(&r->evidence, "rule_path", s->rule_path);
        if (s->rule_error < 0) {
                k = k ?: posture_evidence_add_string(&r->evidence, "rule_error", strerror(-s->rule_error));
                k = k ?: posture_evidence_add_null(&r->evidence, "rule_sha256");
        } else
                k = k ?: posture_evidence_add_string(&r->evidence, "rule_sha256", s->rule_sha256);
        k = k ?: posture_evidence_add_string(&r->evidence, "expected_sha256", expected_sha256);
        k = k ?: posture_evidence_add_bool(&r->evidence, "rule_matches", matches);
        k = k ?: posture_evidence_add_string(&r->evidence, "denied_installed", n_denied ? found : NULL);
        if (s->dpkg.status_error < 0)
                k = k ?: posture_evidence_add_string(&r->evidence, "error", strerror(-s->dpkg.status_error));
        return k ?: inventory_evidence(s, &r->evidence);
}
