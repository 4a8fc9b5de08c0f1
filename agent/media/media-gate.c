/* SPDX-License-Identifier: GPL-2.0-or-later */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <unistd.h>

#include "audit.h"
#include "usb-sysfs.h"
#include "fileio.h"
#include "i18n.h"
#include "log.h"
#include "macro.h"
#include "media-gate.h"
#include "media-check.h"
#include "media-scan-job.h"
#include "quarantine-file.h"
#include "udev-util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

typedef enum JobKind {
        JOB_WAIT_DISK,          /* a storage interface was authorized: its disk should appear */
        JOB_CHECK,              /* a child process is checking a disk */
        JOB_SCAN,               /* a released disk waits for its mount, then for its virus scan */
} JobKind;

typedef struct MediaJob MediaJob;

struct MediaJob {
        MediaJob *next;
        MediaGate *gate;
        JobKind kind;
        char *usb_syspath;      /* the usb_device */
        uint64_t device_seq;    /* Device.seq: the same syspath may be a new device by the end */
        uint64_t diskseq;       /* JOB_CHECK: the medium checked (the disk's sequence number) */
        char *intf_syspath;     /* the storage interface */
        char *disk_syspath;     /* JOB_CHECK: the disk */
        char *disk_name;
        uint64_t policy_generation; /* JOB_CHECK: the policy the registered UUIDs came from */
        pid_t pid;              /* JOB_CHECK: the child, 0 once reaped */
        int fd;                 /* JOB_CHECK: read end of the result pipe */
        bool decided;           /* JOB_CHECK: the outcome was acted on; only the child is left to reap */
        MediaScanJob *scan;     /* JOB_SCAN: the mount watch and the scan (media-scan-job.h) */
        bool registered_ro;     /* JOB_SCAN: the registration is read-only: never made writable */
        PostureMediaScanAction scan_action; /* JOB_SCAN: the policy's action for an unfinished scan */
        sd_event_source *io_source;
        sd_event_source *timer;
};

struct MediaGate {
        sd_event *event;
        struct udev *udev;
        Audit *audit;
        char *runtime_dir;
        char *state_dir;        /* where a detection writes the quarantine request; NULL: no scans */
        MediaGateOps ops;
        void *userdata;
        uint64_t timeout_usec;
        MediaJob *jobs;
};

/* What the child sends back: written at once (smaller than PIPE_BUF, so never split). */
typedef struct CheckResult {
        int r;                  /* media_check_block()'s return */
        MediaVerdict verdict;
} CheckResult;

static unsigned timeout_seconds(const MediaGate *g) {
        return (unsigned) (g->timeout_usec / 1000000U);
}

static MediaJob *job_free(MediaJob *j) {
        if (!j)
                return NULL;
        sd_event_source_disable_unref(j->io_source);
        sd_event_source_disable_unref(j->timer);
        media_scan_job_free(j->scan);
        if (j->pid > 0) {
                (void) kill(j->pid, SIGKILL);
                (void) waitpid(j->pid, NULL, WNOHANG);
        }
        if (j->fd >= 0)
                close(j->fd);
        free(j->usb_syspath);
        free(j->intf_syspath);
        free(j->disk_syspath);
        free(j->disk_name);
        free(j);
        return NULL;
}

static void job_unlink(MediaJob *j) {
        for (MediaJob **p = &j->gate->jobs; *p; p = &(*p)->next)
                if (*p == j) {
                        *p = j->next;
                        return;
                }
}

static void job_remove(MediaJob *j) {
        job_unlink(j);
        job_free(j);
}

static MediaJob *job_new(MediaGate *g, JobKind kind, const Device *dev, const char *intf_syspath) {
        MediaJob *j = calloc(1, sizeof(MediaJob));

        if (!j)
                return NULL;
        *j = (MediaJob) {
                .gate = g,
                .kind = kind,
                .device_seq = dev->seq,
                .fd = -EBADF,
                .usb_syspath = strdup(dev->syspath),
                .intf_syspath = intf_syspath ? strdup(intf_syspath) : NULL,
        };
        if (!j->usb_syspath || (intf_syspath && !j->intf_syspath))
                return job_free(j);
        j->next = g->jobs;
        g->jobs = j;
        return j;
}

