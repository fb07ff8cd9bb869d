"""Late host-cake: launch -> listening and launch -> Available, with this tree's code.

    python3 bench/late_hostcake.py [--reps 5] [--late-wait 3] [--schedule-only]
        [--no-bytecode-cache] [--python PATH]

Each repetition: a subscriber (``l-[0-9]+``) and a publisher (``l-0``)
process at HOST scope, both with ``--connect-to-directory`` at a fresh
loopback port where nothing listens; once both have their answers
(Subscribed, Published) the script waits ``--late-wait`` s, reads
``time.time()``, launches ``bin/host-cake --directory-at-host=...`` on that
port and waits for the subscriber's Available. Printed per repetition and
as median [min-max]: launch -> listening (the time stamp, to the millisecond,
of host-cake's own log line "HOST directory at ...", written once it is
bound), launch -> Available (the subscriber's own ``time.time()``), and
listening -> Available. Nothing polls /proc (reading /proc/net/tcp takes
about 2 ms of CPU here, so polling it every 2 ms would take a core from the
host-cake being measured); the script reads the actors' small output files
every 2 ms.

The processes are bench/pubsub_actor.py (the program of bench/pubsub_bench.py)
run by ``--python`` (default: this interpreter) with PYTHONPATH set to this
tree, so the tree's layer_cake is measured. The rendezvous folder is one of
the script's own (LC_RENDEZVOUS_FOLDER), never the machine's;
``--schedule-only`` points it where no folder can be made, so the processes
fall back to the reconnect schedule (the figure before the rendezvous).
By default the processes share a bytecode cache of their own
(PYTHONPYCACHEPREFIX, in a temporary folder), as bench/pubsub_run does;
``--no-bytecode-cache`` keeps the caller's PYTHONDONTWRITEBYTECODE.

Only 127.0.0.1 is used; port 54195 never. Every process is stopped by PID
(SIGINT, SIGKILL after 5 s), also when the script is interrupted.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from ports import listen_port as free_port  # noqa: E402
from procfs import interrupt_then_kill  # noqa: E402
POLL = 0.002


def listened_at(log):
    """The time (s since the epoch) of host-cake's "HOST directory at" line, or None."""
    for w in lines_of(log):
        if 'directory' in w and 'HOST' in w and len(w) > 1:
            when = datetime.datetime.strptime(w[1], '%Y-%m-%dT%H:%M:%S.%f')
            return when.replace(tzinfo=datetime.timezone.utc).timestamp()
    return None


def lines_of(path):
    try:
        with open(path) as f:
            return [line.split() for line in f]
    except OSError:
        return []


def find(path, *words):
    for w in lines_of(path):
        if w[:len(words)] == list(words):
            return w
    return None


