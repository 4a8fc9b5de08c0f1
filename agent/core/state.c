/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "audit.h"
#include "config.h"
#include "fileio.h"
#include "json-util.h"
#include "macro.h"
#include "state.h"
#include "string-table.h"
#include "time-util.h"

static const char *const policy_status_table[_POLICY_STATUS_MAX] = {
        [POLICY_STATUS_OK] = "ok",
        [POLICY_STATUS_ERROR] = "error",
        [POLICY_STATUS_NONE] = "none",
};

DEFINE_STRING_TABLE(policy_status, PolicyStatus);

static void state_write_policy(JsonWriter *w, const StatePolicy *sp) {
        char buf[32];

        json_begin_object(w, "policy");
        json_string(w, "status", policy_status_to_string(sp->status));
        json_string(w, "directory", sp->directory);
        json_string(w, "source", sp->source);
        json_string(w, "name", sp->policy ? policy_get_name(sp->policy) : NULL);
        json_string(w, "version", sp->policy ? policy_get_version(sp->policy) : NULL);
        json_string(w, "error", sp->error);
        if (sp->policy && sp->loaded > 0)
                json_string(w, "loaded", format_iso_time(sp->loaded, buf, sizeof(buf)));
        else
                json_null(w, "loaded");
        json_bool(w, "audit_only", sp->policy && policy_get_audit_only(sp->policy));
        json_uint(w, "rules", sp->policy ? policy_get_n_rules(sp->policy) : 0);
        json_uint(w, "media", sp->policy ? policy_get_n_media(sp->policy) : 0);
        json_end_object(w);
}

static void state_write_interfaces(JsonWriter *w, const Device *dev) {
        json_begin_array(w, "interfaces");
        for (size_t i = 0; dev->usb && i < dev->usb->n_interfaces; i++) {
                const PolicyInterface *pi = &dev->usb->interfaces[i];
                const PolicyInterfaceDecision *id =
                        i < dev->decision.n_interfaces ? &dev->decision.interfaces[i] : NULL;
                /* The interface is usable only when the device is, too. */
                bool allow = dev->decision.decision == DECISION_ALLOW && id && id->decision == DECISION_ALLOW;
                char cls[4];

                snprintf(cls, sizeof(cls), "%02x", pi->cls);
                json_begin_object(w, NULL);
                json_string(w, "interface", pi->name);
                json_string(w, "class", cls);
                json_string(w, "decision", allow ? "allow" : "block");
                json_string(w, "rule", id ? id->rule_id : NULL);
                json_end_object(w);
        }
        json_end_array(w);
}

static void state_write_device(JsonWriter *w, const Device *dev, bool hide_serials) {
        _cleanup_free_ char *masked = NULL;
        const char *serial = dev->usb ? dev->usb->serial : NULL;
        char vendor[8], product[8];

        if (hide_serials && serial)
                serial = masked = audit_mask_serial(serial);

        json_begin_object(w, NULL);
        json_string(w, "device", dev->name);
        json_string(w, "syspath", dev->syspath);
        if (dev->usb) {
                snprintf(vendor, sizeof(vendor), "%04x", dev->usb->pd.vendor);
                snprintf(product, sizeof(product), "%04x", dev->usb->pd.product);
                json_string(w, "vendor", vendor);
                json_string(w, "product", product);
        } else {
                json_null(w, "vendor");
                json_null(w, "product");
        }
        json_string(w, "serial", serial);
        json_string(w, "manufacturer", dev->usb ? dev->usb->manufacturer : NULL);
        json_string(w, "name", dev->usb ? dev->usb->product_name : NULL);
        json_string(w, "decision", decision_to_string(dev->decision.decision) ?: "block");
        json_string(w, "rule", dev->decision.rule_id);
        json_string(w, "reason", device_reason_code(dev));
        json_string(w, "message", device_reason_text(dev));
        json_bool(w, "audit_only", dev->decision.audit_only);
        json_string(w, "medium", dev->decision.medium ? policy_medium_get_asset(dev->decision.medium) : NULL);
        state_write_interfaces(w, dev);
        json_end_object(w);
}

int state_format(const StatePolicy *sp, const Device *devices, bool hide_serials, char **ret) {
        _cleanup_(json_writer_done) JsonWriter w = {};
        char buf[32];
        int r;

        r = json_writer_init(&w, false);
        if (r < 0)
                return r;
        json_begin_object(&w, NULL);
        json_int(&w, "version", 1);
        json_string(&w, "agent_version", PACKAGE_VERSION);
        json_string(&w, "updated", format_iso_time(time(NULL), buf, sizeof(buf)));
        state_write_policy(&w, sp);
        json_begin_array(&w, "devices");
        for (const Device *d = devices; d; d = d->next)
                if (d->state == DEVICE_APPLIED)  /* shown once the decision is in force */
                        state_write_device(&w, d, hide_serials);
        json_end_array(&w);
        json_end_object(&w);
        return json_writer_finish(&w, ret);
}

int state_write(const char *path, const StatePolicy *sp, const Device *devices, bool hide_serials) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = state_format(sp, devices, hide_serials, &text);
        if (r < 0)
                return r;
        return write_file_atomic(path, text, strlen(text), 0644);
}
