/* SPDX-License-Identifier: GPL-2.0-or-later */
/* usbid's sysfs reads and its interface decision, on a sysfs-like tree in a temporary directory:
 * an attribute keeps everything but the kernel's newline, a FIFO or a directory where an
 * attribute should be is refused without blocking, and an interface is allowed only when its
 * own directory under the device shows a class the descriptors declared (DEV-01, MED-01). */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "fileio.h"
#include "usb-device.h"

static char root[] = "/tmp/mamori-test-usb-device.XXXXXX";

static void write_at(const char *rel, const void *data, size_t size) {
        char path[512];
        FILE *f;

        snprintf(path, sizeof path, "%s/%s", root, rel);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, size, f), size);
        assert_int_equal(fclose(f), 0);
}

static void write_text(const char *rel, const char *text) {
        write_at(rel, text, strlen(text));
}

static void mkdir_at(const char *rel) {
        char path[512];

        snprintf(path, sizeof path, "%s/%s", root, rel);
        assert_int_equal(mkdir(path, 0755), 0);
}

static int rootfd(void) {
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(fd >= 0);
        return fd;
}

/* The attribute rel as read_sysattr_at() reads it; its return value in *r. */
static char *attr(const char *rel, int *r) {
        char *v = NULL;
        int fd = rootfd();

        *r = read_sysattr_at(fd, rel, &v);
        close(fd);
        return v;
}

static void expect_attr(const char *content, size_t size, const char *want) {
        char *v;
        int r;

        write_at("a", content, size);
        v = attr("a", &r);
        assert_int_equal(r, 0);
        assert_non_null(v);
        assert_string_equal(v, want);
        free(v);
}

static void test_attr_one_newline(void **state) {
        expect_attr("REG0001\n", 8, "REG0001");
        expect_attr("REG0001", 7, "REG0001");
        /* only the kernel's newline goes: a serial ending in '\r' is not the registered one */
        expect_attr("REG0001\r", 8, "REG0001\r");
        expect_attr("REG0001\r\n", 9, "REG0001\r");
        expect_attr("REG0001 \n", 9, "REG0001 ");
        expect_attr("REG0001\n\n", 9, "REG0001\n");
        expect_attr("\n", 1, "");
        expect_attr("", 0, "");
}

static void test_attr_refused(void **state) {
        char path[512];
        char *v;
        int r;

        write_at("nul", "REG\0" "001\n", 8);
        v = attr("nul", &r);
        assert_int_equal(r, -EBADMSG);
        assert_null(v);

        v = attr("missing", &r);
        assert_int_equal(r, -ENOENT);
        assert_null(v);

        /* A FIFO with no writer: an open without O_NONBLOCK would hang here. */
        snprintf(path, sizeof path, "%s/fifo", root);
        assert_int_equal(mkfifo(path, 0600), 0);
        v = attr("fifo", &r);
        assert_int_equal(r, -EBADFD);
        assert_null(v);

        mkdir_at("dir");
        v = attr("dir", &r);
        assert_int_equal(r, -EBADFD);
        assert_null(v);
}

static void test_read_binary(void **state) {
        uint8_t big[9000];
        char *v = NULL;
        size_t n = 0;
        int fd;

        for (size_t i = 0; i < sizeof big; i++)
                big[i] = (uint8_t) (i * 7);
        big[100] = 0;
        write_at("descriptors", big, sizeof big);
        fd = rootfd();
        assert_int_equal(read_sysfs_at(fd, "descriptors", sizeof big, &v, &n), 0);
        assert_int_equal(n, sizeof big);
        assert_memory_equal(v, big, sizeof big);
        free(v);
        v = NULL;
        assert_int_equal(read_sysfs_at(fd, "descriptors", sizeof big - 1, &v, &n), -EFBIG);
        assert_null(v);
        close(fd);
}

/* Device 1-2: interface 1.0 is mass storage (08/06/50) in its descriptors, 1.1 HID (03/01/01). */
static const PolicyInterface ifs[] = {
        { .name = "1-2:1.0", .number = 0, .cls = 0x08, .subclass = 0x06, .protocol = 0x50 },
        { .name = "1-2:1.1", .number = 1, .cls = 0x03, .subclass = 0x01, .protocol = 0x01 },
};
static const PolicyInterfaceDecision allow_both[] = {
        { DECISION_ALLOW, "r-storage" },
        { DECISION_ALLOW, "r-hid" },
};

static void interface_dir(const char *name, const char *cls, const char *sub, const char *proto) {
        char rel[256];

        snprintf(rel, sizeof rel, "1-2/%s", name);
        mkdir_at(rel);
        if (cls) {
                snprintf(rel, sizeof rel, "1-2/%s/bInterfaceClass", name);
                write_text(rel, cls);
        }
        snprintf(rel, sizeof rel, "1-2/%s/bInterfaceSubClass", name);
        write_text(rel, sub);
        snprintf(rel, sizeof rel, "1-2/%s/bInterfaceProtocol", name);
        write_text(rel, proto);
}

static Decision decide(const char *name, const PolicyInterfaceDecision *ids, const char **rule) {
        char dev[512];

        snprintf(dev, sizeof dev, "%s/1-2", root);
        return usb_interface_decision_at(dev, ifs, ids, ELEMENTSOF(ifs), name, rule);
}

