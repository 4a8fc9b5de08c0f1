/* SPDX-License-Identifier: GPL-2.0-or-later */
/* antivirus (AV-01 「不正プログラム対策ソフトウエアを常駐」, AV-02 「パターンファイルは、常に最新の状態」,
 * AV-03 定期的なフルスキャン, AV-04 持ち込まれる媒体のスキャン, CFG-02 設定を変更させない).
 *
 * The clamd protocol: a command prefixed with 'z' and terminated by NUL ("zPING\0"), a reply
 * terminated by NUL ("PONG\0"); clamd closes the connection after each command. The socket is
 * non-blocking and every wait is bounded by one deadline, so a stuck clamd costs at most the
 * time limit. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check-antivirus.h"
#include "clamd-client.h"
#include "i18n.h"
#include "macro.h"

#define CLAMD_REPLY_MAX 1024

static void copy_printable(char *dst, size_t size, const char *src, size_t n) {
        size_t i;

        for (i = 0; i + 1 < size && i < n; i++)
                dst[i] = (unsigned char) src[i] < ' ' || (unsigned char) src[i] == 0x7f ? '?' : src[i];
        dst[i] = 0;
}

void antivirus_probe(const char *socket_path, uint64_t timeout_usec, AntivirusState *ret) {
        uint64_t start = clamd_now_usec(), deadline = start + timeout_usec;
        char buf[CLAMD_REPLY_MAX];
        size_t n = 0;
        int r;

        *ret = (AntivirusState) {};
        snprintf(ret->socket, sizeof ret->socket, "%s", socket_path ?: POSTURE_DEFAULT_CLAMD_SOCKET);

        r = clamd_command(ret->socket, "zPING", deadline, buf, sizeof buf, &n);
        ret->ping_error = MIN(r, 0);
        ret->pong = r >= 0 && streq(buf, "PONG");
        if (ret->pong) {
                r = clamd_command(ret->socket, "zVERSION", deadline, buf, sizeof buf, &n);
                if (r >= 0) {
                        copy_printable(ret->version_reply, sizeof ret->version_reply, buf, n);
                        r = clamd_version_parse(buf, n, &ret->version);
                }
                ret->version_error = MIN(r, 0);
                if (r >= 0 && ret->version.has_date) {
                        struct tm tm = {
                                .tm_year = ret->version.year - 1900, .tm_mon = ret->version.month - 1,
                                .tm_mday = ret->version.day, .tm_hour = ret->version.hour,
                                .tm_min = ret->version.minute, .tm_sec = ret->version.second,
                                .tm_isdst = -1,
                        };

                        /* clamd writes the date in its local time, which is ours */
                        ret->database_time = mktime(&tm);
                }
        } else if (r >= 0)
                copy_printable(ret->version_reply, sizeof ret->version_reply, buf, n);
        ret->elapsed_usec = clamd_now_usec() - start;
}

static int antivirus_evidence(const AntivirusState *s, uint64_t max_age_usec, time_t now, PostureEvidence *e) {
        char t[64];
        int r = 0;

        r = r ?: posture_evidence_add_string(e, "socket", s->socket);
        r = r ?: posture_evidence_add_bool(e, "reachable", s->ping_error == 0);
        if (s->ping_error < 0)
                r = r ?: posture_evidence_add_string(e, "error", strerror(-s->ping_error));
        r = r ?: posture_evidence_add_bool(e, "pong", s->pong);
        if (s->pong) {
                r = r ?: posture_evidence_add_string(e, "version_reply", s->version_reply);
                if (s->version_error == 0) {
                        r = r ?: posture_evidence_add_string(e, "engine", s->version.engine);
                        if (s->version.has_database)
                                r = r ?: posture_evidence_add_int(e, "database_version", s->version.database);
                        else
                                r = r ?: posture_evidence_add_null(e, "database_version");
                } else
                        r = r ?: posture_evidence_add_string(e, "version_error", strerror(-s->version_error));
                if (s->version_error == 0 && s->version.has_date) {
                        snprintf(t, sizeof t, "%04d-%02d-%02dT%02d:%02d:%02d", s->version.year, s->version.month,
                                 s->version.day, s->version.hour, s->version.minute, s->version.second);
                        r = r ?: posture_evidence_add_string(e, "database_date", t);
                        r = r ?: posture_evidence_add_int(e, "database_age_s",
                                                           (int64_t) difftime(now, s->database_time));
                } else
                        r = r ?: posture_evidence_add_null(e, "database_date");
        }
        r = r ?: posture_evidence_add_int(e, "max_definition_age_s", (int64_t) (max_age_usec / USEC_PER_SEC));
        r = r ?: posture_evidence_add_int(e, "elapsed_ms", (int64_t) (s->elapsed_usec / USEC_PER_MSEC));
        return r;
}

