#!/usr/bin/env python3
"""bench-usb.py - the same USB plug sequence under mamorid and under USBGuard,
in the same real-kernel guest (QEMU/TCG, Debian's kernel, see tests/vm/).

usage: bench-usb.py --source SRCDIR --build BUILDDIR [--plugs 100] [--back-to-back] [--smp 2] [DAEMON...]
       bench-usb.py --analyse TRACE

Latency is measured by the guest kernel's own tracer (tracefs, kprobes), one clock for all:
  uevent: usbcore's usb_dev_uevent() for the usb_device X while the kernel builds X's "add"
          uevent (ACTION=add already in the environment), right before it is broadcast
          (kobject_uevent_env itself cannot be kprobed). The same call builds "bind".
  probe:  bus_probe_device() for X: the kernel starts X's driver probe. It runs right after the
          broadcast, unless the processes the broadcast woke run first on the enumerating CPU.
  bind:   usb_dev_uevent() with ACTION=bind: X's driver probe is over
  write:  usbcore's authorized_store() for X (the daemon's write of authorized=1 arrives)
  configured: the printk "usb X: authorized to connect" (the kernel has set the configuration
          and created the interfaces; the same kernel work for both daemons)
  disk:   bus_probe_device() for the stick's disk sdX: the storage is there (for mamorid this
          includes authorizing the storage interface; the encrypted-media check comes after)
  in hand: the daemon's last recvmsg() before that write returned (syscalls:sys_exit_recvmsg
          for the daemon's threads): the event it acted on was in its hands
Reported: in hand->write (the daemon's own decision latency), uevent->write, uevent->probe,
uevent->bind, bind->write (what the daemon adds once the kernel's probe is over),
uevent->configured and uevent->disk, p50/p99/max.
Daemon CPU time (utime+stime) and peak RSS (VmHWM) come from /proc.
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
# Each daemon runs as its systemd unit runs it: mamorid with the unit's Nice=, usbguard-daemon
# (Debian's unit) at the default priority.
UNIT = os.path.join(HERE, "..", "..", "packaging", "systemd", "mamorid.service.in")


def unit_nice():
    with open(UNIT) as f:
        m = re.search(r"^Nice=(-?\d+)$", f.read(), re.M)
    return f"nice -n {m.group(1)} " if m else ""


DAEMONS = {
    "mamorid": unit_nice() + "mamorid --policy-dir /etc/mamori/policy.d --state-dir /var/lib/mamori "
               "--runtime-dir /run/mamori",
    "usbguard-daemon": "usbguard-daemon -c /etc/usbguard/usbguard-daemon.conf",
}
# usb_dev_uevent(dev, env): env->envp[0] (struct kobj_uevent_env begins with argv[3], so +24)
# holds "ACTION=..." when the kernel builds a uevent to send; a read of the sysfs "uevent" file
# passes an empty environment (the fetch faults and the filter drops it).
TRACE_SETUP = """\
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; cd /sys/kernel/tracing &&
echo 16384 > buffer_size_kb &&
echo 'p:mamori/uevent bus_probe_device name=+0(+0(%di)):string' >> kprobe_events &&
echo 'p:mamori/authw authorized_store name=+0(+0(%di)):string' >> kprobe_events &&
echo 'p:mamori/kuevent usb_dev_uevent name=+0(+0(%di)):string action=+0(+24(%si)):string' >> kprobe_events &&
echo 'action == "ACTION=add" || action == "ACTION=bind"' > events/mamori/kuevent/filter &&
echo 1 > events/mamori/enable && echo 1 > events/printk/console/enable && echo > trace &&
mkdir instances/disk && echo 'name ~ "sd*"' > instances/disk/events/mamori/uevent/filter &&
echo 1 > instances/disk/events/mamori/uevent/enable
"""
# Waits for the next disk without polling: a trace instance that records only the disks'
# bus_probe_device(), read line by line. The waiter is started right after the plug, tens of
# milliseconds before the device enumerates, and then sleeps in read() until the disk is there:
# no process forks or runs in the guest while the daemon decides (a polling loop there would).
WAIT_DISK = "timeout 30 head -n 1 /sys/kernel/tracing/instances/disk/trace_pipe"
TLINE = re.compile(r"\s(\d+\.\d+): (kuevent|uevent|authw|console|sys_recvmsg) ?(.*)$")
USB_DEVICE = re.compile(r'name="(\d+-[\d.]+)"')
DISK = re.compile(r'name="sd[a-z]+"')
USABLE = re.compile(r"usb (\d+-[\d.]+): authorized to connect")
# Before each plug the guest is left to settle, so that a plug is timed on its own and not
# behind the previous stick's removal: no USB device but the root hubs, udevd's queue empty,
# the daemon's netlink sockets drained, all its threads asleep, and no child of it running.
QUIESCE = r"""
pid=$(cat /tmp/daemon.pid)
udevadm settle -t 30
end=$(( $(cut -d. -f1 /proc/uptime) + 30 ))
while :; do
    busy=
    ls /sys/bus/usb/devices | grep -qE '^[0-9]+-[0-9.]+$' && busy="a USB device"
    for f in /proc/$pid/task/*/stat; do
        read -r l < "$f"; case ${l##*) } in S*) ;; *) busy="the daemon running";; esac
    done
    [ -z "$(cat /proc/$pid/task/*/children)" ] || busy="a child of the daemon"
    socks=" $(ls -l /proc/$pid/fd | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ') "
    awk -v s="$socks" 'NR > 1 && index(s, " " $10 " ") && $5 != 0 { exit 1 }' /proc/net/netlink ||
        busy="uevents queued for the daemon"
    [ -z "$busy" ] && exit 0
    [ "$(cut -d. -f1 /proc/uptime)" -lt $end ] || { echo "still busy: $busy"; exit 1; }
    usleep 2000
