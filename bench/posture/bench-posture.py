#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The cost of one round of posture checks (bench/README.md, "Posture"), mamori against the ways
peers gather the same facts, side by side in one run. Prints one JSON line per measurement and a
summary line with the ratios.

A real clamd (tests/clamd/clamd-test.py's machinery: its own socket and a tiny dated EICAR
database) answers the antivirus check. The policy enables every posture check.

  1. mamorictl posture check --json: ROUNDS rounds, CPU (user+sys) and peak RSS of each from
     wait4(), wall time.
  2. mamorid (its own network namespace, state and runtime directories; the real sysfs on a
     machine without USB devices, else under umockdev-run) with that policy and, at the same
     time, with the same policy but no posture section: RSS after start and the first round,
     settled (start-up logged to its end, then 1 s); then both idle for IDLE seconds: context
     switches of all their threads (/proc/PID/task/*/status) -> wake-ups per hour; then
     AGENT_ROUNDS rounds of the first one, each started by a change in clamd's socket directory
     (the agent's inotify watch, 2 s debounce): CPU per round = the child's (the agent's
     cutime+cstime: its only children are the rounds) + the agent's own (fork, reading the
     report, writing posture.json and the state).
  3. peers: shell-outs per check (clamdscan/clamscan --version, timedatectl show, lsblk -J,
     cat /etc/os-release, lsb_release -a, loginctl list-sessions), each ROUNDS times, and the set;
     oscap with the SCAP Security Guide content: the rules equivalent to our checks, and the
     whole profile once (bounded); osqueryi if installed.

Usage: bench-posture.py --source DIR --build DIR [--rounds N] [--agent-rounds N] [--idle S]
                        [--oscap-rounds N] [--oscap-timeout S] [--no-oscap-profile]
                        [--sysfs auto|real|umockdev]"""

import argparse
import contextlib
import glob
import importlib.util
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TICK = os.sysconf('SC_CLK_TCK')
SPAWN = None   # BUILD/bench/spawn-measure
FACTS = {}     # RSS and idle figures of the agents, for the summary
SSG_DIR = '/usr/share/xml/scap/ssg/content'
RULE = 'xccdf_org.ssgproject.content_rule_'
# SSG rules that look at what our checks look at (time-sync only: the Debian content has no rule
# on disk encryption, antivirus, end of support or screen lock)
OSCAP_RULES = ('package_chrony_installed', 'service_chronyd_enabled', 'chronyd_specify_remote_server')


def emit(**kw):
    print(json.dumps(kw), flush=True)


def note(msg):
    print(f'# {msg}', file=sys.stderr, flush=True)


def load_clamd_machinery(source):
    """tests/clamd/clamd-test.py as a module (it reads MAMORICTL from argv at import)."""
    path = os.path.join(source, 'tests', 'clamd', 'clamd-test.py')
    argv, sys.argv = sys.argv, [sys.argv[0], '']
    try:
        spec = importlib.util.spec_from_file_location('clamd_test', path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.argv = argv


def policy_dir(parent, name, text):
    d = os.path.join(parent, name)
    os.mkdir(d, 0o700)
    with open(os.path.join(d, '10-bench.yaml'), 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(os.path.join(d, '10-bench.yaml'), 0o644)
    return d


RULES = 'policy: { name: posture-bench, version: "1" }\nrules: [ { id: r, action: block } ]\n'


def posture_section(sock):
    return f'''posture:
  interval: 6h
  checks:
    time-sync: {{ max-offset: 1s }}
    disk-encryption: {{ paths: [/], swap: true }}
    antivirus: {{ socket: {sock}, max-definition-age: 3d }}
    os-release: {{ end-of-life: 2028-06-30 }}
    screen-lock: {{ idle-max: 10m }}
'''


def run_once(cmd, limit=None):
    """Runs cmd to its end under spawn-measure: (exit status, CPU s, wall s, peak RSS KiB). With
    limit (seconds), under timeout(1), whose own small cost is then counted too."""
    if limit:
        cmd = ['timeout', '--kill-after=10', str(int(limit)), *cmd]
    p = subprocess.run([SPAWN, *cmd], capture_output=True, text=True, timeout=(limit or 600) + 60, check=False)
    fields = p.stdout.split()
    if p.returncode != 0 or len(fields) != 5:
        raise RuntimeError(f'spawn-measure {cmd}: {p.stderr}')
    rc, utime, stime, rss, wall = map(int, fields)
    return rc, (utime + stime) / 1e6, wall / 1e6, rss


def measure(name, cmd, rounds, **extra):
    """rounds runs of cmd; one JSON line; returns the mean CPU per run in ms."""
    runs = [run_once(cmd) for _ in range(rounds)]
    cpu = [r[1] * 1000 for r in runs]
    wall = [r[2] * 1000 for r in runs]
    emit(measure=name, command=' '.join(cmd), runs=rounds, exit_status=sorted({r[0] for r in runs}),
         cpu_ms_mean=round(statistics.mean(cpu), 3), cpu_ms_p50=round(statistics.median(cpu), 3),
         cpu_ms_max=round(max(cpu), 3), wall_ms_p50=round(statistics.median(wall), 3),
         wall_ms_max=round(max(wall), 3), peak_rss_kib=max(r[3] for r in runs), **extra)
    return statistics.mean(cpu)


def usb_present():
    return bool(glob.glob('/sys/bus/usb/devices/*'))


class Agent:
    """mamorid in a network namespace of its own, its log read line by line; under umockdev-run
    (an empty sysfs) unless real_sysfs, which only a machine without USB may use: mamorid sets
    every root hub's authorized_default to 0."""

    def __init__(self, build, work, name, policy, real_sysfs):
        self.dir = os.path.join(work, name)
        for d in ('state', 'run'):
            os.makedirs(os.path.join(self.dir, d))
        conf = os.path.join(self.dir, 'mamorid.conf')
        with open(conf, 'w', encoding='utf-8') as f:
            f.write('[Agent]\n')
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(os.path.join(self.dir, 'notify'))
        notify.settimeout(60)
        self.lines, self.cond = [], threading.Condition()
        env = dict(os.environ, NOTIFY_SOCKET=os.path.join(self.dir, 'notify'), LC_ALL='C')
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            ['unshare', '--net', *([] if real_sysfs else ['umockdev-run', '--']),
             os.path.join(build, 'agent', 'mamorid'), '--config', conf,
             '--policy-dir', policy, '--state-dir', os.path.join(self.dir, 'state'),
             '--runtime-dir', os.path.join(self.dir, 'run')],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        try:
            while b'READY=1' not in notify.recv(4096):
                pass
        finally:
            notify.close()
        self.pid = self._find_mamorid()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip('\n'))
                self.cond.notify_all()

    def _find_mamorid(self):
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            with contextlib.suppress(OSError):
                with open(f'/proc/{pid}/comm', encoding='utf-8') as f:
                    if f.read().strip() == 'mamorid':
                        return pid
                for t in os.listdir(f'/proc/{pid}/task'):
                    with open(f'/proc/{pid}/task/{t}/children', encoding='utf-8') as f:
                        todo += [int(c) for c in f.read().split()]
        raise RuntimeError('mamorid not found under umockdev-run')

    def count(self, text):
        with self.cond:
            return sum(text in line for line in self.lines)

    def rounds_logged(self):
        return self.count('Posture round (')

    def wait_line(self, text, n=1, timeout=150):
        """Waits (bounded) until the log holds n lines with text; False on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while sum(text in line for line in self.lines) < n:
                left = deadline - time.monotonic()
                if left <= 0 or not self.cond.wait(left):
                    return sum(text in line for line in self.lines) >= n
        return True

    def wait_rounds(self, n, timeout=150):
        """Waits (bounded) until the log holds n posture rounds; False on timeout."""
        return self.wait_line('Posture round (', n, timeout)

    def status(self, key):
        with open(f'/proc/{self.pid}/status', encoding='utf-8') as f:
            for line in f:
                if line.startswith(key + ':'):
                    return int(line.split()[1])
        return None

    def switches(self):
        total = 0
        for path in glob.glob(f'/proc/{self.pid}/task/*/status'):
            with contextlib.suppress(OSError), open(path, encoding='utf-8') as f:
                for line in f:
                    if line.startswith(('voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches')):
                        total += int(line.split()[1])
        return total

    def children_cpu(self):
        """cutime + cstime of mamorid, s: the CPU of its reaped children (the rounds)."""
        with open(f'/proc/{self.pid}/stat', encoding='utf-8') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / TICK

    def own_cpu(self):
        with open(f'/proc/{self.pid}/stat', encoding='utf-8') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def log(self):
        with self.cond:
            return '\n'.join(self.lines[-30:])

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def bench_cli(args, policy):
    ctl = os.path.join(args.build, 'cli', 'mamorictl')
    p = subprocess.run([ctl, 'posture', 'check', '--policy-dir', policy, '--json'], capture_output=True,
                       text=True, timeout=150, check=False)
    report = json.loads(p.stdout)
    emit(measure='mamori-report', checks={c['id']: c['status'] for c in report['checks']})
    return measure('mamori-cli-round', [ctl, 'posture', 'check', '--policy-dir', policy, '--json'], args.rounds)


def bench_agent(args, work, with_posture, without_posture, clamd_dir):
    """RSS, idle wake-ups and in-agent rounds; returns the mean CPU per agent round in ms (child and
    agent) or None."""
    real = args.sysfs == 'real' or (args.sysfs == 'auto' and not usb_present())
    if real and usb_present():
        sys.exit('bench-posture.py: --sysfs real on a machine with USB devices: refused')
    if not shutil.which('unshare') or not (real or shutil.which('umockdev-run')):
        note('unshare or umockdev-run missing: skipping the in-agent measurements')
        return None
    emit(measure='mamorid-sysfs', sysfs='real (no USB bus on this machine)' if real else
         'umockdev (empty testbed: the disk-encryption check sees no /sys/dev/block)')
    agents = {}
    try:
        agents['posture'] = Agent(args.build, work, 'agent-posture', with_posture, real)
        agents['none'] = Agent(args.build, work, 'agent-none', without_posture, real)
        if not agents['posture'].wait_rounds(1):
            note('no first posture round within 150 s:\n' + agents['posture'].log())
            return None
        # settled: start-up logged to its end (the last line), then a second more
        for a in agents.values():
            a.wait_line('present USB device(s) evaluated')
        time.sleep(1)
        for name, a in agents.items():
            FACTS[f'rss_{name}'] = a.status('VmRSS')
            emit(measure='mamorid-rss', posture=name == 'posture', vmrss_kib=a.status('VmRSS'),
                 vmhwm_kib=a.status('VmHWM'), note='after start and the first round')
        # idle: both at once, the same window
        before = {n: (a.switches(), a.own_cpu(), a.children_cpu(), a.rounds_logged()) for n, a in agents.items()}
        time.sleep(args.idle)
        for name, a in agents.items():
            sw, cpu, ccpu, rounds = before[name]
            FACTS[f'wakeups_{name}'] = round((a.switches() - sw) * 3600 / args.idle)
            emit(measure='mamorid-idle', posture=name == 'posture', seconds=args.idle,
                 context_switches=a.switches() - sw, wakeups_per_hour=round((a.switches() - sw) * 3600 / args.idle),
                 cpu_ms=round((a.own_cpu() - cpu + a.children_cpu() - ccpu) * 1000),
                 rounds=a.rounds_logged() - rounds)
        # rounds started by a change in the watched socket directory
        a = agents['posture']
        n0, c0, o0 = a.rounds_logged(), a.children_cpu(), a.own_cpu()
        nc0 = agents['none'].children_cpu()
        walls = []
        for i in range(args.agent_rounds):
            trigger = os.path.join(clamd_dir, 'bench-trigger')
            start = time.monotonic()
            open(trigger, 'w', encoding='utf-8').close()  # pylint: disable=consider-using-with
            os.unlink(trigger)
            if not a.wait_rounds(n0 + i + 1):
                note('a triggered round did not come within 150 s:\n' + a.log())
                return None
            walls.append((time.monotonic() - start) * 1000)
        k = args.agent_rounds
        child, loop = (a.children_cpu() - c0) * 1000 / k, (a.own_cpu() - o0) * 1000 / k
        cpu = child + loop
        emit(measure='mamorid-agent-round', runs=k, trigger='file created and removed in clamd socket directory',
             cpu_ms_mean=round(cpu, 3), child_cpu_ms_mean=round(child, 3), agent_loop_cpu_ms_mean=round(loop, 3),
             trigger_to_logged_ms_p50=round(statistics.median(walls), 1), debounce_ms=2000,
             clock_tick_ms=1000 / TICK, no_posture_agent_children_cpu_ms=round(
                 (agents['none'].children_cpu() - nc0) * 1000))
        return cpu
    finally:
        for a in agents.values():
            a.close()


def bench_shellouts(args, clamd):
    """Each shell-out ROUNDS times; returns {name: mean CPU ms}."""
    cmds = {
        'clamdscan': [shutil.which('clamdscan') or 'clamdscan', f'--config-file={clamd.conf}', '--version'],
        'clamscan': [shutil.which('clamscan') or 'clamscan', f'--database={os.path.join(clamd.dir, "db")}',
                     '--version'],
        'timedatectl': ['timedatectl', 'show'],
        'lsblk': ['lsblk', '-J', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINT'],
        'cat-os-release': ['cat', '/etc/os-release'],
        'lsb_release': ['lsb_release', '-a'],
        'loginctl': ['loginctl', 'list-sessions', '--no-legend'],
    }
    cpu = {}
    for name, cmd in cmds.items():
        if not shutil.which(cmd[0]):
            note(f'{cmd[0]} is not installed: skipping it')
            continue
        cpu[name] = measure(f'peer-shellout-{name}', cmd, args.rounds)
    return cpu


def ssg_content():
    """The SSG data stream closest to this system (Debian 12's ssg-debian ships Debian 11's)."""
    for ver in ('12', '11', '10'):
        path = os.path.join(SSG_DIR, f'ssg-debian{ver}-ds.xml')
        if os.path.exists(path):
            return path
    return None


def bench_oscap(args, work):
    """{name: CPU ms of one evaluation}: the equivalent rules (ROUNDS_OSCAP runs) and the profile."""
    ds = ssg_content()
    if not shutil.which('oscap') or not ds:
        note('oscap or the SCAP Security Guide content is missing '
             '(apt-get install --no-install-recommends openscap-scanner ssg-debian): skipping oscap')
        return {}
    out = {}
    profile = 'xccdf_org.ssgproject.content_profile_anssi_np_nt28_high'
    cmd = ['oscap', 'xccdf', 'eval', '--profile', profile]
    for r in OSCAP_RULES:
        cmd += ['--rule', RULE + r]
    results = os.path.join(work, 'oscap-rules.xml')
    cmd += ['--results', results, ds]
    out['oscap-rules'] = measure('peer-oscap-rules', cmd, args.oscap_rounds, content=os.path.basename(ds),
                                 results=oscap_results(cmd, results))
    if args.no_oscap_profile:
        return out
    results = os.path.join(work, 'oscap-profile.xml')
    cmd = ['oscap', 'xccdf', 'eval', '--profile', 'xccdf_org.ssgproject.content_profile_standard',
           '--results', results, ds]
    rc, cpu, wall, rss = run_once(cmd, limit=args.oscap_timeout)
    emit(measure='peer-oscap-profile', command=' '.join(cmd), runs=1, exit_status=[rc],
         cpu_ms_mean=round(cpu * 1000, 3), wall_ms_p50=round(wall * 1000, 3), peak_rss_kib=rss,
         timeout_s=args.oscap_timeout, results=tally(results))
    out['oscap-profile'] = cpu * 1000
    return out


def tally(path):
    """{result: count} of an XCCDF results file."""
    import re  # pylint: disable=import-outside-toplevel
    counts = {}
    with contextlib.suppress(OSError), open(path, encoding='utf-8') as f:
        for m in re.finditer(r'<result>([a-z]+)</result>', f.read()):
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


def oscap_results(cmd, path):
    """One untimed run first, so the line can say what the rules returned."""
    run_once(cmd)
    return tally(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--source', required=True)
    ap.add_argument('--build', required=True)
    ap.add_argument('--rounds', type=int, default=30)
    ap.add_argument('--agent-rounds', type=int, default=20)
    ap.add_argument('--oscap-rounds', type=int, default=3)
    ap.add_argument('--idle', type=float, default=60)
    ap.add_argument('--oscap-timeout', type=float, default=600)
    ap.add_argument('--no-oscap-profile', action='store_true')
    ap.add_argument('--sysfs', choices=('auto', 'real', 'umockdev'), default='auto',
                    help='mamorid on the real sysfs (auto: only without USB devices) or under umockdev')
    args = ap.parse_args()
    global SPAWN  # pylint: disable=global-statement
    SPAWN = os.path.join(args.build, 'bench', 'spawn-measure')
    if os.geteuid() != 0:
        sys.exit('bench-posture.py: needs root (a network namespace for mamorid, every check readable)')
    with open('/proc/loadavg', encoding='utf-8') as f:
        load = f.read().split()[:3]
    emit(measure='machine', kernel=platform.release(), cpus=os.cpu_count(), loadavg_start=load)

    mod = clamd = None
    if shutil.which('clamd') or os.path.exists('/usr/sbin/clamd'):
        mod = load_clamd_machinery(args.source)
        with contextlib.redirect_stdout(sys.stderr):
            clamd = mod.Clamd(lambda db: mod.write_cud(os.path.join(db, 'daily.cud'), time.time() - 3600))
    else:
        note('clamd (clamav-daemon) is not installed: the antivirus check will fail AV-01')
    work = tempfile.mkdtemp(prefix='mamori-bench-posture.')
    os.chmod(work, 0o755)
    try:
        sock = clamd.socket if clamd else os.path.join(work, 'no-clamd', 'clamd.ctl')
        with_posture = policy_dir(work, 'policy', RULES + posture_section(sock))
        without_posture = policy_dir(work, 'policy-none', RULES)
        mamori = bench_cli(args, with_posture)
        agent = bench_agent(args, work, with_posture, without_posture, os.path.dirname(sock)) if clamd else None
        peers = {}
        if clamd:
            shell = bench_shellouts(args, clamd)
            base = [shell.get(n) for n in ('timedatectl', 'lsblk', 'cat-os-release', 'loginctl')]
            if None not in base and 'clamdscan' in shell:
                peers['shellouts'] = sum(base) + shell['clamdscan']
                emit(measure='peer-shellout-set', commands='clamdscan --version, timedatectl show, lsblk -J, '
                     'cat /etc/os-release, loginctl list-sessions', cpu_ms_mean=round(peers['shellouts'], 3))
            if None not in base and 'clamscan' in shell and 'lsb_release' in shell:
                peers['shellouts-clamscan-lsb_release'] = sum(base) - shell['cat-os-release'] + \
                    shell['clamscan'] + shell['lsb_release']
        peers.update(bench_oscap(args, work))
        if shutil.which('osqueryi'):
            peers['osqueryi'] = measure('peer-osqueryi', ['osqueryi', '--json', 'select * from os_version; '
                                        'select * from mounts; select * from logged_in_users;'], args.rounds)
        else:
            emit(measure='peer-osqueryi', skipped='osqueryi is not installed (osquery is not a Debian 12 package)')
        cheapest = min(peers, key=peers.get) if peers else None
        with open('/proc/loadavg', encoding='utf-8') as f:
            load = f.read().split()[:3]
        emit(measure='summary', mamori_cli_cpu_ms=round(mamori, 3),
             mamori_agent_round_cpu_ms=round(agent, 3) if agent is not None else None,
             peers_cpu_ms={k: round(v, 3) for k, v in peers.items()},
             ratio_vs_cli={k: round(v / mamori, 2) for k, v in peers.items()},
             ratio_vs_agent_round={k: round(v / agent, 2) for k, v in peers.items()} if agent else None,
             cheapest_peer=cheapest,
             target_10x_cli=bool(cheapest and peers[cheapest] / mamori >= 10),
             target_10x_agent_round=bool(cheapest and agent and peers[cheapest] / agent >= 10),
             rss_added_kib=FACTS['rss_posture'] - FACTS['rss_none'] if 'rss_none' in FACTS else None,
             wakeups_per_hour={k[8:]: v for k, v in FACTS.items() if k.startswith('wakeups_')},
             wakeups_added_per_hour=FACTS['wakeups_posture'] - FACTS['wakeups_none']
             if 'wakeups_none' in FACTS else None,
             loadavg_end=load)
    finally:
        if clamd:
            clamd.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
