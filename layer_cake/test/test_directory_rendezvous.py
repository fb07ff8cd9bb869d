"""A tier that starts late is found at once: the rendezvous folder and the parent
link's hints (network.md §8.6; layer_cake.directory.rendezvous).

The unit tests drive a parent link with an in-memory reactor and a fake
watch; the others use real inotify on a folder of the test's own, wait for
events with a deadline and never for a fixed time.
"""

import os
import stat

from twisted.internet import defer, task
from twisted.trial import unittest

from layer_cake.directory import rendezvous
from layer_cake.directory.tier import FIRST_RETRY, Tier
from layer_cake.net.ipp import HostPort, ScopeOfDirectory as S
from layer_cake.test.support import listen_port
from layer_cake.test.test_directory_tier import (TOP, Log, Net, Pinned, Seen, publication,
                                                 held)

# Generous: the machine is shared.
DEADLINE = 60.0


class FakeWatch(object):
    """What a parent link watches, as a test sees it."""

    def __init__(self, address, hint):
        self.address = address
        self.hint = hint
        self.stopped = False

    def stop(self):
        self.stopped = True


class Watches(object):
    """A fake :func:`rendezvous.watch`: keeps every watch a link starts."""

    def __init__(self):
        self.started = []

    def __call__(self, address, hint, reactor, log):
        w = FakeWatch(address, hint)
        self.started.append(w)
        return w

    def live(self):
        return [w for w in self.started if not w.stopped]


class Hints(unittest.TestCase):
    """A parent link and the hints of its watch, on an in-memory reactor."""

    timeout = 30

    def setUp(self):
        self.net = Net(self)
        self.made = 0
        connect = self.net.reactor.connectTCP

        def counted(*args, **kw):
            self.made += 1
            return connect(*args, **kw)
        self.net.reactor.connectTCP = counted
        self.there = HostPort('127.0.0.1', TOP)
        self.watches = Watches()
        self.child = self.net.tier(S.GROUP, connect_to=self.there, watch=self.watches)
        self.link = self.child.parent_link

    def attempts(self):
        """Connection attempts made so far."""
        return self.made

    def waiting(self):
        """Refuse the first attempt and the one made at once as the watch begins:
        the link now waits 8 s, watching."""
        self.net.refuse()
        self.net.reactor.advance(0)
        self.net.refuse()
        self.assertEqual(self.attempts(), 2)

    def test_watching_after_a_failure(self):
        """No watch while the first attempt may succeed; once it fails the link
        watches its parent's address and tries once more at once (a tier that came
        up meanwhile), then keeps to the schedule."""
        self.assertEqual(self.watches.started, [])
        self.net.refuse()
        (w,) = self.watches.live()
        self.assertEqual(w.address, self.there)
        self.assertEqual(self.net.retry_in(), 0.0)
        self.net.reactor.advance(0)
        self.assertEqual(self.attempts(), 2)
        self.net.refuse()
        self.assertAlmostEqual(self.net.retry_in(), 8.0)
        self.assertEqual(len(self.watches.started), 1)

    def test_parent_there_at_once_is_not_watched(self):
        """A parent that answers the first attempt is never watched for."""
        self.net.tier(S.HOST, accept_at=self.there)
        self.net.connect()
        self.assertTrue(self.link.introduced)
        self.assertEqual(self.watches.started, [])

    def test_hint_while_waiting(self):
        """A hint while the 8 s retry is pending makes the attempt at once: the clock
        has not moved and the pending retry is gone."""
        self.waiting()
        self.assertAlmostEqual(self.net.retry_in(), 8.0)
        now = self.net.reactor.seconds()
        self.watches.live()[0].hint()
        self.assertEqual(self.attempts(), 3)
        self.assertEqual(self.net.reactor.seconds(), now)
        self.assertEqual([c for c in self.net.reactor.getDelayedCalls() if c.active()], [])
        self.net.tier(S.HOST, accept_at=self.there)
        self.net.connect()
        self.assertTrue(self.link.introduced)

    def test_schedule_after_a_hinted_failure(self):
        """When the hinted attempt is refused too, the schedule goes on as before."""
        self.waiting()
        self.watches.live()[0].hint()
        self.net.refuse()
        self.assertAlmostEqual(self.net.retry_in(), 8.0)
        self.net.reactor.advance(8.0)
        self.assertEqual(self.attempts(), 4)

    def test_hint_during_an_attempt(self):
        """A hint while an attempt is under way makes the next one follow at once if
        that one fails, and only the next one."""
        self.waiting()
        self.net.reactor.advance(8.0)
        self.assertEqual(self.attempts(), 3)
        self.watches.live()[0].hint()
        self.assertEqual(self.attempts(), 3)
        self.net.refuse()
        self.assertEqual(self.net.retry_in(), 0.0)
        self.net.reactor.advance(0)
        self.assertEqual(self.attempts(), 4)
        self.net.refuse()
        self.assertAlmostEqual(self.net.retry_in(), 8.0)

    def test_connected_stops_watching(self):
        """Once connected the watch is stopped, and a hint changes nothing."""
        self.waiting()
        w = self.watches.live()[0]
        self.net.reactor.advance(8.0)
        self.net.tier(S.HOST, accept_at=self.there)
        self.net.connect()
        self.assertTrue(w.stopped)
        self.assertEqual(self.watches.live(), [])
        w.hint()
        self.assertEqual(self.attempts(), 3)
        self.assertEqual([c for c in self.net.reactor.getDelayedCalls() if c.active()], [])

    def test_watching_again_after_a_loss(self):
        """Losing the parent starts a watch; a hint then replaces the first retry
        of the loss, and the parent that comes back gets everything again."""
        top = self.net.tier(S.HOST, accept_at=self.there)
        p = publication('again')
        self.child.node.add(p)
        pump = self.net.connect()
        self.assertEqual(held(top), {p.published_id})
        pump.serverIO.loseConnection()
        self.net.flush()
        self.assertFalse(self.link.connected)
        (again,) = self.watches.started
        self.assertFalse(again.stopped)
        self.assertTrue(0 < self.net.retry_in() <= FIRST_RETRY)
        again.hint()
        self.assertEqual(self.attempts(), 2)
        self.net.connect()
        self.assertTrue(self.link.introduced)
        self.assertTrue(again.stopped)

    def test_stop_stops_watching(self):
        """Stopping the tier stops the watch, and a late hint does nothing."""
        self.waiting()
        w = self.watches.live()[0]
        self.child.stopService()
        self.assertTrue(w.stopped)
        w.hint()
        self.assertEqual(self.attempts(), 2)

    def test_no_watch_for_a_clock(self):
        """The real watch asks for a reactor that reads files: with a bare clock the link
        runs on the schedule alone."""
        self.assertIsNone(rendezvous.watch(self.there, lambda: None, task.Clock()))


