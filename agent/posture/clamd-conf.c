/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clamd.conf(5) lines (clamd-conf.h). Pure. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clamd-conf.h"
#include "macro.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static int add(ClamdConf *c, const char *k, size_t kn, const char *v, size_t vn, unsigned line) {
        ClamdConfEntry *e;

        e = reallocarray(c->entries, c->n_entries + 1, sizeof *e);
        if (!e)
                return -ENOMEM;
        c->entries = e;
        e = &c->entries[c->n_entries];
        *e = (ClamdConfEntry) { .key = strndup(k, kn), .value = strndup(v, vn), .line = line };
        if (!e->key || !e->value) {
                free(e->key);
                free(e->value);
                return -ENOMEM;
        }
        c->n_entries++;
        return 0;
}

int clamd_conf_parse(const char *data, size_t size, ClamdConf *ret) {
        ClamdConf c = {};
        unsigned line = 0;
        size_t i = 0;
        int r;

        assert_return(ret && (data || size == 0), -EINVAL);
        if (size > 0 && memchr(data, 0, size))
                return -EBADMSG;
        while (i < size) {
                size_t end = i, ks, ke, vs, ve;

                line++;
                while (end < size && data[end] != '\n')
                        end++;
                ks = i;
                while (ks < end && is_blank(data[ks]))
                        ks++;
                if (ks < end && data[ks] != '#') {
                        ke = ks;
                        while (ke < end && !is_blank(data[ke]))
                                ke++;
                        vs = ke;
                        while (vs < end && is_blank(data[vs]))
                                vs++;
                        ve = end;
                        while (ve > vs && is_blank(data[ve - 1]))
                                ve--;
                        /* clamd accepts a value in double quotes */
                        if (ve - vs >= 2 && data[vs] == '"' && data[ve - 1] == '"') {
                                vs++;
                                ve--;
                        }
                        r = add(&c, data + ks, ke - ks, data + vs, ve - vs, line);
                        if (r < 0) {
                                clamd_conf_done(&c);
                                return r;
                        }
                }
                i = end + 1;
        }
        *ret = c;
        return 0;
}

void clamd_conf_done(ClamdConf *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_entries; i++) {
                free(c->entries[i].key);
                free(c->entries[i].value);
        }
        free(c->entries);
        *c = (ClamdConf) {};
}

const char *clamd_conf_next(const ClamdConf *c, const char *key, size_t *i) {
        for (; *i < c->n_entries; (*i)++)
                if (strcasecmp(c->entries[*i].key, key) == 0)
                        return c->entries[(*i)++].value;
        return NULL;
}

const char *clamd_conf_get(const ClamdConf *c, const char *key) {
        const char *v = NULL, *x;
        size_t i = 0;

        while ((x = clamd_conf_next(c, key, &i)))
                v = x;
        return v;
}

bool clamd_conf_get_bool(const ClamdConf *c, const char *key) {
        const char *v = clamd_conf_get(c, key);

        return v && (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || streq(v, "1"));
}
