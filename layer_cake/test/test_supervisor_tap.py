"""``twistd group-cake``: the plugin, its options, and one real run under twistd."""

import os
import signal
import subprocess
import sys

from twisted.python import usage
from twisted.trial import unittest

import layer_cake as lc
from layer_cake.supervisor import group_cake_tap as T
from layer_cake.test.test_supervisor_group import (DEADLINE, GroupCakeTestCase, GroupRun,
                                                   ROOT, wait_gone)

PLUGINS = os.path.join(ROOT, 'twisted', 'plugins', 'layer_cake_plugins.py')


class Options(unittest.TestCase):

    def test_settings_decoded(self):
        """JSON options become the group's typed settings; words are the searches."""
        o = T.Options()
        o.parseOptions(['--retry={"regular_steps": 30.0}', '--main-role=server',
                        '--directory-at-lan={"host": "127.0.0.1", "port": 29101}',
                        '--encrypted-directory', 'worker', 'server'])
        self.assertEqual(o['search'], ['worker', 'server'])
        self.assertEqual(o['settings']['retry'].regular_steps, 30.0)
        self.assertEqual(o['settings']['main_role'], 'server')
        self.assertEqual(o['settings']['directory_at_lan'].port, 29101)
        self.assertTrue(o['settings']['encrypted_directory'])
        self.assertEqual(o['level'], lc.USER_LOG.CONSOLE)

    def test_bad_values(self):
        """A value that does not decode, or an unknown level, is a usage error."""
        self.assertRaises(usage.UsageError, T.Options().parseOptions, ['--retry=[1'])
        self.assertRaises(usage.UsageError, T.Options().parseOptions, ['--debug-level=LOUD'])

    def test_make_service(self):
        """makeService gives the group-cake service with the options' settings."""
        o = T.Options()
        o.parseOptions(['--home-path=/tmp/somewhere', 'w'])
        s = T.makeService(o)
        self.assertIsInstance(s, T.GroupCakeService)
        self.assertEqual(s.home_path, '/tmp/somewhere')
        self.assertEqual(s.search, ['w'])

    def test_plugin_entry(self):
        """The plugin file names the tap module and the command group-cake."""
        space = {}
        with open(PLUGINS) as f:
            exec(compile(f.read(), PLUGINS, 'exec'), space)
        maker = space['group_cake']
        self.assertEqual(maker.tapname, 'group-cake')
        self.assertEqual(maker.module, 'layer_cake.supervisor.group_cake_tap')


class UnderTwistd(GroupCakeTestCase):

    def test_twistd_runs_and_stops_the_group(self):
        """twistd -n group-cake starts the roles; SIGTERM to twistd stops every one."""
        self.add('a')
        self.add('b')
        twistd = os.path.join(os.path.dirname(sys.executable), 'twistd')
        argv = [twistd, '-n', '--pidfile=', '--logfile=-', 'group-cake',
                '--home-path=%s' % (self.home,)]
        run = GroupRun(self, self.home, argv=argv, stderr=subprocess.STDOUT)
        pids = run.wait_ready(['a', 'b'])
        run.process.send_signal(signal.SIGTERM)
        run.wait_for(r'group-cake: aborted')
        run.process.wait(DEADLINE)
        self.assertEqual(wait_gone(list(pids.values()), 5.0), [])
