#!/usr/bin/env python3
"""vm-test.py - mamori's real-kernel scenarios (QEMU/TCG, Debian's kernel).

usage: vm-test.py --source SRCDIR --build BUILDDIR [--cache DIR] [--keep] SCENARIO...
       vm-test.py --source SRCDIR --build BUILDDIR --setup-only

The first run prepares, under a lock shared by parallel runs:
  CACHE (default SRCDIR/tests/vm/cache, git-ignored): Debian's kernel (fetch-kernel.sh)
  BUILDDIR/tests/vm/assets: stick images (mkimages.sh), the base initramfs
Each scenario boots its own guest, with an overlay initramfs holding what this
build produced. Exit status: 0 all passed, 1 a check failed, 77 QEMU cannot run.
"""
import argparse
import datetime
import fcntl
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vmrig import Machine, VmError  # noqa: E402

SKIP = 77


class Failed(Exception):
    pass


class Ctx:
    """What a scenario needs: paths, a way to boot, and checks that count."""

    def __init__(self, args, assets, kcache):
        self.args = args
        self.assets = assets
        self.img = os.path.join(assets, "img")
        self.kernel = os.path.join(kcache, "vmlinux")
        self.base = os.path.join(assets, "base.cpio")
        self.build = args.build
        self.passed = 0
        self.timings = {}
        self.smp = 2            # virtual CPUs of each guest

    def check(self, cond, what):
        if not cond:
            vm = getattr(self, "vm", None)
            if vm is not None:
                try:
                    print("# agent log and records at the failure:\n" +
                          vm.out("tail -n 40 /tmp/mamorid.log; tail -n 8 /var/lib/mamori/events.log; "
                                 "ps -o pid,stat,comm,args | grep -v ' \\['; ls -l /proc/[0-9]*/fd 2>/dev/null | "
                                 "grep /dev/sd; true"),
                          flush=True)
                except (VmError, OSError, TimeoutError):
                    pass
            raise Failed(what)
        self.passed += 1
        print(f"ok {self.passed} - {what}", flush=True)

    def boot(self, name, bins=(), files=(), append="", extra=(), timeout=120):
        work = os.path.join(self.assets, "runs", name)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        initrds = [self.base]
        if bins or files:
            overlay = os.path.join(work, "overlay.cpio")
            cmd = [os.path.join(HERE, "mkinitramfs.sh")]
            for b in bins:
                cmd += ["--bin", b]
            for f in files:
                cmd += ["--file", f]
            subprocess.run(cmd + [overlay], check=True)
            initrds.append(overlay)
        vm = Machine(self.kernel, initrds, work, append=append, smp=self.smp, extra=extra)
        vm.start(timeout)
        self.vm = vm
        print(f"# {name}: booted in {vm.boot_seconds:.1f} s (console: {vm.console})", flush=True)
        return vm


def usb_path(vm, serial):
    """The sysfs name (e.g. 2-1) of the USB device with this serial, or ''."""
    return vm.out(f"for d in /sys/bus/usb/devices/*; do "
                  f"[ \"$(cat $d/serial 2>/dev/null)\" = '{serial}' ] && basename $d; done; true")


def wait_usb(ctx, vm, serial, timeout=20):
    ok = vm.wait_until(f"grep -qx '{serial}' /sys/bus/usb/devices/*/serial 2>/dev/null", timeout)
    ctx.check(ok, f"USB device with serial {serial} enumerated")
    return usb_path(vm, serial)


def block_of(vm, serial):
    """Block disk name (sda, sr0) belonging to the stick or drive with this serial, or ''."""
    return vm.out(f"for b in /sys/block/sd* /sys/block/sr*; do [ -e $b ] || continue; "
                  f"p=$(readlink -f $b/device); case $p in */usb*) "
                  f"d=${{p%%/host*}}; d=${{d%/*}}; [ \"$(cat $d/serial 2>/dev/null)\" = '{serial}' ] "
                  f"&& basename $b;; esac; done; true")


# --- scenarios without the agent: the kernel behaviour mamori relies on ------
def scenario_kernel_deny(ctx):
    """authorized_default=0 holds back sticks, keyboards and hubs until authorized."""
    vm = ctx.boot("kernel-deny")
    try:
        ctx.check(vm.out("cat /sys/module/usbcore/parameters/authorized_default") == "0",
                  "usbcore.authorized_default is 0")
        t0 = time.monotonic()
        vm.plug_storage("s1", os.path.join(ctx.img, "luks2.img"), serial="KD0001")
        dev = wait_usb(ctx, vm, "KD0001")
        ctx.timings["plug_to_sysfs_s"] = round(time.monotonic() - t0, 3)
        ctx.check(vm.out(f"cat /sys/bus/usb/devices/{dev}/authorized") == "0", "stick is not authorized")
        ctx.check(vm.out(f"ls -d /sys/bus/usb/devices/{dev}:* 2>/dev/null | wc -l") == "0",
                  "unauthorized stick has no interfaces")
        desc = vm.out(f"od -An -v -tx1 /sys/bus/usb/devices/{dev}/descriptors | tr -s ' \\n' ' '")
        ctx.check(" 09 04 00 00 02 08 " in f" {desc} ", "storage class readable from raw descriptors")
        ctx.check(vm.out("ls /sys/block | grep -c '^sd'; true") == "0", "no disk while unauthorized")
        t0 = time.monotonic()
        vm.run(f"echo 1 > /sys/bus/usb/devices/{dev}/authorized")
        ctx.check(vm.wait_until("[ -b /dev/sda ]", 20), "authorizing makes /dev/sda appear")
        ctx.timings["authorize_to_disk_s"] = round(time.monotonic() - t0, 3)
        ctx.check(vm.out("od -An -tx1 -N6 /dev/sda | tr -d ' '") == "4c554b53babe",
                  "LUKS magic readable on /dev/sda")
        vm.run(f"echo 0 > /sys/bus/usb/devices/{dev}/authorized")
        ctx.check(vm.wait_until("[ ! -e /dev/sda ]", 20), "de-authorizing removes the disk")
        vm.unplug("s1", storage=True)
        ctx.check(vm.wait_until(f"[ ! -e /sys/bus/usb/devices/{dev} ]", 20), "unplug removes the device")

        vm.plug("usb-kbd", "kbd1")
        ok = vm.wait_until("grep -qx 0001 /sys/bus/usb/devices/*/idProduct 2>/dev/null && "
                           "grep -l 'QEMU USB Keyboard' /sys/bus/usb/devices/*/product >/dev/null 2>&1", 20)
        ctx.check(ok, "keyboard enumerated")
        kbd = vm.out("dirname $(grep -l 'QEMU USB Keyboard' /sys/bus/usb/devices/*/product)")
        ctx.check(vm.out(f"cat {kbd}/authorized") == "0", "keyboard is not authorized")
        ctx.check(vm.out("ls -l /sys/class/input/ | grep -c '/usb'; true") == "0",
                  "no USB input device yet")
        vm.run(f"echo 1 > {kbd}/authorized")
        ctx.check(vm.wait_until("ls -l /sys/class/input/ | grep '/usb' | grep -q event", 20),
                  "authorized keyboard is an input device")

        vm.plug("usb-hub", "hub1", port="5")
        ok = vm.wait_until("grep -qx 09 /sys/bus/usb/devices/[0-9]-[0-9]/bDeviceClass 2>/dev/null", 20)
        ctx.check(ok, "hub enumerated")
        hub = vm.out("for d in /sys/bus/usb/devices/[0-9]-[0-9]; do "
                     "[ $(cat $d/bDeviceClass) = 09 ] && echo $d; done; true")
        ctx.check(vm.out(f"cat {hub}/authorized") == "0", "hub is not authorized")
        vm.plug_storage("s2", os.path.join(ctx.img, "fat.img"), serial="KD0002", port="5.1")
        ctx.check(not vm.wait_until("grep -qx KD0002 /sys/bus/usb/devices/*/serial 2>/dev/null", 3),
                  "stick behind an unauthorized hub does not enumerate")
        vm.run(f"echo 1 > {hub}/authorized")
        wait_usb(ctx, vm, "KD0002")
        s2 = usb_path(vm, "KD0002")
        ctx.check("." in s2 and vm.out(f"cat /sys/bus/usb/devices/{s2}/authorized") == "0",
                  f"stick behind the authorized hub ({s2}) is still not authorized")
    finally:
        vm.stop()


