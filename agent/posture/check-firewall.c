/* SPDX-License-Identifier: GPL-2.0-or-later */
/* firewall (NET-05 「利用できるネットワークプロトコルは、業務上必要最低限」, NET-07 「通信経路の限定
 * … アプリケーションプロトコル（ポート番号）のレベルでの限定」). nft's JSON is read with json-c. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check-firewall.h"
#include "i18n.h"
#include "json-c-util.h"
#include "macro.h"

#define NFT_OUTPUT_MAX (64U * 1024U * 1024U)

extern char **environ;

/* ---- normalising ---- */

static int key_cmp(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* A copy of o without handles, counter values and metainfo, objects with sorted keys. */
static json_object *normalized_copy(json_object *o, const char *parent_key) {
        switch (json_object_get_type(o)) {
        case json_type_object: {
                size_t n = (size_t) json_object_object_length(o), k = 0;
                _cleanup_free_ const char **keys = calloc(n + 1, sizeof(char *));
                json_object *c = json_object_new_object();
                bool counter = parent_key && streq(parent_key, "counter");

                if (!keys || !c) {
                        json_object_put(c);
                        return NULL;
                }
                json_object_object_foreach(o, key, val) {
                        (void) val;
                        if (streq(key, "handle") || streq(key, "metainfo") ||
                            (counter && (streq(key, "packets") || streq(key, "bytes"))))
                                continue;
                        keys[k++] = key;
                }
                qsort(keys, k, sizeof(char *), key_cmp);
                for (size_t i = 0; i < k; i++) {
                        json_object *e = json_object_object_get(o, keys[i]);
                        json_object *v = normalized_copy(e, keys[i]);

                        if ((!v && e) || json_object_object_add(c, keys[i], v) < 0) {
                                json_object_put(v);
                                json_object_put(c);
                                return NULL;
                        }
                }
                return c;
        }
        case json_type_array: {
                json_object *c = json_object_new_array();

                for (size_t i = 0; c && i < json_object_array_length(o); i++) {
                        json_object *e = json_object_array_get_idx(o, i), *v;

                        /* the metainfo entry: {"metainfo": {...}} */
                        if (json_object_is_type(e, json_type_object) && json_object_object_length(e) == 1 &&
                            json_object_object_get_ex(e, "metainfo", NULL))
                                continue;
                        v = normalized_copy(e, NULL);
                        if ((!v && e) || json_object_array_add(c, v) < 0) {
                                json_object_put(v);
                                json_object_put(c);
                                return NULL;
                        }
                }
                return c;
        }
        case json_type_null:
                return NULL;            /* json-c's null is the NULL object */
        case json_type_boolean:
        case json_type_double:
        case json_type_int:
        case json_type_string:
                return json_object_get(o);      /* immutable here: shared */
        }
        return NULL;
}

static void count_kinds(json_object *list, size_t *tables, size_t *chains, size_t *rules) {
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *e = json_object_array_get_idx(list, i);

                *tables += json_object_object_get_ex(e, "table", NULL);
                *chains += json_object_object_get_ex(e, "chain", NULL);
                *rules += json_object_object_get_ex(e, "rule", NULL);
        }
}

int firewall_normalize(const char *json, size_t size, char **ret, size_t *ret_tables, size_t *ret_chains,
                       size_t *ret_rules) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) json_object *root = NULL, *norm = NULL;
        json_object *list;
        size_t tables = 0, chains = 0, rules = 0;
        const char *text;
        char *s;

        assert_return((json || size == 0) && ret, -EINVAL);
        if (size > INT32_MAX)
                return -EBADMSG;
        tok = json_tokener_new_ex(64);
        if (!tok)
                return -ENOMEM;
        /* strict: nft writes plain JSON; what json-c's lenient mode would also take (leading
         * zeros, "00e", single quotes) would not read back the same after normalising */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        root = json_tokener_parse_ex(tok, json, (int) size);
        if (!root || json_tokener_get_error(tok) != json_tokener_success)
                return -EBADMSG;
        for (size_t i = json_tokener_get_parse_end(tok); i < size; i++)
                if (!strchr(" \t\r\n", json[i]) || json[i] == 0)
                        return -EBADMSG;       /* something after the object */
        if (!json_object_object_get_ex(root, "nftables", &list) || !json_object_is_type(list, json_type_array))
                return -EBADMSG;
        count_kinds(list, &tables, &chains, &rules);
        norm = normalized_copy(root, NULL);      /* root is an object: NULL only for memory */
        if (!norm)
                return -ENOMEM;
        text = json_object_to_json_string_ext(norm, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text || !(s = strdup(text)))
                return -ENOMEM;
        *ret = s;
        if (ret_tables)
                *ret_tables = tables;
        if (ret_chains)
                *ret_chains = chains;
        if (ret_rules)
                *ret_rules = rules;
        return 0;
}

