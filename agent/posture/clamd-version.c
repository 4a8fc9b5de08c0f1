/* SPDX-License-Identifier: GPL-2.0-or-later */
/* clamd's VERSION reply (AV-02: the definition date). No strptime(): month and weekday names
 * are English whatever the locale of mamorictl or mamorid. */

#include <errno.h>
#include <string.h>

#include "clamd-version.h"
#include "macro.h"

static const char *const months[12] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char *const weekdays[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* n decimal digits at s (exactly), as a number. */
static bool digits(const char *s, size_t n, int *ret) {
        int v = 0;

        for (size_t i = 0; i < n; i++) {
                if (!is_digit(s[i]))
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return true;
}

static int name_index(const char *s, const char *const *names, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (memcmp(s, names[i], 3) == 0)
                        return (int) i;
        return -1;
}

static bool is_leap(int y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "Www Mmm dd hh:mm:ss yyyy" (day space-padded, as ctime() writes it): exactly 24 bytes. */
static int parse_date(const char *s, size_t n, ClamdVersion *v) {
        static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        int m, d;

        if (n != 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[19] != ' ')
                return -EBADMSG;
        if (name_index(s, weekdays, ELEMENTSOF(weekdays)) < 0)
                return -EBADMSG;
        m = name_index(s + 4, months, ELEMENTSOF(months));
        if (m < 0)
                return -EBADMSG;
        if (s[8] == ' ' ? !digits(s + 9, 1, &d) : !digits(s + 8, 2, &d))
                return -EBADMSG;
        if (!digits(s + 11, 2, &v->hour) || !digits(s + 14, 2, &v->minute) || !digits(s + 17, 2, &v->second) ||
            !digits(s + 20, 4, &v->year))
                return -EBADMSG;
        if (v->year < 1970 || d < 1 || d > mdays[m] + (m == 1 && is_leap(v->year)) || v->hour > 23 ||
            v->minute > 59 || v->second > 60)
                return -EBADMSG;
        v->month = m + 1;
        v->day = d;
        v->has_date = true;
        return 0;
}

int clamd_version_parse(const char *reply, size_t size, ClamdVersion *ret) {
        ClamdVersion v = {};
        const char *p, *end, *slash;
        size_t n;

        if (!reply || !ret)
                return -EINVAL;
        if (size > 0 && reply[size - 1] == '\n')
                size--;
        if (size < 8 || memcmp(reply, "ClamAV ", 7) != 0 || memchr(reply, 0, size))
                return -EBADMSG;
        p = reply + 7;
        end = reply + size;

        slash = memchr(p, '/', (size_t) (end - p));
        n = (size_t) ((slash ?: end) - p);
        if (n == 0 || n >= sizeof v.engine)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) p[i] <= ' ' || (unsigned char) p[i] >= 0x7f)
                        return -EBADMSG;
        memcpy(v.engine, p, n);
        if (!slash) {
                *ret = v;
                return 0;
        }

        /* the database version: 1 to 10 digits, then '/' */
        p = slash + 1;
        uint64_t db = 0;
        for (n = 0; p + n < end && is_digit(p[n]); n++) {
                db = db * 10 + (uint64_t) (p[n] - '0');
                if (n >= 10 || db > UINT32_MAX)
                        return -EBADMSG;
        }
        if (n == 0 || p + n >= end || p[n] != '/')
                return -EBADMSG;
        v.has_database = true;
        v.database = (uint32_t) db;
        p += n + 1;

        if (parse_date(p, (size_t) (end - p), &v) < 0)
                return -EBADMSG;
        *ret = v;
        return 0;
}