class Announcing(unittest.TestCase):
    """Which tiers announce themselves (announce() recorded, nothing bound)."""

    def setUp(self):
        self.told = []
        self.patch(rendezvous, 'announce', lambda address, log=None: self.told.append(address))
        self.net = Net(self)

    def test_fixed_port(self):
        """A tier listening at a fixed port announces the address it is bound to."""
        self.net.tier(S.HOST, accept_at=HostPort('127.0.0.1', TOP))
        self.assertEqual(self.told, [HostPort('127.0.0.1', TOP)])

    def test_ephemeral_port(self):
        """A tier on a port the kernel chose announces nothing: nobody can be waiting
        for it."""
        self.net.tier(S.GROUP, accept_at=HostPort('127.0.0.1', 0))
        self.assertEqual(self.told, [])


class Folder(unittest.TestCase):
    """The rendezvous folder, with real inotify, in a folder of the test's own."""

    timeout = 2 * DEADLINE

    def setUp(self):
        self.where = os.path.abspath(self.mktemp())
        self.use(self.where)
        self.port = listen_port()
        self.address = HostPort('127.0.0.1', self.port)

    def use(self, where):
        saved = os.environ.get(rendezvous.FOLDER_VARIABLE)
        os.environ[rendezvous.FOLDER_VARIABLE] = where

        def restore():
            if saved is None:
                os.environ.pop(rendezvous.FOLDER_VARIABLE, None)
            else:
                os.environ[rendezvous.FOLDER_VARIABLE] = saved
        self.addCleanup(restore)

    def watch(self, address=None, log=None):
        from twisted.internet import reactor
        hints = Seen()
        w = rendezvous.watch(address or self.address, lambda: hints(True), reactor, log)
        self.assertIsNotNone(w, 'no inotify here')
        self.addCleanup(w.stop)
        return w, hints

    def touch(self, name):
        if not os.path.isdir(self.where):
            os.makedirs(self.where)
        path = os.path.join(self.where, name)
        with open(path, 'a'):
            pass
        os.utime(path)

    def test_default_folder(self):
        """Without LC_RENDEZVOUS_FOLDER the folder is layer-cake-directories in the
        temporary folder."""
        import tempfile
        os.environ.pop(rendezvous.FOLDER_VARIABLE)
        self.assertEqual(rendezvous.folder(),
                         os.path.join(tempfile.gettempdir(), 'layer-cake-directories'))

    def test_names(self):
        """A file announces its address alone or with a suffix, and so does the
        wildcard address with the same port; nothing else does."""
        a = HostPort('127.0.0.1', 4000)
        for name in (b'127.0.0.1-4000', b'127.0.0.1-4000.x1y2', b'0.0.0.0-4000',
                     b'0.0.0.0-4000.z'):
            self.assertTrue(rendezvous.announces(name, a), name)
        for name in (b'127.0.0.1-40000', b'127.0.0.1-400', b'127.0.0.2-4000',
                     b'127.0.0.1-4000x', b'x127.0.0.1-4000', b'10.0.0.1-4000'):
            self.assertFalse(rendezvous.announces(name, a), name)
        self.assertTrue(rendezvous.announces(b'127.0.0.1-4000', HostPort('localhost', 4000)))

    @defer.inlineCallbacks
    def test_touch(self):
        """Touching the file named after the address (made beforehand, so only its
        attributes change) hints the watch."""
        self.touch('127.0.0.1-%d' % (self.port,))
        w, hints = self.watch()
        self.touch('127.0.0.1-%d' % (self.port,))
        yield hints.wait(what='a hint')

    @defer.inlineCallbacks
    def test_announce(self):
        """announce() hints every watch of the address and leaves nothing behind; the
        folder it makes is open to every user and sticky, like /tmp."""
        first, one = self.watch()
        second, two = self.watch()
        self.assertTrue(rendezvous.announce(self.address))
        yield one.wait(what='a hint to the first watch')
        yield two.wait(what='a hint to the second watch')
        self.assertEqual(os.listdir(self.where), [])
        self.assertEqual(stat.S_IMODE(os.stat(self.where).st_mode), 0o1777)

    @defer.inlineCallbacks
    def test_one_hint_per_announcement(self):
        """The events of one announcement (made, written, closed) make one hint."""
        w, hints = self.watch()
        rendezvous.announce(self.address)
        yield hints.wait(what='a hint')
        from twisted.internet import reactor
        yield task.deferLater(reactor, 0, lambda: None)
        self.assertEqual(hints.items, [True])

    @defer.inlineCallbacks
    def test_every_address(self):
        """A tier listening on every address hints the watches of the loopback."""
        w, hints = self.watch()
        self.assertTrue(rendezvous.announce(HostPort('0.0.0.0', self.port)))
        yield hints.wait(what='a hint')

    def test_not_announced(self):
        """Ports the kernel chose and addresses off the loopback are not announced."""
        for address in (HostPort('127.0.0.1', 0), HostPort('10.0.0.1', self.port),
                        HostPort('192.168.0.195', 54195)):
            self.assertFalse(rendezvous.announce(address), address)
        self.assertFalse(os.path.exists(self.where))

    def test_not_watched(self):
        """Parents off the loopback are not watched for."""
        from twisted.internet import reactor
        for address in (HostPort('10.0.0.195', 54195), HostPort('127.0.0.1', 0)):
            self.assertIsNone(rendezvous.watch(address, lambda: None, reactor))

    def test_unusable_folder(self):
        """A folder that cannot be made: nothing is announced or watched, and a TRACE
        line says why."""
        from twisted.internet import reactor
        blocker = os.path.abspath(self.mktemp())
        with open(blocker, 'w'):
            pass
        self.use(os.path.join(blocker, 'folder'))
        log = Log()
        self.assertFalse(rendezvous.announce(self.address, log))
        self.assertIsNone(rendezvous.watch(self.address, lambda: None, reactor, log))
        self.assertEqual([level for level, _ in log.lines], ['trace', 'trace'])

    @defer.inlineCallbacks
    def test_folder_removed(self):
        """When the folder goes, the watch makes it again and goes on watching."""
        from twisted.internet import reactor
        w, hints = self.watch()
        os.rmdir(self.where)
        deadline = reactor.seconds() + DEADLINE
        while not os.path.isdir(self.where):
            self.assertLess(reactor.seconds(), deadline, 'the folder was not made again')
            yield task.deferLater(reactor, 0.01, lambda: None)
        rendezvous.announce(self.address)
        yield hints.wait(what='a hint after the folder came back')

    @defer.inlineCallbacks
    def test_late_tier(self):
        """A GROUP tier waiting for a parent that is not there connects as soon as a HOST
        tier starts to listen at that address, through the announcement."""
        log = Log()
        up = Seen()
        child = Tier(S.GROUP, connect_to=self.address, log=log, on_parent_up=up,
                     rng=Pinned(0.5))
        child.startService()
        self.addCleanup(child.stopService)
        yield child.parent_link.when_tried()
        yield child.parent_link.when_tried()    # the one made at once as the watch began
        self.assertFalse(child.parent_link.connected)
        host = Tier(S.HOST, accept_at=self.address)
        host.startService()
        self.addCleanup(host.stopService)
        yield up.wait(what='the parent link up')
        self.assertIn(('trace', 'The directory at %s announced itself; trying at once' % (
            self.address,)), log.lines)
