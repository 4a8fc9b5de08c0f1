/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The media scan in the agent: the mount watch and the child process (media-scan-job.h). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "media-scan-job.h"

#define SCAN_GRACE_USEC (5 * USEC_PER_SEC)
#define STACK_MAX_DEPTH 4

_Static_assert(sizeof(MediaScanResult) <= PIPE_BUF, "the child's result must fit one pipe write");

struct MediaScanJob {
        sd_event *event;
        char *disk_syspath;
        char *socket;
        char *mountpoint;               /* once found */
        MediaScanLimits limits;
        MediaScanDoneFn done;
        void *userdata;
        int mountinfo_fd;
        sd_event_source *mount_source;
        sd_event_source *defer;         /* the first look at the mount table */
        pid_t pid;
        int fd;                         /* read end of the result pipe */
        sd_event_source *io_source;
        sd_event_source *timer;
        bool finished;
};

static bool path_at_or_under(const char *path, const char *dir) {
        size_t n = strlen(dir);

        return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static bool syspath_on_disk(const char *syspath, const char *disk, unsigned depth) {
        _cleanup_free_ char *slaves = NULL;
        DIR *d;
        struct dirent *de;
        bool found = false;

        if (path_at_or_under(syspath, disk))
                return true;
        if (depth >= STACK_MAX_DEPTH || asprintf(&slaves, "%s/slaves", syspath) < 0)
                return false;
        d = opendir(slaves);
        if (!d)
                return false;
        while (!found && (de = readdir(d))) {
                _cleanup_free_ char *link = NULL;
                char real[PATH_MAX];

                if (de->d_name[0] == '.' || asprintf(&link, "%s/%s", slaves, de->d_name) < 0)
                        continue;
                if (realpath(link, real))
                        found = syspath_on_disk(real, disk, depth + 1);
        }
        closedir(d);
        return found;
}

bool media_scan_devno_on_disk(dev_t devno, const char *disk_syspath, const char *sysfs_root) {
        char path[128], real[PATH_MAX], disk[PATH_MAX];

        if (major(devno) == 0)
                return false;           /* tmpfs, overlay, ...: no block device */
        snprintf(path, sizeof path, "%s/dev/block/%u:%u", sysfs_root ?: "/sys", major(devno), minor(devno));
        if (!realpath(path, real) || !realpath(disk_syspath, disk))
                return false;
        return syspath_on_disk(real, disk, 0);
}

static void job_finish(MediaScanJob *j, const MediaScanResult *res) {
        if (j->finished)
                return;
        j->finished = true;
        j->timer = sd_event_source_disable_unref(j->timer);
        j->done(j->userdata, res, j->mountpoint);       /* may free j */
}

static int on_result(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        MediaScanJob *j = ASSERT_PTR(userdata);
        MediaScanResult res = {};
        ssize_t n;
        int status = 0;

        n = read(fd, &res, sizeof res);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n == (ssize_t) sizeof res) {
                job_finish(j, &res);
                return 0;               /* EOF follows when the child exits (or j is gone) */
        }
        /* EOF, a short read or an error: the child is gone. */
        j->io_source = sd_event_source_disable_unref(j->io_source);
        if (j->pid > 0 && waitpid(j->pid, &status, 0) == j->pid)
                j->pid = 0;
        if (!j->finished) {
                res = (MediaScanResult) { .status = MEDIA_SCAN_UNREADABLE, .error = ECHILD };
                snprintf(res.where, sizeof res.where, "%s", j->mountpoint ?: "");
                job_finish(j, &res);
        }
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        MediaScanJob *j = ASSERT_PTR(userdata);
        MediaScanResult res = { .status = MEDIA_SCAN_TIMEOUT, .usec = j->limits.timeout_usec + SCAN_GRACE_USEC };

        if (j->pid > 0)
                (void) kill(j->pid, SIGKILL);   /* reaped when its pipe closes */
        snprintf(res.where, sizeof res.where, "%s", j->mountpoint ?: "");
        job_finish(j, &res);
        return 0;
}

_noreturn_ static void scan_child(int fd, const char *mountpoint, const MediaScanLimits *limits, const char *sock) {
        MediaScanResult res = {};
        sigset_t none;
        int dfd;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        (void) prctl(PR_SET_NAME, "mamorid-scan");
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        if (fd > 3)
                (void) close_range(3, fd - 1, 0);
        (void) close_range(fd + 1, ~0U, 0);

        dfd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                res = (MediaScanResult) { .status = MEDIA_SCAN_UNREADABLE, .error = errno };
        else
                (void) media_scan_tree(dfd, limits, sock, &res);
        if (write(fd, &res, sizeof res) != (ssize_t) sizeof res)
                _exit(1);
        _exit(0);
}

