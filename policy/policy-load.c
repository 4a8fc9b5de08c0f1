/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building a Policy: lifecycle, cross-file checks, the media index, the version digest,
 * loading a directory, and the accessors. */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "hash.h"
#include "policy-internal.h"
#include "trust.h"

/* Frees a NULL-terminated array of strings; accepts NULL. */
void policy_strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}

static void rule_free(PolicyRule *r) {
        if (!r)
                return;
        free(r->id);
        free(r->description);
        free(r->clause);
        policy_strv_free(r->requirements);
        free(r->vendors);
        free(r->products);
        policy_strv_free(r->serials);
        free(r->device_classes);
        free(r->if_only);
        free(r->if_any);
        free(r->if_none);
        policy_strv_free(r->ports);
        free(r->interfaces);
        free(r);
}

struct PolicyArena {
        PolicyArena *next;      /* older blocks */
        size_t used, size;
        max_align_t data[];
};

#define ARENA_FIRST_BLOCK (4U * 1024U)
#define ARENA_MAX_BLOCK (512U * 1024U)

static void *arena_alloc_aligned(PolicyArena **a, size_t size, size_t align) {
        PolicyArena *b = *a;
        size_t off;

        if (b) {
                off = (b->used + align - 1) & ~(align - 1);
                if (off <= b->size && b->size - off >= size) {
                        b->used = off + size;
                        return (char *) b->data + off;
                }
        }
        /* a new block, twice the size of the previous one (up to ARENA_MAX_BLOCK), so a small
         * policy stays small and a large one needs few blocks */
        size_t bs = b ? MIN(b->size * 2, (size_t) ARENA_MAX_BLOCK) : ARENA_FIRST_BLOCK;
        if (size > SIZE_MAX / 2 - sizeof(PolicyArena))
                return NULL;
        bs = MAX(bs, size);
        PolicyArena *nb = malloc(sizeof(PolicyArena) + bs);
        if (!nb)
                return NULL;
        nb->next = b;
        nb->size = bs;
        nb->used = size;
        *a = nb;
        return nb->data;
}

void *policy_arena_alloc(PolicyArena **a, size_t size) {
        void *p;

        assert(a);
        p = arena_alloc_aligned(a, size, _Alignof(max_align_t));
        if (p)
                memset(p, 0, size);
        return p;
}

char *policy_arena_strndup(PolicyArena **a, const char *s, size_t n) {
        char *d;

        assert(a);
        assert(s || n == 0);
        if (n == SIZE_MAX)
                return NULL;
        d = arena_alloc_aligned(a, n + 1, 1);
        if (!d)
                return NULL;
        if (n > 0)
                memcpy(d, s, n);
        d[n] = 0;
        return d;
}

PolicyArena *policy_arena_free(PolicyArena *a) {
        while (a) {
                PolicyArena *next = a->next;

                free(a);
                a = next;
        }
        return NULL;
}

/* Frees a policy and everything it owns. Accepts NULL; returns NULL. */
Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_rules; i++)
                rule_free(p->rules[i]);
        free(p->rules);
        free(p->media);                 /* the media themselves live in media_arena */
        policy_arena_free(p->media_arena);
        free(p->media_index);
        for (size_t i = 0; i < p->n_files; i++)
                free(p->files[i]);
        free(p->files);
        sha256_free(p->sha);
        free(p->name);
        free(p->version_label);
        free(p->version);
        if (p->net && p->net_free)
                p->net_free(p->net);
        if (p->posture && p->posture_free)
                p->posture_free(p->posture);
        free(p);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Policy *, policy_free);

