/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The `posture:` section: data and parsing (policy/SYNTAX.md, "Posture"). Pure.
 * One key table per check, over libpolicy's PolicyNode tree (policy-internal.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "policy-internal.h"
#include "policy-posture.h"
#include "string-table.h"

static const char *const posture_action_table[_POSTURE_ACTION_MAX] = {
        [POSTURE_ACTION_REPORT] = "report",
        [POSTURE_ACTION_ENFORCE] = "enforce",
        [POSTURE_ACTION_QUARANTINE] = "quarantine",
};
DEFINE_STRING_TABLE(posture_action, PostureAction);

static const char *const posture_check_id_table[_POSTURE_CHECK_MAX] = {
        [POSTURE_CHECK_TIME_SYNC] = "time-sync",
        [POSTURE_CHECK_DISK_ENCRYPTION] = "disk-encryption",
        [POSTURE_CHECK_ANTIVIRUS] = "antivirus",
        [POSTURE_CHECK_OS_RELEASE] = "os-release",
        [POSTURE_CHECK_SCREEN_LOCK] = "screen-lock",
        [POSTURE_CHECK_UPDATES] = "updates",
        [POSTURE_CHECK_LOGIN] = "login",
        [POSTURE_CHECK_SOFTWARE] = "software",
        [POSTURE_CHECK_FIREWALL] = "firewall",
        [POSTURE_CHECK_PORTS] = "ports",
};
DEFINE_STRING_TABLE(posture_check_id, PostureCheckId);

static const char *const posture_media_scan_action_table[_POSTURE_MEDIA_SCAN_ACTION_MAX] = {
        [POSTURE_MEDIA_SCAN_READ_ONLY] = "read-only",
        [POSTURE_MEDIA_SCAN_BLOCK] = "block",
        [POSTURE_MEDIA_SCAN_REPORT] = "report",
};
DEFINE_STRING_TABLE(posture_media_scan_action, PostureMediaScanAction);

bool posture_check_can_enforce(PostureCheckId id) {
        return id == POSTURE_CHECK_SCREEN_LOCK;
}

/* The requirement IDs a check stands for when the policy names none (REQUIREMENTS.md). */
static const char *const default_requirements[_POSTURE_CHECK_MAX][3] = {
        [POSTURE_CHECK_TIME_SYNC] = { "LOG-07" },
        [POSTURE_CHECK_DISK_ENCRYPTION] = { "DAT-01" },
        [POSTURE_CHECK_ANTIVIRUS] = { "AV-01", "AV-02" },
        [POSTURE_CHECK_OS_RELEASE] = { "PAT-02" },
        [POSTURE_CHECK_SCREEN_LOCK] = { "LCK-01" },
        [POSTURE_CHECK_UPDATES] = { "PAT-01" },
        [POSTURE_CHECK_LOGIN] = { "AUTH-01", "AUTH-02", "AUTH-03" },
        [POSTURE_CHECK_SOFTWARE] = { "SW-01", "SW-02" },
        [POSTURE_CHECK_FIREWALL] = { "NET-05", "NET-07" },
        [POSTURE_CHECK_PORTS] = { "NET-06" },
};

/* ---- durations ---- */

static const struct {
        const char *suffix;
        uint64_t usec;
} duration_units[] = {
        { "ms", USEC_PER_MSEC },
        { "s",  USEC_PER_SEC },
        { "m",  60 * USEC_PER_SEC },
        { "h",  3600 * USEC_PER_SEC },
        { "d",  86400 * USEC_PER_SEC },
};

