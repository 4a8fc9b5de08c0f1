#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The firewall check (NET-05, NET-07) against the real nft in a network namespace of its own.

A small ruleset (input drop, accept tcp/22 and loopback, each with a counter) is loaded into a
fresh namespace; `mamorictl posture check` runs inside it. The ruleset's hash is taken from a
first run with a wrong `ruleset-sha256` (which must fail and show it); a run with that hash
passes; traffic over loopback changes the counters (checked with nft itself) and the hash must
not change; an added rule and a flushed ruleset fail; MAMORI_NFT pointing at a missing program
fails with the reason. Needs root and `ip netns`; otherwise it says why and is skipped (77).

Usage: test-posture-firewall.py MAMORICTL"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posture_util as pu  # noqa: E402  pylint: disable=wrong-import-position

MAMORICTL = sys.argv[1]
NS = f'mamori-fw-{os.getpid()}'
RULESET = '''table inet mamori_test {
    chain input {
        type filter hook input priority 0; policy drop;
        iif "lo" counter accept
        tcp dport 22 counter accept
    }
}
'''
WRONG = '0' * 64


def ns(*argv, **kw):
    return subprocess.run(['ip', 'netns', 'exec', NS, *argv], capture_output=True, text=True, check=False, **kw)


def check(sha, env=None):
    d = pu.policy_dir(pu.RULES + f'posture:\n  checks:\n    firewall: {{ ruleset-sha256: "{sha}" }}\n')
    e = dict(os.environ, LANG='C.UTF-8', LANGUAGE='', LC_ALL='C.UTF-8', **(env or {}))
    p = ns(MAMORICTL, 'posture', 'check', '--policy-dir', d, '--json', env=e, timeout=30)
    shutil.rmtree(d)
    fw = pu.check_of(pu.validate(p.stdout), 'firewall')
    print(f'  {fw["status"]}: {fw["summary"]} ({fw["evidence"].get("elapsed_ms")} ms)')
    return p.returncode, fw


def counters():
    out = json.loads(ns('nft', '-j', 'list', 'ruleset').stdout)
    return [e['counter']['packets'] for item in out['nftables'] if 'rule' in item
            for e in item['rule']['expr'] if 'counter' in e]


def case_netns():
    rc, fw = check(WRONG)                                   # nothing loaded yet
    assert rc == 1 and fw['status'] == 'fail' and fw['evidence']['tables'] == 0, fw
    assert fw['summary'] == 'No firewall ruleset is loaded.', fw['summary']
    loaded = ns('nft', '-f', '-', input=RULESET)
    assert loaded.returncode == 0, loaded.stderr
    rc, fw = check(WRONG)
    sha = fw['evidence']['ruleset_sha256']
    assert rc == 1 and fw['status'] == 'fail' and len(sha) == 64, fw
    assert fw['evidence']['rules'] == 2 and fw['evidence']['matches'] is False, fw
    rc, fw = check(sha)
    assert rc == 0 and fw['status'] == 'pass', fw
    before = counters()
    assert ns('ip', 'link', 'set', 'lo', 'up').returncode == 0
    ping = ns('ping', '-c', '3', '-i', '0.2', '-W', '1', '127.0.0.1')
    assert ping.returncode == 0, ping.stdout + ping.stderr
    after = counters()
    assert after != before, (before, after)                 # the counters did change
    rc, fw = check(sha)
    assert rc == 0 and fw['status'] == 'pass' and fw['evidence']['ruleset_sha256'] == sha, fw
    assert ns('nft', 'add', 'rule', 'inet', 'mamori_test', 'input', 'udp', 'dport', '68', 'accept').returncode == 0
    rc, fw = check(sha)
    assert rc == 1 and fw['status'] == 'fail' and fw['evidence']['ruleset_sha256'] != sha, fw
    rc, fw = check(sha, {'MAMORI_NFT': '/nonexistent/nft'})
    assert rc == 1 and fw['evidence']['error'] == 'No such file or directory', fw
    assert ns('nft', 'flush', 'ruleset').returncode == 0
    rc, fw = check(sha)
    assert rc == 1 and fw['evidence']['tables'] == 0, fw


def main():
    if os.geteuid() != 0:
        print('SKIP: needs root for a network namespace')
        return 77
    if not shutil.which('ip') or not shutil.which('nft'):
        print('SKIP: needs ip (iproute2) and nft (nftables)')
        return 77
    if subprocess.run(['ip', 'netns', 'add', NS], capture_output=True, check=False).returncode != 0:
        print('SKIP: cannot create a network namespace here')
        return 77
    try:
        cases = pu.Cases()
        cases.run('netns', case_netns)
        return cases.exit_status()
    finally:
        subprocess.run(['ip', 'netns', 'del', NS], check=False)


if __name__ == '__main__':
    sys.exit(main())