/* Creates an empty policy under construction. Returns 0 or -ENOMEM. */
int policy_new(Policy **ret) {
        Policy *p;

        assert_return(ret, -EINVAL);
        p = calloc(1, sizeof(Policy));
        if (!p)
                return -ENOMEM;
        p->hide_serials = true;
        if (sha256_new(&p->sha) < 0) {
                policy_free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

/* Appends ptr to an array whose capacity is the next power of two of *n. */
int policy_ptr_array_push(void ***array, size_t *n, void *ptr) {
        /* capacity doubles: it is the next power of two, so grow when *n is one */
        if ((*n & (*n - 1)) == 0) {
                void **a = realloc(*array, MAX(*n * 2, (size_t) 4) * sizeof(void *));

                if (!a)
                        return -ENOMEM;
                *array = a;
        }
        (*array)[(*n)++] = ptr;
        return 0;
}

static int add_buffer_full(Policy *p, const char *display, const char *digest_name, const char *data,
                           size_t size, bool ledger, PolicyError *reterr) {
        _cleanup_(policy_tree_freep) PolicyTree *t = NULL;
        char *name;
        int r;

        assert_return(p, -EINVAL);
        assert_return(display && digest_name, -EINVAL);
        assert_return(data || size == 0, -EINVAL);
        assert_return(!p->finished, -EBUSY);

        name = strdup(display);
        if (!name)
                return -ENOMEM;
        r = policy_ptr_array_push((void ***) &p->files, &p->n_files, name);
        if (r < 0) {
                free(name);
                return r;
        }

        sha256_update(p->sha, digest_name, strlen(digest_name) + 1);
        sha256_update(p->sha, data ?: "", size);
        sha256_update(p->sha, "", 1);

        if (ledger)
                return policy_ledger_parse(p, name, data, size, reterr);
        r = policy_tree_parse_stream(name, data, size, policy_add_stream_item, p, &t, reterr);
        if (r < 0)
                return r;
        return policy_add_tree(p, t, reterr);
}

/* Parses one file's content and adds it to p. name is used in errors and the digest.
 * Returns 0, -EBADMSG (reterr filled) or -ENOMEM. */
int policy_add_buffer(Policy *p, const char *name, const char *data, size_t size, PolicyError *reterr) {
        return add_buffer_full(p, name, name, data, size, false, reterr);
}

/* Parses one media ledger's content (JSON Lines, policy-ledger.c) and adds it to p. */
int policy_add_ledger_buffer(Policy *p, const char *name, const char *data, size_t size, PolicyError *reterr) {
        return add_buffer_full(p, name, name, data, size, true, reterr);
}

uint64_t policy_string_hash(const char *s) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                h = (h ^ *c) * UINT64_C(0x100000001b3);
        return h ^ (h >> 29);
}

typedef struct DupSlot {
        uint32_t index1;        /* index + 1; 0: empty */
        uint32_t hash;          /* low bits of the hash, to skip most string compares */
} DupSlot;

/* Inserts the strings in list order into an open-addressing hash set; the first string already
 * in the set is the duplicate that comes first (see policy-internal.h). */
int policy_find_duplicate(size_t n, const char *(*name)(const void *userdata, size_t k), const void *userdata,
                          size_t *ret_first, size_t *ret_dup) {
        _cleanup_free_ DupSlot *slots = NULL;
        size_t n_slots = 16;

        assert(name);
        assert(ret_first);
        assert(ret_dup);

        if (n < 2)
                return 0;
        if (n >= UINT32_MAX / 2)
                return -ENOMEM;
        while (n_slots < n * 2)
                n_slots *= 2;
        slots = calloc(n_slots, sizeof(DupSlot));
        if (!slots)
                return -ENOMEM;

        for (size_t k = 0; k < n; k++) {
                const char *s = name(userdata, k);
                uint64_t h = policy_string_hash(s);
                size_t i = h & (n_slots - 1);

                for (;; i = (i + 1) & (n_slots - 1)) {
                        DupSlot *slot = &slots[i];

                        if (slot->index1 == 0) {
                                *slot = (DupSlot) { .index1 = (uint32_t) k + 1, .hash = (uint32_t) h };
                                break;
                        }
                        if (slot->hash == (uint32_t) h && streq(name(userdata, slot->index1 - 1), s)) {
                                *ret_first = slot->index1 - 1;
                                *ret_dup = k;
                                return 1;
                        }
                }
        }
        return 0;
}

static const char *rule_id_of(const void *userdata, size_t k) {
        return ((const Policy *) userdata)->rules[k]->id;
}

static const char *asset_of(const void *userdata, size_t k) {
        return ((const Policy *) userdata)->media[k]->asset;
}

static int check_rule_ids(Policy *p, PolicyError *reterr) {
        size_t i, j;
        int r;

        r = policy_find_duplicate(p->n_rules, rule_id_of, p, &i, &j);
        if (r <= 0)
                return r;
        return policy_error_set(reterr, -EBADMSG, p->rules[j]->file, p->rules[j]->id_line, p->rules[j]->id_column,
                                "duplicate %s '%s' (first at %s:%u:%u)", "rule id", p->rules[j]->id,
                                p->rules[i]->file, p->rules[i]->id_line, p->rules[i]->id_column);
}

static int check_assets(Policy *p, PolicyError *reterr) {
        size_t i, j;
        int r;

        r = policy_find_duplicate(p->n_media, asset_of, p, &i, &j);
        if (r <= 0)
                return r;
        return policy_error_set(reterr, -EBADMSG, p->media[j]->file, p->media[j]->asset_line,
                                p->media[j]->asset_column, "duplicate %s '%s' (first at %s:%u:%u)", "media asset",
                                p->media[j]->asset, p->media[i]->file, p->media[i]->asset_line,
                                p->media[i]->asset_column);
}

/* FNV-1a over vendor, product and serial, folded: the identity hash of the media index. */
uint64_t policy_medium_hash(uint16_t vendor, uint16_t product, const char *serial) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        h = (h ^ vendor) * UINT64_C(0x100000001b3);
        h = (h ^ product) * UINT64_C(0x100000001b3);
        for (const unsigned char *s = (const unsigned char *) serial; *s; s++)
                h = (h ^ *s) * UINT64_C(0x100000001b3);
        return h ^ (h >> 29);
}

