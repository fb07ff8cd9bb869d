"""Publish/subscribe inside one process (network.md §7, checklist items 24-26, 33)."""

import uuid

import layer_cake as lc
from layer_cake.test.support import RuntimeTestCase


class Registering(RuntimeTestCase):

    def test_publish(self):
        """Item 24: Published(HOST) with an id and a listener on 127.0.0.1; again: refused."""
        ch = self.channel()
        lc.publish(ch, 'abc')
        p, _ = self.receive(ch, lc.Published)
        self.assertEqual((p.name, p.scope), ('abc', lc.ScopeOfDirectory.HOST))
        self.assertIsInstance(p.published_id, uuid.UUID)
        self.assertEqual(p.listening_ipp.host, '127.0.0.1')
        self.assertGreater(p.listening_ipp.port, 0)
        lc.publish(ch, 'abc')
        n, _ = self.receive(ch, lc.NotPublished)
        self.assertIn('already published', str(n))
        self.assertIn('cannot publish as "abc"', str(n))

    def test_process_scope_has_no_listener(self):
        """A PROCESS-scope publication needs no listener: its address is unset."""
        ch = self.channel()
        lc.publish(ch, 'inner', scope=lc.ScopeOfDirectory.PROCESS)
        p, _ = self.receive(ch, lc.Published)
        self.assertEqual(p.scope, lc.ScopeOfDirectory.PROCESS)
        self.assertIsNone(p.listening_ipp.port)

    def test_subscribe(self):
        """Item 24: Subscribed with an id; the same search again from the same object is
        refused, and so is an expression that does not compile."""
        ch = self.channel()
        lc.subscribe(ch, 'abc')
        s, _ = self.receive(ch, lc.Subscribed)
        self.assertIsInstance(s.subscribed_id, uuid.UUID)
        lc.subscribe(ch, 'abc')
        n, _ = self.receive(ch, lc.NotSubscribed)
        self.assertIn('already subscribed', str(n))
        lc.subscribe(ch, '(')
        n, _ = self.receive(ch, lc.NotSubscribed)
        self.assertIn('cannot subscribe to "("', str(n))

    def test_bad_names(self):
        """Empty names and names with control characters are refused with the reason."""
        ch = self.channel()
        lc.publish(ch, '')
        n, _ = self.receive(ch, lc.NotPublished)
        self.assertIn('empty name', str(n))
        lc.publish(ch, 'a\nb')
        n, _ = self.receive(ch, lc.NotPublished)
        self.assertIn('control characters', str(n))


class Matching(RuntimeTestCase):

    def pair(self, subscribe_first):
        publisher, subscriber = self.channel(), self.channel()
        if subscribe_first:
            lc.subscribe(subscriber, 'svc')
            self.receive(subscriber, lc.Subscribed)
            lc.publish(publisher, 'svc')
            self.receive(publisher, lc.Published)
        else:
            lc.publish(publisher, 'svc')
            self.receive(publisher, lc.Published)
            lc.subscribe(subscriber, 'svc')
            self.receive(subscriber, lc.Subscribed)
        return publisher, subscriber

    def check_session(self, publisher, subscriber):
        a, _ = self.receive(subscriber, lc.Available)
        self.assertEqual(a.scope, lc.ScopeOfDirectory.PROCESS)
        self.assertEqual(a.publisher_address, publisher.object_address)
        self.assertEqual(subscriber.return_address, publisher.object_address)
        d, _ = self.receive(publisher, lc.Delivered)
        self.assertEqual(d.subscriber_address, subscriber.object_address)
        self.assertEqual(publisher.return_address, subscriber.object_address)
        self.assertEqual((d.route_id, d.published_id), (a.route_id, a.published_id))
        # Enquiry -> Ack over the session.
        subscriber.send(lc.Enquiry(), a.publisher_address)
        self.receive(publisher, lc.Enquiry)
        publisher.reply(lc.Ack())
        self.receive(subscriber, lc.Ack)
        return a, d

    def test_subscribe_first(self):
        """Item 25: subscribe then publish gives Available(PROCESS) and Delivered."""
        self.check_session(*self.pair(True))

    def test_publish_first(self):
        """Item 25: publish then subscribe gives the same."""
        self.check_session(*self.pair(False))

    def test_full_match(self):
        """Item 26: w:<uuid1>, w:<uuid2>, w:xyz and w against w:[-a-f0-9]+: exactly two
        Available, from two distinct publishers."""
        subscriber = self.channel()
        publishers = {}
        for name in ('w:%s' % uuid.uuid4(), 'w:%s' % uuid.uuid4(), 'w:xyz', 'w'):
            p = self.channel()
            lc.publish(p, name)
            self.receive(p, lc.Published)
            publishers[name] = p
        lc.subscribe(subscriber, 'w:[-a-f0-9]+')
        self.receive(subscriber, lc.Subscribed)
        got = [self.receive(subscriber, lc.Available)[0] for _ in range(2)]
        self.assertEqual(len(set(a.publisher_address for a in got)), 2)
        self.assertEqual(sorted(a.name for a in got),
                         sorted(n for n in publishers if n.startswith('w:') and n != 'w:xyz'))
        # And nothing else comes.
        lc.subscribe(subscriber, 'marker')
        m, _ = self.receive(subscriber, lc.Subscribed, lc.Available)
        self.assertIsInstance(m, lc.Subscribed)

    def test_fan_in(self):
        """Two subscribers of one name: one session each, two Delivered at the publisher."""
        publisher = self.channel()
        lc.publish(publisher, 'one')
        self.receive(publisher, lc.Published)
        subscribers = [self.channel(), self.channel()]
        for s in subscribers:
            lc.subscribe(s, 'one')
            self.receive(s, lc.Available)
        delivered = [self.receive(publisher, lc.Delivered)[0] for _ in subscribers]
        self.assertEqual(set(d.subscriber_address for d in delivered),
                         set(s.object_address for s in subscribers))