# --- the encrypted-media check on the real block layer (no agent) ------------
MEDIA_CASES = [
    # image, registered LUKS UUIDs, expected verdict, partition, volumes
    ("luks2.img", ["11111111-2222-4333-8444-555555555555"], "none", 0, 1),
    ("luks1.img", [], "none", 0, 1),
    ("fat.img", [], "unencrypted", 0, 1),
    ("foreign.img", ["11111111-2222-4333-8444-555555555555"], "luks-uuid", 0, 1),
    ("mbr-luks.img", ["11111111-2222-4333-8444-777777777777"], "none", 1, 1),
    ("mixed.img", ["11111111-2222-4333-8444-777777777777"], "unencrypted", 2, 2),
    ("many.img", [], "none", 0, 40),
]


def plug_authorized(ctx, vm, dev_id, image, serial, read_only=False, parts=0):
    vm.plug_storage(dev_id, os.path.join(ctx.img, image), serial=serial, read_only=read_only)
    dev = wait_usb(ctx, vm, serial)
    vm.run(f"echo 1 > /sys/bus/usb/devices/{dev}/authorized")
    ok = vm.wait_until(f"[ -n \"$(ls /sys/block | grep '^sd')\" ]", 20)
    sd = block_of(vm, serial) if ok else ""
    if sd and parts:
        ok = vm.wait_until(f"[ $(ls -d /sys/class/block/{sd}[0-9]* 2>/dev/null | wc -l) -ge {parts} ]", 20)
    ctx.check(ok and sd != "", f"{image} as {serial}: /dev/{sd} appeared")
    return sd


def scenario_media_kernel(ctx):
    """mamori's media check on real /dev/sdX: verdicts, 40 partitions, read-only, unplug."""
    probe = os.path.join(ctx.build, "tests", "vm", "media-probe")
    vm = ctx.boot("media-kernel", bins=[probe])
    try:
        for n, (image, uuids, verdict, part, volumes) in enumerate(MEDIA_CASES):
            sd = plug_authorized(ctx, vm, f"m{n}", image, f"MEDIA{n:03d}",
                                 parts=volumes if volumes > 1 else 0)
            t0 = time.monotonic()
            out = vm.out(f"media-probe /dev/{sd} {' '.join(uuids)}")
            ctx.timings[f"probe_{image}_s"] = round(time.monotonic() - t0, 3)
            want = f"verdict={verdict} partition={part if verdict != 'none' else 0} volumes={volumes} "
            ctx.check(out.startswith(want), f"{image}: {out}")
            vm.unplug(f"m{n}", storage=True)
            ctx.check(vm.wait_until(f"[ ! -e /sys/block/{sd} ]", 20), f"{image}: unplugged, /dev/{sd} is gone")

        sd = plug_authorized(ctx, vm, "ro", "mbr-luks.img", "MEDIARO", parts=1)
        ctx.check(vm.out(f"blockdev --getro /dev/{sd}") == "0", "disk starts read-write")
        out = vm.out(f"media-probe --read-only /dev/{sd}")
        ctx.check(out.startswith("verdict=none"), "read-only grant: medium passes")
        ctx.check(vm.out(f"blockdev --getro /dev/{sd}; blockdev --getro /dev/{sd}1") == "1\n1",
                  "BLKROSET set on the disk and its partition")
        rc, _ = vm.run(f"dd if=/dev/zero of=/dev/{sd}1 bs=512 count=1 conv=fsync", check=False)
        ctx.check(rc != 0, "writing to the read-only partition fails")
        vm.unplug("ro", storage=True)
        ctx.check(vm.wait_until(f"[ ! -e /sys/block/{sd} ]", 20), f"read-only stick unplugged, /dev/{sd} is gone")

        sd = plug_authorized(ctx, vm, "gone", "many.img", "MEDIAGONE", parts=40)
        vm.run(f"media-probe --loop 1000000 /dev/{sd} > /tmp/probe.out 2>&1 & echo $! > /tmp/probe.pid")
        ok = vm.wait_until(f"ls -l /proc/$(cat /tmp/probe.pid)/fd | grep -q /dev/{sd}", 20)
        ctx.check(ok, "the check is reading the disk")
        vm.unplug("gone", storage=True)
        ok = vm.wait_until("! kill -0 $(cat /tmp/probe.pid) 2>/dev/null", 30)
        out = vm.out("cat /tmp/probe.out")
        ctx.check(ok and not out.startswith("verdict=none"),
                  f"unplug during the check ends it without a pass: {out}")
    finally:
        vm.stop()


# --- scenarios with mamorid ---------------------------------------------------
POLICY = """\
policy:
  name: vm-test
  version: "1"
  hide-serials: false
rules:
  - id: vm-hid
    match:
      interfaces:
        only: [hid]
    action: allow
  - id: vm-hubs
    match:
      device-class: hub
    action: allow
  - id: vm-media
    match:
      registered-media: true
    action: allow
    interfaces:
      - class: storage
        action: allow
media:
  - asset: "VM-0001"
    vendor: "46f4"
    product: "0001"
    serial: "REG0001"
    luks-uuids: ["11111111-2222-4333-8444-555555555555"]
  - asset: "VM-0002"
    vendor: "46f4"
    product: "0001"
    serial: "REG0002"
  - asset: "VM-0003"
    vendor: "46f4"
    product: "0001"
    serial: "REG0003"
    luks-uuids: ["11111111-2222-4333-8444-555555555555"]
  - asset: "VM-0004"
    vendor: "46f4"
    product: "0001"
    serial: "REG0004"
    luks-uuids: ["11111111-2222-4333-8444-777777777777"]
  - asset: "VM-0005"
    vendor: "46f4"
    product: "0001"
    serial: "REG0005"
    access: read-only
"""

AGENT_CMD = ("mamorid --policy-dir /etc/mamori/policy.d --state-dir /var/lib/mamori "
             "--runtime-dir /run/mamori")


def mamorid_path(ctx):
    return os.path.join(ctx.build, "agent", "mamorid")


def boot_agent(ctx, name, udev_rule=True, append=""):
    rule = os.path.join(ctx.args.source, "udev-rules", "70-mamori.rules")
    files = [f"{rule}:/lib/udev/rules.d/70-mamori.rules"] if udev_rule and os.path.exists(rule) else []
    probe = os.path.join(ctx.build, "tests", "vm", "media-probe")
    bins = [mamorid_path(ctx)] + ([probe] if os.path.exists(probe) else []) + getattr(ctx, "extra_bins", [])
    vm = ctx.boot(name, bins=bins, files=files, append=append)
    vm.write_file("/etc/mamori/policy.d/50-vm.yaml", POLICY)
    vm.run("mkdir -p /var/lib/mamori /run/mamori")
    return vm


