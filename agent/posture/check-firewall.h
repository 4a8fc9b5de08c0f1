/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* firewall (NET-05, NET-07): the loaded nftables ruleset is the policy's profile. `nft -j list
 * ruleset` is run as a child with a time limit; its JSON is normalised (handles, counters and
 * nft's metainfo dropped, object keys sorted) and its SHA-256 compared with `ruleset-sha256`. */

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "posture.h"

#define NFT_TIMEOUT_USEC (2 * USEC_PER_SEC)

typedef struct FirewallState {
        char *nft;                      /* the program run */
        int error;                      /* 0, or -ENOENT (no nft), -ETIMEDOUT, -EIO (nft failed), -EBADMSG */
        int exit_status;                /* nft's, when it exited */
        uint64_t elapsed_usec;
        size_t n_tables, n_chains, n_rules;
        char sha256[SHA256_HEX_SIZE];   /* of the normalised ruleset; "" on error */
} FirewallState;

/* Normalises `nft -j list ruleset` output: drops every "handle" key, every "counter" statement's
 * "packets" and "bytes" (and the named counters' values), the "metainfo" entry, and writes it
 * with sorted keys and no blanks. Counts tables, chains and rules. Pure. Returns 0, -EBADMSG
 * for anything that is not nft's JSON, or -ENOMEM. */
int firewall_normalize(const char *json, size_t size, char **ret, size_t *ret_tables, size_t *ret_chains,
                       size_t *ret_rules);

/* Runs nft (a path or a name looked up in PATH) with a time limit. Never fails but for -ENOMEM. */
int firewall_probe(const char *nft, uint64_t timeout_usec, FirewallState *ret);
void firewall_state_done(FirewallState *s);

/* Fail when nft could not be run or answered nothing usable, when no table is loaded, or when the
 * ruleset's SHA-256 is not expected_sha256 (hex, any case); pass otherwise. Returns 0 or -ENOMEM. */
int firewall_verdict(const FirewallState *s, const char *expected_sha256, PostureResult *r);
