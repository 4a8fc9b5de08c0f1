/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* The quarantine request file (INC-03, NET-12): STATE_DIR/quarantine.
 *
 * `mamorictl quarantine on --reason …` writes it (atomically), `mamorictl quarantine off`
 * removes it; mamorid watches the state directory and applies or lifts the firewall. Because the
 * file lives in the state directory it survives reboots and agent restarts: the agent applies it
 * again at start. Triggers inside the agent (e.g. a virus detection) write it with their own
 * source, and clear it only when they set it.
 *
 * Format: UTF-8 text, one `key=value` per line: reason=, source= ("cli" or "trigger:NAME"),
 * since= (UTC, ISO 8601). Unknown keys are ignored. No logging here: usable from mamorictl. */

#define QUARANTINE_STATE_FILE "quarantine"

typedef struct QuarantineState {
        char *reason;
        char *source;
        char *since;
} QuarantineState;

/* Reads DIR/quarantine. Returns 0 (filled), -ENOENT when there is no quarantine, or another
 * negative errno. Fields are never NULL on success (empty strings when missing). */
int quarantine_state_read(const char *state_dir, QuarantineState *ret);

/* Writes DIR/quarantine atomically (mode 0600). Newlines in reason are replaced by spaces. */
int quarantine_state_write(const char *state_dir, const char *reason, const char *source);

/* Removes DIR/quarantine. Returns 0 also when it did not exist. */
int quarantine_state_remove(const char *state_dir);

/* Frees the fields. Accepts NULL. */
void quarantine_state_done(QuarantineState *s);
