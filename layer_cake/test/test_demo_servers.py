"""The HTTP servers of the multithreading tutorial, run as the page runs them
(real processes from doc/demos/threads, real curl, a fresh port each)."""

import json
import os
import socket
import subprocess
import time

from twisted.trial import unittest

from layer_cake.test.support import Child, WATCHDOG_SECONDS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMOS = os.path.join(ROOT, 'doc', 'demos', 'threads')


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


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


class DemoServerTests(unittest.SynchronousTestCase):

    def mktemp_folder(self):
        folder = self.mktemp()
        os.makedirs(folder)
        return folder

    def check_server(self, name):
        port = free_port()
        server = Child(self, None, '--server-address={"host": "127.0.0.1", "port": %d}' % (port,),
                       script=os.path.join(DEMOS, name))
        url = 'http://127.0.0.1:%d/Xy?x=2&y=2' % (port,)
        value = json.loads(curl_until_answered(url))['value']
        self.assertEqual(value[0], 'vector<vector<float8>>')
        self.assertEqual([len(row) for row in value[1]], [2, 2])
        self.assertTrue(all(0.0 <= v < 1.0 for row in value[1] for v in row))
        body = curl_until_answered('http://127.0.0.1:%d/Xy?x=3&y=1' % (port,))
        self.assertEqual([len(row) for row in json.loads(body)['value'][1]], [3])
        self.assertIsNone(server.process.poll())

    def test_server_in_its_own_thread(self):
        """test_server_1.py answers curl with a 2x2 table it made itself."""
        self.check_server('test_server_1.py')

    def test_server_with_a_spool(self):
        """test_server_2.py answers curl with a 2x2 table from its spool of eight workers."""
        self.check_server('test_server_2.py')
