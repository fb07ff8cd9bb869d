"""Where publish -> Available spends its time between processes (ours only).

    python3 bench/pubsub_hops.py [--rounds 200] [--pause 0.02] [--trace] [--python PY]

Runs host-cake on a free loopback port, a subscriber process and a publisher
process (``pubsub_actor.py`` in modes ``sub`` and ``cycle``, HOST scope, as
(a) HOST of ``pubsub_bench.py``) and prints the median publish -> Available
and publish -> Published, and the CPU time each process used per round,
read from ``/proc/<pid>/stat`` over the rounds after the warm-up: on cores
shared with other work, CPU per round says more than one wall-clock run.

With ``--trace``, every process runs under this file's ``wrap`` mode, which
appends a time-stamped line to a trace file at each step of the path
(an AMP read and send, a frame read and sent, a message handed to a thread,
the process directory's publish, offered and loop_opened), and the steps of
three rounds are printed in order, in ms from the publisher's clock reading.
The stamps cost a system call each, so traced rounds run slower.

Run with the interpreter whose ``layer_cake`` is to be measured (``--python``;
``PYTHONPATH`` reaches the processes too).  Everything started is stopped by
PID.  Nothing here changes what the library does.
"""

import argparse
import json
import os
import runpy
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


# -- wrap: a program run with stamps ----------------------------------------

def wrap(tag, out, argv):
    """Run ``argv`` (``-m module ...`` or ``script ...``) with stamps appended to ``out``."""
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def stamp(what):
        os.write(fd, ('%.6f %s %s\n' % (time.time(), tag, what)).encode())

    from layer_cake.directory import process_directory as PD
    from layer_cake.directory import tier_protocol as TP
    from layer_cake.net import framed_end as FE
    from layer_cake.runtime import engine, point

    def around(cls, name, label):
        original = getattr(cls, name)

        def stamped(self, *args):
            stamp(label(self, *args) if callable(label) else label)
            return original(self, *args)
        setattr(cls, name, stamped)

    around(TP.TierProtocol, 'dataReceived', lambda self, data: 'amp-in %r' % (data[:24],))
    around(FE.FramedEnd, 'frames_received', 'frame-in')
    around(FE.FramedEnd, 'outbound', lambda self, m, r, t: 'frame-out %s' % type(m).__name__)
    around(point.Buffering, '_post', lambda self, m, r, t: 'to-thread %s' % type(m).__name__)
    for name in ('publish', 'offered', 'loop_opened'):
        around(PD.ProcessDirectory, name, 'directory %s' % (name,))
    take = engine._take_inbound

    def take_inbound():
        stamp('from-thread')
        take()
    engine._take_inbound = take_inbound

    if argv[0] == '-m':
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name='__main__', alter_sys=True)
    else:
        sys.argv = argv
        sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
        runpy.run_path(argv[0], run_name='__main__')


# -- the driver ----------------------------------------------------------------

def cpu_seconds(pid):
    fields = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def lines(path):
    try:
        with open(path) as f:
            return [line.split() for line in f if line.strip()]
    except FileNotFoundError:
        return []


def wait_for(path, word, count=1, limit=120.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = [w for w in lines(path) if w[0] == word]
        if len(found) >= count:
            return found
        time.sleep(0.002)
    raise SystemExit('no %r in %s within %s s' % (word, path, limit))


def show(folder, rounds):
    """Print the stamps of ``rounds`` in order, in ms from the publisher's clock."""
    available = {w[1]: float(w[3]) for w in lines(folder + '/sub.txt') if w[0] == 'available'}
    latency = {int(w[1]): float(w[2]) for w in lines(folder + '/pub.txt') if w[0] == 'cycle'}
    stamps = sorted((float(w[0]), w[1], ' '.join(w[2:])) for w in lines(folder + '/trace.txt'))
    for i in rounds:
        if i not in latency or 'h-%d' % i not in available:
            continue
        t_available = available['h-%d' % i]
        t0 = t_available - latency[i] / 1e3
        print('round %d: %.3f ms' % (i, latency[i]))
        for t, tag, what in stamps:
            if t0 <= t <= t_available:
                print('  %7.3f  %s  %s' % ((t - t0) * 1e3, tag, what))
        print('  %7.3f  S  Available read by the subscriber\'s thread' % (latency[i],))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=200)
    parser.add_argument('--pause', type=float, default=0.02)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--trace', action='store_true')
    parser.add_argument('--python', default=sys.executable)
    parser.add_argument('--folder', default=None)
    a = parser.parse_args()
    sys.path.insert(0, HERE)
    from ports import listen_port

    folder = a.folder or tempfile.mkdtemp(prefix='pubsub-hops-')
    address = json.dumps({'host': '127.0.0.1', 'port': listen_port()})
    actor = os.path.join(HERE, 'pubsub_actor.py')
    procs = []

    def spawn(tag, argv):
        if a.trace:
            argv = [__file__, 'wrap', tag, folder + '/trace.txt'] + argv
        with open('%s/%s.log' % (folder, tag), 'w') as log:
            p = subprocess.Popen([a.python] + argv, stdout=log, stderr=log,
                                 stdin=subprocess.DEVNULL)
        procs.append(p)
        return p

    try:
        host_cake = spawn('H', ['-m', 'layer_cake.directory.host_cake',
                                '--directory-at-host=' + address])
        sub = spawn('S', [actor, '--out=%s/sub.txt' % folder, '--limit=600.0', '--mode=sub',
                          '--search=h-[0-9]+', '--scope=HOST', '--reply=1',
                          '--connect-to-directory=' + address])
        wait_for(folder + '/sub.txt', 'subscribed')
        pub = spawn('P', [actor, '--out=%s/pub.txt' % folder, '--limit=600.0', '--mode=cycle',
                          '--name=h-', '--scope=HOST', '--cycles=%d' % a.rounds,
                          '--warmup=%d' % a.warmup, '--pause=%.3f' % a.pause,
                          '--connect-to-directory=' + address])
        trio = (host_cake, sub, pub)
        first = len(wait_for(folder + '/pub.txt', 'cycle', a.warmup))
        before = [cpu_seconds(p.pid) for p in trio]
        wait_for(folder + '/pub.txt', 'done', 1, 60.0 + a.rounds * (a.pause + 0.1))
        after = [cpu_seconds(p.pid) for p in trio]
        cycles = [w for w in lines(folder + '/pub.txt') if w[0] == 'cycle']
        timed = cycles[a.warmup:]
        per_round = [(y - x) * 1e3 / (len(cycles) - first) for x, y in zip(before, after)]
        print('publish->Available median %.3f ms (p10 %.3f, p90 %.3f, %d rounds); '
              'publish->Published median %.3f ms' % (
                  statistics.median(float(w[2]) for w in timed),
                  statistics.quantiles([float(w[2]) for w in timed], n=10)[0],
                  statistics.quantiles([float(w[2]) for w in timed], n=10)[-1], len(timed),
                  statistics.median(float(w[3]) for w in timed)))
        print('CPU per round, ms: host-cake %.3f, subscriber %.3f, publisher %.3f, '
              'all %.3f' % (per_round[0], per_round[1], per_round[2], sum(per_round)))
        if a.trace:
            middle = a.warmup + a.rounds // 2
            show(folder, [middle, middle + 1, middle + 2])
        print('output in %s' % (folder,))
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 5.0
        for p in procs:
            try:
                p.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


if __name__ == '__main__':
    if len(sys.argv) > 3 and sys.argv[1] == 'wrap':
        wrap(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        main()
