/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* software (SW-01, SW-02): the polkit rule that keeps staff from installing software is the one
 * mamori ships (its SHA-256), no denied package is installed, and the inventory of what is
 * installed (dpkg packages, flatpak apps, snaps) for the report. */

#include <stddef.h>

#include "check-updates.h"
#include "hash.h"
#include "posture.h"

typedef struct SoftwareState {
        char *rule_path;
        int rule_error;                 /* 0, or negative errno reading the rule */
        char rule_sha256[SHA256_HEX_SIZE];
        UpdatesState dpkg;              /* the installed packages (status_error, packages) */
        char **flatpaks;                /* NULL-terminated app IDs; NULL: no flatpak directory */
        char **snaps;                   /* NULL-terminated "NAME_REVISION"; NULL: no snapd directory */
} SoftwareState;

/* Reads the rule at root+rule_path, root/var/lib/dpkg/status, root/var/lib/flatpak/app/ and
 * root/var/lib/snapd/snaps/NAME_REV.snap (root "" or NULL: the real system). Never fails but for
 * -ENOMEM. */
int software_probe(const char *root, const char *rule_path, SoftwareState *ret);
void software_state_done(SoftwareState *s);

/* Fail when the rule is missing or its SHA-256 is not expected_sha256 (hex), or a package of
 * denied (NULL-terminated, may be NULL) is installed; unknown when the installed packages could
 * not be read; pass otherwise. The evidence holds the whole inventory. Returns 0 or -ENOMEM. */
int software_verdict(const SoftwareState *s, const char *expected_sha256, char *const *denied, PostureResult *r);
