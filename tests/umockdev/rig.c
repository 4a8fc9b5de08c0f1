/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <json-c/json.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rig.h"

/* Every wait is for an event (an inotify event, a notify message, the agent's exit), bounded by
 * this overall deadline: a test fails instead of hanging. */
#define WAIT_TIMEOUT_MS 10000

Rig *rig_current;

static void put8(Descriptors *d, uint8_t v) {
        if (d->n < sizeof(d->buf))
                d->buf[d->n++] = v;
}

static void put16(Descriptors *d, uint16_t v) {
        put8(d, (uint8_t) (v & 0xff));
        put8(d, (uint8_t) (v >> 8));
}

void desc_device(Descriptors *d, uint8_t cls, uint16_t vendor, uint16_t product) {
        *d = (Descriptors) {};
        /* Device descriptor (USB 2.0 §9.6.1), 18 bytes. */
        put8(d, 18);            /* bLength */
        put8(d, 1);             /* bDescriptorType: DEVICE */
        put16(d, 0x0200);       /* bcdUSB */
        put8(d, cls);           /* bDeviceClass */
        put8(d, 0);             /* bDeviceSubClass */
        put8(d, cls == 0x09 ? 1 : 0);   /* bDeviceProtocol (hub: single TT) */
        put8(d, 64);            /* bMaxPacketSize0 */
        put16(d, vendor);
        put16(d, product);
        put16(d, 0x0100);       /* bcdDevice */
        put8(d, 1);             /* iManufacturer */
        put8(d, 2);             /* iProduct */
        put8(d, 3);             /* iSerialNumber */
        put8(d, 1);             /* bNumConfigurations */
        /* Configuration descriptor (§9.6.3), 9 bytes; total length and interface count patched later. */
        d->config = d->n;
        put8(d, 9);
        put8(d, 2);             /* CONFIGURATION */
        put16(d, 0);            /* wTotalLength */
        put8(d, 0);             /* bNumInterfaces */
        put8(d, 1);             /* bConfigurationValue */
        put8(d, 0);             /* iConfiguration */
        put8(d, 0x80);          /* bmAttributes: bus powered */
        put8(d, 50);            /* bMaxPower: 100 mA */
}

void desc_interface(Descriptors *d, uint8_t number, uint8_t cls, uint8_t subclass, uint8_t protocol,
                    unsigned n_endpoints) {
        /* Interface descriptor (§9.6.5), 9 bytes. */
        put8(d, 9);
        put8(d, 4);             /* INTERFACE */
        put8(d, number);
        put8(d, 0);             /* bAlternateSetting */
        put8(d, (uint8_t) n_endpoints);
        put8(d, cls);
        put8(d, subclass);
        put8(d, protocol);
        put8(d, 0);             /* iInterface */
        for (unsigned i = 0; i < n_endpoints; i++) {
                /* Endpoint descriptor (§9.6.6), 7 bytes. */
                put8(d, 7);
                put8(d, 5);     /* ENDPOINT */
                put8(d, (uint8_t) ((i % 2 ? 0x00 : 0x80) | (i + 1)));
                put8(d, cls == 0x03 || cls == 0x09 ? 3 : 2);    /* interrupt or bulk */
                put16(d, cls == 0x03 || cls == 0x09 ? 8 : 512);
                put8(d, cls == 0x03 || cls == 0x09 ? 10 : 0);
        }
        d->n_interfaces++;
}

void desc_finish(Descriptors *d) {
        uint16_t total = (uint16_t) (d->n - d->config);

        d->buf[d->config + 2] = (uint8_t) (total & 0xff);
        d->buf[d->config + 3] = (uint8_t) (total >> 8);
        d->buf[d->config + 4] = (uint8_t) d->n_interfaces;
}

static void dump_file(const char *title, const char *path) {
        gchar *text = NULL;

        if (g_file_get_contents(path, &text, NULL, NULL)) {
                fprintf(stderr, "----- %s (%s) -----\n%s\n----- end -----\n", title, path, text);
                g_free(text);
        }
}

