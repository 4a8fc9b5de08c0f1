#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# mamorictl status against hostile state files: device strings with terminal escape sequences,
# a FIFO or a directory in place of state.json.
#   test-ctl-status.py MAMORICTL
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

MAMORICTL = sys.argv.pop(1)


def ctl(*args):
    e = dict(os.environ, LC_ALL='C')
    e.pop('MAMORI_RUNTIME_DIR', None)
    return subprocess.run([MAMORICTL] + list(args), capture_output=True, env=e, timeout=30)


class StatusTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.path = os.path.join(self.tmp, 'state.json')

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_escape_sequences_escaped(self):
        # A product string that would retitle the terminal (OSC 0), clear it (CSI 2J), and a C1 CSI;
        # a serial and a rule id with a newline that would forge a row.
        state = {'version': 1,
                 'policy': {'status': 'ok', 'name': 'x\x1b[2Jy'},
                 'devices': [{'device': '1-2', 'vendor': '0781', 'product': '5581',
                              'name': '\x1b]0;owned\x07Stick\x1b[2J\u009b1m',
                              'serial': 'REG\n1-9  0000 0000 allow',
                              'decision': 'block', 'rule': None, 'reason': 'no-rule-matched',
                              'interfaces': [{'interface': '1-2:1.0\x1b[H', 'class': '08'}]}]}
        with open(self.path, 'w') as f:
            json.dump(state, f)
        p = ctl('status', '--runtime-dir', self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout
        for c in list(range(0x00, 0x20)) + [0x7f]:
            if c != 0x0a:
                self.assertNotIn(bytes([c]), out, 'control character 0x%02x printed raw' % c)
        self.assertNotIn('\u009b'.encode(), out)
        self.assertIn(b'\\x1b]0;owned\\x07Stick\\x1b[2J', out)
        self.assertIn(b'x\\x1b[2Jy', out)
        # the forged row stays on the device's line
        self.assertNotIn(b'\n1-9', out)
        # --json hands the file over as it is (a program reads it, not a terminal)
        self.assertEqual(json.loads(ctl('status', '--json', '--runtime-dir', self.tmp).stdout), state)

    def test_fifo_does_not_hang(self):
        os.mkfifo(self.path)
        p = ctl('status', '--runtime-dir', self.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b'not a regular file', p.stderr)
        self.assertIn(self.path.encode(), p.stderr)

    def test_directory(self):
        os.mkdir(self.path)
        p = ctl('status', '--runtime-dir', self.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertIn(self.path.encode(), p.stderr)

    def test_trailing_garbage_refused(self):
        with open(self.path, 'w') as f:
            f.write('{"version": 1} {"version": 2}')
        p = ctl('status', '--runtime-dir', self.tmp)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b'not a valid state file', p.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
