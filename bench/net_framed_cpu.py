#!/usr/bin/env python3
"""Framed round trips with the CPU time each side spends per round trip.

    python3 bench/net_framed_cpu.py TREE[,TREE...] [--actor machine|thread]
                                    [--reps 3] [--count 10000] [--python PY]

For each repetition and each source tree (a checkout holding ``layer_cake``
and ``bench/``), it starts ``net_bench.py framed-server`` from that tree,
waits until the port listens, runs ``net_bench.py framed-client`` against
it and stops the server by its PID.  The trees take turns (reversed on odd
repetitions), so a before/after pair sees the same machine load.

Wall-clock rates on a shared 2-core machine move with whatever else runs;
CPU time per round trip moves much less.  The server's is read from
``/proc/<pid>/stat`` (user + system, all threads) around the client's run,
divided by the round trips including the warm-up; the client's is the
``cpu_us_per_round_trip`` that net_bench.py reports for its timed pass.
One JSON line per run.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time

TICK = os.sysconf('SC_CLK_TCK')


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cpu_seconds(pid):
    """(user, system) seconds of a process, all its threads."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def listening(port):
    with open('/proc/net/tcp') as f:
        return (':%04X 00000000:0000 0A' % port) in f.read()


def run(python, tree, actor, count, warmup):
    env = dict(os.environ, PYTHONPATH=tree)
    bench = os.path.join(tree, 'bench')
    port = free_port()
    server = subprocess.Popen([python, '-s', 'net_bench.py', 'framed-server', '--port', str(port),
                               '--actor', actor, '--timeout', '300'],
                              cwd=bench, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not listening(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        before = cpu_seconds(server.pid)
        out = subprocess.run([python, '-s', 'net_bench.py', 'framed-client', '--port', str(port),
                              '--actor', actor, '--count', str(count), '--warmup', str(warmup),
                              '--timeout', '120'],
                             cwd=bench, env=env, capture_output=True, text=True).stdout
        after = cpu_seconds(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    lines = out.strip().splitlines()
    line = json.loads(lines[-1]) if lines else {'error': 'no output'}
    n = count + warmup
    return {
        'tree': tree, 'actor': actor, 'count': count,
        'per_second': line.get('per_second'), 'p50_us': line.get('p50_us'),
        'error': line.get('error'),
        'server_cpu_us': round((sum(after) - sum(before)) / n * 1e6, 1),
        'server_user_system_us': [round((after[i] - before[i]) / n * 1e6, 1) for i in (0, 1)],
        'client_cpu_us': line.get('cpu_us_per_round_trip'),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('trees', help='comma-separated source trees')
    p.add_argument('--actor', choices=('machine', 'thread'), default='machine')
    p.add_argument('--reps', type=int, default=3)
    p.add_argument('--count', type=int, default=10000)
    p.add_argument('--warmup', type=int, default=500)
    p.add_argument('--python', default=sys.executable)
    a = p.parse_args()
    trees = [os.path.abspath(t) for t in a.trees.split(',')]
    for rep in range(a.reps):
        for tree in (trees if rep % 2 == 0 else trees[::-1]):
            r = run(a.python, tree, a.actor, a.count, a.warmup)
            r['rep'] = rep
            print(json.dumps(r), flush=True)


if __name__ == '__main__':
    main()
