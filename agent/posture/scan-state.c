/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The last full scan's record (scan-state.h), through json-c. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-c-util.h"
#include "macro.h"
#include "scan-state.h"
#include "string-table.h"

static const char *const scan_status_table[_SCAN_STATUS_MAX] = {
        [SCAN_STATUS_RUNNING] = "running",
        [SCAN_STATUS_COMPLETED] = "completed",
        [SCAN_STATUS_FAILED] = "failed",
};
DEFINE_STRING_TABLE(scan_status, ScanStatus);

void scan_record_done(ScanRecord *r) {
        if (!r)
                return;
        for (char **p = r->roots; p && *p; p++)
                free(*p);
        free(r->roots);
        free(r->error);
        for (size_t i = 0; i < r->n_detections; i++) {
                free(r->detections[i].path);
                free(r->detections[i].signature);
        }
        free(r->detections);
        *r = (ScanRecord) {};
}

void scan_state_done(ScanState *s) {
        if (!s)
                return;
        scan_record_done(&s->last);
        scan_record_done(&s->previous);
        *s = (ScanState) {};
}

int scan_record_add_detection(ScanRecord *r, const char *path, const char *signature) {
        ScanDetection *d;

        r->infected++;
        if (r->n_detections >= SCAN_DETECTIONS_MAX)
                return 0;
        d = reallocarray(r->detections, r->n_detections + 1, sizeof *d);
        if (!d)
                return -ENOMEM;
        r->detections = d;
        d = &r->detections[r->n_detections];
        *d = (ScanDetection) { .path = strdup(path), .signature = strdup(signature) };
        if (!d->path || !d->signature) {
                free(d->path);
                free(d->signature);
                return -ENOMEM;
        }
        r->n_detections++;
        return 0;
}

/* ---- reading ---- */

static int get_int(json_object *o, const char *key, bool required, int64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return required ? -EBADMSG : 0;
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return -EBADMSG;
        *ret = json_object_get_int64(v);
        return 0;
}

static int get_string(json_object *o, const char *key, const char **ret) {
        json_object *v;

        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        *ret = json_object_get_string(v);
        return 0;
}

static int record_parse(json_object *o, ScanRecord *r) {
        const char *s;
        json_object *v;
        int64_t n = 0;
        int k;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        k = get_string(o, "status", &s);
        if (k < 0 || !s || (r->status = scan_status_from_string(s)) < 0)
                return -EBADMSG;
        k = get_int(o, "start", true, &r->start);
        k = k ?: get_int(o, "end", r->status != SCAN_STATUS_RUNNING, &r->end);
        k = k ?: get_int(o, "pid", false, &r->pid);
        k = k ?: get_int(o, "infected", false, &n);
        if (k < 0)
                return k;
        r->infected = (uint64_t) n;
        n = 0;
        k = get_int(o, "errors", false, &n);
        if (k < 0)
                return k;
        r->errors = (uint64_t) n;
        k = get_string(o, "boot_id", &s);
        if (k < 0)
                return k;
        if (s && strlen(s) < sizeof r->boot_id)
                strcpy(r->boot_id, s);
        k = get_string(o, "error", &s);
        if (k < 0)
                return k;
        if (s && !(r->error = strdup(s)))
                return -ENOMEM;
        if (json_object_object_get_ex(o, "roots", &v)) {
                size_t m;

                if (!json_object_is_type(v, json_type_array))
                        return -EBADMSG;
                m = json_object_array_length(v);
                r->roots = calloc(m + 1, sizeof(char *));
                if (!r->roots)
                        return -ENOMEM;
                for (size_t i = 0; i < m; i++) {
                        json_object *e = json_object_array_get_idx(v, i);

                        if (!json_object_is_type(e, json_type_string))
                                return -EBADMSG;
                        if (!(r->roots[i] = strdup(json_object_get_string(e))))
                                return -ENOMEM;
                }
        }
        if (json_object_object_get_ex(o, "detections", &v)) {
                uint64_t infected = r->infected;
                size_t m;

                if (!json_object_is_type(v, json_type_array))
                        return -EBADMSG;
                m = json_object_array_length(v);
                for (size_t i = 0; i < m; i++) {
                        json_object *e = json_object_array_get_idx(v, i);
                        const char *path, *sig;

                        if (!json_object_is_type(e, json_type_object) || get_string(e, "path", &path) < 0 ||
                            get_string(e, "signature", &sig) < 0 || !path || !sig)
                                return -EBADMSG;
                        k = scan_record_add_detection(r, path, sig);
                        if (k < 0)
                                return k;
                }
                r->infected = MAX(infected, (uint64_t) r->n_detections);
        }
        return 0;
}

