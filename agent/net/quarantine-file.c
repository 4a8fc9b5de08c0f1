/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The quarantine request file, shared by mamorid and mamorictl (INC-03, NET-12). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "quarantine-file.h"
#include "time-util.h"

static char *state_path(const char *state_dir) {
        char *p;

        if (asprintf(&p, "%s/%s", state_dir, QUARANTINE_STATE_FILE) < 0)
                return NULL;
        return p;
}

static int set_field(char **field, const char *value, size_t len) {
        char *v = strndup(value, len);

        if (!v)
                return -ENOMEM;
        free(*field);
        *field = v;
        return 0;
}

int quarantine_state_read(const char *state_dir, QuarantineState *ret) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        QuarantineState s = {};
        const char *p;
        int r;

        assert_return(state_dir && ret, -EINVAL);

        path = state_path(state_dir);
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, 64 * 1024, &data, NULL);
        if (r < 0)
                return r;

        for (p = data; *p; ) {
                const char *eol = strchrnul(p, '\n');
                size_t len = (size_t) (eol - p);
                char **field = NULL;
                size_t klen = 0;

                if (len > 7 && strncmp(p, "reason=", 7) == 0)
                        field = &s.reason, klen = 7;
                else if (len > 7 && strncmp(p, "source=", 7) == 0)
                        field = &s.source, klen = 7;
                else if (len > 6 && strncmp(p, "since=", 6) == 0)
                        field = &s.since, klen = 6;
                if (field) {
                        r = set_field(field, p + klen, len - klen);
                        if (r < 0) {
                                quarantine_state_done(&s);
                                return r;
                        }
                }
                p = *eol ? eol + 1 : eol;
        }
        if ((!s.reason && set_field(&s.reason, "", 0) < 0) ||
            (!s.source && set_field(&s.source, "", 0) < 0) ||
            (!s.since && set_field(&s.since, "", 0) < 0)) {
                quarantine_state_done(&s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

int quarantine_state_write(const char *state_dir, const char *reason, const char *source) {
        _cleanup_free_ char *path = NULL, *text = NULL, *clean = NULL;
        char since[64];
        time_t now = time(NULL);
        int n;

        assert_return(state_dir && source, -EINVAL);

        path = state_path(state_dir);
        clean = strdup(reason ?: "");
        if (!path || !clean)
                return -ENOMEM;
        for (char *c = clean; *c; c++)
                if (*c == '\n' || *c == '\r')
                        *c = ' ';
        n = asprintf(&text, "reason=%s\nsource=%s\nsince=%s\n", clean, source,
                     format_iso_time(now, since, sizeof since));
        if (n < 0)
                return -ENOMEM;
        return write_file_atomic(path, text, (size_t) n, 0600);
}

int quarantine_state_remove(const char *state_dir) {
        _cleanup_free_ char *path = NULL;

        assert_return(state_dir, -EINVAL);

        path = state_path(state_dir);
        if (!path)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

void quarantine_state_done(QuarantineState *s) {
        if (!s)
                return;
        free(s->reason);
        free(s->source);
        free(s->since);
        *s = (QuarantineState) {};
}
