"""Real-kernel test machine for mamori: QEMU (TCG) with Debian's kernel and a
busybox initramfs, USB hot-plug over QMP, and a control channel to a shell in
the guest. Python 3 standard library only.

    with Machine(kernel, [base_cpio, overlay_cpio], workdir) as vm:
        vm.run("cat /sys/module/usbcore/parameters/authorized_default")
        vm.plug_storage("s1", "/path/luks2.img", serial="M0001")
        assert vm.wait_until("test -b /dev/sda", timeout=20), "/dev/sda appeared"
        vm.unplug("s1")

The guest's /init (guest-init.sh) serves requests on its second serial port;
kernel messages go to the first one, kept in WORKDIR/console.log.
"""
import base64
import json
import os
import socket
import subprocess
import time


class VmError(Exception):
    pass


def _connect_unix(path, deadline, proc):
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if proc.poll() is not None:
                raise VmError(f"QEMU exited with status {proc.returncode}")
            if time.monotonic() > deadline:
                raise VmError(f"cannot connect to {path}")
            time.sleep(0.02)


class LineSocket:
    """Newline-delimited reads with a deadline on a stream socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def readline(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no reply in time") from None
            if not chunk:
                raise VmError("connection closed by QEMU")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace").rstrip("\r")


class Machine:
    def __init__(self, kernel, initrds, workdir, append="", mem=512, smp=2, extra=()):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.initrd = os.path.join(workdir, "initrd.cpio")
        with open(self.initrd, "wb") as out:
            for part in initrds:
                with open(part, "rb") as f:
                    out.write(f.read())
        self.console = os.path.join(workdir, "console.log")
        self.ctl_path = os.path.join(workdir, "ctl.sock")
        self.qmp_path = os.path.join(workdir, "qmp.sock")
        for p in (self.ctl_path, self.qmp_path):
            if os.path.exists(p):
                os.unlink(p)
        self.argv = [
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,thread=multi",
            "-cpu", "max", "-smp", str(smp), "-m", str(mem),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", kernel, "-initrd", self.initrd,
            "-append", f"console=ttyS0 panic=-1 usbcore.authorized_default=0 {append}".strip(),
            "-serial", f"file:{self.console}",
            "-chardev", f"socket,id=ctl,path={self.ctl_path},server=on,wait=on",
            "-serial", "chardev:ctl",
            # enough root ports that QEMU never chains a hub in by itself
            "-device", "qemu-xhci,id=xhci,p2=8,p3=8",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            *extra,
        ]
        self.proc = None
        self.seq = 0
        self.qmp_events = []
        self.boot_seconds = None

    # -- life cycle -------------------------------------------------------
    def start(self, timeout=120.0):
        t0 = time.monotonic()
        deadline = t0 + timeout
        self.qemu_log = open(os.path.join(self.workdir, "qemu.log"), "wb")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=self.qemu_log, stderr=subprocess.STDOUT)
        self.ctl = LineSocket(_connect_unix(self.ctl_path, deadline, self.proc))
        self.qmp = LineSocket(_connect_unix(self.qmp_path, deadline, self.proc))
        self.qmp.readline(deadline)                     # greeting
        self.qmp_cmd("qmp_capabilities")
        while True:
            try:
                line = self.ctl.readline(deadline)
            except TimeoutError:
                raise VmError("guest did not come up; console tail:\n" + self.console_tail()) from None
            if line.startswith("HELLO "):
                break
        self.boot_seconds = time.monotonic() - t0
        return self.boot_seconds

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.qmp_cmd("quit")
            except (VmError, OSError, TimeoutError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.qemu_log.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def console_tail(self, n=30):
        try:
            with open(self.console, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # -- guest shell ------------------------------------------------------
    def run(self, script, timeout=60.0, check=True):
        """Runs a shell script in the guest; returns (status, output)."""
        self.seq += 1
        n = self.seq
        payload = base64.b64encode(script.encode()).decode()
        self.ctl.send(f"{n} {payload}\n".encode())
        deadline = time.monotonic() + timeout
        out = None
        while True:
            line = self.ctl.readline(deadline)
            kind, _, rest = line.partition(" ")
            rid, _, value = rest.partition(" ")
            if rid != str(n):
                continue
            if kind == "OUT":
                out = base64.b64decode(value).decode(errors="replace")
            elif kind == "RC":
                rc = int(value)
                break
        if check and rc != 0:
            raise VmError(f"guest command failed ({rc}): {script}\n{out}")
        return rc, out

    def out(self, script, timeout=60.0):
        return self.run(script, timeout)[1].strip()

    def wait_until(self, condition, timeout=30.0):
        """Bounded retry of a guest shell condition (the retry loop runs in the guest)."""
        # the deadline is the guest's clock, so a slow condition cannot stretch the wait
        script = (f"end=$(( $(cut -d. -f1 /proc/uptime) + {int(timeout) + 1} )); "
                  f"while :; do if {condition}; then exit 0; fi; "
                  f"[ $(cut -d. -f1 /proc/uptime) -lt $end ] || exit 1; usleep 50000; done")
        rc, _ = self.run(script, timeout=timeout + 30, check=False)
        return rc == 0

    def write_file(self, path, data):
        payload = base64.b64encode(data.encode() if isinstance(data, str) else data).decode()
        self.run(f"mkdir -p \"$(dirname {path})\" && echo {payload} | base64 -d > {path}")

    # -- QMP ----------------------------------------------------------------
    def qmp_cmd(self, execute, timeout=30.0, **arguments):
        msg = {"execute": execute}
        if arguments:
            msg["arguments"] = arguments
        self.qmp.send(json.dumps(msg).encode() + b"\n")
        deadline = time.monotonic() + timeout
        while True:
            r = json.loads(self.qmp.readline(deadline))
            if "event" in r:
                self.qmp_events.append(r)
            elif "return" in r:
                return r["return"]
            elif "error" in r:
                raise VmError(f"QMP {execute}: {r['error'].get('desc')}")

    def qmp_wait_event(self, name, device, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            for e in self.qmp_events:
                if e["event"] == name and e.get("data", {}).get("device") == device:
                    self.qmp_events.remove(e)
                    return e
            r = json.loads(self.qmp.readline(deadline))
            if "event" in r:
                self.qmp_events.append(r)

    def _blockdev(self, node, image, read_only, iops=None):
        """A raw block node on image; iops: a slow medium, QEMU's throttle filter lets through at
        most this many requests/s (its throttle group is named NODE-tg)."""
        f = {"driver": "file", "filename": image, "read-only": read_only,
             "locking": "off"}  # sticks may share one image; nothing writes it
        if iops:
            self.qmp_cmd("object-add", **{"qom-type": "throttle-group", "id": f"{node}-tg",
                                          "limits": {"iops-total": iops}})
            f = {"driver": "throttle", "throttle-group": f"{node}-tg", "file": f}
            self.throttled = getattr(self, "throttled", set()) | {node}
        self.qmp_cmd("blockdev-add", **{"node-name": node, "driver": "raw", "read-only": read_only, "file": f})

    def plug_storage(self, dev_id, image, serial, read_only=False, bus="xhci.0", port=None, iops=None):
        self._blockdev(f"{dev_id}-blk", image, read_only, iops)
        args = {"driver": "usb-storage", "id": dev_id, "drive": f"{dev_id}-blk",
                "serial": serial, "bus": bus, "removable": True}
        if port:
            args["port"] = port
        self.qmp_cmd("device_add", **args)

    def plug_cdrom(self, dev_id, image, serial, bus="xhci.0"):
        """A USB CD drive (usb-bot + scsi-cd) with image as its medium. A hot-plugged usb-bot is
        attached only once its LUN exists ("attached" property)."""
        lun = {"driver": "scsi-cd", "id": f"{dev_id}-lun", "bus": f"{dev_id}.0"}
        if image:               # None: an empty drive
            self._blockdev(f"{dev_id}-m0", image, True)
            lun["drive"] = f"{dev_id}-m0"
        self.qmp_cmd("device_add", driver="usb-bot", id=dev_id, bus=bus, serial=serial)
        self.qmp_cmd("device_add", **lun)
        self.qmp_cmd("qom-set", path=dev_id, property="attached", value=True)
        self.media = getattr(self, "media", {})
        self.media[dev_id] = (0, image is not None)

    def change_medium(self, dev_id, image):
        """Takes the disc out of the drive and puts another in (a new medium for the guest)."""
        n, full = self.media[dev_id]
        n += 1
        self._blockdev(f"{dev_id}-m{n}", image, True)
        self.qmp_cmd("blockdev-open-tray", id=f"{dev_id}-lun", force=True)
        if full:
            self.qmp_cmd("blockdev-remove-medium", id=f"{dev_id}-lun")
        self.qmp_cmd("blockdev-insert-medium", id=f"{dev_id}-lun", **{"node-name": f"{dev_id}-m{n}"})
        self.qmp_cmd("blockdev-close-tray", id=f"{dev_id}-lun")
        self.media[dev_id] = (n, True)

    def plug(self, driver, dev_id, **props):
        self.qmp_cmd("device_add", driver=driver, id=dev_id, bus=props.pop("bus", "xhci.0"), **props)

    def unplug(self, dev_id, storage=False, timeout=30.0):
        self.qmp_cmd("device_del", id=dev_id)
        self.qmp_wait_event("DEVICE_DELETED", dev_id, timeout)
        if storage:
            self.qmp_cmd("blockdev-del", **{"node-name": f"{dev_id}-blk"})
            if f"{dev_id}-blk" in getattr(self, "throttled", set()):
                self.qmp_cmd("object-del", id=f"{dev_id}-blk-tg")
