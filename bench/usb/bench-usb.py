#!/usr/bin/env python3
"""bench-usb.py - the same USB plug sequence under mamorid and under USBGuard,
in the same real-kernel guest (QEMU/TCG, Debian's kernel, see tests/vm/).

usage: bench-usb.py --source SRCDIR --build BUILDDIR [--plugs 60]

Latency = kernel timestamp of "usb X: authorized to connect" minus that of
"usb X: Device is not authorized for usage" (both printk'd by usbcore: the
second at enumeration, next to the device's add uevent), read from the guest's
console log. Daemon CPU time (utime+stime) and peak RSS (VmHWM) come from /proc.
Prints one JSON object per daemon.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

USBGUARD_CONF = """\
RuleFile=/etc/usbguard/rules.conf
ImplicitPolicyTarget=block
PresentDevicePolicy=apply-policy
PresentControllerPolicy=keep
InsertedDevicePolicy=apply-policy
AuthorizedDefault=none
RestoreControllerDeviceState=false
DeviceManagerBackend=uevent
IPCAllowedUsers=root
DeviceRulesWithPort=false
AuditBackend=FileAudit
AuditFilePath=/tmp/usbguard-audit.log
HidePII=false
"""
# the same decisions as the mamori policy of tests/vm (hubs, HID, the registered stick)
USBGUARD_RULES = """\
allow with-interface equals { 09:00:* }
allow with-interface equals { 03:*:* }
allow id 46f4:0001 serial "REG0001"
"""
DAEMONS = {
    "mamorid": "mamorid --policy-dir /etc/mamori/policy.d --state-dir /var/lib/mamori "
               "--runtime-dir /run/mamori",
    "usbguard-daemon": "usbguard-daemon -c /etc/usbguard/usbguard-daemon.conf",
}
KLINE = re.compile(r"^\[\s*(\d+\.\d+)\] usb (\S+): (Device is not authorized for usage|authorized to connect)")


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def run_daemon(ctx, vt, name, plugs):
    # USBGuard authorizes whole devices: it needs the kernel's interface default (1), which
    # mamori's udev rule turns off, so that rule is only installed for mamorid.
    vm = vt.boot_agent(ctx, f"bench-{name}", udev_rule=(name == "mamorid"))
    try:
        vm.write_file("/etc/usbguard/usbguard-daemon.conf", USBGUARD_CONF)
        vm.write_file("/etc/usbguard/rules.conf", USBGUARD_RULES)
        vm.run("chmod 600 /etc/usbguard/*.conf")
        vm.run(f"{DAEMONS[name]} > /tmp/daemon.log 2>&1 & echo $! > /tmp/daemon.pid")
        vm.plug_storage("w", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
        if not vm.wait_until("grep -qx 1 /sys/bus/usb/devices/*/authorized 2>/dev/null && "
                             "ls /sys/bus/usb/devices | grep -q ':1.0'", 30):
            raise RuntimeError(f"{name} did not authorize the warm-up stick:\n" +
                               vm.out("cat /tmp/daemon.log; true"))
        vm.unplug("w", storage=True)
        cpu0 = vm.out("cut -d' ' -f14,15 /proc/$(cat /tmp/daemon.pid)/stat").split()
        for i in range(plugs):
            vm.plug_storage(f"s{i}", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
            if not vm.wait_until("[ -n \"$(ls /sys/block | grep '^sd')\" ]", 30):
                raise RuntimeError(f"{name}: plug {i} never got its disk")
            vm.unplug(f"s{i}", storage=True)
            vm.wait_until("[ -z \"$(ls /sys/block | grep '^sd')\" ]", 30)
        cpu1 = vm.out("cut -d' ' -f14,15 /proc/$(cat /tmp/daemon.pid)/stat").split()
        hwm = vm.out("grep VmHWM /proc/$(cat /tmp/daemon.pid)/status | tr -s ' ' | cut -d' ' -f2")
        hz = 100
        cpu_s = (sum(map(int, cpu1)) - sum(map(int, cpu0))) / hz
    finally:
        vm.stop()
    seen, lat = {}, []
    with open(vm.console, errors="replace") as f:
        for line in f:
            m = KLINE.match(line)
            if not m:
                continue
            t, dev, what = float(m.group(1)), m.group(2), m.group(3)
            if what.startswith("Device"):
                seen[dev] = t
            elif dev in seen:
                lat.append((t - seen.pop(dev)) * 1000)
    lat = lat[1:]  # the warm-up plug
    return {"daemon": name, "plugs": len(lat),
            "latency_ms_p50": round(statistics.median(lat), 1),
            "latency_ms_p99": round(percentile(lat, 99), 1),
            "latency_ms_max": round(max(lat), 1),
            "cpu_s_during_plugs": cpu_s, "peak_rss_kib": int(hwm)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--plugs", type=int, default=60)
    p.add_argument("daemons", nargs="*", default=list(DAEMONS))
    args = p.parse_args()
    sys.path.insert(0, os.path.join(args.source, "tests", "vm"))
    vt = __import__("vm-test")
    args.cache = os.path.join(args.source, "tests", "vm", "cache")
    assets, kcache = vt.prepare(args)
    ctx = vt.Ctx(args, assets, kcache)
    ctx.extra_bins = ["/usr/sbin/usbguard-daemon"]
    for d in args.daemons:
        print(json.dumps(run_daemon(ctx, vt, d, args.plugs)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
