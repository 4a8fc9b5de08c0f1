/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* mamorid.conf: the agent's settings (not its policy). Format:
 *
 *   [Agent]
 *   PolicyDirectory=/etc/mamori/policy.d
 *   StateDirectory=/var/lib/mamori
 *   RuntimeDirectory=/run/mamori
 *   HideSerials=yes|no|policy
 *   LogLevel=info
 *   MediaTimeoutSec=60       the disk of an allowed USB storage interface must appear, and its
 *                            encrypted-media check finish, each within this time (1..3600)
 *   DeviceEvents=kernel      USB devices are decided on the kernel's uevent (kernel, the default)
 *                            or on udevd's processed event (udev); block devices always wait for
 *                            udevd when it runs, as its rule holds them pending
 *
 * Command-line options override the file. */

#include <stdbool.h>

typedef enum HideSerials {
        HIDE_SERIALS_POLICY,    /* whatever the policy says (its default is to hide) */
        HIDE_SERIALS_YES,
        HIDE_SERIALS_NO,
        _HIDE_SERIALS_MAX,
        _HIDE_SERIALS_INVALID = -22,
} HideSerials;

typedef struct AgentSettings {
        char *policy_dir;
        char *state_dir;
        char *runtime_dir;
        HideSerials hide_serials;
        int log_level;
        unsigned media_timeout_sec;
        bool device_events_udev;
} AgentSettings;

#define MEDIA_TIMEOUT_SEC_DEFAULT 60U

/* Resets s to "nothing set" (NULL directories, policy-driven serial hiding, LogLevel info). */
void agent_settings_init(AgentSettings *s);
/* Frees what s owns. */
void agent_settings_done(AgentSettings *s);

/* Parses a mamorid.conf file into s (keys present in the file replace earlier values).
 * A missing file is fine when must_exist is false. Errors are logged as "file:line: message".
 * Returns 0 or a negative errno (-EBADMSG on a syntax or range error). */
int agent_settings_load_file(AgentSettings *s, const char *path, bool must_exist);

/* Fills in unset directories: the compiled-in defaults when running as root, or ./local/state
 * and ./local/run under the current directory for a normal user (the quick start).
 * Returns 0 or -ENOMEM. */
int agent_settings_fill_defaults(AgentSettings *s);
