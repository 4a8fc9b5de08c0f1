#!/usr/bin/env python3
"""vm-deb.py - scenario debian-deb: the mamori-agent package's whole life in a Debian 12 guest.

usage: vm-deb.py --source SRCDIR --build BUILDDIR [--cache DIR]

The debootstrap'ed guest of vm-test.py's debian-unit (mkrootfs.sh and its cache), without
`meson install`: the package built by packaging/build-deb.sh (into BUILDDIR/tests/deb/out, the
'deb' suite's directory; rebuilt only when the sources changed) and a copy with a higher
version are put in /root/debs. The guest has no network, so the package's Depends must be in
the image already. A stand-in update-grub logs the kernel command line grub-mkconfig would
write (in /usr/sbin, where the real one is: apt runs dpkg with PATH=/usr/sbin:/usr/bin:/sbin:/bin,
DPkg::Path). Then:

  boot 1  apt-get install ./mamori-agent_*.deb; the unit enabled and running; update-grub adds
          usbcore.authorized_default=2; a city's example policy copied to /etc/mamori/policy.d
  boot 2  the agent ready before udev's coldplug trigger; a hot-plugged unregistered stick
          blocked, a keyboard allowed; upgrade with both plugged in, their `authorized` read in
          a loop all the while (the stick's never 1, and the kernel never logs it authorized;
          the keyboard's never 0); the new binary runs;
          apt-get remove: the agent stops, a stick plugged afterwards stays blocked, update-grub
          drops the parameter; apt-get purge: nothing of the package is left on the disk.

Exit status: 0 passed, 1 a check failed, 77 skipped (with the reason on stdout).
"""
import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from vmrig import Machine, VmError  # noqa: E402

_spec = importlib.util.spec_from_file_location("vm_test", os.path.join(HERE, "vm-test.py"))
vt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(vt)

SKIP = 77
UPGRADE_SUFFIX = "+vmupgrade1"
MSG_POLICY_LOADED = "b85f8f1f9a664a59ac4ef0c3ca6c97c9"
APT = "cd /root/debs && DEBIAN_FRONTEND=noninteractive apt-get -y -q"

FAKE_UPDATE_GRUB = """\
#!/bin/sh
# test stand-in for update-grub: reads the defaults as grub-mkconfig does and logs the command
# line it would give the kernel
GRUB_CMDLINE_LINUX=""
GRUB_CMDLINE_LINUX_DEFAULT="quiet"
for x in /etc/default/grub.d/*.cfg; do
        if [ -e "$x" ]; then . "$x"; fi
done
echo "linux $GRUB_CMDLINE_LINUX $GRUB_CMDLINE_LINUX_DEFAULT" >> /var/log/update-grub.log
"""

# watch-authorized DEV...: reads the devices' (or interfaces') `authorized` in a loop and logs
# "UPTIME DEV=VALUE..." whenever one changes, until /run/watch.stop exists. `read` is a shell
# builtin: no process is started per round.
WATCH = """\
#!/bin/sh
prev=
n=0
echo $$ > /run/watch.pid
while [ ! -e /run/watch.stop ]; do
        cur=
        for d in "$@"; do
                read -r a < "/sys/bus/usb/devices/$d/authorized" || a=gone
                cur="$cur $d=$a"
        done
        n=$((n + 1))
        if [ "$cur" != "$prev" ]; then echo "$(cut -d' ' -f1 /proc/uptime)$cur"; prev=$cur; fi
done > /run/watch.log
echo "$(cut -d' ' -f1 /proc/uptime) reads=$n" > /run/watch.end
rm -f /run/watch.pid
"""


