/* SPDX-License-Identifier: GPL-2.0-or-later */
/* login (AUTH-01 「複数の認証情報の入力を必要とする」, AUTH-02 「ログイン試行回数の制限」,
 * AUTH-03 「パスワードは8桁以上とし、数字、アルファベット、大文字小文字、記号を混ぜ」).
 *
 * PAM's file syntax (pam.conf(5)): "[-]TYPE CONTROL MODULE [ARGS...]", a CONTROL either a
 * keyword or "[value=action ...]", an argument with blanks written in brackets, '#' starts a
 * comment, a trailing backslash continues the line; Debian adds "@include NAME". A small pure
 * parser (no library reads PAM files: libpam parses them only to run them), fuzzed by
 * fuzz-login. */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check-login.h"
#include "fileio.h"
#include "i18n.h"
#include "macro.h"

#define PAM_FILE_MAX (1024U * 1024U)
#define PAM_INCLUDE_DEPTH 8
#define PAM_ENTRIES_MAX 1024
#define FAILLOCK_DEFAULT_DENY 3         /* pam_faillock(8) */
#define FAILLOCK_DEFAULT_UNLOCK 600
#define PWQUALITY_DEFAULT_MINLEN 8      /* pwquality.conf(5) */
#define PWQUALITY_BASE_MINLEN 6         /* libpwquality refuses a lower minlen */

/* ---- one line ---- */

static void strv_free(char **l) {
        for (char **p = l; p && *p; p++)
                free(*p);
        free(l);
}