int posture_duration_parse(const char *s, uint64_t *ret) {
        uint64_t n = 0;
        size_t i = 0;

        assert_return(s && ret, -EINVAL);

        if (s[0] < '0' || s[0] > '9')
                return -EINVAL;
        for (; s[i] >= '0' && s[i] <= '9'; i++) {
                if (n > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                n = n * 10 + (uint64_t) (s[i] - '0');
        }
        for (size_t u = 0; u < ELEMENTSOF(duration_units); u++)
                if (streq(s + i, duration_units[u].suffix)) {
                        if (n > UINT64_MAX / duration_units[u].usec)
                                return -ERANGE;
                        *ret = n * duration_units[u].usec;
                        return 0;
                }
        return -EINVAL;
}

static const struct {
        const char *suffix;
        unsigned shift;
} size_units[] = {
        { "B", 0 }, { "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 },
};

int posture_size_parse(const char *s, uint64_t *ret) {
        uint64_t n = 0;
        size_t i = 0;

        assert_return(s && ret, -EINVAL);

        if (s[0] < '0' || s[0] > '9')
                return -EINVAL;
        for (; s[i] >= '0' && s[i] <= '9'; i++) {
                if (n > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                n = n * 10 + (uint64_t) (s[i] - '0');
        }
        for (size_t u = 0; u < ELEMENTSOF(size_units); u++)
                if (streq(s + i, size_units[u].suffix)) {
                        if (n > (UINT64_MAX >> size_units[u].shift))
                                return -ERANGE;
                        *ret = n << size_units[u].shift;
                        return 0;
                }
        return -EINVAL;
}

const char *posture_duration_format(uint64_t usec, char *buf, size_t size) {
        for (size_t u = ELEMENTSOF(duration_units); u > 0; u--)
                if (usec % duration_units[u - 1].usec == 0) {
                        snprintf(buf, size, "%llu%s", (unsigned long long) (usec / duration_units[u - 1].usec),
                                 duration_units[u - 1].suffix);
                        return buf;
                }
        snprintf(buf, size, "%lluus", (unsigned long long) usec);
        return buf;
}

/* ---- typed values ---- */

static int parse_duration(const PolicyNode *v, const char *key, uint64_t *ret, PolicyError *reterr) {
        const char *s;
        int r;

        r = policy_node_get_string(v, key, &s, reterr);
        if (r < 0)
                return r;
        r = posture_duration_parse(s, ret);
        if (r == -ERANGE)
                return policy_node_error(reterr, v, "duration '%s' for '%s' is too long", s, key);
        if (r < 0)
                return policy_node_error(reterr, v,
                                         "invalid duration '%s' for '%s': expected a number and a unit "
                                         "(ms, s, m, h, d), e.g. 90s", s, key);
        if (*ret == 0)
                return policy_node_error(reterr, v, "'%s' must be longer than 0", key);
        return 0;
}

/* A whole number from min to max (a YAML integer: digits only). */
static int parse_count(const PolicyNode *v, const char *key, unsigned min, unsigned max, unsigned *ret,
                       PolicyError *reterr) {
        const char *s;
        uint64_t n = 0;
        int r;

        r = policy_node_get_string(v, key, &s, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; s[i] >= '0' && s[i] <= '9' && n <= max; i++)
                n = n * 10 + (uint64_t) (s[i] - '0');
        if (isempty(s) || strspn(s, "0123456789") != strlen(s) || n < min || n > max)
                return policy_node_error(reterr, v, "'%s' must be a whole number from %u to %u", key, min, max);
        *ret = (unsigned) n;
        return 0;
}

/* A string or a list of strings (a single string is a list of one), as rules take them;
 * absolute paths when want_path. */
static int parse_string_list(const PolicyNode *v, const char *key, bool allow_empty, bool want_path, char ***ret,
                             PolicyError *reterr) {
        const PolicyNode *const *items = (const PolicyNode *const *) v->items;
        size_t n = v->n_items;
        char **l;
        int r;

        if (v->type == POLICY_NODE_SCALAR && !policy_node_is_null(v)) {
                items = &v;
                n = 1;
        } else if (v->type != POLICY_NODE_SEQUENCE)
                return policy_node_error(reterr, v, "'%s' must be a string or a list", key);
        r = v->type == POLICY_NODE_SEQUENCE ? policy_node_check_sequence(v, key, allow_empty, reterr) : 0;
        if (r < 0)
                return r;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *s;

                r = policy_node_get_string(items[i], key, &s, reterr);
                if (r >= 0 && (isempty(s) || (want_path && s[0] != '/')))
                        r = policy_node_error(reterr, items[i], "'%s' entries must be absolute paths", key);
                if (r >= 0 && !(l[i] = strdup(s)))
                        r = -ENOMEM;
                if (r < 0) {
                        policy_strv_free(l);
                        return r;
                }
        }
        policy_strv_free(*ret);
        *ret = l;
        return 0;
}

/* ---- one check's mapping ---- */

typedef struct CheckParse {
        PosturePolicy *pp;
        PostureCheckId id;
        const PolicyNode *action_node;
        bool on_access_given;           /* antivirus: on-access-prevention was given */
} CheckParse;

#define CHECK_HANDLER(name) \
        static int name(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr)

CHECK_HANDLER(check_action) {
        CheckParse *cp = userdata;
        PostureAction a = _POSTURE_ACTION_INVALID;

        if (v->type == POLICY_NODE_SCALAR)
                a = posture_action_from_string(v->value);
        if (a < 0)
                return policy_node_error(reterr, v, "'action' must be 'report', 'enforce' or 'quarantine'");
        cp->pp->checks[cp->id].action = a;
        cp->action_node = v;
        return 0;
}

CHECK_HANDLER(check_requirements) {
        CheckParse *cp = userdata;
        return parse_string_list(v, "requirements", true, false, &cp->pp->checks[cp->id].requirements, reterr);
}

CHECK_HANDLER(check_clause) {
        CheckParse *cp = userdata;
        free(cp->pp->checks[cp->id].clause);
        cp->pp->checks[cp->id].clause = NULL;
        return policy_node_dup_string(v, "clause", &cp->pp->checks[cp->id].clause, reterr);
}

CHECK_HANDLER(time_max_offset) {
        CheckParse *cp = userdata;
        return parse_duration(v, "max-offset", &cp->pp->max_offset_usec, reterr);
}

CHECK_HANDLER(disk_paths) {
        CheckParse *cp = userdata;
        return parse_string_list(v, "paths", false, true, &cp->pp->paths, reterr);
}

CHECK_HANDLER(disk_swap) {
        CheckParse *cp = userdata;
        return policy_node_get_bool(v, "swap", &cp->pp->swap, reterr);
}

CHECK_HANDLER(disk_tpm) {
        CheckParse *cp = userdata;
        return policy_node_get_bool(v, "tpm", &cp->pp->tpm, reterr);
}

CHECK_HANDLER(av_socket) {
        CheckParse *cp = userdata;
        const char *s;
        int r;

        r = policy_node_get_string(v, "socket", &s, reterr);
        if (r < 0)
                return r;
        if (s[0] != '/' || strlen(s) >= 108)    /* sizeof(sockaddr_un.sun_path) */
                return policy_node_error(reterr, v, "'socket' must be an absolute path of at most 107 bytes");
        free(cp->pp->socket);
        cp->pp->socket = strdup(s);
        return cp->pp->socket ? 0 : -ENOMEM;
}

CHECK_HANDLER(av_max_age) {
        CheckParse *cp = userdata;
        return parse_duration(v, "max-definition-age", &cp->pp->max_definition_age_usec, reterr);
}

CHECK_HANDLER(av_full_scan_interval) {
        CheckParse *cp = userdata;
        return parse_duration(v, "full-scan-interval", &cp->pp->full_scan_interval_usec, reterr);
}

CHECK_HANDLER(av_scan_paths) {
        CheckParse *cp = userdata;
        return parse_string_list(v, "scan-paths", false, true, &cp->pp->scan_paths, reterr);
}

CHECK_HANDLER(av_scan_timeout) {
        CheckParse *cp = userdata;
        return parse_duration(v, "scan-timeout", &cp->pp->scan_timeout_usec, reterr);
}

CHECK_HANDLER(av_clamd_conf) {
        CheckParse *cp = userdata;
        const char *s;
        int r;

        r = policy_node_get_string(v, "clamd-conf", &s, reterr);
        if (r < 0)
                return r;
        if (s[0] != '/')
                return policy_node_error(reterr, v, "'clamd-conf' must be an absolute path");
        free(cp->pp->clamd_conf);
        cp->pp->clamd_conf = strdup(s);
        return cp->pp->clamd_conf ? 0 : -ENOMEM;
}

CHECK_HANDLER(av_on_access_paths) {
        CheckParse *cp = userdata;
        return parse_string_list(v, "on-access-paths", false, true, &cp->pp->on_access_paths, reterr);
}

CHECK_HANDLER(av_on_access_prevention) {
        CheckParse *cp = userdata;
        cp->on_access_given = true;
        return policy_node_get_bool(v, "on-access-prevention", &cp->pp->on_access_prevention, reterr);
}

CHECK_HANDLER(av_config_sha256) {
        CheckParse *cp = userdata;
        const char *s;
        size_t n;
        int r;

        r = policy_node_get_string(v, "config-sha256", &s, reterr);
        if (r < 0)
                return r;
        n = strspn(s, "0123456789abcdefABCDEF");
        if (n != 64 || s[n] != 0)
                return policy_node_error(reterr, v, "'config-sha256' must be 64 hexadecimal digits");
        free(cp->pp->config_sha256);
        cp->pp->config_sha256 = strdup(s);
        if (!cp->pp->config_sha256)
                return -ENOMEM;
        for (char *c = cp->pp->config_sha256; *c; c++)
                if (*c >= 'A' && *c <= 'F')
                        *c = (char) (*c - 'A' + 'a');
        return 0;
}

CHECK_HANDLER(os_end_of_life) {
        CheckParse *cp = userdata;
        return policy_node_get_date(v, "end-of-life", &cp->pp->eol_year, &cp->pp->eol_month, &cp->pp->eol_day,
                                    reterr);
}

CHECK_HANDLER(lock_idle_max) {
        CheckParse *cp = userdata;
        return parse_duration(v, "idle-max", &cp->pp->idle_max_usec, reterr);
}

CHECK_HANDLER(lock_desktops) {
        static const char *const known[] = { "gnome", "kde" };
        CheckParse *cp = userdata;
        int r;

        r = parse_string_list(v, "desktops", false, false, &cp->pp->desktops, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; cp->pp->desktops[i]; i++) {
                const PolicyNode *item = v->type == POLICY_NODE_SEQUENCE ? v->items[i] : v;
                bool ok = false;

                for (size_t j = 0; j < ELEMENTSOF(known); j++)
                        ok = ok || streq(cp->pp->desktops[i], known[j]);
                if (!ok)
                        return policy_node_error(reterr, item, "unknown desktop '%s' in 'desktops' (gnome, kde)",
                                                 cp->pp->desktops[i]);
        }
        return 0;
}

/* antivirus: media-scan: { action, max-bytes, max-files, timeout } */

static int media_scan_action(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        PostureMediaScan *ms = userdata;
        PostureMediaScanAction a = _POSTURE_MEDIA_SCAN_ACTION_INVALID;

        if (v->type == POLICY_NODE_SCALAR)
                a = posture_media_scan_action_from_string(v->value);
        if (a < 0)
                return policy_node_error(reterr, v, "'action' of 'media-scan' must be 'read-only', 'block' or 'report'");
        ms->action = a;
        return 0;
}

static int media_scan_max_bytes(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        PostureMediaScan *ms = userdata;
        const char *s;
        int r;

        r = policy_node_get_string(v, "max-bytes", &s, reterr);
        if (r < 0)
                return r;
        r = posture_size_parse(s, &ms->max_bytes);
        if (r == -ERANGE)
                return policy_node_error(reterr, v, "size '%s' for 'max-bytes' is too large", s);
        if (r < 0)
                return policy_node_error(reterr, v, "invalid size '%s' for 'max-bytes': expected a number and a "
                                         "unit (B, KiB, MiB, GiB, TiB), e.g. 4GiB", s);
        if (ms->max_bytes == 0)
                return policy_node_error(reterr, v, "'max-bytes' must be larger than 0");
        return 0;
}

static int media_scan_max_files(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        PostureMediaScan *ms = userdata;
        const char *s;
        uint64_t n = 0;
        int r;

        r = policy_node_get_string(v, "max-files", &s, reterr);
        if (r < 0)
                return r;
        if (s[0] < '1' || s[0] > '9' || strlen(s) > 9)
                return policy_node_error(reterr, v, "'max-files' must be a whole number from 1 to 999999999");
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return policy_node_error(reterr, v, "'max-files' must be a whole number from 1 to 999999999");
                n = n * 10 + (uint64_t) (*p - '0');
        }
        ms->max_files = n;
        return 0;
}

static int media_scan_timeout(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        PostureMediaScan *ms = userdata;
        return parse_duration(v, "timeout", &ms->timeout_usec, reterr);
}

static const PolicyKeyTable media_scan_table[] = {
        { "action",    media_scan_action },
        { "max-bytes", media_scan_max_bytes },
        { "max-files", media_scan_max_files },
        { "timeout",   media_scan_timeout },
};

CHECK_HANDLER(av_media_scan) {
        CheckParse *cp = userdata;
        PostureMediaScan *ms = &cp->pp->media_scan;
        int r;

        r = policy_node_check_mapping(v, "media-scan", reterr);
        if (r < 0)
                return r;
        ms->enabled = true;
        return policy_node_map_dispatch(v, "media-scan", media_scan_table, ELEMENTSOF(media_scan_table), ms, reterr);
}

CHECK_HANDLER(updates_max_pending) {
        CheckParse *cp = userdata;
        return parse_count(v, "max-pending", 0, POSTURE_MAX_PENDING_LIMIT, &cp->pp->max_pending, reterr);
}

CHECK_HANDLER(updates_max_age) {
        CheckParse *cp = userdata;
        return parse_duration(v, "max-age", &cp->pp->max_update_age_usec, reterr);
}

/* A PAM module's name as it is written without its ".so": [a-z0-9_]. */
static bool pam_module_name_valid(const char *s) {
        return !isempty(s) && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

CHECK_HANDLER(login_second_factor) {
        CheckParse *cp = userdata;
        int r;

        r = parse_string_list(v, "second-factor", false, false, &cp->pp->second_factor, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; cp->pp->second_factor[i]; i++)
                if (!pam_module_name_valid(cp->pp->second_factor[i]))
                        return policy_node_error(reterr, v->type == POLICY_NODE_SEQUENCE ? v->items[i] : v,
                                                 "'second-factor' entries must be PAM module names such as "
                                                 "pam_u2f (no '.so', no path)");
        return 0;
}

CHECK_HANDLER(login_max_attempts) {
        CheckParse *cp = userdata;
        return parse_count(v, "max-attempts", 1, 1000, &cp->pp->max_attempts, reterr);
}

CHECK_HANDLER(login_unlock_time) {
        CheckParse *cp = userdata;
        return parse_duration(v, "unlock-time", &cp->pp->unlock_time_usec, reterr);
}

CHECK_HANDLER(login_min_length) {
        CheckParse *cp = userdata;
        return parse_count(v, "min-length", 6, 512, &cp->pp->min_length, reterr);
}

CHECK_HANDLER(login_min_classes) {
        CheckParse *cp = userdata;
        return parse_count(v, "min-classes", 1, 4, &cp->pp->min_classes, reterr);
}

CHECK_HANDLER(software_polkit_rule) {
        CheckParse *cp = userdata;
        const char *s;
        int r;

        r = policy_node_get_string(v, "polkit-rule", &s, reterr);
        if (r < 0)
                return r;
        if (s[0] != '/')
                return policy_node_error(reterr, v, "'polkit-rule' must be an absolute path");
        free(cp->pp->polkit_rule);
        cp->pp->polkit_rule = strdup(s);
        return cp->pp->polkit_rule ? 0 : -ENOMEM;
}

/* A Debian package name (deb-control(5)): [a-z0-9][a-z0-9+.-]+. */
static bool package_name_valid(const char *s) {
        return strlen(s) >= 2 && strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]) &&
               strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789+.-") == strlen(s);
}

