/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-polkit.h"
#include "bus.h"
#include "log.h"
#include "macro.h"

struct AgentBus {
        sd_bus *bus;                    /* NULL: no system bus, or the name is not ours */
        sd_bus_slot *object;
        PolkitQueries *polkit;
        AgentBusOps ops;
        void *userdata;
};

/* ---- properties ---- */

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AgentBus *b = ASSERT_PTR(userdata);
        _cleanup_free_ char *to_free = NULL;
        AgentBusInfo info = {};

        b->ops.info(b->userdata, &info, &to_free);
        if (streq(property, "PolicyStatus"))
                return sd_bus_message_append(reply, "s", info.policy_status ?: "none");
        if (streq(property, "PolicyName"))
                return sd_bus_message_append(reply, "s", info.policy_name ?: "");
        if (streq(property, "PolicyVersion"))
                return sd_bus_message_append(reply, "s", info.policy_version ?: "");
        if (streq(property, "AuditOnly"))
                return sd_bus_message_append(reply, "b", info.audit_only);
        if (streq(property, "Quarantined"))
                return sd_bus_message_append(reply, "b", info.quarantined);
        if (streq(property, "QuarantineReason"))
                return sd_bus_message_append(reply, "s", info.quarantine_reason ?: "");
        if (streq(property, "Compliant"))       /* no report yet is not compliant */
                return sd_bus_message_append(reply, "b", b->ops.posture_compliant &&
                                             b->ops.posture_compliant(b->userdata));
        return -EINVAL;
}

/* ---- reading methods: anyone ---- */

static int method_get_state(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        AgentBus *b = ASSERT_PTR(userdata);
        _cleanup_free_ char *text = NULL;
        int r;

        r = b->ops.state_json(b->userdata, &text);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, "s", text);
}

static int method_get_posture(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        AgentBus *b = ASSERT_PTR(userdata);
        const char *report = b->ops.posture_report ? b->ops.posture_report(b->userdata) : NULL;

        if (!report)
                return sd_bus_reply_method_errorf(m, "org.mamori.Agent1.Error.NoPosture",
                                                  "No posture round has finished yet (or the policy has no posture section).");
        return sd_bus_reply_method_return(m, "s", report);
}

static int method_get_devices(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        AgentBus *b = ASSERT_PTR(userdata);
        bool hide = b->ops.hide_serials(b->userdata);
        int r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ssssssss)");
        for (const Device *d = b->ops.devices(b->userdata); r >= 0 && d; d = d->next) {
                _cleanup_free_ char *masked = NULL;
                const char *serial = d->usb && d->usb->serial ? d->usb->serial : "";
                char vendor[8] = "", product[8] = "";

                if (d->state != DEVICE_APPLIED)         /* listed once its decision is in force */
                        continue;
                if (hide && *serial) {
                        serial = masked = audit_mask_serial(serial);
                        if (!serial)
                                return -ENOMEM;
                }
                if (d->usb) {
                        snprintf(vendor, sizeof vendor, "%04x", d->usb->pd.vendor);
                        snprintf(product, sizeof product, "%04x", d->usb->pd.product);
                }
                r = sd_bus_message_append(reply, "(ssssssss)", d->name, vendor, product, serial,
                                          decision_to_string(d->decision.decision) ?: "block",
                                          d->decision.rule_id ?: "", device_reason_code(d),
                                          device_reason_text(d) ?: "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* ---- changing methods: root or polkit ---- */

static int do_reload(sd_bus_message *call, const char *source, void *userdata) {
        AgentBus *b = ASSERT_PTR(userdata);

        log_info("Policy reload requested over D-Bus (%s).", source);
        b->ops.reload(b->userdata);
        return sd_bus_reply_method_return(call, NULL);
}

static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        AgentBus *b = ASSERT_PTR(userdata);

        return polkit_check_async(&b->polkit, m, AGENT_POLKIT_RELOAD, do_reload, b);
}

static int do_set_quarantine(sd_bus_message *call, const char *source, void *userdata) {
        AgentBus *b = ASSERT_PTR(userdata);
        const char *reason = NULL;
        int on = 0, r;

        r = sd_bus_message_read(call, "bs", &on, &reason);
        if (r < 0)
                return r;
        if (on && isempty(reason))
                return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_INVALID_ARGS,
                                                  "A quarantine needs a reason (the record names it).");
        r = b->ops.set_quarantine(b->userdata, on, reason, source);
        if (r < 0)
                return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_FAILED, "Cannot %s the quarantine: %s",
                                                  on ? "request" : "end", strerror(-r));
        return sd_bus_reply_method_return(call, NULL);
}

static int method_set_quarantine(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        AgentBus *b = ASSERT_PTR(userdata);

        return polkit_check_async(&b->polkit, m, AGENT_POLKIT_QUARANTINE, do_set_quarantine, b);
}

