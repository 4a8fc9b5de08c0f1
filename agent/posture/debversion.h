/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Debian version comparison, by libdpkg (the code dpkg --compare-versions runs). The only file
 * that includes libdpkg's headers. */

/* Compares two version strings as dpkg does. Returns 0 and sets *ret to <0, 0 or >0, or -EINVAL
 * when either is not a valid version (dpkg's own rules: empty, embedded blanks, an epoch that is
 * not a number, a version not starting with a digit, a character outside [A-Za-z0-9.+~:-]). */
int deb_version_compare(const char *a, const char *b, int *ret);

/* Releases the memory libdpkg keeps for parsed versions (every earlier result stays valid: it is
 * an int). Call after a batch of comparisons. */
void deb_version_release(void);
