/* SPDX-License-Identifier: GPL-2.0-or-later */
/* updates (PAT-01): 「最新のセキュリティ更新プログラムを適用すること」.
 *
 * apt keeps, per archive, a Release (or clear-signed InRelease) file and its Packages indices in
 * /var/lib/apt/lists/, named after the source: "HOST_PATH_dists_SUITE_InRelease" and
 * "HOST_PATH_dists_SUITE_COMPONENT_binary-ARCH_Packages" (possibly .lz4 or .gz compressed,
 * Acquire::GzipIndexes). A security archive's indices that list a newer version of an installed
 * package are its pending security updates. The age of one is approximated by the mtime of the
 * index that lists it: apt rewrites an index when it changes, so this is the time the newest
 * change of that index was fetched, a lower bound of how long the update has been waiting. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check-updates.h"
#include "deb822.h"
#include "debversion.h"
#include "fileio.h"
#include "i18n.h"
#include "macro.h"

#define STATUS_MAX (256U * 1024U * 1024U)
#define RELEASE_MAX (16U * 1024U * 1024U)
#define INDEX_MAX (256U * 1024U * 1024U)        /* uncompressed */
#define EVIDENCE_PACKAGES_MAX 64

/* ---- the dpkg status file ---- */

typedef struct StanzaFields {
        char *package, *arch, *version;
        bool installed;
} StanzaFields;

static void stanza_fields_done(StanzaFields *f) {
        free(f->package);
        free(f->arch);
        free(f->version);
        *f = (StanzaFields) {};
}

/* Keeps the fields both files share; returns -ENOMEM or 0. */
static int stanza_fields_take(StanzaFields *sf, const Deb822Field *f) {
        char **slot = NULL;

        if (deb822_field_is(f, "Package"))
                slot = &sf->package;
        else if (deb822_field_is(f, "Architecture"))
                slot = &sf->arch;
        else if (deb822_field_is(f, "Version"))
                slot = &sf->version;
        else if (deb822_field_is(f, "Status"))  /* "install ok installed": the last word */
                sf->installed = f->value_len >= 10 && memcmp(f->value + f->value_len - 10, " installed", 10) == 0;
        if (!slot)
                return 0;
        free(*slot);
        *slot = deb822_value_dup(f);
        return *slot ? 0 : -ENOMEM;
}

typedef struct StatusParse {
        UpdatesState *s;
        StanzaFields sf;
        size_t allocated;
} StatusParse;

static int status_field(const Deb822Field *f, void *userdata) {
        StatusParse *p = userdata;
        UpdatesPackage *n;

        if (f)
                return stanza_fields_take(&p->sf, f);
        if (!p->sf.installed || !p->sf.package || !p->sf.arch || !p->sf.version) {
                stanza_fields_done(&p->sf);
                return 0;
        }
        if (p->s->n_packages == p->allocated) {
                size_t a = p->allocated ? p->allocated * 2 : 256;

                n = reallocarray(p->s->packages, a, sizeof *n);
                if (!n)
                        return -ENOMEM;
                p->s->packages = n;
                p->allocated = a;
        }
        p->s->packages[p->s->n_packages++] = (UpdatesPackage) {
                .name = TAKE_PTR(p->sf.package),
                .arch = TAKE_PTR(p->sf.arch),
                .installed = TAKE_PTR(p->sf.version),
        };
        stanza_fields_done(&p->sf);
        return 0;
}

static int package_cmp(const void *a, const void *b) {
        const UpdatesPackage *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        return c ?: strcmp(x->arch, y->arch);
}

static void packages_free(UpdatesPackage *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(p[i].name);
                free(p[i].arch);
                free(p[i].installed);
                free(p[i].candidate);
        }
        free(p);
}

int updates_status_parse(UpdatesState *s, const char *data, size_t size) {
        StatusParse p = { .s = s };
        int r;

        assert_return(s, -EINVAL);
        packages_free(s->packages, s->n_packages);
        s->packages = NULL;
        s->n_packages = 0;
        r = deb822_parse(data, size, status_field, &p);
        stanza_fields_done(&p.sf);
        if (r < 0)
                return r;
        if (s->n_packages > 0)
                qsort(s->packages, s->n_packages, sizeof *s->packages, package_cmp);
        return 0;
}

