#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""screen-lock end to end (LCK-01, LCK-02): logind from python3-dbusmock's template on a private
system bus (DBUS_SYSTEM_BUS_ADDRESS), the shipped dconf files compiled by a real `dconf compile`
into a fixture root (with and without their locks), the KDE example with and without [$i], and
enforce: an idle, unlocked session past idle-max gets Session.Lock() (dbusmock's call log); a
locked one, one idle for less than idle-max, and any session when the round does not enforce
are left alone; a logind that does not answer costs the round the 2 s limit, no more. Rounds run
through posture-round (the agent's options: root, enforce).

Usage: test-posture-lock.py POSTURE_ROUND MAMORICTL"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import dbus
    import dbusmock
except ImportError:
    SYSTEM = '/usr/bin/python3'
    if os.path.exists(SYSTEM) and os.path.realpath(SYSTEM) != os.path.realpath(sys.executable):
        os.execv(SYSTEM, [SYSTEM] + sys.argv)
    print('python3-dbusmock not installed: skipped')
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posture_util as pu  # noqa: E402  pylint: disable=wrong-import-position

POSTURE_ROUND, MAMORICTL = sys.argv[1], sys.argv[2]
PACKAGING = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'packaging')

if not shutil.which('dconf'):
    print('dconf (package dconf-cli) not installed: skipped')
    sys.exit(77)


def policy(action='enforce', idle_max='10m', desktops=None):
    extra = f', desktops: [{desktops}]' if desktops else ''
    return pu.RULES + f'''posture:
  checks:
    screen-lock: {{ idle-max: {idle_max}, action: {action}{extra} }}
'''


class Bus(dbusmock.DBusTestCase):
    """A private system bus with a mocked logind."""

    def __init__(self):
        super().__init__()
        self.setUpClass()
        self.start_system_bus()
        self.logind, self.logind_obj = self.spawn_server_template('logind', {}, stdout=subprocess.DEVNULL)
        self.mock = dbus.Interface(self.logind_obj, dbusmock.MOCK_IFACE)
        self.paths = []

    def add_session(self, sid, session_type='x11', desktop='gnome', idle=False, idle_since=0, locked=False):
        """A session; idle_since in seconds before now (CLOCK_REALTIME). Returns its mock interface."""
        path = self.mock.AddSession(sid, 'seat0', dbus.UInt32(1000), 'staff', True)
        self.paths.append(path)
        obj = self.get_dbus(system_bus=True).get_object('org.freedesktop.login1', path)
        m = dbus.Interface(obj, dbusmock.MOCK_IFACE)
        since = int((time.time() - idle_since) * 1e6) if idle else 0
        m.AddProperty('org.freedesktop.login1.Session', 'Desktop', desktop)    # not in the template
        m.UpdateProperties('org.freedesktop.login1.Session', {
            'Type': session_type, 'IdleHint': idle,
            'IdleSinceHint': dbus.UInt64(since), 'LockedHint': locked})
        m.ClearCalls()
        return m

    def clear(self):
        for p in self.paths:
            self.mock.RemoveObject(p)
        self.paths = []

    def close(self):
        self.logind.terminate()
        self.logind.wait()
        self.tearDownClass()


class Root:
    """A fixture root: etc/dconf from packaging/dconf compiled by `dconf compile`, etc/xdg."""

    def __init__(self, dconf_locks=True, profile=True, kde=None):
        self.path = tempfile.mkdtemp(prefix='mamori-lock-')
        db = os.path.join(self.path, 'etc', 'dconf', 'db')
        os.makedirs(db)
        src = os.path.join(PACKAGING, 'dconf', 'db', 'mamori.d')
        keyfiles = os.path.join(self.path, 'mamori.d')
        shutil.copytree(src, keyfiles)
        if not dconf_locks:
            shutil.rmtree(os.path.join(keyfiles, 'locks'))
        subprocess.run(['dconf', 'compile', os.path.join(db, 'mamori'), keyfiles], check=True)
        if profile:
            os.makedirs(os.path.join(self.path, 'etc', 'dconf', 'profile'))
            shutil.copy(os.path.join(PACKAGING, 'dconf', 'profile', 'user'),
                        os.path.join(self.path, 'etc', 'dconf', 'profile', 'user'))
        if kde is not None:
            os.makedirs(os.path.join(self.path, 'etc', 'xdg'))
            with open(os.path.join(self.path, 'etc', 'xdg', 'kscreenlockerrc'), 'w', encoding='utf-8') as f:
                f.write(kde)

    def remove(self):
        shutil.rmtree(self.path)


def kde_example(immutable=True):
    with open(os.path.join(PACKAGING, 'kde', 'kscreenlockerrc'), encoding='utf-8') as f:
        text = f.read()
    return text if immutable else text.replace('[Daemon][$i]', '[Daemon]')


class Env:
    """Where the dconf library keeps its per-user files during a round (not the tester's home)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='mamori-lock-home-')
        os.chmod(self.dir, 0o700)
        self.extra = dict(XDG_RUNTIME_DIR=self.dir, XDG_CONFIG_HOME=os.path.join(self.dir, 'config'),
                        XDG_CACHE_HOME=os.path.join(self.dir, 'cache'), LC_ALL='C.UTF-8', LANGUAGE='')


ENV = Env()
TIMES = []


def round_(d, root, *extra):
    start = time.monotonic()
    env = dict(os.environ, **ENV.extra)       # with the private bus's DBUS_SYSTEM_BUS_ADDRESS
    p = subprocess.run([POSTURE_ROUND, d, root.path, *extra], capture_output=True, text=True, env=env,
                       timeout=30, check=False)
    TIMES.append(time.monotonic() - start)
    assert p.returncode == 0, f'posture-round: {p.returncode}, stderr {p.stderr!r}'
    assert not p.stderr, f'posture-round wrote to stderr: {p.stderr!r}'     # e.g. the dconf library's warnings
    lock = pu.check_of(pu.validate(p.stdout), 'screen-lock')
    return lock, lock['evidence']


def case_gnome_locked(bus, d):
    bus.add_session('g1', desktop='gnome')
    root = Root()
    try:
        lock, ev = round_(d, root)
        assert lock['status'] == 'pass', lock
        g = ev['gnome']
        assert ev['settings'] == 'gnome', ev
        assert g['dconf_profile'] == 'user-db:user, system-db:mamori', g
        assert g['idle_delay'] == 300 and g['idle_delay_locked'] is True, g
        assert g['lock_enabled'] is True and g['lock_enabled_locked'] is True, g
        assert g['lock_delay'] == 0 and g['lock_delay_locked'] is True, g
        s = ev['checked_sessions']['g1']
        assert s['desktop'] == 'gnome' and s['settings'] == 'gnome' and s['status'] == 'pass', s
        assert s['user'] == 'staff' and s['uid'] == 1000, s
        # the same settings but an idle-max shorter than idle-delay + lock-delay
        d2 = pu.policy_dir(policy(idle_max='4m'))
        lock, ev = round_(d2, root)
        assert lock['status'] == 'fail', lock
        assert 'longer than idle-max' in ev['checked_sessions']['g1']['reason'], ev
        shutil.rmtree(d2)
    finally:
        root.remove()


def case_gnome_unlocked(bus, d):
    bus.add_session('g2', session_type='wayland', desktop='ubuntu')
    root = Root(dconf_locks=False)
    try:
        lock, ev = round_(d, root)
        assert lock['status'] == 'fail', lock
        g = ev['gnome']
        assert g['idle_delay'] == 300 and g['idle_delay_locked'] is False, g
        assert 'not locked' in ev['checked_sessions']['g2']['reason'], ev
    finally:
        root.remove()


def case_gnome_no_profile(bus, d):
    bus.add_session('g3', desktop='gnome-xorg')
    root = Root(profile=False)          # dconf's default profile: the user's database only
    try:
        lock, ev = round_(d, root)
        assert lock['status'] == 'fail', lock
        assert ev['gnome']['dconf_profile'] == 'user-db:user', ev
        assert ev['gnome']['idle_delay'] is None, ev
    finally:
        root.remove()


def case_kde(bus, d):
    bus.add_session('k1', session_type='wayland', desktop='KDE')
    for immutable, want in ((True, 'pass'), (False, 'fail')):
        root = Root(kde=kde_example(immutable))
        try:
            lock, ev = round_(d, root)
            assert lock['status'] == want, (immutable, lock)
            k = ev['kde']
            assert k['autolock'] is True and k['timeout_minutes'] == 5, k
            assert k['autolock_immutable'] is immutable and k['timeout_immutable'] is immutable, k
            assert k['lock_on_resume'] is True, k
            assert 'gnome' not in ev and ev['settings'] == 'kde', ev
        finally:
            root.remove()
    root = Root()                       # no /etc/xdg/kscreenlockerrc
    try:
        lock, ev = round_(d, root)
        assert lock['status'] == 'fail' and ev['kde']['error'], lock
    finally:
        root.remove()


def case_other_desktop(bus, d):
    bus.add_session('x1', desktop='xfce')
    root = Root()
    try:
        lock, ev = round_(d, root)
        assert lock['status'] == 'unknown', lock
        s = ev['checked_sessions']['x1']
        assert s['desktop'] == 'xfce' and s['settings'] == 'unknown', s
    finally:
        root.remove()


def case_policy_desktops(bus, _d):
    """desktops: [gnome]: a KDE session fails even with an immutable lock."""
    bus.add_session('p1', desktop='gnome')
    bus.add_session('p2', desktop='plasma')
    root = Root(kde=kde_example())
    d = pu.policy_dir(policy(desktops='gnome'))
    try:
        lock, ev = round_(d, root)
        assert lock['status'] == 'fail', lock
        assert ev['checked_sessions']['p1']['status'] == 'pass', ev
        assert 'desktops' in ev['checked_sessions']['p2']['reason'], ev
        d2 = pu.policy_dir(policy(desktops='gnome, kde'))
        lock, ev = round_(d2, root)
        shutil.rmtree(d2)
        assert lock['status'] == 'pass', lock
    finally:
        root.remove()
        shutil.rmtree(d)


def case_not_active(bus, d):
    bus.add_session('t1', session_type='tty', desktop='')
    root = Root()
    try:
        lock, ev = round_(d, root)
        assert lock['status'] == 'not-applicable', lock
        assert ev['sessions'] == 1 and ev['graphical_sessions'] == 0, ev
        assert 'checked_sessions' not in ev, ev
    finally:
        root.remove()


def lock_calls(m):
    return len(m.GetMethodCalls('Lock'))


def case_enforce(bus, d):
    past = bus.add_session('e1', idle=True, idle_since=20 * 60)
    locked = bus.add_session('e2', idle=True, idle_since=20 * 60, locked=True)
    recent = bus.add_session('e3', idle=True, idle_since=60)
    busy = bus.add_session('e4')
    root = Root()
    try:
        # without enforce (mamorictl, or the agent's option off): nothing is locked
        lock, ev = round_(d, root)
        assert 'locked_sessions' not in ev, ev
        assert [lock_calls(m) for m in (past, locked, recent, busy)] == [0, 0, 0, 0]
        # action report: the agent's enforce does not lock either
        d2 = pu.policy_dir(policy(action='report'))
        lock, ev = round_(d2, root, '--enforce')
        shutil.rmtree(d2)
        assert [lock_calls(m) for m in (past, locked, recent, busy)] == [0, 0, 0, 0]
        # enforce: the idle, unlocked session past idle-max only
        lock, ev = round_(d, root, '--enforce')
        assert [lock_calls(m) for m in (past, locked, recent, busy)] == [1, 0, 0, 0]
        assert ev['locked_sessions'] == 'e1', ev
        assert ev['checked_sessions']['e1']['locked_by_mamori'] is True, ev
        assert 'locked_by_mamori' not in ev['checked_sessions']['e2'], ev
        assert lock['status'] == 'pass', lock           # the settings pass; the lock was extra
    finally:
        root.remove()


def case_logind_stuck(bus, d):
    """A logind that does not answer: the round gives up after the 2 s limit of the call."""
    bus.add_session('s1', desktop='gnome')
    bus.mock.AddMethod('org.freedesktop.login1.Manager', 'ListSessions', '', 'a(susso)',
                       'import time; time.sleep(4); ret = []')
    root = Root()
    try:
        lock, ev = round_(d, root)
        took = TIMES[-1]
        print(f'     stuck logind: round took {took:.2f}s')
        assert ev['logind'] is False and ev['logind_error'] == 'Connection timed out', ev
        assert lock['status'] == 'not-applicable', lock     # no display socket in the fixture root
        assert 1.9 < took < 3.5, took
    finally:
        root.remove()


def case_cli_this_machine(_bus, d):
    """mamorictl on this machine's own system bus (the private one unset): no graphical session."""
    env = {k: v for k, v in os.environ.items() if k != 'DBUS_SYSTEM_BUS_ADDRESS'}
    env.update(LC_ALL='C.UTF-8', LANGUAGE='')
    p = subprocess.run([MAMORICTL, 'posture', 'check', '--policy-dir', d, '--json'], capture_output=True,
                       text=True, env=env, timeout=30, check=False)
    lock = pu.check_of(pu.validate(p.stdout), 'screen-lock')
    assert lock['status'] == 'not-applicable', lock


def main():
    bus = Bus()
    d = pu.policy_dir(policy())
    cases = pu.Cases()
    try:
        for name, fn in (('gnome-dconf-locked', case_gnome_locked), ('gnome-dconf-unlocked', case_gnome_unlocked),
                         ('gnome-no-profile', case_gnome_no_profile), ('kde-immutable-or-not', case_kde),
                         ('other-desktop', case_other_desktop), ('policy-desktops', case_policy_desktops),
                         ('tty-not-applicable', case_not_active),
                         ('enforce-lock', case_enforce), ('cli-this-machine', case_cli_this_machine),
                         ('logind-stuck', case_logind_stuck)):       # last: the mock sleeps
            cases.run(name, fn, bus, d)
            bus.clear()
    finally:
        bus.close()
        shutil.rmtree(d)
        shutil.rmtree(ENV.dir)
    if TIMES:
        print(f'rounds: {len(TIMES)}, longest {max(TIMES):.3f}s, mean {sum(TIMES) / len(TIMES):.3f}s')
    return cases.exit_status()


if __name__ == '__main__':
    sys.exit(main())
