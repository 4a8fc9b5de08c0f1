/* SPDX-License-Identifier: GPL-2.0-or-later */
/* String tables of the policy enums, interface class names and error printing. */

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "escape.h"
#include "policy-internal.h"
#include "string-table.h"

static const char *const decision_table[_DECISION_MAX] = {
        [DECISION_ALLOW] = "allow",
        [DECISION_BLOCK] = "block",
        [DECISION_REJECT] = "reject",
};

static const char *const connect_type_table[_CONNECT_TYPE_MAX] = {
        [CONNECT_TYPE_HOTPLUG] = "hotplug",
        [CONNECT_TYPE_HARDWIRED] = "hardwired",
        [CONNECT_TYPE_NOT_USED] = "not-used",
        [CONNECT_TYPE_UNKNOWN] = "unknown",
};

static const char *const media_access_table[_MEDIA_ACCESS_MAX] = {
        [MEDIA_ACCESS_READ_WRITE] = "read-write",
        [MEDIA_ACCESS_READ_ONLY] = "read-only",
};

static const char *const decision_reason_table[_DECISION_REASON_MAX] = {
        [REASON_RULE_MATCHED] = "rule-matched",
        [REASON_NO_RULE_MATCHED] = "no-rule-matched",
        [REASON_AUDIT_ONLY] = "audit-only",
        [REASON_NO_POLICY] = "no-policy",
};

/* The to/from string functions of the enums of policy.h: NULL, or the _INVALID value, for anything
 * outside the table. */
DEFINE_STRING_TABLE(decision, Decision);
DEFINE_STRING_TABLE(connect_type, ConnectType);
DEFINE_STRING_TABLE(media_access, MediaAccess);
DEFINE_STRING_TABLE(decision_reason, DecisionReason);

/* Prints "file:line:col: message" (or "file: message" when the line is unknown) and a newline.
 * The file name and the message (which may quote the file's content) are escaped (escape.h), so
 * a name or a value holding a line break or a terminal escape cannot forge or hide a line. */
void policy_error_print(const PolicyError *e, FILE *f) {
        if (!e || !f)
                return;
        fputs_escaped(e->file, f);
        if (e->line != 0)
                fprintf(f, ":%u:%u", e->line, e->column);
        fputs(": ", f);
        fputs_escaped(e->message, f);
        fputc('\n', f);
}

static const struct {
        const char *name;
        uint8_t cls;
} class_names[] = {
        { "audio",     0x01 },
        { "comm",      0x02 },
        { "hid",       0x03 },
        { "physical",  0x05 },
        { "image",     0x06 },
        { "printer",   0x07 },
        { "storage",   0x08 },
        { "hub",       0x09 },
        { "cdc-data",  0x0a },
        { "smartcard", 0x0b },
        { "video",     0x0e },
        { "wireless",  0xe0 },
        { "misc",      0xef },
        { "app",       0xfe },
        { "vendor",    0xff },
};

/* Parses one part of a hex pattern: two hex digits or "*". */
static int class_part_parse(const char *s, size_t len, uint8_t *ret, bool *ret_any) {
        if (len == 1 && s[0] == '*') {
                *ret = 0;
                *ret_any = true;
                return 0;
        }
        if (len != 2 || !isxdigit((unsigned char) s[0]) || !isxdigit((unsigned char) s[1]))
                return -EINVAL;
        char buf[3] = { s[0], s[1], 0 };
        *ret = (uint8_t) strtoul(buf, NULL, 16);
        *ret_any = false;
        return 0;
}

/* Parses a class name or a CC[:SS[:PP]] hex pattern (parts may be "*"); missing parts match
 * anything. Returns 0 or -EINVAL. */
int policy_class_pattern_parse(const char *s, uint32_t *ret) {
        uint8_t part[3] = {};
        bool any[3] = { false, true, true };
        size_t n = 0;
        const char *p;

        if (!s || !ret)
                return -EINVAL;

        for (size_t i = 0; i < ELEMENTSOF(class_names); i++)
                if (streq(class_names[i].name, s)) {
                        *ret = class_names[i].cls | POLICY_CLASS_ANY_SUBCLASS | POLICY_CLASS_ANY_PROTOCOL;
                        return 0;
                }

        p = s;
        for (;;) {
                const char *colon = strchr(p, ':');
                size_t len = colon ? (size_t) (colon - p) : strlen(p);

                if (n >= 3 || class_part_parse(p, len, &part[n], &any[n]) < 0)
                        return -EINVAL;
                n++;
                if (!colon)
                        break;
                p = colon + 1;
        }

        *ret = (uint32_t) part[0] | (uint32_t) part[1] << 8 | (uint32_t) part[2] << 16 |
                (any[0] ? POLICY_CLASS_ANY_CLASS : 0) |
                (any[1] ? POLICY_CLASS_ANY_SUBCLASS : 0) |
                (any[2] ? POLICY_CLASS_ANY_PROTOCOL : 0);
        return 0;
}

/* Whether class/subclass/protocol satisfy a parsed pattern. */
bool policy_class_pattern_match(uint32_t pattern, uint8_t cls, uint8_t subclass, uint8_t protocol) {
        if (!(pattern & POLICY_CLASS_ANY_CLASS) && (pattern & 0xff) != cls)
                return false;
        if (!(pattern & POLICY_CLASS_ANY_SUBCLASS) && ((pattern >> 8) & 0xff) != subclass)
                return false;
        if (!(pattern & POLICY_CLASS_ANY_PROTOCOL) && ((pattern >> 16) & 0xff) != protocol)
                return false;
        return true;
}