static int build_media_index(Policy *p, PolicyError *reterr) {
        size_t n = 16;

        while (n < p->n_media * 2)
                n *= 2;
        p->media_index = calloc(n, sizeof(PolicyMediaSlot));
        if (!p->media_index)
                return -ENOMEM;
        p->n_media_index = n;

        /* in file order, so the medium a duplicate hits is its first occurrence */
        for (size_t i = 0; i < p->n_media; i++) {
                PolicyMedium *m = p->media[i];
                uint64_t h = policy_medium_hash(m->vendor, m->product, m->serial);
                size_t b = h & (n - 1);

                for (;; b = (b + 1) & (n - 1)) {
                        PolicyMediaSlot *s = &p->media_index[b];
                        const PolicyMedium *o = s->medium;

                        if (!o) {
                                *s = (PolicyMediaSlot) {
                                        .hash = (uint32_t) (h >> 32),
                                        .vendor = m->vendor,
                                        .product = m->product,
                                        .medium = m,
                                };
                                break;
                        }
                        if (o->vendor == m->vendor && o->product == m->product && streq(o->serial, m->serial))
                                return policy_error_set(reterr, -EBADMSG, m->file, m->line, m->column,
                                                        "medium %04x:%04x serial '%s' is already registered as '%s' (first at %s:%u:%u)",
                                                        m->vendor, m->product, m->serial, o->asset,
                                                        o->file, o->line, o->column);
                }
        }
        return 0;
}

static int build_version(Policy *p) {
        uint8_t md[SHA256_DIGEST_SIZE];
        char hex[13];

        sha256_final(p->sha, md);
        hex_encode(md, 6, hex);
        if (asprintf(&p->version, "%s@%s", p->version_label ?: "unversioned", hex) < 0) {
                p->version = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* Cross-file validation and index building; after it the policy is read-only.
 * Returns 0, -EBADMSG (reterr filled), -ENOMEM, or -ENODATA when the policy holds no rule (the
 * policy is complete and usable then, e.g. by the formatter, but the loader refuses it). */
int policy_finish(Policy *p, PolicyError *reterr) {
        int r;

        assert_return(p, -EINVAL);
        assert_return(!p->finished, -EBUSY);

        r = check_rule_ids(p, reterr);
        if (r < 0)
                return r;
        r = check_assets(p, reterr);
        if (r < 0)
                return r;
        r = build_media_index(p, reterr);
        if (r < 0)
                return r;
        r = build_version(p);
        if (r < 0)
                return r;
        policy_net_finish(p);
        policy_posture_finish(p);
        for (size_t i = 0; i < p->n_rules; i++)
                p->needs_connect_type = p->needs_connect_type || p->rules[i]->connect_types != 0;
        p->finished = true;
        if (p->n_rules == 0)
                return policy_error_set(reterr, -ENODATA, p->n_files > 0 ? p->files[0] : "", 0, 0,
                                        "no rule in the policy");
        return 0;
}

static int name_compare(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);

        return n > k && streq(s + n - k, suffix);
}

/* Whether a directory entry is a policy file by its name (see policy.h). */
bool policy_is_file_name(const char *name) {
        return name[0] != '.' && (has_suffix(name, ".yaml") || has_suffix(name, ".jsonl"));
}

/* Reads the policy file names of the directory open at dfd, sorted. */
static int list_policy_files(int dfd, char ***ret, size_t *ret_n) {
        _cleanup_(closedirp) DIR *d = NULL;
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        int fd, r = 0;

        fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                char *s;

                if (!policy_is_file_name(de->d_name))
                        continue;
                s = strdup(de->d_name);
                if (!s || policy_ptr_array_push((void ***) &names, &n, s) < 0) {
                        free(s);
                        r = -ENOMEM;
                        break;
                }
        }
        if (r == 0 && errno != 0)
                r = -errno;
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(names[i]);
                free(names);
                return r;
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), name_compare);
        *ret = names;
        *ret_n = n;
        return 0;
}

