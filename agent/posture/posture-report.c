/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Results, evidence and the compliance report (docs/schemas/posture-report-1.json). Pure: the
 * report is written from its arguments only, with the project's JSON writer. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "macro.h"
#include "posture.h"
#include "string-table.h"
#include "time-util.h"

static const char *const posture_status_table[_POSTURE_STATUS_MAX] = {
        [POSTURE_STATUS_PASS] = "pass",
        [POSTURE_STATUS_FAIL] = "fail",
        [POSTURE_STATUS_UNKNOWN] = "unknown",
        [POSTURE_STATUS_NOT_APPLICABLE] = "not-applicable",
};
DEFINE_STRING_TABLE(posture_status, PostureStatus);

static PostureEvidenceItem *evidence_push(PostureEvidence *e, const char *key, PostureValueType type) {
        PostureEvidenceItem *items, *it;

        items = realloc(e->items, (e->n_items + 1) * sizeof *items);
        if (!items)
                return NULL;
        e->items = items;
        it = &items[e->n_items];
        *it = (PostureEvidenceItem) { .type = type, .key = strdup(key) };
        if (!it->key)
                return NULL;
        e->n_items++;
        return it;
}

int posture_evidence_add_string(PostureEvidence *e, const char *key, const char *value) {
        PostureEvidenceItem *it;

        assert_return(e && key, -EINVAL);
        it = evidence_push(e, key, value ? POSTURE_VALUE_STRING : POSTURE_VALUE_NULL);
        if (!it)
                return -ENOMEM;
        if (value && !(it->string = strdup(value)))
                return -ENOMEM;
        return 0;
}

int posture_evidence_add_int(PostureEvidence *e, const char *key, int64_t value) {
        PostureEvidenceItem *it;

        assert_return(e && key, -EINVAL);
        it = evidence_push(e, key, POSTURE_VALUE_INT);
        if (!it)
                return -ENOMEM;
        it->integer = value;
        return 0;
}

int posture_evidence_add_bool(PostureEvidence *e, const char *key, bool value) {
        PostureEvidenceItem *it;

        assert_return(e && key, -EINVAL);
        it = evidence_push(e, key, POSTURE_VALUE_BOOL);
        if (!it)
                return -ENOMEM;
        it->boolean = value;
        return 0;
}

int posture_evidence_add_null(PostureEvidence *e, const char *key) {
        assert_return(e && key, -EINVAL);
        return evidence_push(e, key, POSTURE_VALUE_NULL) ? 0 : -ENOMEM;
}

int posture_evidence_add_object(PostureEvidence *e, const char *key, PostureEvidence **ret) {
        PostureEvidenceItem *it;

        assert_return(e && key && ret, -EINVAL);
        it = evidence_push(e, key, POSTURE_VALUE_OBJECT);
        if (!it)
                return -ENOMEM;
        it->object = calloc(1, sizeof(PostureEvidence));
        if (!it->object)
                return -ENOMEM;
        *ret = it->object;
        return 0;
}

const PostureEvidenceItem *posture_evidence_get(const PostureEvidence *e, const char *key) {
        if (!e || !key)
                return NULL;
        for (size_t i = 0; i < e->n_items; i++)
                if (streq(e->items[i].key, key))
                        return &e->items[i];
        return NULL;
}

void posture_evidence_done(PostureEvidence *e) {
        if (!e)
                return;
        for (size_t i = 0; i < e->n_items; i++) {
                free(e->items[i].key);
                free(e->items[i].string);
                posture_evidence_done(e->items[i].object);
                free(e->items[i].object);
        }
        free(e->items);
        *e = (PostureEvidence) {};
}

void posture_result_set(PostureResult *r, PostureStatus status, const char *fmt, ...) {
        va_list ap;

        r->status = status;
        va_start(ap, fmt);
        vsnprintf(r->summary, sizeof r->summary, fmt, ap);
        va_end(ap);
}

void posture_result_done(PostureResult *r) {
        if (!r)
                return;
        posture_evidence_done(&r->evidence);
}

bool posture_report_compliant(const PostureReport *r) {
        if (!r)
                return false;
        for (size_t i = 0; i < r->n_results; i++)
                if (r->results[i].status != POSTURE_STATUS_PASS &&
                    r->results[i].status != POSTURE_STATUS_NOT_APPLICABLE)
                        return false;
        return true;
}

static void write_evidence(JsonWriter *w, const char *key, const PostureEvidence *e) {
        json_begin_object(w, key);
        for (size_t i = 0; e && i < e->n_items; i++) {
                const PostureEvidenceItem *it = &e->items[i];

                switch (it->type) {
                case POSTURE_VALUE_STRING:
                        json_string(w, it->key, it->string);
                        break;
                case POSTURE_VALUE_INT:
                        json_int(w, it->key, it->integer);
                        break;
                case POSTURE_VALUE_BOOL:
                        json_bool(w, it->key, it->boolean);
                        break;
                case POSTURE_VALUE_NULL:
                        json_null(w, it->key);
                        break;
                case POSTURE_VALUE_OBJECT:
                        write_evidence(w, it->key, it->object);
                        break;
                }
        }
        json_end_object(w);
}

static void write_check(JsonWriter *w, const PostureReport *r, const PostureResult *res) {
        const PostureCheckPolicy *cp = r->policy ? &r->policy->checks[res->id] : NULL;

        json_begin_object(w, NULL);
        json_string(w, "id", posture_check_id_to_string(res->id));
        json_string(w, "status", posture_status_to_string(res->status));
        json_string(w, "action", posture_action_to_string(cp ? cp->action : POSTURE_ACTION_REPORT));
        json_begin_array(w, "requirements");
        for (char **req = cp ? cp->requirements : NULL; req && *req; req++)
                json_string(w, NULL, *req);
        json_end_array(w);
        json_string(w, "clause", cp ? cp->clause : NULL);
        json_string(w, "summary", res->summary);
        write_evidence(w, "evidence", &res->evidence);
        json_null(w, "failing_since");  /* the agent keeps it across rounds; a one-shot run cannot */
        json_end_object(w);
}

int posture_report_to_json(const PostureReport *r, bool pretty, char **ret) {
        _cleanup_(json_writer_done) JsonWriter w = {};
        char t[32];
        int k;

        assert_return(r && ret, -EINVAL);
        assert_return(r->n_results == 0 || r->results, -EINVAL);

        k = json_writer_init(&w, pretty);
        if (k < 0)
                return k;
        json_begin_object(&w, NULL);
        json_string(&w, "schema", POSTURE_REPORT_SCHEMA);
        json_string(&w, "hostname", r->hostname);
        json_string(&w, "generated", format_iso_time(r->generated, t, sizeof t));
        json_string(&w, "policy_version", r->policy_version);
        json_bool(&w, "compliant", posture_report_compliant(r));
        json_begin_array(&w, "checks");
        for (size_t i = 0; i < r->n_results; i++)
                write_check(&w, r, &r->results[i]);
        json_end_array(&w);
        json_end_object(&w);
        return json_writer_finish(&w, ret);
}
