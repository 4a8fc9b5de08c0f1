#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The antivirus check's full scan (AV-03), on-access (AV-04) and configuration hash (CFG-02)
parts, against the real clamd of clamd-test.py (its own configuration, socket and EICAR
database), through mamori-scan and `mamorictl posture check --json` end to end.

Cases: a tree with one clean and one EICAR file -> mamori-scan exits 1, last.json says
completed, 1 infected, with the path; the check fails AV-03 with the detection. A clean tree ->
pass. A scan against a stuck clamd (a socket that accepts and never answers) -> last.json says
running and the check sees the scan in progress; after SIGKILL the check reports it interrupted.
The same stuck clamd with scan-timeout 1s -> failed within the limit. A completed scan older than
full-scan-interval -> fail AV-03; no scan ever -> fail AV-03. clamd.conf fixtures with and without
OnAccessIncludePath and OnAccessPrevention, with a fake clamonacc process (a copy of sleep named
clamonacc, found through /proc) and without -> AV-04. config-sha256 matching and not -> CFG-02.

last.json is awaited with inotify on its directory (mamori-scan renames it into place), never by
sleeping.

Usage: clamd-scan-test.py MAMORICTL MAMORI-SCAN"""

import hashlib
import importlib.util
import json
import select
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location('clamd_test', os.path.join(HERE, 'clamd-test.py'))
ct = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ct)
pu = ct.pu

MAMORICTL = sys.argv[1]
MAMORI_SCAN = sys.argv[2]
DAY = 86400


def policy(sock, **keys):
    extra = ''.join(f', {k.replace("_", "-")}: {v}' for k, v in keys.items())
    return pu.RULES + f'''posture:
  checks:
    antivirus: {{ action: quarantine, socket: {sock}{extra} }}
'''


def check(sock, state, want_rc, **keys):
    d = pu.policy_dir(policy(sock, **keys))
    try:
        rc, out, err, seconds = pu.run_check(MAMORICTL, d, '--json', '--state-dir', state)
    finally:
        shutil.rmtree(d)
    report = pu.validate(out)
    av = pu.check_of(report, 'antivirus')
    assert rc == want_rc, f'exit status {rc}, stderr {err!r}, report {out}'
    return av, seconds


def scan(sock, state, paths, timeout='60s', wait=True):
    d = pu.policy_dir(policy(sock, scan_paths=json.dumps(paths), scan_timeout=timeout))
    p = subprocess.Popen([MAMORI_SCAN, '--policy-dir', d, '--state-dir', state],  # pylint: disable=consider-using-with
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if not wait:
        return p, d
    out, _ = p.communicate(timeout=120)
    shutil.rmtree(d)
    return p.returncode, out


def last(state):
    with open(os.path.join(state, 'scan', 'last.json'), encoding='utf-8') as f:
        return json.load(f)


def write_last(state, **rec):
    os.makedirs(os.path.join(state, 'scan'), exist_ok=True)
    base = {'status': 'completed', 'pid': 1, 'boot_id': '', 'roots': ['/home'], 'infected': 0,
            'errors': 0, 'error': None, 'detections': []}
    base.update(rec)
    with open(os.path.join(state, 'scan', 'last.json'), 'w', encoding='utf-8') as f:
        json.dump(base, f)


class Env:
    def __init__(self, clamd):
        self.clamd = clamd
        self.dir = tempfile.mkdtemp(prefix='mamori-scan-')
        os.chmod(self.dir, 0o755)
        self.state = os.path.join(self.dir, 'state')
        os.mkdir(self.state)

    def tree(self, name, files):
        root = os.path.join(self.dir, name)
        os.makedirs(os.path.join(root, 'sub'))
        for rel, data in files.items():
            with open(os.path.join(root, rel), 'wb') as f:
                f.write(data)
        return root

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def case_infected(clamd):
    env = Env(clamd)
    try:
        root = env.tree('tree', {'clean.txt': b'hello\n', 'sub/eicar.com': ct.EICAR})
        start = time.monotonic()
        rc, out = scan(clamd.socket, env.state, [root])
        print(f'     scan of 2 files: {time.monotonic() - start:.2f} s')
        assert rc == 1, f'mamori-scan exit {rc}: {out}'
        rec = last(env.state)
        assert rec['status'] == 'completed' and rec['infected'] == 1, rec
        assert rec['detections'] == [{'path': os.path.join(root, 'sub', 'eicar.com'),
                                      'signature': 'Mamori.Test.EICAR.UNOFFICIAL'}], rec
        assert rec['start'] <= rec['end'] and rec['roots'] == [root], rec
        av, _ = check(clamd.socket, env.state, 1, full_scan_interval='7d')
        assert av['status'] == 'fail' and av['evidence']['failed_requirement'] == 'AV-03', av
        assert av['evidence']['detected'] is True, av
        assert av['evidence']['full_scan']['detections'] == {
            os.path.join(root, 'sub', 'eicar.com'): 'Mamori.Test.EICAR.UNOFFICIAL'}, av
        assert 'malware' in av['summary'], av
        assert av['action'] == 'quarantine' and 'AV-03' in av['requirements'], av
    finally:
        env.close()


def case_clean(clamd):
    env = Env(clamd)
    try:
        root = env.tree('tree', {'clean.txt': b'hello\n', 'sub/b.txt': b'world\n'})
        rc, out = scan(clamd.socket, env.state, [root])
        assert rc == 0, f'mamori-scan exit {rc}: {out}'
        rec = last(env.state)
        assert rec['status'] == 'completed' and rec['infected'] == 0 and rec['detections'] == [], rec
        av, _ = check(clamd.socket, env.state, 0, full_scan_interval='7d')
        assert av['status'] == 'pass', av
        fs = av['evidence']['full_scan']
        assert fs['checked'] is True and fs['status'] == 'completed' and fs['infected'] == 0, fs
        assert fs['interrupted'] is False and fs['detections'] == {}, fs
        assert av['evidence']['detected'] is False, av
        assert av['evidence']['on_access'] == {'checked': False}, av     # keys absent: not checked
        assert av['evidence']['config'] == {'checked': False}, av
    finally:
        env.close()


class Stuck:
    """A clamd that takes the connection and never answers."""

    def __init__(self, directory):
        self.path = os.path.join(directory, 'stuck.ctl')
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(8)

    def close(self):
        self.server.close()


def wait_running(state, proc):
    """Waits (inotify on STATE/scan, pidfd) until last.json says running."""
    sdir = os.path.join(state, 'scan')
    os.makedirs(sdir, exist_ok=True)
    with ct.SocketWatch(sdir) as watch:
        assert watch.wait('last.json', proc.pid, 30), 'no last.json within 30 s'
    return last(state)


def wait_record(state, proc, status, limit=30):
    """Waits until last.json says status: each rename into STATE/scan wakes the wait (inotify),
    as does mamori-scan's exit (pidfd)."""
    sdir = os.path.join(state, 'scan')
    with ct.SocketWatch(sdir) as watch:
        pidfd = os.pidfd_open(proc.pid)
        deadline = time.monotonic() + limit
        try:
            while last(state)['status'] != status:
                left = deadline - time.monotonic()
                assert left > 0, f'last.json did not say {status} within {limit} s'
                ready, _, _ = select.select([watch.fd, pidfd], [], [], left)
                assert pidfd not in ready or last(state)['status'] == status, 'mamori-scan exited'
                if watch.fd in ready:
                    os.read(watch.fd, 65536)
        finally:
            os.close(pidfd)


