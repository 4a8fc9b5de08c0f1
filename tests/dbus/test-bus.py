#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# The agent's D-Bus API (org.mamori.Agent1, docs/dbus-api.md) on a real dbus-daemon, with the
# shipped bus policy (packaging/dbus/org.mamori.Agent1.conf) and python3-dbusmock's polkitd
# template as polkit. The real mamorid runs under umockdev (tests/umockdev/cli-devices.umockdev:
# present USB devices) in a network namespace of its own (the quarantine's nftables table lands
# there), started and awaited through NOTIFY_SOCKET. Calls come from root and from an
# unprivileged user (setpriv); every wait is for an event (a signal, a notify message, a line
# on a pipe), bounded.

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest

import gi
gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
MAMORID = os.environ.get('MAMORID')
MAMORICTL = os.environ.get('MAMORICTL')
FIXTURE = os.path.join(SOURCE, 'tests', 'umockdev', 'cli-devices.umockdev')
POLICY = os.path.join(SOURCE, 'tests', 'umockdev', 'cli-policy')
BUS_CONF = os.path.join(SOURCE, 'packaging', 'dbus', 'org.mamori.Agent1.conf')
NAME, PATH, IFACE = 'org.mamori.Agent1', '/org/mamori/Agent1', 'org.mamori.Agent1'
TIMEOUT = 10
NOBODY = 65534

# A system-like bus: method calls are denied unless a policy allows them, as in Debian's
# system.conf; the polkit mock (root) may own its name; the rest is the shipped file.
DAEMON_CONF = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
  <include>{mamori}</include>
