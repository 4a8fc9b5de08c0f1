/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The network guard's resolver and hosts files (CFG-01, NET-02). */

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

/* ---- resolver and hosts files ---- */

static bool resolver_all_allowed(NetGuard *g, const char *content) {
        const char *p = content;
        unsigned n = 0;

        while (p && *p) {
                const char *eol = strchrnul(p, '\n');
                char line[256], addr[INET6_ADDRSTRLEN + 1];
                NetPrefix np;

                snprintf(line, sizeof line, "%.*s", (int) (eol - p), p);
                if (sscanf(line, " nameserver %46s", addr) == 1) {
                        char *pct = strchr(addr, '%'); /* fe80::1%eth0 */

                        if (pct)
                                *pct = 0;
                        if (net_prefix_parse(addr, &np) < 0 ||
                            !net_prefix_list_contains(g->np->dns_servers, g->np->n_dns_servers, np.family, np.addr))
                                return false;
                        n++;
                }
                p = *eol ? eol + 1 : eol;
        }
        return n > 0;
}

static const NetItem *file_item(NetGuard *g, const WatchedFile *f) {
        return f->resolver ? &g->np->dns : &g->np->hosts;
}

static void netguard_check_file(NetGuard *g, WatchedFile *f) {
        _cleanup_free_ char *content = NULL, *what = NULL;
        NetAction action = item_action(g, file_item(g, f));
        char target[PATH_MAX];
        const char *dst = f->path;
        struct stat st;
        size_t size = 0;
        int r;

        r = read_full_file(f->path, NETGUARD_FILE_MAX, &content, &size);
        if (r < 0 && r != -ENOENT) {
                log_warning_errno(r, "Failed to read '%s': %m", f->path);
                return;
        }
        if (f->baseline && content && size == f->baseline_size && memcmp(content, f->baseline, size) == 0)
                return;
        if (!f->baseline && !content)
                return;
        if (!file_item(g, f)->guarded) {
                /* the policy in force does not guard it: what is there is the approved version */
                log_debug("'%s' changed; the policy does not guard it.", f->path);
                free(f->baseline);
                f->baseline = TAKE_PTR(content);
                f->baseline_size = size;
                return;
        }
        if (f->resolver && content && resolver_all_allowed(g, content)) {
                /* an approved change (e.g. DHCP renewal with the approved servers): new baseline */
                log_info("'%s' changed, every name server is approved.", f->path);
                free(f->baseline);
                f->baseline = TAKE_PTR(content);
                f->baseline_size = size;
                return;
        }
        if (action == NET_ACTION_REPORT && streq_ptr(content, f->reported) && (content || f->reported))
                return;

        g->n_events++;
        r = 0;
        if (action == NET_ACTION_REVERT) {
                if (!f->baseline)
                        r = unlink(f->path) < 0 ? -errno : 0;
                else {
                        /* keep a symlink (to the resolver's runtime file) a symlink */
                        if (lstat(f->path, &st) >= 0 && S_ISLNK(st.st_mode) && realpath(f->path, target))
                                dst = target;
                        r = write_file_atomic(dst, f->baseline, f->baseline_size, f->mode);
                        /* the agent's umask must not make the file unreadable for everyone else */
                        if (r >= 0 && chmod(dst, f->mode) < 0)
                                r = -errno;
                }
                if (r < 0)
                        log_warning_errno(r, "Failed to restore '%s': %m", f->path);
        } else {
                free(f->reported);
                f->reported = TAKE_PTR(content);
        }
        if (asprintf(&what, f->resolver ?
                     _("The name server settings in %s were changed without permission.") :
                     _("The host name file %s was changed without permission."), f->path) < 0) {
                log_oom();
                return;
        }
        netguard_record(g, "net-file", f->path, NULL, action, r, what);
}

static int netguard_on_file_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        WatchedFile *f = ASSERT_PTR(userdata);

        if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 && streq(ev->name, f->base)))
                netguard_check_file(f->guard, f);
        netguard_flush_records(f->guard);
        return 0;
}

static int netguard_watch_file(NetGuard *g, const char *path, bool resolver) {
        _cleanup_free_ char *dir = NULL;
        struct stat st;
        WatchedFile *f;
        char *slash;
        int r;

        for (size_t i = 0; i < g->n_files; i++)
                if (streq(g->files[i].path, path))
                        return 0;
        f = &g->files[g->n_files];
        *f = (WatchedFile) { .guard = g, .resolver = resolver };
        f->path = strdup(path);
        dir = strdup(path);
        if (!f->path || !dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (!slash || slash == dir) {
                free(f->path);
                return log_warning_errno(EINVAL, "Not watching '%s': an absolute path is needed.", path);
        }
        *slash = 0;
        f->base = f->path + (slash - dir) + 1;

        f->mode = stat(path, &st) >= 0 ? st.st_mode & 07777 : 0644;
        r = read_full_file(path, NETGUARD_FILE_MAX, &f->baseline, &f->baseline_size);
        if (r < 0 && r != -ENOENT) {
                free(f->path);
                return log_warning_errno(r, "Failed to read '%s', not watching it: %m", path);
        }
        r = sd_event_add_inotify(g->event, &f->source, dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR,
                                 netguard_on_file_event, f);
        if (r < 0) {
                log_debug_errno(r, "Not watching '%s' (directory '%s' is not there): %m", path, dir);
                free(f->path);
                free(f->baseline);
                return 0;
        }
        (void) sd_event_source_set_description(f->source, "netguard-file");
        g->n_files++;
        log_debug("Watching '%s' (%s).", path, f->baseline ? "baseline taken" : "absent");
        return 0;
}

int netguard_watch_files(NetGuard *g, const NetGuardConfig *c) {
        const char *resolv = c && c->resolv_conf ? c->resolv_conf : "/etc/resolv.conf";
        const char *runtime = c && c->resolver_runtime ? c->resolver_runtime : "/run/systemd/resolve/resolv.conf";
        const char *hosts = c && c->hosts ? c->hosts : "/etc/hosts";
        char target[PATH_MAX];
        struct stat st;
        int r;

        g->files = calloc(4, sizeof *g->files);
        if (!g->files)
                return -ENOMEM;
        /* watched whatever the policy, so that a reload that guards them compares with a baseline */
        r = netguard_watch_file(g, resolv, true);
        if (r < 0)
                return r;
        /* /etc/resolv.conf is often a symlink into the resolver's runtime directory */
        if (lstat(resolv, &st) >= 0 && S_ISLNK(st.st_mode) && realpath(resolv, target)) {
                r = netguard_watch_file(g, target, true);
                if (r < 0)
                        return r;
        }
        r = netguard_watch_file(g, runtime, true);
        if (r < 0)
                return r;
        return netguard_watch_file(g, hosts, false);
}

void netguard_files_free(NetGuard *g) {
        for (size_t i = 0; i < g->n_files; i++) {
                sd_event_source_disable_unref(g->files[i].source);
                free(g->files[i].path);
                free(g->files[i].baseline);
                free(g->files[i].reported);
        }
        free(g->files);
        g->files = NULL;
        g->n_files = 0;
}
