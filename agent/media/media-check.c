/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <blkid.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "i18n.h"
#include "macro.h"
#include "media-check.h"
#include "string-table.h"

static const char *const media_failure_table[_MEDIA_FAILURE_MAX] = {
        [MEDIA_FAILURE_NONE] = "none",
        [MEDIA_FAILURE_UNENCRYPTED] = "unencrypted",
        [MEDIA_FAILURE_LUKS_UUID] = "luks-uuid",
        [MEDIA_FAILURE_NOT_LUKS] = "not-luks",
        [MEDIA_FAILURE_AMBIGUOUS] = "ambiguous",
        [MEDIA_FAILURE_TOO_MANY] = "too-many-partitions",
};

DEFINE_STRING_TABLE(media_failure, MediaFailure);

DEFINE_TRIVIAL_CLEANUP_FUNC(blkid_probe, blkid_free_probe);
#define _cleanup_blkid_ _cleanup_(blkid_free_probep)
DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

static bool uuid_registered(const char *uuid, const char *const *luks_uuids) {
        for (const char *const *u = luks_uuids; *u; u++)
                if (strcasecmp(*u, uuid) == 0)
                        return true;
        return false;
}

static void verdict_fail(MediaVerdict *v, MediaFailure f, unsigned partition, const char *type,
                         const char *uuid) {
        v->failure = f;
        v->partition = partition;
        snprintf(v->type, sizeof v->type, "%s", type ?: "");
        snprintf(v->uuid, sizeof v->uuid, "%s", uuid ?: "");
}

/* Probes one volume (the whole medium or one partition, given by offset and size)
 * for filesystem/crypto signatures and records the first failure in *v.
 * Returns 0 (checked), or a negative errno when it could not be read. */
static int check_volume(int fd, blkid_loff_t offset, blkid_loff_t size, unsigned partition,
                        const char *const *luks_uuids, MediaVerdict *v) {
        _cleanup_blkid_ blkid_probe pr = NULL;
        const char *type = NULL, *uuid = NULL;
        int r;

        pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, offset, size) < 0)
                return errno > 0 ? -errno : -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID);
        blkid_probe_enable_partitions(pr, 0);

        /* -2: ambiguous; other errors are -1 and errno, or the negative errno itself (libblkid
         * 2.38 returns a failed read's -EIO so). */
        errno = 0;
        r = blkid_do_safeprobe(pr);
        if (r == -1)
                return errno > 0 ? -errno : -EIO;
        if (r < 0 && r != -2)
                return r;

        v->n_volumes++;
        if (v->failure != MEDIA_FAILURE_NONE)
                return 0;

        if (r == -2) {          /* several signatures: do not guess which the kernel would use */
                verdict_fail(v, MEDIA_FAILURE_AMBIGUOUS, partition, NULL, NULL);
                return 0;
        }
        if (r == 0) {
                (void) blkid_probe_lookup_value(pr, "TYPE", &type, NULL);
                (void) blkid_probe_lookup_value(pr, "UUID", &uuid, NULL);
        }

        if (streq_ptr(type, "crypto_LUKS")) {
                if (luks_uuids && *luks_uuids && (!uuid || !uuid_registered(uuid, luks_uuids)))
                        verdict_fail(v, MEDIA_FAILURE_LUKS_UUID, partition, type, uuid);
                return 0;
        }
        if (streq_ptr(type, "BitLocker")) {
                if (luks_uuids && *luks_uuids)
                        verdict_fail(v, MEDIA_FAILURE_NOT_LUKS, partition, type, uuid);
                return 0;
        }
        verdict_fail(v, MEDIA_FAILURE_UNENCRYPTED, partition, type, uuid);
        return 0;
}

/* Whether the medium still answers: one read of its first block, past the page cache. An
 * unplugged disk's reads fail, or return no bytes as if past its end, and libblkid takes a
 * read that returned nothing for an absent signature. Once a device's reads stop being
 * answered none of them are, so one read after the probes tells whether every read before it
 * was answered. */
static int medium_answers(int fd) {
        uint8_t buf[4096];
        ssize_t n;

        (void) posix_fadvise(fd, 0, sizeof buf, POSIX_FADV_DONTNEED);
        n = pread(fd, buf, sizeof buf, 0);
        if (n < 0)
                return -errno;
        if (n == 0)
                return -ENXIO;
        return 0;
}

