#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The updates check (PAT-01) on this machine, against apt's and dpkg's own tools.

`mamorictl posture check` with `updates:` enabled; the expected set of pending security updates is
computed here independently: the security archives from apt's Release files, their indices read
with `apt-helper cat-file` (any compression apt uses), the installed packages from `dpkg-query`, and
each candidate version compared with `dpkg --compare-versions`. The report must name the same
number of pending updates and the same packages (the first ones it lists), and fail or pass as
the policy's max-pending says. Without apt lists for a security archive the check must fail, and
the test says so.

Usage: test-posture-updates.py MAMORICTL"""

import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posture_util as pu  # noqa: E402  pylint: disable=wrong-import-position

MAMORICTL = sys.argv[1]
LISTS = '/var/lib/apt/lists'
APT_HELPER = '/usr/lib/apt/apt-helper'


def stanzas(text):
    """deb822 stanzas as dicts of the single-line fields."""
    for block in re.split(r'\n[ \t]*\n', text):
        fields = {}
        for line in block.splitlines():
            m = re.match(r'^([^\s:#][^:]*):\s*(.*?)\s*$', line)
            if m:
                fields[m.group(1).lower()] = m.group(2)
        if fields:
            yield fields


def security_prefixes():
    out = []
    for path in sorted(glob.glob(os.path.join(LISTS, '*Release'))):
        name = os.path.basename(path)
        if name.endswith('_Release') and os.path.exists(path[:-len('Release')] + 'InRelease'):
            continue
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
        if text.startswith('-----BEGIN PGP SIGNED MESSAGE-----'):
            text = text.split('\n\n', 1)[1].split('-----BEGIN PGP SIGNATURE-----')[0]
        first = next(stanzas(text), {})
        if first.get('label') == 'Debian-Security' or any(
                '-security' in first.get(k, '') for k in ('origin', 'label', 'suite', 'codename')):
            out.append(path[:-len('InRelease' if name.endswith('_InRelease') else 'Release')])
    return out


def installed():
    p = subprocess.run(['dpkg-query', '-W', '-f', '${Package}\t${Architecture}\t${Version}\t${db:Status-Abbrev}\n'],
                       capture_output=True, text=True, check=True)
    pkgs = {}
    for line in p.stdout.splitlines():
        name, arch, version, status = line.split('\t')
        if status.startswith(('ii', 'hi')) and version:
            pkgs[(name, arch)] = version
    return pkgs


def newer(a, b):
    return subprocess.run(['dpkg', '--compare-versions', a, 'gt', b], check=False).returncode == 0


def expected_pending():
    pkgs = installed()
    pending = set()
    for prefix in security_prefixes():
        for index in sorted(glob.glob(prefix + '*_Packages*')):
            text = subprocess.run([APT_HELPER, 'cat-file', index], capture_output=True, text=True,
                                  check=True).stdout
            for s in stanzas(text):
                key = (s.get('package'), s.get('architecture'))
                if key in pkgs and 'version' in s and key not in pending and newer(s['version'], pkgs[key]):
                    pending.add(key)
    return pending


def case_this_machine():
    if not os.path.exists(APT_HELPER):
        print('skip: no apt-helper to read the indices independently')
        return
    want = expected_pending()
    d = pu.policy_dir(pu.RULES + f'''posture:
  checks:
    updates: {{ max-pending: {len(want)}, max-age: 3650d }}
''')
    rc, out, err, secs = pu.run_check(MAMORICTL, d, '--json')
    report = pu.validate(out)
    upd = pu.check_of(report, 'updates')
    ev = upd['evidence']
    print(f'this machine: {ev["installed_packages"]} installed, {ev["security_indices"]} security indices, '
          f'{ev["pending"]} pending (independently: {len(want)}), {upd["status"]}, {secs:.2f} s')
    assert upd['requirements'] == ['PAT-01'], upd
    if not security_prefixes():
        assert upd['status'] == 'fail' and ev['security_indices'] == 0, upd
        print('note: no security archive in apt lists here: the check fails, as it must')
        return
    assert ev['unreadable_indices'] == 0, ev
    assert ev['pending'] == len(want), (ev['pending'], len(want))
    listed = {tuple(k.rsplit(':', 1)) for k in ev['packages']}
    assert listed <= want, listed - want
    assert len(listed) == min(len(want), 64), len(listed)
    assert upd['status'] == 'pass', upd
    assert rc == 0, (rc, err)
    if want:        # one fewer allowed: the same machine fails
        d = pu.policy_dir(pu.RULES + f'posture:\n  checks:\n    updates: {{ max-pending: {len(want) - 1} }}\n')
        rc, out, err, _ = pu.run_check(MAMORICTL, d, '--json')
        upd = pu.check_of(pu.validate(out), 'updates')
        assert rc == 1 and upd['status'] == 'fail', (rc, upd['summary'])
        assert upd['summary'].startswith('Security updates pending:'), upd['summary']


def main():
    cases = pu.Cases()
    cases.run('this-machine', case_this_machine)
    return cases.exit_status()


if __name__ == '__main__':
    sys.exit(main())
