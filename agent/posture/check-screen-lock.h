/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* screen-lock (LCK-01, LCK-02): every active graphical session (logind: Type x11 or wayland,
 * Class user, Active) must have an idle lock the user cannot turn off, within the policy's
 * idle-max. What counts is the desktop's system-wide, locked-down setting:
 *   GNOME (and desktops reading org.gnome.desktop.*): the dconf system databases that the
 *     profile /etc/dconf/profile/user names, read through the dconf client library with
 *     DCONF_READ_DEFAULT_VALUE (what the user's own value cannot change) and
 *     dconf_client_is_writable() (the database's locks): idle-delay, lock-enabled and
 *     lock-delay must each be locked, lock-enabled true, idle-delay not 0 and
 *     idle-delay + lock-delay <= idle-max;
 *   KDE Plasma: /etc/xdg/kscreenlockerrc, [Daemon] Autolock true and Timeout (minutes, not 0,
 *     <= idle-max), each immutable (kiosk [$i]); LockOnResume is shown;
 *   any other desktop: unknown.
 * With enforce, a session that logind says has been idle for longer than idle-max and is not
 * locked is locked through org.freedesktop.login1.Session.Lock(). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "posture.h"

#define SCREEN_LOCK_BUS_TIMEOUT_USEC (2 * USEC_PER_SEC)

typedef enum ScreenLockDesktop {
        SCREEN_LOCK_DESKTOP_OTHER,
        SCREEN_LOCK_DESKTOP_GNOME,
        SCREEN_LOCK_DESKTOP_KDE,
} ScreenLockDesktop;

/* Which settings a desktop name means: gnome*, ubuntu*, pop*, unity* -> GNOME; kde*, plasma*
 * -> KDE (any case; for "a:b" lists the first that is known). */
ScreenLockDesktop screen_lock_desktop_from_name(const char *name);

/* One setting as the desktop would apply it. */
typedef struct ScreenLockValue {
        bool found;                     /* a system-wide value exists */
        bool locked;                    /* and the user cannot change it */
        int64_t value;                  /* seconds, minutes (KDE Timeout) or 0/1 */
} ScreenLockValue;

typedef struct ScreenLockGnome {
        int error;                      /* 0, or negative errno: the profile could not be read */
        char *profile;                  /* its sources, "user-db:user, system-db:mamori" */
        ScreenLockValue idle_delay, lock_enabled, lock_delay;
} ScreenLockGnome;

typedef struct ScreenLockKde {
        int error;                      /* 0, -ENOENT (no file), or another negative errno */
        ScreenLockValue autolock, timeout, lock_on_resume;
} ScreenLockKde;

typedef struct ScreenLockSession {
        char *id, *path, *user, *desktop, *type, *class;
        uint32_t uid;
        bool active, remote, idle, locked;
        uint64_t idle_since_usec;       /* CLOCK_REALTIME, µs; 0: unknown */
        bool locked_now;                /* enforce: Lock() was called and returned */
        int lock_error;                 /* enforce: negative errno of a Lock() that failed */
} ScreenLockSession;

typedef struct ScreenLockState {
        int logind_error;               /* 0, or negative errno: logind did not answer */
        size_t n_sessions;
        size_t n_graphical;             /* sessions of type x11 or wayland */
        size_t n_graphical_active;      /* ... of class user, active: the ones checked */
        size_t n_display_sockets;       /* X11 (/tmp/.X11-unix/X*) and Wayland (/run/user/UID/wayland-*) */
        ScreenLockSession *sessions;    /* the checked ones */
        size_t n_checked;
        bool gnome_read, kde_read;      /* whether the settings below were read (a session needs them) */
        ScreenLockGnome gnome;
        ScreenLockKde kde;
        bool enforce;                   /* the round was asked to lock idle sessions */
        char *const *desktops;          /* the policy's desktops ("gnome", "kde"; not owned); NULL: any */
} ScreenLockState;

/* Asks logind on the system bus (ListSessions, then each session's properties; every call at most
 * SCREEN_LOCK_BUS_TIMEOUT_USEC), reads the settings of the desktops the checked sessions run
 * below root ("" or NULL: the real system), and looks for display sockets. With enforce, locks
 * what screen_lock_should_lock() says (now_usec: CLOCK_REALTIME). Returns 0 or -ENOMEM. */
int screen_lock_probe(const char *root, bool enforce, uint64_t idle_max_usec, uint64_t now_usec,
                      ScreenLockState *ret);
void screen_lock_state_done(ScreenLockState *s);

/* GNOME's settings through dconf (check-screen-lock-dconf.c) and KDE's (kde-config.c). */
int screen_lock_read_gnome(const char *root, ScreenLockGnome *ret);
void screen_lock_gnome_done(ScreenLockGnome *g);
int screen_lock_read_kde(const char *root, ScreenLockKde *ret);
/* The same from a file's text (the fuzz target's entry). */
int screen_lock_parse_kde(const char *text, size_t len, ScreenLockKde *ret);

/* Whether enforce locks a session: idle, not locked, idle since longer than idle_max. Pure. */
bool screen_lock_should_lock(const ScreenLockSession *s, uint64_t idle_max_usec, uint64_t now_usec);

/* Whether the settings of one desktop put a lock within idle_max that the user cannot change;
 * *ret_why (untranslated, for the evidence) says what is missing. Pure. */
bool screen_lock_gnome_ok(const ScreenLockGnome *g, uint64_t idle_max_usec, const char **ret_why);
bool screen_lock_kde_ok(const ScreenLockKde *k, uint64_t idle_max_usec, const char **ret_why);

/* The verdict: not-applicable without an active graphical session (and, when logind does not
 * answer, without display sockets); pass when every checked session's desktop passes; fail when
 * one fails or runs a desktop that s->desktops does not name; unknown otherwise (another desktop
 * when s->desktops is NULL; logind down but a display). Evidence per session.
 * Returns 0 or -ENOMEM. */
int screen_lock_verdict(const ScreenLockState *s, uint64_t idle_max_usec, PostureResult *r);
