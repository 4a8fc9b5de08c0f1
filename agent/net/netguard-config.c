/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard's reports of network configuration files (CFG-01). */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <net/if.h> /* before linux/if.h */
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "fileio.h"
#include "i18n.h"
#include "log.h"
#include "macro.h"
#include "message-id.h"
#include "netguard-internal.h"

/* ---- network configuration files (NetworkManager, ifupdown, netplan) ----
 *
 * These are only reported, whatever the policy's action: the files belong to other daemons
 * (NetworkManager rewrites its connection files itself, netplan generates from its own), and
 * rewriting them behind those daemons' backs could leave the terminal without any network or with
 * a half-applied configuration. The security office decides what to do about a change. */

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static void config_entry_done(ConfigEntry *e) {
        free(e->name);
}

static ConfigEntry *config_find(ConfigWatch *w, const char *name) {
        for (size_t i = 0; i < w->n_entries; i++)
                if (streq(w->entries[i].name, name))
                        return &w->entries[i];
        return NULL;
}

static void config_entry_set(ConfigEntry *e, const struct stat *st) {
        e->type = st->st_mode & S_IFMT;
        e->ino = st->st_ino;
        e->size = st->st_size;
        e->mtime = st->st_mtim;
}

static bool config_entry_same(const ConfigEntry *e, const struct stat *st) {
        return e->type == (st->st_mode & S_IFMT) && e->ino == st->st_ino && e->size == st->st_size &&
               e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int config_add(ConfigWatch *w, const char *name, const struct stat *st) {
        ConfigEntry *n;

        n = realloc(w->entries, (w->n_entries + 1) * sizeof *w->entries);
        if (!n)
                return -ENOMEM;
        w->entries = n;
        n[w->n_entries] = (ConfigEntry) { .name = strdup(name) };
        if (!n[w->n_entries].name)
                return -ENOMEM;
        config_entry_set(&n[w->n_entries], st);
        w->n_entries++;
        return 0;
}

static bool config_wanted(ConfigWatch *w, const char *name) {
        if (streq(name, ".") || streq(name, ".."))
                return false;
        return !w->only || streq(name, w->only);
}

/* Compares one name with the last state recorded and reports the difference, if any. A file that
 * came and went between two looks (an editor's temporary file) is not reported. */
static void config_check_name(ConfigWatch *w, const char *name) {
        NetGuard *g = w->guard;
        _cleanup_free_ char *path = NULL, *what = NULL;
        ConfigEntry *e = config_find(w, name);
        const char *change, *fmt;
        struct stat st;
        bool exists;

        if (asprintf(&path, "%s/%s", w->dir, name) < 0) {
                log_oom();
                return;
        }
        exists = lstat(path, &st) >= 0;
        if (!exists && errno != ENOENT && errno != ENOTDIR) {
                log_warning_errno(errno, "Failed to check '%s': %m", path);
                return;
        }
        if (exists && !e) {
                if (config_add(w, name, &st) < 0) {
                        log_oom();
                        return;
                }
                change = "created";
                fmt = _("The network configuration file %s was created.");
        } else if (exists && !config_entry_same(e, &st)) {
                config_entry_set(e, &st);
                change = "changed";
                fmt = _("The network configuration file %s was changed.");
        } else if (!exists && e) {
                config_entry_done(e);
                *e = w->entries[--w->n_entries];
                change = "deleted";
                fmt = _("The network configuration file %s was deleted.");
        } else
                return;

        g->n_events++;
        if (asprintf(&what, fmt, path) < 0) {
                log_oom();
                return;
        }
        netguard_record(g, "net-config", path, change, NET_ACTION_REPORT, 0, what);
}

/* After lost events: compares everything there with the last state recorded. */
static void config_rescan(ConfigWatch *w) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        for (size_t i = w->n_entries; i > 0; i--) {
                _cleanup_free_ char *name = strdup(w->entries[i - 1].name);

                if (!name) {
                        log_oom();
                        return;
                }
                config_check_name(w, name);
        }
        d = opendir(w->dir);
        if (!d)
                return;
        while ((de = readdir(d)))
                if (config_wanted(w, de->d_name))
                        config_check_name(w, de->d_name);
}

