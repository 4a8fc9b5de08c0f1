/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* screen-lock (LCK-01). In this version only whether it applies: a graphical session (logind
 * sessions of type x11 or wayland) means the desktop's lock settings must be read, which is a
 * later step (the dconf system database and its locks, KDE's kiosk keys, Lock() through logind),
 * so such a terminal gets `unknown`. Without one the check does not apply. */

#include <stdbool.h>
#include <stddef.h>

#include "posture.h"

typedef struct ScreenLockState {
        int logind_error;               /* 0, or negative errno: logind did not answer */
        size_t n_sessions;
        size_t n_graphical;             /* sessions of type x11 or wayland */
        size_t n_graphical_active;
        size_t n_display_sockets;       /* X11 (/tmp/.X11-unix/X*) and Wayland (/run/user/UID/wayland-*) */
} ScreenLockState;

/* Asks logind over the system bus (ListSessions, then Type and Active of each session) and looks
 * for display sockets below root ("" for the real system). Never fails. */
void screen_lock_probe(const char *root, ScreenLockState *ret);

/* The verdict: not-applicable without a graphical session (and, when logind does not answer,
 * without display sockets); unknown otherwise (the settings are not read yet). idle_max_usec is
 * the policy's limit, shown in the evidence. Returns 0 or -ENOMEM. */
int screen_lock_verdict(const ScreenLockState *s, uint64_t idle_max_usec, PostureResult *r);
