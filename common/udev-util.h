/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Cleanup helpers for libudev's objects, for _cleanup_(): udev_unrefp, udev_device_unrefp,
 * udev_enumerate_unrefp, udev_monitor_unrefp. */

#include <libudev.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *, udev_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_enumerate *, udev_enumerate_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_monitor *, udev_monitor_unref);
