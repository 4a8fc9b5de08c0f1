/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* libpolicy internals shared by the files of policy/ (not installed, not used outside policy/).
 *
 * The contract for a section parser (such as the `network` section in policy-net.c):
 *
 *   1. policy_add_buffer() checks the raw bytes (size, UTF-8, tabs in indentation), runs libyaml
 *      and builds a tree of PolicyNode (policy_tree_parse()). Anchors, aliases, tags, nesting
 *      deeper than POLICY_MAX_DEPTH and duplicate keys in one mapping are refused while the tree
 *      is built, so a section parser never sees them.
 *   2. The top-level mapping is dispatched through a key table; the value of `network:` is
 *      handed to policy_net_parse(p, node, reterr), once per file that holds the key.
 *   3. The tree (every PolicyNode and every string in it) is freed when policy_add_buffer()
 *      returns: a section parser must copy what it keeps (strdup) and may keep node positions
 *      (file pointer + line + column) only through the file pointer, which lives as long as
 *      the Policy (see PolicyNode.file).
 *   4. Errors are reported with policy_node_error(reterr, node, fmt, ...), which fills the
 *      PolicyError with the node's file:line:column and returns -EBADMSG. Return that value.
 *   5. Parsed data is kept in Policy.net (an opaque pointer owned by the section parser) and
 *      freed by Policy.net_free when the Policy is freed (set both on first use).
*/

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "policy.h"

#define POLICY_MAX_DEPTH 32                     /* collections nested deeper are refused */
#define POLICY_MAX_FILE_SIZE (64U * 1024U * 1024U)

typedef enum PolicyNodeType {
        POLICY_NODE_SCALAR,
        POLICY_NODE_SEQUENCE,
        POLICY_NODE_MAPPING,
} PolicyNodeType;

/* One node of a parsed file. Positions are 1-based. */
typedef struct PolicyNode PolicyNode;
struct PolicyNode {
        PolicyNodeType type;
        const char *file;       /* file name as given to the loader; lives as long as the Policy */
        unsigned line;
        unsigned column;
        /* POLICY_NODE_SCALAR: */
        const char *value;      /* NUL-terminated, never NULL; embedded NULs are refused */
        size_t length;
        bool plain;             /* written as a plain (unquoted) scalar */
        /* POLICY_NODE_SEQUENCE: items[0..n_items-1].
         * POLICY_NODE_MAPPING: items[2*i] is the i-th key (always a scalar), items[2*i+1] its
         * value, in document order; n_items counts the pairs. */
        PolicyNode **items;
        size_t n_items;
};

/* A parsed file: the root (NULL for an empty file or a document holding only a null) and the
 * memory of every node. */
typedef struct PolicyTree PolicyTree;

/* Parses one file's bytes into a tree with libyaml (see step 1 above). file must outlive the tree.
 * Returns 0 and sets *ret, or -EBADMSG (reterr filled) or -ENOMEM. */
int policy_tree_parse(const char *file, const char *data, size_t size, PolicyTree **ret,
                      PolicyError *reterr);
/* Called by policy_tree_parse_stream() for each completed item of a list that is the value of a
 * top-level key (`rules:`, `media:`, ...), with that key. Returns > 0 when it consumed the item: the
 * item is then left out of the tree and its memory reused, so a ledger of 100 000 media never sits
 * in memory as a tree. Returns 0 to keep the item, or a negative errno to stop parsing. */
typedef int (*PolicyTreeItemHandler)(const PolicyNode *key, const PolicyNode *item, void *userdata,
                                     PolicyError *reterr);
/* The tree from libyaml's events, with an item handler (may be NULL). */
int policy_tree_parse_stream(const char *file, const char *data, size_t size, PolicyTreeItemHandler handler,
                             void *userdata, PolicyTree **ret, PolicyError *reterr);
/* The tree builder fed by libyaml's events (policy-parse.c). Positions are
 * 1-based; scalars are copied. */