/* ---- AV-03: the last full scan ---- */

/* The scan whose result counts: the last one when it completed, else the last completed one
 * kept in its record (a scan in progress or cut short); NULL when there is none. */
static const ScanRecord *scan_result(const AntivirusState *s) {
        if (s->scan_error < 0)
                return NULL;
        if (s->scan.last.status == SCAN_STATUS_COMPLETED)
                return &s->scan.last;
        return s->scan.has_previous ? &s->scan.previous : NULL;
}

static int add_time(PostureEvidence *e, const char *key, int64_t t) {
        struct tm tm;
        time_t tt = (time_t) t;
        char buf[64];

        if (t <= 0 || !gmtime_r(&tt, &tm))
                return posture_evidence_add_null(e, key);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return posture_evidence_add_string(e, key, buf);
}

static int scan_evidence(const AntivirusState *s, const PosturePolicy *pp, time_t now, PostureEvidence *e) {
        const ScanRecord *res = scan_result(s), *last = &s->scan.last;
        PostureEvidence *d;
        int r = 0;

        r = r ?: posture_evidence_add_bool(e, "checked", pp->full_scan_interval_usec > 0);
        if (pp->full_scan_interval_usec == 0)
                return r;
        r = r ?: posture_evidence_add_string(e, "state_file", s->scan_file);
        r = r ?: posture_evidence_add_int(e, "interval_s", (int64_t) (pp->full_scan_interval_usec / USEC_PER_SEC));
        r = r ?: posture_evidence_add_bool(e, "ever_ran", s->scan_error != -ENOENT);
        if (s->scan_error < 0) {
                if (s->scan_error != -ENOENT)
                        r = r ?: posture_evidence_add_string(e, "error", s->scan_error == -EBADMSG ?
                                                             "not a scan record" : strerror(-s->scan_error));
                return r;
        }
        r = r ?: posture_evidence_add_string(e, "status", scan_status_to_string(last->status));
        r = r ?: posture_evidence_add_bool(e, "in_progress", last->status == SCAN_STATUS_RUNNING && s->scan_alive);
        r = r ?: posture_evidence_add_bool(e, "interrupted", last->status == SCAN_STATUS_RUNNING && !s->scan_alive);
        r = r ?: add_time(e, "start", last->start);
        r = r ?: add_time(e, "end", last->end);
        if (last->status == SCAN_STATUS_FAILED)
                r = r ?: posture_evidence_add_string(e, "error", last->error);
        r = r ?: add_time(e, "last_completed_end", res ? res->end : 0);
        if (res) {
                r = r ?: posture_evidence_add_int(e, "age_s", (int64_t) difftime(now, (time_t) res->end));
                r = r ?: posture_evidence_add_int(e, "infected", (int64_t) res->infected);
                r = r ?: posture_evidence_add_int(e, "errors", (int64_t) res->errors);
                if (res->errors > 0)
                        r = r ?: posture_evidence_add_string(e, "first_error", res->error);
                /* path → signature: what the agent's quarantine (INC-03) acts on */
                r = r ?: posture_evidence_add_object(e, "detections", &d);
                for (size_t i = 0; r >= 0 && i < res->n_detections; i++)
                        r = posture_evidence_add_string(d, res->detections[i].path, res->detections[i].signature);
        }
        return r;
}

/* ---- AV-04: on-access scanning ---- */

