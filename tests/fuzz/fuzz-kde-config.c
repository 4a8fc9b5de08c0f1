/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the KConfig reader (agent/posture/kde-config.c) behind screen-lock's KDE
 * settings: any bytes are read (each value a NUL-terminated string no longer than the input) or
 * refused for memory only, and the settings verdict over what was read never fails. Built as a
 * plain program with standalone.c, it runs over corpus-kde-config/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check-screen-lock.h"
#include "kde-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        KdeConfigKey keys[] = { { .name = "Autolock" }, { .name = "Timeout" }, { .name = "LockOnResume" } };
        ScreenLockKde k;
        const char *why;
        int r;

        r = kde_config_read((const char *) data, size, "Daemon", keys, 3);
        if (r == -ENOMEM)
                return 0;
        if (r < 0)
                abort();
        for (size_t i = 0; i < 3; i++)
                if (keys[i].value && strlen(keys[i].value) > size)
                        abort();
        kde_config_keys_done(keys, 3);

        r = screen_lock_parse_kde((const char *) data, size, &k);
        if (r == -ENOMEM)
                return 0;
        if (r < 0 || (k.timeout.found && k.timeout.value < 0))
                abort();
        (void) screen_lock_kde_ok(&k, 600 * USEC_PER_SEC, &why);
        return 0;
}
