#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The antivirus check (AV-01, AV-02) against a real clamd, started by this test as its child
with its own configuration, socket and a tiny signature database in a temporary directory.

The database detects EICAR (an MD5 signature, Mamori.Test.EICAR). It is packed as an unsigned
daily database (daily.cud: the 512-byte CVD header, then a gzip'ed tar holding daily.info with the
same header line and daily.hdb with its SHA-256), which clamd loads without ClamAV's signing key
and whose build time VERSION then reports: "ClamAV 1.4.6/27470/Fri Dec  4 18:16:51 2026". With
only a loose .hdb, VERSION says "ClamAV 1.4.6": no dated definitions.

Cases: fresh definitions -> pass; definitions older than max-definition-age -> fail AV-02;
only undated definitions -> fail AV-02; clamd stopped (a socket nobody listens on) and no socket
at all -> fail AV-01; a stuck clamd (a socket that accepts and never answers) -> fail AV-01 within
the time limit. Every case runs `mamorictl posture check --json` end to end and validates the
report against the schema.

clamd is waited for with inotify on its directory until the socket appears (or a pidfd until
clamd exits), then by a bounded retry of PING while the socket is bound but not yet listening
(refused), at most 60 s in all, asserted. The start-up time is printed.

Usage: clamd-test.py MAMORICTL"""

import gzip
import hashlib
import ctypes
import io
import os
import select
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'posture'))
import posture_util as pu  # noqa: E402  pylint: disable=wrong-import-position

MAMORICTL = sys.argv[1]
CLAMD = shutil.which('clamd') or shutil.which('clamd', path='/usr/sbin:/sbin')
START_LIMIT = 60.0

EICAR = (b'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*')


def hdb():
    return f'{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Mamori.Test.EICAR\n'.encode()


def write_cud(path, build_time, version=27470):
    """An unsigned daily database built at build_time (seconds since the epoch)."""
    data = hdb()
    stamp = time.strftime('%d %b %Y %H-%M %z', time.gmtime(build_time))
    header = f'ClamAV-VDB:{stamp}:{version}:1:90:{"0" * 32}:X:mamori-test:{int(build_time)}'
    info = f'{header}\ndaily.hdb:{len(data)}:{hashlib.sha256(data).hexdigest()}\n'.encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.USTAR_FORMAT) as tar:
        for name, content in (('daily.info', info), ('daily.hdb', data)):
            ti = tarfile.TarInfo(name)
            ti.size = len(content)
            ti.mtime = int(build_time)
            tar.addfile(ti, io.BytesIO(content))
    with open(path, 'wb') as f:
        f.write(header.encode().ljust(512, b' ') + gzip.compress(buf.getvalue()))


def clamd_command(path, command, timeout=2.0):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(b'z' + command.encode() + b'\0')
        reply = b''
        while not reply.endswith(b'\0'):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    return reply.rstrip(b'\0').decode(errors='replace')


class SocketWatch:
    """inotify on a directory (through libc: the standard library has no binding), to learn when
    a file is created there without polling."""

    IN_CREATE, IN_MOVED_TO, IN_CLOEXEC, IN_NONBLOCK = 0x100, 0x80, 0o2000000, 0o4000

    def __init__(self, directory):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(self.IN_CLOEXEC | self.IN_NONBLOCK)
        assert self.fd >= 0, os.strerror(ctypes.get_errno())
        wd = self.libc.inotify_add_watch(self.fd, directory.encode(), self.IN_CREATE | self.IN_MOVED_TO)
        assert wd >= 0, os.strerror(ctypes.get_errno())
        self.directory = directory

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self.fd)

    def wait(self, name, pid, limit):
        """True once name exists in the directory, False when pid exits or limit seconds pass."""
        pidfd = os.pidfd_open(pid)
        deadline = time.monotonic() + limit
        try:
            while not os.path.exists(os.path.join(self.directory, name)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                ready, _, _ = select.select([self.fd, pidfd], [], [], left)
                if pidfd in ready:
                    return os.path.exists(os.path.join(self.directory, name))
                if self.fd in ready:
                    os.read(self.fd, 65536)     # the events themselves: the loop looks at the file
            return True
        finally:
            os.close(pidfd)


class Clamd:
    """clamd --foreground with everything in its own directory."""

    def __init__(self, database):
        self.dir = tempfile.mkdtemp(prefix='mamori-clamd-')
        self.socket = os.path.join(self.dir, 'clamd.ctl')
        db = os.path.join(self.dir, 'db')
        os.mkdir(db)
        database(db)
        self.conf = os.path.join(self.dir, 'clamd.conf')
        with open(self.conf, 'w', encoding='utf-8') as f:
            f.write(f'LocalSocket {self.socket}\nDatabaseDirectory {db}\nTemporaryDirectory {self.dir}\n'
                    f'LogFile {self.dir}/clamd.log\nPidFile {self.dir}/clamd.pid\nForeground yes\n'
                    )
        self.log = open(os.path.join(self.dir, 'stdout.log'), 'w', encoding='utf-8')  # pylint: disable=consider-using-with
        start = time.monotonic()
        with SocketWatch(self.dir) as watch:
            self.proc = subprocess.Popen([CLAMD, '--foreground', f'--config-file={self.conf}'],  # pylint: disable=consider-using-with
                                         stdout=self.log, stderr=subprocess.STDOUT)
            # clamd creates its socket once the database is loaded: wait for that (inotify) or for
            # clamd to exit (pidfd), at most START_LIMIT seconds; then it must answer PING.
            appeared = watch.wait(os.path.basename(self.socket), self.proc.pid, START_LIMIT)
        try:
            assert self.proc.poll() is None, f'clamd exited with {self.proc.returncode}: {self.output()}'
            assert appeared, f'clamd made no socket in {START_LIMIT} s: {self.output()}'
            # bind() makes the file, listen() follows: until then a connection is refused. A
            # bounded retry, each wait ended early should clamd exit.
            self.ping_until_listening(start)
        except BaseException:
            self.close()
            raise
        self.start_time = time.monotonic() - start
        print(f'     clamd answered PING after {self.start_time:.2f} s')

    def ping_until_listening(self, start):
        pidfd = os.pidfd_open(self.proc.pid)
        try:
            while True:
                try:
                    assert clamd_command(self.socket, 'PING', timeout=START_LIMIT) == 'PONG'
                    return
                except ConnectionRefusedError:
                    assert time.monotonic() - start < START_LIMIT, f'clamd refused for {START_LIMIT} s'
                    ready, _, _ = select.select([pidfd], [], [], 0.01)
                    assert not ready, f'clamd exited: {self.output()}'
        finally:
            os.close(pidfd)

    def output(self):
        self.log.flush()
        with open(os.path.join(self.dir, 'stdout.log'), encoding='utf-8', errors='replace') as f:
            return f.read()[-2000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def antivirus_policy(sock, max_age='3d'):
    return pu.RULES + f'''posture:
  checks:
    antivirus: {{ action: report, socket: {sock}, max-definition-age: {max_age} }}
'''


def check(sock, max_age='3d', want_rc=None):
    d = pu.policy_dir(antivirus_policy(sock, max_age))
    try:
        rc, out, err, seconds = pu.run_check(MAMORICTL, d, '--json')
    finally:
        shutil.rmtree(d)
    report = pu.validate(out)
    if want_rc is not None:
        assert rc == want_rc, f'exit status {rc}, stderr {err!r}, report {out}'
    return pu.check_of(report, 'antivirus'), seconds


def case_fresh():
    c = Clamd(lambda db: write_cud(os.path.join(db, 'daily.cud'), time.time() - 3600))
    try:
        version = clamd_command(c.socket, 'VERSION')
        assert version.startswith('ClamAV ') and '/27470/' in version, version
        sample = os.path.join(c.dir, 'eicar.txt')
        with open(sample, 'wb') as f:
            f.write(EICAR)
        os.chmod(c.dir, 0o755)
        os.chmod(sample, 0o644)
        found = clamd_command(c.socket, f'SCAN {sample}', timeout=10)
        assert found.endswith('Mamori.Test.EICAR.UNOFFICIAL FOUND'), found     # the database is live
        av, _ = check(c.socket, want_rc=0)
        assert av['status'] == 'pass', av
        ev = av['evidence']
        assert ev['reachable'] is True and ev['pong'] is True, ev
        assert ev['database_version'] == 27470, ev
        assert ev['version_reply'] == version, ev
        assert 3500 <= ev['database_age_s'] <= 3700 + 60, ev
        assert ev['failed_requirement'] is None, ev
    finally:
        c.close()


def case_stale():
    c = Clamd(lambda db: write_cud(os.path.join(db, 'daily.cud'), time.time() - 10 * 86400, version=27000))
    try:
        av, _ = check(c.socket, max_age='3d', want_rc=1)
        assert av['status'] == 'fail', av
        assert av['evidence']['failed_requirement'] == 'AV-02', av
        assert av['evidence']['database_version'] == 27000, av
        assert av['evidence']['database_date'], av
        assert 'days old' in av['summary'], av
        av, _ = check(c.socket, max_age='11d', want_rc=0)        # the same clamd, a looser limit
        assert av['status'] == 'pass', av
    finally:
        c.close()


def case_undated():
    def loose_hdb(db):
        with open(os.path.join(db, 'mamori.hdb'), 'wb') as f:
            f.write(hdb())
    c = Clamd(loose_hdb)
    try:
        assert '/' not in clamd_command(c.socket, 'VERSION')   # "ClamAV 1.4.6": no daily database
        av, _ = check(c.socket, want_rc=1)
        assert av['status'] == 'fail', av
        assert av['evidence']['failed_requirement'] == 'AV-02', av
        assert av['evidence']['database_version'] is None, av
        assert av['evidence']['database_date'] is None, av
    finally:
        c.close()


def case_down():
    d = tempfile.mkdtemp(prefix='mamori-clamd-down-')
    try:
        av, _ = check(os.path.join(d, 'clamd.ctl'), want_rc=1)     # no socket at all
        assert av['status'] == 'fail' and av['evidence']['failed_requirement'] == 'AV-01', av
        assert av['evidence']['reachable'] is False, av
        dead = os.path.join(d, 'dead.ctl')                           # a socket nobody listens on
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(dead)
        s.close()
        av, _ = check(dead, want_rc=1)
        assert av['status'] == 'fail' and av['evidence']['failed_requirement'] == 'AV-01', av
        assert av['evidence']['error'] == 'Connection refused', av
    finally:
        shutil.rmtree(d)


def case_stuck():
    """A clamd that takes the connection and never answers: the check gives up after its 2 s."""
    d = tempfile.mkdtemp(prefix='mamori-clamd-stuck-')
    path = os.path.join(d, 'stuck.ctl')
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path)
        server.listen(8)            # connections wait in the backlog; nothing is ever read or sent
        av, seconds = check(path, want_rc=1)
        assert av['status'] == 'fail' and av['evidence']['failed_requirement'] == 'AV-01', av
        assert av['evidence']['error'] == 'Connection timed out', av
        assert 1.9 <= av['evidence']['elapsed_ms'] / 1000 <= 3.0, av
        assert seconds < 10, f'mamorictl took {seconds:.1f} s'
        print(f'     stuck clamd: mamorictl returned after {seconds:.2f} s')
    finally:
        server.close()
        shutil.rmtree(d)


def main():
    if not CLAMD:
        print('clamd not installed (Debian: clamav-daemon): skipped')
        return 77
    cases = pu.Cases()
    cases.run('fresh-definitions', case_fresh)
    cases.run('stale-definitions', case_stale)
    cases.run('undated-definitions', case_undated)
    cases.run('clamd-down', case_down)
    cases.run('clamd-stuck', case_stuck)
    return cases.exit_status()


if __name__ == '__main__':
    sys.exit(main())
