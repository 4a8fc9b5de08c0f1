/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* login (AUTH-01, AUTH-02, AUTH-03): the PAM stacks a login goes through (common-auth and
 * common-password, following @include, include and substack) for a second factor, pam_faillock
 * (with /etc/security/faillock.conf) and pam_pwquality (with /etc/security/pwquality.conf and
 * pwquality.conf.d/). */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "posture.h"

typedef enum PamType {
        PAM_TYPE_AUTH,
        PAM_TYPE_PASSWORD,
        PAM_TYPE_OTHER,                 /* account, session */
} PamType;

/* One module line of a PAM stack file. */
typedef struct PamEntry {
        PamType type;
        char *control;                  /* "required", "[success=1 default=ignore]" ... */
        char *module;                   /* basename without ".so": "pam_unix" */
        char **args;                    /* NULL-terminated */
} PamEntry;

/* What PAM's config files say about one line: a module, an inclusion, or nothing. */
typedef struct PamLine {
        PamEntry entry;                 /* module NULL: no module line */
        char *include;                  /* "@include NAME" or "TYPE include|substack NAME" */
        PamType include_type;           /* the included lines' type filter; PAM_TYPE_OTHER: all */
} PamLine;

/* key = value settings of faillock.conf or pwquality.conf: -1 when not set. */
typedef struct LoginSettings {
        long deny, unlock_time;                                 /* faillock */
        long minlen, minclass, dcredit, ucredit, lcredit, ocredit;      /* pwquality */
} LoginSettings;

#define LOGIN_SETTINGS_NONE \
        ((LoginSettings) { -1, -1, -1, -1, LONG_MIN, LONG_MIN, LONG_MIN, LONG_MIN })

typedef struct LoginState {
        int error;                      /* 0, or negative errno reading common-auth or common-password */
        char *error_file;
        PamEntry *entries;              /* the auth and password lines, includes resolved, in order */
        size_t n_entries;
        LoginSettings faillock_conf, pwquality_conf;
} LoginState;

/* Parses one line of a PAM file (comments and a trailing backslash already joined). Pure.
 * Returns 0 (ret->entry.module NULL and ret->include NULL for a blank or unusable line) or
 * -ENOMEM. */
int pam_line_parse(const char *line, PamLine *ret);
void pam_line_done(PamLine *l);
/* Reads "key = value" lines (faillock.conf(5), pwquality.conf(5)) into s; unknown keys and
 * bad values are ignored, a bare "never" for unlock_time is 0. Pure. */
void login_settings_parse(const char *data, size_t size, LoginSettings *s);
/* Appends the module lines of a PAM file's text to s, calling include() for each inclusion.
 * Pure but for the callback. Returns 0, -ENOMEM, or what include() returned. */
typedef int (*PamIncludeFunc)(const char *name, PamType filter, void *userdata);
int pam_file_parse(const char *data, size_t size, PamType filter, LoginState *s, PamIncludeFunc include,
                   void *userdata);

/* Reads root/etc/pam.d/common-auth and common-password (includes up to 8 deep) and
 * root/etc/security/{faillock,pwquality}.conf (root "" or NULL: the real system). Never fails but
 * for -ENOMEM. */
int login_probe(const char *root, LoginState *ret);
void login_state_done(LoginState *s);

/* The verdict: AUTH-01 when second_factor (NULL-terminated) is given and none of its modules
 * is in the auth stack as required or requisite; AUTH-02 when pam_faillock is missing, or its
 * deny is 0 or above max_attempts, or its unlock_time is shorter than unlock_time_usec (when not
 * 0); AUTH-03 when pam_pwquality is missing from the password stack or lets passwords shorter
 * than min_length, or with fewer than min_classes classes (when not 0). Unknown when the stacks
 * could not be read. Returns 0 or -ENOMEM. */
int login_verdict(const LoginState *s, char *const *second_factor, unsigned max_attempts,
                  uint64_t unlock_time_usec, unsigned min_length, unsigned min_classes, PostureResult *r);
