/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libyaml event stream → tree of PolicyNode, with the checks
 * that apply to every file. */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "policy-internal.h"

typedef struct ArenaBlock ArenaBlock;
struct ArenaBlock {
        ArenaBlock *next;
        size_t used, size;
        max_align_t data[];
};

struct PolicyTree {
        ArenaBlock *blocks;     /* newest first */
        ArenaBlock *spare;      /* released full-size blocks, reused before allocating */
        PolicyNode *root;
};

typedef struct ArenaMark {
        ArenaBlock *block;
        size_t used;
} ArenaMark;

#define ARENA_BLOCK_SIZE (256U * 1024U)

static void *arena_alloc(PolicyTree *t, size_t size) {
        ArenaBlock *b = t->blocks;
        void *p;

        size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
        if (!b || b->size - b->used < size) {
                size_t bs = MAX(size, (size_t) ARENA_BLOCK_SIZE);

                if (bs == ARENA_BLOCK_SIZE && t->spare) {
                        b = t->spare;
                        t->spare = b->next;
                } else {
                        b = malloc(sizeof(ArenaBlock) + bs);
                        if (!b)
                                return NULL;
                }
                b->size = bs;
                b->used = 0;
                b->next = t->blocks;
                t->blocks = b;
        }
        p = (char *) b->data + b->used;
        b->used += size;
        return p;
}

static ArenaMark arena_mark(const PolicyTree *t) {
        return (ArenaMark) { t->blocks, t->blocks ? t->blocks->used : 0 };
}

/* Releases everything allocated since the mark; the blocks are kept for reuse. */
static void arena_reset(PolicyTree *t, ArenaMark m) {
        while (t->blocks && t->blocks != m.block) {
                ArenaBlock *b = t->blocks;

                t->blocks = b->next;
                if (b->size == ARENA_BLOCK_SIZE) {
                        b->next = t->spare;
                        t->spare = b;
                } else
                        free(b);
        }
        if (t->blocks)
                t->blocks->used = m.used;
}

/* Frees a tree and all its nodes; accepts NULL. */
PolicyTree *policy_tree_free(PolicyTree *t) {
        if (!t)
                return NULL;
        while (t->blocks) {
                ArenaBlock *b = t->blocks;

                t->blocks = b->next;
                free(b);
        }
        while (t->spare) {
                ArenaBlock *b = t->spare;

                t->spare = b->next;
                free(b);
        }
        free(t);
        return NULL;
}

/* The root node, NULL for an empty document. */
const PolicyNode *policy_tree_root(const PolicyTree *t) {
        return t ? t->root : NULL;
}

static int error_setv(PolicyError *reterr, int r, const char *file, unsigned line, unsigned column,
                      const char *fmt, va_list ap) {
        if (!reterr)
                return r;
        *reterr = (PolicyError) {
                .line = line,
                .column = column,
        };
        snprintf(reterr->file, sizeof(reterr->file), "%s", file ?: "");
        vsnprintf(reterr->message, sizeof(reterr->message), fmt, ap);
        return r;
}

/* Fills reterr (may be NULL) and returns r. */
int policy_error_set(PolicyError *reterr, int r, const char *file, unsigned line, unsigned column,
                     const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        r = error_setv(reterr, r, file, line, column, fmt, ap);
        va_end(ap);
        return r;
}

/* Fills reterr at the node's position and returns -EBADMSG. */
int policy_node_error(PolicyError *reterr, const PolicyNode *n, const char *fmt, ...) {
        va_list ap;
        int r;

        assert(n);
        va_start(ap, fmt);
        r = error_setv(reterr, -EBADMSG, n->file, n->line, n->column, fmt, ap);
        va_end(ap);
        return r;
}

/* Length of the UTF-8 sequence starting at s (at most left bytes), or 0 if it is invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t left) {
        uint32_t cp;
        size_t len;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (left < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

/* Offset of the first byte that is not valid UTF-8, or size. ASCII (nearly all of a policy
 * file) is skipped 16 bytes at a time. */