def start_agent(ctx, vm, config=None):
    if not config and os.environ.get("MAMORI_VM_DEBUG"):
        vm.write_file("/etc/mamori/debug.conf", "[Agent]\nLogLevel=debug\n")
        config = "/etc/mamori/debug.conf"
    cmd = AGENT_CMD + (f" --config {config}" if config else "")
    vm.run(f"rm -f /run/mamori/state.json; {cmd} >> /tmp/mamorid.log 2>&1 & echo $! > /tmp/mamorid.pid")
    ok = vm.wait_until("[ -s /run/mamori/state.json ]", 20)
    if not ok:
        print(vm.out("cat /tmp/mamorid.log; true"))
    ctx.check(ok, "mamorid is up (state.json written)")


# a slow stick: 40 partitions probed at this many requests per second take several seconds
SLOW_IOPS = 30

# PIDs of the agent's check children (named mamorid-media) that hold a /dev/sd* node open
CHECKER = ("{ for p in $(grep -lx mamorid-media /proc/[0-9]*/comm 2>/dev/null); do d=${p%/comm}; "
           "ls -l $d/fd 2>/dev/null | grep -q /dev/sd && echo ${d#/proc/}; done; true; }")


def agent_saw(vm, serial, decision, timeout=20):
    """Waits for the event log to record this serial with this decision."""
    return vm.wait_until(f"grep '\"serial\":\"{serial}\"' /var/lib/mamori/events.log 2>/dev/null "
                         f"| grep -q '\"decision\":\"{decision}\"'", timeout)


def authorized(vm, serial):
    dev = usb_path(vm, serial)
    return vm.out(f"cat /sys/bus/usb/devices/{dev}/authorized") if dev else ""


