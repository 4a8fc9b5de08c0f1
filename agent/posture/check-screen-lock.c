/* SPDX-License-Identifier: GPL-2.0-or-later */
/* screen-lock (LCK-01, LCK-02): 「離席時の端末画面のロック」 (check-screen-lock.h). */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <systemd/sd-bus.h>

#include "check-screen-lock.h"
#include "fileio.h"
#include "i18n.h"
#include "kde-config.h"
#include "macro.h"

#define LOGIND "org.freedesktop.login1"
#define KDE_FILE_MAX (1024U * 1024U)

ScreenLockDesktop screen_lock_desktop_from_name(const char *name) {
        static const char *const gnome[] = { "gnome", "ubuntu", "pop", "unity" }, *const kde[] = { "kde", "plasma" };

        for (const char *p = name; p && *p;) {
                size_t n = strcspn(p, ":");

                for (size_t i = 0; i < ELEMENTSOF(gnome); i++)
                        if (n >= strlen(gnome[i]) && strncasecmp(p, gnome[i], strlen(gnome[i])) == 0)
                                return SCREEN_LOCK_DESKTOP_GNOME;
                for (size_t i = 0; i < ELEMENTSOF(kde); i++)
                        if (n >= strlen(kde[i]) && strncasecmp(p, kde[i], strlen(kde[i])) == 0)
                                return SCREEN_LOCK_DESKTOP_KDE;
                p += n;
                p += *p == ':';
        }
        return SCREEN_LOCK_DESKTOP_OTHER;
}

/* ---- logind ---- */

/* Reads a variant holding signature sig into the pointers, or skips it. Returns >0 read, 0 skipped. */
static int variant_read(sd_bus_message *m, const char *sig, void *a, void *b) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (type != 'v' || !streq(contents, sig))
                return MIN(sd_bus_message_skip(m, "v"), 0);
        r = b ? sd_bus_message_read(m, "v", sig, a, b) : sd_bus_message_read(m, "v", sig, a);
        return r < 0 ? r : 1;
}

static int strdup_to(char **dst, const char *s) {
        free(*dst);
        *dst = strdup(s);
        return *dst ? 0 : -ENOMEM;
}

static int session_properties(sd_bus_message *m, ScreenLockSession *s) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *str = NULL, *opath = NULL;
                char **dst = NULL;
                bool *flag = NULL;
                int b = 0;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                if (streq(name, "Id"))
                        dst = &s->id;
                else if (streq(name, "Name"))
                        dst = &s->user;
                else if (streq(name, "Desktop"))
                        dst = &s->desktop;
                else if (streq(name, "Type"))
                        dst = &s->type;
                else if (streq(name, "Class"))
                        dst = &s->class;
                else if (streq(name, "Active"))
                        flag = &s->active;
                else if (streq(name, "Remote"))
                        flag = &s->remote;
                else if (streq(name, "IdleHint"))
                        flag = &s->idle;
                else if (streq(name, "LockedHint"))
                        flag = &s->locked;

                if (dst)
                        r = variant_read(m, "s", &str, NULL);
                else if (flag)
                        r = variant_read(m, "b", &b, NULL);
                else if (streq(name, "IdleSinceHint"))
                        r = variant_read(m, "t", &s->idle_since_usec, NULL);
                else if (streq(name, "User"))
                        r = variant_read(m, "(uo)", &s->uid, &opath);
                else
                        r = sd_bus_message_skip(m, "v");
                if (r > 0 && dst)
                        r = strdup_to(dst, str);
                if (r > 0 && flag)
                        *flag = b;
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static void session_done(ScreenLockSession *s) {
        free(s->id);
        free(s->path);
        free(s->user);
        free(s->desktop);
        free(s->type);
        free(s->class);
        *s = (ScreenLockSession) {};
}

