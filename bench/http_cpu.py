"""CPU per request of the multihosting tutorial under wrk (ours only).

The publish/subscribe driver (``pubsub_bench.py``, test ``http``) reports what
wrk sees; this reports what it costs.  For each run: a fresh ``layer-cake run``
of ``examples/multihosting`` (``test_server_10.py`` and 8 ``test_worker_10.py``
roles), wrk at each connection count, and from ``/proc`` the CPU time and the
context switches (all threads) of the server process and of the group's other
processes, divided by the requests wrk completed::

    python3 bench/http_cpu.py                              # bench/.venv-ours, 3 runs
    python3 bench/http_cpu.py --bin /other/venv/bin --runs 5 --connections "10 100"

Run it for two trees alternately (``--bin``) to compare them in one time window.
The machine's other load moves every figure; the context switches move least.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import net_compare  # noqa: E402  (wrk parser)
import procfs  # noqa: E402
from ports import listen_port  # noqa: E402

FILES = ('test_api.py', 'test_function_10.py', 'test_server_10.py', 'test_worker_10.py')


def descendants(root):
    children = {}
    for pid in procfs.all_pids():
        parent = procfs.parent_of(pid)
        if parent is not None:
            children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return found


def switches(pid):
    """Voluntary and involuntary context switches of every thread of pid so far."""
    n = 0
    try:
        for task in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/status' % (pid, task)) as f:
                for line in f:
                    if 'ctxt_switches' in line:
                        n += int(line.split()[-1])
    except (OSError, ValueError):
        pass
    return n


def listener_pid(pids, port):
    """The process among pids that holds the listening socket of port."""
    wanted = ':%04X' % port
    inodes = set()
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1].endswith(wanted) and fields[3] == '0A':
                inodes.add(fields[9])
    for pid in pids:
        try:
            for fd in os.listdir('/proc/%d/fd' % pid):
                target = os.readlink('/proc/%d/fd/%s' % (pid, fd))
                if target.startswith('socket:[') and target[8:-1] in inodes:
                    return pid
        except OSError:
            continue
    return None


def ready(url, count):
    try:
        for _ in range(count):
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status != 200:
                    return False
                r.read()
    except Exception:
        return False
    return True


def one_run(a, work, env, port, conns):
    run = subprocess.Popen([os.path.join(a.bin, 'layer-cake'), 'run'], cwd=work, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = 'http://127.0.0.1:%d/Xy?x=2&y=2' % port
    try:
        end = time.monotonic() + 60.0
        server = None
        while server is None and time.monotonic() < end and run.poll() is None:
            server = listener_pid(descendants(run.pid), port)
            time.sleep(0.1)
        # The tutorial's server takes an Accepted that comes before its
        # Subscribed as a fault: no request until its workers have had time to join.
        time.sleep(2.0)
        while not ready(url, 16):
            if time.monotonic() > end or run.poll() is not None:
                raise RuntimeError('not ready')
            time.sleep(0.1)
        pids = descendants(run.pid)
        others = [p for p in pids if p != server]
        cpu0 = {p: procfs.cpu_seconds(p) or 0.0 for p in pids}
        cs0 = {p: switches(p) for p in pids}
        w = subprocess.run(['timeout', str(a.duration + 30), 'wrk', '-t2', '-c%d' % conns,
                            '-d%ds' % a.duration, '--latency', '--timeout', '5s', url],
                           capture_output=True, text=True)
        cpu1 = {p: procfs.cpu_seconds(p) or cpu0[p] for p in pids}
        cs1 = {p: switches(p) for p in pids}
        d = net_compare.parse_wrk(w.stdout)
        n = d['requests']
        d['server_us'] = (cpu1[server] - cpu0[server]) / n * 1e6
        d['others_us'] = sum(cpu1[p] - cpu0[p] for p in others) / n * 1e6
        d['server_cs'] = (cs1[server] - cs0[server]) / n
        d['others_cs'] = sum(cs1[p] - cs0[p] for p in others) / n
        return d
    finally:
        group = descendants(run.pid)
        procfs.interrupt_then_kill([run], 15.0)
        end = time.monotonic() + 10.0
        while any(procfs.alive(p) for p in group) and time.monotonic() < end:
            time.sleep(0.05)
        procfs.kill(group)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--bin', default=os.path.join(HERE, '.venv-ours', 'bin'),
                   help='folder holding the layer-cake to run')
    p.add_argument('--runs', type=int, default=3)
    p.add_argument('--connections', default='10 100')
    p.add_argument('--duration', type=int, default=8, help='seconds per wrk run')
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix='http-cpu-')
    home = os.path.join(work, 'home')
    os.mkdir(home)
    src = os.path.join(ROOT, 'examples', 'multihosting')
    for f in FILES:
        shutil.copy(os.path.join(src, f), work)
    env = dict(os.environ, HOME=home)
    port = listen_port()
    cli = os.path.join(a.bin, 'layer-cake')
    for args in (['create'],
                 ['add', 'test_server_10.py', 'server',
                  '--server-address=%s' % json.dumps({'host': '127.0.0.1', 'port': port})],
                 ['add', 'test_worker_10.py', 'worker', '--role-count=8']):
        subprocess.run([cli] + args, cwd=work, env=env, check=True, stdout=subprocess.DEVNULL)
    rows = {}
    for i in range(a.runs):
        for conns in [int(c) for c in a.connections.split()]:
            try:
                d = one_run(a, work, env, port, conns)
            except (RuntimeError, ValueError, KeyError) as e:
                print('run %d c=%d: %s' % (i + 1, conns, e), flush=True)
                continue
            rows.setdefault(conns, []).append(d)
            print('run %d c=%-3d %6.0f req/s  p50 %6.2f ms  p99 %6.2f ms  server %4.0f us/req '
                  '%4.2f cs/req  others %4.0f us/req %4.2f cs/req' % (
                      i + 1, conns, d['rps'], d['p50_ms'], d['p99_ms'], d['server_us'],
                      d['server_cs'], d['others_us'], d['others_cs']), flush=True)
    for conns, ds in sorted(rows.items()):
        def med(k):
            values = [d[k] for d in ds]
            return statistics.median(values), min(values), max(values)
        print('median c=%d (n=%d): ' % (conns, len(ds)) + '  '.join(
            '%s %.4g [%.4g-%.4g]' % ((k,) + med(k)) for k in
            ('rps', 'p99_ms', 'server_us', 'server_cs', 'others_us', 'others_cs')))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
