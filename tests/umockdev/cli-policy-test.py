#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# `mamorictl policy test` on umockdev's fake sysfs (DESIGN.md "Offline decision"; MED-01):
# the JSON object's keys, order and values for an allowed stick, an unknown composite device,
# malformed descriptors, and no valid policy.

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
MAMORICTL = os.environ.get('MAMORICTL') or (sys.argv[1] if len(sys.argv) > 1 else None)
FIXTURE = os.path.join(HERE, 'cli-devices.umockdev')
POLICY = os.path.join(HERE, 'cli-policy')
CONTRACT_KEYS = ['device', 'vendor', 'product', 'serial', 'decision', 'rule', 'policy_version',
                 'reason', 'interfaces']


def run(*args, policy=POLICY):
    cmd = ['umockdev-run', '--device', FIXTURE, '--', MAMORICTL, 'policy', 'test']
    if policy is not None:
        cmd += ['--policy-dir', policy]
    cmd += list(args)
    env = dict(os.environ, LC_ALL='C',
               ASAN_OPTIONS='verify_asan_link_order=0:detect_leaks=0')
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)


def decide(device, policy=POLICY):
    p = run('--device', device, '--json', '--hostname', 'pc-001', policy=policy)
    if p.returncode != 0:
        raise AssertionError('exit %d: %s' % (p.returncode, p.stderr))
    return json.loads(p.stdout), p.stderr


class PolicyTest(unittest.TestCase):
    def assertContract(self, obj):
        self.assertEqual(list(obj.keys())[:len(CONTRACT_KEYS)], CONTRACT_KEYS)
        for i in obj['interfaces']:
            self.assertEqual(list(i.keys())[:4], ['interface', 'class', 'decision', 'rule'])
            self.assertRegex(i['class'], '^[0-9a-f]{2}$')

    def test_allowed_stick(self):
        obj, _ = decide('1-2')
        self.assertContract(obj)
        self.assertEqual(obj['device'], '1-2')
        self.assertEqual(obj['vendor'], '0781')
        self.assertEqual(obj['product'], '5581')
        self.assertEqual(obj['serial'], 'CLI0001')
        self.assertEqual(obj['decision'], 'allow')
        self.assertEqual(obj['rule'], 'test-stick')
        self.assertRegex(obj['policy_version'], r'^7@[0-9a-f]{12}$')
        self.assertTrue(obj['reason'].endswith('.'))
        self.assertEqual(obj['interfaces'], [
            {'interface': '1-2:1.0', 'class': '08', 'decision': 'allow', 'rule': 'test-stick',
             'subclass': '06', 'protocol': '50'}])
        self.assertEqual(obj['connect_type'], 'hotplug')
        self.assertRegex(obj['descriptors_hash'], '^[0-9a-f]{64}$')

    def test_syspath_and_unknown_composite(self):
        obj, _ = decide('/sys/bus/usb/devices/1-3')
        self.assertContract(obj)
        self.assertEqual(obj['device'], '1-3')
        self.assertEqual((obj['vendor'], obj['product']), ('1234', '5678'))
        self.assertEqual(obj['decision'], 'block')
        self.assertIsNone(obj['rule'])
        self.assertEqual(obj['reason_code'], 'no-rule-matched')
        self.assertEqual([(i['interface'], i['class'], i['decision']) for i in obj['interfaces']],
                         [('1-3:1.0', '08', 'block'), ('1-3:1.1', '03', 'block')])
        self.assertEqual(obj['connect_type'], 'unknown')

    def test_malformed_descriptors(self):
        obj, _ = decide('1-4')
        self.assertContract(obj)
        self.assertEqual(obj['decision'], 'block')
        self.assertIsNone(obj['rule'])
        self.assertEqual(obj['reason_code'], 'malformed-descriptors')
        self.assertEqual(obj['interfaces'], [])

    def test_alternate_setting_class(self):
        # Interface 0 is storage, but alternate setting 1 is CDC: the policy sees both classes
        # under the same interface name, and only the storage one is allowed.
        obj, _ = decide('1-5')
        self.assertContract(obj)
        self.assertEqual(obj['decision'], 'allow')
        self.assertEqual([(i['interface'], i['class'], i['decision']) for i in obj['interfaces']],
                         [('1-5:1.0', '08', 'allow'), ('1-5:1.0', '02', 'block')])

    def test_no_valid_policy(self):
        empty = tempfile.mkdtemp()
        try:
            obj, err = decide('1-2', policy=empty)
        finally:
            shutil.rmtree(empty)
        self.assertContract(obj)
        self.assertEqual(obj['decision'], 'block')
        self.assertIsNone(obj['rule'])
        self.assertIsNone(obj['policy_version'])
        self.assertIn('policy', obj['reason'])
        self.assertEqual(obj['reason_code'], 'no-policy')
        self.assertNotEqual(err.strip(), '')

    def test_text_output(self):
        p = run('--device', '1-2')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('test-stick', p.stdout)
        self.assertIn('1-2:1.0', p.stdout)

    def test_bad_usage(self):
        # usage errors exit 2 (mamorictl(1)); a device that cannot be decided is an error, 1
        self.assertEqual(run().returncode, 2)
        self.assertEqual(run('--device', '1-2', 'extra').returncode, 2)
        self.assertEqual(run('--device', '9-9').returncode, 1)
        # An interface is not a usb_device.
        self.assertEqual(run('--device', '1-0:1.0').returncode, 1)


if __name__ == '__main__':
    if not MAMORICTL:
        print('usage: cli-policy-test.py MAMORICTL')
        sys.exit(2)
    if not shutil.which('umockdev-run'):
        print('umockdev-run not installed: skipping')
        sys.exit(77)
    unittest.main(argv=sys.argv[:1], verbosity=2)