def scenario_agent_usb(ctx):
    """Unregistered stick blocked, registered stick's storage usable, keyboard, hub."""
    vm = boot_agent(ctx, "agent-usb")
    try:
        start_agent(ctx, vm)
        vm.plug_storage("u1", os.path.join(ctx.img, "luks2.img"), serial="UNREG01")
        wait_usb(ctx, vm, "UNREG01")
        ctx.check(agent_saw(vm, "UNREG01", "block"), "agent recorded the unregistered stick as blocked")
        ctx.check(authorized(vm, "UNREG01") == "0", "unregistered LUKS stick is not authorized")
        ctx.check(block_of(vm, "UNREG01") == "", "unregistered stick has no block device")

        t0 = time.monotonic()
        vm.plug_storage("r1", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
        wait_usb(ctx, vm, "REG0001")
        ctx.check(agent_saw(vm, "REG0001", "allow"), "agent recorded the registered stick as allowed")
        ctx.check(authorized(vm, "REG0001") == "1", "registered stick is authorized")
        ok = vm.wait_until("ls /sys/block | grep -q '^sd'", 20)
        ctx.check(ok and block_of(vm, "REG0001") != "", "registered stick's disk appears")
        ctx.timings["plug_to_disk_s"] = round(time.monotonic() - t0, 3)
        sd = block_of(vm, "REG0001")
        ctx.check(vm.out(f"od -An -tx1 -N4 /dev/{sd} | tr -d ' '") == "4c554b53", f"/dev/{sd} is readable")
        ctx.check(authorized(vm, "UNREG01") == "0", "unregistered stick still not authorized")

        vm.plug("usb-kbd", "kbd1")
        ok = vm.wait_until("ls -l /sys/class/input/ | grep '/usb' | grep -q event", 20)
        ctx.check(ok, "keyboard authorized by the hid rule and usable as an input device")

        vm.plug("usb-hub", "hub1", port="5")
        vm.plug_storage("h1", os.path.join(ctx.img, "luks2.img"), serial="UNREG02", port="5.1")
        wait_usb(ctx, vm, "UNREG02")
        ctx.check(usb_path(vm, "UNREG02").count(".") == 1, "stick enumerated behind the authorized hub")
        ctx.check(agent_saw(vm, "UNREG02", "block") and authorized(vm, "UNREG02") == "0",
                  "unregistered stick behind the hub is blocked")
        vm.plug_storage("h2", os.path.join(ctx.img, "luks2.img"), serial="REG0001", port="5.2")
        ok = vm.wait_until("[ $(ls /sys/block | grep -c '^sd') -ge 2 ]", 20)
        ctx.check(ok, "registered stick behind the hub gets its disk")

        vm.unplug("r1", storage=True)
        ctx.check(vm.wait_until(f"[ ! -e /sys/block/{sd} ]", 20), "unplugged stick's disk is gone")
        ctx.check(vm.run("kill -0 $(cat /tmp/mamorid.pid)", check=False)[0] == 0, "mamorid still running")
    finally:
        vm.stop()


def media_event(vm, kind, text, timeout=30):
    """Waits for a media-passed/media-failed record whose line contains text."""
    return vm.wait_until(f"grep '\"{kind}\"' /var/lib/mamori/events.log 2>/dev/null | grep -qF '{text}'", timeout)


def scenario_agent_media(ctx):
    """Registered media: LUKS passes, FAT and foreign LUKS are removed, read-only grant, unplug."""
    vm = boot_agent(ctx, "agent-media")
    try:
        start_agent(ctx, vm)
        # registered LUKS2 stick with its registered UUID: usable, released by the udev rule
        vm.plug_storage("ok", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
        wait_usb(ctx, vm, "REG0001")
        ctx.check(media_event(vm, "media-passed", "All volumes are encrypted"), "LUKS2 stick passes the check")
        sd = block_of(vm, "REG0001")
        ctx.check(sd != "", f"its disk /dev/{sd} stays")
        ok = vm.wait_until(f"udevadm info /dev/{sd} | grep -q 'MAMORI_PENDING=0'", 20)
        ctx.check(ok, "udev no longer tags it pending")
        vm.unplug("ok", storage=True)
        ctx.check(vm.wait_until(f"[ ! -e /sys/block/{sd} ]", 20), f"LUKS2 stick unplugged, /dev/{sd} is gone")

        # registered serial, unencrypted FAT: storage interface de-authorized, disk gone
        vm.plug_storage("fat", os.path.join(ctx.img, "fat.img"), serial="REG0002")
        dev = wait_usb(ctx, vm, "REG0002")
        ctx.check(media_event(vm, "media-failed", "The medium is not encrypted (found: vfat)"),
                  "FAT stick fails: 'The medium is not encrypted (found: vfat)'")
        ctx.check(vm.wait_until(f"[ \"$(cat /sys/bus/usb/devices/{dev}:1.0/authorized)\" = 0 ]", 20),
                  "its storage interface is de-authorized")
        ctx.check(vm.wait_until("[ -z \"$(ls /sys/block | grep '^sd')\" ]", 20), "its disk is gone")
        vm.unplug("fat", storage=True)

        # registered serial, LUKS with a foreign UUID
        vm.plug_storage("fx", os.path.join(ctx.img, "foreign.img"), serial="REG0003")
        wait_usb(ctx, vm, "REG0003")
        ctx.check(media_event(vm, "media-failed", "99999999-8888-4777-8666-555555555555 is not the one"),
                  "foreign LUKS UUID fails, the record names the UUID")
        ctx.check(vm.wait_until("[ -z \"$(ls /sys/block | grep '^sd')\" ]", 20), "its disk is gone")
        vm.unplug("fx", storage=True)

        # MBR + LUKS2 partition with the registered UUID; then a second, unencrypted partition
        vm.plug_storage("mbr", os.path.join(ctx.img, "mbr-luks.img"), serial="REG0004")
        wait_usb(ctx, vm, "REG0004")
        ok = vm.wait_until("ls /sys/block/sd*/sd*1 >/dev/null 2>&1", 20)
        ctx.check(ok and media_event(vm, "media-passed", "All volumes"), "MBR+LUKS stick passes")
        sd = block_of(vm, "REG0004")
        ok = vm.wait_until(f"udevadm info /dev/{sd}1 | grep -q 'MAMORI_PENDING=0'", 20)
        ctx.check(ok, f"its partition /dev/{sd}1 is released too")
        vm.unplug("mbr", storage=True)
        ctx.check(vm.wait_until(f"[ ! -e /sys/block/{sd} ]", 20), f"MBR+LUKS stick unplugged, /dev/{sd} is gone")
        vm.plug_storage("mix", os.path.join(ctx.img, "mixed.img"), serial="REG0004")
        ctx.check(media_event(vm, "media-failed", "Partition 2 is not encrypted"),
                  "LUKS + FAT partitions fail: 'Partition 2 is not encrypted'")
        ctx.check(vm.wait_until("[ -z \"$(ls /sys/block | grep '^sd')\" ]", 20), "its disk is gone")
        vm.unplug("mix", storage=True)

        # read-only grant
        vm.plug_storage("ro", os.path.join(ctx.img, "mbr-luks.img"), serial="REG0005")
        wait_usb(ctx, vm, "REG0005")
        ok = vm.wait_until("grep -c media-passed /var/lib/mamori/events.log | grep -qx 3", 30)
        sd = block_of(vm, "REG0005")
        ctx.check(ok and sd != "", "read-only medium passes")
        ctx.check(vm.out(f"blockdev --getro /dev/{sd}; blockdev --getro /dev/{sd}1") == "1\n1",
                  "read-only grant: disk and partition are read-only")
        rc, _ = vm.run(f"dd if=/dev/zero of=/dev/{sd}1 bs=512 count=1 conv=fsync", check=False)
        ctx.check(rc != 0, "writing to it fails")
        vm.unplug("ro", storage=True)
        ctx.check(vm.wait_until(f"[ ! -e /sys/block/{sd} ]", 20), f"read-only medium unplugged, /dev/{sd} is gone")

        # a slow 40-partition stick takes many seconds to check: the check runs in a child
        # process, so another stick plugged meanwhile is decided and checked at once
        vm.plug_storage("gone", os.path.join(ctx.img, "many.img"), serial="REG0002", iops=SLOW_IOPS)
        ok = vm.wait_until(f"{CHECKER} | grep -q .", 30)
        ctx.check(ok, "a mamorid-media child is reading the 40-partition disk")
        vm.plug_storage("again", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
        ok = vm.wait_until("grep -c media-passed /var/lib/mamori/events.log | grep -qx 4", 60)
        ctx.check(ok, "a second stick plugged meanwhile is checked and passes")
        ctx.check(vm.out(f"{CHECKER} | wc -l") == "1",
                  "... while the 40-partition check is still running")
        # unplugged while being checked: recorded, nothing released, the child goes away
        failed = int(vm.out("grep -c media-failed /var/lib/mamori/events.log; true"))
        vm.unplug("gone", storage=True)
        # the kernel may fail the child's reads just before it reports the removal: either
        # reason is a failure, and the record names the disk
        ok = vm.wait_until(f"[ $(grep -c media-failed /var/lib/mamori/events.log) -gt {failed} ]", 30)
        last = vm.out("grep media-failed /var/lib/mamori/events.log | tail -n 1")
        ctx.check(ok and '"disk":"sda"' in last and ("removed before its encryption check finished" in last or
                                                     "could not be read" in last),
                  "unplug during the check is recorded as a failure of that disk")
        ctx.check(vm.wait_until(f"[ -z \"$({CHECKER})\" ]", 60), "the check's child is gone")
        ctx.check(vm.out("grep -c media-passed /var/lib/mamori/events.log") == "4",
                  "the unplugged disk was not released")
        ctx.check(vm.run("kill -0 $(cat /tmp/mamorid.pid)", check=False)[0] == 0, "mamorid survives")
    finally:
        vm.stop()


def scenario_agent_media_timeouts(ctx):
    """A check that takes too long, and a storage interface whose disk never comes, fail closed."""
    vm = boot_agent(ctx, "agent-media-timeouts")
    try:
        vm.write_file("/etc/mamori/mamorid.conf", "[Agent]\nMediaTimeoutSec=3\n")
        start_agent(ctx, vm, config="/etc/mamori/mamorid.conf")
        # 40 partitions on a slow stick take longer than 3 s to read
        vm.plug_storage("slow", os.path.join(ctx.img, "many.img"), serial="REG0002", iops=SLOW_IOPS)
        dev = wait_usb(ctx, vm, "REG0002")
        ctx.check(media_event(vm, "media-failed", "did not finish within 3 seconds"),
                  "a check over the time limit fails: 'did not finish within 3 seconds'")
        ctx.check(vm.wait_until(f"[ \"$(cat /sys/bus/usb/devices/{dev}:1.0/authorized)\" = 0 ]", 20),
                  "its storage interface is de-authorized")
        ctx.check(vm.wait_until("[ -z \"$(ls /sys/block | grep '^sd')\" ]", 20), "its disk is gone")
        ctx.check(vm.wait_until(f"[ -z \"$({CHECKER})\" ]", 30), "the check's child is gone")
        ctx.check(vm.out("grep -c media-passed /var/lib/mamori/events.log; true") == "0", "nothing released")
        vm.unplug("slow", storage=True)

        # usb-storage told to ignore the device: the interface is authorized, no disk ever comes
        vm.run("echo 46f4:0001:i > /sys/module/usb_storage/parameters/quirks")
        vm.plug_storage("nodisk", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
        dev = wait_usb(ctx, vm, "REG0001")
        ctx.check(media_event(vm, "media-failed", "No disk appeared on the storage device within 3 seconds"),
                  "a storage interface without a disk is recorded: 'No disk appeared ...'")
        ctx.check(vm.out(f"cat /sys/bus/usb/devices/{dev}:1.0/authorized") == "0",
                  "and de-authorized, so a late disk cannot bypass the check")
        vm.unplug("nodisk", storage=True)
        vm.run("echo > /sys/module/usb_storage/parameters/quirks")
        vm.plug_storage("fine", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
        ctx.check(media_event(vm, "media-passed", "All volumes are encrypted"),
                  "with the driver back, the same stick passes within the limit")
    finally:
        vm.stop()


def scenario_agent_media_change(ctx):
    """A new medium in a released drive is pending again until checked (flags name the medium)."""
    vm = boot_agent(ctx, "agent-media-change")
    try:
        start_agent(ctx, vm)
        vm.plug_cdrom("cd", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
        wait_usb(ctx, vm, "REG0001")
        ctx.check(media_event(vm, "media-passed", "All volumes are encrypted"),
                  "USB CD drive, registered, with a LUKS2 disc: the disc passes")
        ok = vm.wait_until("udevadm info /dev/sr0 | grep -q 'MAMORI_PENDING=0'", 20)
        seq = vm.out("cat /sys/block/sr0/diskseq")
        ctx.check(ok and vm.out(f"ls /run/mamori/media") == f"11:0:{seq}",
                  f"released: flag 11:0:{seq} names the disc's sequence number, udev clears the pending tag")
        # media changes are seen by polling, as systemd's 60-block.rules turns on by default
        vm.run("echo 250 > /sys/block/sr0/events_poll_msecs")
        # every event udevd sends for the drive from now on, with the properties its rules set
        vm.run("udevadm monitor --udev --property --subsystem-match=block > /tmp/udev-events.log 2>&1 & "
               "echo $! > /tmp/udev-monitor.pid")
        ctx.check(vm.wait_until("grep -q 'monitor will print' /tmp/udev-events.log", 10),
                  "udevadm monitor is listening before the disc is changed")
        vm.change_medium("cd", os.path.join(ctx.img, "fat.img"))
        ctx.check(media_event(vm, "media-failed", "The medium is not encrypted (found: vfat)"),
                  "the new disc is checked and fails: 'The medium is not encrypted (found: vfat)'")
        vm.run("kill $(cat /tmp/udev-monitor.pid); while kill -0 $(cat /tmp/udev-monitor.pid) 2>/dev/null; "
               "do usleep 20000; done")
        events = [dict(l.split("=", 1) for l in block.splitlines() if "=" in l)
                  for block in vm.out("cat /tmp/udev-events.log").split("\n\n")]
        new = [e for e in events if e.get("DEVNAME") == "/dev/sr0" and e.get("DISKSEQ") not in (None, seq)]
        ctx.check(len(new) > 0, f"the kernel gave the new disc a new sequence number ({len(new)} udev event(s))")
        ctx.check(all(e.get("MAMORI_PENDING") == "1" for e in new),
                  "every udev event of the new disc has it pending: the flag of the old one does not apply")
        dev = usb_path(vm, "REG0001")
        ctx.check(vm.wait_until(f"[ \"$(cat /sys/bus/usb/devices/{dev}:1.0/authorized)\" = 0 ]", 20) and
                  vm.wait_until("[ ! -e /sys/block/sr0 ]", 20),
                  "the drive's storage interface is de-authorized, the disc gone")
        ctx.check(vm.out("grep -c media-passed /var/lib/mamori/events.log") == "1", "only the first disc was released")

        # an empty drive (a card reader without its card) stays pending, not removed, until a
        # medium comes; then that medium is checked
        # (the tray opened for the swap above may have logged "no medium" already: count anew)
        before = int(vm.out("grep -c ': no medium' /tmp/mamorid.log; true") or 0)
        vm.plug_cdrom("empty", None, serial="REG0003")
        dev = wait_usb(ctx, vm, "REG0003")
        ok = vm.wait_until(f"[ $(grep -c ': no medium' /tmp/mamorid.log) -gt {before} ]", 30)
        sr = block_of(vm, "REG0003")
        ctx.check(ok and sr != "" and vm.run(f"udevadm info /dev/{sr} | grep -q 'MAMORI_PENDING=1'",
                                             check=False)[0] == 0,
                  f"empty drive: the agent waits for a medium, its disk {sr} stays pending")
        ctx.check(vm.out(f"cat /sys/bus/usb/devices/{dev}:1.0/authorized") == "1" and
                  vm.out("grep -c media-failed /var/lib/mamori/events.log") == "1",
                  "no failure recorded, the drive stays authorized")
        vm.run(f"echo 250 > /sys/block/{sr}/events_poll_msecs")
        vm.change_medium("empty", os.path.join(ctx.img, "luks2.img"))
        ok = vm.wait_until("grep -c media-passed /var/lib/mamori/events.log | grep -qx 2", 30)
        ctx.check(ok and vm.wait_until(f"udevadm info /dev/{sr} | grep -q 'MAMORI_PENDING=0'", 20),
                  "the disc put in is checked, passes and is released")
    finally:
        vm.stop()


def scenario_agent_restart(ctx):
    """Sticks present at start are decided before monitoring; a restart keeps decisions."""
    vm = boot_agent(ctx, "agent-restart")
    try:
        vm.plug_storage("r1", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
        vm.plug_storage("u1", os.path.join(ctx.img, "luks2.img"), serial="UNREG01")
        wait_usb(ctx, vm, "REG0001")
        wait_usb(ctx, vm, "UNREG01")
        ctx.check(authorized(vm, "REG0001") == "0", "without the agent nothing is authorized")
        start_agent(ctx, vm)
        ctx.check(agent_saw(vm, "REG0001", "allow"), "present registered stick allowed at start")
        ctx.check(agent_saw(vm, "UNREG01", "block"), "present unregistered stick blocked at start")
        ctx.check(vm.wait_until("ls /sys/block | grep -q '^sd'", 20), "registered stick's disk appears")
        ctx.check(authorized(vm, "UNREG01") == "0", "unregistered stick not authorized")
        vm.run("kill $(cat /tmp/mamorid.pid); while kill -0 $(cat /tmp/mamorid.pid) 2>/dev/null; do usleep 20000; done")
        lines = vm.out("wc -l < /var/lib/mamori/events.log")
        # the restarted agent takes USB devices from udevd's events (DeviceEvents=udev)
        vm.write_file("/etc/mamori/udev-events.conf", "[Agent]\nDeviceEvents=udev\n")
        start_agent(ctx, vm, config="/etc/mamori/udev-events.conf")
        ok = vm.wait_until(f"[ $(wc -l < /var/lib/mamori/events.log) -gt {lines} ]", 20)
        ctx.check(ok, "restarted agent records the present devices again")
        ctx.check(authorized(vm, "REG0001") == "1" and authorized(vm, "UNREG01") == "0",
                  "after the restart: registered authorized, unregistered not")
        ctx.check(block_of(vm, "REG0001") != "" and block_of(vm, "UNREG01") == "",
                  "after the restart: only the registered stick has a disk")
        ctx.check(vm.run("grep -q 'USB devices: udev events' /tmp/mamorid.log", check=False)[0] == 0,
                  "DeviceEvents=udev: the agent listens to udevd for USB devices")
        vm.plug_storage("r2", os.path.join(ctx.img, "luks2.img"), serial="REG0003")
        vm.plug_storage("u2", os.path.join(ctx.img, "luks2.img"), serial="UNREG02")
        ctx.check(agent_saw(vm, "REG0003", "allow") and agent_saw(vm, "UNREG02", "block"),
                  "DeviceEvents=udev: hot-plugged sticks are decided")
        ok = vm.wait_until("grep -c media-passed /var/lib/mamori/events.log | grep -qx 2", 30)
        ctx.check(ok and authorized(vm, "UNREG02") == "0" and block_of(vm, "REG0003") != "",
                  "DeviceEvents=udev: the registered stick's disk passes, the unregistered stick stays blocked")
    finally:
        vm.stop()


def scenario_agent_clock(ctx):
    """A registration that ends at midnight: the wall clock set past it de-authorizes the stick."""
    vm = boot_agent(ctx, "agent-clock")
    try:
        today = vm.out("date +%Y-%m-%d")
        vm.write_file("/etc/mamori/policy.d/60-clock.yaml",
                      'media:\n  - asset: "VM-CLOCK"\n    vendor: "46f4"\n    product: "0001"\n'
                      f'    serial: "REGCLK1"\n    valid-until: {today}\n')
        start_agent(ctx, vm)
        vm.plug_storage("c1", os.path.join(ctx.img, "luks2.img"), serial="REGCLK1")
        wait_usb(ctx, vm, "REGCLK1")
        ctx.check(agent_saw(vm, "REGCLK1", "allow"), "stick allowed while its registration runs")
        ctx.check(authorized(vm, "REGCLK1") == "1", "stick authorized")
        # The guest's clock jumps to tomorrow, as an NTP step or an operator would set it.
        tomorrow = (datetime.date.fromisoformat(today) + datetime.timedelta(days=1)).isoformat()
        vm.run(f"date -s '{tomorrow} 00:00:05' >/dev/null")
        ctx.check(agent_saw(vm, "REGCLK1", "block"), "stick blocked once the clock is past its valid-until")
        ctx.check(vm.wait_until(f"[ $(cat /sys/bus/usb/devices/{usb_path(vm, 'REGCLK1')}/authorized) = 0 ]", 20),
                  "expired stick de-authorized")
        ctx.check(vm.run("grep -q 'wall clock was set' /tmp/mamorid.log", check=False)[0] == 0,
                  "the agent says it re-decided on the clock change")
    finally:
        vm.stop()


def scenario_agent_sigkill(ctx):
    """SIGKILL while a stick is plugged: nothing new opens up (the kernel keeps denying)."""
    vm = boot_agent(ctx, "agent-sigkill")
    try:
        start_agent(ctx, vm)
        vm.plug_storage("u1", os.path.join(ctx.img, "luks2.img"), serial="UNREG01")
        wait_usb(ctx, vm, "UNREG01")
        ctx.check(agent_saw(vm, "UNREG01", "block"), "unregistered stick blocked")
        vm.run("kill -KILL $(cat /tmp/mamorid.pid); while kill -0 $(cat /tmp/mamorid.pid) 2>/dev/null; do usleep 20000; done")
        ctx.check(authorized(vm, "UNREG01") == "0", "plugged stick still not authorized after SIGKILL")
        # Plugged while no agent runs: the kernel alone decides, and must deny. (The umockdev
        # case sigkill-fails-closed cannot show this: its sysfs has no kernel behind it.)
        vm.plug_storage("u2", os.path.join(ctx.img, "fat.img"), serial="UNREG03")
        vm.plug("usb-kbd", "kbd1")
        stick = wait_usb(ctx, vm, "UNREG03")
        ok = vm.wait_until("grep -qx 0627 /sys/bus/usb/devices/*/idVendor 2>/dev/null", 20)
        kbd = vm.out("grep -lx 0627 /sys/bus/usb/devices/*/idVendor | head -n 1 | xargs dirname | xargs basename") \
            if ok else ""
        ctx.check(stick != "" and kbd != "", f"stick ({stick}) and keyboard ({kbd}) plugged after the kill enumerated")
        # the kernel's generic driver has probed both (and found them unauthorized): its part is done
        for dev in (stick, kbd):
            ctx.check(vm.wait_until(f"dmesg | grep -q 'usb {dev}: Device is not authorized for usage'", 20),
                      f"kernel log: {dev} probed, 'Device is not authorized for usage'")
        for dev, what in ((stick, "stick"), (kbd, "keyboard")):
            ctx.check(vm.out(f"cat /sys/bus/usb/devices/{dev}/authorized") == "0",
                      f"{what} plugged while the agent is dead is not authorized")
            ctx.check(vm.out(f"ls -d /sys/bus/usb/devices/{dev}:* 2>/dev/null | wc -l") == "0",
                      f"{what} has no interfaces (never configured)")
            ctx.check(vm.out(f"dmesg | grep -c 'usb {dev}: authorized to connect'; true") == "0",
                      f"kernel log: {what} ({dev}) was never authorized, not even briefly")
        ctx.check(vm.out("ls /sys/block | grep -c '^sd'; true") == "0", "no disk at all")
        ctx.check(vm.out("ls -l /sys/class/input/ | grep -c '/usb'; true") == "0", "no USB input device")
        ctx.check(vm.out("cat /sys/bus/usb/devices/usb*/authorized_default | sort -u") == "0",
                  "root hubs still deny by default")
    finally:
        vm.stop()


# --- the Debian guest: mamorid installed by meson, run by systemd -------------
BOOT_STICKS = [
    # QEMU id, image, serial: present when the machine is switched on (coldplug)
    ("b1", "luks2.img", "BOOTUNREG"),
    ("b2", "luks2.img", "REG0003"),
]
MSG_ALLOWED = "b2f6ff90c1d4432a81e92f5f316b7e39"
MSG_BLOCKED = "a2f7c104ca104ff98e5ddb1db007d307"
MSG_MEDIA_PASSED = "8e8874ba43a740eb80a304c979071087"
MSG_MEDIA_FAILED = "6f74027217e14f2b8a977de8d83af38e"


def debian_image(ctx, work):
    """The cached debootstrap tree (mkrootfs.sh) + `meson install` of this build + the unit enabled
    + the test policy, as an ext4 image. Returns its path."""
    import json
    cache = os.path.join(ctx.args.cache, "debian")
    t0 = time.monotonic()
    subprocess.run([os.path.join(HERE, "mkrootfs.sh"), os.path.dirname(ctx.kernel), cache], check=True)
    ctx.timings["rootfs_cache_s"] = round(time.monotonic() - t0, 1)
    t0 = time.monotonic()
    tree = os.path.join(work, "tree")
    subprocess.run(["cp", "-a", "--reflink=auto", os.path.join(cache, "tree"), tree], check=True)
    subprocess.run(["meson", "install", "-C", ctx.build, "--destdir", tree, "--no-rebuild", "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    opts = subprocess.run(["meson", "introspect", ctx.build, "--buildoptions"], check=True,
                          capture_output=True, text=True).stdout
    opt = {o["name"]: o["value"] for o in json.loads(opts)}
    prefix = opt["prefix"]
    # what `systemctl enable mamorid` does ([Install] WantedBy=sysinit.target)
    unit = os.path.join(prefix, "lib", "systemd", "system", "mamorid.service")
    wants = os.path.join(tree, "etc", "systemd", "system", "sysinit.target.wants")
    os.makedirs(wants, exist_ok=True)
    os.symlink(unit, os.path.join(wants, "mamorid.service"))
    sysconfdir = opt["sysconfdir"] if os.path.isabs(opt["sysconfdir"]) else os.path.join(prefix, opt["sysconfdir"])
    policy_dir = os.path.join(tree, sysconfdir.lstrip("/"), "mamori", "policy.d")
    os.makedirs(policy_dir, exist_ok=True)
    with open(os.path.join(policy_dir, "50-vm.yaml"), "w") as f:
        f.write(POLICY)
    image = os.path.join(work, "rootfs.ext4")
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", tree, "-F", image, "1G"], check=True)
    shutil.rmtree(tree)
    ctx.timings["rootfs_image_s"] = round(time.monotonic() - t0, 1)
    return image


def journal(vm, *matches):
    """The journal records of this boot that carry all these FIELD=value matches, as dicts."""
    import json
    out = vm.out("journalctl -b -o json --no-pager " + " ".join(f"'{m}'" for m in matches))
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def wait_disk(vm, serial, timeout):
    """Waits for the block disk of the stick with this serial; its name or ''."""
    cond = (f"for b in /sys/block/sd*; do p=$(readlink -f $b/device); d=${{p%%/host*}}; d=${{d%/*}}; "
            f"[ \"$(cat $d/serial 2>/dev/null)\" = '{serial}' ] && exit 0; done; false")
    return block_of(vm, serial) if vm.wait_until(f"( {cond} )", timeout) else ""


def unit_usec(vm, unit, prop):
    return int(vm.out(f"systemctl show -p {prop} --value {unit}") or 0)


def scenario_debian_unit(ctx):
    """meson install into a debootstrap'ed Debian; mamorid runs as its systemd unit, from boot on."""
    for tool in ("debootstrap", "mke2fs"):
        if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
            print(f"SKIP: debian-unit needs {tool} (apt-get install debootstrap e2fsprogs)")
            sys.exit(SKIP)
    if os.geteuid() != 0:
        print("SKIP: debian-unit needs root (debootstrap, and file ownership in the guest image)")
        sys.exit(SKIP)
    work = os.path.join(ctx.assets, "runs", "debian-unit")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    image = debian_image(ctx, work)
    print(f"# debian-unit: root file system ready {ctx.timings}", flush=True)

    extra = ["-drive", f"file={image},if=virtio,format=raw,snapshot=on"]
    for dev_id, img, serial in BOOT_STICKS:
        extra += ["-blockdev", f"driver=raw,node-name={dev_id}-blk,file.driver=file,"
                  f"file.filename={os.path.join(ctx.img, img)},file.locking=off",
                  "-device", f"usb-storage,id={dev_id},drive={dev_id}-blk,serial={serial},"
                  "bus=xhci.0,removable=on"]
    vm = Machine(ctx.kernel, [ctx.base], work, append="mamori.root=/dev/vda log_buf_len=4M", mem=768, extra=extra)
    vm.start(240)
    ctx.vm = vm
    ctx.timings["boot_s"] = round(vm.boot_seconds, 1)
    print(f"# debian-unit: booted in {vm.boot_seconds:.1f} s", flush=True)
    try:
        ok = vm.wait_until("systemctl is-active -q mamorid.service && "
                           "[ \"$(systemctl show -p ActiveState --value systemd-udev-trigger)\" = active ]", 60)
        ctx.check(ok, "mamorid.service and the coldplug trigger are active")
        # field 19 of /proc/PID/stat is the nice value the unit's Nice= set
        nice = vm.out("cut -d' ' -f19 /proc/$(systemctl show -p MainPID --value mamorid)/stat")
        ctx.check(nice == "-10", f"mamorid runs at the unit's Nice=-10 (nice {nice})")

        # --- started at boot, before devices are usable
        ctx.check("systemd-udev-trigger.service" in vm.out("systemctl show -p Before --value mamorid").split(),
                  "unit ordering: mamorid.service is Before=systemd-udev-trigger.service")
        ready = unit_usec(vm, "mamorid", "ActiveEnterTimestampMonotonic")
        trigger = unit_usec(vm, "systemd-udev-trigger", "InactiveExitTimestampMonotonic")
        ctx.check(0 < ready < trigger, f"mamorid was ready ({ready / 1e6:.2f} s) before the coldplug trigger "
                  f"started ({trigger / 1e6:.2f} s)")
        # the first root hub in the kernel's log (short-monotonic: "[   18.349867] kernel: usb usb1: ...")
        # (journald may still be importing the kernel's boot messages: wait for them)
        ctx.check(vm.wait_until("journalctl -b -k --no-pager | grep -q 'usb usb[0-9]*: New USB device found'", 30),
                  "journal: the kernel's boot messages name the first root hub")
        line = vm.out("journalctl -b -k -o short-monotonic --no-pager | "
                      "grep -m 1 'usb usb[0-9]*: New USB device found'; true")
        first = int(float(line.split("]")[0].strip("[ ")) * 1e6) if line.startswith("[") else 0
        ctx.check(0 < ready < first,
                  f"mamorid was ready before the first USB controller came up ({first / 1e6:.2f} s)")
        ctx.check(vm.out("cat /sys/bus/usb/devices/usb*/interface_authorized_default | sort -u") == "0",
                  "root hubs: interface_authorized_default=0 (udev rule and agent)")
        ctx.check(vm.out("cat /sys/bus/usb/devices/[0-9]*-0:1.0/authorized | sort -u") == "1",
                  "root hubs' own interfaces stay authorized (their hub driver serves the ports)")

        # --- sticks present at boot: decided on coldplug
        for _, _, serial in BOOT_STICKS:
            wait_usb(ctx, vm, serial, 60)
        sd0 = wait_disk(vm, "REG0003", 60)
        ctx.check(sd0 != "", f"registered stick present at boot: its disk /dev/{sd0} appears")
        ok = vm.wait_until(f"journalctl -b -u mamorid DISK={sd0} PRIORITY=6 -o cat | grep -q .", 30)
        ctx.check(ok, f"journal: /dev/{sd0} passed the media check")
        boot_unreg = usb_path(vm, "BOOTUNREG")
        ctx.check(authorized(vm, "BOOTUNREG") == "0" and block_of(vm, "BOOTUNREG") == "",
                  f"unregistered stick present at boot ({boot_unreg}) is not authorized, has no disk")
        kmsgs = [r.get("MESSAGE", "") for r in journal(vm, "_TRANSPORT=kernel")]
        ctx.check(f"usb {boot_unreg}: Device is not authorized for usage" in kmsgs and
                  f"usb {boot_unreg}: authorized to connect" not in kmsgs,
                  "kernel log: the unregistered boot stick was never authorized, not even briefly")

        # --- hot-plug
        vm.plug_storage("u1", os.path.join(ctx.img, "luks2.img"), serial="UNREG01")
        vm.plug_storage("r1", os.path.join(ctx.img, "luks2.img"), serial="REG0001")
        wait_usb(ctx, vm, "UNREG01")
        wait_usb(ctx, vm, "REG0001")
        sd = wait_disk(vm, "REG0001", 30)
        ctx.check(sd != "", f"registered stick's disk /dev/{sd} appears")
        ctx.check(authorized(vm, "UNREG01") == "0" and block_of(vm, "UNREG01") == "",
                  "unregistered hot-plugged stick is not authorized, has no disk")
        ok = vm.wait_until(f"journalctl -b -u mamorid DISK={sd} PRIORITY=6 -o cat | grep -q .", 30)
        ctx.check(ok, f"journal: /dev/{sd} passed the media check (DISK={sd}, PRIORITY=6)")
        vm.plug_storage("f1", os.path.join(ctx.img, "fat.img"), serial="REG0002")
        wait_usb(ctx, vm, "REG0002")
        fat = usb_path(vm, "REG0002")
        ok = vm.wait_until(f"journalctl -b -u mamorid DEVICE_ID={fat} PRIORITY=4 -o cat | grep -q vfat", 30)
        ctx.check(ok, f"journal: the FAT stick ({fat}) failed the media check, reason names vfat")
        ok = vm.wait_until(f"[ \"$(cat /sys/bus/usb/devices/{fat}:1.0/authorized)\" = 0 ] && "
                           f"[ -z \"$(ls /sys/bus/usb/devices/{fat}:1.0 | grep '^host')\" ]", 20)
        ctx.check(ok, "the FAT stick's storage interface is de-authorized, its disk removed")

        # --- the records, by MESSAGE_ID
        allowed = {r.get("SERIAL") for r in journal(vm, f"MESSAGE_ID={MSG_ALLOWED}")}
        blocked = {r.get("SERIAL") for r in journal(vm, f"MESSAGE_ID={MSG_BLOCKED}")}
        print(f"# MESSAGE_ID allowed: {sorted(filter(None, allowed))}, blocked: {sorted(filter(None, blocked))}")
        ctx.check({"REG0001", "REG0002", "REG0003"} <= allowed and not allowed & {"BOOTUNREG", "UNREG01"},
                  f"journalctl MESSAGE_ID={MSG_ALLOWED}: exactly the registered sticks")
        ctx.check({"BOOTUNREG", "UNREG01"} <= blocked and not blocked & {"REG0001", "REG0002", "REG0003"},
                  f"journalctl MESSAGE_ID={MSG_BLOCKED}: exactly the unregistered sticks")
        recs = journal(vm, f"MESSAGE_ID={MSG_BLOCKED}", "SERIAL=UNREG01")
        ctx.check(recs and all(r.get("_SYSTEMD_UNIT") == "mamorid.service" and r.get("DECISION") and
                               r.get("VID_PID") == "46f4:0001" for r in recs),
                  "blocked record: from mamorid.service, with DECISION and VID_PID fields")
        passed = {r.get("DISK") for r in journal(vm, f"MESSAGE_ID={MSG_MEDIA_PASSED}")}
        failed = {r.get("DEVICE_ID") for r in journal(vm, f"MESSAGE_ID={MSG_MEDIA_FAILED}")}
        ctx.check({sd0, sd} <= passed, f"journalctl MESSAGE_ID={MSG_MEDIA_PASSED}: the registered LUKS disks")
        ctx.check(failed == {fat}, f"journalctl MESSAGE_ID={MSG_MEDIA_FAILED}: exactly the FAT stick ({fat})")

        # --- SIGKILL: systemd restarts it, nothing opens up
        ctx.check(vm.out("systemctl show -p NRestarts --value mamorid") == "0",
                  "mamorid has not crashed or been restarted so far (NRestarts=0)")
        # a root hub interface left unauthorized (the deny default written before the kernel
        # created it, while no agent ran) loses its hub driver; the agent's start repairs it
        vm.run("echo 0 > /sys/bus/usb/devices/1-0:1.0/authorized")
        ctx.check(vm.wait_until("[ ! -e /sys/bus/usb/devices/1-0:1.0/driver ]", 10),
                  "root hub interface 1-0:1.0 de-authorized by hand: its hub driver is gone")
        pid = vm.out("systemctl show -p MainPID --value mamorid")
        vm.run("systemctl kill -s KILL mamorid.service")
        ok = vm.wait_until(f"p=$(systemctl show -p MainPID --value mamorid); [ \"$p\" != 0 ] && [ \"$p\" != {pid} ] "
                           "&& systemctl is-active -q mamorid", 60)
        ctx.check(ok and vm.out("systemctl show -p NRestarts --value mamorid") == "1",
                  "systemd restarts mamorid after SIGKILL (NRestarts=1)")
        ctx.check(authorized(vm, "UNREG01") == "0" and authorized(vm, "BOOTUNREG") == "0"
                  and block_of(vm, "REG0001") != "" and block_of(vm, "REG0003") != "",
                  "after the restart: unregistered sticks still blocked, registered disks still there")
        ok = vm.wait_until("[ \"$(cat /sys/bus/usb/devices/1-0:1.0/authorized)\" = 1 ] && "
                           "[ -e /sys/bus/usb/devices/1-0:1.0/driver ]", 20)
        ctx.check(ok, "the restarted agent authorized root hub interface 1-0:1.0 again, its hub driver is bound")
    finally:
        vm.stop()


SCENARIOS = {
    "kernel-deny": scenario_kernel_deny,
    "media-kernel": scenario_media_kernel,
    "agent-usb": scenario_agent_usb,
    "agent-media": scenario_agent_media,
    "agent-media-timeouts": scenario_agent_media_timeouts,
    "agent-media-change": scenario_agent_media_change,
    "agent-restart": scenario_agent_restart,
    "agent-sigkill": scenario_agent_sigkill,
    "agent-clock": scenario_agent_clock,
    "debian-unit": scenario_debian_unit,
}


def prepare(args):
    """Kernel, images and base initramfs; built once, reused while up to date."""
    kcache = os.path.join(args.cache, "kernel")
    assets = os.path.join(args.build, "tests", "vm", "assets")
    os.makedirs(assets, exist_ok=True)
    os.makedirs(args.cache, exist_ok=True)
    with open(os.path.join(assets, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        t0 = time.monotonic()
        subprocess.run([os.path.join(HERE, "fetch-kernel.sh"), kcache], check=True,
                       stdout=subprocess.DEVNULL)
        stamp_src = max(os.path.getmtime(os.path.join(HERE, f)) for f in ("mkimages.sh",))
        img = os.path.join(assets, "img")
        if not os.path.exists(os.path.join(img, ".done")) or \
                os.path.getmtime(os.path.join(img, ".done")) < stamp_src:
            subprocess.run([os.path.join(HERE, "mkimages.sh"), img], check=True)
            open(os.path.join(img, ".done"), "w").close()
        base = os.path.join(assets, "base.cpio")
        srcs = [os.path.join(HERE, f) for f in ("mkinitramfs.sh", "guest-init.sh", "guest-control.sh")]
        if not os.path.exists(base) or os.path.getmtime(base) < max(map(os.path.getmtime, srcs)):
            subprocess.run([os.path.join(HERE, "mkinitramfs.sh"), "--kernel", kcache, "--udevd", base],
                           check=True)
        print(f"# assets ready in {time.monotonic() - t0:.1f} s ({assets})", flush=True)
    return assets, kcache


def qemu_unusable():
    """A reason why QEMU cannot run here, or None."""
    if not shutil.which("qemu-system-x86_64"):
        return "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
    r = subprocess.run(["qemu-system-x86_64", "-accel", "help"], capture_output=True, text=True)
    if r.returncode != 0 or "tcg" not in r.stdout:
        return "qemu-system-x86_64 has no TCG accelerator"
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--cache")
    p.add_argument("--setup-only", action="store_true")
    p.add_argument("scenarios", nargs="*")
    args = p.parse_args()
    args.cache = args.cache or os.path.join(args.source, "tests", "vm", "cache")
    why = qemu_unusable()
    if why:
        print(f"SKIP: {why}")
        return SKIP
    assets, kcache = prepare(args)
    if args.setup_only:
        return 0
    ctx = Ctx(args, assets, kcache)
    status = 0
    for name in args.scenarios:
        t0 = time.monotonic()
        try:
            SCENARIOS[name](ctx)
            print(f"# {name}: passed in {time.monotonic() - t0:.1f} s {ctx.timings}", flush=True)
        except (Failed, VmError, TimeoutError) as e:
            print(f"not ok - {name}: {e}", flush=True)
            run = os.path.join(assets, "runs", name, "console.log")
            if os.path.exists(run):
                print(f"# console tail ({run}):")
                with open(run, errors="replace") as f:
                    print("".join(f.readlines()[-25:]))
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
