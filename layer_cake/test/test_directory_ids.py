"""Ids cut from a buffer of random bytes (layer_cake.directory.ids)."""

import os
import uuid

from twisted.trial import unittest

from layer_cake.directory import ids


class FreshIds(unittest.TestCase):

    def test_version_4_and_distinct(self):
        """Ids are random UUIDs of version 4, none repeated across several buffers."""
        made = [ids.fresh_id() for _ in range(3 * ids.BATCH + 5)]
        self.assertTrue(all(isinstance(i, uuid.UUID) and i.version == 4 for i in made))
        self.assertEqual(len(set(made)), len(made))

    def test_fork_starts_afresh(self):
        """A forked child does not cut the ids its parent will cut next."""
        ids.fresh_id()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.write(w, ids.fresh_id().bytes)
            finally:
                os._exit(0)
        os.close(w)
        child = os.read(r, 16)
        os.close(r)
        os.waitpid(pid, 0)
        self.assertNotEqual(child, ids.fresh_id().bytes)
