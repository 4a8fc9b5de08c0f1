/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One line of the event log read back with json-c (format in eventlog.h). */

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog-record.h"
#include "macro.h"

#define HASH_SUFFIX ",\"hash\":\""
/* A record is one flat object; anything nested is refused early. */
#define RECORD_MAX_DEPTH 2

static bool is_hex64(const char *s) {
        if (strlen(s) != EVENTLOG_HASH_LEN)
                return false;
        for (size_t i = 0; i < EVENTLOG_HASH_LEN; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

static struct json_object *line_tokenize(const char *line, size_t len) {
        struct json_tokener *tok;
        struct json_object *obj;

        tok = json_tokener_new_ex(RECORD_MAX_DEPTH);
        if (!tok)
                return NULL;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        obj = json_tokener_parse_ex(tok, line, (int) len);
        if (obj && json_tokener_get_parse_end(tok) != len) {
                json_object_put(obj);
                obj = NULL;
        }
        json_tokener_free(tok);
        return obj;
}

/* Takes the typed members out of r->obj, checking their order: seq, time, prev, kind, the fields
 * (strings) and hash last. */
static int record_members(EventRecord *r) {
        static const char *const head[] = { "seq", "time", "prev", "kind" };
        size_t i = 0, n = (size_t) json_object_object_length(r->obj);
        const char *hash = NULL;

        json_object_object_foreach(r->obj, key, val) {
                if (i < ELEMENTSOF(head) && !streq(key, head[i]))
                        return -EBADMSG;
                if (i == 0) {
                        if (!json_object_is_type(val, json_type_int))
                                return -EBADMSG;
                        r->seq = json_object_get_uint64(val);
                        i++;
                        continue;
                }
                if (!json_object_is_type(val, json_type_string))
                        return -EBADMSG;
                if (i == 1)
                        r->time = json_object_get_string(val);
                else if (i == 2) {
                        if (!is_hex64(json_object_get_string(val)))
                                return -EBADMSG;
                        memcpy(r->prev, json_object_get_string(val), sizeof(r->prev));
                } else if (i == 3)
                        r->kind = json_object_get_string(val);
                else if (i == n - 1) {
                        if (!streq(key, "hash") || !is_hex64(json_object_get_string(val)))
                                return -EBADMSG;
                        hash = json_object_get_string(val);
                } else if (streq(key, "hash"))
                        return -EBADMSG;
                i++;
        }
        if (!hash || r->seq == 0)
                return -EBADMSG;
        memcpy(r->hash, hash, sizeof(r->hash));
        return 0;
}

/* Writes the body back from the parsed content; the line must be exactly that. */
static int record_canonical(const EventRecord *r, const char *line, size_t body_len) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, i = 0, n = (size_t) json_object_object_length(r->obj);
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        event_record_write_start(f, r->seq, r->time, r->prev, r->kind);
        json_object_object_foreach(r->obj, key, val) {
                /* A NUL inside a key or value comes out shorter, so it does not compare equal. */
                if (i >= 4 && i + 1 < n)
                        event_record_write_field(f, key, json_object_get_string(val));
                i++;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        return size == body_len && memcmp(buf, line, size) == 0 ? 0 : -EBADMSG;
}

int event_record_parse(const char *line, size_t len, EventRecord *ret) {
        EventRecord r = {};
        const size_t suffix_len = strlen(HASH_SUFFIX) + EVENTLOG_HASH_LEN + strlen("\"}");
        size_t body_len;
        char h[SHA256_HEX_SIZE];
        int k;

        assert_return(line || len == 0, -EINVAL);
        assert_return(ret, -EINVAL);

        if (len < suffix_len || len > INT32_MAX)
                return -EBADMSG;
        r.obj = line_tokenize(line, len);
        if (!r.obj)
                return -EBADMSG;
        if (!json_object_is_type(r.obj, json_type_object)) {
                event_record_done(&r);
                return -EBADMSG;
        }
        k = record_members(&r);
        /* The hash covers the bytes before its own member, which comes last. */
        body_len = len - suffix_len;
        if (k >= 0)
                k = record_canonical(&r, line, body_len);
        if (k < 0) {
                event_record_done(&r);
                return k;
        }
        sha256_hex(line, body_len, h);
        r.hash_ok = streq(h, r.hash);
        *ret = r;
        return 0;
}

void event_record_done(EventRecord *r) {
        if (!r)
                return;
        json_object_put(r->obj);
        *r = (EventRecord) {};
}

const char *event_record_get(const EventRecord *r, const char *key) {
        struct json_object *v;

        if (!r->obj || !json_object_object_get_ex(r->obj, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

int event_head_parse(const char *s, uint64_t *ret_seq, char ret_hash[static EVENTLOG_HASH_LEN + 1]) {
        char hash[EVENTLOG_HASH_LEN + 1];
        const char *p = s;
        uint64_t seq = 0;

        assert_return(s, -EINVAL);

        if (*p < '0' || *p > '9')
                return -EBADMSG;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (seq > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -EBADMSG;
                seq = seq * 10 + (uint64_t) (*p - '0');
        }
        if (*p++ != ' ' || strlen(p) < EVENTLOG_HASH_LEN)
                return -EBADMSG;
        memcpy(hash, p, EVENTLOG_HASH_LEN);
        hash[EVENTLOG_HASH_LEN] = 0;
        p += EVENTLOG_HASH_LEN;
        if (!is_hex64(hash) || !(streq(p, "") || streq(p, "\n")))
                return -EBADMSG;
        *ret_seq = seq;
        memcpy(ret_hash, hash, sizeof(hash));
        return 0;
}