void rig_fail(const char *file, int line, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "FAIL %s:%d: ", file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        if (rig_current && rig_current->pid > 0) {
                int st;

                if (waitpid(rig_current->pid, &st, WNOHANG) == rig_current->pid) {
                        fprintf(stderr, "mamorid had exited: %s %d\n", WIFEXITED(st) ? "status" : "signal",
                                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
                        rig_current->pid = 0;
                }
        }
        if (rig_current) {
                dump_file("mamorid log", rig_current->log_path);
                dump_file("state.json", rig_current->state_path);
        }
}

static char *add_root_hub(Rig *r, const char *name, const char *busnum) {
        return umockdev_testbed_add_device(r->tb, "usb", name, NULL,
                "authorized", "1", "authorized_default", "1", "interface_authorized_default", "1",
                "bDeviceClass", "09", "idVendor", "1d6b", "idProduct", "0002", "busnum", busnum,
                "devnum", "1", "product", "xHCI Host Controller", NULL,
                "DEVTYPE", "usb_device", "BUSNUM", busnum, "DEVNUM", "001", NULL);
}

int rig_init(Rig *r, const char *name) {
        gchar *root, *probe_dir, *probe;

        *r = (Rig) { .notify_fd = -1, .pidfd = -1, .name = name };
        rig_current = r;
        r->tb = umockdev_testbed_new();
        if (!umockdev_in_mock_environment()) {
                fprintf(stderr, "SKIP: not running under the umockdev preload library "
                        "(LD_PRELOAD=libumockdev-preload.so.0)\n");
                return 77;
        }
        snprintf(r->tmp, sizeof(r->tmp), "%s/mamori-umockdev-XXXXXX", g_get_tmp_dir());
        if (!mkdtemp(r->tmp))
                return 1;
        snprintf(r->policy_dir, sizeof(r->policy_dir), "%s/policy.d", r->tmp);
        snprintf(r->state_dir, sizeof(r->state_dir), "%s/state", r->tmp);
        snprintf(r->runtime_dir, sizeof(r->runtime_dir), "%s/run", r->tmp);
        snprintf(r->state_path, sizeof(r->state_path), "%s/state.json", r->runtime_dir);
        snprintf(r->log_path, sizeof(r->log_path), "%s/mamorid.log", r->tmp);
        snprintf(r->conf_path, sizeof(r->conf_path), "%s/mamorid.conf", r->tmp);
        snprintf(r->notify_path, sizeof(r->notify_path), "%s/notify", r->tmp);
        if (mkdir(r->policy_dir, 0755) < 0 || mkdir(r->runtime_dir, 0755) < 0)
                return 1;
        if (!g_file_set_contents(r->conf_path, "[Agent]\nLogLevel=debug\n", -1, NULL))
                return 1;

        r->usb1 = add_root_hub(r, "usb1", "1");
        r->usb2 = add_root_hub(r, "usb2", "2");

        /* The kernel's /sys/bus/usb/drivers_probe, written to bind an authorized interface. */
        root = umockdev_testbed_get_root_dir(r->tb);
        probe_dir = g_build_filename(root, "sys", "bus", "usb", NULL);
        probe = g_build_filename(probe_dir, "drivers_probe", NULL);
        g_mkdir_with_parents(probe_dir, 0755);
        g_file_set_contents(probe, "", 0, NULL);
        g_free(probe);
        g_free(probe_dir);
        g_free(root);
        return 0;
}

static void remove_tree(const char *path) {
        GDir *dir = g_dir_open(path, 0, NULL);
        const char *n;

        if (dir) {
                while ((n = g_dir_read_name(dir))) {
                        gchar *p = g_build_filename(path, n, NULL);

                        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                                remove_tree(p);
                        else
                                unlink(p);
                        g_free(p);
                }
                g_dir_close(dir);
        }
        rmdir(path);
}

void rig_done(Rig *r) {
        if (r->pid > 0)
                rig_kill(r);
        if (r->notify_fd >= 0)
                close(r->notify_fd);
        if (r->pidfd >= 0)
                close(r->pidfd);
        if (r->tmp[0] && !getenv("MAMORI_TEST_KEEP"))
                remove_tree(r->tmp);
        g_free(r->usb1);
        g_free(r->usb2);
        if (r->tb)
                g_object_unref(r->tb);
        rig_current = NULL;
}

int rig_write_policy(Rig *r, const char *file, const char *yaml) {
        gchar *tmp = g_strdup_printf("%s/.%s.tmp", r->policy_dir, file);
        gchar *path = g_strdup_printf("%s/%s", r->policy_dir, file);
        int ret = 0;

        if (!g_file_set_contents(tmp, yaml, -1, NULL) || rename(tmp, path) < 0)
                ret = -1;
        g_free(tmp);
        g_free(path);
        return ret;
}

int rig_remove_policy(Rig *r, const char *file) {
        gchar *path = g_strdup_printf("%s/%s", r->policy_dir, file);
        int ret = unlink(path);

        g_free(path);
        return ret;
}

char *rig_add_device(Rig *r, const char *name, const char *parent, const char *serial, const Descriptors *d) {
        Descriptors copy = *d;

        char vendor[8], product[8], cls[4], product_env[32];
        char *syspath;

        snprintf(vendor, sizeof(vendor), "%02x%02x", d->buf[9], d->buf[8]);
        snprintf(product, sizeof(product), "%02x%02x", d->buf[11], d->buf[10]);
        snprintf(cls, sizeof(cls), "%02x", d->buf[4]);
        snprintf(product_env, sizeof(product_env), "%x/%x/100", (unsigned) strtoul(vendor, NULL, 16),
                 (unsigned) strtoul(product, NULL, 16));

        syspath = umockdev_testbed_add_device(r->tb, "usb", name, parent ? parent : r->usb1,
                "idVendor", vendor, "idProduct", product, "bDeviceClass", cls, "bDeviceSubClass", "00",
                "bDeviceProtocol", "00", "serial", serial ? serial : "", "manufacturer", "Test Vendor",
                "product", "Test Device", "busnum", "1", "devnum", "5", "authorized", "0",
                "remove", "", "removable", "removable", "speed", "480", NULL,
                "DEVTYPE", "usb_device", "PRODUCT", product_env, "BUSNUM", "001", "DEVNUM", "005", NULL);
        if (!syspath)
                return NULL;
        umockdev_testbed_set_attribute_binary(r->tb, syspath, "descriptors", copy.buf, copy.n);
        if (!serial) {
                /* A device without iSerialNumber has no serial attribute at all. */
                gchar *p = g_build_filename(syspath, "serial", NULL);
                unlink(p);
                g_free(p);
        }
        return syspath;
}

char *rig_add_interface(Rig *r, const char *dev_syspath, const char *name, uint8_t cls, uint8_t subclass,
                        uint8_t protocol) {
        char c[4], s[4], p[4], number[4], iface[32];
        const char *dot = strrchr(name, '.');
        char *syspath;

        snprintf(c, sizeof(c), "%02x", cls);
        snprintf(s, sizeof(s), "%02x", subclass);
        snprintf(p, sizeof(p), "%02x", protocol);
        snprintf(number, sizeof(number), "%02x", dot ? atoi(dot + 1) : 0);
        snprintf(iface, sizeof(iface), "%u/%u/%u", cls, subclass, protocol);
        syspath = umockdev_testbed_add_device(r->tb, "usb", name, dev_syspath,
                "authorized", "0", "bInterfaceClass", c, "bInterfaceSubClass", s, "bInterfaceProtocol", p,
                "bInterfaceNumber", number, "bAlternateSetting", " 0", NULL,
                "DEVTYPE", "usb_interface", "INTERFACE", iface, NULL);
        if (syspath)
                umockdev_testbed_uevent(r->tb, syspath, "add");
        return syspath;
}

/* Reads what the agent sent to NOTIFY_SOCKET since READY=1 (STATUS=…), so its queue never fills. */
static void drain_notify(void) {
        char buf[4096];

        if (!rig_current || rig_current->notify_fd < 0)
                return;
        while (recv(rig_current->notify_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
                ;
}

void rig_uevent_only(Rig *r, const char *syspath, const char *action) {
        drain_notify();
        umockdev_testbed_uevent(r->tb, syspath, action);
}

void rig_uevent(Rig *r, const char *syspath, const char *action) {
        gchar *descriptors = g_build_filename(syspath, "descriptors", NULL);

        drain_notify();
        umockdev_testbed_uevent(r->tb, syspath, action);
        /* As the kernel does: a usb_device's "add" is followed by "bind" once its driver (the
         * generic one, for a device not yet authorized) has probed it. */
        if (g_str_equal(action, "add") && g_file_test(descriptors, G_FILE_TEST_EXISTS))
                umockdev_testbed_uevent(r->tb, syspath, "bind");
        g_free(descriptors);
}

int rig_bind_generic_driver(Rig *r, const char *syspath) {
        gchar *root = umockdev_testbed_get_root_dir(r->tb);
        gchar *drv = g_build_filename(root, "sys", "bus", "usb", "drivers", "usb", NULL);
        gchar *link = g_build_filename(root, syspath, "driver", NULL);
        int ret = g_mkdir_with_parents(drv, 0755) < 0 || symlink(drv, link) < 0 ? -1 : 0;

        g_free(link);
        g_free(drv);
        g_free(root);
        return ret;
}

static int open_notify_socket(Rig *r) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -1;
        unlink(r->notify_path);
        if (strlen(r->notify_path) >= sizeof(sa.sun_path)) {
                close(fd);
                return -1;
        }
        memcpy(sa.sun_path, r->notify_path, strlen(r->notify_path) + 1);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static int64_t now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One wait: until cond holds, re-checked on each event that may have changed it (an inotify
 * event in the watched directories, a notify message, the agent's exit), WAIT_TIMEOUT_MS at most. */
typedef bool (*RigCondition)(Rig *r, const void *arg);

static void drain(int fd) {
        char buf[4096];

        if (fd >= 0)
                while (read(fd, buf, sizeof(buf)) > 0)
                        ;
}

static bool rig_wait(Rig *r, const char *extra_dir, RigCondition cond, const void *arg) {
        int64_t deadline = now_ms() + WAIT_TIMEOUT_MS;
        int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        bool ok = false;

        if (ifd < 0)
                return false;
        /* Watches first, then the check: nothing can change unseen in between. The agent
         * replaces state.json by rename (IN_MOVED_TO); sysfs attributes are written in place. */
        if (inotify_add_watch(ifd, r->runtime_dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0 ||
            (extra_dir && inotify_add_watch(ifd, extra_dir, IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE |
                                            IN_MOVED_TO | IN_DELETE | IN_ATTRIB) < 0)) {
                fprintf(stderr, "inotify_add_watch: %m\n");
                close(ifd);
                return false;
        }
        for (;;) {
                struct pollfd p[3] = {
                        { .fd = ifd, .events = POLLIN },
                        { .fd = r->notify_fd, .events = POLLIN },
                        { .fd = r->pidfd, .events = POLLIN },
                };
                int64_t left;

                if (cond(r, arg)) {
                        ok = true;
                        break;
                }
                left = deadline - now_ms();
                if (left <= 0 || poll(p, 3, (int) left) <= 0)
                        break;
                if (p[2].revents) {
                        fprintf(stderr, "mamorid exited during a wait\n");
                        ok = cond(r, arg);
                        break;
                }
                drain(ifd);
                drain(r->notify_fd);    /* STATUS=… : read, so the agent's queue never fills */
        }
        close(ifd);
        return ok;
}

/* Waits for each of the lines in want[] (NULL-terminated) on NOTIFY_SOCKET, in this order. */
static bool rig_wait_notify(Rig *r, const char *const *want) {
        int64_t deadline = now_ms() + WAIT_TIMEOUT_MS;

        while (*want) {
                struct pollfd p[2] = {
                        { .fd = r->notify_fd, .events = POLLIN },
                        { .fd = r->pidfd, .events = POLLIN },
                };
                char buf[4096];
                int64_t left = deadline - now_ms();
                ssize_t n;

                if (left <= 0 || poll(p, 2, (int) left) <= 0) {
                        fprintf(stderr, "no %s from mamorid within %d ms\n", *want, WAIT_TIMEOUT_MS);
                        return false;
                }
                if (!(p[0].revents & POLLIN)) {
                        fprintf(stderr, "mamorid exited before %s\n", *want);
                        return false;
                }
                n = recv(r->notify_fd, buf, sizeof(buf) - 1, 0);
                if (n <= 0)
                        continue;
                buf[n] = 0;
                /* one datagram, one assignment per line */
                for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line && *want;
                     line = strtok_r(NULL, "\n", &save))
                        if (strcmp(line, *want) == 0)
                                want++;
        }
        return true;
}

int rig_start(Rig *r) {
        static const char *const ready[] = { "READY=1", NULL };
        const char *mamorid = getenv("MAMORID");

        if (!mamorid) {
                fprintf(stderr, "MAMORID is not set\n");
                return -1;
        }
        if (r->notify_fd < 0)
                r->notify_fd = open_notify_socket(r);
        if (r->notify_fd < 0) {
                perror("notify socket");
                return -1;
        }
        drain(r->notify_fd);

        r->pid = fork();
        if (r->pid < 0)
                return -1;
        if (r->pid == 0) {
                int fd = open(r->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

                if (fd >= 0) {
                        dup2(fd, STDERR_FILENO);
                        dup2(fd, STDOUT_FILENO);
                }
                setenv("NOTIFY_SOCKET", r->notify_path, 1);
                unsetenv("JOURNAL_STREAM");
                /* A network of its own: a network section or a quarantine (a posture check of a
                 * city profile raises one) must never touch this machine's network. Without the
                 * privilege for it the agent has no CAP_NET_ADMIN either, and changes nothing. */
                if (geteuid() == 0 && unshare(CLONE_NEWNET) < 0) {
                        fprintf(stderr, "unshare(CLONE_NEWNET): %m\n");
                        _exit(127);
                }
                execl(mamorid, mamorid, "--config", r->conf_path, "--policy-dir", r->policy_dir,
                      "--state-dir", r->state_dir, "--runtime-dir", r->runtime_dir, (char *) NULL);
                _exit(127);
        }
        if (r->pidfd >= 0)
                close(r->pidfd);
        /* Readable once the agent exits: a wait ends at once instead of running out. */
        r->pidfd = (int) syscall(SYS_pidfd_open, r->pid, 0);
        if (!rig_wait_notify(r, ready)) {
                int st;

                if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
                        fprintf(stderr, "mamorid exited before READY=1 (status %d)\n", st);
                        r->pid = 0;
                }
                return -1;
        }
        return 0;
}

bool rig_reload(Rig *r) {
        static const char *const reload[] = { "RELOADING=1", "READY=1", NULL };

        if (r->pid <= 0)
                return false;
        drain(r->notify_fd);    /* what came before the signal does not count */
        kill(r->pid, SIGHUP);
        return rig_wait_notify(r, reload);
}

/* The agent is gone: its pidfd would end every later wait at once. */
static void forget_pidfd(Rig *r) {
        if (r->pidfd >= 0)
                close(r->pidfd);
        r->pidfd = -1;
}

int rig_stop(Rig *r) {
        int st;

        if (r->pid <= 0)
                return -1;
        kill(r->pid, SIGTERM);
        if (waitpid(r->pid, &st, 0) != r->pid)
                return -1;
        r->pid = 0;
        forget_pidfd(r);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void rig_kill(Rig *r) {
        if (r->pid <= 0)
                return;
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
        forget_pidfd(r);
}

void rig_signal(Rig *r, int sig) {
        if (r->pid > 0)
                kill(r->pid, sig);
}

const char *rig_attr(const char *syspath, const char *attr) {
        static char buf[4096];
        char path[1024];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "%s/%s", syspath, attr);
        buf[0] = 0;
        f = fopen(path, "re");
        if (!f)
                return buf;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return buf;
}

typedef struct AttrWait {
        const char *syspath, *attr, *value;
} AttrWait;

static bool attr_is(Rig *r, const void *arg) {
        const AttrWait *w = arg;

        return strcmp(rig_attr(w->syspath, w->attr), w->value) == 0;
}

bool rig_wait_attr(const char *syspath, const char *attr, const char *value) {
        AttrWait w = { syspath, attr, value };
        gchar *root, *file, *dir;
        bool ok;

        if (!rig_current)
                return false;
        /* The testbed's own file, which the agent's write (through the preload) lands in. */
        root = umockdev_testbed_get_root_dir(rig_current->tb);
        file = g_build_filename(root, syspath, attr, NULL);
        dir = g_path_get_dirname(file);
        ok = rig_wait(rig_current, dir, attr_is, &w);
        g_free(dir);
        g_free(file);
        g_free(root);
        return ok;
}

const char *rig_state(Rig *r) {
        static char buf[256 * 1024];
        FILE *f = fopen(r->state_path, "re");
        size_t n = 0;

        buf[0] = 0;
        if (f) {
                n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
        }
        buf[n] = 0;
        return buf;
}

json_object *rig_state_json(Rig *r) {
        return json_object_from_file(r->state_path);
}

json_object *rig_json_device(json_object *state, const char *device) {
        json_object *devices;

        if (!json_object_object_get_ex(state, "devices", &devices) || !json_object_is_type(devices, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(devices); i++) {
                json_object *d = json_object_array_get_idx(devices, i);
                const char *name = rig_json_string(d, "device");

                if (name && strcmp(name, device) == 0)
                        return d;
        }
        return NULL;
}

const char *rig_json_string(json_object *o, const char *key) {
        json_object *v;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

json_object *rig_json_interface(json_object *device, const char *name) {
        json_object *ifs;

        if (!json_object_object_get_ex(device, "interfaces", &ifs) || !json_object_is_type(ifs, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(ifs); i++) {
                json_object *e = json_object_array_get_idx(ifs, i);
                const char *n = rig_json_string(e, "interface");

                if (n && strcmp(n, name) == 0)
                        return e;
        }
        return NULL;
}

bool rig_state_device(Rig *r, const char *device, char *buf, size_t size) {
        json_object *state = rig_state_json(r), *d = rig_json_device(state, device);
        bool ok = false;

        if (d) {
                const char *text = json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN);

                if (strlen(text) < size) {
                        memcpy(buf, text, strlen(text) + 1);
                        ok = true;
                }
        }
        json_object_put(state);
        return ok;
}

const char *json_field(const char *obj, const char *key) {
        static char buf[1024];
        json_object *o = json_tokener_parse(obj);
        const char *v = rig_json_string(o, key);

        if (v)
                snprintf(buf, sizeof(buf), "%s", v);
        json_object_put(o);
        return v ? buf : NULL;
}

const char *rig_policy_field(Rig *r, const char *key) {
        static char buf[4096];
        json_object *state = rig_state_json(r), *policy = NULL;
        const char *v = NULL;

        if (json_object_object_get_ex(state, "policy", &policy))
                v = rig_json_string(policy, key);
        if (v)
                snprintf(buf, sizeof(buf), "%s", v);
        json_object_put(state);
        return v ? buf : NULL;
}

typedef struct DecisionWait {
        const char *device, *decision;
} DecisionWait;

static bool decision_is(Rig *r, const void *arg) {
        const DecisionWait *w = arg;
        json_object *state = rig_state_json(r), *d = rig_json_device(state, w->device);
        const char *v = rig_json_string(d, "decision");
        /* umockdev may announce the device before its descriptors are written: only a record
         * with an identity counts. */
        bool ok = v && strcmp(v, w->decision) == 0 && rig_json_string(d, "vendor");

        json_object_put(state);
        return ok;
}

bool rig_wait_decision(Rig *r, const char *device, const char *decision) {
        DecisionWait w = { device, decision };

        return rig_wait(r, NULL, decision_is, &w);
}

static bool device_gone(Rig *r, const void *arg) {
        json_object *state = rig_state_json(r);
        bool ok = state && !rig_json_device(state, arg);

        json_object_put(state);
        return ok;
}

bool rig_wait_device_gone(Rig *r, const char *device) {
        return rig_wait(r, NULL, device_gone, device);
}

static bool policy_status_is(Rig *r, const void *arg) {
        const char *v = rig_policy_field(r, "status");

        return v && strcmp(v, arg) == 0;
}

bool rig_wait_policy_status(Rig *r, const char *status) {
        return rig_wait(r, NULL, policy_status_is, status);
}

int rig_main(int argc, char *argv[], const RigCase *cases, size_t n) {
        Rig r;
        int ret;

        if (argc != 2) {
                fprintf(stderr, "usage: %s CASE\n", argv[0]);
                for (size_t i = 0; i < n; i++)
                        fprintf(stderr, "  %s\n", cases[i].name);
                return 2;
        }
        for (size_t i = 0; i < n; i++) {
                if (strcmp(cases[i].name, argv[1]) != 0)
                        continue;
                ret = rig_init(&r, argv[1]);
                r.case_data = cases[i].data;
                if (ret == 0)
                        ret = cases[i].run(&r);
                rig_done(&r);
                if (ret == 0)
                        printf("PASS %s\n", argv[1]);
                return ret;
        }
        fprintf(stderr, "unknown case '%s'\n", argv[1]);
        return 2;
}

void desc_stick(Descriptors *d, uint16_t vendor, uint16_t product) {
        desc_device(d, 0x00, vendor, product);
        desc_interface(d, 0, 0x08, 0x06, 0x50, 2);     /* mass storage, SCSI, bulk-only */
        desc_finish(d);
}

void desc_keyboard(Descriptors *d) {
        desc_device(d, 0x00, 0x046d, 0xc31c);
        desc_interface(d, 0, 0x03, 0x01, 0x01, 1);     /* HID boot keyboard */
        desc_finish(d);
}
