"""Sessions over a connection to another process's publication listener
(network.md §8.4), with the route offered by hand as a tier would."""

import signal
import socket
import time
import uuid

import layer_cake as lc
from layer_cake.directory.listing import RouteOffer, RouteWithdrawal, Withdrawn
from layer_cake.directory.service import process_directory
from layer_cake.runtime import engine
from layer_cake.test.support import Child, RuntimeTestCase

S = lc.ScopeOfDirectory


def nobody_listens():
    """A loopback port with nothing listening on it."""
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_publisher(test, name, env=None):
    """(Child, published_id, listener port) of a publisher process of ``name``."""
    # A parent nobody listens at: the publisher never finds a real host-cake.
    port = nobody_listens()
    child = Child(test, 'layer_cake.test.programs.publisher', '--name=%s' % (name,),
                  '--connect-to-directory={"host": "127.0.0.1", "port": %d}' % (port,),
                  env=env)
    _, published_id, port = child.line_starting('published ').split()
    return child, uuid.UUID(published_id), int(port)


def offered_session(test, name, published_id, port, scope=S.HOST, encrypted=False,
                    expect=lc.Available):
    """(channel, ``expect`` message or None): the channel subscribes to ``name`` and
    this process's node is offered a route to the listener on ``port``."""
    ch = test.channel()
    lc.subscribe(ch, name)
    s, _ = test.receive(ch, lc.Subscribed)
    o = RouteOffer(uuid.uuid4(), scope, s.subscribed_id, published_id, name,
                   encrypted, lc.HostPort('127.0.0.1', port), uuid.uuid4())
    engine.call_and_wait(process_directory().node.pass_offer, o)
    if expect is None:
        return ch, None
    a, _ = test.receive(ch, expect)
    return ch, a


def wait_failed_session(test, ch, seconds=30.0):
    """The sessions of this process's directory listing once one of them is FAILED
    (``ch`` asks; the test fails after ``seconds``)."""
    from layer_cake.directory import introspect as I
    from layer_cake.directory.service import directory_address
    deadline = time.monotonic() + seconds
    while True:
        m, _ = ch.ask(I.DescribeNode([]), (I.DirectoryListing,), directory_address(),
                      seconds=10.0)
        sessions = [x for e in m.peer for x in e.sessions]
        if any(x.status is I.Session.FAILED for x in sessions):
            return sessions
        test.assertLess(time.monotonic(), deadline, 'no failed session: %s' % (sessions,))
        time.sleep(0.05)


