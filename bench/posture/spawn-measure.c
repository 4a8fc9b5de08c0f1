/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spawn-measure COMMAND [ARG...]: runs COMMAND (stdout and stderr to /dev/null) and prints its
 * exit status, user and system CPU in microseconds, peak RSS in KiB and wall time in
 * microseconds, from wait4(). A small launcher, because the kernel keeps the peak RSS of the
 * process image before exec(): a child forked from Python would report Python's. */

#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long usec(struct timeval tv) {
        return (long long) tv.tv_sec * 1000000 + tv.tv_usec;
}

int main(int argc, char *argv[]) {
        struct timespec a, b;
        struct rusage ru;
        int status;
        pid_t pid;

        if (argc < 2) {
                fprintf(stderr, "Usage: spawn-measure COMMAND [ARG...]\n");
                return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &a);
        pid = fork();
        if (pid < 0) {
                perror("fork");
                return 2;
        }
        if (pid == 0) {
                int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

                if (fd >= 0) {
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                }
                execvp(argv[1], argv + 1);
                _exit(127);
        }
        if (wait4(pid, &status, 0, &ru) != pid) {
                perror("wait4");
                return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%d %lld %lld %ld %lld\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
               usec(ru.ru_utime), usec(ru.ru_stime), ru.ru_maxrss,
               (long long) (b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000);
        return 0;
}
