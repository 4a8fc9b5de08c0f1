/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Network quarantine: nftables table `inet mamori`, requested through STATE_DIR/quarantine.
 * INC-03 (isolate on infection), NET-12 (remediation before rejoining the network). */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "quarantine-file.h"
#include "message-id.h"
#include "quarantine.h"


extern char **environ;

struct Quarantine {
        sd_event *event;
        const NetPolicy *np;
        QuarantineCallbacks cb;
        char *state_dir;
        char *nft;
        sd_event_source *source;
        bool active;
        bool started;           /* the first sync (at start) is done */
        char *source_name;      /* who entered the quarantine in force */
};

static void endpoint_rules(FILE *f, const NetEndpoint *e, bool out) {
        char prefix[80];
        const char *fam = e->prefix.family == AF_INET ? "ip" : "ip6";
        const char *proto = e->protocol == IPPROTO_TCP ? "tcp" : e->protocol == IPPROTO_UDP ? "udp" : NULL;

        net_prefix_to_string(&e->prefix, prefix, sizeof prefix);
        fprintf(f, "\t\t%s %s %s", fam, out ? "daddr" : "saddr", prefix);
        if (proto && e->port)
                fprintf(f, " %s %s %u", proto, out ? "dport" : "sport", e->port);
        else if (proto)
                fprintf(f, " meta l4proto %s", proto);
        fprintf(f, " accept\n");
}

static void chain_rules(FILE *f, const NetPolicy *np, bool out) {
        const char *lo = out ? "oif" : "iif";

        fprintf(f, "\t\t%s \"lo\" accept\n", lo);
        /* keep the address configuration working, or the remediation path itself goes away */
        fprintf(f, "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, "
                "nd-router-advert } accept\n");
        if (out) {
                fprintf(f, "\t\tudp sport 68 udp dport 67 accept\n");
                fprintf(f, "\t\tudp sport 546 udp dport 547 accept\n");
        } else {
                fprintf(f, "\t\tudp sport 67 udp dport 68 accept\n");
                fprintf(f, "\t\tudp sport 547 udp dport 546 accept\n");
        }
        for (size_t i = 0; np && i < np->n_remediation; i++)
                endpoint_rules(f, &np->remediation[i], out);
}

