/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Debian version comparison through libdpkg (dpkg/version.h, dpkg/dpkg-db.h). libdpkg copies a
 * parsed version into its own pool (nfmalloc), which deb_version_release() empties. */

#define LIBDPKG_VOLATILE_API 1

#include <errno.h>

#include <dpkg/dpkg.h>
#include <dpkg/dpkg-db.h>
#include <dpkg/error.h>
#include <dpkg/version.h>

#include "debversion.h"

int deb_version_compare(const char *a, const char *b, int *ret) {
        struct dpkg_version va, vb;
        struct dpkg_error e = DPKG_ERROR_INIT;

        if (!a || !b || !ret)
                return -EINVAL;
        if (parseversion(&va, a, &e) < 0 || parseversion(&vb, b, &e) < 0) {
                dpkg_error_destroy(&e);
                return -EINVAL;
        }
        *ret = dpkg_version_compare(&va, &vb);
        return 0;
}

void deb_version_release(void) {
        nffreeall();
}
