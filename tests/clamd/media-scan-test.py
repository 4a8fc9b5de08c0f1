#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The media scan (MED-09, AV-04) against a real clamd: media_scan_tree() (through
media-scan-tool) over a tmpfs mounted for the test, standing in for a medium the desktop mounted.
clamd is the one of clamd-test.py (its own configuration, socket and an EICAR database).

Cases: a clean tree (a symlink to an infected file outside, a FIFO and a file system mounted
inside the tree are not followed; a file nobody may read is still scanned: its fd is passed) ->
clean and writable unless the registration is read-only; EICAR twice, deep in the tree -> infected,
both named with the signature, de-authorize + quarantine + incident; max-files and max-bytes ->
stopped at the limit, the policy action decides; clamd down -> clamd-unavailable at once; a stuck
clamd -> timeout within the time limit. The scan rate of 500 small files is printed.

Without root (no tmpfs mount) the tree is a plain directory and the case of a file system mounted
inside it is skipped, saying so.

The agent's job (media-scan-job-tool): a LUKS2 volume on a loop device, opened with
cryptsetup and formatted ext4 holding EICAR; the job watches the mount table (POLLPRI), a decoy
ext4 on another loop device is mounted first and must not be taken, then the LUKS volume's
dm device is mounted read-only: the job must scan that mount (the dm device's slave is the loop
disk) and report the detection. Skipped, saying why, without root, losetup, cryptsetup or
mkfs.ext4.

