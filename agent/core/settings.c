/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>

#include "settings.h"
#include "trust.h"
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"

typedef int (*ConfParser)(AgentSettings *s, const char *value);

typedef struct ConfKey {
        const char *section;
        const char *key;
        ConfParser parse;
} ConfKey;

static int conf_set_string(char **p, const char *value) {
        char *v;

        if (isempty(value))
                return -EINVAL;
        if (value[0] != '/')
                return -EINVAL;        /* relative paths depend on the working directory */
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        free(*p);
        *p = v;
        return 0;
}

static int conf_parse_policy_dir(AgentSettings *s, const char *value) {
        return conf_set_string(&s->policy_dir, value);
}

static int conf_parse_state_dir(AgentSettings *s, const char *value) {
        return conf_set_string(&s->state_dir, value);
}

static int conf_parse_runtime_dir(AgentSettings *s, const char *value) {
        return conf_set_string(&s->runtime_dir, value);
}

static int conf_parse_hide_serials(AgentSettings *s, const char *value) {
        if (streq(value, "policy"))
                s->hide_serials = HIDE_SERIALS_POLICY;
        else if (streq(value, "yes") || streq(value, "true") || streq(value, "1"))
                s->hide_serials = HIDE_SERIALS_YES;
        else if (streq(value, "no") || streq(value, "false") || streq(value, "0"))
                s->hide_serials = HIDE_SERIALS_NO;
        else
                return -EINVAL;
        return 0;
}

static int conf_parse_log_level(AgentSettings *s, const char *value) {
        int l = log_level_from_string(value);

        if (l < 0)
                return l;
        if (l < LOG_ERR || l > LOG_DEBUG)       /* range check: emerg..crit would hide errors */
                return -ERANGE;
        s->log_level = l;
        return 0;
}

static int conf_parse_media_timeout(AgentSettings *s, const char *value) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(value, &end, 10);
        if (errno != 0 || end == value || *end != 0 || value[0] == '-')
                return -EINVAL;
        if (v < 1 || v > 3600)
                return -ERANGE;
        s->media_timeout_sec = (unsigned) v;
        return 0;
}

static int conf_parse_device_events(AgentSettings *s, const char *value) {
        if (streq(value, "kernel"))
                s->device_events_udev = false;
        else if (streq(value, "udev"))
                s->device_events_udev = true;
        else
                return -EINVAL;
        return 0;
}

static const ConfKey conf_keys[] = {
        { "Agent", "PolicyDirectory",  conf_parse_policy_dir   },
        { "Agent", "StateDirectory",   conf_parse_state_dir    },
        { "Agent", "RuntimeDirectory", conf_parse_runtime_dir  },
        { "Agent", "HideSerials",      conf_parse_hide_serials },
        { "Agent", "LogLevel",         conf_parse_log_level    },
        { "Agent", "MediaTimeoutSec",  conf_parse_media_timeout },
        { "Agent", "DeviceEvents",     conf_parse_device_events },
};

void agent_settings_init(AgentSettings *s) {
        *s = (AgentSettings) {
                .hide_serials = HIDE_SERIALS_POLICY,
                .log_level = LOG_INFO,
                .media_timeout_sec = MEDIA_TIMEOUT_SEC_DEFAULT,
        };
}

void agent_settings_done(AgentSettings *s) {
        if (!s)
                return;
        free(s->policy_dir);
        free(s->state_dir);
        free(s->runtime_dir);
        s->policy_dir = s->state_dir = s->runtime_dir = NULL;
}

