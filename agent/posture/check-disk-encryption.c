/* SPDX-License-Identifier: GPL-2.0-or-later */
/* disk-encryption (DAT-01): 「端末のディスクデータの暗号化」「セキュリティチップ…を有効に活用」.
 *
 * A path is on the mount whose mount point is its longest prefix (the last such line of
 * mountinfo: later mounts cover earlier ones). Its major:minor leads to /sys/dev/block/M:m; from
 * there slaves/ is walked down to the disks. A stack is encrypted when every way down passes a
 * device-mapper device whose dm/uuid starts with "CRYPT-" (dm-crypt: LUKS or plain). */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-disk-encryption.h"
#include "fileio.h"
#include "i18n.h"
#include "macro.h"

#define STACK_MAX_DEPTH 16
#define PROC_FILE_MAX (4U * 1024U * 1024U)

/* Unescapes the octal escapes (\040) of mountinfo and /proc/swaps. */
static char *unescape(const char *s, size_t n) {
        char *d = malloc(n + 1), *p = d;

        if (!d)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
                    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        *p++ = (char) ((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
                        i += 3;
                } else
                        *p++ = s[i];
        }
        *p = 0;
        return d;
}

/* The next space-separated field of *s: its start and length; advances *s. */
static bool next_field(const char **s, const char **ret, size_t *ret_len) {
        const char *p = *s;

        while (*p == ' ' || *p == '\t')
                p++;
        if (!*p)
                return false;
        *ret = p;
        while (*p && *p != ' ' && *p != '\t')
                p++;
        *ret_len = (size_t) (p - *ret);
        *s = p;
        return true;
}

int mountinfo_parse_line(const char *line, unsigned *ret_major, unsigned *ret_minor, char **ret_mount_point,
                         char **ret_fstype, char **ret_source) {
        const char *f[5], *p = line, *fs, *src;
        size_t len[5], fs_len, src_len;
        unsigned major, minor;
        char c;

        assert_return(line, -EINVAL);
        for (size_t i = 0; i < 5; i++)
                if (!next_field(&p, &f[i], &len[i]))
                        return -EINVAL;
        if (sscanf(f[2], "%u:%u%c", &major, &minor, &c) != 3 || c != ' ')
                return -EINVAL;
        /* optional fields up to the separator "-" */
        for (;;) {
                const char *o;
                size_t olen;

                if (!next_field(&p, &o, &olen))
                        return -EINVAL;
                if (olen == 1 && o[0] == '-')
                        break;
        }
        if (!next_field(&p, &fs, &fs_len) || !next_field(&p, &src, &src_len))
                return -EINVAL;

        _cleanup_free_ char *mp = unescape(f[4], len[4]), *fstype = strndup(fs, fs_len),
                            *source = unescape(src, src_len);
        if (!mp || !fstype || !source)
                return -ENOMEM;
        *ret_major = major;
        *ret_minor = minor;
        *ret_mount_point = TAKE_PTR(mp);
        *ret_fstype = TAKE_PTR(fstype);
        *ret_source = TAKE_PTR(source);
        return 0;
}

