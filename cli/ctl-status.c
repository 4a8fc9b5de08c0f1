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
#include "json-read.h"

#define STATE_FILE_MAX (64U * 1024U * 1024U)
#define TABLE_COLUMNS_MAX 8

DEFINE_TRIVIAL_CLEANUP_FUNC(JsonValue *, json_value_free);

/* Columns shown when present, in this order; other keys only when none of these is. */
static const char *const preferred_columns[] = {
        "device", "vendor", "product", "name", "decision", "rule", "medium", "audit_only",
};

static const char *scalar_text(const JsonValue *v) {
        switch (v->type) {
        case JSON_NULL:
                return "-";
        case JSON_BOOL:
                return v->boolean ? "yes" : "no";
        case JSON_NUMBER:
        case JSON_STRING:
                return v->text;
        case JSON_ARRAY:
        case JSON_OBJECT:
                break;
        }
        return "…";
}

static void print_scalars(const JsonValue *o, const char *indent) {
        for (size_t i = 0; i < o->n; i++)
                if (json_is_scalar(o->items[i]))
                        printf("%s%s: %s\n", indent, o->keys[i], scalar_text(o->items[i]));
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

static size_t table_columns(const JsonValue *a, const char **cols) {
        size_t n = 0;

        for (size_t c = 0; c < ELEMENTSOF(preferred_columns); c++)
                for (size_t i = 0; i < a->n; i++)
                        if (json_is_scalar(json_object_get(a->items[i], preferred_columns[c]))) {
                                n = column_add(cols, n, preferred_columns[c]);
                                break;
                        }
        if (n > 0)
                return n;
        for (size_t i = 0; i < a->n; i++)
                for (size_t k = 0; a->items[i]->type == JSON_OBJECT && k < a->items[i]->n; k++)
                        if (json_is_scalar(a->items[i]->items[k]))
                                n = column_add(cols, n, a->items[i]->keys[k]);
        return n;
}

/* Nested arrays of objects (a device's interfaces) as indented lines under the row. */
static void print_nested(const JsonValue *row) {
        for (size_t k = 0; k < row->n; k++) {
                const JsonValue *a = row->items[k];

                if (a->type != JSON_ARRAY)
                        continue;
                for (size_t i = 0; i < a->n; i++) {
                        const JsonValue *o = a->items[i];

                        if (o->type != JSON_OBJECT)
                                continue;
                        printf("    ");
                        for (size_t j = 0; j < o->n; j++)
                                if (json_is_scalar(o->items[j]))
                                        printf("%s%s", j > 0 ? "  " : "", scalar_text(o->items[j]));
                        printf("\n");
                }
        }
}

/* A device's reason in the reader's language: the agent records a reason code, and the sentence is
 * rendered here, so staff read it in Japanese whatever locale the agent runs in. */
static void print_reason(const JsonValue *row) {
        const JsonValue *code = json_object_get(row, "reason"), *decision = json_object_get(row, "decision");
        PolicyDecision d = {};

        if (!code || code->type != JSON_STRING || !decision || decision->type != JSON_STRING)
                return;
        if (streq(code->text, "identity-unreadable")) {
                printf("    %s\n", usb_decision_reason_text(NULL));
                return;
        }
        d.reason = decision_reason_from_string(code->text);
        d.decision = decision_from_string(decision->text);
        if (d.reason < 0 || d.decision < 0)
                return;
        printf("    %s\n", usb_decision_reason_text(&d));
}

static void print_table(const char *title, const JsonValue *a) {
        const char *cols[TABLE_COLUMNS_MAX];
        size_t width[TABLE_COLUMNS_MAX], n;

        printf("\n%s (%zu):\n", title, a->n);
        n = table_columns(a, cols);
        if (n == 0)
                return;
        for (size_t c = 0; c < n; c++) {
                width[c] = strlen(cols[c]);
                for (size_t i = 0; i < a->n; i++) {
                        const JsonValue *v = json_object_get(a->items[i], cols[c]);

                        if (json_is_scalar(v))
                                width[c] = MAX(width[c], strlen(scalar_text(v)));
                }
        }
        printf("  ");
        for (size_t c = 0; c < n; c++)
                printf("%-*s ", (int) width[c], cols[c]);
        printf("\n");
        for (size_t i = 0; i < a->n; i++) {
                printf("  ");
                for (size_t c = 0; c < n; c++) {
                        const JsonValue *v = json_object_get(a->items[i], cols[c]);

                        printf("%-*s ", (int) width[c], json_is_scalar(v) ? scalar_text(v) : "-");
                }
                printf("\n");
                if (a->items[i]->type == JSON_OBJECT) {
                        print_reason(a->items[i]);
                        print_nested(a->items[i]);
                }
        }
}

static bool is_object_array(const JsonValue *v) {
        if (v->type != JSON_ARRAY)
                return false;
        for (size_t i = 0; i < v->n; i++)
                if (v->items[i]->type != JSON_OBJECT)
                        return false;
        return true;
}

static void print_state(const JsonValue *root) {
        const JsonValue *policy = json_object_get(root, "policy");

        print_scalars(root, "");
        if (policy && policy->type == JSON_OBJECT) {
                printf(_("\nPolicy:\n"));
                print_scalars(policy, "  ");
        }
        for (size_t i = 0; i < root->n; i++) {
                const JsonValue *v = root->items[i];

                if (streq(root->keys[i], "policy") && v->type == JSON_OBJECT)
                        continue;
                if (is_object_array(v))
                        print_table(root->keys[i], v);
                else if (v->type == JSON_OBJECT) {
                        printf("\n%s:\n", root->keys[i]);
                        print_scalars(v, "  ");
                } else if (v->type == JSON_ARRAY) {
                        printf("%s:", root->keys[i]);
                        for (size_t k = 0; k < v->n; k++)
                                if (json_is_scalar(v->items[k]))
                                        printf(" %s", scalar_text(v->items[k]));
                        printf("\n");
                }
        }
}

int verb_status(int argc, char *argv[]) {
        enum { ARG_JSON = 0x100, ARG_RUNTIME_DIR };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h'             },
                { "json",        no_argument,       NULL, ARG_JSON        },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                {}
        };
        _cleanup_(json_value_freep) JsonValue *root = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *dir = getenv("MAMORI_RUNTIME_DIR") ?: RUNTIME_DIR;
        bool json = false;
        size_t size;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf(_("Usage: mamorictl status [--json] [--runtime-dir DIR]\n\n"
                                 "Show the agent's policy and the USB devices it decided.\n\n"
                                 "     --json              Print the agent's state file as it is\n"
                                 "     --runtime-dir DIR   Where state.json is (default %s,\n"
                                 "                         or $MAMORI_RUNTIME_DIR)\n"), RUNTIME_DIR);
                        return 0;
                case ARG_JSON:
                        json = true;
                        break;
                case ARG_RUNTIME_DIR:
                        dir = optarg;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        return log_error_errno(EINVAL, "Unexpected option %c", c);
                }
        if (optind < argc)
                return log_usage_error(_("Too many arguments."));

        if (asprintf(&path, "%s/state.json", dir) < 0)
                return log_error_errno(ENOMEM, _("Out of memory."));
        r = read_full_file(path, STATE_FILE_MAX, &text, &size);
        if (r == -ENOENT) {
                fprintf(stderr, _("The mamori agent is not running (no state in '%s').\n"), path);
                return EXIT_NOT_RUNNING;
        }
        if (r < 0)
                return log_error_errno(r, _("Failed to read '%s': %m"), path);

        if (json) {
                fwrite(text, 1, size, stdout);
                if (size > 0 && text[size - 1] != '\n')
                        fputc('\n', stdout);
                return EXIT_SUCCESS;
        }

        r = json_parse(text, &root);
        if (r == -ENOMEM)
                return log_error_errno(r, _("Out of memory."));
        if (r < 0 || root->type != JSON_OBJECT)
                return log_error_errno(EBADMSG, _("'%s' is not a valid state file."), path);
        print_state(root);
        return EXIT_SUCCESS;
}
