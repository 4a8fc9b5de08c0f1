/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamori-scan: the scheduled full scan (AV-03 「定期的に…フルスキャン」), started by
 * mamori-scan.timer as a oneshot service staff cannot stop (RefuseManualStop=yes).
 *
 * It asks clamd to scan each root of the policy's `scan-paths` (zCONTSCAN over clamd's socket:
 * clamd walks the tree and answers once per finding, then "ROOT: OK" when it found nothing),
 * all of it bounded by `scan-timeout`, and records the scan in STATE_DIR/scan/last.json
 * (scan-state.h): "running" before it asks, "completed" or "failed" at the end, each written
 * atomically (temporary file, fsync, rename). A scan killed half-way stays "running" and the
 * antivirus check reports it as interrupted.
 *
 * Exit status: 0 scanned and clean, 1 malware found, 2 the scan failed, 3 usage or setup error. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clamd-client.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "policy-posture.h"
#include "policy.h"
#include "scan-state.h"

#define EXIT_SCAN_INFECTED 1
#define EXIT_SCAN_FAILED 2
#define EXIT_SCAN_SETUP 3

DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

static const char *arg_policy_dir = POLICY_DIR;
static const char *arg_state_dir = STATE_DIR;

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_POLICY_DIR = 0x100, ARG_STATE_DIR };
        static const struct option options[] = {
                { "help",       no_argument,       NULL, 'h'            },
                { "policy-dir", required_argument, NULL, ARG_POLICY_DIR },
                { "state-dir",  required_argument, NULL, ARG_STATE_DIR  },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: %s [--policy-dir DIR] [--state-dir DIR]\n\n"
                               "Run the policy's full virus scan through clamd and record it in\n"
                               "STATE_DIR/%s (default %s, %s).\n", program_invocation_short_name,
                               SCAN_STATE_FILE, POLICY_DIR, STATE_DIR);
                        return 0;
                case ARG_POLICY_DIR:
                        arg_policy_dir = optarg;
                        break;
                case ARG_STATE_DIR:
                        arg_state_dir = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind != argc) {
                log_error("Unexpected argument '%s'.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

typedef struct Scan {
        ScanRecord rec;
        bool root_ok;                   /* clamd said "PATH: OK" */
} Scan;

/* One reply of CONTSCAN: "PATH: SIGNATURE FOUND", "PATH: MESSAGE ERROR" or "PATH: OK". The path
 * may itself hold ": ", so the separator is the last one. */
static int on_reply(const char *reply, size_t size, void *userdata) {
        Scan *s = userdata;
        _cleanup_free_ char *copy = strndup(reply, size);
        char *sep, *what;
        size_t n;

        if (!copy)
                return -ENOMEM;
        sep = NULL;
        for (char *p = strstr(copy, ": "); p; p = strstr(p + 1, ": "))
                sep = p;
        if (!sep) {
                log_warning("Unexpected reply from clamd '%s', ignoring.", copy);
                return 0;
        }
        *sep = 0;
        what = sep + 2;
        n = strlen(what);
        if (n > 6 && streq(what + n - 6, " FOUND")) {
                what[n - 6] = 0;
                log_warning("Malware found: '%s' (%s).", copy, what);
                return scan_record_add_detection(&s->rec, copy, what);
        }
        if (n >= 6 && streq(what + n - 6, " ERROR")) {
                what[n - 6] = 0;
                log_warning("clamd could not scan '%s': %s, ignoring.", copy, what);
                s->rec.errors++;
                if (!s->rec.error && asprintf(&s->rec.error, "%s: %s", copy, what) < 0) {
                        s->rec.error = NULL;
                        return -ENOMEM;
                }
                return 0;
        }
        if (streq(what, "OK"))
                s->root_ok = true;
        return 0;
}

static int record_write(const ScanRecord *rec, const ScanRecord *previous) {
        _cleanup_free_ char *json = NULL, *path = NULL;
        int r;

        r = scan_state_format(rec, previous, &json);
        if (r < 0)
                return log_oom();
        if (asprintf(&path, "%s/%s", arg_state_dir, SCAN_STATE_FILE) < 0)
                return log_oom();
        r = write_file_atomic(path, json, strlen(json), 0640);
        if (r < 0)
                return log_error_errno(r, "Failed to write '%s': %m", path);
        return 0;
}

/* The last completed scan before this one, from the record on disk. */
static void previous_load(ScanState *st, const ScanRecord **ret) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t n = 0;
        int r;

        *ret = NULL;
        if (asprintf(&path, "%s/%s", arg_state_dir, SCAN_STATE_FILE) < 0)
                return;
        r = read_full_file(path, SCAN_STATE_MAX, &data, &n);
        if (r >= 0)
                r = scan_state_parse(data, n, st);
        if (r < 0) {
                if (r != -ENOENT)
                        log_warning_errno(r, "Failed to read the last scan's record '%s', ignoring: %m", path);
                return;
        }
        if (st->last.status == SCAN_STATUS_COMPLETED)
                *ret = &st->last;
        else if (st->has_previous)
                *ret = &st->previous;
}

static int run(int argc, char *argv[]) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *dir = NULL, *boot = NULL;
        static const PosturePolicy defaults = {};
        const PosturePolicy *pp;
        const ScanRecord *previous;
        static char *const default_roots[] = { (char *) "/home", NULL };
        char *const *roots;
        PolicyError e = {};
        ScanState old = {};
        Scan s = {};
        uint64_t deadline;
        int r, k;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_SCAN_SETUP : 0;

        r = policy_load_dir(arg_policy_dir, &p, &e);
        if (r < 0) {
                if (isempty(e.message))
                        log_error_errno(r, "Failed to load the policy from '%s': %m", arg_policy_dir);
                else
                        policy_error_print(&e, stderr);
                return EXIT_SCAN_SETUP;
        }
        pp = policy_get_posture(p) ?: &defaults;
        roots = pp->scan_paths ?: default_roots;

        if (asprintf(&dir, "%s/scan", arg_state_dir) < 0)
                return log_oom(), EXIT_SCAN_SETUP;
        r = mkdir_p(dir, 0750);
        if (r < 0)
                return log_error_errno(r, "Failed to create '%s': %m", dir), EXIT_SCAN_SETUP;

        previous_load(&old, &previous);
        s.rec = (ScanRecord) {
                .status = SCAN_STATUS_RUNNING,
                .start = (int64_t) time(NULL),
                .pid = (int64_t) getpid(),
                .roots = (char **) roots,
        };
        if (read_one_line_file("/proc/sys/kernel/random/boot_id", &boot) >= 0)
                snprintf(s.rec.boot_id, sizeof s.rec.boot_id, "%s", boot);
        r = record_write(&s.rec, previous);
        if (r < 0) {
                scan_state_done(&old);
                return EXIT_SCAN_SETUP;
        }
        log_info("Full scan through '%s' started.", pp->socket ?: POSTURE_DEFAULT_CLAMD_SOCKET);

        deadline = clamd_now_usec() + (pp->scan_timeout_usec ?: POSTURE_DEFAULT_SCAN_TIMEOUT_USEC);
        r = 0;
        for (char *const *root = roots; r >= 0 && *root; root++) {
                _cleanup_free_ char *cmd = NULL;

                if (asprintf(&cmd, "zCONTSCAN %s", *root) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = clamd_command_stream(pp->socket ?: POSTURE_DEFAULT_CLAMD_SOCKET, cmd, deadline, on_reply, &s);
        }
        s.rec.end = (int64_t) time(NULL);
        if (r < 0) {
                s.rec.status = SCAN_STATUS_FAILED;
                free(s.rec.error);
                s.rec.error = strdup(r == -ETIMEDOUT ? "time limit (scan-timeout) reached" : strerror(-r));
                log_error_errno(r, "Full scan failed: %m");
        } else {
                s.rec.status = SCAN_STATUS_COMPLETED;
                log_info("Full scan completed: %llu infected file(s), %llu error(s).",
                         (unsigned long long) s.rec.infected, (unsigned long long) s.rec.errors);
        }
        k = record_write(&s.rec, s.rec.status == SCAN_STATUS_COMPLETED ? NULL : previous);
        scan_state_done(&old);
        s.rec.roots = NULL;     /* not ours */
        k = k < 0 || r < 0 ? EXIT_SCAN_FAILED : s.rec.infected > 0 ? EXIT_SCAN_INFECTED : 0;
        scan_record_done(&s.rec);
        return k;
}

int main(int argc, char *argv[]) {
        setlocale(LC_ALL, "");
        return run(argc, argv);
}
