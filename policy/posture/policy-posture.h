/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The `posture:` section of a policy (policy/SYNTAX.md, "Posture"), as plain data.
 *
 * LOG-07, DAT-01, AV-01..AV-04, CFG-02, PAT-02, LCK-01, PAT-01, AUTH-01..AUTH-03, SW-01, SW-02,
 * NET-05, NET-06, NET-07. The parser fills a PosturePolicy; the posture checks (agent/posture/)
 * read it and nothing else. Pure: no I/O, no logging. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define USEC_PER_SEC  UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)

/* What the agent does when a check fails. */
typedef enum PostureAction {
        POSTURE_ACTION_REPORT,          /* record and report it */
        POSTURE_ACTION_ENFORCE,         /* put it right where the check can (screen-lock: lock) */
        POSTURE_ACTION_QUARANTINE,      /* isolate the terminal's network (INC-03) */
        _POSTURE_ACTION_MAX,
        _POSTURE_ACTION_INVALID = -22,
} PostureAction;

/* "report", "enforce", "quarantine"; NULL for an invalid value. */
const char *posture_action_to_string(PostureAction a);
/* The inverse; _POSTURE_ACTION_INVALID for an unknown string. */
PostureAction posture_action_from_string(const char *s);

/* The checks, in the order they run and are reported. */
typedef enum PostureCheckId {
        POSTURE_CHECK_TIME_SYNC,
        POSTURE_CHECK_DISK_ENCRYPTION,
        POSTURE_CHECK_ANTIVIRUS,
        POSTURE_CHECK_OS_RELEASE,
        POSTURE_CHECK_SCREEN_LOCK,
        POSTURE_CHECK_UPDATES,
        POSTURE_CHECK_LOGIN,
        POSTURE_CHECK_SOFTWARE,
        POSTURE_CHECK_FIREWALL,
        POSTURE_CHECK_PORTS,
        _POSTURE_CHECK_MAX,
        _POSTURE_CHECK_INVALID = -22,
} PostureCheckId;

/* "time-sync", "disk-encryption", "antivirus", "os-release", "screen-lock", "updates", "login",
 * "software", "firewall", "ports". */
const char *posture_check_id_to_string(PostureCheckId id);
PostureCheckId posture_check_id_from_string(const char *s);
/* Whether a check can put things right itself (action: enforce). Only screen-lock can. */
bool posture_check_can_enforce(PostureCheckId id);

/* What every check has. */
typedef struct PostureCheckPolicy {
        bool enabled;                   /* named in `checks:` */
        PostureAction action;           /* default report */
        char **requirements;            /* NULL-terminated; the check's own IDs when not given */
        char *clause;                   /* may be NULL */
} PostureCheckPolicy;

#define POSTURE_DEFAULT_INTERVAL_USEC (6 * 3600 * USEC_PER_SEC)
#define POSTURE_DEFAULT_MAX_OFFSET_USEC (1 * USEC_PER_SEC)
#define POSTURE_DEFAULT_MAX_DEFINITION_AGE_USEC (3 * 86400 * USEC_PER_SEC)
#define POSTURE_DEFAULT_CLAMD_SOCKET "/run/clamav/clamd.ctl"
#define POSTURE_DEFAULT_CLAMD_CONF "/etc/clamav/clamd.conf"
#define POSTURE_DEFAULT_SCAN_TIMEOUT_USEC (12 * 3600 * USEC_PER_SEC)
#define POSTURE_DEFAULT_MAX_UPDATE_AGE_USEC (7 * 86400 * USEC_PER_SEC)
#define POSTURE_MAX_PENDING_LIMIT 100000
#define POSTURE_DEFAULT_MAX_ATTEMPTS 5
#define POSTURE_DEFAULT_MIN_LENGTH 8
#define POSTURE_DEFAULT_SOFTWARE_RULE "/usr/share/polkit-1/rules.d/51-mamori-software.rules"

/* antivirus: media-scan (MED-09, AV-04): what happens to a released medium whose scan could not
 * finish (limits, time limit, clamd down). A detection always blocks. */
typedef enum PostureMediaScanAction {
        POSTURE_MEDIA_SCAN_READ_ONLY,   /* it stays read-only (default) */
        POSTURE_MEDIA_SCAN_BLOCK,       /* its storage interface is de-authorized */
        POSTURE_MEDIA_SCAN_REPORT,      /* it is released as if clean; the record says why not */
        _POSTURE_MEDIA_SCAN_ACTION_MAX,
        _POSTURE_MEDIA_SCAN_ACTION_INVALID = -22,
} PostureMediaScanAction;

/* "read-only", "block", "report"; and back. */
const char *posture_media_scan_action_to_string(PostureMediaScanAction a);
PostureMediaScanAction posture_media_scan_action_from_string(const char *s);

