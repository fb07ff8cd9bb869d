#!/usr/bin/env python3
"""One measurement of the composite-process CLI for one side (bench/cli_run).

    python3 bench/cli_bench.py --label orig|ours --bin <venv>/bin [--rep N]
        [--workers 8] [--deadline 60] [--log-dir DIR] [--keep]

The layout of the multihosting tutorial (one server role and 8 worker roles),
built with the side's own ``layer-cake`` in a fresh temporary folder with a
fresh HOME and a fresh free port on 127.0.0.1. Every command runs with PATH
starting at ``--bin``, so ``layer-cake`` and ``python3`` are that side's.
The roles run bench/cli_server.py and bench/cli_worker.py (copied into the
folder), which create ``<marker dir>/<pid>`` once they are up.

1. setup (timed as extras): ``layer-cake create``, ``layer-cake add
   cli_server.py server --server-address=... --marker-dir=...``,
   ``layer-cake add cli_worker.py worker --role-count=8 --marker-dir=...``.
2. run: launch ``layer-cake run`` and time until 9 markers exist
   (``run_ready_s``); then SIGINT to the run process and time until it has
   exited and the 9 marked pids are gone (``run_stop_s``).
3. start/stop: invoke ``layer-cake start`` and time until 9 markers exist
   (``start_ready_s``; ``start_return_s`` is when the command itself
   returned); then invoke ``layer-cake stop`` and time until the 9 marked pids
   are gone (``stop_gone_s``). ``round_trip_s`` = start_ready_s + stop_gone_s.

Polling is every 10 ms. Every wait is bounded by ``--deadline`` and records an
error instead of hanging. The group process (the parent of the roles) is
watched too, up to the deadline, and its exit times are extras. When the 9
roles are up, the CPU time (user + system) used so far by the roles, the
group and the ``run`` process is read from /proc as extras. Anything
still running after a phase (a marked pid, the group, or any process whose
command line names this measurement's temporary folder) is killed by PID with
SIGKILL and listed under ``killed``. Prints one JSON line. Only the standard library is used.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import procfs
from ports import free_port
from procfs import alive, parent_of

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = ('cli_server.py', 'cli_worker.py')
POLL = 0.01


class Interrupted(Exception):
    """SIGTERM from the runner's watchdog: clean up, then report."""


def on_term(signum, frame):
    raise Interrupted('terminated by signal %d' % signum)


def loadavg():
    try:
        with open('/proc/loadavg') as f:
            return ' '.join(f.read().split()[:3])
    except OSError:
        return None


def cpu_seconds(pids):
    """User + system CPU time used so far by the processes pids (those still readable)."""
    tick = os.sysconf('SC_CLK_TCK')
    total = 0
    for pid in pids:
        try:
            total += procfs.cpu_ticks(pid) or 0
        except (ValueError, IndexError):
            pass
    return round(total / tick, 3)