static bool is_space(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* The next token: a bracketed one ("[a b]", brackets kept, "\]" an escaped bracket) or a run of
 * non-blanks. Returns NULL at the end; *p advances. */
static char *token_next(const char **p, bool *oom) {
        const char *s = *p, *e;

        while (is_space(*s))
                s++;
        if (!*s) {
                *p = s;
                return NULL;
        }
        e = s;
        if (*s == '[') {
                for (e++; *e && *e != ']'; e++)
                        if (*e == '\\' && e[1] == ']')
                                e++;
                if (*e == ']')
                        e++;
        } else
                while (*e && !is_space(*e))
                        e++;
        *p = e;
        char *t = strndup(s, (size_t) (e - s));
        if (!t)
                *oom = true;
        return t;
}

static PamType type_from(const char *t) {
        if (*t == '-')
                t++;
        if (strcasecmp(t, "auth") == 0)
                return PAM_TYPE_AUTH;
        if (strcasecmp(t, "password") == 0)
                return PAM_TYPE_PASSWORD;
        return PAM_TYPE_OTHER;
}

/* "/lib/x86_64-linux-gnu/security/pam_u2f.so" -> "pam_u2f". */
static char *module_name(const char *path) {
        const char *b = strrchr(path, '/');
        size_t n;

        b = b ? b + 1 : path;
        n = strlen(b);
        if (n > 3 && streq(b + n - 3, ".so"))
                n -= 3;
        return strndup(b, n);
}

int pam_line_parse(const char *line, PamLine *ret) {
        _cleanup_free_ char *type = NULL, *control = NULL, *path = NULL;
        PamLine l = { .include_type = PAM_TYPE_OTHER };
        const char *p = line;
        bool oom = false;
        size_t n = 0;

        assert_return(line && ret, -EINVAL);
        type = token_next(&p, &oom);
        if (type && streq(type, "@include")) {
                l.include = token_next(&p, &oom);
                if (oom)
                        return -ENOMEM;
                *ret = l;
                return 0;
        }
        control = type ? token_next(&p, &oom) : NULL;
        path = control ? token_next(&p, &oom) : NULL;
        if (oom)
                return -ENOMEM;
        if (!path) {
                *ret = l;
                return 0;
        }
        if (streq(control, "include") || streq(control, "substack")) {
                l.include_type = type_from(type);
                l.include = TAKE_PTR(path);
                *ret = l;
                return 0;
        }
        l.entry.type = type_from(type);
        l.entry.control = TAKE_PTR(control);
        l.entry.module = module_name(path);
        l.entry.args = calloc(1, sizeof(char *));
        if (!l.entry.module || !l.entry.args) {
                pam_line_done(&l);
                return -ENOMEM;
        }
        for (char *a; (a = token_next(&p, &oom));) {
                char **m = reallocarray(l.entry.args, n + 2, sizeof(char *));

                if (!m) {
                        free(a);
                        oom = true;
                        break;
                }
                l.entry.args = m;
                l.entry.args[n++] = a;
                l.entry.args[n] = NULL;
        }
        if (oom) {
                pam_line_done(&l);
                return -ENOMEM;
        }
        *ret = l;
        return 0;
}

static void pam_entry_done(PamEntry *e) {
        free(e->control);
        free(e->module);
        strv_free(e->args);
        *e = (PamEntry) {};
}

void pam_line_done(PamLine *l) {
        if (!l)
                return;
        pam_entry_done(&l->entry);
        free(l->include);
        *l = (PamLine) {};
}

/* ---- files ---- */

/* The next logical line: comments cut, backslash-newline joined. Returns NULL at the end. */
static char *logical_line(const char **p, const char *end, bool *oom) {
        char *out = NULL;
        size_t n = 0;

        if (*p >= end)
                return NULL;
        for (;;) {
                const char *nl = memchr(*p, '\n', (size_t) (end - *p)), *e = nl ?: end;
                const char *hash = memchr(*p, '#', (size_t) (e - *p));
                size_t len = (size_t) ((hash ?: e) - *p);
                bool cont = !hash && len > 0 && (*p)[len - 1] == '\\';
                char *m;

                if (cont)
                        len--;
                m = realloc(out, n + len + 2);
                if (!m) {
                        free(out);
                        *oom = true;
                        return NULL;
                }
                out = m;
                memcpy(out + n, *p, len);
                n += len;
                out[n++] = ' ';
                out[n] = 0;
                *p = nl ? nl + 1 : end;
                if (!cont || !nl)
                        break;
        }
        /* a NUL inside the data ends the C string early: the rest of that line is ignored */
        return out;
}

int pam_file_parse(const char *data, size_t size, PamType filter, LoginState *s, PamIncludeFunc include,
                   void *userdata) {
        const char *p = data, *end = data + size;
        bool oom = false;
        int r;

        assert_return((data || size == 0) && s, -EINVAL);
        for (char *line; (line = logical_line(&p, end, &oom));) {
                PamLine l = {};

                r = pam_line_parse(line, &l);
                free(line);
                if (r < 0)
                        return r;
                if (l.include && include) {
                        PamType f = filter != PAM_TYPE_OTHER ? filter : l.include_type;

                        r = include(l.include, f, userdata);
                } else if (l.entry.module && l.entry.type != PAM_TYPE_OTHER &&
                           (filter == PAM_TYPE_OTHER || filter == l.entry.type)) {
                        PamEntry *m = NULL;

                        if (s->n_entries >= PAM_ENTRIES_MAX)
                                r = 0;
                        else if (!(m = reallocarray(s->entries, s->n_entries + 1, sizeof *m)))
                                r = -ENOMEM;
                        else {
                                s->entries = m;
                                s->entries[s->n_entries++] = l.entry;
                                l.entry = (PamEntry) {};
                                r = 0;
                        }
                } else
                        r = 0;
                pam_line_done(&l);
                if (r < 0)
                        return r;
        }
        return oom ? -ENOMEM : 0;
}

/* ---- key = value settings ---- */

static bool parse_long(const char *s, long *ret) {
        char *e;
        long v;

        errno = 0;
        v = strtol(s, &e, 10);
        if (errno != 0 || e == s || *e)
                return false;
        *ret = v;
        return true;
}

static void setting_apply(LoginSettings *s, const char *key, const char *value) {
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "deny", offsetof(LoginSettings, deny) },
                { "unlock_time", offsetof(LoginSettings, unlock_time) },
                { "minlen", offsetof(LoginSettings, minlen) },
                { "minclass", offsetof(LoginSettings, minclass) },
                { "dcredit", offsetof(LoginSettings, dcredit) },
                { "ucredit", offsetof(LoginSettings, ucredit) },
                { "lcredit", offsetof(LoginSettings, lcredit) },
                { "ocredit", offsetof(LoginSettings, ocredit) },
        };
        long v;

        if (streq(key, "unlock_time") && streq(value, "never"))
                value = "0";
        if (!parse_long(value, &v))
                return;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (streq(key, keys[i].key))
                        *(long *) ((char *) s + keys[i].offset) = v;
}