class OverConnection(RuntimeTestCase):

    def publisher(self, name):
        return start_publisher(self, name)

    def subscribe(self, search):
        ch = self.channel()
        lc.subscribe(ch, search)
        s, _ = self.receive(ch, lc.Subscribed)
        return ch, s

    def offer(self, subscribed, published_id, port, name, scope=S.HOST):
        o = RouteOffer(uuid.uuid4(), scope, subscribed.subscribed_id, published_id, name,
                       False, lc.HostPort('127.0.0.1', port), uuid.uuid4())
        d = process_directory()
        engine.call_and_wait(d.node.pass_offer, o)
        return o

    def test_session_and_kill(self):
        """An offered route opens a session to the other process (Available, Delivered
        there, Enquiry/Ack both ways); SIGKILL of the publisher gives Dropped with the
        same address."""
        child, published_id, port = self.publisher('far')
        ch, subscribed = self.subscribe('far')
        o = self.offer(subscribed, published_id, port, 'far')
        a, _ = self.receive(ch, lc.Available)
        self.assertEqual((a.route_id, a.scope, a.published_id), (o.route_id, S.HOST,
                                                                 published_id))
        self.assertEqual(ch.return_address, a.publisher_address)
        child.line_starting('delivered')
        ch.send(lc.Enquiry(), a.publisher_address)
        self.receive(ch, lc.Ack)
        self.assertEqual(ch.return_address, a.publisher_address)
        child.kill(signal.SIGKILL)
        d, _ = self.receive(ch, lc.Dropped)
        self.assertEqual(d.remote_address, a.publisher_address)
        self.assertEqual(d.route_id, a.route_id)

    def test_fallback_to_wider(self):
        """Two publishers offered at GROUP and HOST: the GROUP one is used; killing it
        gives Dropped then Available from the HOST one, whose process sees Delivered."""
        near, near_id, near_port = self.publisher('n')
        far, far_id, far_port = self.publisher('n')
        ch, subscribed = self.subscribe('n')
        self.offer(subscribed, far_id, far_port, 'n', S.HOST)
        self.offer(subscribed, near_id, near_port, 'n', S.GROUP)
        first, _ = self.receive(ch, lc.Available)
        if first.scope is S.HOST:               # the HOST one opened first: upgrade
            self.receive(ch, lc.Dropped)
            first, _ = self.receive(ch, lc.Available)
        self.assertEqual((first.scope, first.published_id), (S.GROUP, near_id))
        near.kill(signal.SIGKILL)
        d, _ = self.receive(ch, lc.Dropped)
        self.assertEqual(d.remote_address, first.publisher_address)
        a, _ = self.receive(ch, lc.Available)
        self.assertEqual((a.scope, a.published_id), (S.HOST, far_id))
        far.line_starting('delivered')

    def test_unreachable_publisher(self):
        """An offer whose listener does not answer connects nowhere: no Available, and a
        later good offer at another scope is used."""
        child, published_id, port = self.publisher('x')
        ch, subscribed = self.subscribe('x')
        dead = nobody_listens()
        self.offer(subscribed, uuid.uuid4(), dead, 'x', S.GROUP)
        self.offer(subscribed, published_id, port, 'x', S.HOST)
        a, _ = self.receive(ch, lc.Available)
        self.assertEqual(a.published_id, published_id)

    def test_failed_session_listed(self):
        """A session that cannot open, with no other route, is listed as failed with
        the reason (``--list-connected``); one that opens later clears it."""
        from layer_cake.directory import introspect as I
        from layer_cake.directory.service import directory_address
        import time
        ch, subscribed = self.subscribe('gone')
        dead = nobody_listens()
        self.offer(subscribed, uuid.uuid4(), dead, 'gone', S.HOST)
        asker = self.channel()

        def session():
            m, _ = asker.ask(I.DescribeNode([]), (I.DirectoryListing,), directory_address(),
                             seconds=10.0)
            for entry in m.peer:
                if entry.subscribed_id == subscribed.subscribed_id and entry.sessions:
                    return entry.sessions[0]
            return None
        deadline = time.monotonic() + 20.0
        found = session()
        while found is None or found.status is not I.Session.FAILED:
            self.assertLess(time.monotonic(), deadline, 'no failed session listed')
            time.sleep(0.05)
            found = session()
        self.assertEqual((found.scope, found.remote_ipp.port), (S.HOST, dead))
        self.assertIn('refused', found.note.lower())

        child, published_id, port = self.publisher('gone')
        self.offer(subscribed, published_id, port, 'gone', S.GROUP)
        self.receive(ch, lc.Available)
        self.assertIs(session().status, I.Session.CONNECTED)

    def test_retraction_closes_the_loop(self):
        """A retracted route closes its session: Dropped here and at the publisher."""
        child, published_id, port = self.publisher('r')
        ch, subscribed = self.subscribe('r')
        o = self.offer(subscribed, published_id, port, 'r')
        self.receive(ch, lc.Available)
        child.line_starting('delivered')
        w = RouteWithdrawal(o.route_id, S.HOST, subscribed.subscribed_id, published_id,
                            Withdrawn.RETRACTED)
        engine.call_and_wait(process_directory().node.pass_withdrawal, w)
        self.receive(ch, lc.Dropped)
        child.line_starting('dropped')

    def test_churn_keeps_the_session(self):
        """A withdrawal from tier churn leaves the session working."""
        child, published_id, port = self.publisher('c')
        ch, subscribed = self.subscribe('c')
        o = self.offer(subscribed, published_id, port, 'c')
        a, _ = self.receive(ch, lc.Available)
        w = RouteWithdrawal(o.route_id, S.HOST, subscribed.subscribed_id, published_id,
                            Withdrawn.ORIGIN_LOST)
        engine.call_and_wait(process_directory().node.pass_withdrawal, w)
        ch.send(lc.Enquiry(), a.publisher_address)
        m, _ = self.receive(ch, lc.Ack, lc.Dropped)
        self.assertIsInstance(m, lc.Ack)

    def test_silent_publisher_declared_gone(self):
        """A publisher that stops answering (SIGSTOP) is declared gone by the session's
        heartbeat: Dropped, with the address Available gave (within SESSION_HEARTBEAT
        plus keep-alive's window, about 5 s; the test waits on the event only)."""
        child, published_id, port = self.publisher('s')
        ch, subscribed = self.subscribe('s')
        self.offer(subscribed, published_id, port, 's')
        a, _ = self.receive(ch, lc.Available)
        child.process.send_signal(signal.SIGSTOP)
        self.addCleanup(child.process.send_signal, signal.SIGCONT)
        d, _ = self.receive(ch, lc.Dropped, seconds=60.0)
        self.assertEqual(d.remote_address, a.publisher_address)