CHECK_HANDLER(software_denied_packages) {
        CheckParse *cp = userdata;
        int r;

        r = parse_string_list(v, "denied-packages", true, false, &cp->pp->denied_packages, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; cp->pp->denied_packages[i]; i++)
                if (!package_name_valid(cp->pp->denied_packages[i]))
                        return policy_node_error(reterr, v->type == POLICY_NODE_SEQUENCE ? v->items[i] : v,
                                                 "'denied-packages' entries must be Debian package names "
                                                 "([a-z0-9][a-z0-9+.-]+)");
        return 0;
}

CHECK_HANDLER(firewall_ruleset_sha256) {
        CheckParse *cp = userdata;
        const char *s;
        int r;

        r = policy_node_get_string(v, "ruleset-sha256", &s, reterr);
        if (r < 0)
                return r;
        if (strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64)
                return policy_node_error(reterr, v, "'ruleset-sha256' must be 64 lowercase hex digits");
        memcpy(cp->pp->ruleset_sha256, s, 65);
        return 0;
}

/* "tcp/22" or "udp/68": a protocol and a port from 1 to 65535, written canonically. */
static bool port_spec_valid(const char *s) {
        const char *n = s + 4;
        unsigned v = 0;

        if ((strncmp(s, "tcp/", 4) != 0 && strncmp(s, "udp/", 4) != 0) || !*n || *n == '0' || strlen(n) > 5 || strspn(n, "0123456789") != strlen(n))
                return false;
        for (; *n; n++)
                v = v * 10 + (unsigned) (*n - '0');
        return v <= 65535;
}

