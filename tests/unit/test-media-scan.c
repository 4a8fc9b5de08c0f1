/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure parts of the media scan (agent/media/media-scan.c, MED-09): clamd's FILDES replies, the
 * decision from a result and the policy, the status strings and reasons; and the `media-scan:`
 * key of the antivirus check (policy/posture/policy-posture.c). The walk itself runs against a
 * real clamd in tests/clamd/media-scan-test.py. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "media-scan-job.h"
#include "media-scan.h"
#include "policy.h"

#define RULES "rules: [ { id: r, action: block } ]\n"

static int parse(const char *s, ClamdScanVerdict *v, char *sig, size_t n) {
        return clamd_scan_reply_parse(s, strlen(s), v, sig, n);
}

static void test_reply(void **state) {
        ClamdScanVerdict v;
        char sig[16];

        assert_int_equal(parse("fd[10]: OK", &v, sig, sizeof sig), 0);
        assert_int_equal(v, CLAMD_SCAN_OK);
        assert_int_equal(parse("fd[7]: OK\n", &v, sig, sizeof sig), 0);
        assert_int_equal(v, CLAMD_SCAN_OK);
        assert_int_equal(parse("fd[10]: Eicar-Test FOUND", &v, sig, sizeof sig), 0);
        assert_int_equal(v, CLAMD_SCAN_FOUND);
        assert_string_equal(sig, "Eicar-Test");
        /* cut to the buffer, never overrun */
        assert_int_equal(parse("fd[10]: Mamori.Test.EICAR.UNOFFICIAL FOUND", &v, sig, sizeof sig), 0);
        assert_string_equal(sig, "Mamori.Test.EIC");
        assert_int_equal(parse("fd[10]: lstat() failed: No such file. ERROR", &v, sig, sizeof sig), 0);
        assert_int_equal(v, CLAMD_SCAN_ERROR);
        assert_int_equal(parse("fd[3]: ERROR", &v, sig, sizeof sig), 0);

        static const char *const bad[] = {
                "", "OK", "PONG", "fd[]: OK", "fd[x]: OK", "fd[10] OK", "fd[10]:OK", "fd[10]: ", "fd[10]:", "fd[10]: FOUND",
                "fd[10]: two words FOUND", "fd[10]: ok", "fd[10]: OK OK", "fd[10", "/media/x: OK",
                "fd[10]: Sig\x01 FOUND",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_int_equal(parse(bad[i], &v, sig, sizeof sig), -EBADMSG);
        assert_int_equal(clamd_scan_reply_parse("fd[1]: O\0K", 10, &v, sig, sizeof sig), -EBADMSG);
}

static MediaScanResult result(MediaScanStatus s, unsigned detections) {
        return (MediaScanResult) { .status = s, .n_detections = detections };
}

static void assert_decision(MediaScanDecision d, bool writable, bool deauthorize, bool quarantine, bool incident) {
        assert_int_equal(d.writable, writable);
        assert_int_equal(d.deauthorize, deauthorize);
        assert_int_equal(d.quarantine, quarantine);
        assert_int_equal(d.incident, incident);
}

static void test_decide(void **state) {
        MediaScanResult clean = result(MEDIA_SCAN_CLEAN, 0), infected = result(MEDIA_SCAN_INFECTED, 1);

        for (int a = 0; a < _POSTURE_MEDIA_SCAN_ACTION_MAX; a++) {
                assert_decision(media_scan_decide(&clean, a, false), true, false, false, false);
                assert_decision(media_scan_decide(&clean, a, true), false, false, false, false);
                assert_decision(media_scan_decide(&infected, a, false), false, true, true, true);
                assert_decision(media_scan_decide(&infected, a, true), false, true, true, true);
        }
        for (int s = MEDIA_SCAN_TOO_MANY_FILES; s < _MEDIA_SCAN_STATUS_MAX; s++) {
                MediaScanResult r = result(s, 0);

                assert_decision(media_scan_decide(&r, POSTURE_MEDIA_SCAN_READ_ONLY, false), false, false, false, false);
                assert_decision(media_scan_decide(&r, POSTURE_MEDIA_SCAN_BLOCK, false), false, true, false, false);
                assert_decision(media_scan_decide(&r, POSTURE_MEDIA_SCAN_REPORT, false), true, false, false, false);
                assert_decision(media_scan_decide(&r, POSTURE_MEDIA_SCAN_REPORT, true), false, false, false, false);
                /* a detection before the limit still blocks */
                r.n_detections = 1;
                assert_decision(media_scan_decide(&r, POSTURE_MEDIA_SCAN_REPORT, false), false, true, true, true);
        }
        /* an unknown action keeps the medium read-only */
        MediaScanResult t = result(MEDIA_SCAN_TIMEOUT, 0);
        assert_decision(media_scan_decide(&t, _POSTURE_MEDIA_SCAN_ACTION_INVALID, false), false, false, false, false);
}

static void test_strings(void **state) {
        char buf[256];

        for (int i = 0; i < _MEDIA_SCAN_STATUS_MAX; i++) {
                MediaScanResult r = result(i, i == MEDIA_SCAN_INFECTED);

                assert_int_equal(media_scan_status_from_string(media_scan_status_to_string(i)), i);
                strcpy(r.detections[0].signature, "Sig");
                strcpy(r.detections[0].path, "a/b");
                assert_true(strlen(media_scan_reason(&r, buf, sizeof buf)) > 0);
        }
        for (int i = 0; i < _POSTURE_MEDIA_SCAN_ACTION_MAX; i++)
                assert_int_equal(posture_media_scan_action_from_string(posture_media_scan_action_to_string(i)), i);
        assert_int_equal(media_scan_status_from_string("dirty"), _MEDIA_SCAN_STATUS_INVALID);
        MediaScanResult inf = result(MEDIA_SCAN_INFECTED, 1);
        strcpy(inf.detections[0].signature, "Mamori.Test");
        strcpy(inf.detections[0].path, "x/setup.exe");
        assert_non_null(strstr(media_scan_reason(&inf, buf, sizeof buf), "Mamori.Test"));
        assert_non_null(strstr(buf, "x/setup.exe"));
}

static void test_size(void **state) {
        uint64_t n;

        assert_int_equal(posture_size_parse("4GiB", &n), 0);
        assert_true(n == (UINT64_C(4) << 30));
        assert_int_equal(posture_size_parse("512B", &n), 0);
        assert_int_equal(n, 512);
        assert_int_equal(posture_size_parse("64KiB", &n), 0);
        assert_int_equal(n, 65536);
        assert_int_equal(posture_size_parse("1TiB", &n), 0);
        assert_true(n == (UINT64_C(1) << 40));
        static const char *const bad[] = { "", "4", "4G", "4GB", "4 GiB", "-1B", "1.5GiB", "GiB", "4gib" };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
                assert_int_equal(posture_size_parse(bad[i], &n), -EINVAL);
        assert_int_equal(posture_size_parse("16777216TiB", &n), -ERANGE);
        assert_int_equal(posture_size_parse("99999999999999999999B", &n), -ERANGE);
}

static Policy *load(const char *text, PolicyError *e) {
        Policy *p = NULL;
        int r;

        assert_int_equal(policy_new(&p), 0);
        r = policy_add_buffer(p, "t.yaml", text, strlen(text), e);
        if (r >= 0)
                r = policy_finish(p, e);
        if (r < 0) {
                policy_free(p);
                return NULL;
        }
        return p;
}

static void test_policy(void **state) {
        PolicyError e = {};
        Policy *p = load(RULES "posture:\n  checks:\n    antivirus: {}\n", &e);
        const PosturePolicy *pp;

        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_false(pp->media_scan.enabled);
        assert_int_equal(pp->media_scan.action, POSTURE_MEDIA_SCAN_READ_ONLY);
        assert_true(pp->media_scan.max_bytes == POSTURE_DEFAULT_MEDIA_SCAN_MAX_BYTES);
        assert_int_equal(pp->media_scan.max_files, 100000);
        assert_true(pp->media_scan.timeout_usec == 600 * USEC_PER_SEC);
        policy_free(p);

        p = load(RULES "posture:\n  checks:\n    antivirus: { media-scan: {} }\n", &e);
        assert_non_null(p);
        assert_true(policy_get_posture(p)->media_scan.enabled);
        policy_free(p);

        p = load(RULES "posture:\n  checks:\n    antivirus:\n      media-scan: { action: block, max-bytes: 512MiB, "
                 "max-files: 2000, timeout: 90s }\n", &e);
        assert_non_null(p);
        pp = policy_get_posture(p);
        assert_true(pp->media_scan.enabled);
        assert_int_equal(pp->media_scan.action, POSTURE_MEDIA_SCAN_BLOCK);
        assert_true(pp->media_scan.max_bytes == (UINT64_C(512) << 20));
        assert_int_equal(pp->media_scan.max_files, 2000);
        assert_true(pp->media_scan.timeout_usec == 90 * USEC_PER_SEC);
        policy_free(p);

        static const struct {
                const char *text, *error;
        } bad[] = {
                { "      media-scan: { action: quarantine }\n",
                  "t.yaml:5:29: 'action' of 'media-scan' must be 'read-only', 'block' or 'report'" },
                { "      media-scan: { max-bytes: 4GB }\n",
                  "t.yaml:5:32: invalid size '4GB' for 'max-bytes': expected a number and a unit (B, KiB, MiB, GiB, "
                  "TiB), e.g. 4GiB" },
                { "      media-scan: { max-bytes: 0B }\n", "t.yaml:5:32: 'max-bytes' must be larger than 0" },
                { "      media-scan: { max-files: 0 }\n",
                  "t.yaml:5:32: 'max-files' must be a whole number from 1 to 999999999" },
                { "      media-scan: { max-files: 12x }\n",
                  "t.yaml:5:32: 'max-files' must be a whole number from 1 to 999999999" },
                { "      media-scan: { timeout: 0s }\n", "t.yaml:5:30: 'timeout' must be longer than 0" },
                { "      media-scan: yes\n", NULL },
                { "      media-scan: { scan: all }\n", NULL },
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                char text[512], got[1200];

                snprintf(text, sizeof text, RULES "posture:\n  checks:\n    antivirus:\n%s", bad[i].text);
                e = (PolicyError) {};
                p = load(text, &e);
                assert_null(p);
                snprintf(got, sizeof got, "%s:%u:%u: %s", e.file, e.line, e.column, e.message);
                print_message("%s\n", got);
                if (bad[i].error)
                        assert_string_equal(got, bad[i].error);
                else
                        assert_non_null(strstr(got, "t.yaml:5:"));
        }
}

static void mkdirs(const char *root, const char *rel) {
        char path[512];

        snprintf(path, sizeof path, "%s/%s", root, rel);
        for (char *p = path + strlen(root) + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        (void) mkdir(path, 0755);
                        *p = '/';
                }
        assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
}

static void link_at(const char *root, const char *target, const char *rel) {
        char path[512];

        snprintf(path, sizeof path, "%s/%s", root, rel);
        assert_int_equal(symlink(target, path), 0);
}

/* Which mounts belong to the disk: its partitions and a dm-crypt device over one, in a sysfs
 * fixture (the real dm stack cannot be built where device-mapper is missing). */
static void test_devno_on_disk(void **state) {
        char root[256], disk[600], other[600], cmd[700];

        snprintf(root, sizeof root, "%s/test-media-scan-XXXXXX", getenv("TMPDIR") ?: P_tmpdir);
        assert_non_null(mkdtemp(root));
        mkdirs(root, "devices/virtual/block/sdb/sdb1");
        mkdirs(root, "devices/virtual/block/sdc/sdc1");
        mkdirs(root, "devices/virtual/block/dm-0/slaves");
        mkdirs(root, "devices/virtual/block/dm-1/slaves");
        mkdirs(root, "devices/virtual/block/dm-2/slaves");
        mkdirs(root, "dev/block");
        link_at(root, "../../sdb/sdb1", "devices/virtual/block/dm-0/slaves/sdb1");   /* LUKS on sdb1 */
        link_at(root, "../../sdc/sdc1", "devices/virtual/block/dm-1/slaves/sdc1");   /* LUKS on sdc1 */
        link_at(root, "../../dm-0", "devices/virtual/block/dm-2/slaves/dm-0");       /* LVM on the LUKS */
        link_at(root, "../../devices/virtual/block/sdb", "dev/block/8:16");
        link_at(root, "../../devices/virtual/block/sdb/sdb1", "dev/block/8:17");
        link_at(root, "../../devices/virtual/block/sdc/sdc1", "dev/block/8:33");
        link_at(root, "../../devices/virtual/block/dm-0", "dev/block/253:0");
        link_at(root, "../../devices/virtual/block/dm-1", "dev/block/253:1");
        link_at(root, "../../devices/virtual/block/dm-2", "dev/block/253:2");
        snprintf(disk, sizeof disk, "%s/devices/virtual/block/sdb", root);
        snprintf(other, sizeof other, "%s/devices/virtual/block/sdc", root);

        assert_true(media_scan_devno_on_disk(makedev(8, 16), disk, root));
        assert_true(media_scan_devno_on_disk(makedev(8, 17), disk, root));
        assert_true(media_scan_devno_on_disk(makedev(253, 0), disk, root));
        assert_true(media_scan_devno_on_disk(makedev(253, 2), disk, root));
        assert_false(media_scan_devno_on_disk(makedev(253, 1), disk, root));
        assert_false(media_scan_devno_on_disk(makedev(8, 33), disk, root));
        assert_true(media_scan_devno_on_disk(makedev(253, 1), other, root));
        assert_false(media_scan_devno_on_disk(makedev(0, 45), disk, root));          /* tmpfs */
        assert_false(media_scan_devno_on_disk(makedev(7, 0), disk, root));           /* not in sysfs */
        /* "sdb" must not match "sdb10"-style siblings by prefix: sdbx is another disk */
        mkdirs(root, "devices/virtual/block/sdbx");
        link_at(root, "../../devices/virtual/block/sdbx", "dev/block/8:48");
        assert_false(media_scan_devno_on_disk(makedev(8, 48), disk, root));

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reply),
                cmocka_unit_test(test_decide),
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_size),
                cmocka_unit_test(test_policy),
                cmocka_unit_test(test_devno_on_disk),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
