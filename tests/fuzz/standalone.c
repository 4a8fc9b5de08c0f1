/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The main() of a fuzz target built as a plain program (the corpus tests of the unit and policy
 * suites): runs LLVMFuzzerTestOneInput() once over each file named, or each file of each
 * directory named (recursively, in name order, dot files left out). Exit status 1 when a file
 * cannot be read or nothing was run; a finding aborts, as under libFuzzer. */

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A target may say more about the run (defined there, weak here). */
void fuzz_standalone_report(void);
__attribute__((weak)) void fuzz_standalone_report(void) {
}

static int run_file(const char *path) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = read_full_file(path, 64 * 1024 * 1024, &buf, &size);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        LLVMFuzzerTestOneInput((const uint8_t *) buf, size);
        return 0;
}

static int run_path(const char *path, unsigned *n) {
        struct dirent **names = NULL;
        struct stat st;
        int k, r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        if (!S_ISDIR(st.st_mode)) {
                (*n)++;
                return run_file(path);
        }
        k = scandir(path, &names, NULL, alphasort);
        if (k < 0)
                return -errno;
        for (int i = 0; i < k; i++) {
                _cleanup_free_ char *p = NULL;

                if (names[i]->d_name[0] != '.' && asprintf(&p, "%s/%s", path, names[i]->d_name) >= 0 &&
                    run_path(p, n) < 0)
                        r = -EIO;
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned n = 0;
        int r = 0;

        for (int i = 1; i < argc; i++)
                if (run_path(argv[i], &n) < 0)
                        r = 1;
        printf("%u inputs run\n", n);
        fuzz_standalone_report();
        return n == 0 ? 1 : r;
}
