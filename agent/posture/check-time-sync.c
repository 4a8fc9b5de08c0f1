/* SPDX-License-Identifier: GPL-2.0-or-later */
/* time-sync (LOG-07): 「正確な時刻の設定及びサーバ間の時刻同期」. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <systemd/sd-bus.h>

#include "check-time-sync.h"
#include "i18n.h"
#include "macro.h"


static void probe_kernel(TimeSyncState *s) {
        struct timex tx = {};
        int k;

        k = adjtimex(&tx);
        if (k < 0) {
                s->adjtimex_error = -errno;
                return;
        }
        s->clock_state = k;
        s->unsync = (tx.status & STA_UNSYNC) || k == TIME_ERROR;
        /* offset is in nanoseconds with STA_NANO, else microseconds */
        s->offset_usec = (tx.status & STA_NANO) ? tx.offset / 1000 : tx.offset;
        s->maxerror_usec = tx.maxerror;
        s->esterror_usec = tx.esterror;
}

static void probe_timedated(TimeSyncState *s) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r, b = 0;

        s->ntp_synchronized = -1;
        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_get_property_trivial(bus, "org.freedesktop.timedate1", "/org/freedesktop/timedate1",
                                                "org.freedesktop.timedate1", "NTPSynchronized", &error, 'b', &b);
        sd_bus_error_free(&error);
        if (r < 0) {
                s->ntp_error = r;
                return;
        }
        s->ntp_synchronized = !!b;
}

void time_sync_probe(TimeSyncState *ret) {
        *ret = (TimeSyncState) {};
        probe_kernel(ret);
        probe_timedated(ret);
}

static int time_sync_evidence(const TimeSyncState *s, uint64_t max_offset_usec, PostureEvidence *e) {
        int r = 0;

        if (s->adjtimex_error == 0) {
                r = r ?: posture_evidence_add_bool(e, "kernel_synchronized", !s->unsync);
                r = r ?: posture_evidence_add_int(e, "offset_us", s->offset_usec);
                r = r ?: posture_evidence_add_int(e, "maxerror_us", s->maxerror_usec);
                r = r ?: posture_evidence_add_int(e, "esterror_us", s->esterror_usec);
        } else {
                r = r ?: posture_evidence_add_null(e, "kernel_synchronized");
                r = r ?: posture_evidence_add_string(e, "adjtimex_error", strerror(-s->adjtimex_error));
        }
        if (s->ntp_synchronized >= 0)
                r = r ?: posture_evidence_add_bool(e, "ntp_synchronized", s->ntp_synchronized);
        else {
                r = r ?: posture_evidence_add_null(e, "ntp_synchronized");
                r = r ?: posture_evidence_add_string(e, "timedated_error", strerror(-s->ntp_error));
        }
        r = r ?: posture_evidence_add_int(e, "max_offset_us", (int64_t) max_offset_usec);
        return r;
}

int time_sync_verdict(const TimeSyncState *s, uint64_t max_offset_usec, PostureResult *r) {
        uint64_t off;

        assert_return(s && r, -EINVAL);
        r->id = POSTURE_CHECK_TIME_SYNC;
        off = s->offset_usec < 0 ? (uint64_t) -(s->offset_usec + 1) + 1 : (uint64_t) s->offset_usec;

        if (s->adjtimex_error != 0 && s->ntp_synchronized < 0)
                posture_result_set(r, POSTURE_STATUS_UNKNOWN,
                                   _("The clock's synchronisation could not be read."));
        else if ((s->adjtimex_error == 0 && s->unsync) || s->ntp_synchronized == 0)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The clock is not synchronised with a time server."));
        else if (s->adjtimex_error == 0 && off > max_offset_usec)
                posture_result_set(r, POSTURE_STATUS_FAIL,
                                   _("The clock is %.3f s off its time server (at most %.3f s allowed)."),
                                   (double) off / 1e6, (double) max_offset_usec / 1e6);
        else
                posture_result_set(r, POSTURE_STATUS_PASS, _("The clock is synchronised with a time server."));
        return time_sync_evidence(s, max_offset_usec, &r->evidence);
}