class Side(object):
    def __init__(self, a):
        self.a = a
        self.result = {'label': a.label, 'rep': a.rep, 'workers': a.workers,
                       'loadavg': loadavg()}
        self.errors = {}
        self.killed = []
        self.seen = set()         # every role and group pid met: killed at the end if alive
        self.folder = tempfile.mkdtemp(prefix='cli-bench-%s-' % a.label)
        self.work = os.path.join(self.folder, 'work')
        self.markers = os.path.join(self.folder, 'markers')
        self.home = os.path.join(self.folder, 'home')
        for d in (self.work, self.markers, self.home):
            os.mkdir(d)
        for p in PROGRAMS:
            shutil.copy(os.path.join(HERE, p), self.work)
        self.logs = a.log_dir or self.folder
        os.makedirs(self.logs, exist_ok=True)
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        env['PATH'] = a.bin + os.pathsep + env.get('PATH', '')
        env['HOME'] = self.home
        self.env = env
        self.port = free_port()
        self.result['port'] = self.port

    # -- helpers ---------------------------------------------------------------

    def log_files(self, name):
        stem = os.path.join(self.logs, '%s-rep%s-%s' % (self.a.label, self.a.rep, name))
        return open(stem + '.out', 'w'), open(stem + '.err', 'w')

    def launch(self, name, *args):
        out, err = self.log_files(name)
        try:
            return subprocess.Popen(['layer-cake'] + list(args), cwd=self.work, env=self.env,
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        finally:
            out.close()
            err.close()

    def tail(self, name):
        path = os.path.join(self.logs, '%s-rep%s-%s.err' % (self.a.label, self.a.rep, name))
        try:
            with open(path) as f:
                lines = [t.strip() for t in f.read().splitlines() if t.strip()]
        except OSError:
            return ''
        return ' | '.join(lines[-2:])[-300:]

    def command(self, name, *args):
        """Run one CLI command to its end; its time, or None after recording an error."""
        t0 = time.perf_counter()
        p = self.launch(name, *args)
        if not self.wait(lambda: p.poll() is not None):
            self.errors[name] = 'did not return within %g s' % self.a.deadline
            p.kill()
            p.wait()
            return None
        t = time.perf_counter() - t0
        if p.returncode != 0:
            self.errors[name] = 'exit status %s: %s' % (p.returncode, self.tail(name))
            return None
        return t

    def wait(self, done, deadline=None):
        """Poll done() every 10 ms; False when the deadline passes first."""
        end = time.monotonic() + (self.a.deadline if deadline is None else deadline)
        while True:
            if done():
                return True
            if time.monotonic() > end:
                return False
            time.sleep(POLL)

    def marked(self):
        pids = []
        for name in os.listdir(self.markers):
            if name.isdigit():
                pids.append(int(name))
        return pids

    def clear_markers(self):
        for name in os.listdir(self.markers):
            os.unlink(os.path.join(self.markers, name))

    def groups_of(self, pids):
        """The group of the role processes, while they are known: the topmost ancestor
        that belongs to this measurement (ours forks roles from a launcher, a child of
        group-cake, so the roles' parent is not always the group itself)."""
        out = set()
        key = self.work.encode()
        for p in pids:
            g = parent_of(p)
            top = None
            while g and g != 1:
                try:
                    with open('/proc/%d/cmdline' % g, 'rb') as f:
                        if key not in f.read():
                            break
                except OSError:
                    break
                top = g
                g = parent_of(g)
            if top is not None:
                out.add(top)
        return sorted(out)

    def strays(self):
        """Processes whose command line names this measurement's folder (a role or group
        that started but was never seen, e.g. when the roles were not all up in time)."""
        out = []
        key = self.work.encode()
        for name in os.listdir('/proc'):
            if not name.isdigit() or int(name) == os.getpid():
                continue
            try:
                with open('/proc/%s/cmdline' % name, 'rb') as f:
                    if key in f.read():
                        out.append(int(name))
            except OSError:
                pass
        return out

    def kill_leftovers(self, phase, pids):
        pids = set(pids) | set(self.marked()) | set(self.strays())
        left = procfs.kill(sorted(pids))
        if left:
            self.killed.append({'phase': phase, 'pids': left})
            self.wait(lambda: not any(alive(p) for p in left), deadline=5.0)

    # -- the phases ------------------------------------------------------------

    def setup(self):
        address = json.dumps({'host': '127.0.0.1', 'port': self.port})
        steps = [
            ('create', ('create',)),
            ('add_server', ('add', 'cli_server.py', 'server', '--server-address=' + address,
                            '--marker-dir=' + self.markers)),
            ('add_workers', ('add', 'cli_worker.py', 'worker', '--role-count=%d' % self.a.workers,
                             '--marker-dir=' + self.markers)),
        ]
        for name, args in steps:
            t = self.command(name, *args)
            if t is None:
                return False
            self.result['setup_%s_s' % name] = round(t, 4)
        return True

    def ready(self, count, proc=None):
        """Wait for count markers; None if proc (when given) exits first or the deadline passes."""
        def done():
            if len(self.marked()) >= count:
                return True
            if proc is not None and proc.poll() is not None:
                raise EndedEarly(proc.returncode)
            return False
        return self.wait(done)

    def measure_run(self):
        n = self.a.workers + 1
        self.clear_markers()
        t0 = time.perf_counter()
        p = self.launch('run', 'run')
        try:
            ok = self.ready(n, p)
        except EndedEarly as e:
            self.errors['run'] = 'layer-cake run exited (status %s) with %d of %d roles up: %s' % (
                e.args[0], len(self.marked()), n, self.tail('run'))
            self.seen.update(self.marked())
            return
        roles = self.marked()
        self.seen.update(roles)
        if not ok:
            self.errors['run'] = '%d of %d roles up after %g s' % (len(roles), n, self.a.deadline)
            p.send_signal(signal.SIGINT)
            self.wait(lambda: p.poll() is not None, deadline=10.0)
            if p.poll() is None:
                p.kill()
                p.wait()
            return
        self.result['run_ready_s'] = round(time.perf_counter() - t0, 4)
        groups = self.groups_of(roles)
        self.seen.update(groups)
        self.result['run_roles_cpu_s'] = cpu_seconds(roles)
        self.result['run_group_cpu_s'] = cpu_seconds(groups)
        self.result['run_cli_cpu_s'] = cpu_seconds([p.pid])
        self.result['run_group_pids'] = groups

        t1 = time.perf_counter()
        p.send_signal(signal.SIGINT)
        exited = [None]

        def gone():
            if exited[0] is None and p.poll() is not None:
                exited[0] = time.perf_counter() - t1
            return exited[0] is not None and not any(alive(r) for r in roles)
        if self.wait(gone):
            self.result['run_stop_s'] = round(time.perf_counter() - t1, 4)
        else:
            left = [r for r in roles if alive(r)]
            self.errors['run_stop'] = ('after SIGINT: run process %s, %d role(s) still running '
                                       'after %g s' % ('exited' if exited[0] is not None
                                                       else 'still running', len(left),
                                                       self.a.deadline))
        if exited[0] is not None:
            self.result['run_exit_s'] = round(exited[0], 4)
            self.result['run_status'] = p.returncode
        else:
            p.kill()
            p.wait()
        if self.wait(lambda: not any(alive(g) for g in groups)):
            self.result['run_group_gone_s'] = round(time.perf_counter() - t1, 4)
        else:
            self.errors['run_group'] = 'group still running %g s after SIGINT' % self.a.deadline

    def measure_start_stop(self):
        n = self.a.workers + 1
        self.clear_markers()
        t0 = time.perf_counter()
        p = self.launch('start', 'start')
        returned = [None]

        def done():
            if returned[0] is None and p.poll() is not None:
                returned[0] = time.perf_counter() - t0
                if p.returncode != 0:
                    raise EndedEarly(p.returncode)
            return len(self.marked()) >= n
        try:
            ok = self.wait(done)
        except EndedEarly as e:
            self.errors['start'] = 'layer-cake start failed (status %s): %s' % (
                e.args[0], self.tail('start'))
            ok = None
        roles = self.marked()
        self.seen.update(roles)
        if ok:
            self.result['start_ready_s'] = round(time.perf_counter() - t0, 4)
        elif ok is not None:
            self.errors['start'] = '%d of %d roles up after %g s' % (len(roles), n,
                                                                    self.a.deadline)
        groups = self.groups_of(roles)
        self.seen.update(groups)
        self.result['start_group_pids'] = groups
        if ok:
            self.result['start_roles_cpu_s'] = cpu_seconds(roles)
            self.result['start_group_cpu_s'] = cpu_seconds(groups)
        # The command itself should have returned by now (it detaches the group).
        if returned[0] is None and not self.wait(lambda: p.poll() is not None):
            self.errors['start_return'] = ('layer-cake start had not returned %g s after the '
                                           'roles were up' % self.a.deadline)
            p.kill()
            p.wait()
        elif returned[0] is None:
            returned[0] = time.perf_counter() - t0
        if returned[0] is not None:
            self.result['start_return_s'] = round(returned[0], 4)
            self.result['start_status'] = p.returncode
        if not ok:
            return

        t1 = time.perf_counter()
        s = self.launch('stop', 'stop')
        stop_returned = [None]

        def gone():
            if stop_returned[0] is None and s.poll() is not None:
                stop_returned[0] = time.perf_counter() - t1
            return not any(alive(r) for r in roles)
        if self.wait(gone):
            self.result['stop_gone_s'] = round(time.perf_counter() - t1, 4)
            self.result['round_trip_s'] = round(self.result['start_ready_s'] +
                                                self.result['stop_gone_s'], 4)
        else:
            left = [r for r in roles if alive(r)]
            self.errors['stop'] = '%d role(s) still running %g s after layer-cake stop' % (
                len(left), self.a.deadline)
        if stop_returned[0] is None and self.wait(lambda: s.poll() is not None, deadline=10.0):
            stop_returned[0] = time.perf_counter() - t1
        if stop_returned[0] is None:
            self.errors['stop_return'] = 'layer-cake stop did not return'
            s.kill()
            s.wait()
        else:
            self.result['stop_return_s'] = round(stop_returned[0], 4)
            self.result['stop_status'] = s.returncode
            if s.returncode != 0:
                self.errors['stop_status'] = 'exit status %s: %s' % (s.returncode,
                                                                    self.tail('stop'))
        if self.wait(lambda: not any(alive(g) for g in groups)):
            self.result['stop_group_gone_s'] = round(time.perf_counter() - t1, 4)
        else:
            self.errors['stop_group'] = ('group still running %g s after layer-cake stop' %
                                         self.a.deadline)

    def main(self):
        try:
            if self.setup():
                if 'run' in self.a.phases:
                    try:
                        self.measure_run()
                    finally:
                        self.kill_leftovers('run', sorted(self.seen | set(self.marked())))
                if 'start' in self.a.phases:
                    self.seen = set()
                    try:
                        self.measure_start_stop()
                    finally:
                        self.kill_leftovers('start', sorted(self.seen | set(self.marked())))
        except Interrupted as e:
            self.errors['interrupted'] = str(e)
            self.kill_leftovers('interrupted', sorted(self.seen | set(self.marked())))
        finally:
            if self.errors:
                self.result['errors'] = self.errors
                self.result['error'] = '; '.join('%s: %s' % kv for kv in self.errors.items())
            self.result['killed'] = self.killed
            if self.a.keep:
                self.result['folder'] = self.folder
            else:
                shutil.rmtree(self.folder, ignore_errors=True)
        return self.result


class EndedEarly(Exception):
    pass


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--label', required=True, help='orig or ours (a name for the JSON line)')
    p.add_argument('--bin', required=True, help="the side's venv bin/ folder")
    p.add_argument('--rep', type=int, default=1)
    p.add_argument('--workers', type=int, default=8, help='worker roles (8, as the tutorial)')
    p.add_argument('--deadline', type=float, default=60.0, help='longest wait, seconds')
    p.add_argument('--phases', default='run start', help='"run start", "run" or "start"')
    p.add_argument('--log-dir', help='where the commands\' stdout/stderr go (default: the '
                   'temporary folder, removed at the end)')
    p.add_argument('--keep', action='store_true', help='keep the temporary folder')
    a = p.parse_args(argv)
    a.bin = os.path.abspath(a.bin)
    a.phases = a.phases.split()
    if not os.access(os.path.join(a.bin, 'layer-cake'), os.X_OK):
        print(json.dumps({'label': a.label, 'rep': a.rep,
                          'error': 'no layer-cake in %s' % a.bin}))
        return 1
    signal.signal(signal.SIGTERM, on_term)
    result = Side(a).main()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
