/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy in force, the last good copy and the directory watch (see policy-store.h). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "policy-store.h"

#define RELOAD_DELAY_USEC (100ULL * 1000ULL)
/* The largest policy file (policy/policy-load.c reads at most this much of one file). */
#define SNAPSHOT_FILE_MAX (64U * 1024U * 1024U)

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

struct PolicyStore {
        sd_event *event;
        Audit *audit;
        char *dir;                      /* the policy directory */
        char *parent;                   /* its parent, watched for the directory's return */
        char *name;                     /* its name in the parent */
        char *last_good;                /* STATE_DIR/last-good */
        PolicyStoreChanged changed;
        void *userdata;

        Policy *policy;                 /* in force; NULL: none, everything blocked */
        PolicyStatus status;
        char *error;                    /* "file:line:col: message" of the last refused load */
        time_t loaded;
        bool from_last_good;            /* the policy in force is the copy in last_good */
        char kept_digest[13];           /* digest of the copy in last_good once known, or "" */
        bool started;                   /* a load was tried (the last good copy is for the first) */
        uint64_t generation;

        sd_event_source *dir_watch;
        sd_event_source *parent_watch;
        sd_event_source *reload_timer;
};

static char *policy_error_format(const PolicyError *e, int r) {
        char *s = NULL;

        if (e->file[0] && e->line > 0)
                r = asprintf(&s, "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
        else if (e->file[0])
                r = asprintf(&s, "%s: %s", e->file, e->message[0] ? e->message : strerror(-r));
        else
                r = asprintf(&s, "%s", e->message[0] ? e->message : strerror(-r));
        return r < 0 ? NULL : s;
}

/* --- the last good copy --- */

static int rm_rf_flat(const char *dir) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        return rmdir(dir) < 0 ? -errno : 0;
}

/* Copies the policy files of the directory into a new directory next to last_good and, when the
 * digest of the copy's bytes is that of the policy in force, makes it the last good copy. A
 * policy changed on disk in between is simply not copied this time. */
static int snapshot_save(PolicyStore *s) {
        _cleanup_free_ char *tmp = NULL, *old = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        const char *at;
        char digest[13];
        struct dirent *de;
        int r;

        at = strrchr(policy_get_version(s->policy), '@');
        if (!at)
                return -EINVAL;
        /* Already kept (a restart, a reload that changed nothing): nothing to write. The copy is
         * read for its digest once; after that the digest is known. */
        if (!s->kept_digest[0] && policy_dir_digest(s->last_good, digest) >= 0)
                memcpy(s->kept_digest, digest, sizeof digest);
        if (streq(at + 1, s->kept_digest))
                return 0;
        s->kept_digest[0] = 0;
        if (asprintf(&tmp, "%s.new", s->last_good) < 0 || asprintf(&old, "%s.old", s->last_good) < 0)
                return -ENOMEM;
        (void) rm_rf_flat(tmp);
        (void) rm_rf_flat(old);
        if (mkdir(tmp, 0700) < 0)
                return -errno;

        d = opendir(s->dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *from = NULL, *to = NULL, *data = NULL;
                size_t size = 0;

                if (!policy_is_file_name(de->d_name))
                        continue;
                if (asprintf(&from, "%s/%s", s->dir, de->d_name) < 0 ||
                    asprintf(&to, "%s/%s", tmp, de->d_name) < 0)
                        return -ENOMEM;
                r = read_full_file(from, SNAPSHOT_FILE_MAX, &data, &size);
                if (r < 0)
                        return r;
                r = write_file_atomic(to, data, size, 0600);
                if (r < 0)
                        return r;
        }

        /* The copy's digest, from its bytes (no second policy in memory): the one in force? */
        r = policy_dir_digest(tmp, digest);
        if (r < 0)
                return r;
        if (!streq(at + 1, digest))
                return -ESTALE;

        /* Swap in: last-good → last-good.old, last-good.new → last-good. */
        if (rename(s->last_good, old) < 0 && errno != ENOENT)
                return -errno;
        if (rename(tmp, s->last_good) < 0)
                return -errno;
        memcpy(s->kept_digest, digest, sizeof digest);
        (void) rm_rf_flat(old);
        return 0;
}

