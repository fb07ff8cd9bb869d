"""What ``import layer_cake`` brings in, and that what it leaves out still
works once it is needed.

A process pays for every module it imports, in start-up time and in memory
(which the kernel also has to free when the process is killed), so the
package imports Twisted only when the runtime starts, and TLS only for the
first encrypted listen or connect: the ``layer-cake`` command's verbs that
only read and write files never load either.  Each test runs a fresh
interpreter, since this one has imported everything long ago.
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

# Not imported by ``import layer_cake``: what only a running runtime, a
# connection, a child process, encryption or the directory's tiers need.
DEFERRED = ('twisted', 'zope', 'OpenSSL', 'cryptography', 'service_identity',
            'layer_cake.net.tls', 'layer_cake.net.stream', 'layer_cake.process.captured',
            'layer_cake.process.parent_link', 'layer_cake.directory.tier')

PROBE = 'import json, sys, %s; print(json.dumps(sorted(sys.modules)))'


def deferred_in(modules):
    return sorted(m for m in modules if m.split('.')[0] in DEFERRED or m in DEFERRED)


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

    def test_import_leaves_out_twisted_and_tls(self):
        """``import layer_cake`` imports no Twisted, no OpenSSL and no tier, yet has every add-on."""
        modules = self.run_python(['-c', PROBE % ('layer_cake',)])
        for add_on in ('layer_cake.net.listen_connect', 'layer_cake.process.collector',
                       'layer_cake.directory.service'):
            self.assertIn(add_on, modules)
        self.assertEqual(deferred_in(modules), [])

    def test_command_imports_no_twisted(self):
        """The ``layer-cake`` command's module, with all its verbs, imports no Twisted."""
        modules = self.run_python(['-c', PROBE % ('layer_cake.cli.main',)])
        self.assertEqual(deferred_in(modules), [])

    def test_runtime_brings_twisted(self):
        """Starting the runtime imports the reactor and the tier, and still no TLS code."""
        probe = ('import json, sys, layer_cake as lc\n'
                 'with lc.channel():\n'
                 '    print(json.dumps(sorted(sys.modules)))')
        modules = self.run_python(['-c', probe])
        for name in ('twisted.internet.reactor', 'twisted.logger', 'layer_cake.directory.tier'):
            self.assertIn(name, modules)
        self.assertNotIn('layer_cake.net.tls', modules)

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
