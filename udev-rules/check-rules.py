#!/usr/bin/env python3
"""Structural check of udev rules for udev versions without `udevadm verify` (before systemd
254): every line is a comma-separated list of KEY[{attr}]OP"value" pairs with a known key and an
operator that key allows, every GOTO has its LABEL, and no rule only matches (assigns nothing)."""
import re
import sys

MATCH_ONLY = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER",
              "DRIVERS", "ATTRS", "TAGS", "TEST", "PROGRAM", "RESULT", "SYSCTL", "CONST", "SYMLINK"}
ASSIGN_ONLY = {"GOTO", "LABEL", "RUN", "IMPORT", "OPTIONS", "OWNER", "GROUP", "MODE", "SECLABEL",
               "WAIT_FOR"}
BOTH = {"ENV", "ATTR", "NAME", "TAG", "SYMLINK", "SYSCTL"}
KEYS = MATCH_ONLY | ASSIGN_ONLY | BOTH
PAIR = re.compile(r'\s*([A-Z_]+)(\{[^}]*\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')

errors = 0
for path in sys.argv[1:]:
    labels, gotos = set(), []
    logical, start, buf = [], 0, ""
    for n, raw in enumerate(open(path, encoding="utf-8").read().splitlines(), 1):
        if not buf:
            start = n
        if raw.endswith("\\"):
            buf += raw[:-1] + " "
            continue
        logical.append((start, buf + raw))
        buf = ""
    for n, line in logical:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pos, assigns = 0, 0
        while pos < len(line):
            m = PAIR.match(line, pos)
            if not m:
                print(f"{path}:{n}: cannot parse at column {pos + 1}: {line[pos:pos + 30]!r}")
                errors += 1
                break
            key, attr, op, value = m.group(1), m.group(2), m.group(3), m.group(4)
            if key not in KEYS:
                print(f"{path}:{n}: unknown key {key}")
                errors += 1
            elif op in ("==", "!=") and key in ASSIGN_ONLY:
                print(f"{path}:{n}: {key} cannot be matched with {op}")
                errors += 1
            elif op not in ("==", "!=") and key in MATCH_ONLY:
                print(f"{path}:{n}: {key} cannot be assigned with {op}")
                errors += 1
            if key in ("ENV", "ATTR", "ATTRS", "SYSCTL") and not attr:
                print(f"{path}:{n}: {key} needs {{name}}")
                errors += 1
            if op not in ("==", "!="):
                assigns += 1
            if key == "LABEL":
                labels.add(value)
            if key == "GOTO":
                gotos.append((n, value))
            pos = m.end()
        if assigns == 0:
            print(f"{path}:{n}: rule only matches and does nothing")
            errors += 1
    for n, target in gotos:
        if target not in labels:
            print(f"{path}:{n}: GOTO to missing LABEL {target!r}")
            errors += 1
    print(f"{path}: {'ok' if not errors else f'{errors} problem(s)'}")
sys.exit(1 if errors else 0)
