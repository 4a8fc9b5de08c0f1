#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The login check (AUTH-01, AUTH-02, AUTH-03) on this machine, as it is.

`mamorictl posture check` with `login:` enabled; what the report says is compared with an
independent reading of /etc/pam.d/common-auth and common-password (lines of type auth and
password, @include followed): which modules are there, whether pam_faillock and a required
pam_pwquality are, and so whether the check must fail. On a stock Debian terminal (pam_unix only)
all three requirements fail; where this machine is hardened, the test says what it found.

Usage: test-posture-login.py MAMORICTL"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posture_util as pu  # noqa: E402  pylint: disable=wrong-import-position

MAMORICTL = sys.argv[1]
PAM_D = '/etc/pam.d'
FACTORS = ['pam_u2f', 'pam_pkcs11', 'pam_sss', 'pam_fprintd']


def pam_lines(name, want, depth=0):
    """(module, control) of the lines of type want, following @include, include and substack."""
    out = []
    path = os.path.join(PAM_D, name)
    if depth > 8 or not os.path.isfile(path):
        return out
    with open(path, encoding='utf-8', errors='replace') as f:
        text = re.sub(r'\\\n', ' ', f.read())
    for line in text.splitlines():
        line = line.split('#', 1)[0].strip()
        tokens = re.findall(r'\[[^\]]*\]|\S+', line)
        if len(tokens) >= 2 and tokens[0] == '@include':
            out += pam_lines(tokens[1], want, depth + 1)
        elif len(tokens) >= 3 and tokens[0].lstrip('-') == want:
            if tokens[1] in ('include', 'substack'):
                out += pam_lines(tokens[2], want, depth + 1)
            else:
                out.append((os.path.basename(tokens[2]).removesuffix('.so'), tokens[1]))
    return out


def mandatory(control):
    return control in ('required', 'requisite') or (control.startswith('[') and (
        'default=die' in control or 'default=bad' in control))


def case_this_machine():
    auth = pam_lines('common-auth', 'auth')
    password = pam_lines('common-password', 'password')
    d = pu.policy_dir(pu.RULES + f'''posture:
  checks:
    login: {{ second-factor: [{", ".join(FACTORS)}], max-attempts: 5, min-length: 8 }}
''')
    rc, out, err, secs = pu.run_check(MAMORICTL, d, '--json')
    login = pu.check_of(pu.validate(out), 'login')
    ev = login['evidence']
    print(f'this machine: {login["status"]}: {login["summary"]} ({secs:.2f} s)')
    print(f'  auth: {ev["auth_stack"]}\n  password: {ev["password_stack"]}')
    assert login['requirements'] == ['AUTH-01', 'AUTH-02', 'AUTH-03'], login
    if not os.path.isfile(os.path.join(PAM_D, 'common-auth')):
        assert login['status'] == 'unknown' and ev['error_file'] == 'common-auth', login
        print('note: no common-auth here: unknown, as it must be')
        return
    assert ev['auth_stack'] == ' '.join(f'{m}({c})' for m, c in auth), (ev['auth_stack'], auth)
    assert ev['password_stack'] == ' '.join(f'{m}({c})' for m, c in password), (ev['password_stack'], password)
    has_faillock = any(m == 'pam_faillock' for m, _ in auth)
    has_pwquality = any(m == 'pam_pwquality' and mandatory(c) for m, c in password)
    has_factor = any(m in FACTORS and mandatory(c) for m, c in auth)
    assert ev['faillock'] is has_faillock, ev
    assert ev['pwquality'] is has_pwquality, ev
    assert (ev['second_factor'] is not None) is has_factor, ev
    failed = (ev['failed_requirements'] or '').split(',')
    assert ('AUTH-01' in failed) is not has_factor, failed
    if not has_faillock:
        assert 'AUTH-02' in failed, failed
    if not has_pwquality:
        assert 'AUTH-03' in failed, failed
    if not (has_faillock and has_pwquality and has_factor):
        assert login['status'] == 'fail' and rc == 1, (login['status'], rc, err)
    else:
        print('note: this machine has a second factor, faillock and pwquality: the limits decide')


def main():
    cases = pu.Cases()
    cases.run('this-machine', case_this_machine)
    return cases.exit_status()


if __name__ == '__main__':
    sys.exit(main())
