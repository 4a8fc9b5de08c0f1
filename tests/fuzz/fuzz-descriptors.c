/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the raw USB descriptor parser (hostile devices, MED-01).
 *
 * Built for libFuzzer with -Dfuzzing=true (clang). Built with -DFUZZ_STANDALONE it is a plain
 * program that feeds every file of the directories or files given as arguments to the target,
 * so the seed corpus runs in the normal test suite. */

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"
#include "usb-descriptors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        UsbDescriptors d;

        if (usb_descriptors_parse(data, size, &d) < 0)
                return 0;

        /* Invariants of a successful parse. */
        if (d.n_interfaces > USB_DESCRIPTORS_MAX_INTERFACES || d.n_configurations_present == 0)
                abort();
        for (size_t i = 0; i < d.n_interfaces; i++)
                for (size_t j = i + 1; j < d.n_interfaces; j++)
                        if (d.interfaces[i].number == d.interfaces[j].number &&
                            d.interfaces[i].cls == d.interfaces[j].cls &&
                            d.interfaces[i].subclass == d.interfaces[j].subclass &&
                            d.interfaces[i].protocol == d.interfaces[j].protocol)
                                abort();
        return 0;
}

#ifdef FUZZ_STANDALONE
static int run_file(const char *path) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = read_full_file(path, 1024 * 1024, &buf, &size);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        LLVMFuzzerTestOneInput((const uint8_t *) buf, size);
        return 0;
}

static int run_dir(const char *path, unsigned *n) {
        struct dirent **names = NULL;
        int k, r = 0;

        k = scandir(path, &names, NULL, alphasort);
        if (k < 0)
                return -errno;
        for (int i = 0; i < k; i++) {
                _cleanup_free_ char *p = NULL;

                if (names[i]->d_name[0] != '.' && asprintf(&p, "%s/%s", path, names[i]->d_name) >= 0) {
                        if (run_file(p) < 0)
                                r = -EIO;
                        (*n)++;
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned n = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %m\n", argv[i]);
                        return EXIT_FAILURE;
                }
                if (S_ISDIR(st.st_mode) ? run_dir(argv[i], &n) < 0 : run_file(argv[i]) < 0)
                        return EXIT_FAILURE;
                if (!S_ISDIR(st.st_mode))
                        n++;
        }
        if (n == 0) {
                fprintf(stderr, "no input\n");
                return EXIT_FAILURE;
        }
        printf("%u inputs\n", n);
        return EXIT_SUCCESS;
}
#endif