static const sd_bus_vtable agent_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("PolicyStatus", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyName", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyVersion", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("AuditOnly", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Quarantined", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("QuarantineReason", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Compliant", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES("GetState", NULL, , "s", SD_BUS_PARAM(state), method_get_state,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetDevices", NULL, , "a(ssssssss)", SD_BUS_PARAM(devices),
                                 method_get_devices, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetPosture", NULL, , "s", SD_BUS_PARAM(report), method_get_posture,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Reload", NULL, NULL, method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("SetQuarantine", "bs", SD_BUS_PARAM(active) SD_BUS_PARAM(reason), NULL, ,
                                 method_set_quarantine, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("DeviceDecided", "ssssss",
                                 SD_BUS_PARAM(device) SD_BUS_PARAM(vid_pid) SD_BUS_PARAM(decision)
                                 SD_BUS_PARAM(rule) SD_BUS_PARAM(reason) SD_BUS_PARAM(message), 0),
        SD_BUS_SIGNAL_WITH_NAMES("PolicyChanged", "ss", SD_BUS_PARAM(status) SD_BUS_PARAM(version), 0),
        SD_BUS_SIGNAL_WITH_NAMES("QuarantineChanged", "bs", SD_BUS_PARAM(active) SD_BUS_PARAM(reason), 0),
        SD_BUS_SIGNAL_WITH_NAMES("PostureChanged", "sss",
                                 SD_BUS_PARAM(check) SD_BUS_PARAM(status) SD_BUS_PARAM(summary), 0),
        SD_BUS_VTABLE_END,
};

/* ---- life ---- */

int agent_bus_new(sd_event *event, const AgentBusOps *ops, void *userdata, AgentBus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        AgentBus *b;
        int r;

        b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;
        b->ops = *ops;
        b->userdata = userdata;
        *ret = b;

        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, &b->object, AGENT_BUS_PATH, AGENT_BUS_INTERFACE, agent_vtable, b);
        if (r < 0) {
                log_info_errno(r, "No system bus (%m): the D-Bus API %s is off; enforcement is not affected.",
                               AGENT_BUS_NAME);
                b->object = sd_bus_slot_unref(b->object);
                return 0;
        }
        /* Before READY=1: once the service manager knows the agent is up, so is its API. */
        r = sd_bus_request_name(bus, AGENT_BUS_NAME, 0);
        if (r < 0) {
                log_warning_errno(r, "Cannot own the bus name %s (%m): the D-Bus API is off; "
                                  "enforcement is not affected.", AGENT_BUS_NAME);
                b->object = sd_bus_slot_unref(b->object);
                return 0;
        }
        log_info("D-Bus API %s is up.", AGENT_BUS_NAME);
        b->bus = TAKE_PTR(bus);
        return 0;
}

AgentBus *agent_bus_free(AgentBus *b) {
        if (!b)
                return NULL;
        polkit_queries_free(&b->polkit);
        sd_bus_slot_unref(b->object);
        sd_bus_flush_close_unref(b->bus);
        free(b);
        return NULL;
}

static void emit(AgentBus *b, const char *member, int r) {
        if (r < 0)
                log_debug_errno(r, "Failed to send the D-Bus signal %s: %m", member);
}

void agent_bus_device_decided(AgentBus *b, const AuditDevice *ad) {
        if (!b || !b->bus || !ad)
                return;
        emit(b, "DeviceDecided",
             sd_bus_emit_signal(b->bus, AGENT_BUS_PATH, AGENT_BUS_INTERFACE, "DeviceDecided", "ssssss",
                                ad->name ?: "", ad->vid_pid ?: "", decision_to_string(ad->decision) ?: "block",
                                ad->rule ?: "", ad->reason_code ?: "", ad->reason_text ?: ""));
}

void agent_bus_policy_changed(AgentBus *b) {
        _cleanup_free_ char *to_free = NULL;
        AgentBusInfo info = {};

        if (!b || !b->bus)
                return;
        b->ops.info(b->userdata, &info, &to_free);
        emit(b, "PropertiesChanged",
             sd_bus_emit_properties_changed(b->bus, AGENT_BUS_PATH, AGENT_BUS_INTERFACE, "PolicyStatus",
                                            "PolicyName", "PolicyVersion", "AuditOnly", NULL));
        emit(b, "PolicyChanged",
             sd_bus_emit_signal(b->bus, AGENT_BUS_PATH, AGENT_BUS_INTERFACE, "PolicyChanged", "ss",
                                info.policy_status ?: "none", info.policy_version ?: ""));
}

void agent_bus_quarantine_changed(AgentBus *b, bool active, const char *reason) {
        if (!b || !b->bus)
                return;
        emit(b, "PropertiesChanged",
             sd_bus_emit_properties_changed(b->bus, AGENT_BUS_PATH, AGENT_BUS_INTERFACE, "Quarantined",
                                            "QuarantineReason", NULL));
        emit(b, "QuarantineChanged",
             sd_bus_emit_signal(b->bus, AGENT_BUS_PATH, AGENT_BUS_INTERFACE, "QuarantineChanged", "bs",
                                active, reason ?: ""));
}

void agent_bus_posture_changed(AgentBus *b, const char *check, const char *status, const char *summary) {
        if (!b || !b->bus)
                return;
        emit(b, "PropertiesChanged",
             sd_bus_emit_properties_changed(b->bus, AGENT_BUS_PATH, AGENT_BUS_INTERFACE, "Compliant", NULL));
        emit(b, "PostureChanged",
             sd_bus_emit_signal(b->bus, AGENT_BUS_PATH, AGENT_BUS_INTERFACE, "PostureChanged", "sss", check ?: "",
                                status ?: "", summary ?: ""));
}
