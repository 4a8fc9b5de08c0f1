/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mamorictl's side of the agent's D-Bus API (agent/bus/, docs/dbus-api.md). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "ctl.h"
#include "fileio.h"

#define AGENT_BUS_NAME "org.mamori.Agent1"
#define AGENT_BUS_PATH "/org/mamori/Agent1"
#define CALL_TIMEOUT_USEC (2U * 1000000U)

int ctl_bus_call_string(const char *method, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *text;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        (void) sd_bus_set_method_call_timeout(bus, CALL_TIMEOUT_USEC);
        r = sd_bus_call_method(bus, AGENT_BUS_NAME, AGENT_BUS_PATH, AGENT_BUS_NAME, method, &error, &reply, NULL);
        if (r < 0) {
                if (sd_bus_error_has_names(&error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                           SD_BUS_ERROR_UNKNOWN_METHOD))
                        return -ESRCH;
                if (sd_bus_error_has_name(&error, "org.mamori.Agent1.Error.NoPosture"))
                        return -ENODATA;
                return r;
        }
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return r;
        *ret = strdup(text);
        return *ret ? 0 : -ENOMEM;
}

int ctl_agent_text(const char *method, const char *path, bool from_file, size_t max, char **ret, size_t *ret_size) {
        int r;

        r = from_file ? -ESRCH : ctl_bus_call_string(method, ret);
        if (r >= 0) {
                *ret_size = strlen(*ret);
                return 0;
        }
        if (r == -ENODATA)
                return r;
        return read_full_file(path, max, ret, ret_size);
}