/* Whether path is dir or below it (both absolute; dir may end in '/'). */
static bool path_under(const char *path, const char *dir) {
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        if (n == 1 && dir[0] == '/')
                return true;
        return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static bool on_access_covers(const ClamdConf *c, const char *path) {
        const char *v;
        bool in = false;
        size_t i = 0;

        while (!in && (v = clamd_conf_next(c, "OnAccessIncludePath", &i)))
                in = path_under(path, v);
        for (i = 0; in && (v = clamd_conf_next(c, "OnAccessExcludePath", &i));)
                in = !path_under(path, v);
        return in;
}

static int on_access_evidence(const AntivirusState *s, const PosturePolicy *pp, PostureEvidence *e) {
        PostureEvidence *c;
        int r = 0;

        r = r ?: posture_evidence_add_bool(e, "checked", pp->on_access_paths != NULL);
        if (!pp->on_access_paths)
                return r;
        r = r ?: posture_evidence_add_string(e, "clamd_conf", s->conf_file);
        if (s->conf_error < 0)
                r = r ?: posture_evidence_add_string(e, "error", strerror(-s->conf_error));
        else {
                r = r ?: posture_evidence_add_object(e, "covered", &c);
                for (char **p = pp->on_access_paths; r >= 0 && *p; p++)
                        r = posture_evidence_add_bool(c, *p, on_access_covers(&s->conf, *p));
                r = r ?: posture_evidence_add_bool(e, "prevention", clamd_conf_get_bool(&s->conf,
                                                                                    "OnAccessPrevention"));
        }
        r = r ?: posture_evidence_add_bool(e, "prevention_required", pp->on_access_prevention);
        r = r ?: posture_evidence_add_bool(e, "clamonacc_running", s->clamonacc_pid > 0);
        if (s->clamonacc_pid > 0)
                r = r ?: posture_evidence_add_int(e, "clamonacc_pid", s->clamonacc_pid);
        return r;
}

/* ---- CFG-02: clamd.conf's hash ---- */

static int config_evidence(const AntivirusState *s, const PosturePolicy *pp, PostureEvidence *e) {
        int r = 0;

        r = r ?: posture_evidence_add_bool(e, "checked", pp->config_sha256 != NULL);
        if (!pp->config_sha256)
                return r;
        r = r ?: posture_evidence_add_string(e, "clamd_conf", s->conf_file);
        if (s->conf_error < 0 && s->conf_error != -EBADMSG)
                r = r ?: posture_evidence_add_string(e, "error", strerror(-s->conf_error));
        r = r ?: posture_evidence_add_string(e, "expected_sha256", pp->config_sha256);
        r = r ?: posture_evidence_add_string(e, "sha256", isempty(s->conf_sha256) ? NULL : s->conf_sha256);
        r = r ?: posture_evidence_add_bool(e, "matches", streq(s->conf_sha256, pp->config_sha256));
        return r;
}

/* ---- the verdict ---- */

/* AV-01, AV-02; NULL when they pass. */
static const char *clamd_failure(const AntivirusState *s, uint64_t max_age_usec, time_t now, PostureResult *r) {
        char limit[32];

        posture_duration_format(max_age_usec, limit, sizeof limit);
        if (s->ping_error == -ETIMEDOUT)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The antivirus service (clamd) did not answer within the time limit."));
        else if (s->ping_error < 0)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("The antivirus service (clamd) is not running."));
        else if (!s->pong)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The antivirus service (clamd) gave an unexpected answer."));
        else if (s->version_error < 0)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The date of the virus definitions could not be read from clamd."));
        else if (!s->version.has_date)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("clamd has no dated virus definitions (no daily database)."));
        else if (difftime(now, s->database_time) > (double) (max_age_usec / USEC_PER_SEC))
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The virus definitions are %.1f days old (at most %s allowed)."),
                                   difftime(now, s->database_time) / 86400.0, limit);
        else
                return NULL;
        return s->ping_error < 0 || !s->pong ? "AV-01" : "AV-02";
}

