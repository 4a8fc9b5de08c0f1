#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The software check (SW-01, SW-02) on this machine, against dpkg-query.

1. With the rule's default path: where mamori is not installed the rule is missing and the check
   fails (said, not hidden); where it is, the installed file must be the shipped one.
2. With `polkit-rule` naming the shipped file itself (as an installed copy), it passes, and the
   inventory equals `dpkg-query`'s list of installed packages (name, architecture, version).
3. The same with a package installed here on `denied-packages`: it fails and names it.

Usage: test-posture-software.py MAMORICTL SHIPPED-RULE"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posture_util as pu  # noqa: E402  pylint: disable=wrong-import-position

MAMORICTL, SHIPPED = sys.argv[1], os.path.abspath(sys.argv[2])
DEFAULT = '/usr/share/polkit-1/rules.d/51-mamori-software.rules'


def installed():
    p = subprocess.run(['dpkg-query', '-W', '-f', '${Package}:${Architecture}\t${Version}\t${db:Status-Abbrev}\n'],
                       capture_output=True, text=True, check=True)
    out = {}
    for line in p.stdout.splitlines():
        key, version, status = line.split('\t')
        if status.startswith(('ii', 'hi')):
            out[key] = version
    return out


def software(policy_line):
    d = pu.policy_dir(pu.RULES + 'posture:\n  checks:\n    software: ' + policy_line + '\n')
    rc, out, err, secs = pu.run_check(MAMORICTL, d, '--json')
    return rc, pu.check_of(pu.validate(out), 'software'), err, secs


def case_default_path():
    rc, sw, err, secs = software('{}')
    print(f'default path: {sw["status"]}: {sw["summary"]} ({secs:.2f} s)')
    if os.path.exists(DEFAULT):
        with open(DEFAULT, 'rb') as a, open(SHIPPED, 'rb') as b:
            same = a.read() == b.read()
        assert sw['evidence']['rule_matches'] is same, sw['evidence']
        print('note: the rule is installed here')
    else:
        assert sw['status'] == 'fail' and rc == 1, (sw, rc, err)
        assert sw['evidence']['rule_error'] == 'No such file or directory', sw['evidence']


def case_inventory():
    want = installed()
    rc, sw, err, secs = software(f'{{ polkit-rule: {SHIPPED} }}')
    ev = sw['evidence']
    print(f'shipped rule: {sw["status"]}: {sw["summary"]} ({secs:.2f} s)')
    assert sw['status'] == 'pass' and rc == 0, (sw['summary'], rc, err)
    assert ev['rule_matches'] is True and ev['rule_sha256'] == ev['expected_sha256'], ev
    assert ev['packages_count'] == len(want), (ev['packages_count'], len(want))
    assert ev['packages'] == want, set(ev['packages'].items()) ^ set(want.items())
    if os.path.isdir('/var/lib/flatpak/app'):
        assert ev['flatpaks_count'] == len([n for n in os.listdir('/var/lib/flatpak/app') if n[0] != '.']), ev
    else:
        assert ev['flatpaks'] is None, ev


def case_denied():
    name = sorted(installed())[0].split(':')[0]
    rc, sw, _, _ = software(f'{{ polkit-rule: {SHIPPED}, denied-packages: [{name}] }}')
    assert sw['status'] == 'fail' and rc == 1, sw['summary']
    assert sw['evidence']['denied_installed'] == name, sw['evidence']['denied_installed']


def main():
    cases = pu.Cases()
    cases.run('default-path', case_default_path)
    cases.run('inventory', case_inventory)
    cases.run('denied', case_denied)
    return cases.exit_status()


if __name__ == '__main__':
    sys.exit(main())
