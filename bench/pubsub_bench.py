#!/usr/bin/env python3
"""Publish/subscribe measurements for one side and one repetition (bench/pubsub_run).

    python3 bench/pubsub_bench.py --label orig|ours --bin <venv>/bin [--rep N]
        [--tests "process host group kill late http scale"] [--quick] [--log-dir DIR]

Every process of the side runs ``<venv>/bin/python bench/pubsub_actor.py``
(or the side's ``host-cake`` and ``layer-cake``), and tells this driver what
it saw by appending lines to a file of its own (see pubsub_actor.py). The
actors take the times themselves; a latency that crosses processes is the
difference of two ``time.time()`` readings on this one machine. One JSON
line per test goes to stdout.

Tests (see bench/README.md, "Publish/subscribe", for the method):

* ``process``: (a) publish -> Available, publisher and subscriber in one
  process, PROCESS scope, ``time.perf_counter()``.
* ``host``: (a) the same between two stand-alone processes through host-cake
  (HOST scope).
* ``group``: (a) at GROUP scope between two roles of one composite process
  (``layer-cake create/add/run``), and (c) fallback in the same run: roles
  publishing names at GROUP scope, a stand-alone process publishing the same
  names at HOST scope through host-cake, a role subscribed at HOST scope;
  SIGKILL of a GROUP publisher -> the next Available (from the HOST one).
* ``kill``: (b) SIGKILL of a publisher process -> Dropped at the subscriber.
* ``late``: (d) publisher and subscriber at HOST scope with no host-cake;
  host-cake started after ``--late-wait`` s -> Available.
* ``http``: (e) the multihosting tutorial (server + 8 workers found by
  publish/subscribe) under ``layer-cake run``, wrk at 10 and 100 connections.
* ``scale``: (f) one host-cake; publisher processes register 10 000 names,
  then subscriber processes 1 000 searches of ten names each; times until all
  Published, all Subscribed and all 10 000 Available; host-cake's memory.

The directory tiers of both libraries listen at 127.0.0.1:54195 by default.
Before a test that needs host-cake, nothing may listen there (the driver
reads /proc/net/tcp); if something does, stand-alone processes get an
explicit address on a fresh port (``--connect-to-directory``, host-cake
``--directory-at-host``), and the tests that need a composite process to
reach host-cake are skipped with a message. Every wait has a deadline, every
process gets a watchdog, and everything started is stopped by PID (SIGINT,
then SIGKILL). Only the standard library is used.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import net_compare  # noqa: E402  (wrk parser)
import procfs  # noqa: E402
from ports import free_port  # noqa: E402
from procfs import alive, cpu_seconds, stat_fields  # noqa: E402

DIRECTORY_PORT = 54195
BUSY = 0.2          # (f) a process using at least this share of a core is busy
IDLE = 5.0          # (f) seconds over which the standing sessions' CPU is measured
POLL = 0.002
ALL_TESTS = ('process', 'host', 'group', 'kill', 'late', 'http', 'scale')


class Failed(Exception):
    """A measurement could not complete; the message says why."""


class Skipped(Exception):
    """A measurement cannot be made here; the message says why."""


class Interrupted(Exception):
    pass


def on_term(signum, frame):
    raise Interrupted('terminated by signal %d' % signum)


# -- /proc helpers -------------------------------------------------------------

def tcp_sockets():
    """The fields of each line of /proc/net/tcp and /proc/net/tcp6 (those readable)."""
    out = []
    for path in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    out.append(line.split())
        except OSError:
            pass
    return out


def listening_ports():
    """The TCP ports something listens on (IPv4 and IPv6), from /proc/net."""
    ports = set()
    for p in tcp_sockets():
        if p[3] == '0A':
            ports.add(int(p[1].rsplit(':', 1)[1], 16))
    return ports


def tcp_table():
    """inode -> (local port, remote port, state) for every IPv4/IPv6 TCP socket."""
    out = {}
    for p in tcp_sockets():
        out[p[9]] = (int(p[1].rsplit(':', 1)[1], 16),
                     int(p[2].rsplit(':', 1)[1], 16), p[3])
    return out


def socket_inodes(pid):
    out = set()
    try:
        for fd in os.listdir('/proc/%d/fd' % pid):
            try:
                t = os.readlink('/proc/%d/fd/%s' % (pid, fd))
            except OSError:
                continue
            if t.startswith('socket:['):
                out.add(t[8:-1])
    except OSError:
        pass
    return out


def memory_kb(pid):
    """VmRSS and VmHWM of pid in kB (None when unreadable)."""
    d = {}
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                k, _, v = line.partition(':')
                if k in ('VmRSS', 'VmHWM'):
                    d[k] = int(v.split()[0])
    except OSError:
        pass
    return d.get('VmRSS'), d.get('VmHWM')


def descendants(root):
    children = {}
    for pid in procfs.all_pids():
        s = stat_fields(pid)
        if s is not None:
            children.setdefault(int(s[1]), []).append(pid)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c in children.get(p, ()):
            out.append(c)
            todo.append(c)
    return out


def cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode(errors='replace')
    except OSError:
        return ''


class CpuSampler(object):
    """Samples a process's CPU time every 0.1 s on a thread of its own."""

    def __init__(self, pid, period=0.1):
        self.pid = pid
        self.period = period
        self.samples = []           # (time.time(), cpu seconds)
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            c = cpu_seconds(self.pid)
            if c is None:
                break
            self.samples.append((time.time(), c))
            time.sleep(self.period)

    def stop(self):
        self.running = False
        self.thread.join(2.0)

    def busy(self, t0, t1):
        """(seconds from t0 to the end of the last sample interval in [t0, t1] in which
        the process was busy -- used at least BUSY of a core --, CPU seconds used in
        [t0, t1])."""
        inside = [x for x in self.samples if t0 <= x[0] <= t1]
        before = [x for x in self.samples if x[0] < t0]
        prev = before[-1] if before else (inside[0] if inside else None)
        if prev is None:
            return None, None
        start, last = prev[1], None
        for t, c in inside:
            if c - prev[1] >= BUSY * (t - prev[0]):
                last = t
            prev = (t, c)
        return (round(last - t0, 2) if last else 0.0), round(prev[1] - start, 2)


