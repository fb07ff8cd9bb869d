"""The programs of the threads and processes tutorials, run as the pages run
them (real processes from doc/demos/threads, real curl, a fresh port each)."""

import json
import os
import signal
import subprocess
import sys
import time

from twisted.trial import unittest

from layer_cake.test.support import Child, WATCHDOG_SECONDS, listen_port
from layer_cake.test.test_process import wait_gone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMOS = os.path.join(ROOT, 'doc', 'demos', 'threads')


def free_port():
    """A loopback port nobody listens on, for a server started later."""
    return listen_port()


def curl_until_answered(url):
    """curl ``url`` until the server answers (it may still be starting); the body."""
    deadline = time.monotonic() + WATCHDOG_SECONDS
    while time.monotonic() < deadline:
        done = subprocess.run(['curl', '-s', '--max-time', '5', url], capture_output=True,
                              timeout=10)
        if done.returncode == 0:
            return done.stdout
        time.sleep(0.05)
    raise AssertionError('no answer from %s' % (url,))


def children_of(pid):
    """The pids of the running processes whose parent is ``pid``."""
    found = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % (name,)) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] not in ('Z', 'X'):
            found.append(int(name))
    return found


def run_demo(name, *arguments):
    """Run a demo program to its end in its folder; (exit status, stdout)."""
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    done = subprocess.run([sys.executable, name] + list(arguments), cwd=DEMOS, env=env,
                          capture_output=True, timeout=120)
    return done.returncode, done.stdout


class DemoServerTests(unittest.SynchronousTestCase):

    def mktemp_folder(self):
        folder = self.mktemp()
        os.makedirs(folder)
        return folder

    def check_server(self, name, *arguments):
        port = free_port()
        server = Child(self, None, '--server-address={"host": "127.0.0.1", "port": %d}' % (port,),
                       *arguments, script=os.path.join(DEMOS, name))
        url = 'http://127.0.0.1:%d/Xy?x=2&y=2' % (port,)
        value = json.loads(curl_until_answered(url))['value']
        self.assertEqual(value[0], 'vector<vector<float8>>')
        self.assertEqual([len(row) for row in value[1]], [2, 2])
        self.assertTrue(all(0.0 <= v < 1.0 for row in value[1] for v in row))
        body = curl_until_answered('http://127.0.0.1:%d/Xy?x=3&y=1' % (port,))
        self.assertEqual([len(row) for row in json.loads(body)['value'][1]], [3])
        self.assertIsNone(server.process.poll())
        return server

    def test_server_in_its_own_thread(self):
        """test_server_1.py answers curl with a 2x2 table it made itself."""
        self.check_server('test_server_1.py')

    def test_server_with_a_spool(self):
        """test_server_2.py answers curl with a 2x2 table from its spool of eight workers."""
        self.check_server('test_server_2.py')

    def test_server_with_a_process_spool(self):
        """test_server_2.py --processes answers from eight worker processes; SIGINT ends them."""
        server = self.check_server('test_server_2.py', '--processes')
        workers = children_of(server.pid)
        self.assertEqual(len(workers), 8)
        server.kill(signal.SIGINT)
        self.assertEqual(server.process.returncode, 71)
        self.assertEqual(wait_gone(workers), [])


class DemoProgramTests(unittest.SynchronousTestCase):

    def test_function_as_process(self):
        """test_process_1.py prints a table of the asked shape, as a thread and as a process."""
        for switch in ((), ('--processes',)):
            status, out = run_demo('test_process_1.py', '--x=3', '--y=2', *switch)
            self.assertEqual(status, 0)
            table = json.loads(out)
            self.assertEqual([len(row) for row in table], [3, 3])

    def test_spool_of_processes(self):
        """test_spool_demo.py --processes answers every request in order from worker processes."""
        status, out = run_demo('test_spool_demo.py', '--requests=6', '--processes')
        self.assertEqual(status, 0)
        self.assertEqual(json.loads(out), [[2, 2], [3, 3], [2, 4], [3, 2], [2, 3], [3, 4]])
