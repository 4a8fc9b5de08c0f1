#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The posture checks inside the running mamorid (agent/posture/posture-agent.c): the first round
# at start, a change of what a check reads starting a round (inotify on clamd's socket
# directory), a failing check with action quarantine raising the network quarantine with an
# incident record (INC-03) and ending it once it passes (release-quarantine), failing_since, the
# report over D-Bus (GetPosture, Compliant, PostureChanged), in RUNTIME_DIR/posture.json, in the
# spool, and through `mamorictl posture`. A real clamd (tests/clamd/clamd-test.py's machinery,
# with a dated EICAR database) comes up while the agent runs. The rig is tests/dbus/bus_rig.py.

import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'posture'))
from bus_rig import MAMORICTL, Rig, skip_reason  # noqa: E402
import posture_util as pu  # noqa: E402

ROUND = 30      # a round: the debounce, clamd's answer, the child; generous for a loaded machine


def load_clamd_machinery():
    """tests/clamd/clamd-test.py as a module (it reads MAMORICTL from argv at import)."""
    argv, sys.argv = sys.argv, [sys.argv[0], MAMORICTL or '']
    try:
        spec = importlib.util.spec_from_file_location('clamd_test', os.path.join(HERE, '..', 'clamd', 'clamd-test.py'))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.argv = argv


def records(state, kind):
    with open(os.path.join(state, 'events.log')) as f:
        return [r for r in map(json.loads, f) if r.get('kind') == kind]


