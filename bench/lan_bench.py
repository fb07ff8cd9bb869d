"""LAN scope on the network-namespace test bed, one library side per process.

    python3 bench/lan_bench.py --label ours|orig [--orig-venv DIR] [--rep N]
        [--cycles 20] [--warmup 2] [--duration 10] [--connections "10 100"] [--dropped]
    python3 bench/lan_bench.py --table bench/results/lan-<timestamp>.jsonl [--markdown]

Run by bench/lan_run (root only). One fresh test bed of
layer_cake/test/test_lan_netns.py per call (namespaces ``lct-<pid>-<hex>-*``:
a bridge at 10.0.0.1, lan-cake's namespace at 10.0.0.195, hosts A, B and C at
10.0.0.11-13), with lan-cake and a host-cake in A, B and C of the side being
measured, then:

* **latency**: bench/pubsub_actor.py ``--mode=sub --reply=1`` in A and
  ``--mode=cycle`` in B, both ``--scope=LAN``: ``--warmup`` untimed and
  ``--cycles`` timed rounds of publish a fresh name, wait for A's Stamp,
  clear (the (a) test of bench/pubsub_bench.py, across hosts);
* **http**: the multihosting tutorial's server in A and 4 workers each in B
  and C, at LAN scope (bench/lan_tutorial.py), then ``wrk -t2`` for
  ``--duration`` s at each connection count, run inside A's namespace against
  the server's 127.0.0.1 port;
* **dropped** (with ``--dropped``, last): pubsub_actor.py ``sub`` in A and
  ``pub`` in B at LAN scope; B's port on the bridge goes down a random 1.5 to
  5.5 s after Available, and the figure is from just before that command to
  the subscriber's own time stamp of Dropped.

One JSON line per figure on stdout (``{"test": "latency"|"http", "label": ...}``,
or the same keys with ``"error"``). Nothing is configured in the machine's own
namespace and no process there connects to the bed's addresses; every
namespace and every process in them is removed by PID at the end (the bed's
cleanup, registered before anything is made), also on failure.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from layer_cake.test import test_directory_e2e as E  # noqa: E402
from layer_cake.test import test_lan_netns as N  # noqa: E402
from liveness_netns import Shim, make_bed  # noqa: E402
from net_compare import parse_wrk  # noqa: E402
import tables  # noqa: E402

PORT = 5050          # the server's port inside A's own (fresh) namespace
WORKERS = 4          # per host, in B and in C
URL = 'http://127.0.0.1:%d/Xy?x=2&y=2' % PORT


class Side(object):
    """The command lines of one library side."""

    def __init__(self, label, orig_venv):
        self.label = label
        self.orig_bin = os.path.join(orig_venv, 'bin')

    def python(self, *arguments):
        if self.label == 'ours':
            return N.python(*arguments)     # PYTHONPATH=<repo> from the bed's environment
        return ['env', '-u', 'PYTHONPATH', os.path.join(self.orig_bin, 'python')] + list(
            arguments)

    def cake(self, name):
        if self.label == 'ours':
            return N.python(os.path.join(ROOT, 'bin', name))
        return ['env', '-u', 'PYTHONPATH', os.path.join(self.orig_bin, name)]


def in_ns(bed, host, *command):
    return N.run(['ip', 'netns', 'exec', bed.hosts[host]] + list(command), check=False)


def wait_until(check, seconds, what, programs=()):
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        for p in programs:
            if p.process.poll() is not None:
                raise AssertionError('%s ended (%s) waiting for %s; last lines:\n%s' % (
                    p.name, p.process.returncode, what, '\n'.join(p.lines[-15:])))
        if time.monotonic() > deadline:
            raise AssertionError('no %s within %s s; last lines:\n%s' % (
                what, seconds, '\n'.join(
                    '%s: %s' % (p.name, '\n  '.join(p.lines[-10:])) for p in programs)))
        time.sleep(0.1)


def listening(bed, host, port):
    status, output = in_ns(bed, host, 'ss', '-ltnH', 'sport = :%d' % port)
    return status == 0 and output.strip() != ''


def lines_of(path, word):
    try:
        with open(path) as f:
            return [line.split() for line in f if line.split()[:1] == [word]]
    except OSError:
        return []


def p90(values):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(0.9 * (len(v) - 1))))]


def latency(a, side, bed, start, work, deadline):
    out_s, out_p = os.path.join(work, 'sub.out'), os.path.join(work, 'pub.out')
    actor = os.path.join(HERE, 'pubsub_actor.py')
    limit = '--limit=%.1f' % (120.0 + 2 * a.cycles)
    sub = start('A', 'sub', *side.python(actor, '--mode=sub', '--search=lan-[0-9]+',
                                         '--scope=LAN', '--reply=1', '--out=' + out_s, limit))
    wait_until(lambda: lines_of(out_s, 'subscribed') or lines_of(out_s, 'error'), deadline,
               'subscriber up', [sub])
    if lines_of(out_s, 'error'):
        raise AssertionError('subscriber: %s' % (lines_of(out_s, 'error'),))
    pub = start('B', 'pub', *side.python(actor, '--mode=cycle', '--name=lan-', '--scope=LAN',
                                         '--cycles=%d' % a.cycles, '--warmup=%d' % a.warmup,
                                         '--pause=%.3f' % a.pause, '--out=' + out_p, limit))
    done = wait_until(lambda: lines_of(out_p, 'done') or lines_of(out_p, 'error'),
                      deadline + 10.0 * (a.cycles + a.warmup), 'publish/clear cycles',
                      [sub, pub])
    if done[0][0] == 'error':
        raise AssertionError('publisher: %s' % (' '.join(done[0]),))
    with open(out_p) as f:
        d = json.loads([line for line in f if line.startswith('done ')][0][5:])
    v = d['latency_ms']
    cycles = lines_of(out_p, 'cycle')
    sub.kill_all()
    pub.kill_all()
    return {'median_ms': round(statistics.median(v), 3), 'p90_ms': round(p90(v), 3),
            'min_ms': round(min(v), 3), 'max_ms': round(max(v), 3), 'n': len(v),
            'published_median_ms': round(statistics.median(d['published_ms']), 3),
            'first_untimed_ms': float(cycles[0][2]) if cycles else None}


def peers(bed):
    """Established TCP connections in A with a peer in B or C that is not a host-cake."""
    status, output = in_ns(bed, 'A', 'ss', '-tnH', 'state', 'established')
    found = set()
    for line in output.splitlines():
        f = line.split()
        if len(f) >= 4 and f[-1].rsplit(':', 1)[0] in (N.HOSTS['B'], N.HOSTS['C']):
            found.add(f[-1])
    return found


def http(a, side, bed, start, deadline, emit, base):
    tutorial = os.path.join(HERE, 'lan_tutorial.py')
    server = start('A', 'server', *side.python(
        tutorial, 'server', '--server-address={"host": "127.0.0.1", "port": %d}' % PORT))
    workers = [start(h, 'worker-%s%d' % (h, i), *side.python(tutorial, 'worker'))
               for h in ('B', 'C') for i in range(WORKERS)]
    t0 = time.monotonic()
    last = ['']

    def answers():
        status, output = in_ns(bed, 'A', 'curl', '-s', '-m', '5', URL)
        last[0] = output.strip()[-200:]
        return status == 0 and '[[' in output
    try:
        wait_until(answers, deadline, 'an answer from the server (a worker joined)',
                   [server] + workers)
    except AssertionError as e:
        raise AssertionError('%s\nlast answer: %s' % (e, last[0]))
    first = time.monotonic() - t0
    # Wait (bounded) for the server's sessions with all 8 worker processes.
    end = time.monotonic() + 20.0
    while len(peers(bed)) < 2 * WORKERS and time.monotonic() < end:
        time.sleep(0.5)
    seen = len(peers(bed))
    for conns in a.connections:
        status, output = in_ns(bed, 'A', 'wrk', '-t2', '-c%d' % conns, '-d%ds' % a.duration,
                               '--timeout', '5s', '--latency', URL)
        d = dict(base, test='http', conns=conns, first_answer_s=round(first, 2),
                 worker_peers=seen)
        try:
            d.update(parse_wrk(output))
        except ValueError as e:
            d['error'] = '%s: %s' % (e, output.strip()[-300:])
        emit(d)
    return [server] + workers


def dropped(a, side, bed, start, work):
    """Link down -> Dropped: a LAN-scope subscriber in A, its publisher in B; B's port on
    the bridge goes down a random 1.5 to 5.5 s after Available (the session heartbeat
    phase); seconds from just before that command to the subscriber's Dropped stamp."""
    out_s, out_p = os.path.join(work, 'dsub.out'), os.path.join(work, 'dpub.out')
    actor = os.path.join(HERE, 'pubsub_actor.py')
    limit = '--limit=%.1f' % (a.drop_deadline + 120.0)
    sub = start('A', 'dsub', *side.python(actor, '--mode=sub', '--search=drop-me',
                                          '--scope=LAN', '--out=' + out_s, limit))
    pub = start('B', 'dpub', *side.python(actor, '--mode=pub', '--name=drop-me',
                                          '--scope=LAN', '--out=' + out_p, limit))
    wait_until(lambda: lines_of(out_s, 'available'), a.deadline, 'Available', [sub, pub])
    time.sleep(1.5 + random.uniform(0.0, 4.0))
    down = time.time()
    bed.link_down('B')
    found = wait_until(lambda: lines_of(out_s, 'dropped'), a.drop_deadline, 'Dropped', [sub])
    return {'dropped_s': round(float(found[0][3]) - down, 3)}