#define POSTURE_DEFAULT_MEDIA_SCAN_MAX_BYTES (UINT64_C(4) << 30)
#define POSTURE_DEFAULT_MEDIA_SCAN_MAX_FILES UINT64_C(100000)
#define POSTURE_DEFAULT_MEDIA_SCAN_TIMEOUT_USEC (10 * 60 * USEC_PER_SEC)

typedef struct PostureMediaScan {
        bool enabled;                   /* `media-scan:` given: released media are scanned first */
        PostureMediaScanAction action;
        uint64_t max_bytes;             /* default 4GiB */
        uint64_t max_files;             /* default 100000 */
        uint64_t timeout_usec;          /* default 10m */
} PostureMediaScan;

typedef struct PosturePolicy {
        uint64_t interval_usec;         /* the scheduled round (default 6h) */
        bool release_quarantine;        /* a quarantine a failing check raised ends once every
                                         * quarantine check passes again (default false: the
                                         * security office ends it) */
        PostureCheckPolicy checks[_POSTURE_CHECK_MAX];

        uint64_t max_offset_usec;       /* time-sync */

        char **paths;                   /* disk-encryption: NULL-terminated, default [/] */
        bool swap;                      /* every swap area must be encrypted too (default true) */
        bool tpm;                       /* a TPM must be present (default false) */

        char *socket;                   /* antivirus: clamd's socket (default /run/clamav/clamd.ctl) */
        uint64_t max_definition_age_usec;
        uint64_t full_scan_interval_usec;       /* AV-03: 0 when not given (not checked) */
        char **scan_paths;              /* mamori-scan's roots, default [/home] */
        uint64_t scan_timeout_usec;     /* mamori-scan's overall time limit (default 12h) */
        char *clamd_conf;               /* default /etc/clamav/clamd.conf */
        char **on_access_paths;         /* AV-04: NULL when neither it nor on-access-prevention is given */
        bool on_access_prevention;      /* AV-04: OnAccessPrevention yes is required */
        char *config_sha256;            /* CFG-02: 64 lower-case hex digits, NULL when not given */
        PostureMediaScan media_scan;    /* antivirus: media-scan */

        int eol_year, eol_month, eol_day;       /* os-release: end-of-life (required) */

        uint64_t idle_max_usec;         /* screen-lock: idle-max (required) */
        char **desktops;                /* screen-lock: NULL-terminated, "gnome", "kde"; NULL: any */

        unsigned max_pending;           /* updates: most pending security updates allowed (default 0) */
        uint64_t max_update_age_usec;   /* updates: oldest pending one allowed (default 7d) */

        char **second_factor;           /* login: any-of PAM modules (pam_u2f ...); NULL: not required */
        unsigned max_attempts;          /* login: pam_faillock deny at most this (default 5) */
        uint64_t unlock_time_usec;      /* login: pam_faillock unlock_time at least this; 0: not checked */
        unsigned min_length;            /* login: pam_pwquality's minimum length at least this (default 8) */
        unsigned min_classes;           /* login: character classes required (0: not checked, 1..4) */

        char *polkit_rule;              /* software: the installed polkit rule (default above) */
        char **denied_packages;         /* software: NULL-terminated; NULL: none */

        char ruleset_sha256[65];        /* firewall: the profile's normalised ruleset, hex (required) */

        char **ports_allow;             /* ports: "tcp/22", "udp/68"; NULL-terminated (required, may be []) */
        bool include_loopback;          /* ports: judge loopback listeners too (default false) */
} PosturePolicy;

/* Frees a PosturePolicy and everything it owns. Accepts NULL; returns NULL. */
PosturePolicy *posture_policy_free(PosturePolicy *pp);

/* Parses a duration: a decimal number and one unit, "500ms", "90s", "10m", "6h", "3d"
 * (no sign, no space, no bare number). Returns 0 and sets *ret (microseconds), -EINVAL for
 * anything else, -ERANGE on overflow. */
int posture_duration_parse(const char *s, uint64_t *ret);
/* Writes a duration in the largest unit that divides it ("3d", "90s", "1500ms") into buf (at
 * least 32 bytes). Returns buf. */
const char *posture_duration_format(uint64_t usec, char *buf, size_t size);

/* Parses a size: a decimal number and one unit, "512B", "64KiB", "512MiB", "4GiB", "1TiB" (no
 * sign, no space, no bare number). Returns 0 and sets *ret (bytes), -EINVAL or -ERANGE. */
int posture_size_parse(const char *s, uint64_t *ret);

typedef struct PolicyNode PolicyNode;

/* Parses the `posture:` mapping node of a parsed policy file (policy-internal.h).
 * Returns 0 and sets *ret, or -EBADMSG with *reterr filled ("file:line:col: message"), or -ENOMEM. */
int posture_policy_parse_node(const PolicyNode *node, PosturePolicy **ret, PolicyError *reterr);

/* The `posture:` section of a loaded policy, or NULL when it has none. Lives as long as the Policy. */
const PosturePolicy *policy_get_posture(const Policy *p);
