/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamorictl status: shows RUNTIME_DIR/state.json, written by mamorid (atomic replace).
 * The agent owns the schema; this reads it generically: top-level scalars, the "policy"
 * object, and every array of objects as a table. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "usb-device.h"
#include "fileio.h"
#include "i18n.h"
#include "escape.h"
#include "json-c-util.h"

#define STATE_FILE_MAX (64U * 1024U * 1024U)
#define TABLE_COLUMNS_MAX 8
#define JSON_DEPTH_MAX 32


/* Columns shown when present, in this order; other keys only when none of these is. */
static const char *const preferred_columns[] = {
        "device", "vendor", "product", "name", "decision", "rule", "medium", "audit_only",
};

static bool is_scalar(json_object *v) {
        return !json_object_is_type(v, json_type_object) && !json_object_is_type(v, json_type_array);
}

/* A scalar as shown: strings from devices and files come escaped (no control character reaches
 * the terminal, see common/escape.h). Returns a new string, or NULL when out of memory. */
static char *scalar_text(json_object *v) {
        switch (json_object_get_type(v)) {
        case json_type_null:
                return strdup("-");
        case json_type_boolean:
                return strdup(json_object_get_boolean(v) ? "yes" : "no");
        case json_type_string:
                return str_escape_len(json_object_get_string(v), (size_t) json_object_get_string_len(v));
        case json_type_int:
        case json_type_double:
                return strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        case json_type_object:
        case json_type_array:
                break;
        }
        return strdup("…");
}

static void print_escaped_key(const char *key) {
        fputs_escaped(key, stdout);
}

static void print_scalar(json_object *v) {
        _cleanup_free_ char *t = scalar_text(v);

        fputs(t ?: "?", stdout);
}

static void print_scalars(json_object *o, const char *indent) {
        json_object_object_foreach(o, key, v)
                if (is_scalar(v)) {
                        fputs(indent, stdout);
                        print_escaped_key(key);
                        fputs(": ", stdout);
                        print_scalar(v);
                        fputc('\n', stdout);
                }
}

static size_t column_add(const char **cols, size_t n, const char *key) {
        for (size_t i = 0; i < n; i++)
                if (streq(cols[i], key))
                        return n;
        if (n >= TABLE_COLUMNS_MAX)
                return n;
        cols[n] = key;
        return n + 1;
}

static json_object *member(json_object *o, const char *key) {
        json_object *v = NULL;

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

static size_t table_columns(json_object *a, const char **cols) {
        size_t n = 0, len = json_object_array_length(a);

        for (size_t c = 0; c < ELEMENTSOF(preferred_columns); c++)
                for (size_t i = 0; i < len; i++) {
                        json_object *v = member(json_object_array_get_idx(a, i), preferred_columns[c]);

                        if (v && is_scalar(v)) {
                                n = column_add(cols, n, preferred_columns[c]);
                                break;
                        }
                }
        if (n > 0)
                return n;
        for (size_t i = 0; i < len; i++) {
                json_object *row = json_object_array_get_idx(a, i);

                if (!json_object_is_type(row, json_type_object))
                        continue;
                json_object_object_foreach(row, key, v)
                        if (is_scalar(v))
                                n = column_add(cols, n, key);
        }
        return n;
}

/* Nested arrays of objects (a device's interfaces) as indented lines under the row. */
static void print_nested(json_object *row) {
        json_object_object_foreach(row, key, a) {
                (void) key;
                if (!json_object_is_type(a, json_type_array))
                        continue;
                for (size_t i = 0; i < json_object_array_length(a); i++) {
                        json_object *o = json_object_array_get_idx(a, i);
                        bool first = true;

                        if (!json_object_is_type(o, json_type_object))
                                continue;
                        fputs("    ", stdout);
                        json_object_object_foreach(o, k, v) {
                                (void) k;
                                if (!is_scalar(v))
                                        continue;
                                if (!first)
                                        fputs("  ", stdout);
                                print_scalar(v);
                                first = false;
                        }
                        fputc('\n', stdout);
                }
        }
}

/* A device's reason in the reader's language: the agent records a reason code, and the sentence is
 * rendered here, so staff read it in Japanese whatever locale the agent runs in. */
static void print_reason(json_object *row) {
        json_object *code = member(row, "reason"), *decision = member(row, "decision");
        PolicyDecision d = {};

        if (!json_object_is_type(code, json_type_string) || !json_object_is_type(decision, json_type_string))
                return;
        if (streq(json_object_get_string(code), "identity-unreadable")) {
                printf("    %s\n", usb_decision_reason_text(NULL));
                return;
        }
        d.reason = decision_reason_from_string(json_object_get_string(code));
        d.decision = decision_from_string(json_object_get_string(decision));
        if (d.reason < 0 || d.decision < 0)
                return;
        printf("    %s\n", usb_decision_reason_text(&d));
}

static void print_cell(json_object *v, size_t width) {
        _cleanup_free_ char *t = v && is_scalar(v) ? scalar_text(v) : strdup("-");

        printf("%-*s ", (int) width, t ?: "?");
}

static void print_table(const char *title, json_object *a) {
        const char *cols[TABLE_COLUMNS_MAX];
        size_t width[TABLE_COLUMNS_MAX], n, len = json_object_array_length(a);

        fputc('\n', stdout);
        print_escaped_key(title);
        printf(" (%zu):\n", len);
        n = table_columns(a, cols);
        if (n == 0)
                return;
        for (size_t c = 0; c < n; c++) {
                _cleanup_free_ char *name = str_escape(cols[c]);

                width[c] = name ? strlen(name) : 1;
                for (size_t i = 0; i < len; i++) {
                        json_object *v = member(json_object_array_get_idx(a, i), cols[c]);
                        _cleanup_free_ char *t = v && is_scalar(v) ? scalar_text(v) : NULL;

                        if (t)
                                width[c] = MAX(width[c], strlen(t));
                }
        }
        fputs("  ", stdout);
        for (size_t c = 0; c < n; c++) {
                _cleanup_free_ char *name = str_escape(cols[c]);

                printf("%-*s ", (int) width[c], name ?: "?");
        }
        fputc('\n', stdout);
        for (size_t i = 0; i < len; i++) {
                json_object *row = json_object_array_get_idx(a, i);

                fputs("  ", stdout);
                for (size_t c = 0; c < n; c++)
                        print_cell(member(row, cols[c]), width[c]);
                fputc('\n', stdout);
                if (json_object_is_type(row, json_type_object)) {
                        print_reason(row);
                        print_nested(row);
                }
        }
}

static bool is_object_array(json_object *v) {
        if (!json_object_is_type(v, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(v); i++)
                if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_object))
                        return false;
        return true;
}