Usage: media-scan-test.py MEDIA_SCAN_TOOL MEDIA_SCAN_JOB_TOOL"""

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'posture'))
import posture_util as pu  # noqa: E402  pylint: disable=wrong-import-position

_spec = importlib.util.spec_from_file_location('clamd_test', os.path.join(HERE, 'clamd-test.py'))
ct = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ct)

TOOL = sys.argv[1]
JOB_TOOL = sys.argv[2]
SIGNATURE = 'Mamori.Test.EICAR.UNOFFICIAL'
BIG = 1 << 40


def scan(sock, tree, max_files=100000, max_bytes=BIG, timeout_ms=60000, read_only=False):
    args = [TOOL, sock, tree, str(max_files), str(max_bytes), str(timeout_ms)]
    if read_only:
        args.append('read-only-registration')
    start = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    seconds = time.monotonic() - start
    assert p.returncode == 0, f'{args}: {p.returncode} {p.stderr}'
    return json.loads(p.stdout), seconds


class Medium:
    """A tmpfs mounted on a temporary directory (a plain directory without root)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='mamori-medium-')
        self.mounts = []
        self.mounted = self.mount(self.dir)

    def mount(self, path):
        if os.geteuid() != 0:
            return False
        p = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=64m', 'mamori-test', path],
                           capture_output=True, text=True, check=False)
        if p.returncode != 0:
            print(f'     cannot mount a tmpfs ({p.stderr.strip()}): a plain directory instead')
            return False
        self.mounts.append(path)
        return True

    def write(self, rel, data, mode=0o644):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def close(self):
        for m in reversed(self.mounts):
            subprocess.run(['umount', m], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def decision(res, action):
    d = res['decision'][action]
    return tuple(k for k in ('writable', 'deauthorize', 'quarantine', 'incident') if d[k])


def case_clean(c):
    m = Medium()
    outside = tempfile.mkdtemp(prefix='mamori-outside-')
    try:
        m.write('readme.txt', b'hello\n')
        m.write('docs/2026/report.csv', b'a,b\n1,2\n')
        m.write('docs/secret.bin', b'\0' * 4096, mode=0o000)          # scanned all the same
        with open(os.path.join(outside, 'eicar.com'), 'wb') as f:
            f.write(ct.EICAR)
        os.symlink(os.path.join(outside, 'eicar.com'), os.path.join(m.dir, 'docs', 'link.com'))
        os.symlink(outside, os.path.join(m.dir, 'outside-dir'))
        os.mkfifo(os.path.join(m.dir, 'fifo'))
        skipped = 3
        if m.mounted:
            inner = os.path.join(m.dir, 'inner')
            os.mkdir(inner)
            if m.mount(inner):
                m.write('inner/eicar.com', ct.EICAR)                      # another file system
                skipped += 1
        else:
            print('     skipped: a file system mounted inside the tree (needs root to mount)')
        res, _ = scan(c.socket, m.dir)
        assert res['status'] == 'clean', res
        assert res['files'] == 3 and res['bytes'] == 6 + 8 + 4096, res
        assert res['skipped'] == skipped, res
        for action in ('read-only', 'block', 'report'):
            assert decision(res, action) == ('writable',), res
        res, _ = scan(c.socket, m.dir, read_only=True)
        for action in ('read-only', 'block', 'report'):
            assert decision(res, action) == (), res                     # a read-only registration
    finally:
        m.close()
        shutil.rmtree(outside)


def case_infected(c):
    m = Medium()
    try:
        m.write('a/b/c/d/setup.exe', ct.EICAR)
        m.write('clean.txt', b'nothing\n')
        m.write('z/eicar copy.com', ct.EICAR, mode=0o000)
        res, _ = scan(c.socket, m.dir)
        assert res['status'] == 'infected', res
        assert res['files'] == 3 and res['n_detections'] == 2, res
        got = sorted((d['path'], d['signature']) for d in res['detections'])
        assert got == [('a/b/c/d/setup.exe', SIGNATURE), ('z/eicar copy.com', SIGNATURE)], got
        for action in ('read-only', 'block', 'report'):
            assert decision(res, action) == ('deauthorize', 'quarantine', 'incident'), res
    finally:
        m.close()


def case_limits(c):
    m = Medium()
    try:
        for i in range(5):
            m.write(f'f{i}.dat', b'x' * 1000)
        res, _ = scan(c.socket, m.dir, max_files=3)
        assert res['status'] == 'too-many-files' and res['files'] == 3, res
        assert decision(res, 'read-only') == (), res
        assert decision(res, 'block') == ('deauthorize',), res
        assert decision(res, 'report') == ('writable',), res
        res, _ = scan(c.socket, m.dir, max_bytes=2500)
        assert res['status'] == 'too-many-bytes' and res['files'] == 2 and res['bytes'] == 2000, res
        assert res['where'].startswith('f') and res['where'].endswith('.dat'), res
        res, _ = scan(c.socket, m.dir, max_files=5, max_bytes=5000)  # exactly at both limits
        assert res['status'] == 'clean' and res['files'] == 5, res
    finally:
        m.close()


def case_down(_c):
    m = Medium()
    d = tempfile.mkdtemp(prefix='mamori-clamd-down-')
    try:
        m.write('a.txt', b'a')
        res, seconds = scan(os.path.join(d, 'none.ctl'), m.dir)
        assert res['status'] == 'clamd-unavailable' and res['error'] == 2, res   # ENOENT
        assert res['files'] == 0 and seconds < 5, (res, seconds)
        for action, want in (('read-only', ()), ('block', ('deauthorize',)), ('report', ('writable',))):
            assert decision(res, action) == want, res
    finally:
        m.close()
        shutil.rmtree(d)


def case_stuck(_c):
    m = Medium()
    d = tempfile.mkdtemp(prefix='mamori-clamd-stuck-')
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        m.write('a.txt', b'a')
        path = os.path.join(d, 'stuck.ctl')
        server.bind(path)
        server.listen(8)        # connections wait in the backlog; nothing is read or answered
        res, seconds = scan(path, m.dir, timeout_ms=1500)
        assert res['status'] == 'timeout', res
        assert 1.4 <= res['usec'] / 1e6 <= 3.0 and seconds < 10, (res, seconds)
        print(f'     stuck clamd: the scan gave up after {res["usec"] / 1e6:.2f} s')
    finally:
        server.close()
        m.close()
        shutil.rmtree(d)


def case_rate(c):
    m = Medium()
    try:
        for i in range(500):
            m.write(f'd{i % 10}/file{i}.txt', f'line {i}\n'.encode() * 20)
        res, seconds = scan(c.socket, m.dir)
        assert res['status'] == 'clean' and res['files'] == 500, res
        print(f'     500 files scanned in {res["usec"] / 1e6:.2f} s ({500 / (res["usec"] / 1e6):.0f} files/s), '
              f'tool {seconds:.2f} s')
    finally:
        m.close()


def run(*args, **kw):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=60, check=False, **kw)
    assert p.returncode == 0, f'{args}: {p.returncode} {p.stderr.strip()}'
    return p.stdout.strip()


