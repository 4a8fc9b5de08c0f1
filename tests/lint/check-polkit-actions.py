#!/usr/bin/env python3
"""The polkit actions file (packaging/polkit/org.mamori.policy) is well-formed, declares exactly
the actions agent/bus/bus.h asks polkit about, each with a Japanese description and message,
and never lets an inactive or remote session through."""
import re
import sys
import xml.dom.minidom

policy, header = sys.argv[1], sys.argv[2]
doc = xml.dom.minidom.parse(policy)
asked = set(re.findall(r'#define AGENT_POLKIT_\w+ "([^"]+)"', open(header, encoding="utf-8").read()))
declared, errors = set(), []
for a in doc.getElementsByTagName("action"):
    aid = a.getAttribute("id")
    declared.add(aid)
    for tag in ("description", "message"):
        langs = {e.getAttribute("xml:lang") for e in a.getElementsByTagName(tag)}
        if langs != {"", "ja"}:
            errors.append(f"{aid}: <{tag}> needs an English and a Japanese (xml:lang=\"ja\") text")
    d = a.getElementsByTagName("defaults")[0]
    for tag in ("allow_any", "allow_inactive"):
        v = d.getElementsByTagName(tag)[0].firstChild.data.strip()
        if v != "no":
            errors.append(f"{aid}: {tag} is '{v}', must be 'no'")
if asked != declared:
    errors.append(f"actions asked in {header}: {sorted(asked)}; declared: {sorted(declared)}")
for e in errors:
    print("FAIL: " + e)
print(f"{len(declared)} actions, {len(errors)} problem(s)")
sys.exit(1 if errors else 0)
