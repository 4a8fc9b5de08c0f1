#!/usr/bin/env python3
"""Every example policy directory must pass `mamorictl policy lint`, and every rule in it must
name the requirements and the clause it implements, as must every item of its network section and
every check of its posture section (the examples are the cities' reference)."""
import os
import re
import subprocess
import sys

import yaml

ctl, root = sys.argv[1], sys.argv[2]
dirs = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
if not dirs:
    print(f"no example policies below {root}")
    sys.exit(1)

failed = 0
for d in dirs:
    path = os.path.join(root, d)
    # Our own check first: every rule carries requirements: and clause:.
    for name in sorted(os.listdir(path)):
        if not name.endswith(".yaml"):
            continue
        text = open(os.path.join(path, name), encoding="utf-8").read()
        for block in re.split(r"\n  - id: ", text)[1:]:
            rid = block.split("\n", 1)[0].strip()
            if "requirements:" not in block or "clause:" not in block:
                print(f"{d}/{name}: rule {rid} lacks requirements: or clause:")
                failed += 1

    # Every network item cites its requirements and clause too, and every profile has the
    # section (a shipped profile without it would leave the network unguarded).
    net = {}
    for name in sorted(os.listdir(path)):
        if name.endswith(".yaml"):
            net.update((yaml.safe_load(open(os.path.join(path, name), encoding="utf-8")) or {}).get("network") or {})
    if not net:
        print(f"{d}: no network section")
        failed += 1
    for item, v in net.items():
        if isinstance(v, dict) and (not v.get("requirements") or not v.get("clause")):
            print(f"{d}: network item {item} lacks requirements: or clause:")
            failed += 1
    # ... and a posture section whose every check cites its requirements and clause
    checks = {}
    for name in sorted(os.listdir(path)):
        if name.endswith(".yaml"):
            doc = yaml.safe_load(open(os.path.join(path, name), encoding="utf-8")) or {}
            checks.update((doc.get("posture") or {}).get("checks") or {})
    if not checks:
        print(f"{d}: no posture checks")
        failed += 1
    for check, v in checks.items():
        if not isinstance(v, dict) or not v.get("requirements") or not v.get("clause"):
            print(f"{d}: posture check {check} lacks requirements: or clause:")
            failed += 1
    items = [k for k, v in net.items() if isinstance(v, dict)]
    print(f"{d}: network items {', '.join(items) or '-'}; posture checks {', '.join(checks) or '-'}")

    p = subprocess.run([ctl, "policy", "lint", path], capture_output=True, text=True)
    out = (p.stdout + p.stderr).strip()
    print(f"{d}: exit {p.returncode}" + (f"\n{out}" if out else ""))
    if p.returncode != 0:
        failed += 1

sys.exit(1 if failed else 0)
