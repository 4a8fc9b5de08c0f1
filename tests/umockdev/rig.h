/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* A test rig for the real mamorid binary under umockdev: a fake sysfs with two root hubs, USB
 * devices built from real descriptor bytes, the agent as a child process (awaited through
 * NOTIFY_SOCKET), and helpers that play the kernel's part. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <sys/types.h>
#include <umockdev.h>

typedef struct Rig {
        UMockdevTestbed *tb;
        char tmp[256];
        char policy_dir[300];
        char state_dir[300];
        char runtime_dir[300];
        char state_path[320];
        char log_path[320];
        char conf_path[320];
        char notify_path[320];
        int notify_fd;
        int pidfd;                      /* readable once the agent exits (-1: not known) */
        pid_t pid;
        char *usb1;
        char *usb2;
        const char *name;
        const void *case_data;          /* the running RigCase's data */
} Rig;

/* Raw descriptors (device descriptor + one configuration), built as the USB 2.0 spec lays them out. */
typedef struct Descriptors {
        uint8_t buf[1024];
        size_t n;
        size_t config;
        unsigned n_interfaces;
} Descriptors;

void desc_device(Descriptors *d, uint8_t cls, uint16_t vendor, uint16_t product);
void desc_interface(Descriptors *d, uint8_t number, uint8_t cls, uint8_t subclass, uint8_t protocol,
                    unsigned n_endpoints);
void desc_finish(Descriptors *d);
/* A USB stick (one mass storage interface, SCSI, bulk-only) and a HID boot keyboard (046d:c31c). */
void desc_stick(Descriptors *d, uint16_t vendor, uint16_t product);
void desc_keyboard(Descriptors *d);

/* Test outcome handling: on failure, print, dump the agent log and return 1 from the test. */
extern Rig *rig_current;
void rig_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define CHECK(cond, ...)                                                \
        do {                                                            \
                if (!(cond)) {                                          \
                        rig_fail(__FILE__, __LINE__, __VA_ARGS__);      \
                        return 1;                                       \
                }                                                       \
        } while (0)

int rig_init(Rig *r, const char *name);

/* One test case per invocation: `PROGRAM CASE` runs the case of that name in a fresh rig and
 * returns its result (0 passed, 1 failed); no or an unknown name lists the cases (2). */
typedef struct RigCase {
        const char *name;
        int (*run)(Rig *r);
        const void *data;               /* handed to run() as r->case_data */
} RigCase;
int rig_main(int argc, char *argv[], const RigCase *cases, size_t n);

void rig_done(Rig *r);

/* Writes a policy file atomically (temp dotfile + rename). */
int rig_write_policy(Rig *r, const char *file, const char *yaml);
int rig_remove_policy(Rig *r, const char *file);

/* Adds a usb_device under parent (NULL: usb1) with its sysfs attributes and descriptors;
 * returns its syspath (g_free it). No uevent is sent. */
char *rig_add_device(Rig *r, const char *name, const char *parent, const char *serial, const Descriptors *d);
/* Adds a usb_interface (authorized=0, as with interface_authorized_default=0) and sends "add". */
char *rig_add_interface(Rig *r, const char *dev_syspath, const char *name, uint8_t cls, uint8_t subclass,
                        uint8_t protocol);
void rig_uevent(Rig *r, const char *syspath, const char *action);
/* Binds the generic driver to a device, as the kernel's probe does: its "driver" link. */
int rig_bind_generic_driver(Rig *r, const char *syspath);
/* Only this one uevent (rig_uevent() follows a usb_device's "add" with "bind", as the kernel does). */
void rig_uevent_only(Rig *r, const char *syspath, const char *action);

/* Every wait below awaits events (inotify on the runtime directory for state.json's rename,
 * inotify on the testbed directory of an attribute, NOTIFY_SOCKET messages, the agent's exit)
 * and gives up after 10 s, so a test fails instead of hanging. */

/* Starts mamorid and waits for READY=1 on its NOTIFY_SOCKET. Returns 0 or -1. */
int rig_start(Rig *r);
/* Sends SIGHUP and waits for the reload it causes: RELOADING=1, then READY=1 (the agent sends
 * READY=1 once the new policy, or the refusal, is in force and in state.json). */
bool rig_reload(Rig *r);
/* SIGTERM and wait; returns the exit status (or -1). */
int rig_stop(Rig *r);
/* SIGKILL and wait. */
void rig_kill(Rig *r);
/* Sends a signal to the agent. */
void rig_signal(Rig *r, int sig);

/* Reads an attribute; returns a static buffer ("" when missing). */
const char *rig_attr(const char *syspath, const char *attr);
/* Waits until the attribute (of the current rig's testbed) reads value. */
bool rig_wait_attr(const char *syspath, const char *attr, const char *value);

/* state.json parsed (json-c; json_object_put() it), NULL when missing or not JSON. */
json_object *rig_state_json(Rig *r);
/* The object of device ("1-2") in a parsed state, the interface name in a device object, the
 * string member key of o (NULL when absent, null or not a string): borrowed references. */
json_object *rig_json_device(json_object *state, const char *device);
json_object *rig_json_interface(json_object *device, const char *name);
const char *rig_json_string(json_object *o, const char *key);
/* The object of one device in state.json, as JSON text, into buf. */
bool rig_state_device(Rig *r, const char *device, char *buf, size_t size);
/* The string member key of the JSON object text obj (static buffer; NULL if absent or null). */
const char *json_field(const char *obj, const char *key);
/* The string member key of state.json's "policy" (static buffer; NULL if absent or null). */
const char *rig_policy_field(Rig *r, const char *key);
/* Waits until state.json shows device with the given decision. */
bool rig_wait_decision(Rig *r, const char *device, const char *decision);
/* Waits until state.json no longer lists device. */
bool rig_wait_device_gone(Rig *r, const char *device);
/* Waits until state.json's policy status is status. */
bool rig_wait_policy_status(Rig *r, const char *status);
/* The whole state.json text (static buffer), for messages. */
const char *rig_state(Rig *r);