static void print_state(json_object *root) {
        json_object *policy = member(root, "policy");

        print_scalars(root, "");
        if (json_object_is_type(policy, json_type_object)) {
                printf(_("\nPolicy:\n"));
                print_scalars(policy, "  ");
        }
        json_object_object_foreach(root, key, v) {
                if (streq(key, "policy") && json_object_is_type(v, json_type_object))
                        continue;
                if (is_object_array(v))
                        print_table(key, v);
                else if (json_object_is_type(v, json_type_object)) {
                        fputc('\n', stdout);
                        print_escaped_key(key);
                        fputs(":\n", stdout);
                        print_scalars(v, "  ");
                } else if (json_object_is_type(v, json_type_array)) {
                        print_escaped_key(key);
                        fputc(':', stdout);
                        for (size_t k = 0; k < json_object_array_length(v); k++) {
                                json_object *item = json_object_array_get_idx(v, k);

                                if (is_scalar(item)) {
                                        fputc(' ', stdout);
                                        print_scalar(item);
                                }
                        }
                        fputc('\n', stdout);
                }
        }
}

/* The whole text as one JSON object (json-c), or NULL: a syntax error, trailing bytes, nesting
 * deeper than JSON_DEPTH_MAX. */
static json_object *parse_state(const char *text, size_t size) {
        _cleanup_(json_tokener_freep) json_tokener *tok = json_tokener_new_ex(JSON_DEPTH_MAX);
        json_object *root;
        size_t end;

        if (!tok)
                return NULL;
        root = json_tokener_parse_ex(tok, text, (int) size);
        if (!root || json_tokener_get_error(tok) != json_tokener_success)
                return json_object_put(root), NULL;
        end = json_tokener_get_parse_end(tok);
        for (; end < size; end++)
                if (!strchr(" \t\r\n", text[end]))
                        return json_object_put(root), NULL;
        if (!json_object_is_type(root, json_type_object))
                return json_object_put(root), NULL;
        return root;
}

int verb_status(int argc, char *argv[]) {
        enum { ARG_JSON = 0x100, ARG_RUNTIME_DIR };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h'             },
                { "json",        no_argument,       NULL, ARG_JSON        },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                {}
        };
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *dir = getenv("MAMORI_RUNTIME_DIR") ?: RUNTIME_DIR;
        bool json = false, from_file = !!getenv("MAMORI_RUNTIME_DIR");
        size_t size;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf(_("Usage: mamorictl status [--json] [--runtime-dir DIR]\n\n"
                                 "Show the agent's policy and the USB devices it decided.\n\n"
                                 "     --json              Print the agent's state file as it is\n"
                                 "     --runtime-dir DIR   Read state.json there instead of asking the\n"
                                 "                         running agent over D-Bus (default %s,\n"
                                 "                         or $MAMORI_RUNTIME_DIR)\n"), RUNTIME_DIR);
                        return 0;
                case ARG_JSON:
                        json = true;
                        break;
                case ARG_RUNTIME_DIR:
                        dir = optarg;
                        from_file = true;
                        break;
                case '?':
                        return log_usage_option();
                default:
                        return log_error_errno(EINVAL, "Unexpected option %c", c);
                }
        if (optind < argc)
                return log_usage_error(_("Too many arguments."));

        if (asprintf(&path, "%s/state.json", dir) < 0)
                return log_error_errno(ENOMEM, _("Out of memory."));
        /* The running agent answers over D-Bus; its state file is read when it does not (no
         * system bus, an agent without the API) or when a directory was named. */
        r = ctl_agent_text("GetState", path, from_file, STATE_FILE_MAX, &text, &size);
        if (r == -ENOENT) {
                fprintf(stderr, _("The mamori agent is not running (no state in '%s').\n"), path);
                return EXIT_NOT_RUNNING;
        }
        if (r == -EBADFD)
                return log_error_errno(r, _("Failed to read '%s': not a regular file."), path);
        if (r < 0)
                return log_error_errno(r, _("Failed to read '%s': %m"), path);

        if (json) {
                fwrite(text, 1, size, stdout);
                if (size > 0 && text[size - 1] != '\n')
                        fputc('\n', stdout);
                return EXIT_SUCCESS;
        }

        if (size > INT32_MAX)
                return log_error_errno(EFBIG, _("'%s' is not a valid state file."), path);
        root = parse_state(text, size);
        if (!root)
                return log_error_errno(EBADMSG, _("'%s' is not a valid state file."), path);
        print_state(root);
        return EXIT_SUCCESS;
}