static const char *file_type_name(mode_t mode) {
        switch (mode & S_IFMT) {
        case S_IFLNK:
                return "symbolic link";
        case S_IFIFO:
                return "FIFO";
        case S_IFDIR:
                return "directory";
        case S_IFSOCK:
                return "socket";
        case S_IFCHR:
                return "character device";
        case S_IFBLK:
                return "block device";
        default:
                return "unknown type";
        }
}

static int not_regular(PolicyError *reterr, const char *path, mode_t mode) {
        return policy_error_set(reterr, -EBADMSG, path, 0, 0, "not a regular file (%s)%s", file_type_name(mode),
                                S_ISLNK(mode) ? ": symbolic links are refused, copy the file" : "");
}

/* StrictModes refusal (trust.h) as a PolicyError naming the object refused. */
static int untrusted(PolicyError *reterr, int r, const char *path, const char *bad, const char *reason) {
        if (r == -ENOMEM)
                return r;
        if (r == -EPERM)
                return policy_error_set(reterr, -EPERM, bad ?: path, 0, 0, "%s", reason ?: "not trusted");
        return policy_error_set(reterr, r, path, 0, 0, "cannot check ownership and mode: %s", strerror(-r));
}

/* Opens one policy file below dfd: a regular file (never a symbolic link; O_NONBLOCK so that a
 * FIFO put there meanwhile cannot block the reader), owned and writable as StrictModes require;
 * then reads it through that same fd, so the file checked is the file read. */
static int read_policy_file(int dfd, const char *name, const char *path, char **ret, size_t *ret_size,
                            PolicyError *reterr) {
        _cleanup_free_ char *bad = NULL, *reason = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return policy_error_set(reterr, -errno, path, 0, 0, "cannot read file: %s", strerror(errno));
        if (!S_ISREG(st.st_mode))
                return not_regular(reterr, path, st.st_mode);
        fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ELOOP)
                        return not_regular(reterr, path, S_IFLNK);
                return policy_error_set(reterr, -errno, path, 0, 0, "cannot read file: %s", strerror(errno));
        }
        if (fstat(fd, &st) < 0)
                return policy_error_set(reterr, -errno, path, 0, 0, "cannot read file: %s", strerror(errno));
        if (!S_ISREG(st.st_mode))
                return not_regular(reterr, path, st.st_mode);
        /* the directories above were checked through dfd */
        r = trust_check_fd(fd, path, geteuid(), &bad, &reason);
        if (r < 0)
                return untrusted(reterr, r, path, bad, reason);
        r = read_full_fd(fd, POLICY_MAX_FILE_SIZE, ret, ret_size);
        if (r == -EFBIG)
                return policy_error_set(reterr, -EBADMSG, path, 1, 1, "file is larger than 64 MiB");
        if (r < 0)
                return policy_error_set(reterr, r, path, 0, 0, "cannot read file: %s", strerror(-r));
        return 0;
}

