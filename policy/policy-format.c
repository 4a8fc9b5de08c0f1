/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Canonical printer of a policy file: keys in the order of the language reference, two-space
 * indentation, hex lower-case and quoted, strings quoted only where YAML needs it, comments
 * dropped. Only a valid file is printed, so the output parses to the same decisions. */

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "policy-internal.h"

typedef enum FmtKind {
        FMT_STRING,             /* free text */
        FMT_HEX,                /* hex digits: quoted, lower-case */
        FMT_CLASS,              /* class name (plain) or hex pattern (quoted, lower-case) */
        FMT_WORD,               /* keyword or bool or date: printed as written (plain) */
        FMT_UUID,               /* lower-case string */
        FMT_MAP,                /* mapping with a schema */
        FMT_SEQ_MAP,            /* block list of mappings with a schema */
        FMT_GENERIC,            /* any tree (sections parsed elsewhere): source order */
} FmtKind;

typedef struct FmtKey FmtKey;
typedef struct FmtSchema {
        const FmtKey *keys;
        size_t n_keys;
} FmtSchema;

struct FmtKey {
        const char *key;
        FmtKind kind;
        const FmtSchema *schema;
};

#define SCHEMA(t) { t, ELEMENTSOF(t) }

static const FmtKey meta_keys[] = {
        { "name",         FMT_STRING },
        { "version",      FMT_STRING },
        { "audit-only",   FMT_WORD },
        { "hide-serials", FMT_WORD },
};
static const FmtSchema meta_schema = SCHEMA(meta_keys);

static const FmtKey match_if_keys[] = {
        { "only", FMT_CLASS },
        { "any",  FMT_CLASS },
        { "none", FMT_CLASS },
};
static const FmtSchema match_if_schema = SCHEMA(match_if_keys);

static const FmtKey match_keys[] = {
        { "vendor",           FMT_HEX },
        { "product",          FMT_HEX },
        { "serial",           FMT_STRING },
        { "device-class",     FMT_CLASS },
        { "interfaces",       FMT_MAP, &match_if_schema },
        { "port",             FMT_STRING },
        { "connect-type",     FMT_WORD },
        { "registered-media", FMT_WORD },
};
static const FmtSchema match_schema = SCHEMA(match_keys);

static const FmtKey iface_keys[] = {
        { "class",  FMT_CLASS },
        { "action", FMT_WORD },
};
static const FmtSchema iface_schema = SCHEMA(iface_keys);

static const FmtKey rule_keys[] = {
        { "id",           FMT_STRING },
        { "description",  FMT_STRING },
        { "requirements", FMT_STRING },
        { "clause",       FMT_STRING },
        { "match",        FMT_MAP, &match_schema },
        { "action",       FMT_WORD },
        { "interfaces",   FMT_SEQ_MAP, &iface_schema },
        { "audit-only",   FMT_WORD },
};
static const FmtSchema rule_schema = SCHEMA(rule_keys);

static const FmtKey medium_keys[] = {
        { "asset",          FMT_STRING },
        { "vendor",         FMT_HEX },
        { "product",        FMT_HEX },
        { "serial",         FMT_STRING },
        { "owner",          FMT_STRING },
        { "section",        FMT_STRING },
        { "classification", FMT_STRING },
        { "luks-uuids",     FMT_UUID },
        { "valid-until",    FMT_WORD },
        { "access",         FMT_WORD },
        { "hosts",          FMT_STRING },
};
static const FmtSchema medium_schema = SCHEMA(medium_keys);

static const FmtKey top_keys[] = {
        { "policy",  FMT_MAP,     &meta_schema },
        { "rules",   FMT_SEQ_MAP, &rule_schema },
        { "media",   FMT_SEQ_MAP, &medium_schema },
        { "network", FMT_GENERIC },
        { "posture", FMT_GENERIC },
};

static void pad(FILE *f, unsigned indent) {
        for (unsigned i = 0; i < indent; i++)
                fputc(' ', f);
}

static bool is_reserved_word(const char *s) {
        static const char *const words[] = {
                "true", "false", "yes", "no", "on", "off", "y", "n", "null",
        };

        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcasecmp(words[i], s) == 0)
                        return true;
        return false;
}

/* Whether the bytes at s start a character that must be escaped in YAML output; returns its
 * length in *ret_len. */
static bool needs_escape(const unsigned char *s, size_t *ret_len) {
        *ret_len = 1;
        if (s[0] < 0x20 || s[0] == 0x7f)
                return true;
        if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
                *ret_len = 2;
                return true;
        }
        if ((s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) ||
            (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) ||
            (s[0] == 0xef && s[1] == 0xbf && (s[2] == 0xbe || s[2] == 0xbf))) {
                *ret_len = 3;
                return true;
        }
        return false;
}

