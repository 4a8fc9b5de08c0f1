/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bench-policy: libpolicy parse time and memory, side by side in one run (bench/policy/README.md).
 *
 *   bench-policy [--inputs DIR]
 *
 * Writes the inputs (one policy directory per case) below DIR (default: a temporary directory,
 * removed at the end), then measures each case in a child process of its own, so its peak RSS
 * (ru_maxrss of the child) is its own:
 *
 *   flow-N        policy_load_dir() of a rule whose `serial` is one flow list of N serials on
 *                 one line (N = 100 000, 200 000, 400 000): time per item must stay flat
 *   libyaml-N     the raw libyaml event loop over the same bytes: the floor for any YAML reader
 *   media-yaml    policy_load_dir() of 100 000 media as a YAML `media:` block list
 *   media-jsonl   the same 100 000 media as a JSON Lines ledger
 *
 * Prints one line per case: name, items, wall seconds, microseconds per item, CPU seconds and
 * peak RSS in MiB. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "fileio.h"
#include "macro.h"
#include "policy.h"

#define N_MEDIA 100000

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static FILE *open_case(const char *root, const char *name, const char *file) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, name);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return NULL;
        snprintf(path, sizeof(path), "%s/%s/%s", root, name, file);
        f = fopen(path, "we");
        return f;
}

static int write_inputs(const char *root) {
        static const unsigned flows[] = { 100000, 200000, 400000 };
        char name[64];
        FILE *f;

        for (size_t k = 0; k < 3; k++) {
                snprintf(name, sizeof(name), "flow-%u", flows[k]);
                f = open_case(root, name, "10-flow.yaml");
                if (!f)
                        return -errno;
                fputs("rules:\n  - id: big\n    action: allow\n    match: {serial: [", f);
                for (unsigned i = 0; i < flows[k]; i++)
                        fprintf(f, "%sSERIAL%08u", i ? ", " : "", i);
                fputs("]}\n", f);
                if (fclose(f) != 0)
                        return -EIO;
        }

        f = open_case(root, "media-yaml", "10-rules.yaml");
        if (!f)
                return -errno;
        fputs("rules:\n  - {id: media, action: allow, match: {registered-media: true}}\n", f);
        fclose(f);
        f = open_case(root, "media-jsonl", "10-rules.yaml");
        if (!f)
                return -errno;
        fputs("rules:\n  - {id: media, action: allow, match: {registered-media: true}}\n", f);
        fclose(f);

        f = open_case(root, "media-yaml", "50-media.yaml");
        if (!f)
                return -errno;
        fputs("media:\n", f);
        for (unsigned i = 0; i < N_MEDIA; i++)
                fprintf(f, "  - asset: \"KOBE-USB-%06u\"\n    vendor: \"0781\"\n    product: \"5581\"\n"
                        "    serial: \"4C53%016u\"\n    owner: \"山田 太郎\"\n    section: \"情報政策課\"\n"
                        "    valid-until: 2027-03-31\n", i, i);
        fclose(f);
        f = open_case(root, "media-jsonl", "50-media.jsonl");
        if (!f)
                return -errno;
        fputs("{\"format\":\"mamori-media/1\"}\n", f);
        for (unsigned i = 0; i < N_MEDIA; i++)
                fprintf(f, "{\"asset\":\"KOBE-USB-%06u\",\"vendor\":\"0781\",\"product\":\"5581\","
                        "\"serial\":\"4C53%016u\",\"owner\":\"山田 太郎\",\"section\":\"情報政策課\","
                        "\"valid-until\":\"2027-03-31\"}\n", i, i);
        return fclose(f) == 0 ? 0 : -EIO;
}

/* The raw libyaml event loop over one file: reading and events only, nothing kept. */
static int raw_libyaml(const char *path) {
        char *data = NULL;
        size_t size = 0;
        yaml_parser_t parser;
        int r;

        r = read_full_file(path, SIZE_MAX / 2, &data, &size);
        if (r < 0)
                return r;
        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);
        for (bool done = false; !done;) {
                yaml_event_t e;

                if (!yaml_parser_parse(&parser, &e)) {
                        r = -EBADMSG;
                        break;
                }
                done = e.type == YAML_STREAM_END_EVENT;
                yaml_event_delete(&e);
        }
        yaml_parser_delete(&parser);
        free(data);
        return r;
}

static int load(const char *dir) {
        Policy *p = NULL;
        PolicyError e = {};
        int r;

        r = policy_load_dir(dir, &p, &e);
        if (r < 0) {
                policy_error_print(&e, stderr);
                return r;
        }
        policy_free(p);
        return 0;
}

/* Runs one case in a child; prints its line. */
static int run_case(const char *root, const char *name, bool raw, unsigned items) {
        char dir[4096], file[4200];
        int pfd[2], status;
        struct rusage ru;
        double wall = 0;
        pid_t pid;

        snprintf(dir, sizeof(dir), "%s/%s", root, name);
        if (raw) {
                snprintf(dir, sizeof(dir), "%s/flow-%s", root, name + strlen("libyaml-"));
                snprintf(file, sizeof(file), "%s/10-flow.yaml", dir);
        }
        if (pipe(pfd) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                double t0 = now_s();
                int r = raw ? raw_libyaml(file) : load(dir);

                wall = now_s() - t0;
                if (write(pfd[1], &wall, sizeof(wall)) != sizeof(wall))
                        _exit(2);
                _exit(r < 0 ? 1 : 0);
        }
        close(pfd[1]);
        if (read(pfd[0], &wall, sizeof(wall)) != sizeof(wall))
                wall = -1;
        close(pfd[0]);
        if (wait4(pid, &status, 0, &ru) < 0)
                return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "%s: failed\n", name);
                return -EIO;
        }
        printf("%-18s %8u %9.3f %9.3f %8.3f %9.1f\n", name, items, wall, wall * 1e6 / items,
               (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
               (double) ru.ru_maxrss / 1024.0);
        fflush(stdout);
        return 0;
}

int main(int argc, char *argv[]) {
        char tmp[] = "/tmp/bench-policy-XXXXXX", cmd[4200];
        const char *root = NULL;
        int r = 0;

        if (argc == 3 && streq(argv[1], "--inputs")) {
                root = argv[2];
                if (mkdir(root, 0755) < 0 && errno != EEXIST) {
                        perror(root);
                        return 1;
                }
        } else if (argc != 1) {
                fprintf(stderr, "usage: %s [--inputs DIR]\n", argv[0]);
                return 2;
        } else {
                root = mkdtemp(tmp);
                if (!root || chmod(root, 0755) < 0)
                        return 1;
        }
        setenv("TZ", "JST-9", 1);
        if (write_inputs(root) < 0) {
                fprintf(stderr, "cannot write the inputs below %s\n", root);
                return 1;
        }
        printf("%-18s %8s %9s %9s %8s %9s\n", "case", "items", "wall_s", "us/item", "cpu_s", "rss_mib");
        r |= run_case(root, "flow-100000", false, 100000);
        r |= run_case(root, "flow-200000", false, 200000);
        r |= run_case(root, "flow-400000", false, 400000);
        r |= run_case(root, "libyaml-100000", true, 100000);
        r |= run_case(root, "libyaml-200000", true, 200000);
        r |= run_case(root, "libyaml-400000", true, 400000);
        r |= run_case(root, "media-yaml", false, N_MEDIA);
        r |= run_case(root, "media-jsonl", false, N_MEDIA);
        if (root == tmp) {
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
                if (system(cmd) != 0)
                        r = -EIO;
        }
        return r < 0 ? 1 : 0;
}