int scan_state_parse(const char *data, size_t size, ScanState *ret) {
        _cleanup_(json_tokener_freep) json_tokener *t = NULL;
        _cleanup_(json_object_putp) json_object *o = NULL;
        ScanState s = {};
        json_object *prev;
        int k;

        assert_return(ret && (data || size == 0), -EINVAL);
        if (size > SCAN_STATE_MAX || size > INT32_MAX)
                return -EFBIG;
        t = json_tokener_new();
        if (!t)
                return -ENOMEM;
        o = json_tokener_parse_ex(t, data, (int) size);
        if (!o || json_tokener_get_error(t) != json_tokener_success ||
            json_tokener_get_parse_end(t) < size)
                return -EBADMSG;
        k = record_parse(o, &s.last);
        if (k >= 0 && json_object_object_get_ex(o, "previous", &prev) &&
            !json_object_is_type(prev, json_type_null)) {
                s.has_previous = true;
                k = record_parse(prev, &s.previous);
                if (k >= 0 && s.previous.status != SCAN_STATUS_COMPLETED)
                        k = -EBADMSG;
        }
        if (k < 0) {
                scan_state_done(&s);
                return k;
        }
        *ret = s;
        return 0;
}

/* ---- writing ---- */

static int add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* json-c's null is the NULL pointer */
static int add_string_or_null(json_object *o, const char *key, const char *s) {
        if (!s)
                return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
        return add(o, key, json_object_new_string(s));
}

static int record_format(const ScanRecord *r, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *a, *d;
        int k;

        if (!o)
                return -ENOMEM;
        k = add(o, "status", json_object_new_string(scan_status_to_string(r->status)));
        k = k ?: add(o, "start", json_object_new_int64(r->start));
        if (r->status == SCAN_STATUS_RUNNING)
                k = k ?: (json_object_object_add(o, "end", NULL) < 0 ? -ENOMEM : 0);
        else
                k = k ?: add(o, "end", json_object_new_int64(r->end));
        k = k ?: add(o, "pid", json_object_new_int64(r->pid));
        k = k ?: add(o, "boot_id", json_object_new_string(r->boot_id));
        k = k ?: add(o, "roots", a = json_object_new_array());
        for (char **p = r->roots; k >= 0 && p && *p; p++)
                if (json_object_array_add(a, json_object_new_string(*p)) < 0)
                        k = -ENOMEM;
        k = k ?: add(o, "infected", json_object_new_int64((int64_t) r->infected));
        k = k ?: add(o, "errors", json_object_new_int64((int64_t) r->errors));
        k = k ?: add_string_or_null(o, "error", r->error);
        k = k ?: add(o, "detections", a = json_object_new_array());
        for (size_t i = 0; k >= 0 && i < r->n_detections; i++) {
                d = json_object_new_object();
                k = d ? 0 : -ENOMEM;
                k = k ?: add(d, "path", json_object_new_string(r->detections[i].path));
                k = k ?: add(d, "signature", json_object_new_string(r->detections[i].signature));
                if (k >= 0 && json_object_array_add(a, d) < 0)
                        k = -ENOMEM;
                if (k < 0 && d)
                        json_object_put(d);
        }
        if (k < 0)
                return k;
        *ret = TAKE_PTR(o);
        return 0;
}

int scan_state_format(const ScanRecord *last, const ScanRecord *previous, char **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *p = NULL;
        const char *s;
        int k;

        assert_return(last && ret, -EINVAL);
        k = record_format(last, &o);
        if (k >= 0 && previous) {
                k = record_format(previous, &p);
                k = k ?: add(o, "previous", p);
        }
        if (k < 0)
                return k;
        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || !(*ret = malloc(strlen(s) + 2)))
                return -ENOMEM;
        strcpy(*ret, s);
        strcat(*ret, "\n");
        return 0;
}
