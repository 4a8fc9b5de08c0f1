# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers of the posture tests: a policy directory that passes StrictModes, running
`mamorictl posture check`, and validating its JSON against docs/schemas/posture-report-1.json."""

import json
import os
import subprocess
import tempfile
import time

import jsonschema

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'docs', 'schemas',
                           'posture-report-1.json')

RULES = 'policy: { name: posture-test, version: "1" }\nrules: [ { id: r, action: block } ]\n'


def policy_dir(text, name='10-posture.yaml'):
    """A private policy directory holding one file (mode 0644, directory 0700)."""
    d = tempfile.mkdtemp(prefix='mamori-posture-')
    os.chmod(d, 0o700)
    path = os.path.join(d, name)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    os.chmod(path, 0o644)
    return d


def run_check(mamorictl, directory, *extra, timeout=30):
    """Runs `mamorictl posture check --policy-dir DIR [extra]`: (exit status, stdout, stderr, seconds)."""
    env = dict(os.environ, LANG='C.UTF-8', LANGUAGE='', LC_ALL='C.UTF-8')
    start = time.monotonic()
    p = subprocess.run([mamorictl, 'posture', 'check', '--policy-dir', directory, *extra],
                       capture_output=True, text=True, env=env, timeout=timeout, check=False)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - start


def validate(text):
    """Parses a report and validates it against the schema; returns it."""
    report = json.loads(text)
    with open(SCHEMA_PATH, encoding='utf-8') as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(report)
    return report


def check_of(report, check_id):
    """The entry of one check in a report."""
    found = [c for c in report['checks'] if c['id'] == check_id]
    assert len(found) == 1, f'{check_id}: {len(found)} entries in {report}'
    return found[0]


class Cases:
    """A tiny case runner: one line per case, exit status 1 when one failed."""

    def __init__(self):
        self.failed = []

    def run(self, name, fn, *args):
        try:
            fn(*args)
            print(f'ok   {name}')
        except Exception as e:      # pylint: disable=broad-except
            print(f'FAIL {name}: {type(e).__name__}: {e}')
            self.failed.append(name)

    def exit_status(self):
        print(f'{len(self.failed)} failed' if self.failed else 'all passed')
        return 1 if self.failed else 0