static int load_files(Policy *p, int dfd, const char *dir, char **names, size_t n, PolicyError *reterr) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL, *data = NULL;
                size_t size = 0;
                int r;

                if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
                        return -ENOMEM;
                r = read_policy_file(dfd, names[i], path, &data, &size, reterr);
                if (r < 0)
                        return r;
                r = add_buffer_full(p, path, names[i], data, size, has_suffix(names[i], ".jsonl"), reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Loads every policy file of dir (see policy.h). */
int policy_load_dir(const char *dir, Policy **ret, PolicyError *reterr) {
        _cleanup_(policy_freep) Policy *p = NULL;
        _cleanup_free_ char *bad = NULL, *reason = NULL;
        _cleanup_close_ int dfd = -EBADF;
        char **names = NULL;
        size_t n = 0;
        int r;

        assert_return(dir, -EINVAL);
        assert_return(ret, -EINVAL);

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return policy_error_set(reterr, -errno, dir, 0, 0, "cannot read policy directory: %s",
                                        strerror(errno));
        /* StrictModes: the directory and every directory above it */
        r = path_check_trusted(dir, dfd, geteuid(), &bad, &reason);
        if (r < 0)
                return untrusted(reterr, r, dir, bad, reason);

        r = list_policy_files(dfd, &names, &n);
        if (r < 0)
                return policy_error_set(reterr, r, dir, 0, 0, "cannot read policy directory: %s", strerror(-r));

        r = policy_new(&p);
        if (r >= 0)
                r = load_files(p, dfd, dir, names, n, reterr);
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        if (r < 0)
                return r;

        r = policy_finish(p, reterr);
        if (r == -ENODATA)
                return policy_error_set(reterr, r, dir, 0, 0, "no rule in the policy");
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

/* The digest part of the version of dir's files (see policy.h), without parsing them. */
int policy_dir_digest(const char *dir, char ret[static 13]) {
        _cleanup_free_ char *bad = NULL, *reason = NULL;
        _cleanup_close_ int dfd = -EBADF;
        struct Sha256 *sha = NULL;
        uint8_t md[SHA256_DIGEST_SIZE];
        char **names = NULL;
        size_t n = 0;
        int r;

        assert_return(dir, -EINVAL);

        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        r = path_check_trusted(dir, dfd, geteuid(), &bad, &reason);
        if (r < 0)
                return r;
        r = list_policy_files(dfd, &names, &n);
        if (r < 0)
                return r;
        r = sha256_new(&sha);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                _cleanup_free_ char *path = NULL, *data = NULL;
                PolicyError e = {};
                size_t size = 0;

                if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = read_policy_file(dfd, names[i], path, &data, &size, &e);
                if (r < 0)
                        break;
                /* as add_buffer_full() does */
                sha256_update(sha, names[i], strlen(names[i]) + 1);
                sha256_update(sha, data ?: "", size);
                sha256_update(sha, "", 1);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        if (r >= 0) {
                sha256_final(sha, md);
                hex_encode(md, 6, ret);
        }
        sha256_free(sha);
        return r < 0 ? r : 0;
}

/* --- accessors (see policy.h): NULL-safe, strings live as long as the Policy --- */

const char *policy_get_name(const Policy *p) {
        return p && p->name ? p->name : "";
}

const char *policy_get_version(const Policy *p) {
        return p && p->version ? p->version : "";
}

bool policy_get_audit_only(const Policy *p) {
        return p && p->audit_only;
}

bool policy_get_hide_serials(const Policy *p) {
        return !p || p->hide_serials;
}

bool policy_needs_connect_type(const Policy *p) {
        return p && p->needs_connect_type;
}

size_t policy_get_n_rules(const Policy *p) {
        return p ? p->n_rules : 0;
}

size_t policy_get_n_media(const Policy *p) {
        return p ? p->n_media : 0;
}

const PolicyRule *policy_get_rule(const Policy *p, size_t i) {
        if (!p || i >= p->n_rules)
                return NULL;
        return p->rules[i];
}

const char *policy_rule_get_id(const PolicyRule *r) {
        return r ? r->id : NULL;
}

const char *policy_rule_get_description(const PolicyRule *r) {
        return r ? r->description : NULL;
}

const char *policy_rule_get_clause(const PolicyRule *r) {
        return r ? r->clause : NULL;
}

const char *const *policy_rule_get_requirements(const PolicyRule *r) {
        static const char *const empty[1] = { NULL };

        return r && r->requirements ? (const char *const *) r->requirements : empty;
}

const char *policy_medium_get_asset(const PolicyMedium *m) {
        return m ? m->asset : NULL;
}

const char *policy_medium_get_owner(const PolicyMedium *m) {
        return m ? m->owner : NULL;
}

const char *policy_medium_get_section(const PolicyMedium *m) {
        return m ? m->section : NULL;
}

const char *policy_medium_get_classification(const PolicyMedium *m) {
        return m ? m->classification : NULL;
}

MediaAccess policy_medium_get_access(const PolicyMedium *m) {
        return m ? m->access : _MEDIA_ACCESS_INVALID;
}

const char *const *policy_medium_get_luks_uuids(const PolicyMedium *m) {
        static const char *const empty[1] = { NULL };

        return m && m->luks_uuids ? (const char *const *) m->luks_uuids : empty;
}
