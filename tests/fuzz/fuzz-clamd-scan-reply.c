/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for clamd's reply to FILDES (agent/media/media-scan.c), bytes a socket hands the
 * media scan. An accepted reply must be what the parser says: "fd[DIGITS]: " first, a FOUND's
 * signature printable, non-empty and NUL-terminated within its buffer; else abort(). Built as a
 * plain program with standalone.c, it runs over corpus-clamd-scan-reply/. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media-scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ClamdScanVerdict v;
        char sig[8];
        int r;

        memset(sig, 'X', sizeof sig);
        r = clamd_scan_reply_parse((const char *) data, size, &v, sig, sizeof sig);
        if (r < 0) {
                if (r != -EBADMSG)
                        abort();
                return 0;
        }
        if (size < 8 || memcmp(data, "fd[", 3) != 0 || !memchr(data, ']', size))
                abort();
        if (v == CLAMD_SCAN_FOUND) {
                if (!memchr(sig, 0, sizeof sig) || sig[0] == 0)
                        abort();
                for (const char *p = sig; *p; p++)
                        if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f)
                                abort();
        } else if (v != CLAMD_SCAN_OK && v != CLAMD_SCAN_ERROR)
                abort();
        return 0;
}
