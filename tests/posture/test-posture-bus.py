#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The bus side of the posture probes, through sd-bus against python3-dbusmock on a private
system bus (DBUS_SYSTEM_BUS_ADDRESS): logind's sessions for screen-lock (LCK-01) and timedated's
NTPSynchronized for time-sync (LOG-07), end to end through `mamorictl posture check --json`.

Cases: logind with a tty session only -> screen-lock not-applicable; with a graphical (x11)
session of no known desktop -> unknown, the session counted in the evidence (the desktops'
settings: test-posture-lock.py); timedated NTPSynchronized false ->
time-sync fail whatever the kernel says.

Usage: test-posture-bus.py MAMORICTL"""

import os
import subprocess
import sys

try:
    import dbus
    import dbusmock
except ImportError:
    # meson may have found another python3 first (pyenv, a venv): Debian's python3-dbusmock is
    # installed for the system's.
    SYSTEM = '/usr/bin/python3'
    if os.path.exists(SYSTEM) and os.path.realpath(SYSTEM) != os.path.realpath(sys.executable):
        os.execv(SYSTEM, [SYSTEM] + sys.argv)
    print('python3-dbusmock not installed: skipped')
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posture_util as pu  # noqa: E402  pylint: disable=wrong-import-position

MAMORICTL = sys.argv[1]

POLICY = pu.RULES + '''posture:
  checks:
    time-sync: { max-offset: 1s }
    screen-lock: { idle-max: 10m }
'''


class Bus(dbusmock.DBusTestCase):
    """A private system bus with mocked logind and timedated."""

    def __init__(self):
        super().__init__()
        self.setUpClass()
        self.start_system_bus()
        self.logind, self.logind_obj = self.spawn_server_template('logind', {}, stdout=subprocess.DEVNULL)
        self.timedated, _ = self.spawn_server_template('timedated', {'NTP': False}, stdout=subprocess.DEVNULL)
        self.mock = dbus.Interface(self.logind_obj, dbusmock.MOCK_IFACE)

    def add_session(self, sid, session_type, active=True):
        path = self.mock.AddSession(sid, 'seat0', dbus.UInt32(1000), 'staff', active)
        obj = self.get_dbus(system_bus=True).get_object('org.freedesktop.login1', path)
        dbus.Interface(obj, dbusmock.MOCK_IFACE).UpdateProperties(
            'org.freedesktop.login1.Session', {'Type': session_type})

    def close(self):
        for p in (self.logind, self.timedated):
            p.terminate()
            p.wait()
        self.tearDownClass()


def run(d):
    rc, out, err, _ = pu.run_check(MAMORICTL, d, '--json')
    report = pu.validate(out)
    assert rc == 1, f'exit status {rc}, stderr {err!r}'    # time-sync fails: NTPSynchronized is false
    return report


def case_tty_only(bus, d):
    bus.add_session('c1', 'tty')
    report = run(d)
    lock = pu.check_of(report, 'screen-lock')
    assert lock['status'] == 'not-applicable', lock
    ev = lock['evidence']
    assert ev['logind'] is True and ev['sessions'] == 1 and ev['graphical_sessions'] == 0, ev
    ts = pu.check_of(report, 'time-sync')
    assert ts['status'] == 'fail', ts
    assert ts['evidence']['ntp_synchronized'] is False, ts


def case_graphical(bus, d):
    bus.add_session('c2', 'x11', active=True)
    report = run(d)
    lock = pu.check_of(report, 'screen-lock')
    assert lock['status'] == 'unknown', lock
    ev = lock['evidence']
    assert ev['sessions'] == 2 and ev['graphical_sessions'] == 1, ev
    assert ev['active_graphical_sessions'] == 1, ev
    # the template's sessions name no desktop: mamori cannot know its settings
    assert ev['checked_sessions']['c2']['settings'] == 'unknown', ev
    assert ev['settings'] == 'none', ev


def main():
    bus = Bus()
    d = pu.policy_dir(POLICY)
    cases = pu.Cases()
    try:
        cases.run('logind-tty-only', case_tty_only, bus, d)
        cases.run('logind-graphical', case_graphical, bus, d)
    finally:
        bus.close()
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        os.rmdir(d)
    return cases.exit_status()


if __name__ == '__main__':
    sys.exit(main())