def skip_reason(args):
    for tool in ("debootstrap", "mke2fs", "dpkg-buildpackage", "dh", "fakeroot", "dpkg-deb"):
        if not shutil.which(tool, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin"):
            return f"debian-deb needs {tool} (apt-get install debootstrap e2fsprogs debhelper dpkg-dev fakeroot)"
    if os.geteuid() != 0:
        return "debian-deb needs root (debootstrap, and file ownership in the guest image)"
    return vt.qemu_unusable()


def build_debs(ctx, work):
    """The package (build-deb.sh) and a copy of it with a higher version; their file names."""
    out = os.path.join(ctx.build, "tests", "deb", "out")
    t0 = time.monotonic()
    subprocess.run([os.path.join(ctx.args.source, "packaging", "build-deb.sh"), out], check=True,
                   stdout=subprocess.DEVNULL)
    ctx.timings["build_deb_s"] = round(time.monotonic() - t0, 1)
    arch = subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True,
                          text=True).stdout.strip()
    version = subprocess.run(["dpkg-parsechangelog", "-l",
                              os.path.join(ctx.args.source, "packaging", "debian", "changelog"),
                              "-S", "Version"], check=True, capture_output=True, text=True).stdout.strip()
    first = os.path.join(out, f"mamori-agent_{version}_{arch}.deb")
    # the upgrade: the same files under a higher version, so dpkg replaces every one of them
    unpacked = os.path.join(work, "upgrade")
    subprocess.run(["dpkg-deb", "-R", first, unpacked], check=True)
    control = os.path.join(unpacked, "DEBIAN", "control")
    with open(control, encoding="utf-8") as f:
        text = f.read().replace(f"\nVersion: {version}\n", f"\nVersion: {version}{UPGRADE_SUFFIX}\n")
    with open(control, "w", encoding="utf-8") as f:
        f.write(text)
    second = os.path.join(work, f"mamori-agent_{version}{UPGRADE_SUFFIX}_{arch}.deb")
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", unpacked, second], check=True,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(unpacked)
    return version, first, second