/* The device a job belongs to, if it is still the same one. */
static const Device *job_device(const MediaJob *j) {
        const Device *dev = j->gate->ops.find_device(j->gate->userdata, j->usb_syspath);

        return dev && dev->seq == j->device_seq ? dev : NULL;
}

/* The flag of a node is named MAJOR:MINOR:DISKSEQ. The kernel gives a disk a new sequence number
 * on every media change, so a flag never outlives the medium that was checked: a card swapped in
 * a released reader is pending again (the udev rule finds no flag for the new number). */
static int flag_path(const MediaGate *m, unsigned maj, unsigned min, uint64_t diskseq, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s/media/%u:%u:%" PRIu64, m->runtime_dir, maj, min, diskseq);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

static int read_u64_attr(const char *syspath, const char *attr, uint64_t *ret) {
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        if (asprintf(&path, "%s/%s", syspath, attr) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        return fscanf(f, "%" SCNu64, ret) == 1 ? 0 : -EIO;
}

/* The disk's sequence number, for a disk or a partition (which reads its disk's). */
static int node_diskseq(const char *syspath, uint64_t *ret) {
        int r = read_u64_attr(syspath, "diskseq", ret);

        return r == -ENOENT ? read_u64_attr(syspath, "../diskseq", ret) : r;
}

/* The node's dev_t from sysfs "dev" ("8:16"). */
static int node_devnum(const char *syspath, unsigned *maj, unsigned *min) {
        _cleanup_free_ char *path = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        if (asprintf(&path, "%s/dev", syspath) < 0)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return -errno;
        return fscanf(f, "%u:%u", maj, min) == 2 ? 0 : -EIO;
}

static bool node_released(const MediaGate *m, struct udev_device *d) {
        dev_t devnum = udev_device_get_devnum(d);
        uint64_t seq;
        char path[512];

        if (node_diskseq(udev_device_get_syspath(d), &seq) < 0 ||
            flag_path(m, major(devnum), minor(devnum), seq, path, sizeof path) < 0)
                return false;
        return access(path, F_OK) >= 0;
}

/* Removes every flag of node maj:min, whatever medium it was for. */
static void forget_flags(const MediaGate *m, unsigned maj, unsigned min) {
        _cleanup_free_ char *dirpath = NULL;
        _cleanup_(closedirp) DIR *dir = NULL;
        char prefix[32];
        struct dirent *de;

        if (asprintf(&dirpath, "%s/media", m->runtime_dir) < 0)
                return;
        dir = opendir(dirpath);
        if (!dir)
                return;
        snprintf(prefix, sizeof prefix, "%u:%u:", maj, min);
        while ((de = readdir(dir)))
                if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
                        (void) unlinkat(dirfd(dir), de->d_name, 0);
}

/* Creates the flag of one node for the medium checked (diskseq) and asks udev to run its rules
 * again ("change"). */
static int release_node(const MediaGate *m, const char *syspath, uint64_t diskseq) {
        char path[512], dir[512];
        unsigned maj, min;
        int fd, r;

        r = node_devnum(syspath, &maj, &min);
        if (r < 0)
                return r == -ENOENT ? -ENODEV : r;
        forget_flags(m, maj, min);
        r = flag_path(m, maj, min, diskseq, path, sizeof path);
        if (r < 0)
                return r;
        snprintf(dir, sizeof dir, "%s/media", m->runtime_dir);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        close(fd);

        return enforce_block_retrigger(syspath);
}

/* Releases the disk and every partition it has now: partitions first, the disk last. */
static int release_disk(const MediaGate *m, const char *syspath, const char *name, uint64_t diskseq) {
        _cleanup_(closedirp) DIR *dir = NULL;
        struct dirent *de;
        int r;

        dir = opendir(syspath);
        if (!dir)
                return -errno;
        while ((de = readdir(dir))) {
                char rel[300], child[1024];

                if (strncmp(de->d_name, name, strlen(name)) != 0)
                        continue;
                snprintf(rel, sizeof rel, "%s/partition", de->d_name);
                if (faccessat(dirfd(dir), rel, F_OK, 0) < 0)
                        continue;
                snprintf(child, sizeof child, "%s/%s", syspath, de->d_name);
                r = release_node(m, child, diskseq);
                if (r < 0)
                        return r;
        }
        return release_node(m, syspath, diskseq);
}

static void forget_node(const MediaGate *m, struct udev_device *d) {
        dev_t devnum = udev_device_get_devnum(d);

        forget_flags(m, major(devnum), minor(devnum));
}

static const Device *find_usb_device(MediaGate *g, struct udev_device *d) {
        struct udev_device *usb = udev_device_get_parent_with_subsystem_devtype(d, "usb", "usb_device");

        if (!usb)
                return NULL;
        return g->ops.find_device(g->userdata, udev_device_get_syspath(usb));
}

/* The record of a disk's check. */
static void audit_log_media_of(Audit *audit, const Device *dev, const char *disk, bool passed, const char *reason) {
        AuditDevice ad = device_audit(dev);

        audit_log_media(audit, &ad, disk, passed, reason);
}

/* Fail: de-authorize the storage interface, so the disk goes away (or never comes). */
static void reject(MediaGate *m, const Device *dev, const char *intf_syspath, const char *disk, const char *reason) {
        int r;

        if (!intf_syspath)
                log_error("%s: no USB interface above %s, cannot de-authorize it", dev->name, disk);
        else {
                const char *intf = strrchr(intf_syspath, '/');

                intf = intf ? intf + 1 : intf_syspath;
                r = enforce_interface(intf_syspath, intf, false);
                if (r < 0 && r != -ENOENT && r != -ENODEV)
                        log_error_errno(r, "%s: failed to de-authorize %s: %m", dev->name, intf);
        }
        audit_log_media_of(m->audit, dev, disk, false, reason);
}

/* Whether the disk has no medium: capacity 0 (a card reader without a card). */
static bool disk_empty(const char *syspath) {
        uint64_t size;

        return read_u64_attr(syspath, "size", &size) >= 0 && size == 0;
}

/* Whether the disk is gone or going: the kernel drops its capacity to 0 before removing it. */
static bool disk_gone(const char *syspath) {
        uint64_t size;
        int r = read_u64_attr(syspath, "size", &size);

        return r == -ENOENT || (r >= 0 && size == 0);
}

/* ---- the virus scan of a released medium (MED-09) ---- */

/* The posture policy when it asks for media scans and the gate can act on a detection, else NULL. */
static const PosturePolicy *scan_policy(MediaGate *m) {
        const PosturePolicy *pp = m->ops.posture ? m->ops.posture(m->userdata) : NULL;

        return pp && pp->media_scan.enabled && m->state_dir ? pp : NULL;
}

/* "path: signature; path: signature" of the detections named in res. */
static char *detections_text(const MediaScanResult *res) {
        char *t = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&t, &n);

        if (!f)
                return NULL;
        for (unsigned i = 0; i < res->n_detections && i < MEDIA_SCAN_MAX_DETECTIONS; i++)
                fprintf(f, "%s%s: %s", i ? "; " : "", res->detections[i].path, res->detections[i].signature);
        if (res->n_detections > MEDIA_SCAN_MAX_DETECTIONS)
                fprintf(f, "; +%u", res->n_detections - MEDIA_SCAN_MAX_DETECTIONS);
        if (fclose(f) != 0) {
                free(t);
                return NULL;
        }
        return t;
}

/* The scan ended: act on media_scan_decide(). Security-critical: the medium stays read-only
 * unless the decision and every step of making it writable say otherwise. */
static void on_scan_done(void *userdata, const MediaScanResult *res, const char *mountpoint) {
        MediaJob *j = ASSERT_PTR(userdata);
        MediaGate *m = j->gate;
        MediaScanDecision d = media_scan_decide(res, j->scan_action, j->registered_ro);
        _cleanup_free_ char *detections = NULL, *devnode = NULL;
        const char *outcome = "read-only";
        char reason[512];
        const Device *dev = job_device(j);
        int r;

        media_scan_reason(res, reason, sizeof reason);
        if (!dev) {
                log_info("%s: its USB device went away during the virus scan", j->disk_name);
                return job_remove(j);
        }
        if (d.writable) {
                if (asprintf(&devnode, "/dev/%s", j->disk_name) < 0)
                        return (void) log_oom();
                r = media_set_read_only_mode(devnode, NULL, false);
                if (r < 0)
                        log_error_errno(r, "%s: cannot make %s writable after its virus scan, it stays "
                                        "read-only: %m", dev->name, j->disk_name);
                else
                        outcome = "writable";
        }
        if (d.deauthorize) {
                const char *intf = j->intf_syspath ? strrchr(j->intf_syspath, '/') : NULL;

                outcome = "removed";
                if (!j->intf_syspath)
                        log_error("%s: no USB interface above %s, cannot de-authorize it", dev->name, j->disk_name);
                else {
                        r = enforce_interface(j->intf_syspath, intf ? intf + 1 : j->intf_syspath, false);
                        if (r < 0 && r != -ENOENT && r != -ENODEV)
                                log_error_errno(r, "%s: failed to de-authorize %s: %m", dev->name, intf ? intf + 1 : "?");
                }
        }
        detections = detections_text(res);
        AuditDevice ad = device_audit(dev);
        AuditMediaScan rec = {
                .disk = j->disk_name,
                .mountpoint = mountpoint,
                .status = media_scan_status_to_string(res->status),
                .outcome = outcome,
                .files = res->n_files,
                .bytes = res->n_bytes,
                .usec = res->usec,
                .detections = detections,
                .reason = reason,
        };
        audit_log_media_scan(m->audit, &ad, &rec);
        if (d.quarantine) {
                r = quarantine_state_write(m->state_dir, reason, "trigger:media-scan");
                if (r < 0)
                        log_error_errno(r, "%s: cannot write the quarantine request: %m", dev->name);
        }
        if (d.incident) {
                _cleanup_free_ char *what = NULL;

                if (asprintf(&what, _("A virus was found on USB storage %s of device %s: %s"), j->disk_name,
                             dev->name, detections ?: "?") >= 0)
                        audit_log_incident(m->audit, "trigger:media-scan", dev->name, what);
        }
        job_remove(j);
}

static void scan_start(MediaGate *m, const Device *dev, const MediaJob *check, const PosturePolicy *pp,
                       bool registered_ro) {
        MediaScanLimits limits = {
                .max_bytes = pp->media_scan.max_bytes,
                .max_files = pp->media_scan.max_files,
                .timeout_usec = pp->media_scan.timeout_usec,
        };
        MediaJob *j;
        int r;

        j = job_new(m, JOB_SCAN, dev, check->intf_syspath);
        if (!j)
                return (void) log_oom();
        j->registered_ro = registered_ro;
        j->scan_action = pp->media_scan.action;
        j->disk_syspath = strdup(check->disk_syspath);
        j->disk_name = strdup(check->disk_name);
        if (!j->disk_syspath || !j->disk_name) {
                job_remove(j);
                return (void) log_oom();
        }
        r = media_scan_job_new(m->event, j->disk_syspath, &limits, pp->socket, on_scan_done, j, &j->scan);
        if (r < 0) {
                log_error_errno(r, "%s: cannot watch %s for its mount, it stays read-only: %m", dev->name,
                                j->disk_name);
                job_remove(j);
                return;
        }
        log_info("%s: %s stays read-only until its file system is mounted and scanned", dev->name, j->disk_name);
}

/* The outcome of a finished check. Security-critical: the disk stays pending unless every step
 * below succeeds. */
static void check_decide(MediaJob *j, const CheckResult *res, const char *crash) {
        MediaGate *m = j->gate;
        const PolicyMedium *medium;
        const PosturePolicy *scan;
        char reason[512];
        const Device *dev;
        int r;

        j->decided = true;
        dev = job_device(j);
        if (!dev) {
                log_info("%s: its USB device went away during the check; nothing released", j->disk_name);
                return;
        }
        if (dev->decision.decision != DECISION_ALLOW) {
                log_warning("%s: device %s is no longer allowed, leaving the disk pending", j->disk_name, dev->name);
                return;
        }
        if (crash) {
                log_error("%s: the encrypted-media check of %s failed: %s", dev->name, j->disk_name, crash);
                return reject(m, dev, j->intf_syspath, j->disk_name,
                              _("The encrypted-media check failed unexpectedly"));
        }
        if (res->r == -ENOMEDIUM) {
                /* An empty drive or card reader: nothing to check until a medium comes (its
                 * "change" uevent starts the check then). */
                log_info("%s: no medium, it stays pending until one is inserted", j->disk_name);
                return;
        }
        if (res->r < 0 && disk_gone(j->disk_syspath)) {
                log_info("%s: %s went away while it was being checked", dev->name, j->disk_name);
                return reject(m, dev, j->intf_syspath, j->disk_name,
                              _("The medium was removed before its encryption check finished"));
        }
        if (res->r < 0) {
                log_warning_errno(res->r, "%s: cannot read %s to check its encryption: %m", dev->name,
                                  j->disk_name);
                return reject(m, dev, j->intf_syspath, j->disk_name,
                              _("The medium could not be read to check its encryption"));
        }
        if (res->verdict.failure != MEDIA_FAILURE_NONE)
                return reject(m, dev, j->intf_syspath, j->disk_name,
                              media_verdict_reason(&res->verdict, reason, sizeof reason));

        medium = dev->decision.medium;
        if (medium && policy_medium_get_access(medium) == MEDIA_ACCESS_READ_ONLY) {
                _cleanup_free_ char *devnode = NULL;

                if (asprintf(&devnode, "/dev/%s", j->disk_name) < 0)
                        return (void) log_oom();
                r = media_set_read_only(devnode, NULL);
                if (r < 0) {
                        log_error_errno(r, "%s: cannot make %s read-only: %m", dev->name, j->disk_name);
                        return reject(m, dev, j->intf_syspath, j->disk_name,
                                      _("The medium could not be made read-only"));
                }
        }
        scan = scan_policy(m);
        if (scan && !(medium && policy_medium_get_access(medium) == MEDIA_ACCESS_READ_ONLY)) {
                /* Scanned before use (MED-09): released read-only until the scan says otherwise. */
                _cleanup_free_ char *devnode = NULL;

                if (asprintf(&devnode, "/dev/%s", j->disk_name) < 0)
                        return (void) log_oom();
                r = media_set_read_only(devnode, NULL);
                if (r < 0) {
                        log_error_errno(r, "%s: cannot make %s read-only for its virus scan: %m", dev->name,
                                        j->disk_name);
                        return reject(m, dev, j->intf_syspath, j->disk_name,
                                      _("The medium could not be made read-only for its virus check"));
                }
        }
        r = release_disk(m, j->disk_syspath, j->disk_name, j->diskseq);
        if (r < 0) {
                log_error_errno(r, "%s: cannot release %s, it stays pending: %m", dev->name, j->disk_name);
                return;
        }
        media_verdict_reason(&res->verdict, reason, sizeof reason);
        if (scan) {
                size_t n = strlen(reason);

                snprintf(reason + n, sizeof reason - n, "; %s",
                         _("read-only until its virus check is done"));
        }
        audit_log_media_of(m->audit, dev, j->disk_name, true, reason);
        if (scan)
                scan_start(m, dev, j, scan, medium && policy_medium_get_access(medium) == MEDIA_ACCESS_READ_ONLY);
}

static int check_start(MediaGate *g, const Device *dev, struct udev_device *disk);

static int on_check_result(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        MediaJob *j = ASSERT_PTR(userdata);
        CheckResult res = {};
        char crash[64];
        ssize_t n;
        int status = 0;

        n = read(fd, &res, sizeof res);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n == (ssize_t) sizeof res && !j->decided) {
                const Device *dev = job_device(j);

                if (dev && j->policy_generation != j->gate->ops.policy_generation(j->gate->userdata)) {
                        /* The policy changed while the child read the disk: check again against
                         * what is in force now (the registered UUIDs may differ). */
                        _cleanup_(udev_device_unrefp) struct udev_device *d =
                                udev_device_new_from_syspath(j->gate->udev, j->disk_syspath);

                        j->decided = true;
                        if (d)
                                (void) check_start(j->gate, dev, d);
                } else
                        check_decide(j, &res, NULL);
                return 0;       /* EOF follows when the child exits */
        }
        if (n > 0)
                return 0;       /* cannot happen with one write below PIPE_BUF; wait for EOF */

        /* EOF (or a read error): the child is gone. */
        if (j->pid > 0 && waitpid(j->pid, &status, 0) == j->pid)
                j->pid = 0;
        if (!j->decided) {
                if (WIFSIGNALED(status))
                        snprintf(crash, sizeof crash, "killed by signal %d", WTERMSIG(status));
                else
                        snprintf(crash, sizeof crash, "exited with status %d without a result",
                                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                check_decide(j, NULL, crash);
        }
        job_remove(j);
        return 0;
}

static int on_check_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        MediaJob *j = ASSERT_PTR(userdata);
        MediaGate *m = j->gate;
        char reason[256];
        const Device *dev;

        if (j->decided)
                return 0;
        j->decided = true;
        /* The child may sit in uninterruptible I/O: it is reaped when its pipe closes. */
        if (j->pid > 0)
                (void) kill(j->pid, SIGKILL);
        dev = job_device(j);
        if (!dev)
                return 0;
        log_warning("%s: the check of %s did not finish within %u s", dev->name, j->disk_name,
                    timeout_seconds(j->gate));
        snprintf(reason, sizeof reason, _("The encryption check did not finish within %u seconds"),
                 timeout_seconds(j->gate));
        reject(m, dev, j->intf_syspath, j->disk_name, reason);
        return 0;
}

