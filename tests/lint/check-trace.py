#!/usr/bin/env python3
"""The per-city table of docs/requirements-trace.md ("## Per city") against the city profiles.

Every cell must say something: the profile rules that cover the requirement ("kobe: `rule`,
`network.dns`; kobe-mynumber: `media`"), "agent: ..." (the agent does it whatever the profile),
"later: ..." (not enforceable yet), "city: ..." (needs a value only the city has) or "n/a" (the
city's standard has no such clause).
Checked both ways:
  * every rule, network item (`network.X`), posture check (`posture.X`) or ledger (`media`) a
    cell names exists in that profile, and cites the row's requirement ID;
  * every requirement ID a profile's rule, network item or posture check cites has a row, and
    that row's cell for the profile's city names it.
So the table cannot claim a rule the profile lacks, nor miss one it has."""
import glob
import os
import re
import sys

import yaml

trace, examples = sys.argv[1], sys.argv[2]
errors = []


def load_profile(name):
    """{requirement ID: set of tokens} and whether the profile has a ledger."""
    cites, has_media = {}, False
    files = sorted(glob.glob(os.path.join(examples, name, "*.yaml")))
    if not files:
        errors.append(f"profile '{name}' does not exist in {examples}")
    for f in files:
        doc = yaml.safe_load(open(f, encoding="utf-8")) or {}
        has_media = has_media or bool(doc.get("media"))
        items = [(r.get("id"), r) for r in doc.get("rules") or []]
        items += [("network." + k, v) for k, v in (doc.get("network") or {}).items() if isinstance(v, dict)]
        posture = (doc.get("posture") or {}).get("checks") or {}
        items += [("posture." + k, v) for k, v in posture.items() if isinstance(v, dict)]
        for token, item in items:
            for rid in item.get("requirements") or []:
                cites.setdefault(rid, set()).add(token)
    return cites, has_media


lines = open(trace, encoding="utf-8").read().split("\n")
try:
    start = lines.index("## Per city")
except ValueError:
    sys.exit(f"{trace}: no '## Per city' section")
# the table whose header starts with "| ID | P |", up to its last row
head = next((i for i in range(start, len(lines)) if lines[i].startswith("| ID | P |")), None)
if head is None:
    sys.exit(f"{trace}: no '| ID | P |' table under '## Per city'")
rows = []
for l in lines[head:]:
    if not l.startswith("|"):
        break
    if not l.startswith("|---"):
        rows.append(l)
header = [c.strip() for c in rows[0].strip("|").split("|")]
cities = header[3:-1]
print(f"{trace}: cities {', '.join(cities)}; {len(rows) - 1} requirements")

# profile name -> city, from the cells themselves: a profile belongs to the column it is named in
profiles, table = {}, {}
for n, row in enumerate(rows[1:], start=2):
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    if len(cells) != len(header):
        errors.append(f"row {n}: {len(cells)} cells, the header has {len(header)}")
        continue
    rid = cells[0]
    if rid in table:
        errors.append(f"{rid}: two rows")
    table[rid] = {}
    for city, cell in zip(cities, cells[3:-1]):
        if not cell or cell == "—":
            errors.append(f"{rid}, {city}: empty cell")
            continue
        table[rid][city] = {}
        if cell == "n/a" or cell.startswith(("agent:", "later:", "city:")):
            continue
        for seg in cell.split(";"):
            m = re.fullmatch(r"\s*([a-z0-9-]+): (.*)", seg)
            if not m:
                errors.append(f"{rid}, {city}: cannot read '{seg.strip()}'")
                continue
            prof, tokens = m.group(1), re.findall(r"`([^`]+)`", m.group(2))
            if profiles.setdefault(prof, city) != city:
                errors.append(f"{rid}: profile {prof} named under {city} and {profiles[prof]}")
            table[rid][city][prof] = tokens

loaded = {p: load_profile(p) for p in profiles}
for rid, by_city in table.items():
    for city, by_prof in by_city.items():
        for prof, tokens in by_prof.items():
            cites, has_media = loaded[prof]
            for t in tokens:
                if t == "media":
                    if not has_media:
                        errors.append(f"{rid}: {prof} has no registered media")
                elif t not in cites.get(rid, set()):
                    errors.append(f"{rid}: {prof} has no rule or item '{t}' citing {rid}")
for prof, (cites, _) in loaded.items():
    for rid, tokens in cites.items():
        named = table.get(rid, {}).get(profiles[prof], {}).get(prof)
        if rid not in table:
            errors.append(f"{prof} cites {rid}, which has no row")
            continue
        for t in sorted(tokens - set(named or [])):
            errors.append(f"{rid}: {prof}'s '{t}' cites it, the {profiles[prof]} cell does not name it")

for e in errors:
    print("FAIL: " + e)
print(f"{len(loaded)} profiles checked, {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
