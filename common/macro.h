/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Small helpers shared by every part of mamori: cleanup attributes, ownership transfer and
 * argument checks. Nothing here logs. */

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Hand over ownership of a pointer: returns the value and leaves NULL behind. */
#define TAKE_PTR(p)                                     \
        ({                                              \
                typeof(p) *_pp_ = &(p);                 \
                typeof(p) _p_ = *_pp_;                  \
                *_pp_ = NULL;                           \
                _p_;                                    \
        })

/* Same for file descriptors: leaves -EBADF behind. */
#define TAKE_FD(fd)                                     \
        ({                                              \
                int *_fdp_ = &(fd);                     \
                int _fd_ = *_fdp_;                      \
                *_fdp_ = -EBADF;                        \
                _fd_;                                   \
        })

/* Callback glue: assert that userdata is set and give it a type. */
#define ASSERT_PTR(p)                                   \
        ({                                              \
                typeof(p) _q_ = (p);                    \
                assert(_q_);                            \
                _q_;                                    \
        })

/* Check a precondition at a library API boundary: returns r from the calling function
 * instead of aborting. */
#define assert_return(expr, r)                          \
        do {                                            \
                if (_unlikely_(!(expr)))                \
                        return (r);                     \
        } while (false)

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline int safe_close(int fd) {
        if (fd >= 0)
                close(fd);
        return -EBADF;
}

static inline void closep(int *fd) {
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Define a cleanup function xp(T **p) calling func(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p) {           \
                if (*p)                                 \
                        func(*p);                       \
        }

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}
#define streq(a, b) (strcmp((a), (b)) == 0)
#define isempty(s) (!(s) || !*(s))