_noreturn_ static void check_child(int fd, const char *devnode, const char *const *uuids) {
        CheckResult res = {};
        sigset_t none;

        /* Die with the agent; take SIGTERM by default again (the parent blocks it). */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        (void) prctl(PR_SET_NAME, "mamorid-media");
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        /* Nothing of the agent's (event log, sockets) stays open in here. */
        if (fd > 3)
                (void) close_range(3, fd - 1, 0);
        (void) close_range(fd + 1, ~0U, 0);

        res.r = media_check_block(devnode, uuids, &res.verdict);
        if (write(fd, &res, sizeof res) != (ssize_t) sizeof res)
                _exit(1);
        _exit(0);
}

static MediaJob *find_check(MediaGate *g, const char *disk_syspath, uint64_t diskseq) {
        for (MediaJob *j = g->jobs; j; j = j->next)
                if (j->kind == JOB_CHECK && !j->decided && streq(j->disk_syspath, disk_syspath) &&
                    j->diskseq == diskseq)
                        return j;
        return NULL;
}

/* Starts the check of a disk of an allowed device in a child process. */
static int check_start(MediaGate *g, const Device *dev, struct udev_device *disk) {
        MediaGate *m = g;
        const char *devnode = udev_device_get_devnode(disk), *name = udev_device_get_sysname(disk);
        struct udev_device *intf = udev_device_get_parent_with_subsystem_devtype(disk, "usb", "usb_interface");
        const char *const *uuids = NULL;
        uint64_t diskseq;
        MediaJob *j;
        int p[2], r;

        /* The medium the check is for: a flag is only ever made for this one. Read before the
         * check starts, so a medium swapped meanwhile is never released by this check. */
        r = node_diskseq(udev_device_get_syspath(disk), &diskseq);
        if (r < 0)
                return log_warning_errno(r, "%s: no disk sequence number (kernel older than 5.15?), "
                                         "the disk stays pending: %m", name);
        if (find_check(g, udev_device_get_syspath(disk), diskseq))
                return 0;       /* already being checked */
        if (!devnode) {
                reject(m, dev, intf ? udev_device_get_syspath(intf) : NULL, name,
                       _("The medium could not be read to check its encryption"));
                return -ENODEV;
        }
        if (dev->decision.medium)
                uuids = policy_medium_get_luks_uuids(dev->decision.medium);

        j = job_new(g, JOB_CHECK, dev, intf ? udev_device_get_syspath(intf) : NULL);
        if (!j)
                return log_oom();
        j->policy_generation = g->ops.policy_generation(g->userdata);
        j->diskseq = diskseq;
        j->disk_syspath = strdup(udev_device_get_syspath(disk));
        j->disk_name = strdup(name);
        if (!j->disk_syspath || !j->disk_name) {
                job_remove(j);
                return log_oom();
        }
        if (pipe2(p, O_CLOEXEC) < 0) {
                r = -errno;
                goto fail;
        }
        j->pid = fork();
        if (j->pid < 0) {
                r = -errno;
                j->pid = 0;
                close(p[0]);
                close(p[1]);
                goto fail;
        }
        if (j->pid == 0) {
                close(p[0]);
                check_child(p[1], devnode, uuids);
        }
        close(p[1]);
        j->fd = p[0];

        r = sd_event_add_io(m->event, &j->io_source, j->fd, EPOLLIN, on_check_result, j);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &j->timer, CLOCK_MONOTONIC, g->timeout_usec, 0,
                                               on_check_timeout, j);
        if (r < 0)
                goto fail;
        log_debug("%s: checking %s (child %d)", dev->name, name, (int) j->pid);
        return 1;