void login_settings_parse(const char *data, size_t size, LoginSettings *s) {
        const char *p = data, *end = data + size;
        bool oom = false;

        for (char *line; (line = logical_line(&p, end, &oom));) {
                char *eq = strchr(line, '='), *k = line, *v, *e;

                if (eq) {
                        *eq = 0;
                        v = eq + 1;
                        while (is_space(*k))
                                k++;
                        for (e = eq; e > k && is_space(e[-1]);)
                                *--e = 0;
                        while (is_space(*v))
                                v++;
                        for (e = v + strlen(v); e > v && is_space(e[-1]);)
                                *--e = 0;
                        setting_apply(s, k, v);
                }
                free(line);
        }
}

/* ---- the probe ---- */

typedef struct LoginProbe {
        const char *root;
        LoginState *s;
        unsigned depth;
} LoginProbe;

static int pam_read(LoginProbe *lp, const char *name, PamType filter, bool top);

static int include_cb(const char *name, PamType filter, void *userdata) {
        LoginProbe *lp = userdata;
        int r;

        if (lp->depth >= PAM_INCLUDE_DEPTH)
                return 0;
        lp->depth++;
        r = pam_read(lp, name, filter, false);
        lp->depth--;
        return r;
}

/* Reads one PAM file: NAME below root/etc/pam.d, or an absolute path below root. A missing
 * top-level file is recorded; a missing included file is skipped, as PAM does. */
static int pam_read(LoginProbe *lp, const char *name, PamType filter, bool top) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t size = 0;
        int r;

        if (isempty(name) || (name[0] != '/' && strchr(name, '/')))
                return 0;
        if (asprintf(&path, name[0] == '/' ? "%s%s" : "%s/etc/pam.d/%s", lp->root, name) < 0)
                return -ENOMEM;
        r = read_full_file(path, PAM_FILE_MAX, &data, &size);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (top && lp->s->error == 0) {
                        lp->s->error = r;
                        lp->s->error_file = strdup(name);
                        if (!lp->s->error_file)
                                return -ENOMEM;
                }
                return 0;
        }
        return pam_file_parse(data, size, filter, lp->s, include_cb, lp);
}

static int settings_read(const char *root, const char *path, LoginSettings *s) {
        _cleanup_free_ char *full = NULL, *data = NULL;
        size_t size = 0;
        int r;

        if (asprintf(&full, "%s%s", root, path) < 0)
                return -ENOMEM;
        r = read_full_file(full, PAM_FILE_MAX, &data, &size);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                login_settings_parse(data, size, s);
        return 0;
}