static bool path_is_below(const char *path, const char *mp) {
        size_t n = strlen(mp);

        if (streq(mp, "/"))
                return path[0] == '/';
        return strncmp(path, mp, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static void disk_stack_done(DiskStack *s) {
        free(s->top);
        free(s->layers);
        *s = (DiskStack) {};
}

/* Walks the stack below the sysfs device directory dir. */
static int stack_walk(const char *root, const char *dir, unsigned depth, char **ret_layers, bool *ret_encrypted) {
        _cleanup_free_ char *real = NULL, *uuid_path = NULL, *uuid = NULL, *slaves_path = NULL, *below = NULL;
        _cleanup_free_ struct dirent **names = NULL;
        bool is_crypt, all_encrypted = true;
        unsigned n_below = 0;
        const char *name;
        int n, r = 0;

        if (depth > STACK_MAX_DEPTH)
                return -ELOOP;
        real = realpath(dir, NULL);
        if (!real)
                return -errno;
        name = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
        if (asprintf(&uuid_path, "%s/dm/uuid", real) < 0 || asprintf(&slaves_path, "%s/slaves", real) < 0)
                return -ENOMEM;
        is_crypt = read_one_line_file(uuid_path, &uuid) >= 0 && strncmp(uuid, "CRYPT-", 6) == 0;

        n = scandir(slaves_path, &names, NULL, alphasort);
        for (int i = 0; i < MAX(n, 0); i++) {
                _cleanup_free_ char *sub = NULL, *layers = NULL, *joined = NULL;
                bool enc = false;

                if (r >= 0 && names[i]->d_name[0] != '.') {
                        if (asprintf(&sub, "%s/sys/class/block/%s", root, names[i]->d_name) < 0)
                                r = -ENOMEM;
                        else
                                r = stack_walk(root, sub, depth + 1, &layers, &enc);
                        if (r >= 0) {
                                all_encrypted = all_encrypted && enc;
                                n_below++;
                                if (asprintf(&joined, "%s%s%s", below ?: "", below ? ", " : "", layers) < 0)
                                        r = -ENOMEM;
                                else {
                                        free(below);
                                        below = TAKE_PTR(joined);
                                }
                        }
                }
                free(names[i]);
        }
        if (r < 0)
                return r;
        if (!below) {
                *ret_layers = strdup(name);
                *ret_encrypted = is_crypt;
        } else {
                bool many = n_below > 1;

                if (asprintf(ret_layers, "%s <- %s%s%s", name, many ? "[" : "", below, many ? "]" : "") < 0)
                        *ret_layers = NULL;
                *ret_encrypted = is_crypt || all_encrypted;
        }
        return *ret_layers ? 0 : -ENOMEM;
}

/* Fills a stack from the sysfs directory of its top device. */
static int stack_from_dir(const char *root, const char *dir, DiskStack *st) {
        _cleanup_free_ char *real = NULL;
        int r;

        st->on_block_device = true;
        real = realpath(dir, NULL);
        if (!real) {
                st->error = -errno;
                return 0;
        }
        st->top = strdup(strrchr(real, '/') + 1);
        if (!st->top)
                return -ENOMEM;
        r = stack_walk(root, dir, 0, &st->layers, &st->encrypted);
        if (r == -ENOMEM)
                return r;
        st->error = MIN(r, 0);
        return 0;
}

/* The stack of a device node path (/dev/mapper/x, /dev/sda3) through root/sys/class/block. */
static int stack_from_node(const char *root, const char *node, DiskStack *st) {
        _cleanup_free_ char *path = NULL, *real = NULL, *dir = NULL, *dev = NULL;

        if (asprintf(&path, "%s%s", root, node) < 0)
                return -ENOMEM;
        real = realpath(path, NULL);
        if (!real)
                return 0;       /* not a device we can find: left as not on a block device */
        if (asprintf(&dir, "%s/sys/class/block/%s", root, strrchr(real, '/') + 1) < 0)
                return -ENOMEM;
        if (access(dir, F_OK) < 0)
                return 0;
        free(path);
        path = NULL;
        if (asprintf(&path, "%s/dev", dir) < 0)
                return -ENOMEM;
        if (read_one_line_file(path, &dev) >= 0)
                (void) sscanf(dev, "%u:%u", &st->major, &st->minor);
        return stack_from_dir(root, dir, st);
}

static int stack_from_devnum(const char *root, unsigned major, unsigned minor, DiskStack *st) {
        _cleanup_free_ char *dir = NULL;

        st->major = major;
        st->minor = minor;
        if (asprintf(&dir, "%s/sys/dev/block/%u:%u", root, major, minor) < 0)
                return -ENOMEM;
        return stack_from_dir(root, dir, st);
}

/* Finds the mount of path in the mountinfo text and fills m. */
static int mount_find(const char *root, const char *mountinfo, const char *path, DiskMount *m) {
        unsigned best_major = 0, best_minor = 0;
        size_t best_len = 0;

        for (const char *line = mountinfo; line && *line;) {
                const char *end = strchrnul(line, '\n');
                _cleanup_free_ char *l = strndup(line, (size_t) (end - line)), *mp = NULL, *fstype = NULL,
                                    *source = NULL;
                unsigned major, minor;
                int r;

                if (!l)
                        return -ENOMEM;
                r = mountinfo_parse_line(l, &major, &minor, &mp, &fstype, &source);
                if (r == -ENOMEM)
                        return r;
                if (r >= 0 && path_is_below(path, mp) && strlen(mp) >= best_len) {
                        best_len = strlen(mp);
                        best_major = major;
                        best_minor = minor;
                        free(m->mount_point);
                        free(m->fstype);
                        free(m->source);
                        m->mount_point = TAKE_PTR(mp);
                        m->fstype = TAKE_PTR(fstype);
                        m->source = TAKE_PTR(source);
                }
                line = *end ? end + 1 : end;
        }
        if (!m->mount_point)
                return 0;
        if (best_major != 0)
                return stack_from_devnum(root, best_major, best_minor, &m->stack);
        /* an anonymous device (btrfs subvolumes too): a /dev source may still name the disk */
        m->stack.major = best_major;
        m->stack.minor = best_minor;
        if (m->source[0] == '/')
                return stack_from_node(root, m->source, &m->stack);
        return 0;
}

/* The path as the system resolves it (symbolic links), relative to root. */
static char *resolve(const char *root, const char *path) {
        _cleanup_free_ char *full = NULL, *real = NULL;
        size_t n = strlen(root);

        if (asprintf(&full, "%s%s", root, path) < 0)
                return NULL;
        real = realpath(full, NULL);
        if (real && strncmp(real, root, n) == 0 && (real[n] == '/' || (n == 0 && real[0] == '/')))
                return strdup(real + n);
        if (real && n > 0 && streq(real, root))
                return strdup("/");
        return strdup(path);
}

static int probe_swaps(const char *root, const char *mountinfo, DiskState *s) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        const char *line;
        int r;

        if (asprintf(&path, "%s/proc/swaps", root) < 0)
                return -ENOMEM;
        r = read_full_file(path, PROC_FILE_MAX, &data, NULL);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                s->swaps_error = r;
                return 0;
        }
        line = strchr(data, '\n');      /* the header line */
        while (line && *++line) {
                const char *end = strchrnul(line, '\n'), *p, *f, *t;
                _cleanup_free_ char *l = strndup(line, (size_t) (end - line));
                size_t flen, tlen;
                DiskSwap *sw;

                if (!l)
                        return -ENOMEM;
                p = l;
                if (next_field(&p, &f, &flen) && next_field(&p, &t, &tlen)) {
                        sw = realloc(s->swaps, (s->n_swaps + 1) * sizeof *sw);
                        if (!sw)
                                return -ENOMEM;
                        s->swaps = sw;
                        sw = &s->swaps[s->n_swaps++];
                        *sw = (DiskSwap) { .name = unescape(f, flen), .type = strndup(t, tlen) };
                        if (!sw->name || !sw->type)
                                return -ENOMEM;
                        if (streq(sw->type, "file")) {
                                DiskMount m = { .path = sw->name };

                                r = mount_find(root, mountinfo ?: "", sw->name, &m);
                                sw->stack = m.stack;
                                free(m.mount_point);
                                free(m.fstype);
                                free(m.source);
                        } else
                                r = stack_from_node(root, sw->name, &sw->stack);
                        if (r < 0)
                                return r;
                }
                line = end;
                if (!*line)
                        break;
        }
        return 0;
}

