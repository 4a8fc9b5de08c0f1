/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Asking polkit whether the sender of a method call may do an action, without blocking the
 * loop. Root (effective UID 0) is allowed without asking. Anything else is asked of
 * org.freedesktop.PolicyKit1 (CheckAuthorization, with user interaction allowed); no answer, an
 * error or "not authorized" is a denial, replied as org.freedesktop.DBus.Error.AccessDenied. */

#include <systemd/sd-bus.h>

typedef struct PolkitQueries PolkitQueries;

/* Called once the call is authorized; it must reply to call. source: "dbus:uid=N". */
typedef int (*PolkitAllowed)(sd_bus_message *call, const char *source, void *userdata);

/* Starts the check for call; returns 1 (the reply follows later, from allowed() or a denial)
 * or a negative errno. */
int polkit_check_async(PolkitQueries **queries, sd_bus_message *call, const char *action,
                       PolkitAllowed allowed, void *userdata);
/* Cancels and frees every pending query (their calls get no reply). */
void polkit_queries_free(PolkitQueries **queries);