static void test_interface_real_class(void **state) {
        const char *rule = "x";

        mkdir_at("1-2");
        interface_dir("1-2:1.0", "08\n", "06\n", "50\n");
        assert_int_equal(decide("1-2:1.0", allow_both, &rule), DECISION_ALLOW);
        assert_string_equal(rule, "r-storage");

        /* the descriptors said HID, the kernel's interface is storage: blocked */
        interface_dir("1-2:1.1", "08\n", "06\n", "50\n");
        rule = "x";
        assert_int_equal(decide("1-2:1.1", allow_both, &rule), DECISION_BLOCK);
        assert_null(rule);
}

static void test_interface_unreadable_class(void **state) {
        mkdir_at("1-2");
        interface_dir("1-2:1.0", NULL, "06\n", "50\n");         /* no bInterfaceClass */
        assert_int_equal(decide("1-2:1.0", allow_both, NULL), DECISION_BLOCK);
        interface_dir("1-2:1.1", "zz\n", "01\n", "01\n");       /* garbled */
        assert_int_equal(decide("1-2:1.1", allow_both, NULL), DECISION_BLOCK);
}

static void test_interface_subclass_protocol(void **state) {
        mkdir_at("1-2");
        interface_dir("1-2:1.0", "08\n", "06\n", "62\n");       /* UAS, not bulk-only */
        assert_int_equal(decide("1-2:1.0", allow_both, NULL), DECISION_BLOCK);
        interface_dir("1-2:1.1", "03\n", "00\n", "01\n");       /* not a boot keyboard */
        assert_int_equal(decide("1-2:1.1", allow_both, NULL), DECISION_BLOCK);
}

/* The interface's directory must be the device's own: not missing, not a link elsewhere, not a
 * path out of it. */
static void test_interface_belongs_to_device(void **state) {
        char target[512], link[512];

        mkdir_at("1-2");
        mkdir_at("1-3");
        mkdir_at("1-3/1-3:1.0");
        write_text("1-3/1-3:1.0/bInterfaceClass", "08\n");
        write_text("1-3/1-3:1.0/bInterfaceSubClass", "06\n");
        write_text("1-3/1-3:1.0/bInterfaceProtocol", "50\n");
        assert_int_equal(decide("1-2:1.0", allow_both, NULL), DECISION_BLOCK);     /* missing */

        snprintf(target, sizeof target, "%s/1-3/1-3:1.0", root);
        snprintf(link, sizeof link, "%s/1-2/1-2:1.0", root);
        assert_int_equal(symlink(target, link), 0);
        assert_int_equal(decide("1-2:1.0", allow_both, NULL), DECISION_BLOCK);     /* a link */

        assert_int_equal(decide("../1-3/1-3:1.0", allow_both, NULL), DECISION_BLOCK);
        assert_int_equal(decide("1-3:1.0", allow_both, NULL), DECISION_BLOCK);
}

static void test_interface_policy_first(void **state) {
        static const PolicyInterfaceDecision block_storage[] = {
                { DECISION_BLOCK, "no-storage" },
                { DECISION_ALLOW, "r-hid" },
        };
        const char *rule = NULL;

        mkdir_at("1-2");
        interface_dir("1-2:1.0", "08\n", "06\n", "50\n");
        assert_int_equal(decide("1-2:1.0", block_storage, &rule), DECISION_BLOCK);
        assert_string_equal(rule, "no-storage");
}

/* The same decision through the device, as the agent asks for it. */
static void test_device_interface_decision(void **state) {
        char dev[512];
        PolicyDecision d = { .decision = DECISION_ALLOW, .n_interfaces = ELEMENTSOF(ifs),
                             .interfaces = (PolicyInterfaceDecision *) allow_both };
        UsbDevice u = { .syspath = dev, .name = (char *) "1-2", .interfaces = (PolicyInterface *) ifs,
                        .n_interfaces = ELEMENTSOF(ifs) };

        snprintf(dev, sizeof dev, "%s/1-2", root);
        mkdir_at("1-2");
        interface_dir("1-2:1.0", "08\n", "06\n", "50\n");
        interface_dir("1-2:1.1", "08\n", "06\n", "50\n");
        assert_int_equal(usb_device_interface_decision(&u, &d, "1-2:1.0", NULL), DECISION_ALLOW);
        assert_int_equal(usb_device_interface_decision(&u, &d, "1-2:1.1", NULL), DECISION_BLOCK);
}

static int make_root(void **state) {
        strcpy(root, "/tmp/mamori-test-usb-device.XXXXXX");
        return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state) {
        char cmd[600];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_attr_one_newline, make_root, remove_root),
                cmocka_unit_test_setup_teardown(test_attr_refused, make_root, remove_root),
                cmocka_unit_test_setup_teardown(test_read_binary, make_root, remove_root),
                cmocka_unit_test_setup_teardown(test_interface_real_class, make_root, remove_root),
                cmocka_unit_test_setup_teardown(test_interface_unreadable_class, make_root, remove_root),
                cmocka_unit_test_setup_teardown(test_interface_subclass_protocol, make_root, remove_root),
                cmocka_unit_test_setup_teardown(test_interface_belongs_to_device, make_root, remove_root),
                cmocka_unit_test_setup_teardown(test_interface_policy_first, make_root, remove_root),
                cmocka_unit_test_setup_teardown(test_device_interface_decision, make_root, remove_root),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