def case_killed(clamd):
    env = Env(clamd)
    stuck = Stuck(env.dir)
    try:
        root = env.tree('tree', {'clean.txt': b'hello\n'})
        proc, d = scan(stuck.path, env.state, [root], timeout='60s', wait=False)
        try:
            rec = wait_running(env.state, proc)
            assert rec['status'] == 'running' and rec['end'] is None and rec['pid'] == proc.pid, rec
            assert proc.poll() is None, 'mamori-scan ended against a stuck clamd'
            av, _ = check(clamd.socket, env.state, 1, full_scan_interval='7d')
            fs = av['evidence']['full_scan']
            assert fs['in_progress'] is True and fs['interrupted'] is False, fs    # still scanning
            assert 'completed' in av['summary'], av          # no completed scan yet
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            shutil.rmtree(d)
        assert last(env.state)['status'] == 'running'
        av, _ = check(clamd.socket, env.state, 1, full_scan_interval='7d')
        assert av['status'] == 'fail' and av['evidence']['failed_requirement'] == 'AV-03', av
        fs = av['evidence']['full_scan']
        assert fs['interrupted'] is True and fs['in_progress'] is False, fs
        assert 'interrupted' in av['summary'], av
    finally:
        stuck.close()
        env.close()


def case_killed_keeps_previous(clamd):
    """A completed scan, then one killed: the interrupted one fails AV-03, the old result stays."""
    env = Env(clamd)
    stuck = Stuck(env.dir)
    try:
        root = env.tree('tree', {'sub/eicar.com': ct.EICAR})
        assert scan(clamd.socket, env.state, [root])[0] == 1
        proc, d = scan(stuck.path, env.state, [root], wait=False)
        try:
            wait_record(env.state, proc, 'running')
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            shutil.rmtree(d)
        rec = last(env.state)
        assert rec['previous']['status'] == 'completed' and rec['previous']['infected'] == 1, rec
        av, _ = check(clamd.socket, env.state, 1, full_scan_interval='7d')
        assert av['evidence']['detected'] is True and av['evidence']['full_scan']['interrupted'] is True, av
    finally:
        stuck.close()
        env.close()