static const char *scan_failure(const AntivirusState *s, const PosturePolicy *pp, time_t now, PostureResult *r) {
        const ScanRecord *res = scan_result(s), *last = &s->scan.last;
        char limit[32];

        posture_duration_format(pp->full_scan_interval_usec, limit, sizeof limit);
        if (s->scan_error == -ENOENT)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("No full virus scan has run on this terminal."));
        else if (s->scan_error < 0)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("The record of the last full virus scan could not be read."));
        else if (last->status == SCAN_STATUS_RUNNING && !s->scan_alive)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The last full virus scan was interrupted before it finished."));
        else if (last->status == SCAN_STATUS_FAILED)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("The last full virus scan did not finish."));
        else if (!res)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("No full virus scan has completed on this terminal."));
        else if (difftime(now, (time_t) res->end) > (double) (pp->full_scan_interval_usec / USEC_PER_SEC))
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The last full virus scan is %.1f days old (at most %s allowed)."),
                                   difftime(now, (time_t) res->end) / 86400.0, limit);
        else
                return NULL;
        return "AV-03";
}

static const char *on_access_failure(const AntivirusState *s, const PosturePolicy *pp, PostureResult *r) {
        if (s->conf_error < 0) {
                posture_result_set(r, POSTURE_STATUS_FAIL, _("clamd's configuration could not be read."));
                return "AV-04";
        }
        for (char **p = pp->on_access_paths; *p; p++)
                if (!on_access_covers(&s->conf, *p)) {
                        posture_result_set(r, POSTURE_STATUS_FAIL,
                                           _("On-access virus scanning does not cover '%s'."), *p);
                        return "AV-04";
                }
        if (pp->on_access_prevention && !clamd_conf_get_bool(&s->conf, "OnAccessPrevention"))
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("On-access virus scanning does not block infected files (OnAccessPrevention)."));
        else if (s->clamonacc_pid <= 0)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("The on-access virus scanner (clamonacc) is not running."));
        else
                return NULL;
        return "AV-04";
}

int antivirus_verdict_policy(const AntivirusState *s, const PosturePolicy *pp, time_t now, PostureResult *r) {
        const ScanRecord *res;
        const char *failed = NULL;
        PostureEvidence *part;
        int k;

        assert_return(s && pp && r, -EINVAL);
        r->id = POSTURE_CHECK_ANTIVIRUS;

        res = pp->full_scan_interval_usec > 0 ? scan_result(s) : NULL;
        if (res && res->infected > 0) {
                failed = "AV-03";
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The last full virus scan found malware in %llu files."),
                                   (unsigned long long) res->infected);
        }
        failed = failed ?: clamd_failure(s, pp->max_definition_age_usec, now, r);
        if (!failed && pp->full_scan_interval_usec > 0)
                failed = scan_failure(s, pp, now, r);
        if (!failed && pp->on_access_paths)
                failed = on_access_failure(s, pp, r);
        if (!failed && pp->config_sha256 && !streq(s->conf_sha256, pp->config_sha256)) {
                failed = "CFG-02";
                if (isempty(s->conf_sha256))
                        posture_result_set(r, POSTURE_STATUS_FAIL, _("clamd's configuration could not be read."));
                else
                        posture_result_set(r, POSTURE_STATUS_FAIL,
                                           _("clamd's configuration is not the one the policy names (its hash differs)."));
        }
        if (!failed)
                posture_result_set(r, POSTURE_STATUS_PASS,
                                   _("The antivirus service (clamd) is running with up-to-date definitions."));

        k = antivirus_evidence(s, pp->max_definition_age_usec, now, &r->evidence);
        k = k ?: posture_evidence_add_bool(&r->evidence, "detected", res && res->infected > 0);
        k = k ?: posture_evidence_add_object(&r->evidence, "full_scan", &part);
        k = k ?: scan_evidence(s, pp, now, part);
        k = k ?: posture_evidence_add_object(&r->evidence, "on_access", &part);
        k = k ?: on_access_evidence(s, pp, part);
        k = k ?: posture_evidence_add_object(&r->evidence, "config", &part);
        k = k ?: config_evidence(s, pp, part);
        k = k ?: posture_evidence_add_string(&r->evidence, "failed_requirement", failed);
        return k;
}

int antivirus_verdict(const AntivirusState *s, uint64_t max_age_usec, time_t now, PostureResult *r) {
        PosturePolicy pp = { .max_definition_age_usec = max_age_usec };

        return antivirus_verdict_policy(s, &pp, now, r);
}