size_t policy_utf8_check(const char *data, size_t size) {
        const unsigned char *s = (const unsigned char *) data;
        size_t i = 0;

        while (i < size) {
                if (s[i] < 0x80) {
                        while (size - i >= 16) {
                                uint64_t a, b;

                                memcpy(&a, s + i, 8);
                                memcpy(&b, s + i + 8, 8);
                                if ((a | b) & UINT64_C(0x8080808080808080))
                                        break;
                                i += 16;
                        }
                        while (i < size && s[i] < 0x80)
                                i++;
                        continue;
                }

                size_t l = utf8_seq_len(s + i, size - i);

                if (l == 0)
                        return i;
                i += l;
        }
        return size;
}

/* 1-based line and column (in characters) of byte offset off. */
static void buffer_position(const char *data, size_t off, unsigned *ret_line, unsigned *ret_column) {
        unsigned line = 1, column = 1;

        for (size_t i = 0; i < off; i++) {
                if (data[i] == '\n') {
                        line++;
                        column = 1;
                } else if (((unsigned char) data[i] & 0xc0) != 0x80)
                        column++;
        }
        *ret_line = line;
        *ret_column = column;
}

/* Offset of the first control character YAML does not allow in a file (C0 but tab, line feed
 * and carriage return; DEL; C1 but NEL), or size. The data is valid UTF-8 here, so a C1 control
 * is the two bytes C2 80..9F. (Escapes such as "\x01" in quoted strings are text, not controls.) */
static size_t control_check(const char *data, size_t size) {
        const unsigned char *s = (const unsigned char *) data;

        for (size_t i = 0; i < size; i++) {
                unsigned char c = s[i];

                if (c >= 0x20 && c != 0x7f && c != 0xc2)
                        continue;
                if (c == '\t' || c == '\n' || c == '\r')
                        continue;
                if (c == 0xc2 && (i + 1 >= size || s[i + 1] < 0x80 || s[i + 1] > 0x9f || s[i + 1] == 0x85))
                        continue;
                return i;
        }
        return size;
}

/* The code point of the (valid UTF-8) character at s. */
static uint32_t utf8_code_point(const char *s) {
        const unsigned char *u = (const unsigned char *) s;

        if (u[0] < 0x80)
                return u[0];
        if (u[0] < 0xe0)
                return (uint32_t) (u[0] & 0x1f) << 6 | (u[1] & 0x3f);
        if (u[0] < 0xf0)
                return (uint32_t) (u[0] & 0x0f) << 12 | (uint32_t) (u[1] & 0x3f) << 6 | (u[2] & 0x3f);
        return (uint32_t) (u[0] & 0x07) << 18 | (uint32_t) (u[1] & 0x3f) << 12 | (uint32_t) (u[2] & 0x3f) << 6 |
                (u[3] & 0x3f);
}

int policy_text_check(const char *file, const char *data, size_t size, PolicyError *reterr) {
        unsigned line, column;
        size_t bad;

        if (size > POLICY_MAX_FILE_SIZE)
                return policy_error_set(reterr, -EBADMSG, file, 1, 1, "file is larger than 64 MiB");

        bad = policy_utf8_check(data, size);
        if (bad < size) {
                buffer_position(data, bad, &line, &column);
                return policy_error_set(reterr, -EBADMSG, file, line, column, "invalid UTF-8");
        }

        bad = control_check(data, size);
        if (bad < size) {
                buffer_position(data, bad, &line, &column);
                return policy_error_set(reterr, -EBADMSG, file, line, column,
                                        "control character U+%04X is not allowed", utf8_code_point(data + bad));
        }
        return 0;
}