/* ---- Release files ---- */

static bool contains(const Deb822Field *f, const char *needle) {
        size_t n = strlen(needle);

        for (size_t i = 0; i + n <= f->value_len; i++)
                if (memcmp(f->value + i, needle, n) == 0)
                        return true;
        return false;
}

static int release_field(const Deb822Field *f, void *userdata) {
        bool *security = userdata;

        if (!f)
                return -ECANCELED;      /* only the first stanza describes the archive */
        if (deb822_field_is(f, "Label") && deb822_value_is(f, "Debian-Security"))
                *security = true;
        if ((deb822_field_is(f, "Origin") || deb822_field_is(f, "Label") || deb822_field_is(f, "Suite") ||
             deb822_field_is(f, "Codename")) && contains(f, "-security"))
                *security = true;
        return 0;
}

bool updates_release_is_security(const char *data, size_t size) {
        bool security = false;

        (void) deb822_parse(data, size, release_field, &security);
        return security;
}

/* ---- Packages indices ---- */

typedef struct IndexApply {
        UpdatesState *s;
        StanzaFields sf;
        time_t mtime;
} IndexApply;

static int index_stanza_end(IndexApply *ia) {
        UpdatesPackage key = { .name = ia->sf.package, .arch = ia->sf.arch }, *p;
        int c;

        if (!ia->sf.package || !ia->sf.arch || !ia->sf.version)
                return 0;
        p = bsearch(&key, ia->s->packages, ia->s->n_packages, sizeof key, package_cmp);
        if (!p)
                return 0;
        if (deb_version_compare(ia->sf.version, p->installed, &c) < 0 || c <= 0)
                return 0;       /* not newer, or not a version dpkg accepts */
        if (!p->candidate || (deb_version_compare(ia->sf.version, p->candidate, &c) >= 0 && c > 0)) {
                free(p->candidate);
                p->candidate = TAKE_PTR(ia->sf.version);
        }
        if (p->listed == 0 || ia->mtime < p->listed)
                p->listed = ia->mtime;
        return 0;
}

static int index_field(const Deb822Field *f, void *userdata) {
        IndexApply *ia = userdata;
        int r;

        if (f)
                return stanza_fields_take(&ia->sf, f);
        r = index_stanza_end(ia);
        stanza_fields_done(&ia->sf);
        return r;
}

int updates_index_apply(UpdatesState *s, const char *data, size_t size, time_t mtime) {
        IndexApply ia = { .s = s, .mtime = mtime };
        int r;

        assert_return(s, -EINVAL);
        if (s->n_packages == 0)
                return 0;
        r = deb822_parse(data, size, index_field, &ia);
        stanza_fields_done(&ia.sf);
        deb_version_release();
        return r;
}

size_t updates_pending(const UpdatesState *s, time_t *ret_oldest) {
        time_t oldest = 0;
        size_t n = 0;

        for (size_t i = 0; i < s->n_packages; i++) {
                if (!s->packages[i].candidate)
                        continue;
                n++;
                if (oldest == 0 || s->packages[i].listed < oldest)
                        oldest = s->packages[i].listed;
        }
        if (ret_oldest)
                *ret_oldest = oldest;
        return n;
}

/* ---- the probe ---- */