/* One session: counted, and kept when it is checked. Returns 0, or -ENOMEM. */
static int session_inspect(sd_bus *bus, const char *id, const char *path, ScreenLockState *st) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        ScreenLockSession s = {}, *n;
        int r;

        r = sd_bus_call_method(bus, LOGIND, path, "org.freedesktop.DBus.Properties", "GetAll", &error, &reply, "s",
                               LOGIND ".Session");
        sd_bus_error_free(&error);
        if (r >= 0)
                r = session_properties(reply, &s);
        if (r >= 0 && !s.id)
                r = strdup_to(&s.id, id);
        if (r >= 0)
                r = strdup_to(&s.path, path);
        if (r < 0 || !s.type || !(streq(s.type, "x11") || streq(s.type, "wayland"))) {
                session_done(&s);
                return r == -ENOMEM ? r : 0;    /* a session that vanished meanwhile is not counted */
        }
        st->n_graphical++;
        if (!s.active || (s.class && !streq(s.class, "user"))) {
                session_done(&s);
                return 0;
        }
        st->n_graphical_active++;
        n = realloc(st->sessions, (st->n_checked + 1) * sizeof *n);
        if (!n) {
                session_done(&s);
                return -ENOMEM;
        }
        st->sessions = n;
        st->sessions[st->n_checked++] = s;
        return 0;
}

static void session_lock(sd_bus *bus, ScreenLockSession *s) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, LOGIND, s->path, LOGIND ".Session", "Lock", &error, NULL, NULL);
        sd_bus_error_free(&error);
        s->locked_now = r >= 0;
        s->lock_error = MIN(r, 0);
}

static int probe_logind(ScreenLockState *st, uint64_t idle_max_usec, uint64_t now_usec) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *id, *path;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_method_call_timeout(bus, SCREEN_LOCK_BUS_TIMEOUT_USEC);
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
        while ((r = sd_bus_message_read(reply, "(susso)", &id, NULL, NULL, NULL, &path)) > 0) {
                st->n_sessions++;
                r = session_inspect(bus, id, path, st);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        for (size_t i = 0; st->enforce && i < st->n_checked; i++)
                if (screen_lock_should_lock(&st->sessions[i], idle_max_usec, now_usec))
                        session_lock(bus, &st->sessions[i]);
        return 0;
}

/* ---- display sockets (when logind does not answer) ---- */

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

/* ---- KDE ---- */

static void kde_value(const KdeConfigKey *k, bool is_bool, ScreenLockValue *v) {
        char *end = NULL;
        long long n;

        *v = (ScreenLockValue) { .locked = k->immutable };
        if (!k->value)
                return;
        if (is_bool) {
                int b = kde_config_parse_bool(k->value);

                v->found = b >= 0;
                v->value = b > 0;
                return;
        }
        errno = 0;
        n = strtoll(k->value, &end, 10);
        v->found = errno == 0 && end != k->value && *end == 0 && n >= 0;
        v->value = v->found ? n : 0;
}

int screen_lock_parse_kde(const char *text, size_t len, ScreenLockKde *ret) {
        KdeConfigKey keys[] = { { .name = "Autolock" }, { .name = "Timeout" }, { .name = "LockOnResume" } };
        int r;

        *ret = (ScreenLockKde) {};
        r = kde_config_read(text, len, "Daemon", keys, ELEMENTSOF(keys));
        if (r < 0)
                return r;
        kde_value(&keys[0], true, &ret->autolock);
        kde_value(&keys[1], false, &ret->timeout);
        kde_value(&keys[2], true, &ret->lock_on_resume);
        kde_config_keys_done(keys, ELEMENTSOF(keys));
        return 0;
}

int screen_lock_read_kde(const char *root, ScreenLockKde *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        *ret = (ScreenLockKde) {};
        if (asprintf(&path, "%s/etc/xdg/kscreenlockerrc", root ?: "") < 0)
                return -ENOMEM;
        r = read_full_file(path, KDE_FILE_MAX, &text, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                ret->error = r;
                return 0;
        }
        return screen_lock_parse_kde(text, len, ret);
}

/* ---- the probe ---- */