static int buffer_check(const char *file, const char *data, size_t size, PolicyError *reterr) {
        unsigned line, column;
        int r;

        r = policy_text_check(file, data, size, reterr);
        if (r < 0)
                return r;

        /* A tab in the leading white space of a line (only spaces and CRs before it on its line).
         * Tabs are rare, so look only at each tab and the start of its line. */
        for (const char *tab = memchr(data, '\t', size); tab;
             tab = memchr(tab + 1, '\t', size - (size_t) (tab + 1 - data))) {
                const char *c = tab;

                while (c > data && (c[-1] == ' ' || c[-1] == '\r'))
                        c--;
                if (c > data && c[-1] != '\n')
                        continue;
                buffer_position(data, (size_t) (tab - data), &line, &column);
                return policy_error_set(reterr, -EBADMSG, file, line, column, "tab character in indentation");
        }
        return 0;
}

typedef struct Frame {
        PolicyNode *node;
        PolicyNode **items;
        size_t n, allocated;
} Frame;

struct PolicyTreeBuilder {
        PolicyTree *tree;
        const char *file;
        Frame stack[POLICY_MAX_DEPTH];
        size_t depth;
        unsigned n_documents;
        PolicyTreeItemHandler handler;
        void *userdata;
        ArenaMark item_mark;    /* where the current item of a top-level list starts */
};
typedef PolicyTreeBuilder Builder;

static PolicyNode *node_new(Builder *b, PolicyNodeType type, unsigned line, unsigned column) {
        PolicyNode *n = arena_alloc(b->tree, sizeof(PolicyNode));

        if (!n)
                return NULL;
        *n = (PolicyNode) {
                .type = type,
                .file = b->file,
                .line = line,
                .column = column,
                .value = "",
        };
        return n;
}

static int frame_push_item(Frame *f, PolicyNode *n) {
        if (f->n >= f->allocated) {
                size_t na = MAX(f->allocated * 2, (size_t) 8);
                PolicyNode **ni = realloc(f->items, na * sizeof(PolicyNode *));

                if (!ni)
                        return -ENOMEM;
                f->items = ni;
                f->allocated = na;
        }
        f->items[f->n++] = n;
        return 0;
}

/* Whether the node being completed is an item of a list that is the value of a top-level key. */
static bool builder_at_top_level_item(const Builder *b) {
        return b->depth == 2 && b->stack[0].node->type == POLICY_NODE_MAPPING && b->stack[0].n % 2 == 1 &&
                b->stack[1].node->type == POLICY_NODE_SEQUENCE;
}

/* Attaches a finished node to its parent (or makes it the root). */
static int builder_attach(Builder *b, PolicyNode *n, PolicyError *reterr) {
        int r;

        if (b->depth == 0) {
                b->tree->root = n;
                return 0;
        }
        Frame *f = &b->stack[b->depth - 1];
        if (f->node->type == POLICY_NODE_MAPPING && f->n % 2 == 0 && n->type != POLICY_NODE_SCALAR)
                return policy_node_error(reterr, n, "mapping keys must be scalars");
        if (b->handler && builder_at_top_level_item(b)) {
                r = b->handler(b->stack[0].items[b->stack[0].n - 1], n, b->userdata, reterr);
                if (r < 0)
                        return r;
                if (r > 0) {
                        /* consumed: forget the item and give its memory back */
                        arena_reset(b->tree, b->item_mark);
                        return 0;
                }
        }
        return frame_push_item(f, n);
}

typedef struct KeyRef {
        const PolicyNode *key;
        size_t index;
} KeyRef;

static int keyref_compare(const void *a, const void *b) {
        const KeyRef *x = a, *y = b;
        int c = strcmp(x->key->value, y->key->value);

        if (c != 0)
                return c;
        return x->index < y->index ? -1 : x->index > y->index;
}