/* --- loading --- */

static void store_put(PolicyStore *s, Policy *p, bool from_last_good, Policy **ret_old) {
        *ret_old = s->policy;
        s->policy = p;
        s->loaded = time(NULL);
        s->from_last_good = from_last_good;
        s->generation++;
}

/* The first load failed: the verified copy of the last good policy, if there is one. */
static bool load_last_good(PolicyStore *s, Policy **ret_old) {
        _cleanup_free_ char *error = NULL;
        PolicyError e = {};
        Policy *p = NULL;
        int r;

        r = policy_load_dir(s->last_good, &p, &e);
        if (r == -ENOENT)
                return false;
        if (r < 0) {
                error = policy_error_format(&e, r);
                log_error("The last good policy copy in '%s' cannot be used either: %s", s->last_good,
                          error ?: "?");
                return false;
        }
        store_put(s, p, true, ret_old);
        log_warning("Using the last good policy %s (kept in '%s') until '%s' is fixed.",
                    policy_get_version(p), s->last_good, s->dir);
        audit_log_policy_last_good(s->audit, p, s->last_good, s->error ?: "?");
        return true;
}

bool policy_store_load(PolicyStore *s, Policy **ret_old) {
        bool first = !s->started;
        PolicyError e = {};
        Policy *p = NULL;
        int r;

        *ret_old = NULL;
        s->started = true;
        r = policy_load_dir(s->dir, &p, &e);
        if (r >= 0) {
                store_put(s, p, false, ret_old);
                s->status = POLICY_STATUS_OK;
                free(s->error);
                s->error = NULL;
                audit_log_policy_loaded(s->audit, p);
                r = snapshot_save(s);
                if (r < 0)
                        log_warning_errno(r, "Cannot keep a copy of the policy in '%s', ignoring: %m",
                                          s->last_good);
                return true;
        }

        free(s->error);
        s->error = policy_error_format(&e, r);
        audit_log_policy_rejected(s->audit, s->dir, s->error ?: "?");
        if (first && load_last_good(s, ret_old)) {
                s->status = POLICY_STATUS_ERROR;
                return true;
        }
        s->status = s->policy ? POLICY_STATUS_ERROR : POLICY_STATUS_NONE;
        if (s->policy)
                log_error("Policy in '%s' refused (%s): keeping the last good policy %s.", s->dir,
                          s->error ?: "?", policy_get_version(s->policy));
        else
                log_error("No valid policy in '%s' (%s): every device stays blocked.", s->dir,
                          s->error ?: "?");
        return false;
}

/* --- watching --- */

static int on_reload_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        PolicyStore *s = ASSERT_PTR(userdata);

        log_info("Policy directory changed, reloading.");
        s->changed(s->userdata);
        return 0;
}

