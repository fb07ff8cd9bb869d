"""What ``import layer_cake`` brings in, and that what it leaves out still
works once it is needed.

A process pays for every module it imports, in start-up time and in memory
(which the kernel also has to free when the process is killed), so the
package defers the heavy ones: TLS, Twisted's endpoints and TLS machinery,
the directory tiers.  Each test runs a fresh interpreter, since this one has
imported everything long ago.
"""

import json
import os
import subprocess
import sys

from twisted.trial import unittest

from layer_cake.net import tls

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROGRAMS = os.path.join(ROOT, 'layer_cake', 'test', 'programs')
DEADLINE = 120.0

# Not imported by ``import layer_cake``: what only encryption, or only a
# running directory, needs.
DEFERRED = ('OpenSSL', 'cryptography', 'service_identity', 'twisted.internet.ssl',
            'twisted.protocols.tls', 'twisted.internet.endpoints', 'twisted.internet.tcp',
            'twisted.protocols.amp', 'layer_cake.net.tls', 'layer_cake.directory.tier')

PROBE = 'import json, sys, layer_cake; print(json.dumps(sorted(sys.modules)))'


class LazyImportTests(unittest.TestCase):

    def run_python(self, arguments, env=None):
        environment = dict(os.environ)
        environment['PYTHONPATH'] = ROOT + os.pathsep + environment.get('PYTHONPATH', '')
        environment.update(env or {})
        p = subprocess.run([sys.executable] + arguments, env=environment, cwd=self.folder(),
                           capture_output=True, text=True, timeout=DEADLINE)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout.strip().splitlines()[-1])

    def folder(self):
        path = os.path.abspath(self.mktemp())
        os.makedirs(path)
        return path

    def test_import_leaves_out_tls_and_tiers(self):
        """``import layer_cake`` imports no OpenSSL, Twisted TLS or endpoints, and no tier."""
        modules = set(self.run_python(['-c', PROBE]))
        self.assertIn('layer_cake.directory.service', modules)
        self.assertEqual(sorted(m for m in DEFERRED if m in modules), [])

    def test_encryption_after_lazy_import(self):
        """An encrypted listen and connect work in a process that imported no TLS up front."""
        seen = self.run_python([os.path.join(PROGRAMS, 'lazy_tls.py')],
                               env={tls.FOLDER_VARIABLE: os.path.join(self.folder(), 'keys')})
        self.assertEqual(seen['imported'], [])
        self.assertNotIn('layer_cake.net.tls', seen['started'])
        self.assertEqual(seen['listen'], 'Listening')
        self.assertEqual(seen['received'], 'Ack')
        self.assertEqual(seen['used'], ['OpenSSL', 'layer_cake.net.tls'])

    def test_encryption_refused_without_pyopenssl(self):
        """Without pyOpenSSL installed, encrypted requests are refused, saying why."""
        seen = self.run_python([os.path.join(PROGRAMS, 'lazy_tls.py'), '--without-openssl'],
                               env={tls.FOLDER_VARIABLE: os.path.join(self.folder(), 'keys')})
        self.assertEqual(seen['listen'], 'NotListening')
        self.assertIn('pyOpenSSL', seen['listen_error'])
        self.assertEqual(seen['connect'], 'NotConnected')
        self.assertIn('pyOpenSSL', seen['connect_error'])
        self.assertEqual(seen['used'], [])