/* A string may be printed plain when it starts with a letter or a non-ASCII character, holds only
 * letters, digits, . _ / - and non-ASCII characters, and is not a word YAML reads as a bool or null. */
static bool plain_safe(const char *s) {
        const unsigned char *u = (const unsigned char *) s;

        if (!isalpha(u[0]) && u[0] < 0x80)
                return false;
        for (size_t i = 0; u[i];) {
                size_t len;

                if (needs_escape(u + i, &len))
                        return false;
                if (u[i] < 0x80 && !isalnum(u[i]) && !strchr("._/-", u[i]))
                        return false;
                i += len;
        }
        return !is_reserved_word(s);
}

static void print_quoted(FILE *f, const char *s) {
        const unsigned char *u = (const unsigned char *) s;

        fputc('"', f);
        for (size_t i = 0; u[i];) {
                size_t len;

                if (!needs_escape(u + i, &len)) {
                        if (u[i] == '"' || u[i] == '\\')
                                fputc('\\', f);
                        fputc(u[i], f);
                        i++;
                        continue;
                }
                if (len == 1) {
                        if (u[i] == '\n')
                                fputs("\\n", f);
                        else if (u[i] == '\t')
                                fputs("\\t", f);
                        else
                                fprintf(f, "\\x%02x", u[i]);
                } else if (len == 2)
                        fprintf(f, "\\x%02x", u[i + 1]);
                else if (u[i] == 0xe2)
                        fputs(u[i + 2] == 0xa8 ? "\\L" : "\\P", f);
                else if (u[i + 1] == 0xbb)
                        fputs("\\ufeff", f);
                else
                        fprintf(f, "\\u%s", u[i + 2] == 0xbe ? "fffe" : "ffff");
                i += len;
        }
        fputc('"', f);
}

static void print_string(FILE *f, const char *s) {
        if (plain_safe(s))
                fputs(s, f);
        else
                print_quoted(f, s);
}

static void print_lower(FILE *f, const char *s, bool quote) {
        if (quote)
                fputc('"', f);
        for (; *s; s++)
                fputc(tolower((unsigned char) *s), f);
        if (quote)
                fputc('"', f);
}

static void print_scalar(FILE *f, const PolicyNode *n, FmtKind kind) {
        uint32_t pattern;

        switch (kind) {
        case FMT_HEX:
                print_lower(f, n->value, true);
                return;
        case FMT_CLASS:
                /* a name stays a plain word; a hex pattern is quoted and lower-cased */
                if (isalpha((unsigned char) n->value[0]) && strlen(n->value) > 2 && !strchr(n->value, ':') &&
                    policy_class_pattern_parse(n->value, &pattern) == 0)
                        fputs(n->value, f);
                else
                        print_lower(f, n->value, true);
                return;
        case FMT_WORD:
                fputs(n->value, f);
                return;
        case FMT_UUID: {
                char buf[64];

                snprintf(buf, sizeof(buf), "%s", n->value);
                for (char *c = buf; *c; c++)
                        *c = (char) tolower((unsigned char) *c);
                print_string(f, buf);
                return;
        }
        case FMT_STRING:
        case FMT_MAP:
        case FMT_SEQ_MAP:
        case FMT_GENERIC:
                print_string(f, n->value);
                return;
        }
}

/* A scalar, or a list of scalars in flow style. */
static void print_value_list(FILE *f, const PolicyNode *n, FmtKind kind) {
        if (n->type == POLICY_NODE_SCALAR) {
                print_scalar(f, n, kind);
                return;
        }
        fputc('[', f);
        for (size_t i = 0; i < n->n_items; i++) {
                if (i > 0)
                        fputs(", ", f);
                print_scalar(f, n->items[i], kind);
        }
        fputc(']', f);
}

/* A scalar of a section printed without a schema: plain stays plain (as read), quoted becomes
 * double-quoted. */
static void print_generic_scalar(FILE *f, const PolicyNode *n, bool is_key) {
        if (n->plain && n->length > 0 && !strchr(n->value, '\n'))
                fputs(n->value, f);
        else if (n->plain && n->length == 0 && !is_key)
                fputc('~', f);
        else
                print_quoted(f, n->value);
}

static void print_generic_map(FILE *f, const PolicyNode *n, unsigned indent, bool inline_first);
static void print_generic_seq(FILE *f, const PolicyNode *n, unsigned indent, bool inline_first);