class SharedListener(RuntimeTestCase):
    """A process's publications share one listener, and a subscriber's process one
    connection to it; a cleared publication ends its own sessions only."""

    def publications(self, names, *more):
        port = nobody_listens()
        child = Child(self, 'layer_cake.test.programs.publications', '--names=%s' % (names,),
                      '--connect-to-directory={"host": "127.0.0.1", "port": %d}' % (port,),
                      *more)
        published = {}
        for _ in names.split(','):
            _, name, published_id, port = child.line_starting('published ').split()
            published[name] = (uuid.UUID(published_id), int(port))
        return child, published

    def session(self, name, published_id, port, encrypted=False, expect=lc.Available):
        return offered_session(self, name, published_id, port, encrypted=encrypted,
                               expect=expect)

    def test_encrypted_publication(self):
        """An encrypted publication's sessions run over TLS: a route offered without
        encryption cannot open (no Available; listed as failed), and one with it opens
        and carries messages."""
        from layer_cake.directory import introspect as I
        from layer_cake.directory.service import directory_address
        child, published = self.publications('e', '--encrypted')
        published_id, port = published['e']
        plain, _ = self.session('e', published_id, port, encrypted=False, expect=None)
        wait_failed_session(self, plain)
        ch, a = self.session('e', published_id, port, encrypted=True)
        child.line_starting('delivered e')
        ch.send(lc.Enquiry(), a.publisher_address)
        self.receive(ch, lc.Ack)
        m, _ = plain.ask(I.DescribeNode([]), (I.DirectoryListing,), directory_address(),
                         seconds=10.0)
        self.assertEqual(sorted((x.status for e in m.peer for x in e.sessions),
                                key=lambda x: x.value),
                         [I.Session.CONNECTED, I.Session.FAILED])

    def peers(self):
        return engine.call_and_wait(lambda: sorted(process_directory().peers))

    def test_one_listener_one_connection(self):
        """Two publications of one process listen at one port; sessions with both run
        over one connection from this process."""
        from layer_cake.test.programs.publication_requests import ClearName, Republish
        child, published = self.publications('a,b')
        self.assertEqual(published['a'][1], published['b'][1])
        port = published['a'][1]
        ch_a, a = self.session('a', *published['a'])
        ch_b, b = self.session('b', *published['b'])
        self.assertEqual(self.peers(), [('127.0.0.1', port)])
        self.assertNotEqual(a.publisher_address, None)

        # Clearing "a" ends its session (Dropped here and there) and not b's.
        ch_a.send(ClearName('a'), a.publisher_address)
        d, _ = self.receive(ch_a, lc.Dropped)
        self.assertEqual((d.name, d.route_id), ('a', a.route_id))
        child.line_starting('cleared a')
        ch_b.send(lc.Enquiry(), b.publisher_address)
        m, _ = self.receive(ch_b, lc.Ack, lc.Dropped)
        self.assertIsInstance(m, lc.Ack)

        # Published again, it listens where the other one still does.
        ch_b.send(Republish('a'), b.publisher_address)
        line = child.line_starting('published a ')
        self.assertEqual(int(line.split()[3]), port)