static char *strip(char *s) {
        char *e;

        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

static int conf_parse_line(AgentSettings *s, const char *path, unsigned line, char *l, char **section) {
        char *eq, *key, *value;
        int r;

        l = strip(l);
        if (l[0] == 0 || l[0] == '#' || l[0] == ';')
                return 0;
        if (l[0] == '[') {
                size_t n = strlen(l);

                if (n < 3 || l[n - 1] != ']')
                        return log_error_errno(EBADMSG, "%s:%u: invalid section header '%s'", path, line, l);
                free(*section);
                *section = strndup(l + 1, n - 2);
                return *section ? 0 : log_oom();
        }
        eq = strchr(l, '=');
        if (!eq)
                return log_error_errno(EBADMSG, "%s:%u: expected KEY=VALUE, got '%s'", path, line, l);
        *eq = 0;
        key = strip(l);
        value = strip(eq + 1);
        if (!*section)
                return log_error_errno(EBADMSG, "%s:%u: '%s' outside of a section", path, line, key);

        for (size_t i = 0; i < ELEMENTSOF(conf_keys); i++) {
                if (!streq(conf_keys[i].section, *section) || !streq(conf_keys[i].key, key))
                        continue;
                r = conf_keys[i].parse(s, value);
                if (r == -ENOMEM)
                        return log_oom();
                if (r < 0)
                        return log_error_errno(EBADMSG, "%s:%u: invalid value '%s' for %s=", path, line,
                                               value, key);
                return 0;
        }
        return log_error_errno(EBADMSG, "%s:%u: unknown key '%s' in section [%s]", path, line, key, *section);
}

int agent_settings_load_file(AgentSettings *s, const char *path, bool must_exist) {
        _cleanup_free_ char *data = NULL, *section = NULL, *untrusted = NULL, *reason = NULL;
        _cleanup_close_ int fd = -EBADF;
        char *saveptr = NULL, *l;
        unsigned line = 0;
        int r;

        assert(s);
        assert(path);

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 && errno == ENOENT && !must_exist)
                return 0;
        if (fd < 0)
                return log_error_errno(errno, "%s: failed to read: %m", path);
        /* StrictModes (common/trust.h): settings anyone but root (or, for a mamorid run by an
         * ordinary user, that user) could have written are not used at all: the built-in
         * settings are safer than someone else's policy directory. */
        r = path_check_trusted(path, fd, geteuid(), &untrusted, &reason);
        if (r == -EPERM) {
                log_error("%s: %s; ignoring the file, running on the built-in settings.",
                          untrusted ?: path, reason ?: "not trusted");
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "%s: cannot check who may write it: %m", path);
        r = read_full_fd(fd, 1024 * 1024, &data, NULL);
        if (r < 0)
                return log_error_errno(r, "%s: failed to read: %s", path, file_error_to_string(r));

        /* strtok_r() would skip empty lines and break line numbers: split by hand. */
        for (l = data; l; l = saveptr) {
                saveptr = strchr(l, '\n');
                if (saveptr)
                        *saveptr++ = 0;
                line++;
                r = conf_parse_line(s, path, line, l, &section);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int settings_local_dir(char **p, const char *sub) {
        _cleanup_free_ char *cwd = NULL;

        if (*p)
                return 0;
        cwd = getcwd(NULL, 0);
        if (!cwd)
                return -errno;
        if (asprintf(p, "%s/local/%s", cwd, sub) < 0) {
                *p = NULL;
                return -ENOMEM;
        }
        return 0;
}

static int settings_default_dir(char **p, const char *def) {
        if (*p)
                return 0;
        *p = strdup(def);
        return *p ? 0 : -ENOMEM;
}

int agent_settings_fill_defaults(AgentSettings *s) {
        int r;

        assert(s);

        r = settings_default_dir(&s->policy_dir, POLICY_DIR);
        if (r < 0)
                return r;
        if (geteuid() != 0) {
                r = settings_local_dir(&s->state_dir, "state");
                if (r < 0)
                        return r;
                return settings_local_dir(&s->runtime_dir, "run");
        }
        r = settings_default_dir(&s->state_dir, STATE_DIR);
        if (r < 0)
                return r;
        return settings_default_dir(&s->runtime_dir, RUNTIME_DIR);
}