</busconfig>
'''


def skip_reason():
    if os.geteuid() != 0:
        return 'needs root (a network namespace for the quarantine, calls as another user)'
    for prog in ('dbus-daemon', 'umockdev-run', 'unshare', 'setpriv', 'gdbus', 'dbus-send'):
        if not shutil.which(prog):
            return f'{prog} is not installed'
    try:
        import dbusmock  # noqa: F401
    except ImportError:
        return 'python3-dbusmock is not installed'
    if not MAMORID or not MAMORICTL:
        return 'MAMORID and MAMORICTL must name the binaries'
    return None


class Signals:
    """Collects the agent's signals on a connection; wait() runs the main loop until one comes."""

    def __init__(self, conn):
        self.conn, self.got = conn, []
        conn.signal_subscribe(NAME, IFACE, None, PATH, None, Gio.DBusSignalFlags.NONE, self._on, None)

    def _on(self, conn, sender, path, iface, member, params, data):
        self.got.append((member, params.unpack()))

    def drain(self):
        """Forgets every signal received so far (those already queued included)."""
        while GLib.MainContext.default().iteration(False):
            pass
        self.got.clear()

    def wait(self, member, match=lambda args: True):
        ctx, deadline = GLib.MainContext.default(), GLib.get_monotonic_time() + TIMEOUT * 1000000
        while GLib.get_monotonic_time() < deadline:
            for i, (m, args) in enumerate(self.got):
                if m == member and match(args):
                    del self.got[:i + 1]
                    return args
            GLib.timeout_add(100, lambda: False)
            ctx.iteration(True)
        raise AssertionError(f'no {member} signal within {TIMEOUT} s; got {self.got}')


@unittest.skipIf(skip_reason(), skip_reason())
class BusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='mamori-bus.')
        os.chmod(cls.tmp, 0o755)
        cls.procs = []
        try:
            cls._start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def _start(cls):
        t = cls.tmp
        conf = os.path.join(t, 'bus.conf')
        with open(conf, 'w') as f:
            f.write(DAEMON_CONF.format(sock=os.path.join(t, 'bus'), mamori=BUS_CONF))
        r, w = os.pipe()
        cls.procs.append(subprocess.Popen(['dbus-daemon', '--config-file', conf, '--nofork',
                                           f'--print-address={w}'], pass_fds=[w]))
        os.close(w)
        with os.fdopen(r) as f:
            cls.address = f.readline().strip()
        if not cls.address:
            raise RuntimeError('dbus-daemon did not start')
        cls.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=cls.address, LC_ALL='C',
                       ASAN_OPTIONS='verify_asan_link_order=0:detect_leaks=0')
        cls.conn = Gio.DBusConnection.new_for_address_sync(
            cls.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        cls.signals = Signals(cls.conn)

        # polkit: the mock, awaited through NameOwnerChanged
        owners = []
        cls.conn.signal_subscribe('org.freedesktop.DBus', 'org.freedesktop.DBus', 'NameOwnerChanged',
                                  '/org/freedesktop/DBus', None, Gio.DBusSignalFlags.NONE,
                                  lambda *a: owners.append(a[5].unpack()), None)
        cls.procs.append(subprocess.Popen(['/usr/bin/python3', '-m', 'dbusmock', '--system', '--template',
                                           'polkitd'], env=cls.env, stdout=subprocess.DEVNULL))
        cls._wait_owner(owners, 'org.freedesktop.PolicyKit1')

        # the agent: a copy of the policy (root's alone), its own state and runtime directories
        cls.policy = os.path.join(t, 'policy')
        shutil.copytree(POLICY, cls.policy)
        cls.state, cls.runtime = os.path.join(t, 'state'), os.path.join(t, 'runtime')
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(os.path.join(t, 'notify'))
        notify.settimeout(TIMEOUT)
        cls.log = open(os.path.join(t, 'mamorid.log'), 'w')
        cls.agent = subprocess.Popen(
            ['unshare', '--net', 'umockdev-run', '--device', FIXTURE, '--', MAMORID, '--policy-dir', cls.policy,
             '--state-dir', cls.state, '--runtime-dir', cls.runtime],
            env=dict(cls.env, NOTIFY_SOCKET=os.path.join(t, 'notify')), stdout=cls.log, stderr=subprocess.STDOUT)
        cls.procs.append(cls.agent)
        while b'READY=1' not in notify.recv(4096):
            pass
        notify.close()

    @classmethod
    def _wait_owner(cls, owners, name):
        ctx, deadline = GLib.MainContext.default(), GLib.get_monotonic_time() + TIMEOUT * 1000000
        while not any(o[0] == name and o[2] for o in owners):
            if GLib.get_monotonic_time() > deadline:
                raise RuntimeError(f'{name} did not appear on the bus')
            GLib.timeout_add(100, lambda: False)
            ctx.iteration(True)

    @classmethod
    def tearDownClass(cls):
        for p in reversed(cls.procs):
            p.terminate()
            try:
                p.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.environ.get("MAMORI_KEEP_TMP"):
            print("kept", cls.tmp)
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def agent_log(self):
        with open(os.path.join(self.tmp, 'mamorid.log')) as f:
            return f.read()

    def call(self, method, args=None, reply='()'):
        return self.conn.call_sync(NAME, PATH, IFACE, method, args, GLib.VariantType(reply),
                                   Gio.DBusCallFlags.NONE, TIMEOUT * 1000, None).unpack()

    def prop(self, name):
        return self.conn.call_sync(NAME, PATH, 'org.freedesktop.DBus.Properties', 'Get',
                                   GLib.Variant('(ss)', (IFACE, name)), GLib.VariantType('(v)'),
                                   Gio.DBusCallFlags.NONE, TIMEOUT * 1000, None).unpack()[0]

    def as_nobody(self, *cmd):
        return subprocess.run(['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}', '--clear-groups', *cmd],
                              env=self.env, capture_output=True, text=True, timeout=TIMEOUT * 2)

    def gdbus_as_nobody(self, method, *args):
        return self.as_nobody('gdbus', 'call', '--system', '--dest', NAME, '--object-path', PATH,
                              '--method', f'{IFACE}.{method}', *args)

    def polkit_allow(self, *actions):
        self.conn.call_sync('org.freedesktop.PolicyKit1', '/org/freedesktop/PolicyKit1/Authority',
                            'org.freedesktop.DBus.Mock', 'SetAllowed', GLib.Variant('(as)', (list(actions),)),
                            None, Gio.DBusCallFlags.NONE, TIMEOUT * 1000, None)

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
    unittest.main(verbosity=2)