def one(a, side):
    base = {'label': side.label, 'rep': a.rep}
    rows = []

    def emit(d):
        rows.append(d)
        print(json.dumps(d), flush=True)
    shim = Shim()
    try:
        bed = make_bed(shim, ('A', 'B', 'C'))
        work = shim.mktemp()
        os.makedirs(work)

        def start(host, name, *argv):
            return E.Program(shim, bed.argv(host, *argv), name)
        cakes = [start('L', 'lan-cake', *side.cake('lan-cake'))]
        wait_until(lambda: listening(bed, 'L', 54195), a.deadline, 'lan-cake listening', cakes)
        for h in ('A', 'B', 'C'):
            cakes.append(start(h, 'host-cake-' + h, *side.cake('host-cake')))
            wait_until(lambda: listening(bed, h, 54195), a.deadline,
                       'host-cake listening in ' + h, cakes)
        try:
            emit(dict(base, test='latency', **latency(a, side, bed, start, work, a.deadline)))
        except Exception as e:
            emit(dict(base, test='latency', error=str(e)[-1500:]))
        try:
            for p in http(a, side, bed, start, a.deadline, emit, base):
                p.kill_all()
        except Exception as e:
            for conns in a.connections:
                emit(dict(base, test='http', conns=conns, error=str(e)[-1500:]))
        if a.dropped:
            try:
                emit(dict(base, test='dropped', **dropped(a, side, bed, start, work)))
            except Exception as e:
                emit(dict(base, test='dropped', error=str(e)[-1500:]))
    except Exception as e:
        emit(dict(base, test='bed', error=str(e)[-1500:]))
    finally:
        shim.clean()
    return rows