class Clearing(RuntimeTestCase):

    def test_clear_published(self):
        """Item 33: clearing a publication drops its sessions (both ends) before the
        cleared reply; publishing the name again re-matches."""
        publisher, subscriber = self.channel(), self.channel()
        lc.publish(publisher, 'svc')
        published, _ = self.receive(publisher, lc.Published)
        lc.subscribe(subscriber, 'svc')
        a, _ = self.receive(subscriber, lc.Available)
        self.receive(publisher, lc.Delivered)
        lc.clear_published(publisher, published, note='bye')
        d, _ = self.receive(subscriber, lc.Dropped)
        self.assertEqual(d.remote_address, a.publisher_address)
        d, _ = self.receive(publisher, lc.Dropped)
        self.assertEqual(d.remote_address, subscriber.object_address)
        c, _ = self.receive(publisher, lc.PublishedCleared)
        self.assertEqual((c.name, c.published_id, c.note), ('svc', published.published_id, 'bye'))
        lc.publish(publisher, 'svc')
        again, _ = self.receive(publisher, lc.Published)
        self.assertNotEqual(again.published_id, published.published_id)
        a2, _ = self.receive(subscriber, lc.Available)
        self.assertEqual(a2.published_id, again.published_id)

    def test_listener_shared_then_closed(self):
        """Publications share the process's listener; it closes once the grace period
        after the last one is cleared has passed, and the next publication gets a new one."""
        import socket
        import time
        from layer_cake.directory import process_directory as pd
        self.patch(pd, 'GRACE_BEFORE_CLEARANCE', 0.2)
        ch = self.channel()
        lc.publish(ch, 'one')
        one, _ = self.receive(ch, lc.Published)
        lc.publish(ch, 'two')
        two, _ = self.receive(ch, lc.Published)
        port = one.listening_ipp.port
        self.assertEqual(two.listening_ipp.port, port)
        for p in (one, two):
            lc.clear_published(ch, p)
            self.receive(ch, lc.PublishedCleared)

        def refused():
            try:
                socket.create_connection(('127.0.0.1', port), timeout=5).close()
                return False
            except ConnectionRefusedError:
                return True
        deadline = time.monotonic() + 20.0
        while not refused():
            self.assertLess(time.monotonic(), deadline, 'listener still open')
            time.sleep(0.05)
        lc.publish(ch, 'three')
        three, _ = self.receive(ch, lc.Published)
        self.assertGreater(three.listening_ipp.port, 0)

    def test_clear_subscribed(self):
        """Item 33: clearing a subscription drops its sessions at the publisher; a later
        matching publication brings it nothing."""
        publisher, subscriber = self.channel(), self.channel()
        lc.publish(publisher, 'svc')
        self.receive(publisher, lc.Published)
        lc.subscribe(subscriber, 'svc|other')
        subscribed, _ = self.receive(subscriber, lc.Subscribed)
        self.receive(subscriber, lc.Available)
        self.receive(publisher, lc.Delivered)
        lc.clear_subscribed(subscriber, subscribed)
        self.receive(subscriber, lc.Dropped)
        c, _ = self.receive(subscriber, lc.SubscribedCleared)
        self.assertEqual(c.subscribed_id, subscribed.subscribed_id)
        d, _ = self.receive(publisher, lc.Dropped)
        self.assertEqual(d.remote_address, subscriber.object_address)
        other = self.channel()
        lc.publish(other, 'other')
        self.receive(other, lc.Published)
        lc.subscribe(subscriber, 'marker')
        m, _ = self.receive(subscriber, lc.Subscribed, lc.Available)
        self.assertIsInstance(m, lc.Subscribed)

    def test_late_offer_for_a_cleared_publication(self):
        """A route to a publication being cleared that arrives from a wider node after the
        clear began (made there before the retraction reached it) opens nothing."""
        from layer_cake.directory.listing import RouteOffer
        from layer_cake.directory.messages import ClearPublished
        from layer_cake.directory.service import process_directory
        from layer_cake.runtime import engine
        publisher, subscriber = self.channel(), self.channel()
        lc.publish(publisher, 'svc', lc.ScopeOfDirectory.GROUP)
        p, _ = self.receive(publisher, lc.Published)
        lc.subscribe(subscriber, 'svc')
        s, _ = self.receive(subscriber, lc.Subscribed)
        self.receive(subscriber, lc.Available)
        self.receive(publisher, lc.Delivered)
        d = process_directory()
        late = RouteOffer(uuid.uuid4(), lc.ScopeOfDirectory.GROUP, s.subscribed_id,
                          p.published_id, 'svc', False, p.listening_ipp, d.incarnation)

        def clear_then_offer():
            d.clear_published(ClearPublished(p.name, p.scope, p.published_id),
                              publisher.object_address)
            d.node.pass_offer(late)
        engine.call_and_wait(clear_then_offer)
        self.receive(subscriber, lc.Dropped)
        m, _ = self.receive(publisher, lc.PublishedCleared, lc.Delivered)
        self.assertIsInstance(m, lc.PublishedCleared)
        self.channel().send(lc.Enquiry(), subscriber.object_address)
        m, _ = self.receive(subscriber, lc.Available, lc.Enquiry)
        self.assertIsInstance(m, lc.Enquiry)


