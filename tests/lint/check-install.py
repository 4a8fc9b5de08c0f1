#!/usr/bin/env python3
"""`meson install` into a scratch DESTDIR puts every packaged file where the system looks for it,
and the installed unit starts the installed agent."""
import json
import re
import os
import subprocess
import sys
import tempfile

build = sys.argv[1]
with open(os.path.join(build, "meson-info", "intro-buildoptions.json"), encoding="utf-8") as f:
    opts = {o["name"]: o["value"] for o in json.load(f)}
prefix = opts["prefix"]
sysconfdir = opts["sysconfdir"]
if not os.path.isabs(sysconfdir):
    sysconfdir = os.path.join(prefix, sysconfdir)
sbindir = os.path.join(prefix, opts["sbindir"])

expected = [
    os.path.join(sbindir, "mamorid"),
    os.path.join(prefix, opts["bindir"], "mamorictl"),
    os.path.join(prefix, "lib/systemd/system/mamorid.service"),
    os.path.join(prefix, "lib/udev/rules.d/70-mamori.rules"),
    os.path.join(prefix, "lib/tmpfiles.d/mamori.conf"),
    os.path.join(sysconfdir, "mamori/mamorid.conf"),
    os.path.join(sysconfdir, "mamori/policy.d"),
    os.path.join(prefix, opts["mandir"], "man8/mamorid.8"),
    os.path.join(prefix, opts["mandir"], "man1/mamorictl.1"),
    os.path.join(prefix, opts["mandir"], "man5/mamori-policy.5"),
    os.path.join(prefix, opts["mandir"], "man5/mamorid.conf.5"),
    os.path.join(prefix, opts["localedir"], "ja/LC_MESSAGES/mamori.mo"),
    os.path.join(prefix, opts["datadir"], "mamori/examples/kobe/50-media.yaml"),
    os.path.join(prefix, opts["datadir"], "mamori/examples/default/10-base.yaml"),
    os.path.join(prefix, opts["datadir"], "mamori/examples/kobe-mynumber/20-network.yaml"),
    os.path.join(prefix, opts["datadir"], "dbus-1/system.d/org.mamori.Agent1.conf"),
    os.path.join(prefix, opts["datadir"], "polkit-1/actions/org.mamori.policy"),
    os.path.join(prefix, opts["datadir"], "mamori/dconf/profile/user"),
    os.path.join(sysconfdir, "dconf/db/mamori.d/00-mamori-screenlock"),
    os.path.join(sysconfdir, "dconf/db/mamori.d/locks/00-mamori-screenlock"),
    os.path.join(prefix, opts["datadir"], "mamori/kde/kscreenlockerrc"),
]

failed = 0
with tempfile.TemporaryDirectory() as dest:
    p = subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
        print("meson install failed")
        sys.exit(1)
    for path in expected:
        if os.path.lexists(dest + path):
            print(f"ok      {path}")
        else:
            print(f"MISSING {path}")
            failed += 1
    unit = dest + os.path.join(prefix, "lib/systemd/system/mamorid.service")
    if os.path.exists(unit):
        lines = open(unit, encoding="utf-8").read().splitlines()
        exec_start = [l for l in lines if l.startswith("ExecStart=")]
        want = f"ExecStart={os.path.join(sbindir, 'mamorid')}"
        if exec_start != [want]:
            print(f"unit has {exec_start}, expected [{want!r}]")
            failed += 1
        if any(re.search(r"@[a-z_]+@", l) for l in lines):
            print("unit still holds an unsubstituted @variable@")
            failed += 1
sys.exit(1 if failed else 0)