CHECK_HANDLER(ports_allow) {
        CheckParse *cp = userdata;
        int r;

        r = parse_string_list(v, "allow", true, false, &cp->pp->ports_allow, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; cp->pp->ports_allow[i]; i++)
                if (!port_spec_valid(cp->pp->ports_allow[i]))
                        return policy_node_error(reterr, v->type == POLICY_NODE_SEQUENCE ? v->items[i] : v,
                                                 "'allow' entries must be tcp/PORT or udp/PORT (1-65535), "
                                                 "e.g. tcp/22");
        return 0;
}

CHECK_HANDLER(ports_include_loopback) {
        CheckParse *cp = userdata;
        return policy_node_get_bool(v, "include-loopback", &cp->pp->include_loopback, reterr);
}

#define COMMON_KEYS                                     \
        { "action",       check_action },               \
        { "requirements", check_requirements },         \
        { "clause",       check_clause }

static const PolicyKeyTable time_sync_table[] = {
        COMMON_KEYS,
        { "max-offset", time_max_offset },
};

static const PolicyKeyTable disk_table[] = {
        COMMON_KEYS,
        { "paths", disk_paths },
        { "swap",  disk_swap },
        { "tpm",   disk_tpm },
};

static const PolicyKeyTable antivirus_table[] = {
        COMMON_KEYS,
        { "socket",             av_socket },
        { "max-definition-age", av_max_age },
        { "full-scan-interval", av_full_scan_interval },
        { "scan-paths",         av_scan_paths },
        { "scan-timeout",       av_scan_timeout },
        { "clamd-conf",         av_clamd_conf },
        { "on-access-paths",    av_on_access_paths },
        { "on-access-prevention", av_on_access_prevention },
        { "config-sha256",      av_config_sha256 },
        { "media-scan",         av_media_scan },
};

