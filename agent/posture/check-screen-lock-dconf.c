/* SPDX-License-Identifier: GPL-2.0-or-later */
/* screen-lock: GNOME's settings through the dconf client library (libdconf). The only file of
 * libposture that links GLib.
 *
 * The profile (root/etc/dconf/profile/user) is read line by line as dconf does (a '#' starts a
 * comment, blanks are trimmed) and handed to the library as a private profile file whose
 * system-db:NAME lines become file-db:ROOT/etc/dconf/db/NAME (so a test tree works as the real
 * system does) and whose user-db line names a database that does not exist: values are read with
 * DCONF_READ_DEFAULT_VALUE, so what any user wrote does not count, and a key counts as locked
 * when dconf_client_is_writable() says no (a lock in a system database). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-screen-lock.h"
#include "fileio.h"
#include "macro.h"

/* after macro.h: GLib replaces its MIN and MAX with the same ones */
#include <dconf.h>

#define PROFILE_MAX (64U * 1024U)
#define PROBE_USER_DB "mamori-posture-none"

static const char *const gnome_keys[] = {
        "/org/gnome/desktop/session/idle-delay",
        "/org/gnome/desktop/screensaver/lock-enabled",
        "/org/gnome/desktop/screensaver/lock-delay",
};

/* Appends to a GString profile (private) and the evidence's list (shown). */
static void source_add(GString *priv, GString *shown, const char *line, const char *root) {
        g_string_append_printf(shown, "%s%s", shown->len ? ", " : "", line);
        if (g_str_has_prefix(line, "user-db:"))
                g_string_append(priv, "user-db:" PROBE_USER_DB "\n");
        else if (g_str_has_prefix(line, "system-db:")) {
                const char *name = line + strlen("system-db:");

                if (*name && !strchr(name, '/') && !streq(name, ".."))
                        g_string_append_printf(priv, "file-db:%s/etc/dconf/db/%s\n", root, name);
        } else if (g_str_has_prefix(line, "file-db:/"))
                g_string_append_printf(priv, "file-db:%s%s\n", root, line + strlen("file-db:"));
        /* service-db: and anything else: not system-wide settings, left out */
}

static int profile_build(const char *root, char **ret_private, char **ret_shown) {
        g_autofree char *path = g_strdup_printf("%s/etc/dconf/profile/user", root);
        g_autoptr(GString) priv = g_string_new(NULL), shown = g_string_new(NULL);
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_file(path, PROFILE_MAX, &text, NULL);
        if (r == -ENOENT)
                source_add(priv, shown, "user-db:user", root);          /* dconf's default profile */
        else if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                char *hash;

                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                hash = strchr(line, '#');
                if (hash)
                        *hash = 0;
                g_strstrip(line);
                if (*line)
                        source_add(priv, shown, line, root);
        }
        *ret_private = g_string_free(g_steal_pointer(&priv), FALSE);
        *ret_shown = g_string_free(g_steal_pointer(&shown), FALSE);
        return 0;
}

static DConfClient *client_new(const char *profile_path) {
        g_autofree char *old = g_strdup(g_getenv("DCONF_PROFILE"));
        DConfClient *c;

        /* the library reads the profile named by $DCONF_PROFILE when the client is made */
        g_setenv("DCONF_PROFILE", profile_path, TRUE);
        c = dconf_client_new();
        if (old)
                g_setenv("DCONF_PROFILE", old, TRUE);
        else
                g_unsetenv("DCONF_PROFILE");
        return c;
}

static void value_read(DConfClient *c, const char *key, ScreenLockValue *v) {
        g_autoptr(GVariant) val = dconf_client_read_full(c, key, DCONF_READ_DEFAULT_VALUE, NULL);

        *v = (ScreenLockValue) { .locked = !dconf_client_is_writable(c, key) };
        if (val && g_variant_is_of_type(val, G_VARIANT_TYPE_UINT32)) {
                v->found = true;
                v->value = g_variant_get_uint32(val);
        } else if (val && g_variant_is_of_type(val, G_VARIANT_TYPE_BOOLEAN)) {
                v->found = true;
                v->value = g_variant_get_boolean(val);
        } else if (val && g_variant_is_of_type(val, G_VARIANT_TYPE_INT32)) {
                v->found = true;
                v->value = g_variant_get_int32(val);
        }
}

int screen_lock_read_gnome(const char *root, ScreenLockGnome *ret) {
        g_autofree char *priv = NULL, *shown = NULL, *tmp = NULL;
        g_autoptr(GError) error = NULL;
        ScreenLockValue *values[ELEMENTSOF(gnome_keys)];
        DConfClient *c;
        int fd, r;

        *ret = (ScreenLockGnome) {};
        r = profile_build(root ?: "", &priv, &shown);
        if (r < 0) {
                ret->error = r;
                return r == -ENOMEM ? r : 0;
        }
        fd = g_file_open_tmp("mamori-dconf-profile-XXXXXX", &tmp, &error);
        if (fd < 0 || !g_file_set_contents(tmp, priv, -1, NULL)) {
                ret->error = -EIO;
                if (fd >= 0) {
                        close(fd);
                        unlink(tmp);
                }
                return 0;
        }
        close(fd);
        c = client_new(tmp);
        unlink(tmp);
        values[0] = &ret->idle_delay;
        values[1] = &ret->lock_enabled;
        values[2] = &ret->lock_delay;
        for (size_t i = 0; i < ELEMENTSOF(gnome_keys); i++)
                value_read(c, gnome_keys[i], values[i]);
        g_object_unref(c);
        ret->profile = strdup(shown);
        return ret->profile ? 0 : -ENOMEM;
}

void screen_lock_gnome_done(ScreenLockGnome *g) {
        if (!g)
                return;
        free(g->profile);
        *g = (ScreenLockGnome) {};
}