fail:
        log_error_errno(r, "%s: cannot start the check of %s, it stays pending: %m", dev->name, name);
        job_remove(j);
        return r;
}

static bool path_under(const char *path, const char *dir) {
        size_t n = strlen(dir);

        return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static void disk_seen(MediaGate *g, const char *disk_syspath) {
        for (MediaJob *j = g->jobs, *next; j; j = next) {
                next = j->next;
                if (j->kind == JOB_WAIT_DISK && path_under(disk_syspath, j->intf_syspath))
                        job_remove(j);
        }
}

void media_gate_block_appeared(MediaGate *g, struct udev_device *d) {
        if (streq_ptr(udev_device_get_action(d), "add") && streq_ptr(udev_device_get_devtype(d), "disk"))
                disk_seen(g, udev_device_get_syspath(d));
}

void media_gate_process_block(MediaGate *g, struct udev_device *d) {
        MediaGate *m = g;
        const char *action = udev_device_get_action(d), *devtype = udev_device_get_devtype(d);
        const Device *dev;

        if (!action || !devtype)
                return;
        if (!udev_device_get_parent_with_subsystem_devtype(d, "usb", "usb_device"))
                return;                 /* not USB storage */
        if (streq(action, "remove")) {
                forget_node(m, d);
                return;
        }
        /* "add"; and "change", which a new medium in a card reader (DISK_MEDIA_CHANGE=1) sends. */
        if (!streq(devtype, "disk") || !(streq(action, "add") || streq(action, "change")))
                return;
        disk_seen(g, udev_device_get_syspath(d));
        /* Our own "change" events, and disks already checked, carry the flag of their medium. */
        if (node_released(m, d))
                return;
        if (disk_empty(udev_device_get_syspath(d))) {
                log_info("%s: no medium, it stays pending until one is inserted", udev_device_get_sysname(d));
                return;
        }
        dev = find_usb_device(m, d);
        if (!dev || dev->decision.decision != DECISION_ALLOW) {
                log_warning("%s: disk of a device that is not allowed, leaving it pending",
                            udev_device_get_sysname(d));
                return;
        }
        (void) check_start(g, dev, d);
}

static int on_wait_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        MediaJob *j = ASSERT_PTR(userdata);
        MediaGate *m = j->gate;
        const char *intf = strrchr(j->intf_syspath, '/');
        char reason[256];
        const Device *dev;

        dev = job_device(j);
        if (dev) {
                log_warning("%s: no disk appeared on %s within %u s", dev->name, intf ? intf + 1 : "?",
                            timeout_seconds(j->gate));
                snprintf(reason, sizeof reason,
                         _("No disk appeared on the storage device within %u seconds"), timeout_seconds(j->gate));
                reject(m, dev, j->intf_syspath, "-", reason);
        }
        job_remove(j);
        return 0;
}