int quarantine_ruleset(const NetPolicy *np, bool active, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        assert(ret);

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        /* create-then-delete: the delete works whether or not the table exists */
        fprintf(f, "table inet " QUARANTINE_TABLE "\ndelete table inet " QUARANTINE_TABLE "\n");
        if (active) {
                fprintf(f, "table inet " QUARANTINE_TABLE " {\n");
                fprintf(f, "\tchain input {\n\t\ttype filter hook input priority filter - 10; policy drop;\n");
                chain_rules(f, np, false);
                fprintf(f, "\t}\n\tchain output {\n\t\ttype filter hook output priority filter - 10; policy drop;\n");
                chain_rules(f, np, true);
                fprintf(f, "\t}\n\tchain forward {\n\t\ttype filter hook forward priority filter - 10; policy drop;\n");
                fprintf(f, "\t}\n}\n");
        }
        if (fclose(f) != 0 || !buf) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

/* Runs `nft -f -` with script on its standard input and waits for it. */
static int quarantine_run_nft(Quarantine *q, const char *script) {
        char *argv[] = { q->nft, (char *) "-f", (char *) "-", NULL };
        posix_spawn_file_actions_t fa;
        int pipefd[2], status, r;
        size_t len = strlen(script), done = 0;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        r = posix_spawn_file_actions_init(&fa);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, pipefd[0], STDIN_FILENO);
        if (r == 0)
                r = posix_spawnp(&pid, q->nft, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[0]);
        if (r != 0) {
                close(pipefd[1]);
                return -r;
        }
        while (done < len) {
                ssize_t n = write(pipefd[1], script + done, len - done);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                done += (size_t) n;
        }
        close(pipefd[1]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return -EIO;
        return done == len ? 0 : -EPIPE;
}

static void quarantine_record(Quarantine *q, bool active, const char *reason, const char *source, int error) {
        _cleanup_free_ char *message = NULL;
        int n;

        if (active)
                n = asprintf(&message, _("This computer has been isolated from the network (quarantine). "
                                         "Reason: %s. Only the security office's remediation servers can be reached."),
                             isempty(reason) ? _("not given") : reason);
        else
                n = asprintf(&message, "%s", _("The network quarantine of this computer has ended; "
                                               "the network can be used again."));
        if (n < 0) {
                log_oom();
                return;
        }
        if (error < 0) {
                char *m = NULL;

                if (asprintf(&m, _("%s mamori could not change the firewall (%s); the security office "
                                   "has been notified."), message, strerror(-error)) >= 0) {
                        free(message);
                        message = m;
                }
        }
        sd_journal_send("MESSAGE=%s", message,
                        "MESSAGE_ID=%s", active ? MESSAGE_ID_QUARANTINE_ON : MESSAGE_ID_QUARANTINE_OFF,
                        "PRIORITY=%i", error < 0 ? LOG_ERR : LOG_WARNING,
                        "MAMORI_QUARANTINE=%s", active ? "on" : "off",
                        "MAMORI_QUARANTINE_REASON=%s", reason ?: "",
                        "MAMORI_QUARANTINE_SOURCE=%s", source ?: "",
                        NULL);
        if (!log_stderr_is_journal())
                log_notice("%s", message);
        if (q->cb.event)
                q->cb.event(&(QuarantineEvent) {
                                .active = active,
                                .reason = reason,
                                .source = source,
                                .error = error,
                                .message = message,
                        }, q->cb.userdata);
}

/* Makes the firewall match the request file. */
static int quarantine_sync(Quarantine *q, bool force) {
        _cleanup_(quarantine_state_done) QuarantineState s = {};
        _cleanup_free_ char *script = NULL;
        bool want;
        int r;

        r = quarantine_state_read(q->state_dir, &s);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to read the quarantine request in '%s': %m", q->state_dir);
        want = r >= 0;

        /* at start (and on a policy change) the table is always rewritten: it may be stale or missing */
        if (!force && want == q->active && (!want || streq_ptr(s.source, q->source_name)))
                return 0;

        r = quarantine_ruleset(q->np, want, &script);
        if (r < 0)
                return log_oom();
        r = quarantine_run_nft(q, script);
        if (r < 0)
                log_error_errno(r, "Failed to %s the quarantine firewall: %m", want ? "apply" : "remove");

        if (want != q->active || (!q->started && want))
                quarantine_record(q, want, s.reason, s.source, r);
        q->active = want && r >= 0;
        q->started = true;
        free(q->source_name);
        q->source_name = want && s.source ? strdup(s.source) : NULL;
        return r;
}

static int quarantine_on_state_dir(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Quarantine *q = ASSERT_PTR(userdata);

        if ((ev->mask & IN_Q_OVERFLOW) || (ev->len > 0 && streq(ev->name, QUARANTINE_STATE_FILE)))
                (void) quarantine_sync(q, false);
        return 0;
}

int quarantine_new(sd_event *e, const NetPolicy *np, const QuarantineConfig *config,
                   const QuarantineCallbacks *cb, Quarantine **ret) {
        _cleanup_(quarantine_freep) Quarantine *q = NULL;
        int r;

        assert(e);
        assert(config && config->state_dir);
        assert(ret);

        q = calloc(1, sizeof *q);
        if (!q)
                return log_oom();
        q->event = sd_event_ref(e);
        q->np = np;
        if (cb)
                q->cb = *cb;
        q->state_dir = strdup(config->state_dir);
        q->nft = strdup(config->nft ?: "nft");
        if (!q->state_dir || !q->nft)
                return log_oom();

        r = sd_event_add_inotify(e, &q->source, q->state_dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR,
                                 quarantine_on_state_dir, q);
        if (r < 0)
                return log_error_errno(r, "Failed to watch '%s': %m", q->state_dir);
        (void) sd_event_source_set_description(q->source, "quarantine-state");

        /* a failure to apply is logged and recorded; the watch stays, so a later request retries */
        (void) quarantine_sync(q, true);
        *ret = TAKE_PTR(q);
        return 0;
}

int quarantine_enter(Quarantine *q, const char *reason, const char *source) {
        int r;

        assert_return(q && source, -EINVAL);

        r = quarantine_state_write(q->state_dir, reason, source);
        if (r < 0)
                return log_error_errno(r, "Failed to write the quarantine request: %m");
        return quarantine_sync(q, false);
}

int quarantine_clear_trigger(Quarantine *q, const char *source) {
        _cleanup_(quarantine_state_done) QuarantineState s = {};
        int r;

        assert_return(q && source, -EINVAL);

        r = quarantine_state_read(q->state_dir, &s);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Failed to read the quarantine request: %m");
        if (!streq(s.source, source))
                return 0;
        r = quarantine_state_remove(q->state_dir);
        if (r < 0)
                return log_error_errno(r, "Failed to remove the quarantine request: %m");
        return quarantine_sync(q, false);
}

int quarantine_set_policy(Quarantine *q, const NetPolicy *np) {
        assert_return(q, -EINVAL);

        q->np = np;
        if (!q->active)
                return 0;
        return quarantine_sync(q, true);
}

bool quarantine_is_active(const Quarantine *q) {
        return q && q->active;
}

Quarantine *quarantine_free(Quarantine *q) {
        if (!q)
                return NULL;
        sd_event_source_disable_unref(q->source);
        sd_event_unref(q->event);
        free(q->state_dir);
        free(q->nft);
        free(q->source_name);
        free(q);
        return NULL;
}
