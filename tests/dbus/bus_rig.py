# SPDX-License-Identifier: GPL-2.0-or-later
"""The rig of the D-Bus tests: a real dbus-daemon with the shipped bus policy
(packaging/dbus/org.mamori.Agent1.conf), python3-dbusmock's polkitd template as polkit, and the
real mamorid under umockdev (tests/umockdev/cli-devices.umockdev: present USB devices) in a
network namespace of its own (a quarantine's nftables table lands there), started and awaited
through NOTIFY_SOCKET. Every wait is for an event (a signal, a notify message, a line on a pipe),
bounded."""

import os
import shutil
import socket
import subprocess
import tempfile

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

    def wait(self, member, match=lambda args: True, timeout=TIMEOUT):
        ctx, deadline = GLib.MainContext.default(), GLib.get_monotonic_time() + timeout * 1000000
        while GLib.get_monotonic_time() < deadline:
            for i, (m, args) in enumerate(self.got):
                if m == member and match(args):
                    del self.got[:i + 1]
                    return args
            GLib.timeout_add(100, lambda: False)
            ctx.iteration(True)
        raise AssertionError(f'no {member} signal within {timeout} s; got {self.got}')




def iterate_until(done, timeout=TIMEOUT, what='an event'):
    """Runs the main loop until done() is true, at most timeout seconds."""
    ctx, deadline = GLib.MainContext.default(), GLib.get_monotonic_time() + timeout * 1000000
    while not done():
        if GLib.get_monotonic_time() > deadline:
            raise AssertionError(f'no {what} within {timeout} s')
        GLib.timeout_add(100, lambda: False)
        ctx.iteration(True)


class Rig:
    """dbus-daemon, the polkit mock and mamorid on policy_dir (a copy is made)."""

    def __init__(self, policy_dir=POLICY, extra_policy=None):
        self.tmp = tempfile.mkdtemp(prefix='mamori-bus.')
        os.chmod(self.tmp, 0o755)
        self.procs = []
        try:
            self._start(policy_dir, extra_policy)
        except BaseException:
            self.close()
            raise

    def _start(self, policy_dir, extra_policy):
        t = self.tmp
        conf = os.path.join(t, 'bus.conf')
        with open(conf, 'w') as f:
            f.write(DAEMON_CONF.format(sock=os.path.join(t, 'bus'), mamori=BUS_CONF))
        r, w = os.pipe()
        self.procs.append(subprocess.Popen(['dbus-daemon', '--config-file', conf, '--nofork',
                                            f'--print-address={w}'], pass_fds=[w]))
        os.close(w)
        with os.fdopen(r) as f:
            self.address = f.readline().strip()
        if not self.address:
            raise RuntimeError('dbus-daemon did not start')
        self.env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address, LC_ALL='C',
                        ASAN_OPTIONS='verify_asan_link_order=0:detect_leaks=0')
        self.conn = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        self.signals = Signals(self.conn)

        # polkit: the mock, awaited through NameOwnerChanged
        owners = []
        self.conn.signal_subscribe('org.freedesktop.DBus', 'org.freedesktop.DBus', 'NameOwnerChanged',
                                   '/org/freedesktop/DBus', None, Gio.DBusSignalFlags.NONE,
                                   lambda *a: owners.append(a[5].unpack()), None)
        self.procs.append(subprocess.Popen(['/usr/bin/python3', '-m', 'dbusmock', '--system', '--template',
                                            'polkitd'], env=self.env, stdout=subprocess.DEVNULL))
        iterate_until(lambda: any(o[0] == 'org.freedesktop.PolicyKit1' and o[2] for o in owners),
                      what='polkit mock on the bus')

        # the agent: a copy of the policy (root's alone), its own state and runtime directories
        self.policy = os.path.join(t, 'policy')
        shutil.copytree(policy_dir, self.policy)
        for name, text in (extra_policy or {}).items():
            with open(os.path.join(self.policy, name), 'w') as f:
                f.write(text)
        self.state, self.runtime = os.path.join(t, 'state'), os.path.join(t, 'runtime')
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(os.path.join(t, 'notify'))
        notify.settimeout(TIMEOUT)
        self.log = open(os.path.join(t, 'mamorid.log'), 'w')
        self.agent = subprocess.Popen(
            ['unshare', '--net', 'umockdev-run', '--device', FIXTURE, '--', MAMORID, '--policy-dir', self.policy,
             '--state-dir', self.state, '--runtime-dir', self.runtime],
            env=dict(self.env, NOTIFY_SOCKET=os.path.join(t, 'notify')), stdout=self.log, stderr=subprocess.STDOUT)
        self.procs.append(self.agent)
        while b'READY=1' not in notify.recv(4096):
            pass
        notify.close()

    def close(self):
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
        if getattr(self, 'log', None):
            self.log.close()
        if os.environ.get('MAMORI_KEEP_TMP'):
            print('kept', self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

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