typedef struct PolicyTreeBuilder PolicyTreeBuilder;
int policy_builder_open(PolicyTreeBuilder *b, PolicyNodeType type, unsigned line, unsigned column,
                        PolicyError *reterr);
int policy_builder_scalar(PolicyTreeBuilder *b, unsigned line, unsigned column, const char *value, size_t length,
                          bool plain, PolicyError *reterr);
int policy_builder_close(PolicyTreeBuilder *b, PolicyError *reterr);
/* A builder for another reader (the JSON Lines ledger): policy_builder_root() is the tree built
 * since the last policy_builder_reset(), which frees its nodes (keeping the memory for the next
 * one). file must outlive the builder. */
int policy_builder_new(const char *file, PolicyTreeBuilder **ret);
const PolicyNode *policy_builder_root(const PolicyTreeBuilder *b);
void policy_builder_reset(PolicyTreeBuilder *b);
PolicyTreeBuilder *policy_builder_free(PolicyTreeBuilder *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolicyTreeBuilder *, policy_builder_free);
/* The checks of a file's raw bytes that do not depend on its syntax: size, UTF-8, control
 * characters. Returns 0 or -EBADMSG with reterr at the offending character. */
int policy_text_check(const char *file, const char *data, size_t size, PolicyError *reterr);
/* The root node, or NULL for an empty document. */
const PolicyNode *policy_tree_root(const PolicyTree *t);
/* Frees a tree; accepts NULL, returns NULL. */
PolicyTree *policy_tree_free(PolicyTree *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(PolicyTree *, policy_tree_free);

/* Fills reterr (may be NULL) with file:line:column: message. Returns r (a negative errno). */
int policy_error_set(PolicyError *reterr, int r, const char *file, unsigned line, unsigned column,
                     const char *fmt, ...) _printf_(6, 7);
/* Same at a node's position, returning -EBADMSG. */
int policy_node_error(PolicyError *reterr, const PolicyNode *n, const char *fmt, ...) _printf_(3, 4);

/* Whether a scalar is a YAML null: a plain "", "~", "null", "Null" or "NULL". */
bool policy_node_is_null(const PolicyNode *n);
/* Whether two trees are the same: types, values, quoting, lines and columns of every node. */
bool policy_node_equal(const PolicyNode *a, const PolicyNode *b);

/* Typed getters. `key` is the name used in error messages ("'key' must be ..."). On success they
 * return 0; on a type or format error they return -EBADMSG with reterr filled at n. */

/* Any non-null scalar, plain or quoted; *ret points into the tree (copy it to keep it). */
int policy_node_get_string(const PolicyNode *n, const char *key, const char **ret, PolicyError *reterr);
/* Same, returning a malloc'ed copy (or -ENOMEM). */
int policy_node_dup_string(const PolicyNode *n, const char *key, char **ret, PolicyError *reterr);
/* Plain true or false. */
int policy_node_get_bool(const PolicyNode *n, const char *key, bool *ret, PolicyError *reterr);
/* Exactly `digits` hex digits (2 or 4), case-insensitive. A plain scalar that YAML would read as
 * a number (only decimal digits, or digits with an exponent) is refused with
 * "quote hex values: \"TEXT\"". */
int policy_node_get_hex(const PolicyNode *n, const char *key, unsigned digits, unsigned *ret,
                        PolicyError *reterr);
/* A real calendar date YYYY-MM-DD (plain or quoted). */
int policy_node_get_date(const PolicyNode *n, const char *key, int *ret_year, int *ret_month, int *ret_day,
                         PolicyError *reterr);
/* Requires a mapping / a sequence ("'key' must be a mapping"). allow_empty == false refuses an
 * empty sequence ("'key' must not be an empty list"). */
int policy_node_check_mapping(const PolicyNode *n, const char *key, PolicyError *reterr);
int policy_node_check_sequence(const PolicyNode *n, const char *key, bool allow_empty, PolicyError *reterr);

/* A key table for policy_node_map_dispatch(): one entry per allowed key. */
typedef int (*PolicyKeyHandler)(const PolicyNode *key, const PolicyNode *value, void *userdata,
                                PolicyError *reterr);
typedef struct PolicyKeyTable {
        const char *key;
        PolicyKeyHandler handler;
        bool required;
} PolicyKeyTable;

/* Checks that n is a mapping, refuses keys not in table ("unknown key 'k'", at the key) and
 * reports the first missing required key ("missing required key 'k'", at the mapping), then
 * calls each handler in document order (stopping at the first error, which it returns).
 * `what` names the mapping in the type error ("'what' must be a mapping"). */
int policy_node_map_dispatch(const PolicyNode *n, const char *what, const PolicyKeyTable *table,
                             size_t n_table, void *userdata, PolicyError *reterr);

/* Looks up a key in a mapping; NULL when absent. */
const PolicyNode *policy_node_map_get(const PolicyNode *n, const char *key);

/* Interface class pattern encoding (policy_class_pattern_parse()): byte 0 class, byte 1 subclass,
 * byte 2 protocol, byte 3 wildcard bits. */
#define POLICY_CLASS_ANY_CLASS    (UINT32_C(1) << 24)
#define POLICY_CLASS_ANY_SUBCLASS (UINT32_C(1) << 25)
#define POLICY_CLASS_ANY_PROTOCOL (UINT32_C(1) << 26)

/* Checks a string against the UTF-8 rules libpolicy applies to files (no overlong forms, no
 * surrogates, nothing beyond U+10FFFF). Returns the offset of the first bad byte, or size. */
size_t policy_utf8_check(const char *data, size_t size);

/* A bump allocator for data that lives exactly as long as its owner (the registered media of a
 * Policy): no per-object malloc header, no free of single objects, one free() per block. */
typedef struct PolicyArena PolicyArena;
/* Returns size bytes aligned for any type (zeroed), or NULL on ENOMEM. *a may be NULL (empty). */
void *policy_arena_alloc(PolicyArena **a, size_t size);
/* A NUL-terminated copy of the n bytes at s, or NULL on ENOMEM. */
char *policy_arena_strndup(PolicyArena **a, const char *s, size_t n);
/* Frees every block; accepts NULL, returns NULL. */
PolicyArena *policy_arena_free(PolicyArena *a);

/* Finds the first duplicate of a list of n strings, in list order: the smallest index j whose
 * string equals that of an earlier index i (the first occurrence). name(userdata, k) returns the
 * k-th string. Returns 1 and sets *ret_first and *ret_dup, 0 when all strings differ, or
 * -ENOMEM. Expected O(n) (hash set), whatever the order of the strings. */
int policy_find_duplicate(size_t n, const char *(*name)(const void *userdata, size_t k), const void *userdata,
                          size_t *ret_first, size_t *ret_dup);
/* FNV-1a of a NUL-terminated string, folded (the hash of policy_find_duplicate()). */
uint64_t policy_string_hash(const char *s);

/* --- The data model (filled by policy-validate.c and policy-load.c, read by policy-eval.c) --- */

typedef struct PolicyInterfaceRule {
        uint32_t pattern;
        Decision action;                /* allow or block */
} PolicyInterfaceRule;

struct PolicyRule {
        char *id;
        char *description;
        char *clause;
        char **requirements;            /* NULL-terminated, never NULL after parsing */
        const char *file;               /* position of the rule (its mapping) */
        unsigned line, column;
        unsigned id_line, id_column;

        /* match: an empty array means "no condition" */
        uint16_t *vendors;
        size_t n_vendors;
        uint16_t *products;
        size_t n_products;
        char **serials;
        size_t n_serials;
        uint32_t *device_classes;
        size_t n_device_classes;
        uint32_t *if_only, *if_any, *if_none;
        size_t n_if_only, n_if_any, n_if_none;
        char **ports;
        size_t n_ports;
        unsigned connect_types;         /* bit mask of 1 << ConnectType; 0 = no condition */
        int registered_media;           /* -1 no condition, 0 false, 1 true */

        Decision action;
        PolicyInterfaceRule *interfaces;
        size_t n_interfaces;
        bool audit_only;
};

/* Every PolicyMedium and all its strings and string arrays live in Policy.media_arena: they are
 * never freed one by one. */
struct PolicyMedium {
        char *asset;
        uint16_t vendor, product;
        char *serial;
        char *owner, *section, *classification;
        char **luks_uuids;              /* NULL-terminated, lower-case; NULL when absent */
        bool has_valid_until;
        int until_year, until_month, until_day;
        MediaAccess access;
        char **hosts;                   /* NULL-terminated, or NULL: any host */
        const char *file;
        unsigned line, column;
        unsigned asset_line, asset_column;
};

/* One slot of the media index (linear probing): the identity hash and vendor/product beside the
 * pointer, so a lookup of an unknown device reads only the slots, not the media. */
typedef struct PolicyMediaSlot {
        uint32_t hash;                  /* high half of policy_medium_hash() */
        uint16_t vendor, product;
        PolicyMedium *medium;           /* NULL: empty slot */
} PolicyMediaSlot;

struct Policy {
        char **files;                   /* file names as given, in reading order (error positions) */
        size_t n_files;
        struct Sha256 *sha;             /* over name NUL content NUL of every file (hash.h) */

        bool has_meta;
        const char *meta_file;
        unsigned meta_line, meta_column;
        char *name;
        char *version_label;
        bool audit_only;
        bool hide_serials;
        bool needs_connect_type;        /* a rule matches on connect-type; set by policy_finish() */

        PolicyRule **rules;
        size_t n_rules;
        PolicyMedium **media;
        size_t n_media;
        PolicyArena *media_arena;       /* memory of every PolicyMedium and its strings */

        PolicyMediaSlot *media_index;   /* open addressing, built by policy_finish() */
        size_t n_media_index;           /* power of two, at least twice n_media */

        char *version;                  /* VERSION@DIGEST, set by policy_finish() */
        bool finished;

        void *net;                      /* owned by the network section parser */
        void (*net_free)(void *net);
        void *posture;                  /* owned by the posture section parser */
        void (*posture_free)(void *posture);
};

/* The network section parser (net/policy-net.c). */
int policy_net_parse(Policy *p, const PolicyNode *node, PolicyError *reterr);
/* Once every file is read: the global audit-only switch makes every network item report only. */
void policy_net_finish(Policy *p);
/* The posture section parser (posture/policy-posture.c). */
int policy_posture_parse(Policy *p, const PolicyNode *node, PolicyError *reterr);
/* Once every file is read: the global audit-only switch makes every posture check report only. */
void policy_posture_finish(Policy *p);

/* Adds one parsed file's tree to p (validation of everything inside one file; policy-validate.c). */
int policy_add_tree(Policy *p, const PolicyTree *t, PolicyError *reterr);
/* Validates one medium mapping (a `media:` item or a ledger line) and adds it to p. */
int policy_medium_parse(Policy *p, const PolicyNode *n, PolicyError *reterr);
/* Parses a JSON Lines media ledger (policy-ledger.c; the format is in SYNTAX.md) into p. */
int policy_ledger_parse(Policy *p, const char *file, const char *data, size_t size, PolicyError *reterr);
/* The PolicyTreeItemHandler of policy_add_buffer(): builds rules and media while the file is
 * parsed, item by item. */
int policy_add_stream_item(const PolicyNode *key, const PolicyNode *item, void *userdata, PolicyError *reterr);

/* Frees a NULL-terminated array of strings (accepts NULL). */
void policy_strv_free(char **l);
/* Appends ptr to a growing array of pointers (*n counts them; capacity doubles). Returns 0 or -ENOMEM. */
int policy_ptr_array_push(void ***array, size_t *n, void *ptr);

/* Identity hash of a medium, used by policy_finish() and policy_find_medium(). */
uint64_t policy_medium_hash(uint16_t vendor, uint16_t product, const char *serial);