/* ---- running nft ---- */

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static int spawn_nft(const char *nft, int out_fd, pid_t *ret) {
        char *argv[] = { (char *) nft, (char *) "-j", (char *) "list", (char *) "ruleset", NULL };
        posix_spawn_file_actions_t fa;
        int r;

        r = posix_spawn_file_actions_init(&fa);
        if (r != 0)
                return -r;
        r = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawnp(ret, nft, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        return -r;
}

/* Reads the child's output until EOF or the deadline. */
static int read_until(int fd, uint64_t deadline, char **buf, size_t *len) {
        size_t cap = 0;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t n = now_usec();
                ssize_t k;
                int q;

                if (n >= deadline)
                        return -ETIMEDOUT;
                q = poll(&p, 1, (int) ((deadline - n + 999) / 1000));
                if (q < 0 && errno == EINTR)
                        continue;
                if (q < 0)
                        return -errno;
                if (q == 0)
                        return -ETIMEDOUT;
                if (cap - *len < 64 * 1024) {
                        char *b;

                        if (cap >= NFT_OUTPUT_MAX)
                                return -EFBIG;
                        cap = cap ? cap * 2 : 256 * 1024;
                        b = realloc(*buf, cap + 1);
                        if (!b)
                                return -ENOMEM;
                        *buf = b;
                }
                k = read(fd, *buf + *len, cap - *len);
                if (k < 0 && (errno == EINTR || errno == EAGAIN))
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return 0;
                *len += (size_t) k;
        }
}

int firewall_probe(const char *nft, uint64_t timeout_usec, FirewallState *ret) {
        FirewallState s = { .exit_status = -1 };
        _cleanup_free_ char *out = NULL, *norm = NULL;
        uint64_t start = now_usec();
        int pipefd[2], status, r;
        size_t len = 0;
        pid_t pid;

        assert_return(nft && ret, -EINVAL);
        s.nft = strdup(nft);
        if (!s.nft)
                return -ENOMEM;
        if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0) {
                s.error = -errno;
                goto finish;
        }
        r = spawn_nft(nft, pipefd[1], &pid);
        close(pipefd[1]);
        if (r < 0) {
                close(pipefd[0]);
                s.error = r;
                goto finish;
        }
        r = read_until(pipefd[0], start + timeout_usec, &out, &len);
        close(pipefd[0]);
        if (r < 0)
                (void) kill(pid, SIGKILL);      /* stuck, or too much: never wait for it */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r == -ENOMEM) {
                free(s.nft);
                return r;
        }
        if (r < 0) {
                s.error = r;
                goto finish;
        }
        if (WIFEXITED(status))
                s.exit_status = WEXITSTATUS(status);
        if (s.exit_status == 127 && len == 0)
                s.error = -ENOENT;              /* posix_spawnp's child could not exec */
        else if (s.exit_status != 0)
                s.error = -EIO;
        else {
                out[len] = 0;
                r = firewall_normalize(out, len, &norm, &s.n_tables, &s.n_chains, &s.n_rules);
                if (r == -ENOMEM) {
                        free(s.nft);
                        return r;
                }
                if (r < 0)
                        s.error = r;
                else
                        sha256_hex(norm, strlen(norm), s.sha256);
        }
finish:
        s.elapsed_usec = now_usec() - start;
        *ret = s;
        return 0;
}

void firewall_state_done(FirewallState *s) {
        if (!s)
                return;
        free(s->nft);
        *s = (FirewallState) {};
}

/* ---- the verdict ---- */

int firewall_verdict(const FirewallState *s, const char *expected_sha256, PostureResult *r) {
        bool matches;
        int k = 0;

        assert_return(s && expected_sha256 && r, -EINVAL);
        r->id = POSTURE_CHECK_FIREWALL;
        matches = s->error == 0 && s->n_tables > 0 && strcasecmp(s->sha256, expected_sha256) == 0;

        if (s->error == -ENOENT)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("The firewall cannot be read: nft is not installed."));
        else if (s->error == -ETIMEDOUT)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The firewall cannot be read: nft did not answer within the time limit."));
        else if (s->error < 0)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("The firewall cannot be read: nft failed (%s)."),
                                   strerror(-s->error));
        else if (s->n_tables == 0)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("No firewall ruleset is loaded."));
        else if (!matches)
                posture_result_set(r, POSTURE_STATUS_FAIL, _("The loaded firewall ruleset is not the policy's."));
        else
                posture_result_set(r, POSTURE_STATUS_PASS, _("The loaded firewall ruleset is the policy's."));

        k = k ?: posture_evidence_add_string(&r->evidence, "nft", s->nft);
        if (s->error < 0)
                k = k ?: posture_evidence_add_string(&r->evidence, "error", strerror(-s->error));
        if (s->exit_status >= 0)
                k = k ?: posture_evidence_add_int(&r->evidence, "exit_status", s->exit_status);
        else
                k = k ?: posture_evidence_add_null(&r->evidence, "exit_status");
        k = k ?: posture_evidence_add_int(&r->evidence, "tables", (int64_t) s->n_tables);
        k = k ?: posture_evidence_add_int(&r->evidence, "chains", (int64_t) s->n_chains);
        k = k ?: posture_evidence_add_int(&r->evidence, "rules", (int64_t) s->n_rules);
        k = k ?: posture_evidence_add_string(&r->evidence, "ruleset_sha256", s->error == 0 ? s->sha256 : NULL);
        k = k ?: posture_evidence_add_string(&r->evidence, "expected_sha256", expected_sha256);
        k = k ?: posture_evidence_add_bool(&r->evidence, "matches", matches);
        return k ?: posture_evidence_add_int(&r->evidence, "elapsed_ms", (int64_t) (s->elapsed_usec / USEC_PER_MSEC));
}
