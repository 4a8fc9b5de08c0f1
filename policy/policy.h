/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* libpolicy: the mamori policy language (policy/SYNTAX.md) — parse, validate, evaluate, format.
 *
 * The library is pure: it never logs, keeps no global state, and does no I/O except in
 * policy_load_dir(), which only reads the files of a directory into memory. Every function
 * returns a negative errno on failure; parse and validation errors also fill a PolicyError. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

typedef enum Decision {
        DECISION_ALLOW,
        DECISION_BLOCK,
        DECISION_REJECT,
        _DECISION_MAX,
        _DECISION_INVALID = -22, /* -EINVAL */
} Decision;

/* "allow", "block", "reject"; NULL for an invalid value. */
const char *decision_to_string(Decision d);
/* The inverse; _DECISION_INVALID for an unknown string. */
Decision decision_from_string(const char *s);

typedef enum ConnectType {
        CONNECT_TYPE_HOTPLUG,
        CONNECT_TYPE_HARDWIRED,
        CONNECT_TYPE_NOT_USED,
        CONNECT_TYPE_UNKNOWN,
        _CONNECT_TYPE_MAX,
        _CONNECT_TYPE_INVALID = -22,
} ConnectType;

/* "hotplug", "hardwired", "not-used", "unknown". */
const char *connect_type_to_string(ConnectType t);
ConnectType connect_type_from_string(const char *s);

typedef enum MediaAccess {
        MEDIA_ACCESS_READ_WRITE,
        MEDIA_ACCESS_READ_ONLY,
        _MEDIA_ACCESS_MAX,
        _MEDIA_ACCESS_INVALID = -22,
} MediaAccess;

/* "read-write", "read-only". */
const char *media_access_to_string(MediaAccess a);
MediaAccess media_access_from_string(const char *s);

/* Why a decision was made, so the agent can word the record for people (Japanese/English). */
typedef enum DecisionReason {
        REASON_RULE_MATCHED,          /* a rule matched and its action applies */
        REASON_NO_RULE_MATCHED,       /* implicit block */
        REASON_AUDIT_ONLY,            /* block/reject turned into allow by audit-only */
        REASON_NO_POLICY,             /* no valid policy is loaded: everything blocked */
        _DECISION_REASON_MAX,
        _DECISION_REASON_INVALID = -22,
} DecisionReason;

/* "rule-matched", "no-rule-matched", "audit-only", "no-policy". */
const char *decision_reason_to_string(DecisionReason r);
DecisionReason decision_reason_from_string(const char *s);

/* A parse or validation error. file is the path as given to the loader; line and column are
 * 1-based (0 when unknown, e.g. for an I/O error on the directory). */
typedef struct PolicyError {
        char file[512];
        unsigned line;
        unsigned column;
        char message[512];
} PolicyError;

/* Prints "file:line:col: message" (or "file: message" when line is 0) to f. */
void policy_error_print(const PolicyError *e, FILE *f);

/* One interface of a device, as read from the raw descriptors or sysfs. */
typedef struct PolicyInterface {
        char name[64];          /* kernel name, "1-2:1.0" */
        uint8_t number;         /* bInterfaceNumber */
        uint8_t cls;            /* bInterfaceClass */
        uint8_t subclass;
        uint8_t protocol;
} PolicyInterface;

/* Identity of a USB device, filled by the agent (or mamorictl) from sysfs. Strings may be NULL. */
typedef struct PolicyDevice {
        const char *name;               /* kernel name, "1-2" or "1-2.3" */
        uint16_t vendor;
        uint16_t product;
        const char *serial;
        const char *manufacturer;
        const char *product_name;
        uint8_t device_class;
        uint8_t device_subclass;
        uint8_t device_protocol;
        ConnectType connect_type;
        const PolicyInterface *interfaces;
        size_t n_interfaces;
} PolicyDevice;

/* What the evaluation needs to know about the world; the evaluator reads nothing else. */
typedef struct PolicyContext {
        const char *hostname;   /* for media `hosts` scoping; NULL = unknown (scoped media do not match) */
        time_t now;             /* for media `valid-until` */
} PolicyContext;

typedef struct Policy Policy;
typedef struct PolicyRule PolicyRule;
typedef struct PolicyMedium PolicyMedium;

typedef struct PolicyInterfaceDecision {
        Decision decision;              /* allow or block */
        const char *rule_id;            /* the rule that decided (the device's rule), NULL if none */
} PolicyInterfaceDecision;

/* The result of policy_evaluate(). Strings point into the Policy and live as long as it does. */
typedef struct PolicyDecision {
        Decision decision;              /* effective decision */
        Decision rule_decision;         /* what the rule said (differs from decision under audit-only) */
        DecisionReason reason;
        bool audit_only;                /* audit-only turned a block/reject into allow */
        const char *rule_id;            /* NULL when no rule matched */
        const PolicyRule *rule;
        const PolicyMedium *medium;     /* the registered medium this device is, or NULL */
        size_t n_interfaces;            /* == device->n_interfaces */
        PolicyInterfaceDecision *interfaces;    /* owned, one per device interface, same order */
} PolicyDecision;

/* Frees what a PolicyDecision owns and resets it. Accepts NULL. */
void policy_decision_done(PolicyDecision *d);