static const PolicyKeyTable os_release_table[] = {
        COMMON_KEYS,
        { "end-of-life", os_end_of_life, .required = true },
};

static const PolicyKeyTable screen_lock_table[] = {
        COMMON_KEYS,
        { "idle-max", lock_idle_max, .required = true },
        { "desktops", lock_desktops },
};

static const PolicyKeyTable updates_table[] = {
        COMMON_KEYS,
        { "max-pending", updates_max_pending },
        { "max-age",     updates_max_age },
};

static const PolicyKeyTable login_table[] = {
        COMMON_KEYS,
        { "second-factor", login_second_factor },
        { "max-attempts",  login_max_attempts },
        { "unlock-time",   login_unlock_time },
        { "min-length",    login_min_length },
        { "min-classes",   login_min_classes },
};

static const PolicyKeyTable software_table[] = {
        COMMON_KEYS,
        { "polkit-rule",     software_polkit_rule },
        { "denied-packages", software_denied_packages },
};

static const PolicyKeyTable firewall_table[] = {
        COMMON_KEYS,
        { "ruleset-sha256", firewall_ruleset_sha256, .required = true },
};

static const PolicyKeyTable ports_table[] = {
        COMMON_KEYS,
        { "allow",            ports_allow, .required = true },
        { "include-loopback", ports_include_loopback },
};