int screen_lock_probe(const char *root, bool enforce, uint64_t idle_max_usec, uint64_t now_usec,
                      ScreenLockState *ret) {
        ScreenLockState s = { .enforce = enforce };
        int r;

        root = root ?: "";
        r = probe_logind(&s, idle_max_usec, now_usec);
        if (r == -ENOMEM) {
                screen_lock_state_done(&s);
                return r;
        }
        s.logind_error = MIN(r, 0);
        s.n_display_sockets = count_display_sockets(root);
        r = 0;
        for (size_t i = 0; r >= 0 && i < s.n_checked; i++) {
                ScreenLockDesktop d = screen_lock_desktop_from_name(s.sessions[i].desktop);

                if (d == SCREEN_LOCK_DESKTOP_GNOME && !s.gnome_read) {
                        s.gnome_read = true;
                        r = screen_lock_read_gnome(root, &s.gnome);
                } else if (d == SCREEN_LOCK_DESKTOP_KDE && !s.kde_read) {
                        s.kde_read = true;
                        r = screen_lock_read_kde(root, &s.kde);
                }
        }
        if (r < 0) {
                screen_lock_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

void screen_lock_state_done(ScreenLockState *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_checked; i++)
                session_done(&s->sessions[i]);
        free(s->sessions);
        screen_lock_gnome_done(&s->gnome);
        *s = (ScreenLockState) {};
}

/* ---- pure parts ---- */

bool screen_lock_should_lock(const ScreenLockSession *s, uint64_t idle_max_usec, uint64_t now_usec) {
        return s && s->idle && !s->locked && s->idle_since_usec > 0 && now_usec > s->idle_since_usec &&
               now_usec - s->idle_since_usec > idle_max_usec;
}

static bool value_ok(const ScreenLockValue *v, const char *missing, const char *unlocked, const char **why) {
        if (!v->found)
                *why = missing;
        else if (!v->locked)
                *why = unlocked;
        return v->found && v->locked;
}

bool screen_lock_gnome_ok(const ScreenLockGnome *g, uint64_t idle_max_usec, const char **ret_why) {
        const char *why = NULL;

        if (g->error < 0)
                why = "the dconf profile could not be read";
        else if (!value_ok(&g->idle_delay, "idle-delay is not set system-wide",
                           "idle-delay is not locked: the user can change it", &why) ||
                 !value_ok(&g->lock_enabled, "lock-enabled is not set system-wide",
                           "lock-enabled is not locked: the user can change it", &why) ||
                 !value_ok(&g->lock_delay, "lock-delay is not set system-wide",
                           "lock-delay is not locked: the user can change it", &why))
                ;
        else if (g->idle_delay.value == 0)
                why = "idle-delay is 0: the session never goes idle";
        else if (!g->lock_enabled.value)
                why = "lock-enabled is false";
        else if ((uint64_t) (g->idle_delay.value + g->lock_delay.value) * USEC_PER_SEC > idle_max_usec)
                why = "idle-delay + lock-delay is longer than idle-max";
        *ret_why = why;
        return !why;
}

bool screen_lock_kde_ok(const ScreenLockKde *k, uint64_t idle_max_usec, const char **ret_why) {
        const char *why = NULL;

        if (k->error == -ENOENT)
                why = "there is no system-wide kscreenlockerrc";
        else if (k->error < 0)
                why = "the system-wide kscreenlockerrc could not be read";
        else if (!value_ok(&k->autolock, "Autolock is not set system-wide",
                           "Autolock is not immutable ([$i]): the user can change it", &why) ||
                 !value_ok(&k->timeout, "Timeout is not set system-wide",
                           "Timeout is not immutable ([$i]): the user can change it", &why))
                ;
        else if (!k->autolock.value)
                why = "Autolock is false";
        else if (k->timeout.value == 0)
                why = "Timeout is 0: the screen never locks";
        else if ((uint64_t) k->timeout.value > idle_max_usec / (60 * USEC_PER_SEC))
                why = "Timeout is longer than idle-max";
        *ret_why = why;
        return !why;
}

/* ---- the verdict ---- */

static int value_evidence(PostureEvidence *e, const char *key, const char *locked_key, const ScreenLockValue *v,
                          bool is_bool) {
        int k;

        if (!v->found)
                k = posture_evidence_add_null(e, key);
        else if (is_bool)
                k = posture_evidence_add_bool(e, key, v->value != 0);
        else
                k = posture_evidence_add_int(e, key, v->value);
        return k ?: posture_evidence_add_bool(e, locked_key, v->locked);
}

static int gnome_evidence(PostureEvidence *e, const ScreenLockGnome *g) {
        PostureEvidence *o;
        int k;

        k = posture_evidence_add_object(e, "gnome", &o);
        if (k < 0)
                return k;
        if (g->error < 0)
                return posture_evidence_add_string(o, "error", strerror(-g->error));
        k = posture_evidence_add_string(o, "dconf_profile", g->profile);
        k = k ?: value_evidence(o, "idle_delay", "idle_delay_locked", &g->idle_delay, false);
        k = k ?: value_evidence(o, "lock_enabled", "lock_enabled_locked", &g->lock_enabled, true);
        k = k ?: value_evidence(o, "lock_delay", "lock_delay_locked", &g->lock_delay, false);
        return k;
}

static int kde_evidence(PostureEvidence *e, const ScreenLockKde *kd) {
        PostureEvidence *o;
        int k;

        k = posture_evidence_add_object(e, "kde", &o);
        if (k < 0)
                return k;
        if (kd->error < 0)
                return posture_evidence_add_string(o, "error", strerror(-kd->error));
        k = value_evidence(o, "autolock", "autolock_immutable", &kd->autolock, true);
        k = k ?: value_evidence(o, "timeout_minutes", "timeout_immutable", &kd->timeout, false);
        k = k ?: value_evidence(o, "lock_on_resume", "lock_on_resume_immutable", &kd->lock_on_resume, true);
        return k;
}

static const char *const desktop_settings[] = {
        [SCREEN_LOCK_DESKTOP_OTHER] = "unknown",
        [SCREEN_LOCK_DESKTOP_GNOME] = "gnome",
        [SCREEN_LOCK_DESKTOP_KDE] = "kde",
};

static bool desktop_expected(char *const *desktops, ScreenLockDesktop d) {
        if (!desktops)
                return true;
        for (char *const *p = desktops; *p; p++)
                if (streq(*p, desktop_settings[d]))
                        return true;
        return false;
}

static PostureStatus session_status(const ScreenLockState *st, const ScreenLockSession *s, uint64_t idle_max_usec,
                                    const char **ret_why) {
        ScreenLockDesktop d = screen_lock_desktop_from_name(s->desktop);

        if (!desktop_expected(st->desktops, d)) {
                *ret_why = "the policy's desktops do not include this desktop";
                return POSTURE_STATUS_FAIL;
        }
        switch (d) {
        case SCREEN_LOCK_DESKTOP_GNOME:
                return screen_lock_gnome_ok(&st->gnome, idle_max_usec, ret_why) ? POSTURE_STATUS_PASS
                                                                               : POSTURE_STATUS_FAIL;
        case SCREEN_LOCK_DESKTOP_KDE:
                return screen_lock_kde_ok(&st->kde, idle_max_usec, ret_why) ? POSTURE_STATUS_PASS
                                                                           : POSTURE_STATUS_FAIL;
        case SCREEN_LOCK_DESKTOP_OTHER:
                break;
        }
        *ret_why = "the settings of this desktop are not known to mamori";
        return POSTURE_STATUS_UNKNOWN;
}

static int session_evidence(PostureEvidence *e, const ScreenLockSession *s, PostureStatus status, const char *why) {
        PostureEvidence *o;
        int k;

        k = posture_evidence_add_object(e, s->id, &o);
        if (k < 0)
                return k;
        k = posture_evidence_add_string(o, "user", s->user);
        k = k ?: posture_evidence_add_int(o, "uid", s->uid);
        k = k ?: posture_evidence_add_string(o, "type", s->type);
        k = k ?: posture_evidence_add_string(o, "desktop", s->desktop);
        k = k ?: posture_evidence_add_string(o, "settings",
                                             desktop_settings[screen_lock_desktop_from_name(s->desktop)]);
        k = k ?: posture_evidence_add_bool(o, "remote", s->remote);
        k = k ?: posture_evidence_add_bool(o, "idle", s->idle);
        k = k ?: posture_evidence_add_int(o, "idle_since_usec", (int64_t) s->idle_since_usec);
        k = k ?: posture_evidence_add_bool(o, "locked", s->locked);
        k = k ?: posture_evidence_add_string(o, "status", posture_status_to_string(status));
        k = k ?: posture_evidence_add_string(o, "reason", why);
        if (s->locked_now)
                k = k ?: posture_evidence_add_bool(o, "locked_by_mamori", true);
        if (s->lock_error < 0)
                k = k ?: posture_evidence_add_string(o, "lock_error", strerror(-s->lock_error));
        return k;
}

int screen_lock_verdict(const ScreenLockState *s, uint64_t idle_max_usec, PostureResult *r) {
        _cleanup_free_ char *locked = NULL;
        PostureStatus status = POSTURE_STATUS_PASS;
        PostureEvidence *e, *checked = NULL;
        size_t n_fail = 0, n_locked = 0;
        char idle[32];
        int k = 0;

        assert_return(s && r, -EINVAL);
        r->id = POSTURE_CHECK_SCREEN_LOCK;
        e = &r->evidence;

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
        k = k ?: posture_evidence_add_string(e, "settings",
                                             s->gnome_read && s->kde_read ? "gnome, kde"
                                             : s->gnome_read ? "gnome" : s->kde_read ? "kde" : "none");
        if (s->gnome_read)
                k = k ?: gnome_evidence(e, &s->gnome);
        if (s->kde_read)
                k = k ?: kde_evidence(e, &s->kde);
        if (s->n_checked > 0)
                k = k ?: posture_evidence_add_object(e, "checked_sessions", &checked);
        for (size_t i = 0; k >= 0 && i < s->n_checked; i++) {
                const char *why = NULL;
                PostureStatus st = session_status(s, &s->sessions[i], idle_max_usec, &why);

                if (st == POSTURE_STATUS_FAIL)
                        n_fail++;
                if (st == POSTURE_STATUS_FAIL || (st == POSTURE_STATUS_UNKNOWN && status == POSTURE_STATUS_PASS))
                        status = st;
                k = session_evidence(checked, &s->sessions[i], st, why);
                if (k >= 0 && s->sessions[i].locked_now) {
                        char *joined = NULL;

                        n_locked++;
                        if (asprintf(&joined, "%s%s%s", locked ?: "", locked ? ", " : "", s->sessions[i].id) < 0)
                                return -ENOMEM;
                        free(locked);
                        locked = joined;
                }
        }
        if (s->enforce)
                k = k ?: posture_evidence_add_string(e, "locked_sessions", locked ?: "");
        if (k < 0)
                return k;

        if (s->logind_error == 0 && s->n_checked == 0)
                posture_result_set(r, POSTURE_STATUS_NOT_APPLICABLE,
                                   _("There is no active graphical session on this terminal."));
        else if (s->logind_error < 0 && s->n_display_sockets == 0)
                posture_result_set(r, POSTURE_STATUS_NOT_APPLICABLE,
                                   _("There is no graphical session on this terminal (no login manager, "
                                     "no display)."));
        else if (s->logind_error < 0)
                posture_result_set(r, POSTURE_STATUS_UNKNOWN,
                                   _("A display exists but the login manager did not answer, so the sessions "
                                     "could not be checked."));
        else if (status == POSTURE_STATUS_PASS)
                posture_result_set(r, POSTURE_STATUS_PASS,
                                   _("Every graphical session locks its screen within the limit, and users "
                                     "cannot change that."));
        else if (status == POSTURE_STATUS_FAIL)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("%zu of %zu graphical sessions have no enforced screen lock within the "
                                     "limit."), n_fail, s->n_checked);
        else
                posture_result_set(r, POSTURE_STATUS_UNKNOWN,
                                   _("A graphical session runs a desktop whose screen lock settings mamori "
                                     "cannot read."));
        return 0;
}