/* Decompresses an LZ4 frame (apt's .lz4 indices) into a NUL-terminated buffer. */
static int lz4_decompress(const char *src, size_t size, char **ret, size_t *ret_size) {
        LZ4F_dctx *d = NULL;
        _cleanup_free_ char *out = NULL;
        size_t len = 0, cap = 0, hint = 1;
        int r = 0;

        if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION)))
                return -ENOMEM;
        while (size > 0 && hint != 0) {
                size_t out_n, in_n = size;

                if (cap - len < 64 * 1024) {
                        size_t c = cap ? cap * 2 : 4 * size + 64 * 1024;
                        char *n;

                        if (cap >= INDEX_MAX) {
                                r = -EFBIG;
                                break;
                        }
                        n = realloc(out, MIN(c, (size_t) INDEX_MAX) + 1);
                        if (!n) {
                                r = -ENOMEM;
                                break;
                        }
                        out = n;
                        cap = MIN(c, (size_t) INDEX_MAX);
                }
                out_n = cap - len;
                hint = LZ4F_decompress(d, out + len, &out_n, src, &in_n, NULL);
                if (LZ4F_isError(hint)) {
                        r = -EBADMSG;
                        break;
                }
                if (in_n == 0 && out_n == 0 && cap - len >= 64 * 1024) {
                        r = -EBADMSG;   /* no progress */
                        break;
                }
                src += in_n;
                size -= in_n;
                len += out_n;
        }
        LZ4F_freeDecompressionContext(d);
        if (r < 0)
                return r;
        if (hint != 0)
                return -EBADMSG;        /* truncated frame */
        if (!out && !(out = malloc(1)))
                return -ENOMEM;
        out[len] = 0;
        *ret = TAKE_PTR(out);
        *ret_size = len;
        return 0;
}

/* Reads a gzip-compressed file (zlib). */
static int gz_read(const char *path, char **ret, size_t *ret_size) {
        _cleanup_free_ char *out = NULL;
        size_t len = 0, cap = 0;
        gzFile f;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        f = gzdopen(fd, "rb");
        if (!f) {
                close(fd);
                return -ENOMEM;
        }
        for (;;) {
                int n;

                if (cap - len < 64 * 1024) {
                        char *b;

                        if (cap >= INDEX_MAX) {
                                gzclose(f);
                                return -EFBIG;
                        }
                        cap = MIN(cap ? cap * 2 : (size_t) 1024 * 1024, (size_t) INDEX_MAX);
                        b = realloc(out, cap + 1);
                        if (!b) {
                                gzclose(f);
                                return -ENOMEM;
                        }
                        out = b;
                }
                n = gzread(f, out + len, (unsigned) MIN(cap - len, (size_t) INT32_MAX));
                if (n < 0) {
                        gzclose(f);
                        return -EBADMSG;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        gzclose(f);
        out[len] = 0;
        *ret = TAKE_PTR(out);
        *ret_size = len;
        return 0;
}

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && streq(s + a - b, suffix);
}

/* Reads one Packages index (plain, .lz4 or .gz); -EPROTONOSUPPORT for another compression. */
static int index_read(const char *path, char **ret, size_t *ret_size) {
        _cleanup_free_ char *raw = NULL;
        size_t n = 0;
        int r;

        if (ends_with(path, "_Packages"))
                return read_full_file(path, INDEX_MAX, ret, ret_size);
        if (ends_with(path, "_Packages.gz"))
                return gz_read(path, ret, ret_size);
        if (!ends_with(path, "_Packages.lz4"))
                return -EPROTONOSUPPORT;
        r = read_full_file(path, INDEX_MAX, &raw, &n);
        if (r < 0)
                return r;
        return lz4_decompress(raw, n, ret, ret_size);
}

static bool is_packages_index(const char *name) {
        const char *p = strstr(name, "_Packages");
        return p && (p[9] == 0 || p[9] == '.');
}

/* Applies every Packages index of the archive whose list files start with prefix. */
static int archive_apply(UpdatesState *s, const char *dir, char **names, size_t n, const char *prefix) {
        int r;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL, *data = NULL;
                struct stat st;
                size_t size = 0;

                if (strncmp(names[i], prefix, strlen(prefix)) != 0 || !is_packages_index(names[i]))
                        continue;
                if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
                        return -ENOMEM;
                r = stat(path, &st) < 0 ? -errno : index_read(path, &data, &size);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        s->n_unreadable++;
                        continue;
                }
                r = updates_index_apply(s, data, size, st.st_mtime);
                if (r < 0)
                        return r;
                s->n_indices++;
        }
        return 0;
}