def ms(x):
    return '%.1f ms' % x


def secs(x):
    return '%.2f s' % x


def table(paths, markdown):
    """Each figure's median [min-max] over the repetitions, per side, and ours/orig."""
    rows, meta = tables.load(paths, key='test')
    lines = []
    figures = [('latency', None, 'median_ms', 'publish->Available, median of a rep', False),
               ('latency', None, 'p90_ms', 'publish->Available, p90 of a rep', False),
               ('dropped', None, 'dropped_s', 'link down->Dropped', False)]
    conns = sorted({d['conns'] for d in rows if d.get('test') == 'http' and 'conns' in d})
    figures += [('http', c, 'rps', 'HTTP req/s, c=%d' % c, True) for c in conns]
    notes = []
    for test, c, key, name, higher in figures:
        v, fails = tables.series(rows, 'test', test, key, conns=c)
        if not any(v.values()) and not any(fails.values()):
            continue
        show = tables.rate if higher else secs if key == 'dropped_s' else ms
        r = tables.ratio(v['orig'], v['ours'], higher)[0] if v['orig'] and v['ours'] else '-'
        lines.append([name, tables.cell(v['orig'], show), tables.cell(v['ours'], show), r])
        for side in tables.SIDES:
            for f in sorted(set(fails[side])):
                notes.append('%s, %s failed: %s' % (name, side, f))
    for d in rows:
        if d.get('test') == 'http' and 'error' not in d:
            e = sum(d.get('errors', {}).values()) + d.get('non2xx', 0)
            if e or d.get('worker_peers', 8) < 2 * WORKERS:
                notes.append('%s rep %s c=%s: %d wrk errors, %s worker peers' % (
                    d['label'], d['rep'], d['conns'], e, d.get('worker_peers')))
    for m in meta:
        notes.insert(0, tables.run_line(m))
    tables.show(tables.layout(['figure', 'orig', 'ours', 'ours/orig'], lines, markdown), notes)


def main():
    if '--table' in sys.argv:
        p = tables.parser(__doc__)
        p.add_argument('--table', action='store_true')
        a = p.parse_args()
        return table(a.files, a.markdown)
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--label', choices=('ours', 'orig'), required=True)
    p.add_argument('--orig-venv', default=os.path.join(HERE, '.venv-orig'))
    p.add_argument('--rep', type=int, default=1)
    p.add_argument('--cycles', type=int, default=20)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--pause', type=float, default=0.05)
    p.add_argument('--duration', type=int, default=10)
    p.add_argument('--connections', default='10 100')
    p.add_argument('--deadline', type=float, default=60.0)
    p.add_argument('--dropped', action='store_true',
                   help='then link down -> Dropped (B unplugged), last')
    p.add_argument('--drop-deadline', type=float, default=240.0)
    a = p.parse_args()
    a.connections = [int(c) for c in a.connections.split()]
    if os.geteuid() != 0:
        sys.exit('needs root (network namespaces)')
    one(a, Side(a.label, a.orig_venv))


if __name__ == '__main__':
    main()
