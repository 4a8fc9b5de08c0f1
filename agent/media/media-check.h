/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The block-layer check of registered USB media: every partition (or the whole
 * disk, when it has no partition table) must be LUKS1, LUKS2 or BitLocker, and
 * where the medium's registration names LUKS UUIDs, every LUKS volume must carry
 * one of them. Probing is done with libblkid on an open file descriptor, so the
 * same code checks /dev/sdX and plain image files. Nothing here logs. */

#include <stdbool.h>
#include <stddef.h>

/* More partitions than this are refused outright (GPT's usual table holds 128). */
#define MEDIA_MAX_VOLUMES 256

typedef enum MediaFailure {
        MEDIA_FAILURE_NONE,             /* passed */
        MEDIA_FAILURE_UNENCRYPTED,      /* a volume is not LUKS1/LUKS2/BitLocker */
        MEDIA_FAILURE_LUKS_UUID,        /* a LUKS UUID is not one the registration names */
        MEDIA_FAILURE_NOT_LUKS,         /* UUIDs are registered, but a volume is BitLocker */
        MEDIA_FAILURE_AMBIGUOUS,        /* several signatures on one volume */
        MEDIA_FAILURE_TOO_MANY,         /* more than MEDIA_MAX_VOLUMES partitions */
        _MEDIA_FAILURE_MAX,
        _MEDIA_FAILURE_INVALID = -22,
} MediaFailure;

typedef struct MediaVerdict {
        MediaFailure failure;
        unsigned n_volumes;             /* volumes checked (partitions, or 1 for a whole disk) */
        unsigned partition;             /* failing partition number; 0 = the whole disk */
        char type[32];                  /* what the failing volume holds ("vfat"; "" = nothing known) */
        char uuid[64];                  /* the failing volume's UUID, if any */
} MediaVerdict;

/* Checks the medium open on fd (a block device or an image file).
 * luks_uuids: NULL-terminated list of registered LUKS UUIDs, or NULL/empty for "any".
 * Returns 0 and fills *ret (passed or not: see ret->failure); a negative errno when the
 * medium cannot be read (-EIO, -ENXIO, ... e.g. unplugged while being probed). */
int media_check_fd(int fd, const char *const *luks_uuids, MediaVerdict *ret);

/* Same, opening devnode (e.g. "/dev/sdb") read-only first. */
int media_check_block(const char *devnode, const char *const *luks_uuids, MediaVerdict *ret);

/* Marks the block device devnode and each of its partitions read-only (BLKROSET),
 * using sysfs under sysfs_root (NULL = "/sys") to find the partitions.
 * Returns 0, or a negative errno from the first node that could not be set. */
int media_set_read_only(const char *devnode, const char *sysfs_root);
/* Same, setting (ro) or clearing (!ro) the flag: a medium whose virus scan came out clean is made
 * writable again this way. */
int media_set_read_only_mode(const char *devnode, const char *sysfs_root, bool ro);

/* A plain-words reason for a failed verdict, translated with gettext, in buf.
 * Returns buf. */
char *media_verdict_reason(const MediaVerdict *v, char *buf, size_t size);

/* Stable identifiers for records ("unencrypted", "luks-uuid", ...), and back. */
const char *media_failure_to_string(MediaFailure f);
MediaFailure media_failure_from_string(const char *s);