void media_gate_expect_disk(MediaGate *g, const Device *dev, const char *intf_syspath) {
        MediaJob *j;
        int r;

        for (j = g->jobs; j; j = j->next)
                if (j->kind == JOB_WAIT_DISK && streq(j->intf_syspath, intf_syspath))
                        return;
        j = job_new(g, JOB_WAIT_DISK, dev, intf_syspath);
        if (!j)
                return (void) log_oom();
        r = sd_event_add_time_relative(g->event, &j->timer, CLOCK_MONOTONIC, g->timeout_usec, 0,
                                       on_wait_timeout, j);
        if (r < 0) {
                log_warning_errno(r, "%s: cannot time the wait for its disk: %m", dev->name);
                job_remove(j);
        }
}

void media_gate_forget_device(MediaGate *g, const Device *dev) {
        for (MediaJob *j = g->jobs, *next; j; j = next) {
                next = j->next;
                if (!streq(j->usb_syspath, dev->syspath))
                        continue;
                if (j->kind == JOB_CHECK && !j->decided) {
                        audit_log_media_of(g->audit, dev, j->disk_name, false,
                                        _("The medium was removed before its encryption check finished"));
                        j->decided = true;
                }
                if (j->kind == JOB_CHECK && j->pid > 0) {
                        /* Reaped when its pipe closes. */
                        (void) kill(j->pid, SIGKILL);
                        j->timer = sd_event_source_disable_unref(j->timer);
                        continue;
                }
                job_remove(j);
        }
}

