/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* libposture: the posture checks (DESIGN.md decision 9). Each check is a probe that reads the
 * real system into a plain struct and a pure verdict function over that struct, which fills a
 * PostureResult: a status, a summary people can read (translated) and evidence (a small tree of
 * keys and values, written as a JSON object in the compliance report). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "policy-posture.h"

typedef enum PostureStatus {
        POSTURE_STATUS_PASS,
        POSTURE_STATUS_FAIL,
        POSTURE_STATUS_UNKNOWN,         /* the probe could not measure it */
        POSTURE_STATUS_NOT_APPLICABLE,  /* nothing to check on this terminal */
        _POSTURE_STATUS_MAX,
        _POSTURE_STATUS_INVALID = -22,
} PostureStatus;

/* "pass", "fail", "unknown", "not-applicable"; NULL for an invalid value. */
const char *posture_status_to_string(PostureStatus s);
PostureStatus posture_status_from_string(const char *s);

typedef enum PostureValueType {
        POSTURE_VALUE_STRING,
        POSTURE_VALUE_INT,
        POSTURE_VALUE_BOOL,
        POSTURE_VALUE_NULL,
        POSTURE_VALUE_OBJECT,
} PostureValueType;

typedef struct PostureEvidence PostureEvidence;

/* One key of an evidence object. */
typedef struct PostureEvidenceItem {
        char *key;
        PostureValueType type;
        char *string;
        int64_t integer;
        bool boolean;
        PostureEvidence *object;
} PostureEvidenceItem;

/* An evidence object: keys in the order they were added. */
struct PostureEvidence {
        PostureEvidenceItem *items;
        size_t n_items;
};

/* Adds a key (a copy of key and value). value NULL is written as null. Returns 0 or -ENOMEM. */
int posture_evidence_add_string(PostureEvidence *e, const char *key, const char *value);
int posture_evidence_add_int(PostureEvidence *e, const char *key, int64_t value);
int posture_evidence_add_bool(PostureEvidence *e, const char *key, bool value);
int posture_evidence_add_null(PostureEvidence *e, const char *key);
/* Adds a nested object and returns it in *ret (owned by e). */
int posture_evidence_add_object(PostureEvidence *e, const char *key, PostureEvidence **ret);
/* Looks up a key; NULL when absent. */
const PostureEvidenceItem *posture_evidence_get(const PostureEvidence *e, const char *key);
/* Frees what e holds and resets it (e itself is not freed). Accepts NULL. */
void posture_evidence_done(PostureEvidence *e);

/* What one check found. */
typedef struct PostureResult {
        PostureCheckId id;
        PostureStatus status;
        char summary[512];              /* one sentence, in the reader's language */
        PostureEvidence evidence;
} PostureResult;

/* Sets status and the summary (printf-style over an already translated format). */
void posture_result_set(PostureResult *r, PostureStatus status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void posture_result_done(PostureResult *r);

/* Everything a compliance report says (docs/schemas/posture-report-1.json). */
typedef struct PostureReport {
        const char *hostname;
        time_t generated;
        const char *policy_version;
        const PosturePolicy *policy;    /* action, requirements and clause of each check; NULL: none */
        const PostureResult *results;
        size_t n_results;
} PostureReport;

#define POSTURE_REPORT_SCHEMA "mamori-posture-report/1"

/* Whether every check passed or does not apply (a failed or unknown check is not compliant). */
bool posture_report_compliant(const PostureReport *r);
/* Writes the report as one JSON object (pretty: indented). Returns 0 and a malloc'ed string. */
int posture_report_to_json(const PostureReport *r, bool pretty, char **ret);