class PostureAgentTest(unittest.TestCase):
    def setUp(self):
        self.av = tempfile.mkdtemp(prefix='mamori-av.')
        self.socket = os.path.join(self.av, 'clamd.ctl')
        posture = f'''posture:
  interval: 6h
  release-quarantine: true
  checks:
    antivirus: {{ action: quarantine, socket: {self.socket}, max-definition-age: 3d, clause: "test §1" }}
    disk-encryption: {{ action: report, paths: [/] }}
'''
        self.rig = Rig(extra_policy={'20-posture.yaml': posture})
        self.clamd = None

    def tearDown(self):
        if self.clamd:
            self.clamd.close()
        self.rig.close()
        shutil.rmtree(self.av, ignore_errors=True)

    def report(self):
        (text,) = self.rig.call('GetPosture', reply='(s)')
        return pu.validate(text)

    def test_round_quarantine_and_release(self):
        rig = self.rig
        # 1. the first round, at start: clamd is not there
        check, status, summary = rig.signals.wait('PostureChanged', lambda a: a[0] == 'antivirus', timeout=ROUND)
        self.assertEqual(status, 'fail', summary)
        active, reason = rig.signals.wait('QuarantineChanged', lambda a: a[0], timeout=ROUND)
        self.assertIn('antivirus', reason)
        with open(os.path.join(rig.state, 'quarantine')) as f:
            self.assertIn('source=trigger:posture', f.read())
        incident = records(rig.state, 'incident')
        self.assertEqual(len(incident), 1, incident)
        self.assertEqual(incident[0]['requirements'], 'INC-03')
        changed = [r for r in records(rig.state, 'posture-changed') if r['check'] == 'antivirus']
        self.assertEqual((changed[0]['status'], changed[0]['requirements'], changed[0]['clause']),
                         ('fail', 'AV-01,AV-02', 'test §1'))

        rep = self.report()
        av = pu.check_of(rep, 'antivirus')
        self.assertEqual(av['status'], 'fail')
        self.assertRegex(av['failing_since'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        self.assertFalse(rig.prop('Compliant'))
        with open(os.path.join(rig.runtime, 'posture.json')) as f:
            self.assertEqual(json.load(f), rep)
        self.assertEqual(len(glob.glob(os.path.join(rig.state, 'spool', 'posture-*.json'))), 1)

        p = subprocess.run([MAMORICTL, 'posture', '--json'], env=rig.env, capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(json.loads(p.stdout), rep)
        p = subprocess.run([MAMORICTL, 'posture'], env=rig.env, capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertRegex(p.stdout, r'antivirus +fail +\d{4}-')

        # 2. clamd comes up: its socket appears in the watched directory and a round follows
        mod = load_clamd_machinery()
        self.clamd = mod.Clamd(lambda db: mod.write_cud(os.path.join(db, 'daily.cud'), time.time() - 3600))
        rig.signals.drain()
        os.symlink(self.clamd.socket, self.socket)
        check, status, summary = rig.signals.wait('PostureChanged', lambda a: a[0] == 'antivirus', timeout=ROUND)
        self.assertEqual(status, 'pass', summary)
        active, _ = rig.signals.wait('QuarantineChanged', timeout=ROUND)
        self.assertFalse(active, 'release-quarantine: the quarantine was not ended')
        self.assertFalse(os.path.exists(os.path.join(rig.state, 'quarantine')))
        av = pu.check_of(self.report(), 'antivirus')
        self.assertIsNone(av['failing_since'])
        self.assertEqual(len(glob.glob(os.path.join(rig.state, 'spool', 'posture-*.json'))), 2)
        self.assertEqual(len(records(rig.state, 'incident')), 1)
        self.assertIn('Posture round (a checked file changed)', rig.agent_log())


class MalwareOnMediumTest(unittest.TestCase):
    """EICAR on a medium (a file system mounted for the test) found by the weekly full scan: the
    agent, in its network namespace, isolates the terminal (the nftables table is there) and
    records an incident; before the first scan, the overdue scan fails the check without
    isolating."""

    def setUp(self):
        mod = load_clamd_machinery()
        self.mod = mod
        self.clamd = mod.Clamd(lambda db: mod.write_cud(os.path.join(db, 'daily.cud'), time.time() - 3600))
        self.medium = tempfile.mkdtemp(prefix='mamori-medium.')
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=4m', 'mamori-medium', self.medium], check=True)
        with open(os.path.join(self.medium, 'clean.txt'), 'w') as f:
            f.write('minutes of the meeting\n')
        os.mkdir(os.path.join(self.medium, 'docs'))
        with open(os.path.join(self.medium, 'docs', 'eicar.com'), 'wb') as f:
            f.write(mod.EICAR)
        posture = f'''posture:
  checks:
    antivirus: {{ action: quarantine, socket: {self.clamd.socket}, full-scan-interval: 8d,
                 scan-paths: [{self.medium}], scan-timeout: 1m }}
'''
        self.rig = Rig(extra_policy={'20-posture.yaml': posture})

    def tearDown(self):
        self.rig.close()
        self.clamd.close()
        subprocess.run(['umount', self.medium], check=False)
        os.rmdir(self.medium)

    def agent_pid(self):
        p = subprocess.run(['pgrep', '-f', f'mamorid --policy-dir {self.rig.policy}'], capture_output=True,
                           text=True, check=False)
        return p.stdout.split()[0]

    def test_eicar_isolates(self):
        rig = self.rig
        _, status, summary = rig.signals.wait('PostureChanged', lambda a: a[0] == 'antivirus', timeout=ROUND)
        self.assertEqual(status, 'fail', summary)          # no full scan yet (AV-03) ...
        av = pu.check_of(self.report(), 'antivirus')
        self.assertEqual(av['evidence']['failed_requirement'], 'AV-03')
        self.assertFalse(os.path.exists(os.path.join(rig.state, 'quarantine')))     # ... which does not isolate

        rig.signals.drain()
        scanner = os.path.join(os.path.dirname(MAMORICTL), '..', 'agent', 'posture', 'mamori-scan')
        p = subprocess.run([scanner, '--policy-dir', rig.policy, '--state-dir', rig.state], env=rig.env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)    # 1: malware found
        active, reason = rig.signals.wait('QuarantineChanged', lambda a: a[0], timeout=ROUND)
        self.assertIn('antivirus', reason)
        av = pu.check_of(self.report(), 'antivirus')
        self.assertTrue(av['evidence']['detected'])
        self.assertIn(os.path.join(self.medium, 'docs', 'eicar.com'), json.dumps(av['evidence']))
        incident = records(rig.state, 'incident')
        self.assertEqual(len(incident), 1, incident)
        table = subprocess.run(['nsenter', '-t', self.agent_pid(), '-n', 'nft', 'list', 'table', 'inet', 'mamori'],
                               capture_output=True, text=True, timeout=10)
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn('policy drop', table.stdout)

    def report(self):
        (text,) = self.rig.call('GetPosture', reply='(s)')
        return pu.validate(text)


if __name__ == '__main__':
    reason = skip_reason() or (None if shutil.which('clamd') or os.path.exists('/usr/sbin/clamd')
                               else 'clamd (clamav-daemon) is not installed')
    if reason:
        print(f'SKIP: {reason}')
        sys.exit(77)
    unittest.main(verbosity=2)