/* Reports the duplicate key that comes first in the document, naming the first occurrence. */
static int mapping_check_duplicates(const PolicyNode *m, PolicyError *reterr) {
        _cleanup_free_ KeyRef *refs = NULL;
        const KeyRef *first = NULL, *dup = NULL;

        if (m->n_items < 2)
                return 0;
        if (m->n_items <= 16) {
                /* small mappings (nearly all of them): compare pairwise, no allocation */
                for (size_t i = 1; i < m->n_items; i++)
                        for (size_t j = 0; j < i; j++)
                                if (m->items[2 * i]->length == m->items[2 * j]->length &&
                                    memcmp(m->items[2 * i]->value, m->items[2 * j]->value, m->items[2 * i]->length) == 0)
                                        return policy_node_error(reterr, m->items[2 * i],
                                                                 "duplicate key '%s' (first at %s:%u:%u)",
                                                                 m->items[2 * i]->value, m->items[2 * j]->file,
                                                                 m->items[2 * j]->line, m->items[2 * j]->column);
                return 0;
        }
        refs = malloc(m->n_items * sizeof(KeyRef));
        if (!refs)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_items; i++)
                refs[i] = (KeyRef) { .key = m->items[2 * i], .index = i };
        qsort(refs, m->n_items, sizeof(KeyRef), keyref_compare);
        for (size_t i = 1; i < m->n_items; i++) {
                if (!streq(refs[i].key->value, refs[i - 1].key->value))
                        continue;
                if (i >= 2 && streq(refs[i - 2].key->value, refs[i].key->value))
                        continue; /* a third one: the second already counts */
                if (!dup || refs[i].index < dup->index) {
                        dup = &refs[i];
                        first = &refs[i - 1];
                }
        }
        if (!dup)
                return 0;
        return policy_node_error(reterr, dup->key, "duplicate key '%s' (first at %s:%u:%u)",
                                 dup->key->value, first->key->file, first->key->line, first->key->column);
}

int policy_builder_close(Builder *b, PolicyError *reterr) {
        Frame *f;
        PolicyNode *n;
        int r;

        assert(b->depth > 0);
        f = &b->stack[--b->depth];
        n = f->node;
        if (f->n > 0) {
                n->items = arena_alloc(b->tree, f->n * sizeof(PolicyNode *));
                if (!n->items)
                        return -ENOMEM;
                memcpy(n->items, f->items, f->n * sizeof(PolicyNode *));
        }
        n->n_items = n->type == POLICY_NODE_MAPPING ? f->n / 2 : f->n;
        f->node = NULL;
        f->n = 0;       /* the item buffer stays for the next collection at this depth */
        if (n->type == POLICY_NODE_MAPPING) {
                r = mapping_check_duplicates(n, reterr);
                if (r < 0)
                        return r;
        }
        return builder_attach(b, n, reterr);
}

/* A node of a top-level list's item starts: remember where its memory starts. */
static void builder_node_start(Builder *b) {
        if (b->depth == 2)
                b->item_mark = arena_mark(b->tree);
}

int policy_builder_open(Builder *b, PolicyNodeType type, unsigned line, unsigned column, PolicyError *reterr) {
        PolicyNode *n;

        builder_node_start(b);
        if (b->depth >= POLICY_MAX_DEPTH)
                return policy_error_set(reterr, -EBADMSG, b->file, line, column, "nesting deeper than %d levels",
                                        POLICY_MAX_DEPTH);
        n = node_new(b, type, line, column);
        if (!n)
                return -ENOMEM;
        if (b->depth > 0) {
                Frame *p = &b->stack[b->depth - 1];
                if (p->node->type == POLICY_NODE_MAPPING && p->n % 2 == 0)
                        return policy_node_error(reterr, n, "mapping keys must be scalars");
        }
        b->stack[b->depth].node = n;
        b->stack[b->depth].n = 0;
        b->depth++;
        return 0;
}