static bool probe_tpm(const char *root) {
        _cleanup_free_ char *path = NULL;
        struct dirent *de;
        bool found = false;
        DIR *d;

        if (asprintf(&path, "%s/sys/class/tpm", root) < 0)
                return false;
        d = opendir(path);
        if (!d)
                return false;
        while (!found && (de = readdir(d)))
                found = strncmp(de->d_name, "tpm", 3) == 0;
        closedir(d);
        return found;
}

int disk_encryption_probe(const char *root, char *const *paths, DiskState *ret) {
        _cleanup_free_ char *mi_path = NULL, *mountinfo = NULL;
        DiskState s = {};
        int r = 0;

        assert_return(paths && ret, -EINVAL);
        root = root ?: "";

        if (asprintf(&mi_path, "%s/proc/self/mountinfo", root) < 0)
                return -ENOMEM;
        r = read_full_file(mi_path, PROC_FILE_MAX, &mountinfo, NULL);
        if (r == -ENOMEM)
                return r;
        s.mountinfo_error = MIN(r, 0);
        r = 0;

        for (char *const *p = paths; *p && r >= 0; p++) {
                DiskMount *m = realloc(s.mounts, (s.n_mounts + 1) * sizeof *m);

                if (!m) {
                        r = -ENOMEM;
                        break;
                }
                s.mounts = m;
                m = &s.mounts[s.n_mounts++];
                *m = (DiskMount) { .path = strdup(*p) };
                _cleanup_free_ char *resolved = resolve(root, *p);
                if (!m->path || !resolved)
                        r = -ENOMEM;
                else if (mountinfo)
                        r = mount_find(root, mountinfo, resolved, m);
        }
        if (r >= 0)
                r = probe_swaps(root, mountinfo, &s);
        if (r < 0) {
                disk_state_done(&s);
                return r;
        }
        s.tpm_present = probe_tpm(root);
        *ret = s;
        return 0;
}