/* pwquality.conf, then pwquality.conf.d/NAME.conf in name order, as libpwquality reads them. */
static int pwquality_read(const char *root, LoginSettings *s) {
        _cleanup_free_ char *dir = NULL;
        struct dirent **names = NULL;
        int n, r;

        r = settings_read(root, "/etc/security/pwquality.conf", s);
        if (r < 0)
                return r;
        if (asprintf(&dir, "%s/etc/security/pwquality.conf.d", root) < 0)
                return -ENOMEM;
        n = scandir(dir, &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *p = NULL;
                size_t len = strlen(names[i]->d_name);

                if (r >= 0 && len > 5 && streq(names[i]->d_name + len - 5, ".conf")) {
                        if (asprintf(&p, "/etc/security/pwquality.conf.d/%s", names[i]->d_name) < 0)
                                r = -ENOMEM;
                        else
                                r = settings_read(root, p, s);
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int login_probe(const char *root, LoginState *ret) {
        LoginState s = { .faillock_conf = LOGIN_SETTINGS_NONE, .pwquality_conf = LOGIN_SETTINGS_NONE };
        LoginProbe lp = { .root = root ?: "", .s = &s };
        int r;

        assert_return(ret, -EINVAL);
        r = pam_read(&lp, "common-auth", PAM_TYPE_AUTH, true);
        if (r >= 0)
                r = pam_read(&lp, "common-password", PAM_TYPE_PASSWORD, true);
        if (r >= 0)
                r = settings_read(lp.root, "/etc/security/faillock.conf", &s.faillock_conf);
        if (r >= 0)
                r = pwquality_read(lp.root, &s.pwquality_conf);
        if (r < 0) {
                login_state_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

void login_state_done(LoginState *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_entries; i++)
                pam_entry_done(&s->entries[i]);
        free(s->entries);
        free(s->error_file);
        *s = (LoginState) {};
}

/* ---- the verdict ---- */

/* Whether a control makes the module's success necessary: required, requisite, or a bracket
 * whose default action is die or bad. */
static bool control_mandatory(const char *c) {
        if (streq(c, "required") || streq(c, "requisite"))
                return true;
        return c[0] == '[' && (strstr(c, "default=die") || strstr(c, "default=bad"));
}

static const PamEntry *find_module(const LoginState *s, PamType type, const char *module, bool mandatory) {
        for (size_t i = 0; i < s->n_entries; i++)
                if (s->entries[i].type == type && streq(s->entries[i].module, module) &&
                    (!mandatory || control_mandatory(s->entries[i].control)))
                        return &s->entries[i];
        return NULL;
}

/* The settings of every line of one module in one stack (later lines win), over the file's. */
static LoginSettings module_settings(const LoginState *s, PamType type, const char *module, LoginSettings base) {
        for (size_t i = 0; i < s->n_entries; i++) {
                if (s->entries[i].type != type || !streq(s->entries[i].module, module))
                        continue;
                for (char **a = s->entries[i].args; *a; a++) {
                        _cleanup_free_ char *k = strdup(*a);
                        char *eq = k ? strchr(k, '=') : NULL;

                        if (eq) {
                                *eq = 0;
                                setting_apply(&base, k, eq + 1);
                        }
                }
        }
        return base;
}

typedef struct LoginFacts {
        const char *second_factor;      /* the module found, NULL none */
        bool faillock;
        long deny, unlock_time;
        bool pwquality;
        long minlen, effective_minlen, classes;
} LoginFacts;

static LoginFacts login_facts(const LoginState *s, char *const *second_factor) {
        LoginFacts f = {};
        LoginSettings fl, pq;
        long credits = 0, negative = 0;

        for (char *const *m = second_factor; m && *m && !f.second_factor; m++)
                if (find_module(s, PAM_TYPE_AUTH, *m, true))
                        f.second_factor = *m;
        f.faillock = find_module(s, PAM_TYPE_AUTH, "pam_faillock", false);
        fl = module_settings(s, PAM_TYPE_AUTH, "pam_faillock", s->faillock_conf);
        f.deny = fl.deny >= 0 ? fl.deny : FAILLOCK_DEFAULT_DENY;
        f.unlock_time = fl.unlock_time >= 0 ? fl.unlock_time : FAILLOCK_DEFAULT_UNLOCK;

        f.pwquality = find_module(s, PAM_TYPE_PASSWORD, "pam_pwquality", true);
        pq = module_settings(s, PAM_TYPE_PASSWORD, "pam_pwquality", s->pwquality_conf);
        f.minlen = MAX(pq.minlen >= 0 ? pq.minlen : PWQUALITY_DEFAULT_MINLEN, (long) PWQUALITY_BASE_MINLEN);
        const long cr[] = { pq.dcredit, pq.ucredit, pq.lcredit, pq.ocredit };
        for (size_t i = 0; i < ELEMENTSOF(cr); i++) {
                if (cr[i] != LONG_MIN && cr[i] > 0 && cr[i] < 1000)
                        credits += cr[i];       /* each such character counts up to that much more */
                if (cr[i] != LONG_MIN && cr[i] < 0)
                        negative++;             /* at least -N characters of that class */
        }
        f.effective_minlen = MAX(f.minlen - credits, (long) PWQUALITY_BASE_MINLEN);
        f.classes = MAX(pq.minclass > 0 ? MIN(pq.minclass, 4L) : 0, negative);
        return f;
}

static int stack_evidence(const LoginState *s, PamType type, const char *key, PostureEvidence *e) {
        _cleanup_free_ char *text = NULL;
        size_t n = 0;

        for (size_t i = 0; i < s->n_entries; i++) {
                const PamEntry *m = &s->entries[i];
                size_t add;
                char *t;

                if (m->type != type)
                        continue;
                add = strlen(m->module) + strlen(m->control) + 4;
                t = realloc(text, n + add + 1);
                if (!t)
                        return -ENOMEM;
                text = t;
                n += (size_t) snprintf(text + n, add + 1, "%s%s(%s)", n ? " " : "", m->module, m->control);
        }
        return posture_evidence_add_string(e, key, text ?: "");
}

static int login_evidence(const LoginState *s, const LoginFacts *f, const char *failed, PostureEvidence *e) {
        int r = 0;

        if (s->error < 0) {
                r = r ?: posture_evidence_add_string(e, "error_file", s->error_file);
                r = r ?: posture_evidence_add_string(e, "error", strerror(-s->error));
        }
        r = r ?: stack_evidence(s, PAM_TYPE_AUTH, "auth_stack", e);
        r = r ?: stack_evidence(s, PAM_TYPE_PASSWORD, "password_stack", e);
        r = r ?: posture_evidence_add_string(e, "second_factor", f->second_factor);
        r = r ?: posture_evidence_add_bool(e, "faillock", f->faillock);
        if (f->faillock) {
                r = r ?: posture_evidence_add_int(e, "deny", f->deny);
                r = r ?: posture_evidence_add_int(e, "unlock_time_s", f->unlock_time);
        }
        r = r ?: posture_evidence_add_bool(e, "pwquality", f->pwquality);
        if (f->pwquality) {
                r = r ?: posture_evidence_add_int(e, "minlen", f->minlen);
                r = r ?: posture_evidence_add_int(e, "effective_min_length", f->effective_minlen);
                r = r ?: posture_evidence_add_int(e, "min_classes", f->classes);
        }
        return r ?: posture_evidence_add_string(e, "failed_requirements", failed);
}

int login_verdict(const LoginState *s, char *const *second_factor, unsigned max_attempts,
                  uint64_t unlock_time_usec, unsigned min_length, unsigned min_classes, PostureResult *r) {
        LoginFacts f;
        char failed[32] = "", limit[32];
        bool first = true;

        assert_return(s && r, -EINVAL);
        r->id = POSTURE_CHECK_LOGIN;
        f = login_facts(s, second_factor);
        posture_duration_format(unlock_time_usec, limit, sizeof limit);

#define FAILED(req, ...)                                                                \
        do {                                                                            \
                if (first)                                                              \
                        posture_result_set(r, POSTURE_STATUS_FAIL, __VA_ARGS__);        \
                if (!strstr(failed, req))                                               \
                        snprintf(failed + strlen(failed), sizeof failed - strlen(failed), \
                                 "%s%s", first ? "" : ",", req);                        \
                first = false;                                                          \
        } while (0)

        if (s->error < 0) {
                posture_result_set(r, POSTURE_STATUS_UNKNOWN, _("The PAM configuration (%s) could not be read."),
                                   s->error_file ?: "?");
                return login_evidence(s, &f, NULL, &r->evidence);
        }
        if (second_factor && second_factor[0] && !f.second_factor)
                FAILED("AUTH-01", _("Login does not require a second factor (none of the policy's modules is "
                                    "required in common-auth)."));
        if (!f.faillock)
                FAILED("AUTH-02", _("Failed logins do not lock the account (no pam_faillock in common-auth)."));
        else if (f.deny <= 0)
                FAILED("AUTH-02", _("Failed logins never lock the account (pam_faillock deny=0)."));
        else if (f.deny > (long) max_attempts)
                FAILED("AUTH-02", _("The account locks after %ld failed logins (at most %u allowed)."), f.deny,
                       max_attempts);
        else if (unlock_time_usec > 0 && f.unlock_time > 0 &&
                 (uint64_t) f.unlock_time < unlock_time_usec / USEC_PER_SEC)
                FAILED("AUTH-02", _("A locked account unlocks after %ld s (at least %s required)."), f.unlock_time,
                       limit);
        if (!f.pwquality)
                FAILED("AUTH-03", _("Password quality is not enforced (no required pam_pwquality in "
                                    "common-password)."));
        else if (f.effective_minlen < (long) min_length)
                FAILED("AUTH-03", _("Passwords may be %ld characters long (at least %u required)."),
                       f.effective_minlen, min_length);
        else if (min_classes > 0 && f.classes < (long) min_classes)
                FAILED("AUTH-03", _("Passwords need only %ld character classes (at least %u required)."), f.classes,
                       min_classes);
#undef FAILED
        if (first)
                posture_result_set(r, POSTURE_STATUS_PASS,
                                   _("Login meets the policy's second factor, lockout and password rules."));
        return login_evidence(s, &f, first ? NULL : failed, &r->evidence);
}