int media_gate_enumerate(MediaGate *g) {
        _cleanup_(udev_enumerate_unrefp) struct udev_enumerate *e = NULL;
        MediaGate *m = g;
        struct udev_list_entry *item;
        int n = 0, r;

        e = udev_enumerate_new(m->udev);
        if (!e)
                return -ENOMEM;
        r = udev_enumerate_add_match_subsystem(e, "block");
        if (r < 0)
                return r;
        r = udev_enumerate_scan_devices(e);
        if (r < 0)
                return r;
        udev_list_entry_foreach(item, udev_enumerate_get_list_entry(e)) {
                _cleanup_(udev_device_unrefp) struct udev_device *d = NULL;
                const Device *dev;

                d = udev_device_new_from_syspath(m->udev, udev_list_entry_get_name(item));
                if (!d || !streq_ptr(udev_device_get_devtype(d), "disk") ||
                    !udev_device_get_parent_with_subsystem_devtype(d, "usb", "usb_device") ||
                    node_released(m, d) || disk_empty(udev_device_get_syspath(d)))
                        continue;
                dev = find_usb_device(m, d);
                if (!dev || dev->decision.decision != DECISION_ALLOW)
                        continue;
                if (check_start(g, dev, d) > 0)
                        n++;
        }
        return n;
}