void disk_state_done(DiskState *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_mounts; i++) {
                free(s->mounts[i].path);
                free(s->mounts[i].mount_point);
                free(s->mounts[i].fstype);
                free(s->mounts[i].source);
                disk_stack_done(&s->mounts[i].stack);
        }
        free(s->mounts);
        for (size_t i = 0; i < s->n_swaps; i++) {
                free(s->swaps[i].name);
                free(s->swaps[i].type);
                disk_stack_done(&s->swaps[i].stack);
        }
        free(s->swaps);
        *s = (DiskState) {};
}

/* Evidence of one stack; returns whether it is encrypted. */
static int stack_evidence(const DiskStack *st, PostureEvidence *e) {
        char dev[32];
        int r = 0;

        snprintf(dev, sizeof dev, "%u:%u", st->major, st->minor);
        r = r ?: posture_evidence_add_string(e, "device", st->on_block_device ? dev : NULL);
        r = r ?: posture_evidence_add_string(e, "stack", st->layers);
        r = r ?: posture_evidence_add_bool(e, "encrypted", st->on_block_device && st->error == 0 && st->encrypted);
        if (!st->on_block_device)
                r = r ?: posture_evidence_add_string(e, "reason", "not on a block device");
        else if (st->error < 0)
                r = r ?: posture_evidence_add_string(e, "reason", strerror(-st->error));
        return r;
}

static bool stack_encrypted(const DiskStack *st) {
        return st->on_block_device && st->error == 0 && st->encrypted;
}

static int verdict_evidence(const DiskState *s, bool want_swap, bool want_tpm, PostureEvidence *e) {
        PostureEvidence *mounts, *swaps, *tpm, *o;
        int r;

        r = posture_evidence_add_object(e, "paths", &mounts);
        for (size_t i = 0; r >= 0 && i < s->n_mounts; i++) {
                const DiskMount *m = &s->mounts[i];

                r = posture_evidence_add_object(mounts, m->path, &o);
                r = r ?: posture_evidence_add_string(o, "mount_point", m->mount_point);
                r = r ?: posture_evidence_add_string(o, "fstype", m->fstype);
                r = r ?: posture_evidence_add_string(o, "source", m->source);
                r = r ?: stack_evidence(&m->stack, o);
        }
        if (r >= 0 && s->mountinfo_error < 0)
                r = posture_evidence_add_string(e, "mountinfo_error", strerror(-s->mountinfo_error));
        r = r ?: posture_evidence_add_object(e, "swap", &swaps);
        r = r ?: posture_evidence_add_bool(swaps, "required", want_swap);
        for (size_t i = 0; r >= 0 && i < s->n_swaps; i++) {
                r = posture_evidence_add_object(swaps, s->swaps[i].name, &o);
                r = r ?: posture_evidence_add_string(o, "type", s->swaps[i].type);
                r = r ?: stack_evidence(&s->swaps[i].stack, o);
        }
        if (r >= 0 && s->swaps_error < 0)
                r = posture_evidence_add_string(swaps, "error", strerror(-s->swaps_error));
        r = r ?: posture_evidence_add_object(e, "tpm", &tpm);
        r = r ?: posture_evidence_add_bool(tpm, "present", s->tpm_present);
        r = r ?: posture_evidence_add_bool(tpm, "required", want_tpm);
        return r;
}

int disk_encryption_verdict(const DiskState *s, bool want_swap, bool want_tpm, PostureResult *r) {
        const char *bad_path = NULL, *bad_swap = NULL;

        assert_return(s && r, -EINVAL);
        r->id = POSTURE_CHECK_DISK_ENCRYPTION;

        for (size_t i = 0; i < s->n_mounts && !bad_path; i++)
                if (!stack_encrypted(&s->mounts[i].stack))
                        bad_path = s->mounts[i].path;
        for (size_t i = 0; want_swap && i < s->n_swaps && !bad_swap; i++)
                if (!stack_encrypted(&s->swaps[i].stack))
                        bad_swap = s->swaps[i].name;

        if (s->mountinfo_error < 0 || (want_swap && s->swaps_error < 0))
                posture_result_set(r, POSTURE_STATUS_UNKNOWN, _("The mounts or swap areas could not be read."));
        else if (bad_path)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("'%s' is not on an encrypted disk."), bad_path);
        else if (bad_swap)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("The swap area '%s' is not encrypted."), bad_swap);
        else if (want_tpm && !s->tpm_present)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("No TPM security chip was found."));
        else
                posture_result_set(r, POSTURE_STATUS_PASS, _("The disks are encrypted."));
        return verdict_evidence(s, want_swap, want_tpm, &r->evidence);
}
