/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* disk-encryption (DAT-01): the block devices under the policy's paths and every swap area, down
 * their device-mapper stacks in sysfs, and whether a TPM is present. */

#include <stdbool.h>
#include <stddef.h>

#include "posture.h"

/* One block device stack, top first. */
typedef struct DiskStack {
        bool on_block_device;           /* false: overlay, tmpfs, ... (major 0 and no /dev source) */
        unsigned major, minor;
        char *top;                      /* kernel name of the top device ("dm-0"); NULL when none */
        char *layers;                   /* "dm-0 <- sda2", or "dm-2 <- [dm-0 <- sda2, sdb1]" */
        bool encrypted;                 /* every path from top to bottom passes a CRYPT- device */
        int error;                      /* negative errno when sysfs could not be read */
} DiskStack;

typedef struct DiskMount {
        char *path;                     /* as in the policy */
        char *mount_point;              /* the mount holding it; NULL when none was found */
        char *fstype, *source;
        DiskStack stack;
} DiskMount;

typedef struct DiskSwap {
        char *name;                     /* /proc/swaps Filename */
        char *type;                     /* "partition", "file" */
        DiskStack stack;
} DiskSwap;

typedef struct DiskState {
        int mountinfo_error;            /* negative errno: mountinfo unreadable */
        DiskMount *mounts;
        size_t n_mounts;
        int swaps_error;                /* negative errno: /proc/swaps unreadable */
        DiskSwap *swaps;
        size_t n_swaps;
        bool tpm_present;
} DiskState;

/* Probes the paths (NULL-terminated) below root ("" or NULL for the real system; a fixture tree
 * holding proc/self/mountinfo, proc/swaps, sys/dev/block, sys/class/block and sys/class/tpm in
 * tests). Never fails but for -ENOMEM: what could not be read is recorded in the state. */
int disk_encryption_probe(const char *root, char *const *paths, DiskState *ret);
void disk_state_done(DiskState *s);

/* The verdict: fail when a path is not on an encrypted block device, when want_swap and a swap
 * area is not encrypted, when want_tpm and no TPM is present; unknown when mountinfo could not be
 * read; pass otherwise. Returns 0 or -ENOMEM. */
int disk_encryption_verdict(const DiskState *s, bool want_swap, bool want_tpm, PostureResult *r);

/* Parses one line of /proc/self/mountinfo: major, minor, mount point (unescaped), fstype, source.
 * Returns 0, or -EINVAL for a malformed line. Strings are malloc'ed; pure. */
int mountinfo_parse_line(const char *line, unsigned *ret_major, unsigned *ret_minor, char **ret_mount_point,
                         char **ret_fstype, char **ret_source);
