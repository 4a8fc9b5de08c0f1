/* SPDX-License-Identifier: GPL-2.0-or-later */
/* placeholder: to be written */
typedef int placeholder_device_usb;