/* Debounce: an editor or a sync writes several files; reload once they are done. */
static void schedule_reload(PolicyStore *s) {
        int r;

        if (s->reload_timer) {
                r = sd_event_source_set_time_relative(s->reload_timer, RELOAD_DELAY_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->reload_timer, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time_relative(s->event, &s->reload_timer, CLOCK_MONOTONIC, RELOAD_DELAY_USEC,
                                               0, on_reload_timer, s);
        if (r < 0)
                log_error_errno(r, "Failed to schedule a policy reload (reload with SIGHUP): %m");
}

static int on_dir_event(sd_event_source *source, const struct inotify_event *ev, void *userdata) {
        PolicyStore *s = ASSERT_PTR(userdata);

        if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
                /* The directory itself went away: the parent's watch sees it come back. */
                s->dir_watch = sd_event_source_disable_unref(s->dir_watch);
        schedule_reload(s);
        return 0;
}

static int watch_dir(PolicyStore *s) {
        int r;

        s->dir_watch = sd_event_source_disable_unref(s->dir_watch);
        r = sd_event_add_inotify(s->event, &s->dir_watch, s->dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE |
                                 IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR,
                                 on_dir_event, s);
        if (r < 0)
                s->dir_watch = NULL;
        return r;
}

static int on_parent_event(sd_event_source *source, const struct inotify_event *ev, void *userdata) {
        PolicyStore *s = ASSERT_PTR(userdata);

        if (ev->len == 0 || !streq(ev->name, s->name))
                return 0;
        if (ev->mask & (IN_CREATE | IN_MOVED_TO | IN_ATTRIB)) {
                int r = watch_dir(s);

                if (r < 0)
                        log_warning_errno(r, "Cannot watch '%s' again, ignoring: %m", s->dir);
                else
                        log_info("Policy directory '%s' appeared, watching it again.", s->dir);
        }
        schedule_reload(s);
        return 0;
}

int policy_store_watch(PolicyStore *s) {
        int r;

        r = sd_event_add_inotify(s->event, &s->parent_watch, s->parent,
                                 IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_ONLYDIR,
                                 on_parent_event, s);
        if (r < 0)
                log_warning_errno(r, "Cannot watch '%s', a re-created policy directory needs SIGHUP: %m",
                                  s->parent);
        r = watch_dir(s);
        if (r < 0 && r != -ENOENT)
                return log_warning_errno(r, "Cannot watch '%s' (reload with SIGHUP instead), ignoring: %m",
                                         s->dir);
        return 0;
}

/* --- the rest --- */

const Policy *policy_store_get(const PolicyStore *s) {
        return s->policy;
}

uint64_t policy_store_generation(const PolicyStore *s) {
        return s->generation;
}

StatePolicy policy_store_state(const PolicyStore *s) {
        return (StatePolicy) {
                .status = s->status,
                .directory = s->dir,
                .policy = s->policy,
                .error = s->error,
                .loaded = s->loaded,
                .source = s->policy ? (s->from_last_good ? s->last_good : s->dir) : NULL,
        };
}

int policy_store_new(sd_event *event, Audit *audit, const char *policy_dir, const char *state_dir,
                     PolicyStoreChanged changed, void *userdata, PolicyStore **ret) {
        _cleanup_free_ char *copy = NULL;
        PolicyStore *s;
        size_t n;

        s = calloc(1, sizeof(PolicyStore));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->audit = audit;
        s->changed = changed;
        s->userdata = userdata;
        s->status = POLICY_STATUS_NONE;
        /* The directory without trailing slashes, its parent and its name. */
        s->dir = strdup(policy_dir);
        if (!s->dir)
                goto oom;
        n = strlen(s->dir);
        while (n > 1 && s->dir[n - 1] == '/')
                s->dir[--n] = 0;
        copy = strdup(s->dir);
        if (!copy)
                goto oom;
        s->parent = strdup(dirname(copy));
        free(copy);
        copy = strdup(s->dir);
        if (!copy || !s->parent)
                goto oom;
        s->name = strdup(basename(copy));
        if (!s->name || asprintf(&s->last_good, "%s/last-good", state_dir) < 0) {
                s->last_good = NULL;
                goto oom;
        }
        *ret = s;
        return 0;
oom:
        policy_store_free(s);
        return -ENOMEM;
}

PolicyStore *policy_store_free(PolicyStore *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->dir_watch);
        sd_event_source_disable_unref(s->parent_watch);
        sd_event_source_disable_unref(s->reload_timer);
        sd_event_unref(s->event);
        policy_free(s->policy);
        free(s->error);
        free(s->dir);
        free(s->parent);
        free(s->name);
        free(s->last_good);
        free(s);
        return NULL;
}
