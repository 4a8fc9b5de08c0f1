/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The antivirus check's local probes (check-antivirus.h): the last full scan's record,
 * clamd.conf and clamonacc in /proc. */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-antivirus.h"
#include "config.h"
#include "fileio.h"
#include "hash.h"
#include "macro.h"

#define CLAMD_CONF_MAX (1u << 20)

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

/* The name of a process's program: the basename of /proc/PID/exe, or its comm when exe cannot be
 * read (another user's process without privilege). */
static int process_name(const char *proc, const char *pid, char *buf, size_t size) {
        char path[PATH_MAX], target[PATH_MAX];
        _cleanup_free_ char *comm = NULL;
        const char *base;
        ssize_t n;

        if (snprintf(path, sizeof path, "%s/%s/exe", proc, pid) >= (int) sizeof path)
                return -ENAMETOOLONG;
        n = readlink(path, target, sizeof target - 1);
        if (n > 0) {
                target[n] = 0;
                /* a program replaced on disk shows as "/usr/bin/x (deleted)" */
                if (n > 10 && streq(target + n - 10, " (deleted)"))
                        target[n - 10] = 0;
                base = strrchr(target, '/');
                base = base ? base + 1 : target;
                if (strlen(base) >= size)
                        return -ENAMETOOLONG;
                strcpy(buf, base);
                return 0;
        }
        if (snprintf(path, sizeof path, "%s/%s/comm", proc, pid) >= (int) sizeof path)
                return -ENAMETOOLONG;
        if (read_one_line_file(path, &comm) < 0)
                return -ENOENT;
        snprintf(buf, size, "%s", comm);
        return 0;
}

static int64_t find_process(const char *proc, const char *name) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        d = opendir(proc);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                char buf[256];

                if (de->d_name[strspn(de->d_name, "0123456789")] != 0 || de->d_name[0] == 0)
                        continue;
                if (process_name(proc, de->d_name, buf, sizeof buf) >= 0 && streq(buf, name))
                        return strtoll(de->d_name, NULL, 10);
        }
        return 0;
}

static bool scan_alive(const char *proc, const ScanRecord *rec) {
        _cleanup_free_ char *boot = NULL;
        char path[PATH_MAX], pid[32], name[256];

        if (rec->pid <= 0)
                return false;
        if (snprintf(path, sizeof path, "%s/sys/kernel/random/boot_id", proc) >= (int) sizeof path)
                return false;
        if (read_one_line_file(path, &boot) >= 0 && !isempty(rec->boot_id) && !streq(boot, rec->boot_id))
                return false;   /* recorded before this boot */
        snprintf(pid, sizeof pid, "%lld", (long long) rec->pid);
        return process_name(proc, pid, name, sizeof name) >= 0 && streq(name, "mamori-scan");
}

void antivirus_probe_local(const PosturePolicy *pp, const char *root, const char *state_dir, AntivirusState *s) {
        _cleanup_free_ char *data = NULL;
        char proc[PATH_MAX];
        size_t n = 0;
        int r;

        snprintf(proc, sizeof proc, "%s/proc", root ?: "");
        if (pp->full_scan_interval_usec > 0) {
                snprintf(s->scan_file, sizeof s->scan_file, "%s/%s", state_dir ?: STATE_DIR, SCAN_STATE_FILE);
                r = read_full_file(s->scan_file, SCAN_STATE_MAX, &data, &n);
                if (r >= 0)
                        r = scan_state_parse(data, n, &s->scan);
                s->scan_error = MIN(r, 0);
                if (r >= 0 && s->scan.last.status == SCAN_STATUS_RUNNING)
                        s->scan_alive = scan_alive(proc, &s->scan.last);
                free(TAKE_PTR(data));
        }
        if (pp->on_access_paths || pp->config_sha256) {
                snprintf(s->conf_file, sizeof s->conf_file, "%s", pp->clamd_conf ?: POSTURE_DEFAULT_CLAMD_CONF);
                r = read_full_file(s->conf_file, CLAMD_CONF_MAX, &data, &n);
                if (r >= 0) {
                        sha256_hex(data, n, s->conf_sha256);
                        r = clamd_conf_parse(data, n, &s->conf);
                }
                s->conf_error = MIN(r, 0);
        }
        if (pp->on_access_paths)
                s->clamonacc_pid = find_process(proc, "clamonacc");
}

void antivirus_state_done(AntivirusState *s) {
        if (!s)
                return;
        scan_state_done(&s->scan);
        clamd_conf_done(&s->conf);
}
