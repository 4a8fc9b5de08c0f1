/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One posture round (synchronous: mamorictl runs it once; the agent will run the probes from its
 * event loop). */

#include <errno.h>
#include <stdlib.h>

#include "config.h"
#include "check-antivirus.h"
#include "check-disk-encryption.h"
#include "check-firewall.h"
#include "check-login.h"
#include "check-os-release.h"
#include "check-ports.h"
#include "check-screen-lock.h"
#include "check-software.h"
#include "check-time-sync.h"
#include "check-updates.h"
#include "macro.h"
#include "posture-run.h"

static int run_one(PostureCheckId id, const PosturePolicy *pp, const PostureRunOptions *o, time_t now,
                   PostureResult *r) {
        switch (id) {
        case POSTURE_CHECK_TIME_SYNC: {
                TimeSyncState s;

                time_sync_probe(&s);
                return time_sync_verdict(&s, pp->max_offset_usec, r);
        }
        case POSTURE_CHECK_DISK_ENCRYPTION: {
                DiskState s;
                int k;

                k = disk_encryption_probe(o->root, pp->paths, &s);
                if (k < 0)
                        return k;
                k = disk_encryption_verdict(&s, pp->swap, pp->tpm, r);
                disk_state_done(&s);
                return k;
        }
        case POSTURE_CHECK_ANTIVIRUS: {
                AntivirusState s;
                int k;

                antivirus_probe(pp->socket, o->clamd_timeout_usec ?: CLAMD_TIMEOUT_USEC, &s);
                antivirus_probe_local(pp, o->root, o->state_dir, &s);
                k = antivirus_verdict_policy(&s, pp, now, r);
                antivirus_state_done(&s);
                return k;
        }
        case POSTURE_CHECK_OS_RELEASE: {
                OsRelease s;
                int k;

                k = os_release_probe(o->os_release, &s);
                if (k < 0)
                        return k;
                k = os_release_verdict(&s, pp->eol_year, pp->eol_month, pp->eol_day, now, r);
                os_release_done(&s);
                return k;
        }
        case POSTURE_CHECK_SCREEN_LOCK: {
                bool enforce = o->enforce && pp->checks[id].action == POSTURE_ACTION_ENFORCE;
                ScreenLockState s;
                int k;

                k = screen_lock_probe(o->root, enforce, pp->idle_max_usec, (uint64_t) now * USEC_PER_SEC, &s);
                if (k < 0)
                        return k;
                s.desktops = pp->desktops;
                k = screen_lock_verdict(&s, pp->idle_max_usec, r);
                screen_lock_state_done(&s);
                return k;
        }
        case POSTURE_CHECK_UPDATES: {
                UpdatesState s;
                int k;

                k = updates_probe(o->root, &s);
                if (k < 0)
                        return k;
                k = updates_verdict(&s, pp->max_pending, pp->max_update_age_usec, now, r);
                updates_state_done(&s);
                return k;
        }
        case POSTURE_CHECK_LOGIN: {
                LoginState s;
                int k;

                k = login_probe(o->root, &s);
                if (k < 0)
                        return k;
                k = login_verdict(&s, pp->second_factor, pp->max_attempts, pp->unlock_time_usec, pp->min_length,
                                  pp->min_classes, r);
                login_state_done(&s);
                return k;
        }
        case POSTURE_CHECK_SOFTWARE: {
                SoftwareState s;
                int k;

                k = software_probe(o->root, pp->polkit_rule, &s);
                if (k < 0)
                        return k;
                k = software_verdict(&s, o->software_rule_sha256 ?: SOFTWARE_RULES_SHA256, pp->denied_packages, r);
                software_state_done(&s);
                return k;
        }
        case POSTURE_CHECK_FIREWALL: {
                FirewallState s;
                int k;

                k = firewall_probe(o->nft ?: getenv("MAMORI_NFT") ?: "nft", NFT_TIMEOUT_USEC, &s);
                if (k < 0)
                        return k;
                k = firewall_verdict(&s, pp->ruleset_sha256, r);
                firewall_state_done(&s);
                return k;
        }
        case POSTURE_CHECK_PORTS: {
                PortsState s;
                int k;

                k = ports_probe(o->root, &s);
                if (k < 0)
                        return k;
                k = ports_verdict(&s, pp->ports_allow, pp->include_loopback, r);
                ports_state_done(&s);
                return k;
        }
        case _POSTURE_CHECK_MAX:
        case _POSTURE_CHECK_INVALID:
                break;
        }
        return -EINVAL;
}

int posture_run(const PosturePolicy *pp, const PostureRunOptions *o, PostureResult **ret, size_t *ret_n) {
        static const PostureRunOptions none = {};
        PostureResult *results;
        size_t n = 0;
        time_t now;
        int r;

        assert_return(pp && ret && ret_n, -EINVAL);
        o = o ?: &none;
        now = o->now ?: time(NULL);

        results = calloc(_POSTURE_CHECK_MAX, sizeof *results);
        if (!results)
                return -ENOMEM;
        for (PostureCheckId id = 0; id < _POSTURE_CHECK_MAX; id++) {
                if (!pp->checks[id].enabled)
                        continue;
                results[n] = (PostureResult) { .id = id };
                r = run_one(id, pp, o, now, &results[n++]);
                if (r < 0) {
                        posture_results_free(results, n);
                        return r;
                }
        }
        *ret = results;
        *ret_n = n;
        return 0;
}

PostureResult *posture_results_free(PostureResult *r, size_t n) {
        for (size_t i = 0; r && i < n; i++)
                posture_result_done(&r[i]);
        free(r);
        return NULL;
}