static const struct {
        const PolicyKeyTable *table;
        size_t n;
} check_tables[_POSTURE_CHECK_MAX] = {
        [POSTURE_CHECK_TIME_SYNC] = { time_sync_table, ELEMENTSOF(time_sync_table) },
        [POSTURE_CHECK_DISK_ENCRYPTION] = { disk_table, ELEMENTSOF(disk_table) },
        [POSTURE_CHECK_ANTIVIRUS] = { antivirus_table, ELEMENTSOF(antivirus_table) },
        [POSTURE_CHECK_OS_RELEASE] = { os_release_table, ELEMENTSOF(os_release_table) },
        [POSTURE_CHECK_SCREEN_LOCK] = { screen_lock_table, ELEMENTSOF(screen_lock_table) },
        [POSTURE_CHECK_UPDATES] = { updates_table, ELEMENTSOF(updates_table) },
        [POSTURE_CHECK_LOGIN] = { login_table, ELEMENTSOF(login_table) },
        [POSTURE_CHECK_SOFTWARE] = { software_table, ELEMENTSOF(software_table) },
        [POSTURE_CHECK_FIREWALL] = { firewall_table, ELEMENTSOF(firewall_table) },
        [POSTURE_CHECK_PORTS] = { ports_table, ELEMENTSOF(ports_table) },
};

