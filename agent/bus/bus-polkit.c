/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-polkit.h"
#include "log.h"
#include "macro.h"

typedef struct PolkitQuery PolkitQuery;
struct PolkitQuery {
        PolkitQueries *owner;
        PolkitQuery *prev, *next;
        sd_bus_message *call;
        sd_bus_slot *slot;
        char *action;
        char source[32];
        PolkitAllowed allowed;
        void *userdata;
};

struct PolkitQueries {
        PolkitQuery *head;
};

static void query_free(PolkitQuery *q) {
        if (!q)
                return;
        if (q->prev)
                q->prev->next = q->next;
        else if (q->owner)
                q->owner->head = q->next;
        if (q->next)
                q->next->prev = q->prev;
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->call);
        free(q->action);
        free(q);
}

static int deny(sd_bus_message *call, const char *action, const char *why) {
        log_notice("D-Bus call %s from %s refused (polkit action %s): %s", sd_bus_message_get_member(call),
                   sd_bus_message_get_sender(call) ?: "?", action, why);
        return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized (%s): %s", action, why);
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        int authorized = 0, challenge = 0, r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);

                r = deny(q->call, q->action, e && e->message ? e->message : "polkit failed");
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        r = deny(q->call, q->action, "polkit's answer could not be read");
                else if (!authorized)
                        r = deny(q->call, q->action, challenge ? "authentication is required" : "not allowed");
                else
                        r = q->allowed(q->call, q->source, q->userdata);
        }
        if (r < 0)
                log_debug_errno(r, "Failed to reply to a D-Bus call: %m");
        query_free(q);
        return 0;
}

int polkit_check_async(PolkitQueries **queries, sd_bus_message *call, const char *action,
                       PolkitAllowed allowed, void *userdata) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *sender = sd_bus_message_get_sender(call);
        PolkitQuery *q;
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0 || !sender)
                return deny(call, action, "the caller's identity is unknown");

        if (!*queries) {
                *queries = calloc(1, sizeof **queries);
                if (!*queries)
                        return -ENOMEM;
        }
        q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        snprintf(q->source, sizeof q->source, "dbus:uid=%" PRIu32, (uint32_t) uid);
        if (uid == 0) {
                r = allowed(call, q->source, userdata);
                free(q);
                return r < 0 ? r : 1;
        }
        q->owner = *queries;
        q->call = sd_bus_message_ref(call);
        q->allowed = allowed;
        q->userdata = userdata;
        q->action = strdup(action);
        q->next = (*queries)->head;
        if (q->next)
                q->next->prev = q;
        (*queries)->head = q;
        if (!q->action) {
                query_free(q);
                return -ENOMEM;
        }
        /* subject: the caller's unique bus name; flags 1: user interaction allowed */
        r = sd_bus_call_method_async(sd_bus_message_get_bus(call), &q->slot, "org.freedesktop.PolicyKit1",
                                     "/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority",
                                     "CheckAuthorization", on_polkit_reply, q, "(sa{sv})sa{ss}us",
                                     "system-bus-name", 1, "name", "s", sender, action, 0, UINT32_C(1), "");
        if (r < 0) {
                query_free(q);
                return deny(call, action, "polkit cannot be asked");
        }
        return 1;
}

void polkit_queries_free(PolkitQueries **queries) {
        if (!*queries)
                return;
        while ((*queries)->head)
                query_free((*queries)->head);
        free(*queries);
        *queries = NULL;
}
