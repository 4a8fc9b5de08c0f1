/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the raw USB descriptor parser (hostile devices, MED-01).
 *
 * Built for libFuzzer with -Dfuzzing=true (clang). Linked with standalone.c it is a plain program
 * over files and directories, so the seed corpus runs in the normal test suite. */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "usb-descriptors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        UsbDescriptors d;

        if (usb_descriptors_parse(data, size, &d) < 0)
                return 0;

        /* Invariants of a successful parse. */
        if (d.n_interfaces > USB_DESCRIPTORS_MAX_INTERFACES || d.n_configurations_present == 0)
                abort();
        for (size_t i = 0; i < d.n_interfaces; i++)
                for (size_t j = i + 1; j < d.n_interfaces; j++)
                        if (d.interfaces[i].number == d.interfaces[j].number &&
                            d.interfaces[i].cls == d.interfaces[j].cls &&
                            d.interfaces[i].subclass == d.interfaces[j].subclass &&
                            d.interfaces[i].protocol == d.interfaces[j].protocol)
                                abort();
        return 0;
}
