#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The ports check (NET-06) with real sockets in a network namespace of its own.

Inside a fresh namespace (only loopback, nothing listening) the check passes with `allow: []`;
then this test opens a TCP listener on 0.0.0.0, one on [::], a UDP socket on 0.0.0.0 and a TCP
listener on 127.0.0.1, and runs `mamorictl posture check` while they are open: the wildcard
ones must be named as unexpected until the policy allows them, the loopback one only with
`include-loopback: true`; the listeners the report names must be the ones `ss -lntu` shows.
Needs root and `ip netns`; otherwise it says why and is skipped (77).

Usage: test-posture-ports.py MAMORICTL            (the cases run inside the namespace)"""

import os
import shutil
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posture_util as pu  # noqa: E402  pylint: disable=wrong-import-position

MAMORICTL = sys.argv[1]


def ports(allow, loopback=False):
    d = pu.policy_dir(pu.RULES + f'posture:\n  checks:\n    ports: {{ allow: [{", ".join(allow)}], '
                      f'include-loopback: {"true" if loopback else "false"} }}\n')
    rc, out, err, secs = pu.run_check(MAMORICTL, d, '--json')
    shutil.rmtree(d)
    p = pu.check_of(pu.validate(out), 'ports')
    print(f'  allow {allow} loopback {loopback}: {p["status"]}: {p["summary"]} ({secs:.2f} s)')
    return rc, p


def listen(family, kind, address):
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((address, 0))
    if kind == socket.SOCK_STREAM:
        s.listen(1)
    return s, s.getsockname()[1]


def case_sockets():
    rc, p = ports([])
    assert rc == 0 and p['status'] == 'pass' and p['evidence']['listeners_count'] == 0, p
    socks = []
    try:
        s4, t4 = listen(socket.AF_INET, socket.SOCK_STREAM, '0.0.0.0')
        s6, t6 = listen(socket.AF_INET6, socket.SOCK_STREAM, '::')
        su, u4 = listen(socket.AF_INET, socket.SOCK_DGRAM, '0.0.0.0')
        sl, tl = listen(socket.AF_INET, socket.SOCK_STREAM, '127.0.0.1')
        socks = [s4, s6, su, sl]
        rc, p = ports([])
        unexpected = set(p['evidence']['unexpected'].split(', '))
        assert rc == 1 and p['status'] == 'fail', p
        assert unexpected == {f'tcp/{t4}', f'tcp/{t6}', f'udp/{u4}'}, unexpected
        shown = subprocess.run(['ss', '-Hlntu'], capture_output=True, text=True, check=True).stdout
        for key in p['evidence']['listeners']:
            proto, addr = key.split(' ')
            assert any(line.split()[0] == proto and line.split()[4] == addr
                       for line in shown.splitlines()), (key, shown)
        assert len(p['evidence']['listeners']) == len(shown.splitlines()), (p['evidence'], shown)
        rc, p = ports([f'tcp/{t4}', f'tcp/{t6}', f'udp/{u4}'])
        assert rc == 0 and p['status'] == 'pass', p
        rc, p = ports([f'tcp/{t4}', f'tcp/{t6}', f'udp/{u4}'], loopback=True)
        assert rc == 1 and p['evidence']['unexpected'] == f'tcp/{tl}', p
    finally:
        for s in socks:
            s.close()
    rc, p = ports([])
    assert rc == 0 and p['status'] == 'pass', p                 # closed again


def main():
    if os.environ.get('MAMORI_IN_NETNS') != '1':
        if os.geteuid() != 0:
            print('SKIP: needs root for a network namespace')
            return 77
        if not shutil.which('ip') or not shutil.which('ss'):
            print('SKIP: needs ip and ss (iproute2)')
            return 77
        ns = f'mamori-ports-{os.getpid()}'
        if subprocess.run(['ip', 'netns', 'add', ns], capture_output=True, check=False).returncode != 0:
            print('SKIP: cannot create a network namespace here')
            return 77
        try:
            subprocess.run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up'], check=True)
            return subprocess.run(['ip', 'netns', 'exec', ns, sys.executable, os.path.abspath(__file__), MAMORICTL],
                                  env=dict(os.environ, MAMORI_IN_NETNS='1'), check=False).returncode
        finally:
            subprocess.run(['ip', 'netns', 'del', ns], check=False)
    cases = pu.Cases()
    cases.run('sockets', case_sockets)
    return cases.exit_status()


if __name__ == '__main__':
    sys.exit(main())
