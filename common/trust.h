/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* StrictModes, as sshd applies them (DESIGN.md decision 4): a file the agent acts on (policy.d/
 * and its files, mamorid.conf) must be owned by root or the trusted user and must not be writable
 * by group or others, and neither may any directory above it up to "/", except a directory with
 * the sticky bit (such as /tmp), whose entries only their owners can replace.
 *
 * The trusted user is the one passed in: geteuid() in the agent and the tools, so the agent as
 * root trusts root only, and a developer's `./dev run` or tests as an ordinary user trust that
 * user's own files as well.
 *
 * Every check is made on open file descriptors (fstat, and ".." opened from the object's own
 * directory), never on a name looked up again, so a file checked is the file read.
 *
 * On refusal the functions return -EPERM and, when asked, a malloc'ed *ret_path (the object
 * refused: the file itself or a directory above it) and *ret_reason without that name, e.g.
 * "writable by group (mode 0664, owner 0): refused". Callers print "PATH: REASON". Other
 * negative errnos are failures to check (the object is then not trusted either). */

#include <stdbool.h>
#include <sys/types.h>

/* Checks the object open at fd (a file or a directory) itself: owner, and no write bit for group
 * or others. name is how it is named in *ret_path. */
int trust_check_fd(int fd, const char *name, uid_t uid, char **ret_path, char **ret_reason);

/* Checks the directory open at dir_fd (any open mode, O_PATH included) and every directory above
 * it up to "/", walking up through "..". A sticky directory may be writable by group or others.
 * name is the directory's name for *ret_path when /proc cannot name it. */
int trust_check_dir_chain(int dir_fd, const char *name, uid_t uid, char **ret_path, char **ret_reason);

/* The whole check of one file or directory open at fd, opened as path: the object itself
 * (trust_check_fd()), then the directories above it. For a directory they are found from fd
 * itself ("..", no name involved); for a file from the directory the kernel names for fd
 * (/proc/self/fd), after making sure that directory holds fd's inode under that name (else
 * -ESTALE: the file was moved while being checked). */
int path_check_trusted(const char *path, int fd, uid_t uid, char **ret_path, char **ret_reason);
