/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Staff-facing text goes through gettext; the catalogue is po/ja.po. English is the msgid. */

#include <libintl.h>

#define _(s) gettext(s)
#define N_(s) (s)