def case_timeout(clamd):
    env = Env(clamd)
    stuck = Stuck(env.dir)
    try:
        root = env.tree('tree', {'clean.txt': b'hello\n'})
        start = time.monotonic()
        rc, out = scan(stuck.path, env.state, [root], timeout='1s')
        seconds = time.monotonic() - start
        print(f'     stuck clamd, scan-timeout 1s: mamori-scan returned after {seconds:.2f} s')
        assert rc == 2, f'mamori-scan exit {rc}: {out}'
        assert 0.9 <= seconds < 5, seconds
        rec = last(env.state)
        assert rec['status'] == 'failed' and 'time limit' in rec['error'], rec
        av, _ = check(clamd.socket, env.state, 1, full_scan_interval='7d')
        assert av['evidence']['failed_requirement'] == 'AV-03' and 'did not finish' in av['summary'], av
    finally:
        stuck.close()
        env.close()


def case_old_and_never(clamd):
    env = Env(clamd)
    try:
        av, _ = check(clamd.socket, env.state, 1, full_scan_interval='7d')       # never ran
        assert av['evidence']['failed_requirement'] == 'AV-03', av
        assert av['evidence']['full_scan']['ever_ran'] is False, av
        now = int(time.time())
        write_last(env.state, start=now - 10 * DAY - 600, end=now - 10 * DAY)
        av, _ = check(clamd.socket, env.state, 1, full_scan_interval='7d')
        assert av['evidence']['failed_requirement'] == 'AV-03' and 'days old' in av['summary'], av
        assert 10 * DAY <= av['evidence']['full_scan']['age_s'] <= 10 * DAY + 60, av
        av, _ = check(clamd.socket, env.state, 0, full_scan_interval='11d')
        assert av['status'] == 'pass', av
        av, _ = check(clamd.socket, env.state, 0)                # no full-scan-interval: not checked
        assert av['evidence']['full_scan'] == {'checked': False}, av
        assert 'AV-03' not in av['requirements'], av
    finally:
        env.close()


def write_conf(directory, text):
    path = os.path.join(directory, 'clamd.conf')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return path


def clamonacc_running():
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                if os.path.basename(os.readlink(f'/proc/{pid}/exe')) == 'clamonacc':
                    return int(pid)
            except OSError:
                pass
    return 0


GOOD_CONF = ('# clamd.conf\nLocalSocket /run/clamav/clamd.ctl\n'
             'OnAccessIncludePath /media\nOnAccessIncludePath /run/media\n'
             'OnAccessExcludeUname clamav\nOnAccessPrevention yes\n')


