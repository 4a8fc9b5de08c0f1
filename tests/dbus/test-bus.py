#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The agent's D-Bus API (org.mamori.Agent1, docs/dbus-api.md) on a real dbus-daemon with a
# polkit mock and the real mamorid (tests/dbus/bus_rig.py). Calls come from root and from an
# unprivileged user (setpriv).

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bus_rig import MAMORICTL, NAME, TIMEOUT, Rig, skip_reason  # noqa: E402
from gi.repository import GLib  # noqa: E402


class BusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rig = Rig()
        r = cls.rig
        cls.env, cls.signals, cls.policy, cls.state, cls.runtime = r.env, r.signals, r.policy, r.state, r.runtime
        cls.call, cls.prop, cls.agent_log = staticmethod(r.call), staticmethod(r.prop), staticmethod(r.agent_log)
        cls.as_nobody, cls.gdbus_as_nobody = staticmethod(r.as_nobody), staticmethod(r.gdbus_as_nobody)
        cls.polkit_allow = staticmethod(r.polkit_allow)

    @classmethod
    def tearDownClass(cls):
        cls.rig.close()

    def state_file(self):
        with open(os.path.join(self.runtime, 'state.json')) as f:
            return json.load(f)

    # --- reading: anyone ---

    def test_properties(self):
        state = self.state_file()
        self.assertEqual(self.prop('PolicyStatus'), 'ok')
        self.assertEqual(self.prop('PolicyName'), 'cli-test')
        self.assertEqual(self.prop('PolicyVersion'), state['policy']['version'])
        self.assertRegex(self.prop('PolicyVersion'), r'^7@[0-9a-f]{12}$')
        self.assertFalse(self.prop('AuditOnly'))

    def test_get_state_is_the_state_file(self):
        (text,) = self.call('GetState', reply='(s)')
        bus, disk = json.loads(text), self.state_file()
        bus.pop('updated')
        disk.pop('updated')
        self.assertEqual(bus, disk)

    def test_get_devices(self):
        (devices,) = self.call('GetDevices', reply='(a(ssssssss))')
        by_name = {d[0]: d for d in devices}
        self.assertIn('1-2', by_name, devices)
        name, vendor, product, serial, decision, rule, reason, message = by_name['1-2']
        self.assertEqual((vendor, product, serial, decision, rule), ('0781', '5581', 'CLI0001', 'allow', 'test-stick'))
        self.assertEqual(reason, 'rule-matched')
        self.assertTrue(message)
        self.assertEqual(len(devices), len(self.state_file()['devices']))

    def test_staff_may_read(self):
        p = self.gdbus_as_nobody('GetDevices')
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("'1-2'", p.stdout)

    def test_staff_cannot_take_the_name(self):
        p = self.as_nobody('dbus-send', '--system', '--print-reply', '--dest=org.freedesktop.DBus',
                           '/org/freedesktop/DBus', 'org.freedesktop.DBus.RequestName', f'string:{NAME}', 'uint32:0')
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn('AccessDenied', p.stderr)

    def test_mamorictl_status_asks_the_agent(self):
        # no --runtime-dir: the running agent answers over the bus (the default runtime
        # directory has no state file here)
        p = subprocess.run([MAMORICTL, 'status', '--json'], env=self.env, capture_output=True, text=True,
                           timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)['policy']['directory'], self.policy)

    # --- changing: root, or whom polkit allows ---

    def test_reload_denied_then_allowed(self):
        self.polkit_allow()
        p = self.gdbus_as_nobody('Reload')
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn('AccessDenied', p.stderr)
        self.assertIn('org.mamori.agent.reload', p.stderr)
        self.assertIn('refused (polkit action org.mamori.agent.reload)', self.agent_log())
        self.polkit_allow('org.mamori.agent.reload')
        self.signals.drain()
        p = self.gdbus_as_nobody('Reload')
        self.assertEqual(p.returncode, 0, p.stderr)
        status, version = self.signals.wait('PolicyChanged')
        self.assertEqual(status, 'ok')
        self.assertEqual(version, self.prop('PolicyVersion'))
        self.assertIn('over D-Bus (dbus:uid=65534)', self.agent_log())
        self.polkit_allow()

    def test_quarantine_by_root(self):
        # root needs no polkit: the mock allows nothing here
        self.polkit_allow()
        with self.assertRaises(GLib.Error):        # a quarantine needs a reason
            self.call('SetQuarantine', GLib.Variant('(bs)', (True, '')))
        self.signals.drain()
        self.call('SetQuarantine', GLib.Variant('(bs)', (True, 'test: malware found')))
        active, reason = self.signals.wait('QuarantineChanged', lambda a: a[0])
        self.assertEqual(reason, 'test: malware found')
        self.assertTrue(self.prop('Quarantined'))
        self.assertEqual(self.prop('QuarantineReason'), 'test: malware found')
        with open(os.path.join(self.state, 'quarantine')) as f:
            self.assertIn('source=dbus:uid=0', f.read())
        p = self.gdbus_as_nobody('SetQuarantine', 'false', '')
        self.assertIn('AccessDenied', p.stderr)
        self.assertTrue(self.prop('Quarantined'))
        self.call('SetQuarantine', GLib.Variant('(bs)', (False, '')))
        self.signals.wait('QuarantineChanged', lambda a: not a[0])
        self.assertFalse(self.prop('Quarantined'))

    def test_device_decided_signal(self):
        # a policy that blocks the stick: the reload re-decides it, and the change is signalled
        blocker = os.path.join(self.policy, '00-block-sticks.yaml')
        with open(os.path.join(self.policy, '.new'), 'w') as f:
            f.write('rules:\n  - id: no-sticks\n    match:\n      vendor: "0781"\n    action: block\n')
        self.signals.drain()
        os.rename(os.path.join(self.policy, '.new'), blocker)     # the directory watch reloads
        try:
            device, vid_pid, decision, rule, reason, message = self.signals.wait(
                'DeviceDecided', lambda a: a[0] == '1-2' and a[2] == 'block')
            self.assertEqual((vid_pid, decision, rule, reason), ('0781:5581', 'block', 'no-sticks', 'rule-matched'))
            self.assertTrue(message)
        finally:
            os.unlink(blocker)
            self.signals.wait('DeviceDecided', lambda a: a[0] == '1-2' and a[2] == 'allow')


if __name__ == '__main__':
    if skip_reason():
        print(f'SKIP: {skip_reason()}')
        sys.exit(77)
    unittest.main(verbosity=2)