/* The part after "key:" or "-". */
static void print_generic_value(FILE *f, const PolicyNode *v, unsigned indent, bool in_seq) {
        if (v->type == POLICY_NODE_SCALAR) {
                fputc(' ', f);
                print_generic_scalar(f, v, false);
                fputc('\n', f);
        } else if (v->n_items == 0)
                fputs(v->type == POLICY_NODE_MAPPING ? " {}\n" : " []\n", f);
        else if (in_seq) {
                fputc(' ', f);
                if (v->type == POLICY_NODE_MAPPING)
                        print_generic_map(f, v, indent + 2, true);
                else
                        print_generic_seq(f, v, indent + 2, true);
        } else {
                fputc('\n', f);
                if (v->type == POLICY_NODE_MAPPING)
                        print_generic_map(f, v, indent + 2, false);
                else
                        print_generic_seq(f, v, indent + 2, false);
        }
}

static void print_generic_map(FILE *f, const PolicyNode *n, unsigned indent, bool inline_first) {
        for (size_t i = 0; i < n->n_items; i++) {
                if (i > 0 || !inline_first)
                        pad(f, indent);
                print_generic_scalar(f, n->items[2 * i], true);
                fputc(':', f);
                print_generic_value(f, n->items[2 * i + 1], indent, false);
        }
}

static void print_generic_seq(FILE *f, const PolicyNode *n, unsigned indent, bool inline_first) {
        for (size_t i = 0; i < n->n_items; i++) {
                if (i > 0 || !inline_first)
                        pad(f, indent);
                fputc('-', f);
                print_generic_value(f, n->items[i], indent, true);
        }
}

static void print_map(FILE *f, const PolicyNode *n, const FmtSchema *schema, unsigned indent, bool inline_first);

static void print_key_value(FILE *f, const FmtKey *k, const PolicyNode *v, unsigned indent) {
        switch (k->kind) {
        case FMT_MAP:
                if (v->type != POLICY_NODE_MAPPING || v->n_items == 0) {
                        fputs(" {}\n", f);
                        return;
                }
                fputc('\n', f);
                print_map(f, v, k->schema, indent + 2, false);
                return;
        case FMT_SEQ_MAP:
                if (v->type != POLICY_NODE_SEQUENCE || v->n_items == 0) {
                        fputs(" []\n", f);
                        return;
                }
                fputc('\n', f);
                for (size_t i = 0; i < v->n_items; i++) {
                        pad(f, indent + 2);
                        fputs("- ", f);
                        print_map(f, v->items[i], k->schema, indent + 4, true);
                }
                return;
        case FMT_GENERIC:
                print_generic_value(f, v, indent, false);
                return;
        case FMT_STRING:
        case FMT_HEX:
        case FMT_CLASS:
        case FMT_WORD:
        case FMT_UUID:
                fputc(' ', f);
                print_value_list(f, v, k->kind);
                fputc('\n', f);
                return;
        }
}

static void print_map(FILE *f, const PolicyNode *n, const FmtSchema *schema, unsigned indent, bool inline_first) {
        bool first = true;

        for (size_t j = 0; j < schema->n_keys; j++) {
                const PolicyNode *v = policy_node_map_get(n, schema->keys[j].key);

                if (!v)
                        continue;
                if (!first || !inline_first)
                        pad(f, indent);
                first = false;
                fprintf(f, "%s:", schema->keys[j].key);
                print_key_value(f, &schema->keys[j], v, indent);
        }
}

/* Canonical formatter (see policy.h). The file is fully validated (as a one-file policy) before
 * anything is written. */
int policy_format_buffer(const char *name, const char *data, size_t size, FILE *f, PolicyError *reterr) {
        _cleanup_(policy_tree_freep) PolicyTree *t = NULL;
        const PolicyNode *root;
        Policy *p = NULL;
        bool first = true;
        int r;

        assert_return(name, -EINVAL);
        assert_return(data || size == 0, -EINVAL);
        assert_return(f, -EINVAL);

        r = policy_tree_parse(name, data, size, &t, reterr);
        if (r < 0)
                return r;
        r = policy_new(&p);
        if (r < 0)
                return r;
        r = policy_add_tree(p, t, reterr);
        if (r >= 0) {
                r = policy_finish(p, reterr);
                if (r == -ENODATA)
                        r = 0;
        }
        policy_free(p);
        if (r < 0)
                return r;

        root = policy_tree_root(t);
        if (!root)
                return 0;
        for (size_t j = 0; j < ELEMENTSOF(top_keys); j++) {
                const PolicyNode *v = policy_node_map_get(root, top_keys[j].key);

                if (!v)
                        continue;
                if (!first)
                        fputc('\n', f);
                first = false;
                fprintf(f, "%s:", top_keys[j].key);
                print_key_value(f, &top_keys[j], v, 0);
        }
        return ferror(f) ? -EIO : 0;
}