def case_on_access(clamd):
    env = Env(clamd)
    fake = None
    try:
        conf = write_conf(env.dir, GOOD_CONF)
        paths = '["/media", "/run/media"]'
        other = clamonacc_running()
        if other:
            print(f'     a clamonacc (pid {other}) already runs: the "none running" part is not checked')
        else:
            av, _ = check(clamd.socket, env.state, 1, clamd_conf=conf, on_access_paths=paths)
            assert av['evidence']['failed_requirement'] == 'AV-04' and 'clamonacc' in av['summary'], av
            assert av['evidence']['on_access']['clamonacc_running'] is False, av
        prog = os.path.join(env.dir, 'clamonacc')
        shutil.copy('/bin/sleep', prog)
        fake = subprocess.Popen([prog, 'infinity'])  # pylint: disable=consider-using-with
        av, _ = check(clamd.socket, env.state, 0, clamd_conf=conf, on_access_paths=paths,
                      on_access_prevention='true')
        oa = av['evidence']['on_access']
        assert av['status'] == 'pass', av
        assert oa['covered'] == {'/media': True, '/run/media': True} and oa['prevention'] is True, oa
        assert oa['clamonacc_running'] is True and (other or oa['clamonacc_pid'] == fake.pid), oa
        assert 'AV-04' in av['requirements'], av
        # /run/media not included
        conf = write_conf(env.dir, GOOD_CONF.replace('OnAccessIncludePath /run/media\n', ''))
        av, _ = check(clamd.socket, env.state, 1, clamd_conf=conf, on_access_paths=paths)
        assert av['evidence']['failed_requirement'] == 'AV-04', av
        assert av['evidence']['on_access']['covered'] == {'/media': True, '/run/media': False}, av
        assert "'/run/media'" in av['summary'], av
        # a parent directory covers, an exclusion uncovers
        conf = write_conf(env.dir, 'OnAccessIncludePath /run/\nOnAccessIncludePath /media\n'
                          'OnAccessExcludePath /media\n')
        av, _ = check(clamd.socket, env.state, 1, clamd_conf=conf, on_access_paths=paths)
        assert av['evidence']['on_access']['covered'] == {'/media': False, '/run/media': True}, av
        # prevention asked for, absent
        conf = write_conf(env.dir, GOOD_CONF.replace('OnAccessPrevention yes', '#OnAccessPrevention yes'))
        av, _ = check(clamd.socket, env.state, 0, clamd_conf=conf, on_access_paths=paths)
        av, _ = check(clamd.socket, env.state, 1, clamd_conf=conf, on_access_paths=paths,
                      on_access_prevention='true')
        assert 'OnAccessPrevention' in av['summary'] and av['evidence']['on_access']['prevention'] is False, av
        # no clamd.conf at all
        av, _ = check(clamd.socket, env.state, 1, clamd_conf=os.path.join(env.dir, 'none.conf'),
                      on_access_paths=paths)
        assert av['evidence']['on_access']['error'] == 'No such file or directory', av
    finally:
        if fake:
            fake.kill()
            fake.wait()
        env.close()


def case_config_hash(clamd):
    env = Env(clamd)
    try:
        conf = write_conf(env.dir, GOOD_CONF)
        digest = hashlib.sha256(GOOD_CONF.encode()).hexdigest()
        av, _ = check(clamd.socket, env.state, 0, clamd_conf=conf, config_sha256=digest.upper())
        cfg = av['evidence']['config']
        assert av['status'] == 'pass' and cfg['matches'] is True and cfg['sha256'] == digest, av
        assert 'CFG-02' in av['requirements'], av
        write_conf(env.dir, GOOD_CONF + 'OnAccessExcludePath /media\n')      # someone changed it
        av, _ = check(clamd.socket, env.state, 1, clamd_conf=conf, config_sha256=digest)
        cfg = av['evidence']['config']
        assert av['evidence']['failed_requirement'] == 'CFG-02' and cfg['matches'] is False, av
        assert cfg['sha256'] == hashlib.sha256((GOOD_CONF + 'OnAccessExcludePath /media\n').encode()).hexdigest()
        assert cfg['expected_sha256'] == digest, av
    finally:
        env.close()


def main():
    if not ct.CLAMD:
        print('clamd not installed (Debian: clamav-daemon): skipped')
        return 77
    clamd = ct.Clamd(lambda db: ct.write_cud(os.path.join(db, 'daily.cud'), time.time() - 3600))
    os.chmod(clamd.dir, 0o755)
    try:
        cases = pu.Cases()
        cases.run('scan-infected', case_infected, clamd)
        cases.run('scan-clean', case_clean, clamd)
        cases.run('scan-killed', case_killed, clamd)
        cases.run('scan-killed-keeps-previous', case_killed_keeps_previous, clamd)
        cases.run('scan-timeout', case_timeout, clamd)
        cases.run('scan-old-and-never', case_old_and_never, clamd)
        cases.run('on-access', case_on_access, clamd)
        cases.run('config-hash', case_config_hash, clamd)
        return cases.exit_status()
    finally:
        clamd.close()


if __name__ == '__main__':
    sys.exit(main())
