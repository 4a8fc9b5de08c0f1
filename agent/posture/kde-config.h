/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A reader of KDE's KConfig files (kscreenlockerrc) for what screen-lock needs: the values of a
 * few keys of one group and whether each is immutable (kiosk: "[$i]" on its own line before any
 * group makes the file immutable, "[Group][$i]" the group, "Key[$i]=" the key). GLib's GKeyFile
 * refuses these markers, so this small pure reader stands in (tests/fuzz/fuzz-kde-config.c).
 * Localised entries (Key[de]=) and entries of other groups are skipped; a later entry of a key
 * replaces an earlier one. Values are trimmed; $e expansion is not done. */

#include <stdbool.h>
#include <stddef.h>

typedef struct KdeConfigKey {
        const char *name;               /* in: the key */
        char *value;                    /* out: malloc'ed, NULL when absent */
        bool immutable;                 /* out: the file, the group or the entry says [$i] */
} KdeConfigKey;

/* Reads keys[] of group from text (len bytes, need not be NUL-terminated). Returns 0, or -ENOMEM. */
int kde_config_read(const char *text, size_t len, const char *group, KdeConfigKey *keys, size_t n_keys);
void kde_config_keys_done(KdeConfigKey *keys, size_t n_keys);

/* KConfig's booleans: true/on/yes/1 and false/off/no/0 (any case). Returns 1, 0, or -EINVAL. */
int kde_config_parse_bool(const char *s);