class Run(object):

    def __init__(self, a):
        self.a = a
        self.folder = tempfile.mkdtemp(prefix='late-hostcake-')
        env = dict(os.environ)
        env['PYTHONPATH'] = ROOT + os.pathsep + HERE
        env.pop('LC_PARENT_PIPES', None)
        if a.schedule_only:
            blocker = os.path.join(self.folder, 'not-a-folder')
            open(blocker, 'w').close()
            env['LC_RENDEZVOUS_FOLDER'] = os.path.join(blocker, 'rendezvous')
        else:
            env['LC_RENDEZVOUS_FOLDER'] = os.path.join(self.folder, 'rendezvous')
        if not a.no_bytecode_cache:
            env.pop('PYTHONDONTWRITEBYTECODE', None)
            env['PYTHONPYCACHEPREFIX'] = os.path.join(tempfile.gettempdir(),
                                                      'late-hostcake-pycache')
        self.env = env
        self.procs = []

    def spawn(self, name, argv):
        with open(os.path.join(self.folder, name + '.log'), 'a') as f:
            p = subprocess.Popen(argv, cwd=self.folder, env=self.env, stdin=subprocess.DEVNULL,
                                 stdout=f, stderr=f)
        self.procs.append(p)
        return p

    def stop_all(self):
        interrupt_then_kill(self.procs, 5.0)
        self.procs = []

    def wait(self, done, seconds, what):
        end = time.monotonic() + seconds
        while True:
            v = done()
            if v:
                return v
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError('%s: process %s ended (%s)' % (what, p.args,
                                                                      p.returncode))
            if time.monotonic() > end:
                raise RuntimeError('%s: not within %s s' % (what, seconds))
            time.sleep(POLL)

    def rep(self, i):
        a = self.a
        port = free_port()
        directory = json.dumps({'host': '127.0.0.1', 'port': port})
        sub_out = os.path.join(self.folder, 'sub-%d.txt' % i)
        pub_out = os.path.join(self.folder, 'pub-%d.txt' % i)
        actor = os.path.join(HERE, 'pubsub_actor.py')
        common = ['--limit=120', '--clock=wall', '--scope=HOST',
                  '--connect-to-directory=%s' % directory]
        self.spawn('sub-%d' % i, [a.python, actor, '--mode=sub', '--search=l-[0-9]+',
                                  '--out=%s' % sub_out] + common)
        self.spawn('pub-%d' % i, [a.python, actor, '--mode=pub', '--name=l-0',
                                  '--out=%s' % pub_out] + common)
        self.wait(lambda: find(sub_out, 'subscribed') and find(pub_out, 'published'), 60.0,
                  'publisher and subscriber up')
        time.sleep(a.late_wait)
        if find(sub_out, 'available'):
            raise RuntimeError('Available before host-cake started')
        log = os.path.join(self.folder, 'host-cake-%d.log' % i)
        t0 = time.time()
        self.spawn('host-cake-%d' % i, [a.python, os.path.join(ROOT, 'bin', 'host-cake'),
                                        '--directory-at-host=%s' % directory,
                                        '--debug-level=CONSOLE'])
        w = self.wait(lambda: find(sub_out, 'available', 'l-0'), 60.0,
                      'Available after host-cake started')
        available_s = float(w[3]) - t0
        listened = self.wait(lambda: listened_at(log), 10.0, 'host-cake log line')
        self.stop_all()
        return listened - t0, available_s


def summary(xs):
    return '%.3f [%.3f-%.3f]' % (statistics.median(xs), min(xs), max(xs))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--late-wait', type=float, default=3.0)
    p.add_argument('--schedule-only', action='store_true',
                   help='no rendezvous folder: the reconnect schedule alone')
    p.add_argument('--no-bytecode-cache', action='store_true')
    p.add_argument('--python', default=sys.executable)
    a = p.parse_args()
    run = Run(a)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        with open('/proc/loadavg') as f:
            load = ' '.join(f.read().split()[:3])
        print('late host-cake: %d rep(s), late wait %g s, %s, bytecode cache %s, load %s' % (
            a.reps, a.late_wait, 'schedule only' if a.schedule_only else 'rendezvous',
            'off' if a.no_bytecode_cache else 'on', load))
        listens, availables = [], []
        for i in range(a.reps):
            listen_s, available_s = run.rep(i)
            listens.append(listen_s)
            availables.append(available_s)
            print('rep %d: launch->listening %.3f s  launch->Available %.3f s  '
                  'listening->Available %.3f s' % (i + 1, listen_s, available_s,
                                                    available_s - listen_s))
            sys.stdout.flush()
        print('launch->listening, s     %s n=%d' % (summary(listens), len(listens)))
        print('launch->Available, s     %s n=%d' % (summary(availables), len(availables)))
        print('listening->Available, s  %s n=%d' % (
            summary([b - l for l, b in zip(listens, availables)]), len(listens)))
    finally:
        run.stop_all()
        shutil.rmtree(run.folder, True)


if __name__ == '__main__':
    main()
