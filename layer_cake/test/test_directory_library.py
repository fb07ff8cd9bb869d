"""Library children in the directory tree (network.md §8.7, §9.5; checklist item 39).

A ``ProcessObject`` running a type bound with ``entry_point=[...]`` asks its
process's directory where child directories connect (``Enquiry``) and starts
the child with ``--directory-scope=LIBRARY`` and that address: the child's
node sits under its parent's, shown as ``[LIBRARY]`` by ``layer-cake network``.
(Messages to the child still travel over the process pipes.)
"""

import os
import sys
import time

from twisted.trial import unittest

import layer_cake as lc
from layer_cake.directory import introspect as I
from layer_cake.directory.service import directory_address
from layer_cake.test.process_types import IAm, WhoAreYou
from layer_cake.test.programs.xy_worker import xy_worker
from layer_cake.test.support import RuntimeTestCase
from layer_cake.test.test_cli_network import (DEADLINE, ROOT, Processes, address, fresh_port,
                                              layer_cake, nodes)
from layer_cake.test.test_process import wait_gone

S = lc.ScopeOfDirectory


class InTheListing(RuntimeTestCase):

    def children(self, ch):
        m, _ = ch.ask(I.DescribeNode([]), (I.DirectoryListing,), directory_address(),
                      seconds=10.0)
        return [(c.scope, c.executable) for c in m.sub_directory]

    def test_library_child_is_a_child_node(self):
        """The library child's node connects under this process's; it goes with the
        child, and messages still reach the child as before."""
        ch = self.channel()
        a = ch.create(lc.ProcessObject, xy_worker)
        ch.send(WhoAreYou(), a)
        m = self.input(ch, seconds=DEADLINE)
        self.assertIsInstance(m, IAm)
        deadline = time.monotonic() + DEADLINE
        while self.children(ch) != [(S.LIBRARY, 'xy_worker.py')]:
            self.assertLess(time.monotonic(), deadline, self.children(ch))
            time.sleep(0.05)
        ch.send(lc.Stop(), a)
        self.assertIsInstance(self.input(ch, seconds=DEADLINE), lc.Returned)
        self.assertEqual(wait_gone([m.pid]), [])
        while self.children(ch):
            self.assertLess(time.monotonic(), deadline, self.children(ch))
            time.sleep(0.05)


class InTheTree(unittest.SynchronousTestCase):

    def test_network_shows_library_nodes(self):
        """Item 39: ``layer-cake network`` shows each library child as a [LIBRARY] node
        under its parent process."""
        folder = os.path.abspath(self.mktemp())
        os.makedirs(folder)
        processes = Processes(folder)
        self.addCleanup(processes.end)
        port = fresh_port()
        host_cake = processes.start([sys.executable, os.path.join(ROOT, 'bin', 'host-cake'),
                                     '--directory-at-host=%s' % (address(port),)], 'host-cake')
        processes.answering(host_cake, port)
        where = '--connect-to-directory=%s' % (address(port),)
        parent = processes.start([sys.executable, '-m', 'layer_cake.test.programs.process_parent',
                                  '--count=2', where], 'parent')
        expected = [(0, 'HOST', 'host-cake'), (1, 'PROCESS', 'process_parent.py'),
                    (2, 'LIBRARY', 'xy_worker.py'), (2, 'LIBRARY', 'xy_worker.py'),
                    (1, 'PROCESS', 'layer-cake')]
        deadline = time.monotonic() + DEADLINE
        while True:
            status, out, err = layer_cake(folder, 'network', where)
            self.assertEqual(status, 0, err)
            if [row[:3] for row in nodes(out)] == expected:
                break
            self.assertIsNone(parent.poll(), 'the parent ended')
            self.assertLess(time.monotonic(), deadline, out)
            time.sleep(0.5)