class Ending(RuntimeTestCase):

    def test_publisher_end_retracts(self):
        """A publishing object that ends without clearing is retracted: its subscriber
        gets Dropped, and the name can be published again."""
        subscriber = self.channel()
        lc.subscribe(subscriber, 'gone')
        self.receive(subscriber, lc.Subscribed)
        publisher = lc.open_channel()
        lc.publish(publisher, 'gone')
        self.receive(publisher, lc.Published)
        a, _ = self.receive(subscriber, lc.Available)
        publisher._end(None)
        d, _ = self.receive(subscriber, lc.Dropped)
        self.assertEqual(d.remote_address, a.publisher_address)
        again = self.channel()
        lc.publish(again, 'gone')
        self.receive(again, lc.Published)
        a2, _ = self.receive(subscriber, lc.Available)
        self.assertEqual(a2.publisher_address, again.object_address)

    def test_subscriber_end_retracts(self):
        """A subscribing object that ends is retracted: its publisher gets Dropped."""
        publisher = self.channel()
        lc.publish(publisher, 'svc')
        self.receive(publisher, lc.Published)
        subscriber = lc.open_channel()
        lc.subscribe(subscriber, 'svc')
        self.receive(subscriber, lc.Available)
        self.receive(publisher, lc.Delivered)
        subscriber._end(None)
        d, _ = self.receive(publisher, lc.Dropped)
        self.assertEqual(d.remote_address, subscriber.object_address)


class Defects(RuntimeTestCase):

    log_level = lc.USER_LOG.FAULT

    def test_defect_does_not_end_the_directory(self):
        """A handler that raises is logged as a fault; the directory keeps serving."""
        from layer_cake.directory.service import process_directory
        d = process_directory()
        real = d.publish

        def broken(request, owner):
            d.publish = real
            raise RuntimeError('boom')
        d.publish = broken
        ch = self.channel()
        lc.publish(ch, 'first')
        lc.publish(ch, 'second')
        p, _ = self.receive(ch, lc.Published)
        self.assertEqual(p.name, 'second')
        self.assertTrue(d._alive)
        self.assertTrue(any('defect in ProcessDirectory_PublishAs' in t and 'boom' in t
                            for t in self.logs.texts()))
