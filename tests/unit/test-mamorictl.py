#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# mamorictl's offline verbs: policy lint and fmt, status, log verify (LOG-01, LOG-04).

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

MAMORICTL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('MAMORICTL')

GOOD = '''policy:
  name: "t"
  version: "3"
rules:
  - id: hid-only
    match:
      interfaces:
        only: [hid]
    action: allow
media:
  - asset: "USB-001"
    vendor: "0781"
    product: "5581"
    serial: "S1"
'''

BAD = '''rules:
  - id: x
    action: allow
    colour: red
'''


def ctl(*args, env=None):
    e = dict(os.environ, LC_ALL='C')
    e.pop('MAMORI_RUNTIME_DIR', None)
    e.pop('MAMORI_STATE_DIR', None)
    e.update(env or {})
    return subprocess.run([MAMORICTL] + list(args), capture_output=True, text=True, env=e, timeout=60)


def log_record(seq, prev, kind, fields):
    body = '{"seq":%d,"time":"2026-11-22T10:00:00.000000Z","prev":"%s","kind":%s' % (
        seq, prev, json.dumps(kind))
    for k, v in fields:
        body += ',%s:%s' % (json.dumps(k), json.dumps(v, ensure_ascii=False))
    h = hashlib.sha256(body.encode()).hexdigest()
    return body + ',"hash":"%s"}\n' % h, h


class CtlTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def test_usage(self):
        # mamorictl(1), EXIT STATUS: 2 on a usage error
        dev = os.path.join(self.tmp, 'nodev')
        for args in ([], ['frobnicate'], ['--frobnicate'], ['policy'], ['policy', 'frobnicate'],
                     ['policy', 'lint', '--frobnicate'], ['policy', 'lint', 'a', 'b'],
                     ['policy', 'fmt'], ['policy', 'fmt', '--frobnicate', 'a.yaml'],
                     ['policy', 'test'], ['policy', 'test', '--frobnicate', '--device', dev],
                     ['policy', 'test', '--device'], ['policy', 'test', '--device', dev, 'extra'],
                     ['status', 'extra'], ['log', 'verify', 'a', 'b']):
            p = ctl(*args)
            self.assertEqual(p.returncode, 2, '%s: %s' % (args, p.stderr))
            self.assertEqual(p.stdout, '', args)
            self.assertTrue(p.stderr, args)
        p = ctl('--version')
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r'^mamorictl \d')
        for args in (['--help'], ['policy', '--help'], ['policy', 'test', '--help'], ['status', '--help'],
                     ['log', 'verify', '--help'], ['policy', 'lint', '--help'], ['policy', 'fmt', '--help']):
            p = ctl(*args)
            self.assertEqual(p.returncode, 0, args)
            self.assertIn('Usage', p.stdout if args != ['--help'] else 'Usage')

    def test_usage_unknown_option_other_verbs(self):
        for args in (['status', '--frobnicate'], ['log', 'verify', '--frobnicate'],
                     ['quarantine', 'status', '--frobnicate']):
            self.assertEqual(ctl(*args).returncode, 2, args)

    def test_lint_good(self):
        self.write('p/10-a.yaml', GOOD)
        p = ctl('policy', 'lint', os.path.join(self.tmp, 'p'))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r'^1 rules, 1 registered media, version 3@[0-9a-f]{12}\n'
                                   r'no network section: the network guard is off\n'
                                   r'no posture section: no posture checks run\n$')

    def test_lint_network_and_audit_only(self):
        # what IT sees of a profile: which network items it guards, and the rollout switch
        self.write('p/10-a.yaml', GOOD)
        self.write('p/20-net.yaml', 'network:\n  interfaces:\n    allow: [{type: ethernet}]\n'
                   '  dns:\n    allow: ["192.0.2.53"]\n')
        p = ctl('policy', 'lint', os.path.join(self.tmp, 'p'))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.endswith('\nnetwork guard: revert (interfaces, dns)\n'
                                          'no posture section: no posture checks run\n'), p.stdout)
        self.write('p/10-a.yaml', GOOD.replace('version: "3"\n', 'version: "3"\n  audit-only: true\n'))
        p = ctl('policy', 'lint', os.path.join(self.tmp, 'p'))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.endswith('\nnetwork guard: report (interfaces, dns)\n'
                                          'no posture section: no posture checks run\n'
                                          'audit-only: nothing is blocked or undone, everything is recorded\n'),
                        p.stdout)

    def test_lint_bad(self):
        path = self.write('p/10-a.yaml', BAD)
        p = ctl('policy', 'lint', os.path.join(self.tmp, 'p'))
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r'^%s:4:5: ' % re.escape(path))
        self.assertEqual(p.stdout, '')
        self.assertEqual(ctl('policy', 'lint', os.path.join(self.tmp, 'none')).returncode, 1)

    def test_fmt(self):
        path = self.write('a.yaml', GOOD.replace('    action: allow\n', '').replace(
            '  - id: hid-only\n', '  - id: hid-only\n    action: allow\n'))
        p = ctl('policy', 'fmt', path)
        self.assertEqual(p.returncode, 0, p.stderr)
        canonical = p.stdout
        self.assertIn('hid-only', canonical)
        canon_path = self.write('b.yaml', canonical)
        self.assertEqual(ctl('policy', 'fmt', '--check', canon_path).returncode, 0)
        if canonical != open(path).read():
            self.assertEqual(ctl('policy', 'fmt', '--check', path).returncode, 1)
        self.assertEqual(ctl('policy', 'fmt', '--in-place', path).returncode, 0)
        self.assertEqual(open(path).read(), canonical)
        self.assertEqual(ctl('policy', 'fmt', '--check', path).returncode, 0)
        bad = self.write('c.yaml', BAD)
        p = ctl('policy', 'fmt', bad)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r'c\.yaml:4:5: ')

    def test_status_not_running(self):
        p = ctl('status', '--runtime-dir', self.tmp)
        self.assertEqual(p.returncode, 3)
        self.assertIn('not running', p.stderr)
        p = ctl('status', '--json', env={'MAMORI_RUNTIME_DIR': self.tmp})
        self.assertEqual(p.returncode, 3)

    def test_status(self):
        state = {
            'version': 1, 'agent_version': '0.1.0', 'updated': '2026-11-22T10:00:00Z',
            'policy': {'status': 'loaded', 'name': 'kobe', 'version': '2026.11-1@abcdef012345',
                       'rules': 8, 'audit_only': False, 'error': None},
            'devices': [
                {'device': '1-2', 'vendor': '0781', 'product': '5581', 'name': 'Cruzer \u65e5\u672c',
                 'decision': 'allow', 'rule': 'kobe-registered-media', 'medium': 'USB-001',
                 'interfaces': [{'interface': '1-2:1.0', 'class': '08', 'decision': 'allow',
                                 'rule': 'kobe-registered-media'}]},
                {'device': '1-3', 'vendor': '046d', 'product': 'c31c', 'decision': 'block', 'rule': None,
                 'reason': 'no-rule-matched'},
            ],
        }
        text = json.dumps(state, ensure_ascii=True)
        self.write('state.json', text)
        p = ctl('status', '--runtime-dir', self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('2026.11-1@abcdef012345', p.stdout)
        self.assertIn('Cruzer \u65e5\u672c', p.stdout)
        self.assertRegex(p.stdout, r'1-2 +0781 +5581 .*allow +kobe-registered-media +USB-001')
        self.assertRegex(p.stdout, r'1-3 +046d +c31c .*block')
        self.assertIn('1-2:1.0', p.stdout)
        # the reason is rendered from its code in the reader's language, under the device's row
        self.assertRegex(p.stdout, r'1-3 .*block[^\n]*\n +This device is not registered or permitted')
        p = ctl('status', '--json', '--runtime-dir', self.tmp)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(json.loads(p.stdout), state)
        self.write('state.json', '{"devices": [')
        self.assertEqual(ctl('status', '--runtime-dir', self.tmp).returncode, 1)

    def write_log(self, n):
        prev, lines = '0' * 64, []
        for i in range(1, n + 1):
            line, prev = log_record(i, prev, 'device-blocked', [('device', '1-%d' % i), ('reason', '\u9ed2')])
            lines.append(line)
        self.write('events.log', ''.join(lines))
        self.write('events.head', '%d %s\n' % (n, prev))
        return lines

    def test_log_verify(self):
        self.write('events.log', '')
        self.assertEqual(ctl('log', 'verify', '--state-dir', self.tmp).stdout, 'OK: 0 records\n')
        lines = self.write_log(3)
        p = ctl('log', 'verify', '--state-dir', self.tmp)
        self.assertEqual((p.returncode, p.stdout), (0, 'OK: 3 records\n'), p.stderr)
        p = ctl('log', 'verify', env={'MAMORI_STATE_DIR': self.tmp})
        self.assertEqual(p.returncode, 0)

        self.write('events.log', lines[0] + lines[1].replace('1-2', '1-9') + lines[2])
        p = ctl('log', 'verify', '--state-dir', self.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertIn('line 2, seq 2', p.stdout)

        self.write('events.log', lines[0] + lines[2])
        p = ctl('log', 'verify', '--state-dir', self.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertIn('line 2, seq 3', p.stdout)

        self.write('events.log', lines[0] + lines[1])
        p = ctl('log', 'verify', '--state-dir', self.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertIn('seq 3', p.stdout)

    def test_log_verify_missing(self):
        # A missing state directory or log is not an intact log (LOG-04): exit 1, naming the path.
        missing = os.path.join(self.tmp, 'none')
        p = ctl('log', 'verify', '--state-dir', missing)
        self.assertEqual(p.returncode, 1)
        self.assertIn('%s: No such file or directory' % missing, p.stderr)
        self.assertNotIn('OK', p.stdout)
        p = ctl('log', 'verify', '--state-dir', self.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertIn('%s/events.log: No such file or directory' % self.tmp, p.stderr)
        self.assertNotIn('OK', p.stdout)

    def test_log_verify_truncated_then_restarted(self):
        # The log lost its last record and the agent went on from seq 2, saying so in a
        # log-recovered record: the chain is whole again, but verify must fail at that record.
        lines = self.write_log(3)
        prev = json.loads(lines[1])['hash']
        reason = 'events.head names seq 3 %s, log ends at seq 2 %s' % (json.loads(lines[2])['hash'], prev)
        rec, prev = log_record(3, prev, 'log-recovered', [('cause', 'head-mismatch'), ('reason', reason),
                                                         ('head_seq', '3'), ('log_seq', '2')])
        nxt, prev = log_record(4, prev, 'device-blocked', [('device', '1-4')])
        self.write('events.log', lines[0] + lines[1] + rec + nxt)
        self.write('events.head', '4 %s\n' % prev)
        p = ctl('log', 'verify', '--state-dir', self.tmp)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn('line 3, seq 3', p.stdout)
        self.assertIn('events.head names seq 3', p.stdout)
        # the same from an agent that wrote no "cause" yet
        rec, prev = log_record(3, json.loads(lines[1])['hash'], 'log-recovered', [('reason', reason)])
        nxt, prev = log_record(4, prev, 'device-blocked', [('device', '1-4')])
        self.write('events.log', lines[0] + lines[1] + rec + nxt)
        self.write('events.head', '4 %s\n' % prev)
        p = ctl('log', 'verify', '--state-dir', self.tmp)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn('line 3, seq 3', p.stdout)

    def test_log_verify_crashes(self):
        # A torn last line and a head one record behind are crashes, not tampering: a warning.
        lines = self.write_log(3)
        self.write('events.log', ''.join(lines) + '{"seq":4,"time":"2026-')
        p = ctl('log', 'verify', '--state-dir', self.tmp)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn('WARNING: line 4', p.stdout)
        self.assertTrue(p.stdout.endswith('OK: 3 records\n'), p.stdout)
        self.write('events.log', ''.join(lines))
        self.write('events.head', '2 %s\n' % json.loads(lines[1])['hash'])
        p = ctl('log', 'verify', '--state-dir', self.tmp)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn('WARNING: events.head', p.stdout)
        # but a torn line where the head names a later record means records were removed
        self.write('events.log', lines[0] + lines[1] + lines[2][:40])
        self.write('events.head', '3 %s\n' % json.loads(lines[2])['hash'])
        self.assertEqual(ctl('log', 'verify', '--state-dir', self.tmp).returncode, 1)

    def test_log_verify_records_lost(self):
        # A gap the agent recorded (full disk) verifies and is shown.
        lines = self.write_log(2)
        prev = json.loads(lines[1])['hash']
        gap, prev = log_record(3, prev, 'records-lost', [
            ('count', '5'), ('first', '2026-11-22T10:00:01.000000Z'), ('last', '2026-11-22T10:05:00.000000Z'),
            ('kinds', 'device-blocked'), ('error', 'ENOSPC'),
            ('message', 'records lost: 5, from 2026-11-22T10:00:01.000000Z to 2026-11-22T10:05:00.000000Z')])
        nxt, prev = log_record(4, prev, 'device-blocked', [('device', '1-4')])
        self.write('events.log', ''.join(lines) + gap + nxt)
        self.write('events.head', '4 %s\n' % prev)
        p = ctl('log', 'verify', '--state-dir', self.tmp)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn('line 3, seq 3: records lost: 5 (from 2026-11-22T10:00:01.000000Z to '
                      '2026-11-22T10:05:00.000000Z)\n', p.stdout)
        self.assertTrue(p.stdout.endswith('OK: 4 records\n'), p.stdout)

    def test_log_verify_not_canonical(self):
        # Records are read with a JSON parser, and must be exactly what the agent writes.
        lines = self.write_log(2)
        body = lines[1][:lines[1].index(',"hash":')]
        for bad in (body.replace('"kind":', '"kind" :'), body + ',"seq":9', body.replace('"seq":2', '"seq":2.0')):
            h = hashlib.sha256(bad.encode()).hexdigest()
            self.write('events.log', lines[0] + bad + ',"hash":"%s"}\n' % h)
            self.write('events.head', '2 %s\n' % h)
            p = ctl('log', 'verify', '--state-dir', self.tmp)
            self.assertEqual(p.returncode, 1, bad)
            self.assertIn('line 2, seq 2', p.stdout)


if __name__ == '__main__':
    if not MAMORICTL:
        print('usage: test-mamorictl.py MAMORICTL')
        sys.exit(2)
    unittest.main(argv=sys.argv[:1], verbosity=2)