int policy_builder_scalar(Builder *b, unsigned line, unsigned column, const char *value, size_t length, bool plain,
                          PolicyError *reterr) {
        PolicyNode *n;
        char *v;

        builder_node_start(b);
        n = node_new(b, POLICY_NODE_SCALAR, line, column);
        if (!n)
                return -ENOMEM;
        if (memchr(value, 0, length))
                return policy_node_error(reterr, n, "NUL character in string");
        v = arena_alloc(b->tree, length + 1);
        if (!v)
                return -ENOMEM;
        memcpy(v, value, length);
        v[length] = 0;
        n->value = v;
        n->length = length;
        n->plain = plain;
        return builder_attach(b, n, reterr);
}

static const char *event_anchor(const yaml_event_t *e) {
        switch (e->type) {
        case YAML_SCALAR_EVENT:
                return (const char *) e->data.scalar.anchor;
        case YAML_SEQUENCE_START_EVENT:
                return (const char *) e->data.sequence_start.anchor;
        case YAML_MAPPING_START_EVENT:
                return (const char *) e->data.mapping_start.anchor;
        default:
                return NULL;
        }
}

static bool event_has_tag(const yaml_event_t *e) {
        switch (e->type) {
        case YAML_SCALAR_EVENT:
                return e->data.scalar.tag != NULL;
        case YAML_SEQUENCE_START_EVENT:
                return e->data.sequence_start.tag != NULL;
        case YAML_MAPPING_START_EVENT:
                return e->data.mapping_start.tag != NULL;
        default:
                return false;
        }
}

static int builder_event(Builder *b, const yaml_event_t *e, PolicyError *reterr) {
        unsigned line = (unsigned) e->start_mark.line + 1, column = (unsigned) e->start_mark.column + 1;

        if (e->type == YAML_ALIAS_EVENT)
                return policy_error_set(reterr, -EBADMSG, b->file, line, column, "aliases are not allowed");
        if (event_anchor(e))
                return policy_error_set(reterr, -EBADMSG, b->file, line, column, "anchors are not allowed");
        if (event_has_tag(e))
                return policy_error_set(reterr, -EBADMSG, b->file, line, column, "tags are not allowed");
        switch (e->type) {
        case YAML_DOCUMENT_START_EVENT:
                if (++b->n_documents > 1)
                        return policy_error_set(reterr, -EBADMSG, b->file, line, column,
                                                "more than one YAML document in a file");
                return 0;
        case YAML_SCALAR_EVENT:
                return policy_builder_scalar(b, line, column, (const char *) e->data.scalar.value,
                                             e->data.scalar.length,
                                             e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, reterr);
        case YAML_SEQUENCE_START_EVENT:
                return policy_builder_open(b, POLICY_NODE_SEQUENCE, line, column, reterr);
        case YAML_MAPPING_START_EVENT:
                return policy_builder_open(b, POLICY_NODE_MAPPING, line, column, reterr);
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                return policy_builder_close(b, reterr);
        default:
                return 0;
        }
}

static void yaml_parser_deletep(yaml_parser_t **p) {
        if (*p)
                yaml_parser_delete(*p);
}

bool policy_node_equal(const PolicyNode *a, const PolicyNode *b) {
        size_t n;

        if (!a || !b)
                return a == b;
        if (a->type != b->type || a->line != b->line || a->column != b->column || a->n_items != b->n_items ||
            a->length != b->length || memcmp(a->value, b->value, a->length + 1) != 0 ||
            (a->type == POLICY_NODE_SCALAR && a->plain != b->plain))
                return false;
        n = a->type == POLICY_NODE_MAPPING ? 2 * a->n_items : a->n_items;
        for (size_t i = 0; i < n; i++)
                if (!policy_node_equal(a->items[i], b->items[i]))
                        return false;
        return true;
}

