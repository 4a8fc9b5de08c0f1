/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the login check's readers (agent/posture/check-login.c): any bytes are read
 * as a PAM stack file (every inclusion followed once more into the same bytes, so include
 * handling is exercised without files) and as faillock.conf / pwquality.conf settings; the
 * verdict over what was read never fails but for memory. Built as a plain program with
 * standalone.c, it runs over corpus-login/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check-login.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Input {
        const char *data;
        size_t size;
        unsigned depth;
        LoginState *s;
} Input;

static int include(const char *name, PamType filter, void *userdata) {
        Input *in = userdata;
        int r;

        if (!name || in->depth >= 2)
                return 0;
        in->depth++;
        r = pam_file_parse(in->data, in->size, filter, in->s, include, in);
        in->depth--;
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char *const factors[] = { "pam_u2f", "pam_pkcs11", NULL };
        LoginState s = { .faillock_conf = LOGIN_SETTINGS_NONE, .pwquality_conf = LOGIN_SETTINGS_NONE };
        Input in = { (const char *) data, size, 0, &s };
        PostureResult r = {};
        int k;

        k = pam_file_parse(in.data, size, PAM_TYPE_OTHER, &s, include, &in);
        if (k < 0 && k != -ENOMEM)
                abort();
        for (size_t i = 0; i < s.n_entries; i++)
                if (!s.entries[i].module || !s.entries[i].control || !s.entries[i].args ||
                    strlen(s.entries[i].module) > size)
                        abort();
        login_settings_parse(in.data, size, &s.faillock_conf);
        login_settings_parse(in.data, size, &s.pwquality_conf);
        k = login_verdict(&s, factors, 5, 900 * UINT64_C(1000000), 8, 3, &r);
        if (k < 0 && k != -ENOMEM)
                abort();
        posture_result_done(&r);
        login_state_done(&s);
        return 0;
}