/* Loads every *.yaml file and *.jsonl media ledger of dir in lexical order and builds a validated
 * Policy. The directory, every directory above it and every file must pass StrictModes
 * (common/trust.h, trusted user: geteuid()), and every policy file must be a regular file (no
 * symbolic link). Returns 0 and sets *ret, or a negative errno with *reterr filled (nothing else
 * set). -ENOENT: dir does not exist; -EPERM: refused by StrictModes (reterr names the file or
 * directory refused); -EBADMSG: parse/validation error, or a policy file that is not a regular
 * file; -ENODATA: no rule at all. */
int policy_load_dir(const char *dir, Policy **ret, PolicyError *reterr);

/* Whether a directory entry is a policy file by its name: *.yaml or a *.jsonl media ledger, not
 * hidden. Its type is checked when it is opened. */
bool policy_is_file_name(const char *name);

/* The digest part of the version ("…@DIGEST", 12 hex digits and a NUL) that policy_load_dir()
 * would give the files of dir, computed from their bytes without parsing them (the same file
 * checks apply). Returns 0 or a negative errno. */
int policy_dir_digest(const char *dir, char ret[static 13]);

/* Parses one file's content (name is used in errors and the digest) and adds it to a policy under
 * construction. Used by policy_load_dir(), the fuzzer and tests. */
int policy_new(Policy **ret);
int policy_add_buffer(Policy *p, const char *name, const char *data, size_t size, PolicyError *reterr);
/* The same for a media ledger in JSON Lines (`*.jsonl` in the directory; SYNTAX.md). */
int policy_add_ledger_buffer(Policy *p, const char *name, const char *data, size_t size, PolicyError *reterr);
/* Cross-file validation (duplicate ids and assets, single `policy` block) and index building.
 * After this the policy is read-only and can be evaluated. */
int policy_finish(Policy *p, PolicyError *reterr);

Policy *policy_free(Policy *p);

/* Accessors. */
const char *policy_get_name(const Policy *p);          /* "" when unset */
const char *policy_get_version(const Policy *p);       /* "VERSION@DIGEST" */
bool policy_get_audit_only(const Policy *p);
bool policy_get_hide_serials(const Policy *p);
/* Whether a rule matches on the port's connect type: only then must a device's be read first. */
bool policy_needs_connect_type(const Policy *p);
size_t policy_get_n_rules(const Policy *p);
size_t policy_get_n_media(const Policy *p);
const PolicyRule *policy_get_rule(const Policy *p, size_t i);
const char *policy_rule_get_id(const PolicyRule *r);
const char *policy_rule_get_description(const PolicyRule *r);   /* may be NULL */
const char *policy_rule_get_clause(const PolicyRule *r);        /* may be NULL */
/* NULL-terminated list of requirement IDs (never NULL itself). */
const char *const *policy_rule_get_requirements(const PolicyRule *r);

const char *policy_medium_get_asset(const PolicyMedium *m);
const char *policy_medium_get_owner(const PolicyMedium *m);             /* may be NULL */
const char *policy_medium_get_section(const PolicyMedium *m);           /* may be NULL */
const char *policy_medium_get_classification(const PolicyMedium *m);    /* may be NULL */
MediaAccess policy_medium_get_access(const PolicyMedium *m);
/* NULL-terminated list of bound LUKS UUIDs, lower-case (never NULL; empty = not bound). */
const char *const *policy_medium_get_luks_uuids(const PolicyMedium *m);

/* Looks up a registered medium by identity, honouring expiry and host scoping.
 * Returns NULL when there is none. O(1) average. */
const PolicyMedium *policy_find_medium(const Policy *p, uint16_t vendor, uint16_t product,
                                       const char *serial, const PolicyContext *ctx);

/* When a registration runs out: the earliest moment after now at which a medium that is valid at
 * now stops being registered (policy_find_medium() returns NULL from that second on: the start
 * of the day after its `valid-until`, local time). 0 when no medium expires after now. The agent
 * sets a CLOCK_REALTIME timer on it to decide present devices again (DESIGN.md decision 5); rules
 * have no expiry. */
time_t policy_next_expiry(const Policy *p, time_t now);

/* Decides a device. Pure: reads only its arguments. With p == NULL (no valid policy) everything
 * is blocked with REASON_NO_POLICY. Returns 0 and fills *ret (free with policy_decision_done()),
 * or -ENOMEM. */
int policy_evaluate(const Policy *p, const PolicyDevice *dev, const PolicyContext *ctx, PolicyDecision *ret);

/* Canonical formatter: parses one file's content and writes its canonical form to f.
 * Returns 0, or a negative errno with *reterr filled. */
int policy_format_buffer(const char *name, const char *data, size_t size, FILE *f, PolicyError *reterr);

/* Parses an interface class pattern or name ("hid", "08", "ff:42:*"). Returns 0 or -EINVAL. */
int policy_class_pattern_parse(const char *s, uint32_t *ret);
/* Whether an interface (class/subclass/protocol) matches a parsed pattern. */
bool policy_class_pattern_match(uint32_t pattern, uint8_t cls, uint8_t subclass, uint8_t protocol);

/* The `network:` section (policy/policy-net.h: NET-01..05, NET-12, INC-03), or NULL when the
 * policy has none. Lives as long as the Policy. */
typedef struct NetPolicy NetPolicy;
const NetPolicy *policy_get_network(const Policy *p);