/* The Release file's archive, when it is a security one: apply its indices. */
static int release_apply(UpdatesState *s, const char *dir, char **names, size_t n, const char *name) {
        _cleanup_free_ char *path = NULL, *data = NULL, *prefix = NULL;
        const char *suffix = ends_with(name, "_InRelease") ? "InRelease" : "Release";
        struct stat st;
        size_t size = 0;
        int r;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        r = read_full_file(path, RELEASE_MAX, &data, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || !updates_release_is_security(data, size))
                return 0;
        if (stat(path, &st) == 0 && st.st_mtime > s->lists_updated)
                s->lists_updated = st.st_mtime;
        prefix = strndup(name, strlen(name) - strlen(suffix));
        if (!prefix)
                return -ENOMEM;
        return archive_apply(s, dir, names, n, prefix);
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The file names of a directory, sorted. */
static int list_names(const char *dir, char ***ret, size_t *ret_n) {
        DIR *d = opendir(dir);
        char **names = NULL;
        size_t n = 0;
        int r = 0;

        if (!d)
                return -errno;
        for (struct dirent *de; (de = readdir(d));) {
                char **l;

                if (de->d_name[0] == '.')
                        continue;
                l = reallocarray(names, n + 1, sizeof *l);
                if (!l || !(l[n] = strdup(de->d_name))) {
                        names = l ?: names;
                        r = -ENOMEM;
                        break;
                }
                names = l;
                n++;
        }
        closedir(d);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(names[i]);
                free(names);
                return r;
        }
        if (n > 0)
                qsort(names, n, sizeof *names, name_cmp);
        *ret = names;
        *ret_n = n;
        return 0;
}