static int check_volumes(int fd, const char *const *luks_uuids, MediaVerdict *ret) {
        _cleanup_blkid_ blkid_probe pr = NULL;
        MediaVerdict v = {};
        blkid_partlist parts;
        int n = 0, r;

        /* First the partition table alone, as the kernel will read it: when there is one,
         * every partition is a volume someone could mount, whatever sits at offset 0. */
        pr = blkid_new_probe();
        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return errno > 0 ? -errno : -EIO;
        blkid_probe_enable_superblocks(pr, 0);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);

        errno = 0;
        r = blkid_do_fullprobe(pr);
        if (r < 0)
                return errno > 0 ? -errno : -EIO;

        parts = r == 0 ? blkid_probe_get_partitions(pr) : NULL;
        if (parts)
                n = blkid_partlist_numof_partitions(parts);
        if (n < 0)
                return -EIO;
        if (n > MEDIA_MAX_VOLUMES) {
                verdict_fail(&v, MEDIA_FAILURE_TOO_MANY, 0, NULL, NULL);
                *ret = v;
                return 0;
        }

        if (n == 0) {
                /* No partitions: the whole disk is the one volume. */
                r = check_volume(fd, 0, 0, 0, luks_uuids, &v);
                if (r < 0)
                        return r;
                *ret = v;
                return 0;
        }

        for (int i = 0; i < n; i++) {
                blkid_partition p = blkid_partlist_get_partition(parts, i);
                blkid_loff_t sector = 512;

                if (!p)
                        return -EIO;
                /* The extended container of an MBR only holds the logical partitions,
                 * which are listed on their own. */
                if (blkid_partition_is_extended(p))
                        continue;
                r = check_volume(fd, blkid_partition_get_start(p) * sector,
                                 blkid_partition_get_size(p) * sector,
                                 (unsigned) blkid_partition_get_partno(p), luks_uuids, &v);
                if (r < 0)
                        return r;
        }

        *ret = v;
        return 0;
}

int media_check_fd(int fd, const char *const *luks_uuids, MediaVerdict *ret) {
        MediaVerdict v;
        int r;

        assert_return(fd >= 0, -EBADF);
        assert_return(ret, -EINVAL);

        r = check_volumes(fd, luks_uuids, &v);
        if (r < 0)
                return r;
        r = medium_answers(fd);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int media_check_block(const char *devnode, const char *const *luks_uuids, MediaVerdict *ret) {
        _cleanup_close_ int fd = -EBADF;

        assert_return(devnode, -EINVAL);
        assert_return(ret, -EINVAL);

        fd = open(devnode, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        return media_check_fd(fd, luks_uuids, ret);
}

static int set_read_only_node(const char *devnode, bool ro) {
        _cleanup_close_ int fd = -EBADF;
        int one = ro;

        fd = open(devnode, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (ioctl(fd, BLKROSET, &one) < 0)
                return -errno;
        return 0;
}

int media_set_read_only(const char *devnode, const char *sysfs_root) {
        return media_set_read_only_mode(devnode, sysfs_root, true);
}

int media_set_read_only_mode(const char *devnode, const char *sysfs_root, bool ro) {
        _cleanup_(closedirp) DIR *d = NULL;
        char path[512];
        const char *name;
        struct dirent *de;
        int r;

        assert_return(devnode, -EINVAL);

        /* The whole disk first: a partition's own flag is separate from the disk's
         * (BLKROSET on sdb does not cover sdb1), so each node is set on its own. */
        r = set_read_only_node(devnode, ro);
        if (r < 0)
                return r;

        name = strrchr(devnode, '/');
        name = name ? name + 1 : devnode;
        snprintf(path, sizeof path, "%s/class/block/%s", sysfs_root ?: "/sys", name);
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char rel[300], node[300];

                if (strncmp(de->d_name, name, strlen(name)) != 0)
                        continue;
                snprintf(rel, sizeof rel, "%s/partition", de->d_name);
                if (faccessat(dirfd(d), rel, F_OK, 0) < 0)
                        continue;
                snprintf(node, sizeof node, "/dev/%s", de->d_name);
                r = set_read_only_node(node, ro);
                if (r < 0)
                        return r;
        }
        return 0;
}

char *media_verdict_reason(const MediaVerdict *v, char *buf, size_t size) {
        const char *what;

        assert(v);
        assert(buf);

        what = isempty(v->type) ? _("no recognisable data") : v->type;
        switch (v->failure) {
        case MEDIA_FAILURE_NONE:
                snprintf(buf, size, "%s", _("All volumes are encrypted"));
                break;
        case MEDIA_FAILURE_UNENCRYPTED:
                if (v->partition == 0)
                        snprintf(buf, size, _("The medium is not encrypted (found: %s)"), what);
                else
                        snprintf(buf, size, _("Partition %u is not encrypted (found: %s)"),
                                 v->partition, what);
                break;
        case MEDIA_FAILURE_LUKS_UUID:
                if (v->partition == 0)
                        snprintf(buf, size, _("The LUKS UUID %s is not the one registered for this medium"),
                                 isempty(v->uuid) ? "?" : v->uuid);
                else
                        snprintf(buf, size,
                                 _("The LUKS UUID %s on partition %u is not the one registered for this medium"),
                                 isempty(v->uuid) ? "?" : v->uuid, v->partition);
                break;
        case MEDIA_FAILURE_NOT_LUKS:
                snprintf(buf, size, _("Partition %u is BitLocker, but this medium is registered with LUKS UUIDs"),
                         v->partition);
                break;
        case MEDIA_FAILURE_AMBIGUOUS:
                snprintf(buf, size, _("Partition %u carries several conflicting signatures"), v->partition);
                break;
        case MEDIA_FAILURE_TOO_MANY:
                snprintf(buf, size, _("The medium has more than %d partitions"), MEDIA_MAX_VOLUMES);
                break;
        case _MEDIA_FAILURE_MAX:
        case _MEDIA_FAILURE_INVALID:
                snprintf(buf, size, "%s", _("The medium could not be checked"));
                break;
        }
        return buf;
}
