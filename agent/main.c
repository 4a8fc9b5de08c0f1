/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamorid: the mamori agent. Everything is owned by the Manager; this file only runs it. */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "settings.h"
#include "config.h"
#include "i18n.h"
#include "policy-lint.h"
#include "log.h"
#include "manager.h"
#include "policy.h"

static char *arg_config;
static char *arg_check_policy;
static AgentSettings arg_cmdline;

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "mamori agent: USB device control and endpoint hardening.\n\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --config FILE        Settings file (default " CONF_FILE ")\n"
               "     --policy-dir DIR     Policy directory (policy.d)\n"
               "     --state-dir DIR      State directory (event log)\n"
               "     --runtime-dir DIR    Runtime directory (state.json)\n"
               "     --check-policy DIR   Check a policy directory and exit\n"
               "     --foreground         Accepted for compatibility; mamorid never forks\n",
               program_invocation_short_name);
}

static int set_arg(char **p, const char *v) {
        free(*p);
        *p = strdup(v);
        return *p ? 0 : log_oom();
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100, ARG_CONFIG, ARG_POLICY_DIR, ARG_STATE_DIR, ARG_RUNTIME_DIR,
               ARG_CHECK_POLICY, ARG_FOREGROUND };
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h'              },
                { "version",      no_argument,       NULL, ARG_VERSION      },
                { "config",       required_argument, NULL, ARG_CONFIG       },
                { "policy-dir",   required_argument, NULL, ARG_POLICY_DIR   },
                { "state-dir",    required_argument, NULL, ARG_STATE_DIR    },
                { "runtime-dir",  required_argument, NULL, ARG_RUNTIME_DIR  },
                { "check-policy", required_argument, NULL, ARG_CHECK_POLICY },
                { "foreground",   no_argument,       NULL, ARG_FOREGROUND   },
                {}
        };
        int c, r = 0;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("mamorid %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_CONFIG:
                        r = set_arg(&arg_config, optarg);
                        break;
                case ARG_POLICY_DIR:
                        r = set_arg(&arg_cmdline.policy_dir, optarg);
                        break;
                case ARG_STATE_DIR:
                        r = set_arg(&arg_cmdline.state_dir, optarg);
                        break;
                case ARG_RUNTIME_DIR:
                        r = set_arg(&arg_cmdline.runtime_dir, optarg);
                        break;
                case ARG_CHECK_POLICY:
                        r = set_arg(&arg_check_policy, optarg);
                        break;
                case ARG_FOREGROUND:
                        break;
                case '?':
                        return -EINVAL;
                default:
                        assert(false);
                }
                if (r < 0)
                        return r;
        }
        if (optind < argc)
                return log_error_errno(EINVAL, "%s takes no positional arguments.",
                                       program_invocation_short_name);
        return 1;
}

/* mamorid --check-policy DIR: the same check as `mamorictl policy lint DIR` (policy/policy-lint.c). */
static int check_policy(const char *dir) {
        return policy_lint_dir(dir, stdout, stderr);
}

static int load_settings(AgentSettings *s) {
        int r;

        agent_settings_init(s);
        r = agent_settings_load_file(s, arg_config ?: CONF_FILE, !!arg_config);
        if (r < 0)
                return r;
        /* The command line overrides the file. */
        if (arg_cmdline.policy_dir && (r = set_arg(&s->policy_dir, arg_cmdline.policy_dir)) < 0)
                return r;
        if (arg_cmdline.state_dir && (r = set_arg(&s->state_dir, arg_cmdline.state_dir)) < 0)
                return r;
        if (arg_cmdline.runtime_dir && (r = set_arg(&s->runtime_dir, arg_cmdline.runtime_dir)) < 0)
                return r;
        r = agent_settings_fill_defaults(s);
        if (r < 0)
                return log_error_errno(r, "Failed to determine the directories: %m");
        log_set_max_level(s->log_level);
        return 0;
}

static int run(int argc, char *argv[]) {
        _cleanup_(agent_settings_done) AgentSettings settings = {};
        Manager *m = NULL;
        int r;

        setlocale(LC_ALL, "");
        bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
        textdomain(GETTEXT_PACKAGE);

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;
        if (arg_check_policy)
                return check_policy(arg_check_policy);

        r = load_settings(&settings);
        if (r < 0)
                return r;
        log_info("mamorid %s starting: policy '%s', state '%s', runtime '%s'", PACKAGE_VERSION,
                 settings.policy_dir, settings.state_dir, settings.runtime_dir);

        /* A file size limit must make a write fail (the event log then counts what it could not
         * write, common/eventlog.h), not kill the agent. */
        (void) signal(SIGXFSZ, SIG_IGN);

        r = manager_new(&settings, &m);
        if (r < 0)
                return r;
        r = manager_start(m);
        if (r >= 0) {
                r = sd_event_loop(m->event);
                if (r < 0)
                        log_error_errno(r, "Event loop failed: %m");
        }
        (void) sd_notify(false, "STOPPING=1");
        manager_free(m);
        return r;
}

int main(int argc, char *argv[]) {
        int r;

        r = run(argc, argv);
        free(arg_config);
        free(arg_check_policy);
        agent_settings_done(&arg_cmdline);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