static int lists_apply(UpdatesState *s, const char *dir) {
        char **names = NULL;
        size_t n = 0;
        int r = 0;

        if (list_names(dir, &names, &n) == -ENOMEM)
                return -ENOMEM;
        for (size_t i = 0; i < n && r >= 0; i++) {
                bool in = ends_with(names[i], "_InRelease");

                if (!in && !ends_with(names[i], "_Release"))
                        continue;
                if (!in) {              /* apt keeps one of the two; InRelease wins */
                        _cleanup_free_ char *other = NULL;
                        char *const *found;

                        if (asprintf(&other, "%.*sInRelease", (int) (strlen(names[i]) - 7), names[i]) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        found = bsearch(&other, names, n, sizeof *names, name_cmp);
                        if (found)
                                continue;
                }
                r = release_apply(s, dir, names, n, names[i]);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r;
}

int updates_probe(const char *root, UpdatesState *ret) {
        _cleanup_free_ char *status = NULL, *lists = NULL, *data = NULL;
        UpdatesState s = {};
        size_t size = 0;
        int r;

        assert_return(ret, -EINVAL);
        root = root ?: "";
        if (asprintf(&status, "%s/var/lib/dpkg/status", root) < 0 ||
            asprintf(&lists, "%s/var/lib/apt/lists", root) < 0)
                return -ENOMEM;
        r = read_full_file(status, STATUS_MAX, &data, &size);
        if (r == -ENOMEM)
                return r;
        s.status_error = r < 0 ? r : 0;
        if (r >= 0)
                r = updates_status_parse(&s, data, size);
        if (r >= 0)
                r = lists_apply(&s, lists);
        if (r == -ENOMEM) {
                updates_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

void updates_state_done(UpdatesState *s) {
        if (!s)
                return;
        packages_free(s->packages, s->n_packages);
        *s = (UpdatesState) {};
}

/* ---- the verdict ---- */

static void format_utc(time_t t, char *buf, size_t size) {
        struct tm tm;

        if (gmtime_r(&t, &tm))
                strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
        else
                snprintf(buf, size, "%lld", (long long) t);
}

static int evidence_packages(const UpdatesState *s, time_t now, PostureEvidence *e) {
        PostureEvidence *list;
        size_t shown = 0;
        int r;

        r = posture_evidence_add_object(e, "packages", &list);
        for (size_t i = 0; r >= 0 && i < s->n_packages; i++) {
                const UpdatesPackage *p = &s->packages[i];
                _cleanup_free_ char *key = NULL;
                PostureEvidence *o;

                if (!p->candidate)
                        continue;
                if (shown++ == EVIDENCE_PACKAGES_MAX)
                        break;
                if (asprintf(&key, "%s:%s", p->name, p->arch) < 0)
                        return -ENOMEM;
                r = posture_evidence_add_object(list, key, &o);
                r = r ?: posture_evidence_add_string(o, "installed", p->installed);
                r = r ?: posture_evidence_add_string(o, "candidate", p->candidate);
                r = r ?: posture_evidence_add_int(o, "listed_age_s", (int64_t) difftime(now, p->listed));
        }
        return r ?: posture_evidence_add_bool(e, "packages_truncated", shown > EVIDENCE_PACKAGES_MAX);
}

static int updates_evidence(const UpdatesState *s, size_t pending, time_t oldest, unsigned max_pending,
                            uint64_t max_age_usec, time_t now, PostureEvidence *e) {
        char t[64];
        int r = 0;

        if (s->status_error < 0)
                r = r ?: posture_evidence_add_string(e, "error", strerror(-s->status_error));
        r = r ?: posture_evidence_add_int(e, "installed_packages", (int64_t) s->n_packages);
        r = r ?: posture_evidence_add_int(e, "security_indices", (int64_t) s->n_indices);
        r = r ?: posture_evidence_add_int(e, "unreadable_indices", (int64_t) s->n_unreadable);
        if (s->lists_updated > 0) {
                format_utc(s->lists_updated, t, sizeof t);
                r = r ?: posture_evidence_add_string(e, "lists_updated", t);
                r = r ?: posture_evidence_add_int(e, "lists_age_s", (int64_t) difftime(now, s->lists_updated));
        } else
                r = r ?: posture_evidence_add_null(e, "lists_updated");
        r = r ?: posture_evidence_add_int(e, "pending", (int64_t) pending);
        r = r ?: posture_evidence_add_int(e, "max_pending", max_pending);
        if (pending > 0)
                r = r ?: posture_evidence_add_int(e, "oldest_pending_age_s", (int64_t) difftime(now, oldest));
        else
                r = r ?: posture_evidence_add_null(e, "oldest_pending_age_s");
        r = r ?: posture_evidence_add_int(e, "max_age_s", (int64_t) (max_age_usec / USEC_PER_SEC));
        return r ?: evidence_packages(s, now, e);
}

int updates_verdict(const UpdatesState *s, unsigned max_pending, uint64_t max_age_usec, time_t now,
                    PostureResult *r) {
        time_t oldest = 0;
        size_t pending;
        double age;
        char limit[32];

        assert_return(s && r, -EINVAL);
        r->id = POSTURE_CHECK_UPDATES;
        posture_duration_format(max_age_usec, limit, sizeof limit);
        pending = updates_pending(s, &oldest);
        age = pending > 0 ? difftime(now, oldest) : 0;

        if (s->status_error < 0)
                posture_result_set(r, POSTURE_STATUS_UNKNOWN, _("The installed packages could not be read."));
        else if (s->n_indices == 0 && s->n_unreadable > 0)
                posture_result_set(r, POSTURE_STATUS_UNKNOWN, _("The security update lists could not be read."));
        else if (s->n_indices == 0)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("No security update list is present (no security source, or never fetched)."));
        else if (pending > max_pending)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("Security updates pending: %zu (at most %u allowed)."), pending, max_pending);
        else if (pending > 0 && age > (double) (max_age_usec / USEC_PER_SEC))
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The oldest pending security update has been available for %.1f days "
                                     "(at most %s allowed)."), age / 86400.0, limit);
        else if (s->n_unreadable > 0)
                posture_result_set(r, POSTURE_STATUS_UNKNOWN,
                                   _("Some security update lists could not be read."));
        else if (pending > 0)
                posture_result_set(r, POSTURE_STATUS_PASS,
                                   _("Security updates pending: %zu, within the policy's limits."), pending);
        else
                posture_result_set(r, POSTURE_STATUS_PASS, _("No security updates are pending."));
        return updates_evidence(s, pending, oldest, max_pending, max_age_usec, now, &r->evidence);
}