/* The check's own IDs, and for antivirus those of the parts the policy turns on. */
static int default_requirements_copy(const PosturePolicy *pp, PostureCheckId id, char ***ret) {
        const char *ids[8];
        size_t n = 0;
        char **l;

        while (n < ELEMENTSOF(default_requirements[id]) && default_requirements[id][n]) {
                ids[n] = default_requirements[id][n];
                n++;
        }
        if (id == POSTURE_CHECK_ANTIVIRUS) {
                if (pp->full_scan_interval_usec > 0)
                        ids[n++] = "AV-03";
                if (pp->on_access_paths)
                        ids[n++] = "AV-04";
                if (pp->config_sha256)
                        ids[n++] = "CFG-02";
        }
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(l[i] = strdup(ids[i]))) {
                        policy_strv_free(l);
                        return -ENOMEM;
                }
        *ret = l;
        return 0;
}

static int check_parse(PosturePolicy *pp, const PolicyNode *k, const PolicyNode *v, PolicyError *reterr) {
        PostureCheckId id = posture_check_id_from_string(k->value);
        CheckParse cp;
        int r;

        if (id < 0)
                return policy_node_error(reterr, k, "unknown check '%s' (time-sync, disk-encryption, antivirus, "
                                         "os-release, screen-lock, updates, login, software, firewall, ports)", k->value);
        cp = (CheckParse) { .pp = pp, .id = id };
        pp->checks[id].enabled = true;
        r = policy_node_map_dispatch(v, k->value, check_tables[id].table, check_tables[id].n, &cp, reterr);
        if (r < 0)
                return r;
        if (pp->checks[id].action == POSTURE_ACTION_ENFORCE && !posture_check_can_enforce(id))
                return policy_node_error(reterr, cp.action_node,
                                         "check '%s' cannot enforce: use 'report' or 'quarantine'", k->value);
        if (id == POSTURE_CHECK_ANTIVIRUS && cp.on_access_given && !pp->on_access_paths) {
                static const char *const d[] = { "/media", "/run/media" };

                pp->on_access_paths = calloc(ELEMENTSOF(d) + 1, sizeof(char *));
                if (!pp->on_access_paths)
                        return -ENOMEM;
                for (size_t i = 0; i < ELEMENTSOF(d); i++)
                        if (!(pp->on_access_paths[i] = strdup(d[i])))
                                return -ENOMEM;
        }
        if (!pp->checks[id].requirements)
                return default_requirements_copy(pp, id, &pp->checks[id].requirements);
        return 0;
}

/* ---- the section ---- */

static int section_interval(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        PosturePolicy *pp = userdata;
        return parse_duration(v, "interval", &pp->interval_usec, reterr);
}