static int netguard_on_config_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        ConfigWatch *w = ASSERT_PTR(userdata);
        _cleanup_free_ char *path = NULL;
        struct stat st;

        if (ev->mask & IN_Q_OVERFLOW)
                config_rescan(w);
        else if (ev->len > 0 && config_wanted(w, ev->name)) {
                /* a new regular file is looked at when it is closed after writing (or moved in), so
                 * that writing one file makes one record; anything else (a symbolic link, a
                 * directory) right away */
                if ((ev->mask & IN_CREATE) && asprintf(&path, "%s/%s", w->dir, ev->name) >= 0 &&
                    lstat(path, &st) >= 0 && S_ISREG(st.st_mode))
                        return 0;
                config_check_name(w, ev->name);
        }
        netguard_flush_records(w->guard);
        return 0;
}

ConfigWatch *config_watch_free(ConfigWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        for (size_t i = 0; i < w->n_entries; i++)
                config_entry_done(&w->entries[i]);
        free(w->entries);
        free(w->dir);
        free(w->only);
        free(w);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(ConfigWatch *, config_watch_free);

/* Starts watching one place (see NetGuardConfig.config_dirs) and records what is there now. */
static int netguard_watch_config(NetGuard *g, const char *place) {
        _cleanup_(config_watch_freep) ConfigWatch *w = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        ConfigWatch **n;
        struct dirent *de;
        struct stat st;
        size_t len = strlen(place);
        int r;

        if (place[0] != '/')
                return log_warning_errno(EINVAL, "Not watching '%s': an absolute path is needed.", place);
        w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        w->guard = g;
        if (place[len - 1] == '/' || (stat(place, &st) >= 0 && S_ISDIR(st.st_mode))) {
                while (len > 1 && place[len - 1] == '/')
                        len--;
                w->dir = strndup(place, len);
                if (!w->dir)
                        return -ENOMEM;
        } else {
                const char *slash = strrchr(place, '/');

                w->dir = slash == place ? strdup("/") : strndup(place, (size_t) (slash - place));
                w->only = strdup(slash + 1);
                if (!w->dir || !w->only)
                        return -ENOMEM;
        }

        r = sd_event_add_inotify(g->event, &w->source, w->dir,
                                 IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR,
                                 netguard_on_config_event, w);
        if (r < 0) {
                log_debug_errno(r, "Not watching '%s' (directory '%s' is not there): %m", place, w->dir);
                return 0;
        }
        (void) sd_event_source_set_description(w->source, "netguard-config");

        /* the state now is the baseline: watching started first, so nothing is missed */
        d = opendir(w->dir);
        if (!d)
                return log_warning_errno(errno, "Failed to read '%s', not watching it: %m", w->dir);
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (!config_wanted(w, de->d_name))
                        continue;
                if (asprintf(&path, "%s/%s", w->dir, de->d_name) < 0)
                        return -ENOMEM;
                if (lstat(path, &st) < 0)
                        continue;
                r = config_add(w, de->d_name, &st);
                if (r < 0)
                        return r;
        }

        n = realloc(g->configs, (g->n_configs + 1) * sizeof *g->configs);
        if (!n)
                return -ENOMEM;
        g->configs = n;
        log_debug("Watching the network configuration in '%s'%s%s (%zu files there).", w->dir,
                  w->only ? " for " : "", w->only ?: "", w->n_entries);
        g->configs[g->n_configs++] = TAKE_PTR(w);
        return 0;
}

int netguard_watch_configs(NetGuard *g, const NetGuardConfig *c) {
        _cleanup_free_ char *places = strdup(c && c->config_dirs ? c->config_dirs : NETGUARD_CONFIG_DIRS);
        char *state = NULL;
        int r;

        if (!places)
                return -ENOMEM;
        for (char *p = strtok_r(places, ":", &state); p; p = strtok_r(NULL, ":", &state)) {
                r = netguard_watch_config(g, p);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}