static int scan_start(MediaScanJob *j) {
        int p[2], r;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        j->pid = fork();
        if (j->pid < 0) {
                r = -errno;
                j->pid = 0;
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (j->pid == 0) {
                close(p[0]);
                scan_child(p[1], j->mountpoint, &j->limits, j->socket);
        }
        close(p[1]);
        j->fd = p[0];
        r = sd_event_add_io(j->event, &j->io_source, j->fd, EPOLLIN, on_result, j);
        if (r < 0)
                return r;
        return sd_event_add_time_relative(j->event, &j->timer, CLOCK_MONOTONIC,
                                          j->limits.timeout_usec + SCAN_GRACE_USEC, 0, on_timeout, j);
}

/* Looks for a mount of the disk; starts the scan on the first one found. */
static int look_for_mount(MediaScanJob *j) {
        struct libmnt_table *t;
        struct libmnt_iter *it;
        struct libmnt_fs *fs;
        int r = 0;

        t = mnt_new_table_from_file("/proc/self/mountinfo");
        if (!t)
                return -errno ?: -EIO;
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it) {
                mnt_unref_table(t);
                return -ENOMEM;
        }
        while (mnt_table_next_fs(t, it, &fs) == 0) {
                const char *target = mnt_fs_get_target(fs);

                if (!target || !media_scan_devno_on_disk(mnt_fs_get_devno(fs), j->disk_syspath, NULL))
                        continue;
                j->mountpoint = strdup(target);
                if (!j->mountpoint) {
                        r = -ENOMEM;
                        break;
                }
                r = 1;
                break;
        }
        mnt_free_iter(it);
        mnt_unref_table(t);
        return r;
}

static int check_mounts(MediaScanJob *j) {
        int r = look_for_mount(j);

        if (r <= 0)
                return r;
        /* Found: the watch ends here; a second mount of the same medium is the same data. */
        j->mount_source = sd_event_source_disable_unref(j->mount_source);
        j->mountinfo_fd = safe_close(j->mountinfo_fd);
        log_info("%s: scanning %s for viruses", j->disk_syspath, j->mountpoint);
        r = scan_start(j);
        if (r < 0) {
                MediaScanResult res = { .status = MEDIA_SCAN_UNREADABLE, .error = -r };

                log_error_errno(r, "cannot start the virus scan of %s: %m", j->mountpoint);
                job_finish(j, &res);
        }
        return 1;
}

static int on_mount_change(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        MediaScanJob *j = ASSERT_PTR(userdata);
        int r;

        /* POLLPRI stays raised until the file is read again from the start. */
        (void) lseek(fd, 0, SEEK_SET);
        r = check_mounts(j);
        if (r < 0)
                log_warning_errno(r, "cannot read the mount table: %m");
        return 0;
}

static int on_first_look(sd_event_source *s, void *userdata) {
        MediaScanJob *j = ASSERT_PTR(userdata);

        j->defer = sd_event_source_disable_unref(j->defer);
        if (j->mount_source)
                (void) check_mounts(j);
        return 0;
}

int media_scan_job_new(sd_event *event, const char *disk_syspath, const MediaScanLimits *limits,
                       const char *socket_path, MediaScanDoneFn done, void *userdata, MediaScanJob **ret) {
        MediaScanJob *j = calloc(1, sizeof *j);
        char drain[4096];
        int r;

        if (!j)
                return -ENOMEM;
        *j = (MediaScanJob) {
                .event = sd_event_ref(event),
                .disk_syspath = strdup(disk_syspath),
                .socket = strdup(socket_path),
                .limits = *limits,
                .done = done,
                .userdata = userdata,
                .mountinfo_fd = -EBADF,
                .fd = -EBADF,
        };
        if (!j->disk_syspath || !j->socket) {
                media_scan_job_free(j);
                return -ENOMEM;
        }
        j->mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (j->mountinfo_fd < 0) {
                r = -errno;
                goto fail;
        }
        while (read(j->mountinfo_fd, drain, sizeof drain) > 0)
                ;       /* read once: from here on POLLPRI means a change */
        r = sd_event_add_io(event, &j->mount_source, j->mountinfo_fd, EPOLLPRI, on_mount_change, j);
        if (r < 0)
                goto fail;
        /* Mounted already? Looked at from the loop, so done never runs before the caller has j. */
        r = sd_event_add_defer(event, &j->defer, on_first_look, j);
        if (r < 0)
                goto fail;
        *ret = j;
        return 0;
fail:
        media_scan_job_free(j);
        return r;
}

MediaScanJob *media_scan_job_free(MediaScanJob *j) {
        if (!j)
                return NULL;
        sd_event_source_disable_unref(j->mount_source);
        sd_event_source_disable_unref(j->defer);
        sd_event_source_disable_unref(j->io_source);
        sd_event_source_disable_unref(j->timer);
        safe_close(j->mountinfo_fd);
        if (j->pid > 0) {
                /* Never a blocking wait: a child stuck in I/O on a bad medium must not stop the agent. */
                (void) kill(j->pid, SIGKILL);
                (void) waitpid(j->pid, NULL, WNOHANG);
        }
        safe_close(j->fd);
        sd_event_unref(j->event);
        free(j->disk_syspath);
        free(j->socket);
        free(j->mountpoint);
        free(j);
        return NULL;
}