static int section_checks(const PolicyNode *k, const PolicyNode *v, void *userdata, PolicyError *reterr) {
        PosturePolicy *pp = userdata;
        int r;

        r = policy_node_check_mapping(v, "checks", reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < v->n_items; i++) {
                r = check_parse(pp, v->items[2 * i], v->items[2 * i + 1], reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int section_release_quarantine(const PolicyNode *k, const PolicyNode *v, void *userdata,
                                      PolicyError *reterr) {
        PosturePolicy *pp = userdata;
        return policy_node_get_bool(v, "release-quarantine", &pp->release_quarantine, reterr);
}

static const PolicyKeyTable section_table[] = {
        { "interval", section_interval },
        { "release-quarantine", section_release_quarantine },
        { "checks",   section_checks, .required = true },
};

PosturePolicy *posture_policy_free(PosturePolicy *pp) {
        if (!pp)
                return NULL;
        for (size_t i = 0; i < _POSTURE_CHECK_MAX; i++) {
                policy_strv_free(pp->checks[i].requirements);
                free(pp->checks[i].clause);
        }
        policy_strv_free(pp->paths);
        policy_strv_free(pp->desktops);
        policy_strv_free(pp->second_factor);
        policy_strv_free(pp->denied_packages);
        policy_strv_free(pp->ports_allow);
        free(pp->polkit_rule);
        free(pp->socket);
        policy_strv_free(pp->scan_paths);
        free(pp->clamd_conf);
        policy_strv_free(pp->on_access_paths);
        free(pp->config_sha256);
        free(pp);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(PosturePolicy *, posture_policy_free);

int posture_policy_parse_node(const PolicyNode *node, PosturePolicy **ret, PolicyError *reterr) {
        _cleanup_(posture_policy_freep) PosturePolicy *pp = NULL;
        int r;

        assert_return(node && ret, -EINVAL);

        pp = calloc(1, sizeof *pp);
        if (!pp)
                return -ENOMEM;
        *pp = (PosturePolicy) {
                .interval_usec = POSTURE_DEFAULT_INTERVAL_USEC,
                .max_offset_usec = POSTURE_DEFAULT_MAX_OFFSET_USEC,
                .swap = true,
                .max_definition_age_usec = POSTURE_DEFAULT_MAX_DEFINITION_AGE_USEC,
                .scan_timeout_usec = POSTURE_DEFAULT_SCAN_TIMEOUT_USEC,
                .media_scan = {
                        .action = POSTURE_MEDIA_SCAN_READ_ONLY,
                        .max_bytes = POSTURE_DEFAULT_MEDIA_SCAN_MAX_BYTES,
                        .max_files = POSTURE_DEFAULT_MEDIA_SCAN_MAX_FILES,
                        .timeout_usec = POSTURE_DEFAULT_MEDIA_SCAN_TIMEOUT_USEC,
                },
                .max_update_age_usec = POSTURE_DEFAULT_MAX_UPDATE_AGE_USEC,
                .max_attempts = POSTURE_DEFAULT_MAX_ATTEMPTS,
                .min_length = POSTURE_DEFAULT_MIN_LENGTH,
        };
        r = policy_node_map_dispatch(node, "posture", section_table, ELEMENTSOF(section_table), pp, reterr);
        if (r < 0)
                return r;
        if (!pp->paths) {
                pp->paths = calloc(2, sizeof(char *));
                if (!pp->paths || !(pp->paths[0] = strdup("/")))
                        return -ENOMEM;
        }
        if (!pp->socket && !(pp->socket = strdup(POSTURE_DEFAULT_CLAMD_SOCKET)))
                return -ENOMEM;
        if (!pp->clamd_conf && !(pp->clamd_conf = strdup(POSTURE_DEFAULT_CLAMD_CONF)))
                return -ENOMEM;
        if (!pp->scan_paths) {
                pp->scan_paths = calloc(2, sizeof(char *));
                if (!pp->scan_paths || !(pp->scan_paths[0] = strdup("/home")))
                        return -ENOMEM;
        }
        if (!pp->polkit_rule && !(pp->polkit_rule = strdup(POSTURE_DEFAULT_SOFTWARE_RULE)))
                return -ENOMEM;
        *ret = TAKE_PTR(pp);
        return 0;
}

static void posture_policy_free_void(void *pp) {
        posture_policy_free(pp);
}

/* One `posture:` section per policy. */
int policy_posture_parse(Policy *p, const PolicyNode *node, PolicyError *reterr) {
        PosturePolicy *pp = NULL;
        int r;

        assert_return(p && node, -EINVAL);

        if (p->posture)
                return policy_node_error(reterr, node,
                                         "duplicate 'posture' section (only one is allowed per policy)");
        r = posture_policy_parse_node(node, &pp, reterr);
        if (r < 0)
                return r;
        p->posture = pp;
        p->posture_free = posture_policy_free_void;
        return 0;
}

void policy_posture_finish(Policy *p) {
        PosturePolicy *pp = p ? p->posture : NULL;

        if (!pp || !p->audit_only)
                return;
        for (size_t i = 0; i < _POSTURE_CHECK_MAX; i++)
                pp->checks[i].action = POSTURE_ACTION_REPORT;
}

const PosturePolicy *policy_get_posture(const Policy *p) {
        return p ? p->posture : NULL;
}