done
"""


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def run_daemon(ctx, vt, name, plugs, back_to_back=False):
    # USBGuard authorizes whole devices: it needs the kernel's interface default (1), which
    # mamori's udev rule turns off, so that rule is only installed for mamorid.
    # loglevel=1: the kernel's messages go to the trace buffer, not synchronously to the
    # emulated serial console, which under TCG takes milliseconds per line for both daemons
    vm = vt.boot_agent(ctx, f"bench-{name}", udev_rule=(name == "mamorid"), append="loglevel=1")
    try:
        vm.write_file("/etc/usbguard/usbguard-daemon.conf", USBGUARD_CONF)
        vm.write_file("/etc/usbguard/rules.conf", USBGUARD_RULES)
        vm.run("chmod 600 /etc/usbguard/*.conf")
        vm.run(TRACE_SETUP)
        vm.run(f"{DAEMONS[name]} > /tmp/daemon.log 2>&1 & echo $! > /tmp/daemon.pid")
        # the daemon's own latency: from the recvmsg() that hands it the event to its write
        vm.wait_until("[ -s /tmp/daemon.pid ] && [ -d /proc/$(cat /tmp/daemon.pid)/task ]", 10)
        vm.plug_storage("w", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
        if not vm.wait_until("grep -qx 1 /sys/bus/usb/devices/*/authorized 2>/dev/null && "
                             "ls /sys/bus/usb/devices | grep -q ':1.0'", 30):
            raise RuntimeError(f"{name} did not authorize the warm-up stick:\n" +
                               vm.out("cat /tmp/daemon.log; true"))
        vm.unplug("w", storage=True)
        vm.run("echo > /sys/kernel/tracing/instances/disk/trace")   # the warm-up stick's disk
        vm.run("cd /sys/kernel/tracing && f=$(for t in $(ls /proc/$(cat /tmp/daemon.pid)/task); do "
               "printf 'common_pid == %s || ' $t; done) && echo \"${f% || }\" > events/syscalls/sys_exit_recvmsg/filter "
               "&& echo 1 > events/syscalls/sys_exit_recvmsg/enable")
        cpu0 = vm.out("cut -d' ' -f14,15 /proc/$(cat /tmp/daemon.pid)/stat").split()
        for i in range(plugs):
            vm.plug_storage(f"s{i}", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
            if vm.run(WAIT_DISK, timeout=60, check=False)[0] != 0:
                raise RuntimeError(f"{name}: plug {i} never got its disk")
            vm.unplug(f"s{i}", storage=True)
            vm.wait_until("[ -z \"$(ls /sys/block | grep '^sd')\" ]", 30)
            if not back_to_back:
                rc, out = vm.run(QUIESCE, timeout=90, check=False)
                if rc != 0:
                    raise RuntimeError(f"{name}: the guest did not settle after plug {i}: {out}")
        cpu1 = vm.out("cut -d' ' -f14,15 /proc/$(cat /tmp/daemon.pid)/stat").split()
        hwm = vm.out("grep VmHWM /proc/$(cat /tmp/daemon.pid)/status | tr -s ' ' | cut -d' ' -f2")
        hz = 100
        cpu_s = (sum(map(int, cpu1)) - sum(map(int, cpu0))) / hz
        trace = vm.out("grep -E ' (kuevent|uevent|authw): |authorized to connect|sys_recvmsg ->' "
                       "/sys/kernel/tracing/trace; true")
    finally:
        vm.stop()
    with open(os.path.join(vm.workdir, "trace.txt"), "w") as f:
        f.write(trace)
    return dict(analyse(trace), daemon=name, mode="back-to-back" if back_to_back else "settled",
                cpu_s_during_plugs=cpu_s, peak_rss_kib=int(hwm))


# Measures: (name, from point, to point), the points of one plug as analyse() records them.
MEASURES = [
    ("event_in_hand_to_write_ms", "in_hand", "write"),
    ("uevent_to_write_ms", "uevent", "write"),
    ("uevent_to_probe_ms", "uevent", "probe"),
    ("uevent_to_bind_ms", "uevent", "bind"),
    ("bind_to_write_ms", "bind", "write"),
    ("uevent_to_configured_ms", "uevent", "usable"),
    ("uevent_to_disk_ms", "uevent", "disk"),
]


def analyse(trace):
    """Per plug of a stick X, the time of each point, each the first time it is seen after X's
    "add" uevent: the kernel's probe of X (start, and the "bind" that ends it), the daemon's write
    and the recvmsg() that preceded it, X configured, its disk. Then each measure over the plugs
    that have both its points (bind -> write: where the bind came first), the warm-up dropped."""
    plugs, last_recv = [], None
    for line in trace.splitlines():
        m = TLINE.search(line)
        if not m:
            continue
        t, kind, rest = float(m.group(1)), m.group(2), m.group(3)
        if kind == "sys_recvmsg":
            last_recv = t
            continue
        d = USB_DEVICE.search(rest)
        if kind == "kuevent" and 'action="ACTION=add"' in rest and d:
            # plugs are sequential: what follows, up to the next stick's add, is this stick's
            plugs.append({"name": d.group(1), "uevent": t})
            continue
        if not plugs:
            continue
        plug, point = plugs[-1], None
        if kind == "console":
            u = USABLE.search(rest)
            point = "usable" if u and u.group(1) == plug["name"] else None
        elif kind == "uevent" and DISK.search(rest):
            point = "disk"
        elif not d or d.group(1) != plug["name"]:
            continue            # interfaces, hosts, partitions, other devices
        elif kind == "uevent":
            point = "probe"
        elif kind == "kuevent" and 'action="ACTION=bind"' in rest:
            point = "bind"
        elif kind == "authw":
            point = "write"
            if "write" not in plug and last_recv is not None:
                plug["in_hand"] = last_recv
        if point:
            plug.setdefault(point, t)
    plugs = plugs[1:]           # the first plug is the warm-up

    def stats(xs):
        return {"p50": round(statistics.median(xs), 2), "p99": round(percentile(xs, 99), 2),
                "max": round(max(xs), 2)}
    out = {"plugs": sum("write" in p for p in plugs)}
    for name, a, b in MEASURES:
        out[name] = stats([(p[b] - p[a]) * 1000 for p in plugs if a in p and b in p and p[a] <= p[b]])
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source")
    p.add_argument("--build")
    p.add_argument("--analyse", metavar="TRACE", help="only analyse a trace.txt kept by an earlier run")
    p.add_argument("--plugs", type=int, default=100)
    p.add_argument("--back-to-back", action="store_true",
                   help="plug the next stick as soon as the last one's disk is gone, without "
                   "waiting for the guest and the daemon to settle")
    p.add_argument("--smp", type=int, default=2,
                   help="virtual CPUs of the guest (default 2, as the tests; the host has 2 cores)")
    p.add_argument("daemons", nargs="*", default=list(DAEMONS))
    args = p.parse_args()
    if args.analyse:
        with open(args.analyse) as f:
            print(json.dumps(analyse(f.read())))
        return 0
    if not args.source or not args.build:
        p.error("--source and --build are required")
    sys.path.insert(0, os.path.join(args.source, "tests", "vm"))
    vt = __import__("vm-test")
    args.cache = os.path.join(args.source, "tests", "vm", "cache")
    assets, kcache = vt.prepare(args)
    ctx = vt.Ctx(args, assets, kcache)
    ctx.smp = args.smp
    ctx.extra_bins = ["/usr/sbin/usbguard-daemon", "/usr/bin/nice"]   # busybox has no nice
    for d in args.daemons:
        print(json.dumps(dict(run_daemon(ctx, vt, d, args.plugs, args.back_to_back), smp=args.smp)),
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
