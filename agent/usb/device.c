/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include "device.h"
#include "i18n.h"
#include "log.h"
#include "macro.h"

unsigned device_name_depth(const char *name) {
        unsigned n = 0;

        for (const char *p = name; *p; p++)
                if (*p == '-' || *p == '.')
                        n++;
        return n;
}

int device_new(struct udev_device *d, Device **ret) {
        Device *dev;
        int r;

        assert(d);
        assert(ret);

        dev = calloc(1, sizeof(Device));
        if (!dev)
                return -ENOMEM;
        dev->decision.decision = DECISION_BLOCK;
        dev->syspath = strdup(udev_device_get_syspath(d));
        dev->name = strdup(udev_device_get_sysname(d));
        if (!dev->syspath || !dev->name) {
                device_free(dev);
                return -ENOMEM;
        }
        dev->depth = device_name_depth(dev->name);

        r = usb_device_new_from_udev(d, &dev->usb);
        if (r == -ENOMEM) {
                device_free(dev);
                return r;
        }
        if (r < 0) {
                log_warning_errno(r, "%s: cannot read the device identity, it will be blocked: %m", dev->name);
                dev->usb = NULL;
                dev->identity_error = r;
        } else
                snprintf(dev->vid_pid, sizeof(dev->vid_pid), "%04x:%04x", dev->usb->pd.vendor,
                         dev->usb->pd.product);

        *ret = dev;
        return 0;
}

Device *device_free(Device *dev) {
        if (!dev)
                return NULL;
        policy_decision_done(&dev->decision);
        usb_device_free(dev->usb);
        free(dev->syspath);
        free(dev->name);
        free(dev);
        return NULL;
}

int device_evaluate(Device *dev, const Policy *p, const PolicyContext *ctx) {
        PolicyDecision d = { .decision = DECISION_BLOCK, .rule_decision = DECISION_BLOCK };
        int r;

        assert(dev);

        policy_decision_done(&dev->decision);
        dev->decision = (PolicyDecision) { .decision = DECISION_BLOCK, .rule_decision = DECISION_BLOCK,
                                           .reason = p ? REASON_NO_RULE_MATCHED : REASON_NO_POLICY };

        if (!dev->usb) {
                log_debug("%s: no identity, blocked", dev->name);
                return 0;
        }

        /* The connect type costs a sysfs read: only when a rule asks for it. */
        if (policy_needs_connect_type(p)) {
                r = usb_device_read_details(dev->usb);
                if (r < 0)
                        return log_error_errno(r, "%s: cannot read the device's details, blocking: %m", dev->name);
        }
        r = policy_evaluate(p, &dev->usb->pd, ctx, &d);
        if (r < 0) {
                log_error_errno(r, "%s: policy evaluation failed, blocking: %m", dev->name);
                return r;
        }
        log_debug("%s: policy says %s (rule %s)", dev->name, decision_to_string(d.decision),
                  d.rule_id ?: "-");
        dev->decision = d;
        return 0;
}

const char *device_reason_code(const Device *dev) {
        if (!dev->usb)
                return "identity-unreadable";
        return decision_reason_to_string(dev->decision.reason) ?: "no-rule-matched";
}

const char *device_reason_text(const Device *dev) {
        return usb_decision_reason_text(dev->usb ? &dev->decision : NULL);
}

AuditDevice device_audit(const Device *dev) {
        return (AuditDevice) {
                .name = dev->name,
                .vid_pid = dev->vid_pid,
                .serial = dev->usb ? dev->usb->serial : NULL,
                .descriptors_hash = dev->usb ? dev->usb->descriptors_hash : NULL,
                .decision = dev->decision.decision,
                .rule = dev->decision.rule_id,
                .reason_code = device_reason_code(dev),
                .reason_text = device_reason_text(dev),
                .audit_only = dev->decision.audit_only,
        };
}
