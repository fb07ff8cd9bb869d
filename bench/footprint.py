#!/usr/bin/env python3
"""Process footprint, side by side: import time, memory, SIGKILL teardown.

    python3 bench/footprint.py [--side NAME=TREE[@PYTHON] ...] [--reps 10]
                               [--tests "import role host-cake"] [--json FILE]

A side is a source tree put first on PYTHONPATH and run by PYTHON (default:
the interpreter running this script); ``NAME=@PYTHON`` runs whatever that
interpreter has installed, with no PYTHONPATH (the original library's venv,
say).  Default sides: ``base=/work/main`` and ``mine=<this repository>``.
In every repetition the sides take turns, and each measures:

* ``import``: ``python -c "import layer_cake"`` -- seconds spent in the
  import (``perf_counter`` inside the process), launch to exit and the CPU
  time of the whole process, VmHWM and VmRSS after it, and whether OpenSSL
  got imported.
* ``role``: ``bench/footprint_role.py --directory-scope=PROCESS``, an idle
  stand-alone role -- launch to its main object running, VmHWM and VmRSS
  0.3 s later, SIGKILL to reaped (``perf_counter`` before ``os.kill``,
  ``os.wait4``, ``perf_counter`` after) and the CPU time it had used.  The
  kernel frees a killed process's memory before it closes its sockets, so
  this is the floor under a subscriber's SIGKILL -> Dropped latency.
* ``host-cake``: launch to its port listening (``/proc/net/tcp``, polled
  every 2 ms) on a fresh loopback port given by ``--directory-at-host``,
  VmHWM and VmRSS then; it is SIGKILLed and reaped, timed the same way,
  with its CPU time.

CPU times are the figures to compare on a busy machine: the wall-clock
ones include waiting for a core.

Every process runs with bytecode compiled, as from an installed package:
``PYTHONDONTWRITEBYTECODE`` is dropped and ``PYTHONPYCACHEPREFIX`` points at
a cache of this script's own in /tmp, so no tree gets ``__pycache__``
folders.  One untimed pass per side fills that cache first.  ``--as-is``
keeps the environment as it is instead: where ``PYTHONDONTWRITEBYTECODE`` is
set and a tree has no ``__pycache__``, every process compiles that tree's
modules again, which is what it costs.

The figures are median, min-max and the interquartile range over the
repetitions.  Nothing runs in parallel; the machine is shared, so read
medians.  Everything started is stopped by PID.  Standard library only.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from ports import free_port  # noqa: E402

ROLE = os.path.join(HERE, 'footprint_role.py')
CACHE = '/tmp/layer-cake-footprint-pyc'
DEADLINE = 60.0
POLL = 0.002
IDLE = 0.3
AS_IS = [False]         # --as-is: leave the bytecode settings of the environment alone

IMPORT_PROBE = r'''
import json, sys, time
t = time.perf_counter()
import layer_cake
took = time.perf_counter() - t
status = dict(l.split(':', 1) for l in open('/proc/self/status'))
print(json.dumps({'import_s': took, 'hwm_kb': int(status['VmHWM'].split()[0]),
                  'rss_kb': int(status['VmRSS'].split()[0]),
                  'openssl': 'OpenSSL' in sys.modules, 'modules': len(sys.modules)}))
'''


class Side(object):
    def __init__(self, spec):
        name, _, rest = spec.partition('=')
        tree, _, python = rest.partition('@')
        self.name = name
        self.tree = os.path.abspath(tree) if tree else None
        self.python = python or sys.executable
        self.host_cake = ([self.python, os.path.join(self.tree, 'bin', 'host-cake')]
                          if self.tree else [os.path.join(os.path.dirname(self.python),
                                                          'host-cake')])

    def env(self, **extra):
        env = dict(os.environ)
        if not AS_IS[0]:
            env.pop('PYTHONDONTWRITEBYTECODE', None)
            env['PYTHONPYCACHEPREFIX'] = CACHE
        if self.tree:
            env['PYTHONPATH'] = self.tree
        else:
            env.pop('PYTHONPATH', None)
        env.update(extra)
        return env


def memory_kb(pid):
    status = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            status[k] = v
    return int(status['VmHWM'].split()[0]), int(status['VmRSS'].split()[0])


def listening(port):
    needle = ':%04X' % port
    with open('/proc/net/tcp') as f:
        next(f)
        for line in f:
            p = line.split()
            if p[3] == '0A' and p[1].endswith(needle):
                return True
    return False


def cpu_s(rusage):
    return rusage.ru_utime + rusage.ru_stime


def kill_timed(pid):
    """Milliseconds from SIGKILL to the process reaped, and its CPU seconds in all."""
    t = time.perf_counter()
    os.kill(pid, signal.SIGKILL)
    _, _, rusage = os.wait4(pid, 0)
    return (time.perf_counter() - t) * 1000.0, cpu_s(rusage)


def stop(p):
    """Make sure ``p`` has ended (by PID) and is reaped."""
    if p.returncode is None:
        try:
            os.kill(p.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(p.pid, 0)
        except ChildProcessError:
            pass
        p.returncode = -signal.SIGKILL


# The three measurements; each returns a dict of figures.

def measure_import(side):
    t = time.perf_counter()
    p = subprocess.Popen([side.python, '-c', IMPORT_PROBE], env=side.env(), cwd='/tmp',
                         stdout=subprocess.PIPE)
    try:
        out = p.stdout.read()
        _, status, rusage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        p.stdout.close()
        stop(p)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        raise RuntimeError('%s: import failed (status %s)' % (side.name, p.returncode))
    r = json.loads(out.decode().strip().splitlines()[-1])
    r['wall_s'] = wall
    r['cpu_s'] = cpu_s(rusage)
    return r


def measure_role(side):
    r, w = os.pipe()
    t = time.perf_counter()
    p = subprocess.Popen([side.python, ROLE, '--directory-scope=PROCESS'], pass_fds=(w,),
                         env=side.env(FOOTPRINT_FD=str(w)), cwd='/tmp',
                         stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(w)
    try:
        with os.fdopen(r, 'rb') as f:
            line = f.readline()
        up = time.perf_counter() - t
        if line != b'up\n':
            raise RuntimeError('%s: role ended before it was up' % side.name)
        time.sleep(IDLE)
        hwm, rss = memory_kb(p.pid)
        kill_ms, cpu = kill_timed(p.pid)
        p.returncode = -signal.SIGKILL
        return {'up_s': up, 'cpu_s': cpu, 'hwm_kb': hwm, 'rss_kb': rss, 'kill_ms': kill_ms}
    finally:
        stop(p)


def measure_host_cake(side):
    port = free_port()
    address = json.dumps({'host': '127.0.0.1', 'port': port})
    t = time.perf_counter()
    p = subprocess.Popen(side.host_cake + ['--directory-at-host=%s' % address],
                         env=side.env(), cwd='/tmp', stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not listening(port):
            if p.poll() is not None:
                raise RuntimeError('%s: host-cake ended (status %s)' % (side.name,
                                                                       p.returncode))
            if time.perf_counter() - t > DEADLINE:
                raise RuntimeError('%s: host-cake not listening' % side.name)
            time.sleep(POLL)
        up = time.perf_counter() - t
        hwm, rss = memory_kb(p.pid)
        kill_ms, cpu = kill_timed(p.pid)
        p.returncode = -signal.SIGKILL
        return {'listening_s': up, 'cpu_s': cpu, 'hwm_kb': hwm, 'rss_kb': rss,
                'kill_ms': kill_ms}
    finally:
        stop(p)


TESTS = {'import': measure_import, 'role': measure_role, 'host-cake': measure_host_cake}

# (test, figure, unit, scale) in the order the table shows them.
FIGURES = [
    ('import', 'import_s', 'ms', 1000.0), ('import', 'wall_s', 'ms', 1000.0),
    ('import', 'cpu_s', 'ms', 1000.0),
    ('import', 'hwm_kb', 'MB', 1 / 1024.0), ('import', 'rss_kb', 'MB', 1 / 1024.0),
    ('import', 'modules', '', 1.0), ('import', 'openssl', '', 1.0),
    ('role', 'up_s', 'ms', 1000.0), ('role', 'cpu_s', 'ms', 1000.0),
    ('role', 'hwm_kb', 'MB', 1 / 1024.0),
    ('role', 'rss_kb', 'MB', 1 / 1024.0), ('role', 'kill_ms', 'ms', 1.0),
    ('host-cake', 'listening_s', 'ms', 1000.0), ('host-cake', 'cpu_s', 'ms', 1000.0),
    ('host-cake', 'hwm_kb', 'MB', 1 / 1024.0),
    ('host-cake', 'rss_kb', 'MB', 1 / 1024.0), ('host-cake', 'kill_ms', 'ms', 1.0),
]


def quartiles(values):
    v = sorted(values)
    if len(v) < 2:
        return v[0], v[0]
    q = statistics.quantiles(v, n=4, method='inclusive')
    return q[0], q[2]


def cell(values, scale):
    if not values:
        return '-'
    if all(isinstance(x, bool) for x in values):
        return '%d/%d' % (sum(values), len(values))
    v = [x * scale for x in values]
    q1, q3 = quartiles(v)
    return '%.1f [%.1f-%.1f] iqr %.1f' % (statistics.median(v), min(v), max(v), q3 - q1)


def table(sides, results, tests):
    rows = [['measure'] + [s.name + ' median [min-max]' for s in sides]]
    for test, figure, unit, scale in FIGURES:
        if test not in tests:
            continue
        label = '%s %s%s' % (test, figure, (' (%s)' % unit) if unit else '')
        rows.append([label] + [cell([r[figure] for r in results[s.name][test]], scale)
                               for s in sides])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return '\n'.join('  '.join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def main():
    a = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    a.add_argument('--side', action='append', metavar='NAME=TREE[@PYTHON]')
    a.add_argument('--reps', type=int, default=10)
    a.add_argument('--tests', default='import role host-cake')
    a.add_argument('--json', metavar='FILE', help='also write every figure as JSON lines')
    a.add_argument('--as-is', action='store_true',
                   help='keep PYTHONDONTWRITEBYTECODE and the bytecode cache as they are')
    args = a.parse_args()
    AS_IS[0] = args.as_is
    sides = [Side(s) for s in (args.side or ['base=/work/main', 'mine=%s' % ROOT])]
    tests = args.tests.split()
    results = {s.name: {t: [] for t in tests} for s in sides}
    out = open(args.json, 'w') if args.json else None
    for s in sides:                                     # untimed: fills the bytecode cache
        for t in tests:
            TESTS[t](s)
    for rep in range(args.reps):
        order = sides if rep % 2 == 0 else list(reversed(sides))
        for t in tests:
            for s in order:
                r = TESTS[t](s)
                results[s.name][t].append(r)
                if out:
                    out.write(json.dumps({'rep': rep, 'side': s.name, 'test': t, **r}) + '\n')
        sys.stderr.write('rep %d/%d done\n' % (rep + 1, args.reps))
    if out:
        out.close()
    for s in sides:
        print('%s: %s %s' % (s.name, s.python, ('PYTHONPATH=%s' % s.tree) if s.tree else
                             '(installed)'))
    print('%d repetitions%s' % (args.reps, ', environment as it is' if args.as_is else
                                ', bytecode cached'))
    print(table(sides, results, tests))


if __name__ == '__main__':
    main()