def case_mount_watch(c):
    tools = [shutil.which(t, path='/usr/sbin:/sbin:/usr/bin') for t in ('losetup', 'cryptsetup', 'mkfs.ext4')]
    if os.geteuid() != 0 or not all(tools):
        print('     skipped: the mount watch needs root, losetup, cryptsetup and mkfs.ext4')
        return
    env = dict(os.environ, DM_DISABLE_UDEV='1')     # libdevmapper makes the node itself
    work = tempfile.mkdtemp(prefix='mamori-luks-')
    loops, mounts, mapper = [], [], f'mamori-scan-{os.getpid()}'
    opened = False
    job = None
    try:
        content = os.path.join(work, 'content')
        os.makedirs(os.path.join(content, 'sub'))
        with open(os.path.join(content, 'clean.txt'), 'wb') as f:
            f.write(b'hello\n')
        with open(os.path.join(content, 'sub', 'eicar.com'), 'wb') as f:
            f.write(ct.EICAR)
        key = os.path.join(work, 'key')
        with open(key, 'wb') as f:
            f.write(b'mamori-test-key')
        for name in ('medium.img', 'decoy.img'):
            img = os.path.join(work, name)
            with open(img, 'wb') as f:
                f.truncate(48 << 20)
            loops.append(run('losetup', '--find', '--show', img))
        medium, decoy = loops
        run('cryptsetup', 'luksFormat', '--type', 'luks2', '--pbkdf', 'pbkdf2', '--pbkdf-force-iterations',
            '1000', '--batch-mode', '--key-file', key, medium, env=env)
        p = subprocess.run(['cryptsetup', 'open', '--key-file', key, medium, mapper], env=env, capture_output=True,
                           text=True, timeout=60, check=False)
        if p.returncode == 0:
            opened = True
            volume = f'/dev/mapper/{mapper}'
        else:
            print(f'     no device-mapper here ({p.stderr.strip()}): the medium is ext4 on the loop disk itself; '
                  'the dm stack is covered by test-media-scan (sysfs fixture)')
            volume = medium
        run('mkfs.ext4', '-q', '-F', '-d', content, volume)
        run('mkfs.ext4', '-q', '-d', content, decoy)      # the same files, on another disk
        disk = os.path.realpath(f'/sys/class/block/{os.path.basename(medium)}')
        job = subprocess.Popen([JOB_TOOL, disk, c.socket, '30000'], stdout=subprocess.PIPE, text=True)  # pylint: disable=consider-using-with
        assert job.stdout.readline().strip() == 'watching'
        for dev, name in ((decoy, 'decoy'), (volume, 'medium')):
            mnt = os.path.join(work, name)
            os.mkdir(mnt)
            run('mount', '-o', 'ro', dev, mnt)
            mounts.append(mnt)
            if name == 'decoy':
                decoy_mounted = time.monotonic()
        start = time.monotonic()
        out, _ = job.communicate(timeout=60)
        res = json.loads(out)
        assert res['mountpoint'] == mounts[1], (res, mounts)       # the LUKS medium, never the decoy
        assert res['status'] == 'infected' and res['files'] == 2, res
        assert [(d['path'], d['signature']) for d in res['detections']] == [('sub/eicar.com', SIGNATURE)], res
        print(f'     {volume}: mount to result: {time.monotonic() - start:.2f} s '
              f'({time.monotonic() - decoy_mounted:.2f} s since the decoy was mounted)')
    finally:
        if job and job.poll() is None:
            job.kill()
            job.wait()
        for mnt in reversed(mounts):
            subprocess.run(['umount', mnt], check=False)
        if opened:
            subprocess.run(['cryptsetup', 'close', mapper], env=env, check=False)
        for loop in loops:
            subprocess.run(['losetup', '-d', loop], check=False)
        shutil.rmtree(work, ignore_errors=True)


def main():
    if not ct.CLAMD:
        print('clamd not installed (Debian: clamav-daemon): skipped')
        return 77
    c = ct.Clamd(lambda db: ct.write_cud(os.path.join(db, 'daily.cud'), time.time() - 3600))
    try:
        cases = pu.Cases()
        cases.run('clean-tree', lambda: case_clean(c))
        cases.run('infected-tree', lambda: case_infected(c))
        cases.run('limits', lambda: case_limits(c))
        cases.run('clamd-down', lambda: case_down(c))
        cases.run('clamd-stuck', lambda: case_stuck(c))
        cases.run('scan-rate', lambda: case_rate(c))
        cases.run('mount-watch', lambda: case_mount_watch(c))
        return cases.exit_status()
    finally:
        c.close()


if __name__ == '__main__':
    sys.exit(main())
