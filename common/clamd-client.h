/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* clamd's socket protocol: a command prefixed with 'z' and terminated by NUL ("zPING\0"), each
 * reply terminated by NUL; clamd closes the connection after each command. Every call is
 * bounded by one deadline (CLOCK_MONOTONIC, microseconds). Shared by the antivirus check,
 * mamori-scan and the media scan. */

#include <stddef.h>
#include <stdint.h>

#define CLAMD_STREAM_LINE_MAX 8192      /* a path (PATH_MAX) and a signature name */

/* Now on CLOCK_MONOTONIC in microseconds. */
uint64_t clamd_now_usec(void);
/* Waits for events on fd until deadline. Returns 0 when ready, -ETIMEDOUT or -errno. */
int clamd_wait_fd(int fd, short events, uint64_t deadline);
/* A non-blocking connection to clamd's UNIX socket at path. Returns the fd or -errno. */
int clamd_connect(const char *path, uint64_t deadline);
/* Sends one command and reads its NUL-terminated reply into buf (NUL-terminated, without the
 * terminator in *ret_size). */
int clamd_command(const char *path, const char *cmd, uint64_t deadline, char *buf, size_t size,
                  size_t *ret_size);

/* Called for each NUL-terminated reply (reply[size] is NUL); a negative return stops the stream. */
typedef int (*ClamdReplyFunc)(const char *reply, size_t size, void *userdata);
/* Sends one command and hands each reply to f until clamd closes the connection (a scan command
 * answers once per finding). Returns 0, f's error, -ETIMEDOUT at the deadline, -ECONNRESET for a
 * reply cut short, or -errno. */
int clamd_command_stream(const char *path, const char *cmd, uint64_t deadline, ClamdReplyFunc f,
                         void *userdata);
