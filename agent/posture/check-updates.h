/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* updates (PAT-01): pending security updates and the age of the oldest, from apt's own data: the
 * dpkg status file and the Packages indices in apt's lists whose Release file is a security
 * archive's. Versions are compared by libdpkg, as dpkg compares them. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "posture.h"

/* One installed package (dpkg status "install ok installed"). */
typedef struct UpdatesPackage {
        char *name, *arch, *installed;
        char *candidate;                /* the newest version a security index lists; NULL: none newer */
        time_t listed;                  /* mtime of the oldest index that lists a newer version */
} UpdatesPackage;

typedef struct UpdatesState {
        int status_error;               /* 0, or negative errno reading the dpkg status file */
        UpdatesPackage *packages;       /* sorted by name, then architecture */
        size_t n_packages;
        size_t n_indices;               /* security Packages indices read */
        size_t n_unreadable;            /* security indices that could not be read */
        time_t lists_updated;           /* newest mtime of a security Release file; 0: none */
} UpdatesState;

/* Reads the installed packages from dpkg status data into s (replacing what it had). Pure.
 * Returns 0 or -ENOMEM. */
int updates_status_parse(UpdatesState *s, const char *data, size_t size);
/* Whether Release (or InRelease) data describes a security archive: `Label: Debian-Security`, or
 * an Origin, Label, Suite or Codename containing "-security". Pure. */
bool updates_release_is_security(const char *data, size_t size);
/* Marks every installed package that the Packages index data lists in a newer version (same
 * name and architecture) as pending, with the index's mtime. Pure. Returns 0 or -ENOMEM. */
int updates_index_apply(UpdatesState *s, const char *data, size_t size, time_t mtime);
/* How many packages are pending, and the oldest listing time among them (0: none). */
size_t updates_pending(const UpdatesState *s, time_t *ret_oldest);

/* Reads root/var/lib/dpkg/status and root/var/lib/apt/lists/ (root "" or NULL: the real
 * system). Never fails but for -ENOMEM: what could not be read is recorded in ret. */
int updates_probe(const char *root, UpdatesState *ret);
void updates_state_done(UpdatesState *s);

/* Fail when more than max_pending security updates are pending, when the oldest has been listed
 * longer than max_age_usec, or when no security index was read at all; unknown when the
 * installed packages could not be read, or no security index could be read but some exist.
 * Returns 0 or -ENOMEM. */
int updates_verdict(const UpdatesState *s, unsigned max_pending, uint64_t max_age_usec, time_t now,
                    PostureResult *r);