/* Feeds the builder libyaml's events for data. */
static int read_libyaml(Builder *b, const char *data, size_t size, PolicyError *reterr) {
        _cleanup_(yaml_parser_deletep) yaml_parser_t *pp = NULL;
        yaml_parser_t parser;
        int r = 0;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        pp = &parser;
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);

        for (bool done = false; !done;) {
                yaml_event_t e;

                if (!yaml_parser_parse(&parser, &e)) {
                        if (parser.error == YAML_MEMORY_ERROR)
                                return -ENOMEM;
                        if (parser.error == YAML_READER_ERROR) {
                                /* the reader reports a byte offset, not a mark */
                                unsigned line, column;

                                buffer_position(data, MIN(parser.problem_offset, size), &line, &column);
                                if (parser.problem_value >= 0)
                                        return policy_error_set(reterr, -EBADMSG, b->file, line, column,
                                                                "YAML syntax error: %s (U+%04X)",
                                                                parser.problem ?: "unknown problem",
                                                                (unsigned) parser.problem_value);
                                return policy_error_set(reterr, -EBADMSG, b->file, line, column,
                                                        "YAML syntax error: %s", parser.problem ?: "unknown problem");
                        }
                        return policy_error_set(reterr, -EBADMSG, b->file,
                                                (unsigned) parser.problem_mark.line + 1,
                                                (unsigned) parser.problem_mark.column + 1,
                                                "YAML syntax error: %s", parser.problem ?: "unknown problem");
                }
                done = e.type == YAML_STREAM_END_EVENT;
                r = builder_event(b, &e, reterr);
                yaml_event_delete(&e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Checks the raw bytes, then builds the node tree with reader. */
static int tree_parse(int (*reader)(Builder *b, const char *data, size_t size, PolicyError *reterr),
                      const char *file, const char *data, size_t size, PolicyTreeItemHandler handler,
                      void *userdata, PolicyTree **ret, PolicyError *reterr) {
        _cleanup_(policy_tree_freep) PolicyTree *t = NULL;
        Builder b = { .file = file, .handler = handler, .userdata = userdata };
        int r;

        assert(file);
        assert(data || size == 0);
        assert(ret);

        r = buffer_check(file, data, size, reterr);
        if (r < 0)
                return r;
        t = calloc(1, sizeof(PolicyTree));
        if (!t)
                return -ENOMEM;
        b.tree = t;
        r = reader(&b, data ?: "", size, reterr);
        for (size_t i = 0; i < ELEMENTSOF(b.stack); i++)
                free(b.stack[i].items);
        if (r < 0)
                return r;

        if (t->root && policy_node_is_null(t->root))
                t->root = NULL;
        *ret = TAKE_PTR(t);
        return 0;
}

/* libyaml's events (see policy-internal.h). */
int policy_tree_parse_stream(const char *file, const char *data, size_t size, PolicyTreeItemHandler handler,
                             void *userdata, PolicyTree **ret, PolicyError *reterr) {
        return tree_parse(read_libyaml, file, data, size, handler, userdata, ret, reterr);
}

/* The whole tree (no item handler). */
int policy_tree_parse(const char *file, const char *data, size_t size, PolicyTree **ret,
                      PolicyError *reterr) {
        return policy_tree_parse_stream(file, data, size, NULL, NULL, ret, reterr);
}

/* A builder fed by another reader than libyaml (the JSON Lines ledger): one tree at a time. */
int policy_builder_new(const char *file, PolicyTreeBuilder **ret) {
        Builder *b;

        assert(file);
        assert(ret);
        b = calloc(1, sizeof(Builder));
        if (!b)
                return -ENOMEM;
        b->tree = calloc(1, sizeof(PolicyTree));
        if (!b->tree) {
                free(b);
                return -ENOMEM;
        }
        b->file = file;
        *ret = b;
        return 0;
}

const PolicyNode *policy_builder_root(const PolicyTreeBuilder *b) {
        return b->depth == 0 ? b->tree->root : NULL;
}

void policy_builder_reset(PolicyTreeBuilder *b) {
        arena_reset(b->tree, (ArenaMark) {});
        b->tree->root = NULL;
        for (size_t i = 0; i < b->depth; i++)
                b->stack[i] = (Frame) { .items = b->stack[i].items, .allocated = b->stack[i].allocated };
        b->depth = 0;
}

PolicyTreeBuilder *policy_builder_free(PolicyTreeBuilder *b) {
        if (!b)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(b->stack); i++)
                free(b->stack[i].items);
        policy_tree_free(b->tree);
        free(b);
        return NULL;
}

/* Typed getters and mapping functions: see policy-internal.h. */
bool policy_node_is_null(const PolicyNode *n) {
        if (!n)
                return true;
        if (n->type != POLICY_NODE_SCALAR || !n->plain)
                return false;
        return streq(n->value, "") || streq(n->value, "~") || streq(n->value, "null") ||
                streq(n->value, "Null") || streq(n->value, "NULL");
}

int policy_node_get_string(const PolicyNode *n, const char *key, const char **ret, PolicyError *reterr) {
        assert(n);
        if (n->type != POLICY_NODE_SCALAR || policy_node_is_null(n))
                return policy_node_error(reterr, n, "'%s' must be a string", key);
        *ret = n->value;
        return 0;
}

int policy_node_dup_string(const PolicyNode *n, const char *key, char **ret, PolicyError *reterr) {
        const char *s;
        char *d;
        int r;

        r = policy_node_get_string(n, key, &s, reterr);
        if (r < 0)
                return r;
        d = strdup(s);
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

int policy_node_get_bool(const PolicyNode *n, const char *key, bool *ret, PolicyError *reterr) {
        assert(n);
        if (n->type == POLICY_NODE_SCALAR && n->plain) {
                if (streq(n->value, "true")) {
                        *ret = true;
                        return 0;
                }
                if (streq(n->value, "false")) {
                        *ret = false;
                        return 0;
                }
        }
        return policy_node_error(reterr, n, "'%s' must be true or false", key);
}

/* Whether a plain scalar would be read as a number by YAML tools: digits, optionally with an
 * exponent (1e10), or a 0x/0o prefix. */
static bool plain_looks_numeric(const char *s) {
        size_t i = 0;

        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X' || s[1] == 'o'))
                return true;
        if (s[0] == '+' || s[0] == '-')
                i++;
        if (!isdigit((unsigned char) s[i]))
                return false;
        while (isdigit((unsigned char) s[i]))
                i++;
        if (s[i] == 'e' || s[i] == 'E') {
                i++;
                if (s[i] == '+' || s[i] == '-')
                        i++;
                if (!isdigit((unsigned char) s[i]))
                        return false;
                while (isdigit((unsigned char) s[i]))
                        i++;
        }
        return s[i] == 0;
}

int policy_node_get_hex(const PolicyNode *n, const char *key, unsigned digits, unsigned *ret,
                        PolicyError *reterr) {
        unsigned v = 0;

        assert(n);
        assert(digits <= 4);
        if (n->type != POLICY_NODE_SCALAR || policy_node_is_null(n))
                return policy_node_error(reterr, n, "'%s' must be a string of %u hex digits", key, digits);
        if (n->plain && plain_looks_numeric(n->value))
                return policy_node_error(reterr, n, "quote hex values: \"%s\"", n->value);
        if (n->length != digits)
                goto bad;
        for (size_t i = 0; i < digits; i++) {
                int c = (unsigned char) n->value[i];

                if (!isxdigit(c))
                        goto bad;
                v = v * 16 + (unsigned) (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
        }
        *ret = v;
        return 0;
bad:
        return policy_node_error(reterr, n, "invalid hex value '%s' for '%s': expected %u hex digits",
                                 n->value, key, digits);
}

static bool is_leap(int y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int policy_node_get_date(const PolicyNode *n, const char *key, int *ret_year, int *ret_month, int *ret_day,
                         PolicyError *reterr) {
        static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        const char *s;
        int y, m, d;

        assert(n);
        if (n->type != POLICY_NODE_SCALAR || policy_node_is_null(n))
                return policy_node_error(reterr, n, "'%s' must be a date (YYYY-MM-DD)", key);
        s = n->value;
        if (n->length != 10 || s[4] != '-' || s[7] != '-')
                goto bad;
        for (size_t i = 0; i < 10; i++)
                if (i != 4 && i != 7 && !isdigit((unsigned char) s[i]))
                        goto bad;
        y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        m = (s[5] - '0') * 10 + (s[6] - '0');
        d = (s[8] - '0') * 10 + (s[9] - '0');
        if (y < 1970 || m < 1 || m > 12 || d < 1)
                goto bad;
        if (d > mdays[m - 1] + (m == 2 && is_leap(y)))
                goto bad;
        *ret_year = y;
        *ret_month = m;
        *ret_day = d;
        return 0;
bad:
        return policy_node_error(reterr, n, "invalid date '%s' for '%s': expected a real date YYYY-MM-DD",
                                 s, key);
}

int policy_node_check_mapping(const PolicyNode *n, const char *key, PolicyError *reterr) {
        assert(n);
        if (n->type != POLICY_NODE_MAPPING)
                return policy_node_error(reterr, n, "'%s' must be a mapping", key);
        return 0;
}

int policy_node_check_sequence(const PolicyNode *n, const char *key, bool allow_empty, PolicyError *reterr) {
        assert(n);
        if (n->type != POLICY_NODE_SEQUENCE)
                return policy_node_error(reterr, n, "'%s' must be a list", key);
        if (!allow_empty && n->n_items == 0)
                return policy_node_error(reterr, n, "'%s' must not be an empty list", key);
        return 0;
}

const PolicyNode *policy_node_map_get(const PolicyNode *n, const char *key) {
        if (!n || n->type != POLICY_NODE_MAPPING)
                return NULL;
        for (size_t i = 0; i < n->n_items; i++)
                if (streq(n->items[2 * i]->value, key))
                        return n->items[2 * i + 1];
        return NULL;
}

/* Index of key k in table, or n_table. */
static size_t key_table_find(const PolicyKeyTable *table, size_t n_table, const PolicyNode *k) {
        for (size_t j = 0; j < n_table; j++)
                if (table[j].key[0] == k->value[0] && streq(table[j].key, k->value))
                        return j;
        return n_table;
}

int policy_node_map_dispatch(const PolicyNode *n, const char *what, const PolicyKeyTable *table,
                             size_t n_table, void *userdata, PolicyError *reterr) {
        _cleanup_free_ uint8_t *heap_index = NULL;
        uint8_t stack_index[32], *key_index = stack_index;
        uint64_t seen = 0;
        int r;

        assert(n_table <= 64);  /* a bit of `seen` per entry */

        r = policy_node_check_mapping(n, what, reterr);
        if (r < 0)
                return r;

        /* one lookup per key: the table index of each key, in document order */
        if (n->n_items > ELEMENTSOF(stack_index)) {
                key_index = heap_index = malloc(n->n_items);
                if (!key_index)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n->n_items; i++) {
                const PolicyNode *k = n->items[2 * i];
                size_t j = key_table_find(table, n_table, k);

                if (j == n_table)
                        return policy_node_error(reterr, k, "unknown key '%s'", k->value);
                key_index[i] = (uint8_t) j;
                seen |= UINT64_C(1) << j;
        }
        for (size_t j = 0; j < n_table; j++)
                if (table[j].required && !(seen & (UINT64_C(1) << j)))
                        return policy_node_error(reterr, n, "missing required key '%s'", table[j].key);

        for (size_t i = 0; i < n->n_items; i++) {
                r = table[key_index[i]].handler(n->items[2 * i], n->items[2 * i + 1], userdata, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}