def summary(values):
    """median, p90, min, max of a list of numbers (rounded)."""
    if not values:
        return {}
    v = sorted(values)
    p90 = v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]
    return {'median': round(statistics.median(v), 4), 'p90': round(p90, 4),
            'min': round(v[0], 4), 'max': round(v[-1], 4), 'n': len(v)}


# -- the lines an actor writes ---------------------------------------------------

class Lines(object):
    """The lines appended so far to one actor's file."""

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.lines = []
        self.partial = ''

    def read(self):
        try:
            with open(self.path) as f:
                f.seek(self.pos)
                data = f.read()
                self.pos = f.tell()
        except FileNotFoundError:
            return self.lines
        data = self.partial + data
        parts = data.split('\n')
        self.partial = parts.pop()
        self.lines.extend(p.split() for p in parts if p.strip())
        return self.lines

    def find(self, word, *values):
        """Every line starting with word (and then values), as lists of fields."""
        out = []
        for f in self.read():
            if f[0] == word and tuple(f[1:1 + len(values)]) == tuple(values):
                out.append(f)
        return out

    def errors(self):
        return [' '.join(f) for f in self.read() if f[0] in ('error', 'watchdog')]


# -- one side, one repetition --------------------------------------------------

class Side(object):
    def __init__(self, a):
        self.a = a
        self.bin = a.bin
        self.python = os.path.join(a.bin, 'python')
        self.folder = tempfile.mkdtemp(prefix='pubsub-bench-%s-' % a.label)
        self.logs = a.log_dir or self.folder
        os.makedirs(self.logs, exist_ok=True)
        self.procs = []             # every Popen started (stopped by PID at the end of a test)
        self.extra_pids = set()     # role processes met (killed by PID if still running)
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        env['PATH'] = a.bin + os.pathsep + env.get('PATH', '')
        self.env = env
        self.directory = None       # explicit HostPort JSON when 54195 is taken
        self.notes = []

    # -- processes -------------------------------------------------------------

    def log(self, name):
        return open(os.path.join(self.logs, '%s-rep%s-%s.log' % (self.a.label, self.a.rep,
                                                                  name)), 'a')

    def spawn(self, name, argv, cwd=None, env=None):
        with self.log(name) as f:
            p = subprocess.Popen(argv, cwd=cwd or self.folder, env=env or self.env,
                                 stdin=subprocess.DEVNULL, stdout=f, stderr=f)
        self.procs.append(p)
        return p

    def actor(self, tag, limit, **flags):
        """Start pubsub_actor.py; (Popen, Lines of its file)."""
        out = os.path.join(self.folder, '%s.txt' % tag)
        argv = [self.python, os.path.join(HERE, 'pubsub_actor.py'), '--out=%s' % out,
                '--limit=%.1f' % limit]
        for k, v in flags.items():
            argv.append('--%s=%s' % (k.replace('_', '-'), v))
        if self.directory:
            argv.append('--connect-to-directory=%s' % self.directory)
        return self.spawn(tag, argv), Lines(out)

    def stop(self, procs, grace=5.0, what=None):
        """SIGINT each process still running, then SIGKILL what is left after grace.
        Seconds until every one had ended (None when some had to be killed)."""
        live = [p for p in procs if p.poll() is None]
        t0 = time.monotonic()
        killed = [os.path.basename(p.args[1] if len(p.args) > 1 else p.args[0])
                  for p in procfs.interrupt_then_kill(live, grace)]
        if killed:
            names = sorted(set(killed))
            self.notes.append('%s%d of %d process(es) (%s) still running %g s after SIGINT: '
                              'killed' % ((what + ': ') if what else '', len(killed),
                                          len(live), ', '.join(names), grace))
            return None
        return time.monotonic() - t0

    def cleanup(self):
        self.stop(self.procs)
        self.procs = []
        left = procfs.kill(sorted(self.extra_pids))
        if left:
            self.notes.append('killed left-over processes %s' % left)
        self.extra_pids = set()

    def wait(self, done, deadline, what, procs=()):
        """Poll done() every 2 ms; Failed(what) after deadline s or if a process ends."""
        end = time.monotonic() + deadline
        while True:
            v = done()
            if v:
                return v
            for p, lines in procs:
                if p.poll() is not None:
                    raise Failed('%s: process %s ended (status %s) %s' % (
                        what, p.pid, p.returncode, '; '.join(lines.errors()[-2:])))
            if time.monotonic() > end:
                errs = []
                for p, lines in procs:
                    errs.extend(lines.errors()[-2:])
                raise Failed('%s: not within %g s%s' % (what, deadline,
                                                       (' (%s)' % '; '.join(errs)) if errs
                                                       else ''))
            time.sleep(POLL)

    # -- host-cake -------------------------------------------------------------

    def directory_port(self):
        if self.directory:
            return json.loads(self.directory)['port']
        return DIRECTORY_PORT

    def check_directory_port(self, need_default=False):
        """Make sure nothing listens where this side's tiers will; else pick a fresh port
        (or raise Skipped when the test needs the default)."""
        self.directory = None
        if DIRECTORY_PORT not in listening_ports():
            return
        # Perhaps our own host-cake of the previous test, still closing.
        end = time.monotonic() + 10.0
        while DIRECTORY_PORT in listening_ports() and time.monotonic() < end:
            time.sleep(0.05)
        if DIRECTORY_PORT not in listening_ports():
            return
        if need_default:
            raise Skipped('something else listens on 127.0.0.1:%d (a host-cake?), and a '
                          'composite process cannot be pointed elsewhere' % DIRECTORY_PORT)
        self.directory = json.dumps({'host': '127.0.0.1', 'port': free_port()})
        self.notes.append('port %d was taken: explicit directory address %s' % (
            DIRECTORY_PORT, self.directory))

    def host_cake(self):
        """Start host-cake; (Popen, seconds from launch until it listens)."""
        argv = [os.path.join(self.bin, 'host-cake')]
        if self.directory:
            argv.append('--directory-at-host=%s' % self.directory)
        port = self.directory_port()
        t0 = time.monotonic()
        p = self.spawn('host-cake', argv)
        end = t0 + 30.0
        while port not in listening_ports():
            if p.poll() is not None:
                raise Failed('host-cake ended at once (status %s)' % p.returncode)
            if time.monotonic() > end:
                raise Failed('host-cake not listening on %d after 30 s' % port)
            time.sleep(POLL)
        return p, time.monotonic() - t0

    # -- (a) PROCESS -------------------------------------------------------------

    def test_process(self):
        a = self.a
        p, lines = self.actor('process', 60.0 + a.cycles, mode='process', name='p-',
                              search='p-[0-9]+', scope='PROCESS', clock='perf',
                              cycles=a.cycles, warmup=a.warmup, pause='%.3f' % a.pause)
        done = self.wait(lambda: lines.find('done'), 60.0 + a.cycles, 'process cycles',
                         [(p, lines)])
        r = json.loads(' '.join(done[0][1:]))
        return self.latency_result(r)

    def latency_result(self, r):
        lat = r['latency_ms']
        d = {'latency_ms': [round(x, 4) for x in lat]}
        d.update({'latency_%s_ms' % k: v for k, v in summary(lat).items() if k != 'n'})
        d['published_median_ms'] = round(statistics.median(r['published_ms']), 4)
        return d

    # -- (a) HOST ----------------------------------------------------------------

    def test_host(self):
        a = self.a
        self.check_directory_port()
        hc, listen_s = self.host_cake()
        sub, sl = self.actor('host-sub', 120.0 + a.cycles, mode='sub', search='h-[0-9]+',
                             scope='HOST', reply=1)
        self.wait(lambda: sl.find('subscribed'), 60.0, 'subscriber up', [(sub, sl)])
        pub, pl = self.actor('host-pub', 120.0 + a.cycles, mode='cycle', name='h-',
                             scope='HOST', cycles=a.cycles, warmup=a.warmup,
                             pause='%.3f' % a.pause)
        done = self.wait(lambda: pl.find('done'), 90.0 + a.cycles, 'host cycles',
                         [(pub, pl), (sub, sl), (hc, Lines('/dev/null'))])
        d = self.latency_result(json.loads(' '.join(done[0][1:])))
        d['host_cake_listen_s'] = round(listen_s, 3)
        d['first_cycle_ms'] = float(pl.find('cycle', '0')[0][2])
        return d

    # -- (b) SIGKILL -> Dropped ------------------------------------------------

    def test_kill(self):
        a = self.a
        self.check_directory_port()
        hc, _ = self.host_cake()
        sub, sl = self.actor('kill-sub', 180.0, mode='sub', search='k-[0-9]+', scope='HOST')
        self.wait(lambda: sl.find('subscribed'), 60.0, 'subscriber up', [(sub, sl)])
        pubs = []
        for i in range(a.kills):
            p, pl = self.actor('kill-pub%d' % i, 150.0, mode='pub', name='k-%d' % i,
                               scope='HOST')
            pubs.append((p, pl))
        watched = [(sub, sl)] + pubs
        for i, (p, pl) in enumerate(pubs):
            self.wait(lambda: sl.find('available', 'k-%d' % i), 90.0,
                      'Available k-%d' % i, watched)
        time.sleep(0.5)
        rss_before = memory_kb(pubs[0][0].pid)[0]
        lat, gone = [], []
        for i, (p, pl) in enumerate(pubs):
            t = time.time()
            os.kill(p.pid, signal.SIGKILL)
            # The kernel closes a process's sockets as it tears the process down; it can
            # be reaped once that is done. The driver (its parent) waits for that at
            # once: a floor under SIGKILL -> Dropped that no library can go below.
            p.wait()
            gone.append((time.time() - t) * 1e3)
            f = self.wait(lambda: sl.find('dropped', 'k-%d' % i), 30.0,
                          'Dropped k-%d after SIGKILL' % i, [(sub, sl)])
            lat.append((float(f[0][3]) - t) * 1e3)
            time.sleep(0.3)
        d = {'dropped_ms': [round(x, 3) for x in lat], 'reaped_ms': [round(x, 3) for x in gone]}
        d.update({'dropped_%s_ms' % k: v for k, v in summary(lat).items() if k != 'n'})
        d['reaped_median_ms'] = round(statistics.median(gone), 3)
        d['publisher_rss_kb'] = rss_before
        return d

    # -- (d) late host-cake ------------------------------------------------------

    def test_late(self):
        a = self.a
        self.check_directory_port()
        sub, sl = self.actor('late-sub', 120.0, mode='sub', search='l-[0-9]+', scope='HOST')
        pub, pl = self.actor('late-pub', 120.0, mode='pub', name='l-0', scope='HOST')
        watched = [(sub, sl), (pub, pl)]
        self.wait(lambda: sl.find('subscribed') and pl.find('published'), 60.0,
                  'publisher and subscriber up', watched)
        time.sleep(a.late_wait)
        if sl.find('available'):
            raise Failed('Available before host-cake started (another directory at %d?)' %
                         self.directory_port())
        t0 = time.time()
        hc, listen_s = self.host_cake()
        f = self.wait(lambda: sl.find('available', 'l-0'), 60.0,
                      'Available after host-cake started', watched)
        return {'late_s': round(float(f[0][3]) - t0, 4),
                'late_after_listen_s': round(float(f[0][3]) - t0 - listen_s, 4),
                'host_cake_listen_s': round(listen_s, 3), 'late_wait_s': a.late_wait}

    # -- composite processes ---------------------------------------------------------

    def composite(self, name):
        """A fresh work folder and HOME for layer-cake; (work folder, env)."""
        work = os.path.join(self.folder, name)
        home = os.path.join(self.folder, name + '-home')
        os.mkdir(work)
        os.mkdir(home)
        env = dict(self.env)
        env['HOME'] = home
        return work, env

    def cli(self, work, env, name, *args, deadline=60.0):
        t0 = time.monotonic()
        p = self.spawn('cli-' + name, [os.path.join(self.bin, 'layer-cake')] + list(args),
                       cwd=work, env=env)
        try:
            p.wait(deadline)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise Failed('layer-cake %s did not return within %g s' % (args[0], deadline))
        if p.returncode != 0:
            raise Failed('layer-cake %s: exit status %s (see %s-rep%s-cli-%s.log)' % (
                ' '.join(args[:3]), p.returncode, self.a.label, self.a.rep, name))
        return time.monotonic() - t0

    def end_run(self, run):
        """SIGINT to layer-cake run; its processes are killed by PID if still there."""
        group = descendants(run.pid)
        self.extra_pids.update(group)
        self.stop([run], grace=15.0)
        end = time.monotonic() + 10.0
        while any(alive(p) for p in group) and time.monotonic() < end:
            time.sleep(0.05)
        left = procfs.kill(group)
        if left:
            self.notes.append('composite: %d process(es) still running 10 s after the run '
                              'ended, killed' % len(left))

    # -- (a) GROUP and (c) fallback --------------------------------------------------

    def test_group(self):
        a = self.a
        self.check_directory_port(need_default=True)
        work, env = self.composite('group')
        for f in ('pubsub_actor.py', 'pubsub_api.py'):
            shutil.copy(os.path.join(HERE, f), work)
        files = {n: os.path.join(self.folder, 'group-%s.txt' % n)
                 for n in ('gsub', 'gpub', 'fsub', 'near')}
        go = os.path.join(self.folder, 'go-group')
        limit = '--limit=%.1f' % (300.0 + a.cycles)
        hc, _ = self.host_cake()
        self.cli(work, env, 'create', 'create')
        self.cli(work, env, 'add-gsub', 'add', 'pubsub_actor.py', 'gsub', '--mode=sub',
                 '--search=g-[0-9]+', '--scope=GROUP', '--reply=1', '--out=' + files['gsub'],
                 limit)
        self.cli(work, env, 'add-gpub', 'add', 'pubsub_actor.py', 'gpub', '--mode=cycle',
                 '--name=g-', '--scope=GROUP', '--cycles=%d' % a.cycles,
                 '--warmup=%d' % a.warmup, '--pause=%.3f' % a.pause, '--go-file=' + go,
                 '--out=' + files['gpub'], limit)
        self.cli(work, env, 'add-fsub', 'add', 'pubsub_actor.py', 'fsub', '--mode=sub',
                 '--search=f-[0-9]+', '--scope=HOST', '--out=' + files['fsub'], limit)
        self.cli(work, env, 'add-near', 'add', 'pubsub_actor.py', 'near', '--mode=pub',
                 '--name=f-{pid}', '--scope=GROUP', '--role-count=%d' % a.fallbacks,
                 '--out=' + files['near'], limit)
        gsub, gpub, fsub, near = (Lines(files[n]) for n in ('gsub', 'gpub', 'fsub', 'near'))
        t0 = time.monotonic()
        # --main-role: a role that ends (the killed GROUP publishers) does not end the
        # original's group when a main role is named; ours goes on either way.
        run = self.spawn('run-group', [os.path.join(self.bin, 'layer-cake'), 'run',
                                       '--main-role=fsub'], cwd=work, env=env)
        watched = [(run, Lines('/dev/null')), (hc, Lines('/dev/null'))]
        result = {}
        try:
            self.wait(lambda: (gsub.find('subscribed') and fsub.find('subscribed') and
                               gpub.find('pid') and
                               len(near.find('published')) >= a.fallbacks),
                      120.0, 'composite roles up', watched)
            result['roles_up_s'] = round(time.monotonic() - t0, 3)
            pids = [int(f[4]) for f in near.find('published')]
            names = ['f-%d' % p for p in pids]
            self.extra_pids.update(int(f[1]) for L in (gsub, gpub, fsub, near)
                                   for f in L.find('pid'))
            far, fl = self.actor('far', 300.0, mode='pub', name=','.join(names), scope='HOST')
            watched.append((far, fl))
            self.wait(lambda: fl.find('published'), 60.0, 'HOST publisher up', watched)
            self.wait(lambda: all(fsub.find('available', n, 'GROUP') for n in names), 60.0,
                      'Available at GROUP for every near publisher', watched)
            time.sleep(1.0)         # the HOST routes reach the subscriber as well
            # (a) GROUP: the publish/clear cycles between two roles.
            with open(go, 'w'):
                pass
            done = self.wait(lambda: gpub.find('done'), 60.0 + 2 * a.cycles, 'group cycles',
                             watched)
            result.update(self.latency_result(json.loads(' '.join(done[0][1:]))))
            # (c) fallback: SIGKILL each GROUP publisher in turn.
            fall, drop = [], []
            for pid, n in zip(pids, names):
                before = len(fsub.read())
                t = time.time()
                os.kill(pid, signal.SIGKILL)

                def after(word, *values):
                    return [f for f in fsub.read()[before:] if f[0] == word and
                            tuple(f[1:1 + len(values)]) == values]
                f = self.wait(lambda: after('available', n, 'HOST'), 30.0,
                              'Available at HOST after SIGKILL of %s' % n, watched)
                fall.append((float(f[0][3]) - t) * 1e3)
                dr = after('dropped', n)
                if dr:
                    drop.append((float(dr[0][3]) - t) * 1e3)
                time.sleep(0.3)
            result['fallback_ms'] = [round(x, 3) for x in fall]
            result.update({'fallback_%s_ms' % k: v for k, v in summary(fall).items()
                           if k != 'n'})
            if drop:
                result['fallback_dropped_median_ms'] = round(statistics.median(drop), 3)
            bad = [' '.join(f) for f in fsub.read() if f[0] == 'available' and
                   f[1] in names and f[2] not in ('GROUP', 'HOST')]
            if bad:
                self.notes.append('fallback: unexpected scopes %s' % bad[:3])
        finally:
            self.end_run(run)
        return result

    # -- (e) HTTP: the multihosting tutorial -------------------------------------------

    def http_ready(self, url, count):
        """True when count concurrent GETs all answer 200 with a 2x2 table."""
        ok = [0]

        def one():
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    body = r.read().decode()
                if r.status == 200 and '[[' in body:
                    ok[0] += 1
            except Exception:
                pass
        threads = [threading.Thread(target=one) for _ in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return ok[0] == count

    def sessions_to_workers(self, server, candidates):
        """The candidates the server holds an established TCP connection to (to a port
        that candidate listens on)."""
        table = tcp_table()
        listening = {}
        for w in candidates:
            for inode in socket_inodes(w):
                e = table.get(inode)
                if e and e[2] == '0A':
                    listening[e[0]] = w
        seen = set()
        for inode in socket_inodes(server):
            e = table.get(inode)
            if e and e[2] == '01' and e[1] in listening:
                seen.add(listening[e[1]])
        return seen

    def roles_of_http(self, run, port):
        """(server pid, its possible workers) among the processes under layer-cake run.
        The server is the one listening on the HTTP port; the workers are the others
        except the server's ancestors (group-cake and its launcher, which runs the roles
        forked warm on our side, so a role's command line need not name its program)."""
        procs = descendants(run.pid)
        self.extra_pids.update(procs)
        table = tcp_table()
        server = None
        for p in procs:
            for inode in socket_inodes(p):
                e = table.get(inode)
                if e and e[2] == '0A' and e[0] == port:
                    server = p
                    break
            if server:
                break
        if server is None:
            return None, []
        above, p = set(), server
        while p and p not in (1, run.pid):
            s = stat_fields(p)
            p = int(s[1]) if s else None
            if p:
                above.add(p)
        return server, [p for p in procs if p != server and p not in above]

    def test_http(self):
        a = self.a
        if DIRECTORY_PORT in listening_ports():
            self.notes.append('http: something listens on %d; the group may push its HOST '
                              'listings there' % DIRECTORY_PORT)
        work, env = self.composite('http')
        src = os.path.join(ROOT, 'examples', 'multihosting')
        for f in ('test_api.py', 'test_function_10.py', 'test_server_10.py',
                  'test_worker_10.py'):
            shutil.copy(os.path.join(src, f), work)
        port = free_port()
        self.cli(work, env, 'create', 'create')
        self.cli(work, env, 'add-server', 'add', 'test_server_10.py', 'server',
                 '--server-address=%s' % json.dumps({'host': '127.0.0.1', 'port': port}))
        self.cli(work, env, 'add-worker', 'add', 'test_worker_10.py', 'worker',
                 '--role-count=%d' % a.workers)
        url = 'http://127.0.0.1:%d/Xy?x=2&y=2' % port
        results = []
        for conns in a.connections:
            d = {'conns': conns}
            t0 = time.monotonic()
            run = self.spawn('run-http-c%d' % conns,
                             [os.path.join(self.bin, 'layer-cake'), 'run'], cwd=work, env=env)
            try:
                server, others = None, []
                n = 0
                end = t0 + 120.0
                while True:
                    if run.poll() is not None:
                        raise Failed('layer-cake run ended (status %s)' % run.returncode)
                    if time.monotonic() > end:
                        raise Failed('not ready within 120 s (%d of %d workers joined)' % (
                            n, a.workers))
                    server, others = self.roles_of_http(run, port)
                    joined = self.sessions_to_workers(server, others) if server else set()
                    n = len(joined)
                    if n >= a.workers and self.http_ready(url, 2 * a.workers):
                        break
                    time.sleep(0.05)
                d['ready_s'] = round(time.monotonic() - t0, 3)
                d['worker_processes'] = n
                raw = os.path.join(self.logs, '%s-rep%s-http-c%d.wrk.txt' % (
                    self.a.label, self.a.rep, conns))
                threads = 1 if conns == 1 else 2
                with open(raw, 'w') as f:
                    w = subprocess.run(['timeout', '-k', '5', str(a.duration + 30), 'wrk',
                                        '-t%d' % threads, '-c%d' % conns,
                                        '-d%ds' % a.duration, '--latency', '--timeout', '5s',
                                        url], stdout=f, stderr=subprocess.STDOUT)
                with open(raw) as f:
                    text = f.read()
                if w.returncode != 0:
                    raise Failed('wrk exit status %s' % w.returncode)
                d.update(net_compare.parse_wrk(text))
                d['sessions_after'] = len(self.sessions_to_workers(server, others))
            except Failed as e:
                d['error'] = str(e)
            finally:
                self.end_run(run)
            results.append(d)
        return results

    # -- (f) directory scale -------------------------------------------------------------

    def test_scale(self):
        a = self.a
        self.check_directory_port()
        hc, _ = self.host_cake()
        names, subs = a.scale_names, a.scale_subs
        per_sub = names // subs                         # names matched by one search
        go_pub = os.path.join(self.folder, 'go-scale-pub')
        go_sub = os.path.join(self.folder, 'go-scale-sub')
        limit = float(a.scale_deadline) * 3 + 120.0
        pubs, sbs = [], []
        for i, (first, count) in enumerate(split(names, a.scale_pub_procs)):
            pubs.append(self.actor('scale-pub%d' % i, limit, mode='pub', name='s-',
                                   first=first, count=count, scope='HOST', go_file=go_pub))
        for i, (first, count) in enumerate(split(subs, a.scale_sub_procs)):
            sbs.append(self.actor('scale-sub%d' % i, limit, mode='scale-sub', name='s-',
                                  first=first, count=count, expect=count * per_sub,
                                  scope='HOST', go_file=go_sub))
        watched = pubs + sbs + [(hc, Lines('/dev/null'))]
        d = {'names': names, 'subscriptions': subs, 'pub_processes': len(pubs),
             'sub_processes': len(sbs), 'expected_available': subs * per_sub}
        self.wait(lambda: all(L.find('pid') for _, L in pubs + sbs), 120.0,
                  'scale clients up', watched)
        time.sleep(1.0)
        d['host_cake_rss_before_kb'] = memory_kb(hc.pid)[0]
        sampler = CpuSampler(hc.pid)
        try:
            self.scale_phases(d, hc, pubs, sbs, watched, sampler, go_pub, go_sub)
        finally:
            sampler.stop()
        # Everything ends with SIGINT; how long that takes is an observation of its own.
        t = self.stop([p for p, _ in pubs + sbs] + [hc], grace=60.0, what='scale')
        if t is not None:
            d['stop_s'] = round(t, 2)
        finals = [L.find('final')[0] for _, L in sbs if L.find('final')]
        if len(finals) == len(sbs):
            d['dropped'] = sum(int(f[2]) for f in finals)
        return d

    def scale_phases(self, d, hc, pubs, sbs, watched, sampler, go_pub, go_sub):
        a = self.a

        def total(lines, word, field):
            return sum(int(L.find(word)[0][field]) for L in lines if L.find(word))

        def clients_cpu():
            d['pub_clients_cpu_s'] = round(sum(cpu_seconds(p.pid) or 0 for p, _ in pubs), 2)
            d['sub_clients_cpu_s'] = round(sum(cpu_seconds(p.pid) or 0 for p, _ in sbs), 2)
            # What the standing sessions cost with nothing else going on: the CPU used
            # by every process of the test over the next IDLE seconds, in cores.
            every = [p.pid for p, _ in pubs + sbs] + [hc.pid]
            c0 = sum(cpu_seconds(p) or 0 for p in every)
            time.sleep(IDLE)
            d['idle_cores'] = round((sum(cpu_seconds(p) or 0 for p in every) - c0) / IDLE, 3)

        # Publications.
        t0 = time.time()
        with open(go_pub, 'w'):
            pass
        try:
            self.wait(lambda: all(L.find('published') for _, L in pubs), a.scale_deadline,
                      'all Published', watched)
        except Failed as e:
            d['published'] = total([L for _, L in pubs], 'published', 1)
            raise Failed('%s; %s' % (e, self.scale_state(d, hc)))
        d['published'] = total([L for _, L in pubs], 'published', 1)
        d['not_published'] = total([L for _, L in pubs], 'published', 2)
        d['publish_s'] = round(max(float(L.find('published')[0][3]) for _, L in pubs) - t0, 3)
        self.settle(hc, a.scale_deadline)
        t1 = time.time()
        d['host_cake_busy_after_publish_s'], d['host_cake_cpu_publish_s'] = sampler.busy(t0, t1)
        d['host_cake_rss_published_kb'] = memory_kb(hc.pid)[0]
        # Subscriptions and their matches.
        with open(go_sub, 'w'):
            pass
        try:
            self.wait(lambda: all(L.find('subscribed') for _, L in sbs), a.scale_deadline,
                      'all Subscribed', watched)
            d['subscribe_s'] = round(max(float(L.find('subscribed')[0][3])
                                         for _, L in sbs) - t1, 3)
            d['subscribed'] = total([L for _, L in sbs], 'subscribed', 1)
            self.wait(lambda: all(L.find('matched') for _, L in sbs), a.scale_deadline,
                      'all Available', watched)
        except Failed as e:
            d.update(self.scale_progress(sbs, t1))
            self.settle(hc, 30.0)
            d['host_cake_busy_after_subscribe_s'], d['host_cake_cpu_subscribe_s'] = \
                sampler.busy(t1, time.time())
            d['host_cake_rss_kb'], d['host_cake_hwm_kb'] = memory_kb(hc.pid)
            d['host_cake_cpu_s'] = cpu_seconds(hc.pid)
            clients_cpu()
            # Stop the subscribers: each writes what it got (``final``).
            self.stop([p for p, _ in sbs], grace=60.0, what='scale subscribers')
            finals = [L.find('final')[0] for _, L in sbs if L.find('final')]
            if len(finals) == len(sbs):
                d['available'] = sum(int(f[1]) for f in finals)
                d['dropped'] = sum(int(f[2]) for f in finals)
                d['missing_examples'] = [f[4] for f in finals if f[4] != '-'][:3]
            d['error'] = str(e)
            return
        d['match_s'] = round(max(float(L.find('matched')[0][2]) for _, L in sbs) - t1, 3)
        d['available'] = total([L for _, L in sbs], 'matched', 1)
        d['total_s'] = round(max(float(L.find('matched')[0][2]) for _, L in sbs) - t0, 3)
        self.settle(hc, 60.0)
        d['host_cake_busy_after_subscribe_s'], d['host_cake_cpu_subscribe_s'] = \
            sampler.busy(t1, time.time())
        d['host_cake_rss_kb'], d['host_cake_hwm_kb'] = memory_kb(hc.pid)
        d['host_cake_cpu_s'] = cpu_seconds(hc.pid)
        clients_cpu()

    def scale_progress(self, sbs, t1):
        k, last = 0, None
        for _, L in sbs:
            m = L.find('matched')
            if m:
                k += int(m[0][1])
                last = max(last or 0, float(m[0][2]))
                continue
            pr = L.find('progress')
            if pr:
                k += int(pr[-1][1])
                last = max(last or 0, float(pr[-1][2]))
        return {'available_at_least': k,
                'last_progress_s': round(last - t1, 3) if last else None}

    def scale_state(self, d, hc):
        rss, hwm = memory_kb(hc.pid)
        return 'published %s, host-cake RSS %s kB' % (d.get('published'), rss)

    def settle(self, proc, deadline):
        """Wait until proc has not been busy (BUSY of a core, sampled every 0.1 s) for
        0.5 s, at most deadline s."""
        last = cpu_seconds(proc.pid)
        quiet_since = t = time.monotonic()
        end = quiet_since + deadline
        while time.monotonic() < end:
            time.sleep(0.1)
            c, now = cpu_seconds(proc.pid), time.monotonic()
            if c is None:
                return
            if c - last >= BUSY * (now - t):
                quiet_since = now
            elif now - quiet_since >= 0.5:
                return
            last, t = c, now

    # -- all -------------------------------------------------------------------------------

    def run(self, test):
        d = {'test': test, 'label': self.a.label, 'rep': self.a.rep,
             'loadavg': ' '.join(open('/proc/loadavg').read().split()[:3]),
             'commit': commit()}
        self.notes = []
        rows = None
        try:
            r = getattr(self, 'test_' + test)()
            if isinstance(r, list):
                rows = []
                for x in r:
                    e = dict(d)
                    e.update(x)
                    rows.append(e)
            else:
                d.update(r)
        except Skipped as e:
            d['skipped'] = str(e)
        except Failed as e:
            d['error'] = str(e)
        except Interrupted as e:
            d['error'] = str(e)
            raise
        finally:
            self.cleanup()
            if self.notes:
                for x in rows or [d]:
                    x['notes'] = list(self.notes)
        return rows or [d]


def commit():
    """The repository's HEAD (short), with +modified when layer_cake/ has local changes:
    other engineers commit while a run goes on."""
    try:
        head = subprocess.run(['git', '-C', ROOT, 'rev-parse', '--short', 'HEAD'],
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(['git', '-C', ROOT, 'status', '--porcelain', '--', 'layer_cake'],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ('+modified' if dirty else '')


def split(total, parts):
    """(first, count) of parts nearly equal ranges covering range(total)."""
    parts = max(1, min(parts, total))
    out, first = [], 0
    for i in range(parts):
        n = total // parts + (1 if i < total % parts else 0)
        out.append((first, n))
        first += n
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--label', required=True, help='orig or ours')
    p.add_argument('--bin', required=True, help="the side's venv bin/ folder")
    p.add_argument('--rep', type=int, default=1)
    p.add_argument('--tests', default=' '.join(ALL_TESTS))
    p.add_argument('--quick', action='store_true', help='small counts, wrk 3 s')
    p.add_argument('--cycles', type=int, default=20, help='(a) timed publish/clear cycles')
    p.add_argument('--warmup', type=int, default=2, help='(a) untimed cycles first')
    p.add_argument('--pause', type=float, default=0.05, help='(a) seconds between cycles')
    p.add_argument('--kills', type=int, default=8, help='(b) publisher processes killed')
    p.add_argument('--fallbacks', type=int, default=4, help='(c) GROUP publishers killed')
    p.add_argument('--late-wait', type=float, default=3.0,
                   help='(d) seconds between the clients being up and host-cake starting')
    p.add_argument('--workers', type=int, default=8, help='(e) worker roles')
    p.add_argument('--connections', default='10 100', help='(e) wrk connection counts')
    p.add_argument('--duration', type=int, default=10, help='(e) seconds per wrk run')
    p.add_argument('--scale-names', type=int, default=10000)
    p.add_argument('--scale-subs', type=int, default=1000)
    p.add_argument('--scale-pub-procs', type=int, default=25)
    p.add_argument('--scale-sub-procs', type=int, default=12)
    p.add_argument('--scale-deadline', type=float, default=120.0,
                   help='(f) longest wait for each phase, seconds')
    p.add_argument('--log-dir')
    p.add_argument('--keep', action='store_true', help='keep the temporary folder')
    a = p.parse_args(argv)
    if a.quick:
        a.cycles, a.warmup, a.kills, a.fallbacks, a.duration = 5, 1, 2, 2, 3
        a.scale_names, a.scale_subs = 2000, 200
        a.scale_pub_procs, a.scale_sub_procs = 5, 3
    a.bin = os.path.abspath(a.bin)
    a.connections = [int(c) for c in a.connections.split()]
    tests = a.tests.split()
    for t in tests:
        if t not in ALL_TESTS:
            p.error('unknown test %s (one of %s)' % (t, ' '.join(ALL_TESTS)))
    signal.signal(signal.SIGTERM, on_term)
    side = Side(a)
    try:
        for t in tests:
            for row in side.run(t):
                print(json.dumps(row), flush=True)
    except Interrupted:
        pass
    finally:
        side.cleanup()
        if not a.keep:
            shutil.rmtree(side.folder, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