int media_gate_set_state_dir(MediaGate *g, const char *state_dir) {
        char *d = state_dir ? strdup(state_dir) : NULL;

        if (state_dir && !d)
                return -ENOMEM;
        free(g->state_dir);
        g->state_dir = d;
        return 0;
}

int media_gate_new(sd_event *event, struct udev *udev, Audit *audit, const char *runtime_dir,
                   uint64_t timeout_usec, const MediaGateOps *ops, void *userdata, MediaGate **ret) {
        MediaGate *g = calloc(1, sizeof(MediaGate));

        if (!g)
                return -ENOMEM;
        *g = (MediaGate) {
                .event = sd_event_ref(event),
                .udev = udev_ref(udev),
                .audit = audit,
                .runtime_dir = strdup(runtime_dir),
                .ops = *ops,
                .userdata = userdata,
                .timeout_usec = timeout_usec,
        };
        if (!g->runtime_dir)
                return media_gate_free(g), -ENOMEM;
        *ret = g;
        return 0;
}

MediaGate *media_gate_free(MediaGate *g) {
        if (!g)
                return NULL;
        while (g->jobs) {
                MediaJob *j = g->jobs;

                g->jobs = j->next;
                job_free(j);
        }
        sd_event_unref(g->event);
        udev_unref(g->udev);
        free(g->runtime_dir);
        free(g->state_dir);
        free(g);
        return NULL;
}
