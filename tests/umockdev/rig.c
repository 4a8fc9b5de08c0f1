/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rig.h"

#define WAIT_STEP_MS 10
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

        *r = (Rig) { .notify_fd = -1, .name = name };
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
        if (mkdir(r->policy_dir, 0755) < 0)
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

int rig_start(Rig *r) {
        const char *mamorid = getenv("MAMORID");
        int elapsed = 0;

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
                execl(mamorid, mamorid, "--config", r->conf_path, "--policy-dir", r->policy_dir,
                      "--state-dir", r->state_dir, "--runtime-dir", r->runtime_dir, (char *) NULL);
                _exit(127);
        }

        /* Await READY=1 on the notification socket; no fixed sleep. */
        while (elapsed < WAIT_TIMEOUT_MS) {
                struct pollfd p = { .fd = r->notify_fd, .events = POLLIN };
                char buf[4096];
                ssize_t n;
                int st;

                if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
                        fprintf(stderr, "mamorid exited before READY=1 (status %d)\n", st);
                        r->pid = 0;
                        return -1;
                }
                if (poll(&p, 1, 100) <= 0) {
                        elapsed += 100;
                        continue;
                }
                n = recv(r->notify_fd, buf, sizeof(buf) - 1, 0);
                if (n <= 0)
                        continue;
                buf[n] = 0;
                if (strstr(buf, "READY=1"))
                        return 0;
        }
        fprintf(stderr, "mamorid did not send READY=1 within %d ms\n", WAIT_TIMEOUT_MS);
        return -1;
}

int rig_stop(Rig *r) {
        int st;

        if (r->pid <= 0)
                return -1;
        kill(r->pid, SIGTERM);
        if (waitpid(r->pid, &st, 0) != r->pid)
                return -1;
        r->pid = 0;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void rig_kill(Rig *r) {
        if (r->pid <= 0)
                return;
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = 0;
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

static void sleep_step(void) {
        struct timespec ts = { .tv_nsec = WAIT_STEP_MS * 1000000L };

        drain_notify();
        /* Bounded retry on a condition (testbed files raise no inotify events). */
        nanosleep(&ts, NULL);
}

bool rig_wait_attr(const char *syspath, const char *attr, const char *value) {
        for (int t = 0; t < WAIT_TIMEOUT_MS; t += WAIT_STEP_MS) {
                if (strcmp(rig_attr(syspath, attr), value) == 0)
                        return true;
                sleep_step();
        }
        return false;
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

bool rig_state_device(Rig *r, const char *device, char *buf, size_t size) {
        const char *s = rig_state(r), *start;
        char needle[128];
        int depth = 0;
        bool in_string = false;

        snprintf(needle, sizeof(needle), "{\"device\":\"%s\",", device);
        start = strstr(s, needle);
        if (!start)
                return false;
        for (const char *p = start; *p; p++) {
                if (in_string) {
                        if (*p == '\\' && p[1])
                                p++;
                        else if (*p == '"')
                                in_string = false;
                        continue;
                }
                if (*p == '"')
                        in_string = true;
                else if (*p == '{' || *p == '[')
                        depth++;
                else if ((*p == '}' || *p == ']') && --depth == 0) {
                        size_t n = (size_t) (p - start + 1);

                        if (n >= size)
                                return false;
                        memcpy(buf, start, n);
                        buf[n] = 0;
                        return true;
                }
        }
        return false;
}

const char *json_field(const char *obj, const char *key) {
        static char buf[1024];
        char needle[128];
        const char *p;
        size_t n = 0;

        snprintf(needle, sizeof(needle), "\"%s\":\"", key);
        p = strstr(obj, needle);
        if (!p)
                return NULL;
        p += strlen(needle);
        while (*p && *p != '"' && n < sizeof(buf) - 1) {
                if (*p == '\\' && p[1])
                        p++;
                buf[n++] = *p++;
        }
        buf[n] = 0;
        return buf;
}

bool rig_wait_decision(Rig *r, const char *device, const char *decision) {
        char obj[16384];

        for (int t = 0; t < WAIT_TIMEOUT_MS; t += WAIT_STEP_MS) {
                if (rig_state_device(r, device, obj, sizeof(obj))) {
                        const char *d = json_field(obj, "decision");

                        /* umockdev may announce the device before its descriptors are written: only
                         * a record with an identity counts. */
                        if (d && strcmp(d, decision) == 0 && json_field(obj, "vendor"))
                                return true;
                }
                sleep_step();
        }
        return false;
}

bool rig_wait_policy_status(Rig *r, const char *status) {
        char needle[64];

        snprintf(needle, sizeof(needle), "\"policy\":{\"status\":\"%s\"", status);
        for (int t = 0; t < WAIT_TIMEOUT_MS; t += WAIT_STEP_MS) {
                if (strstr(rig_state(r), needle))
                        return true;
                sleep_step();
        }
        return false;
}