def deb_image(ctx, work, debs):
    """The cached debootstrap tree with the packages in /root/debs and the update-grub
    stand-in, as an ext4 image (written to by the guest: it lives across the reboot)."""
    cache = os.path.join(ctx.args.cache, "debian")
    t0 = time.monotonic()
    subprocess.run([os.path.join(HERE, "mkrootfs.sh"), os.path.dirname(ctx.kernel), cache], check=True)
    tree = os.path.join(work, "tree")
    subprocess.run(["cp", "-a", "--reflink=auto", os.path.join(cache, "tree"), tree], check=True)
    os.makedirs(os.path.join(tree, "root", "debs"), exist_ok=True)
    for deb in debs:
        shutil.copy(deb, os.path.join(tree, "root", "debs"))
    for path, text in (("usr/sbin/update-grub", FAKE_UPDATE_GRUB),
                       ("usr/local/sbin/watch-authorized", WATCH)):
        with open(os.path.join(tree, path), "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(os.path.join(tree, path), 0o755)
    os.makedirs(os.path.join(tree, "boot", "grub"), exist_ok=True)
    open(os.path.join(tree, "boot", "grub", "grub.cfg"), "w").close()
    image = os.path.join(work, "rootfs.ext4")
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", tree, "-F", image, "1G"], check=True)
    shutil.rmtree(tree)
    ctx.timings["rootfs_image_s"] = round(time.monotonic() - t0, 1)
    return image


def boot(ctx, work, image, n):
    extra = ["-drive", f"file={image},if=virtio,format=raw"]
    vm = Machine(ctx.kernel, [ctx.base], os.path.join(work, f"boot{n}"),
                 append="mamori.root=/dev/vda log_buf_len=4M usbcore.authorized_default=2", mem=768,
                 extra=extra)
    vm.start(240)
    ctx.vm = vm
    ctx.timings[f"boot{n}_s"] = round(vm.boot_seconds, 1)
    print(f"# debian-deb: boot {n} in {vm.boot_seconds:.1f} s (console: {vm.console})", flush=True)
    return vm


def reboot(ctx, vm):
    """systemctl reboot in the guest; QEMU (-no-reboot) exits once the guest has shut down."""
    try:
        vm.run("systemctl --no-block reboot")
    except (VmError, TimeoutError):
        pass            # the shutdown may stop the control channel before it answers
    try:
        vm.proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        raise vt.Failed("the guest did not shut down within 120 s") from None
    vm.stop()
    ctx.vm = None


def apt(ctx, vm, what, key):
    t0 = time.monotonic()
    rc, out = vm.run(f"{APT} {what} 2>&1", timeout=300, check=False)
    ctx.timings[key] = round(time.monotonic() - t0, 1)
    lines = [line for line in out.splitlines() if not line.startswith("(Reading database")]
    print("".join(f"#   {line}\n" for line in lines[-12:]), end="", flush=True)
    return rc, out


def status(vm):
    return vm.out("dpkg-query -W -f='${db:Status-Abbrev}${Version}' mamori-agent 2>/dev/null; true")


def grub_cmdline(vm):
    return vm.out("tail -n 1 /var/log/update-grub.log 2>/dev/null; true")


def kernel_authorized(vm, dev):
    """Whether the kernel logged this boot that it authorized the device."""
    return f"usb {dev}: authorized to connect" in [r.get("MESSAGE", "") for r in vt.journal(vm, "_TRANSPORT=kernel")]


def first_boot(ctx, vm, version, first):
    check = ctx.check
    check(status(vm) == "", "mamori-agent is not installed in the fresh guest")
    rc, out = apt(ctx, vm, f"install ./{os.path.basename(first)}", "install_s")
    check(rc == 0, f"apt-get install ./{os.path.basename(first)} (offline: every Depends already there)")
    check(status(vm) == f"ii {version}", f"dpkg: mamori-agent {version} installed")
    check(vm.out("systemctl is-enabled mamorid.service; true") == "enabled", "mamorid.service is enabled")
    check(vm.wait_until("systemctl is-active -q mamorid.service", 30), "mamorid.service is running")
    check(vm.out("cat /sys/bus/usb/devices/usb*/authorized_default | sort -u") == "0",
          "root hubs: authorized_default=0")
    check("usbcore.authorized_default=2" in grub_cmdline(vm).split(),
          f"postinst ran update-grub, which adds the parameter ({grub_cmdline(vm)!r})")
    check(vm.out("stat -c '%a %U' /etc/mamori/policy.d /etc/mamori/mamorid.conf | tr '\\n' ' '")
          == "755 root 644 root", "/etc/mamori/policy.d and mamorid.conf: root's, not writable by others")
    check(vm.out("ls -A /etc/mamori/policy.d | wc -l") == "0", "policy.d starts empty")
    vm.run("install -m 0644 -o root -g root /usr/share/mamori/examples/default/*.yaml /etc/mamori/policy.d/")
    check(vm.run("mamorictl policy lint /etc/mamori/policy.d", check=False)[0] == 0,
          "mamorictl policy lint accepts the copied example policy")
    ok = vm.wait_until(f"journalctl -b -u mamorid MESSAGE_ID={MSG_POLICY_LOADED} -o cat | grep -q .", 30)
    check(ok, "the running agent put the copied policy in force (policy loaded record)")


def second_boot(ctx, vm, version, second):
    check = ctx.check
    check(vm.wait_until("systemctl is-active -q mamorid.service && "
                        "[ \"$(systemctl show -p ActiveState --value systemd-udev-trigger)\" = active ]", 60),
          "after the reboot: mamorid.service and the coldplug trigger are active")
    check("systemd-udev-trigger.service" in vm.out("systemctl show -p Before --value mamorid").split(),
          "unit ordering: mamorid.service is Before=systemd-udev-trigger.service")
    ready = vt.unit_usec(vm, "mamorid", "ActiveEnterTimestampMonotonic")
    trigger = vt.unit_usec(vm, "systemd-udev-trigger", "InactiveExitTimestampMonotonic")
    check(0 < ready < trigger, f"mamorid was ready ({ready / 1e6:.2f} s) before udev's coldplug trigger "
          f"started ({trigger / 1e6:.2f} s)")
    check(vm.out(f"journalctl -b -u mamorid MESSAGE_ID={MSG_POLICY_LOADED} -o cat | grep -c .; true") != "0",
          "the policy in /etc/mamori/policy.d is in force after the reboot")

    vm.plug_storage("u1", os.path.join(ctx.img, "luks2.img"), serial="UNREG01")
    dev = vt.wait_usb(ctx, vm, "UNREG01")
    ok = vm.wait_until(f"journalctl -b -u mamorid MESSAGE_ID={vt.MSG_BLOCKED} DEVICE_ID={dev} -o cat | grep -q .", 30)
    check(ok and vm.out(f"cat /sys/bus/usb/devices/{dev}/authorized") == "0" and vt.block_of(vm, "UNREG01") == "",
          f"hot-plugged unregistered stick {dev}: blocked record, not authorized, no disk")

    # a keyboard, which the policy allows (default-hid): the upgrade must not disturb it either
    vm.plug("usb-kbd", "kbd1")
    check(vm.wait_until("grep -l 'QEMU USB Keyboard' /sys/bus/usb/devices/*/product >/dev/null 2>&1", 20),
          "keyboard enumerated")
    kbd = vm.out("basename $(dirname $(grep -l 'QEMU USB Keyboard' /sys/bus/usb/devices/*/product))")
    check(vm.wait_until(f"[ \"$(cat /sys/bus/usb/devices/{kbd}/authorized "
                        f"/sys/bus/usb/devices/{kbd}:1.0/authorized 2>/dev/null)\" = \"$(printf '1\\n1')\" ]", 20),
          f"the policy allows the keyboard {kbd}: device and interface {kbd}:1.0 authorized")

    # --- upgrade with the stick and the keyboard plugged in, their authorized watched throughout
    pid = vm.out("systemctl show -p MainPID --value mamorid")
    vm.run(f"rm -f /run/watch.stop /run/watch.end; "
           f"setsid watch-authorized {dev} {kbd} {kbd}:1.0 </dev/null >/dev/null 2>&1 &")
    check(vm.wait_until("[ -s /run/watch.log ]", 10), "watching the authorized attributes of the stick, the keyboard and its interface")
    rc, out = apt(ctx, vm, f"install ./{os.path.basename(second)}", "upgrade_s")
    upgraded_at = float(vm.out("cut -d' ' -f1 /proc/uptime"))
    vm.run("touch /run/watch.stop")
    check(vm.wait_until("[ ! -e /run/watch.pid ]", 10), "watch ended")
    check(rc == 0 and status(vm) == f"ii {version}{UPGRADE_SUFFIX}",
          f"apt-get install ./{os.path.basename(second)}: upgraded to {version}{UPGRADE_SUFFIX}")
    watch = vm.out("cat /run/watch.log").splitlines()
    end, reads = vm.out("cat /run/watch.end").split()
    print(f"# authorized during the upgrade: {watch}, watch ended at {end} s, {reads}")
    check([w.split()[1:] for w in watch] == [[f"{dev}=0", f"{kbd}=1", f"{kbd}:1.0=1"]] and float(end) >= upgraded_at,
          f"during the whole upgrade the stick's authorized stayed 0, the keyboard's and its interface's 1 "
          f"({reads.partition('=')[2]} rounds from {watch[0].split()[0]} s to {end} s; apt-get returned at {upgraded_at:.2f} s)")
    check("replacing the running agent" in out, "postinst replaced the running agent")
    new = vm.out("systemctl show -p MainPID --value mamorid")
    check(new not in ("0", pid) and vm.out(f"readlink /proc/{new}/exe") == "/usr/sbin/mamorid",
          f"the upgraded binary runs (pid {pid} -> {new}, /proc/{new}/exe is the installed file)")
    ok = vm.wait_until(f"journalctl -b _PID={new} MESSAGE_ID={vt.MSG_BLOCKED} DEVICE_ID={dev} -o cat | grep -q .", 30)
    check(ok and vm.out(f"cat /sys/bus/usb/devices/{dev}/authorized") == "0",
          f"the new agent decided the present stick again: still blocked")
    check(not kernel_authorized(vm, dev), f"kernel log: {dev} was never authorized, not even briefly")

    # --- remove: the agent stops, new devices stay blocked until the reboot
    rc, _ = apt(ctx, vm, "remove mamori-agent", "remove_s")
    check(rc == 0 and status(vm) == f"rc {version}{UPGRADE_SUFFIX}", "apt-get remove: config files remain")
    check(vm.out("systemctl is-active mamorid.service; true") in ("inactive", "failed") and
          vm.out("pidof mamorid; true") == "", "the agent is stopped and not restarted")
    check(vm.out("cat /sys/bus/usb/devices/usb*/authorized_default | sort -u") == "0",
          "root hubs keep authorized_default=0")
    check(vm.out(f"cat /sys/bus/usb/devices/{kbd}/authorized /sys/bus/usb/devices/{kbd}:1.0/authorized | sort -u")
          == "1", f"the keyboard the agent allowed ({kbd}) stays usable")
    vm.plug_storage("u2", os.path.join(ctx.img, "fat.img"), serial="UNREG02")
    dev2 = vt.wait_usb(ctx, vm, "UNREG02")
    check(vm.out(f"cat /sys/bus/usb/devices/{dev}/authorized /sys/bus/usb/devices/{dev2}/authorized | sort -u") == "0"
          and vt.block_of(vm, "UNREG02") == "",
          f"after removal: the plugged stick and one plugged afterwards ({dev2}) are not authorized")
    check("usbcore.authorized_default=2" not in grub_cmdline(vm).split() and
          vm.out("[ -e /etc/default/grub.d/mamori.cfg ] && echo kept; true") == "kept",
          f"postrm ran update-grub: the kept GRUB drop-in no longer adds the parameter ({grub_cmdline(vm)!r})")

    # --- purge: nothing left
    rc, _ = apt(ctx, vm, "purge mamori-agent", "purge_s")
    check(rc == 0 and status(vm) == "", "apt-get purge: the package is gone from dpkg's database")
    check(vm.run("dpkg -L mamori-agent", check=False)[0] != 0, "dpkg -L mamori-agent: not installed")
    left = vm.out("find / -xdev \\( -path /proc -o -path /sys -o -path /root/debs \\) -prune -o "
                  "-name '*mamori*' -print; find /run -name '*mamori*'; "
                  "ls -d /etc/mamori /var/lib/mamori /run/mamori 2>/dev/null; true")
    check(left == "", f"nothing named mamori left on disk or in /run, no state or settings ({left!r})")
    check(vm.out("systemctl show -p LoadState --value mamorid.service") == "not-found",
          "systemd no longer knows mamorid.service")
    check(not kernel_authorized(vm, dev) and not kernel_authorized(vm, dev2),
          "kernel log: neither stick was ever authorized in this boot")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--cache")
    args = p.parse_args()
    args.cache = args.cache or os.path.join(args.source, "tests", "vm", "cache")
    why = skip_reason(args)
    if why:
        print(f"SKIP: {why}")
        return SKIP
    t0 = time.monotonic()
    assets, kcache = vt.prepare(args)
    ctx = vt.Ctx(args, assets, kcache)
    work = os.path.join(assets, "runs", "debian-deb")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        version, first, second = build_debs(ctx, work)
        image = deb_image(ctx, work, [first, second])
        vm = boot(ctx, work, image, 1)
        first_boot(ctx, vm, version, first)
        reboot(ctx, vm)
        vm = boot(ctx, work, image, 2)
        try:
            second_boot(ctx, vm, version, second)
        finally:
            vm.stop()
    except (vt.Failed, VmError, TimeoutError) as e:
        print(f"not ok - debian-deb: {e}", flush=True)
        vm = getattr(ctx, "vm", None)
        if vm is not None:
            print("# console tail:\n" + vm.console_tail(25))
            vm.stop()
        return 1
    print(f"# debian-deb: passed {ctx.passed} checks in {time.monotonic() - t0:.1f} s {ctx.timings}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
