"""The multihosting tutorial as a composite process (network.md checklist item 27):
``layer-cake create; add test_server_10.py server; add test_worker_10.py worker
--role-count=8; run``, with real processes, real sockets and real HTTP."""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from twisted.trial import unittest

from layer_cake.test.support import listen_port

from layer_cake.test.test_process import alive, wait_gone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, 'examples', 'multihosting')

# Generous: eleven processes import Twisted on a 2-core machine.
DEADLINE = 90.0

STARTED = re.compile(r'Started "([^"]+)" \((\d+)\)')
AVAILABLE = re.compile(r'server - Received Available from <([^>]+)>')
DROPPED = re.compile(r'server - Received Dropped from <([^>]+)>')


def free_port():
    """A loopback port nobody listens on, for a server started later."""
    return listen_port()


def environment():
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env.pop('LC_PARENT_PIPES', None)
    return env


class Composite(unittest.TestCase):

    def setUp(self):
        self.folder = os.path.abspath(self.mktemp())
        os.makedirs(self.folder)
        for name in os.listdir(EXAMPLES):
            if name.endswith('.py'):
                shutil.copy(os.path.join(EXAMPLES, name), self.folder)
        self.port = free_port()
        self.run_process = None
        self.lines = queue.Queue()
        self.seen = []
        self.pids = {}
        self.addCleanup(self.stop_everything)

    def cli(self, *arguments):
        done = subprocess.run([sys.executable, '-m', 'layer_cake.cli.main'] + list(arguments),
                              cwd=self.folder, env=environment(), capture_output=True,
                              text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def start_run(self):
        self.run_process = subprocess.Popen(
            [sys.executable, '-m', 'layer_cake.cli.main', 'run', '--debug-level=OBJECT'],
            cwd=self.folder, env=environment(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.run_process.stderr:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            m = STARTED.search(line)
            if m:
                self.pids[m.group(1)] = int(m.group(2))
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern, count=1):
        """The matches of the next ``count`` log lines matching ``pattern``."""
        deadline = time.monotonic() + DEADLINE
        found = []
        while len(found) < count:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError('%d of %d lines matching %r within %s s' % (
                    len(found), count, pattern.pattern, DEADLINE))
            if line is None:
                raise AssertionError('layer-cake run ended (%s)' % (self.seen[-3:],))
            self.seen.append(line)
            m = pattern.search(line)
            if m:
                found.append(m)
        return found

    def request(self, x, y):
        url = 'http://127.0.0.1:%d/Xy?x=%d&y=%d' % (self.port, x, y)
        with urllib.request.urlopen(url, timeout=DEADLINE) as response:
            self.assertEqual(response.status, 200)
            return json.loads(response.read())['value'][1]

    def requests(self, count):
        for i in range(count):
            x, y = 1 + i % 4, 1 + i % 3
            table = self.request(x, y)
            self.assertEqual((len(table), set(len(row) for row in table)), (y, {x}))

    def stop_everything(self):
        if self.run_process is not None and self.run_process.poll() is None:
            self.run_process.send_signal(signal.SIGINT)
            try:
                self.run_process.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                self.run_process.kill()
                self.run_process.wait(DEADLINE)
        for pid in wait_gone(list(self.pids.values()), 10.0):
            os.kill(pid, signal.SIGKILL)
        if self.run_process is not None:
            for stream in (self.run_process.stdout, self.run_process.stderr):
                stream.close()

    def test_tutorial_composite(self):
        """Item 27: 8 Available at the server; 40 requests answered with tables of the
        asked size; SIGKILL of one worker gives one Dropped naming a worker that was
        Available; the next 40 requests all succeed; Ctrl-C ends everything."""
        # The group's parent: a port nobody listens at (never the machine's host-cake).
        self.cli('create', '--directory-at-host={"host": "127.0.0.1", "port": %d}' % (
            free_port(),))
        self.cli('add', 'test_server_10.py', 'server',
                 '--server-address={"host": "127.0.0.1", "port": %d}' % (self.port,))
        self.cli('add', 'test_worker_10.py', 'worker', '--role-count=8')
        self.start_run()
        available = set(m.group(1) for m in self.wait_for(AVAILABLE, 8))
        self.assertEqual(len(available), 8)
        self.requests(40)
        victim = self.pids['worker-3']
        os.kill(victim, signal.SIGKILL)
        dropped = self.wait_for(DROPPED)[0].group(1)
        self.assertIn(dropped, available)
        self.assertEqual(wait_gone([victim], 10.0), [])
        self.requests(40)
        others = [pid for name, pid in self.pids.items() if pid != victim]
        self.assertTrue(all(alive(pid) for pid in others))
        self.run_process.send_signal(signal.SIGINT)
        self.run_process.wait(DEADLINE)
        self.assertEqual(wait_gone(others, 10.0), [])
