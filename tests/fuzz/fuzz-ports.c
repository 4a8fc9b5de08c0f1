/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the ports check's reader of /proc/net/{tcp,udp}[6] (agent/posture/check-ports.c):
 * any bytes are read as each of the four tables; every listener found has a printable address
 * and the verdict never fails but for memory. Built as a plain program with standalone.c, it
 * runs over corpus-ports/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check-ports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static char *const allow[] = { "tcp/22", "udp/68", NULL };
        PortsState s = {};
        PostureResult r = {};
        int k = 0;

        k = k ?: ports_table_parse((const char *) data, size, false, AF_INET, &s);
        k = k ?: ports_table_parse((const char *) data, size, false, AF_INET6, &s);
        k = k ?: ports_table_parse((const char *) data, size, true, AF_INET, &s);
        k = k ?: ports_table_parse((const char *) data, size, true, AF_INET6, &s);
        if (k < 0 && k != -ENOMEM)
                abort();
        for (size_t i = 0; i < s.n_listeners; i++)
                if (strlen(s.listeners[i].address) == 0 || strlen(s.listeners[i].address) >= 64)
                        abort();
        k = ports_verdict(&s, allow, true, &r);
        if (k < 0 && k != -ENOMEM)
                abort();
        posture_result_done(&r);
        ports_state_done(&s);
        return 0;
}
