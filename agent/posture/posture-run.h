/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* One round: every check the policy enables, probe then verdict, in PostureCheckId order. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "posture.h"

typedef struct PostureRunOptions {
        const char *root;               /* prefix of /proc, /sys, /tmp, /run, /var (tests); NULL: the real system */
        const char *os_release;         /* NULL: /etc/os-release */
        uint64_t clamd_timeout_usec;    /* 0: CLAMD_TIMEOUT_USEC */
        const char *state_dir;          /* where mamori-scan records its scans; NULL: STATE_DIR */
        time_t now;                     /* 0: time(NULL) */
        bool enforce;                   /* checks with action enforce put things right (the agent
                                         * sets it; a one-shot `posture check` does not) */
        const char *software_rule_sha256;       /* NULL: the shipped rule's (SOFTWARE_RULES_SHA256) */
        const char *nft;                /* NULL: $MAMORI_NFT, else nft from PATH */
} PostureRunOptions;

/* Runs the enabled checks of pp. Returns 0 and a malloc'ed array of results (free with
 * posture_results_free()), or -ENOMEM. */
int posture_run(const PosturePolicy *pp, const PostureRunOptions *o, PostureResult **ret, size_t *ret_n);
PostureResult *posture_results_free(PostureResult *r, size_t n);
