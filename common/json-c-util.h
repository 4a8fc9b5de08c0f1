/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Cleanup helpers for json-c's objects, for _cleanup_(): json_object_putp, json_tokener_freep.
 * (A header of its own: json-util.h, the canonical writer, has a json_bool of its own.) */

#include <json-c/json.h>

static inline void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

static inline void json_tokener_freep(json_tokener **t) {
        if (*t)
                json_tokener_free(*t);
}
