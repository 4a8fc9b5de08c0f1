/* SPDX-License-Identifier: GPL-2.0-or-later */
/* screen-lock (LCK-01): 「離席時の端末画面のロック」. Only "does it apply" for now. */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "check-screen-lock.h"
#include "i18n.h"
#include "macro.h"


#define LOGIND "org.freedesktop.login1"

static void session_inspect(sd_bus *bus, const char *path, ScreenLockState *s) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *type = NULL;
        int active = 0;

        if (sd_bus_get_property_string(bus, LOGIND, path, LOGIND ".Session", "Type", &error, &type) < 0) {
                sd_bus_error_free(&error);
                return;
        }
        (void) sd_bus_get_property_trivial(bus, LOGIND, path, LOGIND ".Session", "Active", &error, 'b', &active);
        sd_bus_error_free(&error);
        if (streq(type, "x11") || streq(type, "wayland")) {
                s->n_graphical++;
                if (active)
                        s->n_graphical_active++;
        }
}

static int probe_logind(ScreenLockState *s) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *path;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, LOGIND, "/org/freedesktop/login1", LOGIND ".Manager", "ListSessions", &error,
                               &reply, NULL);
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(susso)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(susso)", NULL, NULL, NULL, NULL, &path)) > 0) {
                s->n_sessions++;
                session_inspect(bus, path, s);
        }
        return MIN(r, 0);
}

static size_t count_entries(const char *dir, const char *prefix) {
        struct dirent *de;
        size_t n = 0;
        DIR *d;

        d = opendir(dir);
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && !strstr(de->d_name, ".lock"))
                        n++;
        closedir(d);
        return n;
}

static size_t count_display_sockets(const char *root) {
        _cleanup_free_ char *x11 = NULL, *run_user = NULL;
        struct dirent *de;
        size_t n;
        DIR *d;

        if (asprintf(&x11, "%s/tmp/.X11-unix", root) < 0 || asprintf(&run_user, "%s/run/user", root) < 0)
                return 0;
        n = count_entries(x11, "X");
        d = opendir(run_user);
        if (!d)
                return n;
        while ((de = readdir(d))) {
                _cleanup_free_ char *sub = NULL;

                if (de->d_name[0] == '.' || asprintf(&sub, "%s/%s", run_user, de->d_name) < 0)
                        continue;
                n += count_entries(sub, "wayland-");
        }
        closedir(d);
        return n;
}

void screen_lock_probe(const char *root, ScreenLockState *ret) {
        *ret = (ScreenLockState) {};
        ret->logind_error = probe_logind(ret);
        ret->n_display_sockets = count_display_sockets(root ?: "");
}

int screen_lock_verdict(const ScreenLockState *s, uint64_t idle_max_usec, PostureResult *r) {
        PostureEvidence *e;
        char idle[32];
        int k = 0;

        assert_return(s && r, -EINVAL);
        r->id = POSTURE_CHECK_SCREEN_LOCK;
        e = &r->evidence;

        if (s->logind_error == 0 && s->n_graphical == 0)
                posture_result_set(r, POSTURE_STATUS_NOT_APPLICABLE,
                                   _("There is no graphical session on this terminal."));
        else if (s->logind_error < 0 && s->n_display_sockets == 0)
                posture_result_set(r, POSTURE_STATUS_NOT_APPLICABLE,
                                   _("There is no graphical session on this terminal (no login manager, "
                                     "no display)."));
        else
                posture_result_set(r, POSTURE_STATUS_UNKNOWN,
                                   _("A graphical session exists; its screen lock settings are not checked yet."));

        if (s->logind_error == 0) {
                k = k ?: posture_evidence_add_bool(e, "logind", true);
                k = k ?: posture_evidence_add_int(e, "sessions", (int64_t) s->n_sessions);
                k = k ?: posture_evidence_add_int(e, "graphical_sessions", (int64_t) s->n_graphical);
                k = k ?: posture_evidence_add_int(e, "active_graphical_sessions", (int64_t) s->n_graphical_active);
        } else {
                k = k ?: posture_evidence_add_bool(e, "logind", false);
                k = k ?: posture_evidence_add_string(e, "logind_error", strerror(-s->logind_error));
        }
        k = k ?: posture_evidence_add_int(e, "display_sockets", (int64_t) s->n_display_sockets);
        k = k ?: posture_evidence_add_string(e, "idle_max", posture_duration_format(idle_max_usec, idle, sizeof idle));
        k = k ?: posture_evidence_add_string(e, "settings", "not read in this version (dconf and KDE settings, "
                                                            "locking through logind come later)");
        return k;
}
