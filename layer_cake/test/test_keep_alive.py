"""Keep-alive (network.md §2.4, §17 item 11): two framed ends joined by an
in-memory pump, time from a task.Clock, the period's spread pinned."""

from twisted.internet.error import ConnectionDone
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.test import iosim

import layer_cake as lc
from layer_cake.net import frame as F
from layer_cake.net import keep_alive as K
from layer_cake.net.listen_connect import network
from layer_cake.net.messages import ConnectStream, Hello, KeepAlive, Listening, StillThere
from layer_cake.net.stream import FramedStream
from layer_cake.runtime import engine
from layer_cake.test.support import RuntimeTestCase


class Pinned(object):
    """An RNG whose spread is always ``fraction``."""

    def __init__(self, fraction):
        self.fraction = fraction

    def uniform(self, low, high):
        return self.fraction


class KeepAliveTests(RuntimeTestCase):
    fake_clock = True

    def pin(self, fraction):
        saved = K.rng
        K.rng = Pinned(fraction)
        self.addCleanup(setattr, K, 'rng', saved)

    def on_reactor(self, f, *args):
        return engine.call_and_wait(f, *args)

    def connector(self, ch):
        request = ConnectStream(requested_ipp=lc.HostPort('127.0.0.1', 1), keep_alive=True)
        return FramedStream(network, ch.object_address, request, accepted=False, keep_alive=True)

    def acceptor(self, ch):
        return FramedStream(network, ch.object_address, Listening(), accepted=True)

    def joined(self, client_ch, server_ch):
        def make():
            client, server = self.connector(client_ch), self.acceptor(server_ch)
            pump = iosim.connect(server, iosim.makeFakeServer(server),
                                 client, iosim.makeFakeClient(client), greet=False)
            pump.flush()
            return client, server, pump
        client, server, pump = self.on_reactor(make)
        self.receive(client_ch, lc.Connected)
        self.receive(server_ch, lc.Accepted)
        return client, server, pump

    def run_for(self, seconds, pump=None, step=1.0):
        def go():
            elapsed = 0.0
            while elapsed < seconds:
                now = min(step, seconds - elapsed)
                self.clock.advance(now)
                elapsed += now
                if pump is not None:
                    pump.flush()
        self.on_reactor(go)

    def nothing_queued(self, ch):
        """Only a marker sent now is waiting in the channel."""
        ch.send(lc.Ack(), ch.object_address)
        m, _ = self.receive(ch)
        self.assertIsInstance(m, lc.Ack)

    def test_silent_peer_is_stale_after_the_first_period(self):
        """A peer that never answers is declared stale 57-66 s after the connect (WENT_STALE)."""
        for fraction, quiet_until, stale_by in ((-0.05, 59.5, 60.5), (0.05, 65.5, 66.5)):
            self.pin(fraction)
            ch = self.channel()
            client = self.connector(ch)
            transport = StringTransport()

            def open_it():
                client.makeConnection(transport)
                client.dataReceived(F.encode_frame(Hello(), (), (1,), 0))
            self.on_reactor(open_it)
            self.receive(ch, lc.Connected)
            self.assertIn(b'KeepAlive', transport.value())
            self.run_for(quiet_until)
            self.assertFalse(transport.disconnecting)
            self.run_for(stale_by - quiet_until)
            self.assertTrue(transport.disconnecting)
            self.on_reactor(client.connectionLost, Failure(ConnectionDone()))
            m, _ = self.receive(ch, lc.Closed)
            self.assertEqual(m.reason, lc.EndOfTransport.WENT_STALE)
            self.assertEqual(m.note, 'unresponsive')

    def test_healthy_peer_for_ten_minutes(self):
        """With a healthy peer, 10 simulated minutes give no Closed and no keep-alive message to apps."""
        self.pin(0.02)
        client_ch, server_ch = self.channel(), self.channel()
        client, server, pump = self.joined(client_ch, server_ch)
        self.run_for(600, pump)
        self.assertTrue(client.keeper.running)
        self.assertTrue(server.keeper.running)
        self.assertFalse(client.finished or server.finished)
        self.nothing_queued(client_ch)
        self.nothing_queued(server_ch)
        traced = [t for t in self.logs.texts() if 'keep-alive' in t]
        self.assertLessEqual(len(traced), 2 * K.LOGGED)

    def test_peer_that_falls_silent(self):
        """A peer that answers for a while, then stops, is stale within 131 s of its last message."""
        self.pin(0.05)
        client_ch, server_ch = self.channel(), self.channel()
        client, server, pump = self.joined(client_ch, server_ch)
        self.run_for(200, pump)
        self.assertFalse(client.transport.disconnecting)

        def silence():
            server.keeper.stop()
            server.keeper.received = lambda message: None
        self.on_reactor(silence)
        self.run_for(131, pump)
        self.assertTrue(client.finished or client.transport.disconnecting)
        m, _ = self.receive(client_ch, lc.Closed)
        self.assertEqual(m.reason, lc.EndOfTransport.WENT_STALE)

    def test_keeper_protocol(self):
        """The keeper alone: KeepAlive starts the peer; StillThere is answered after its period."""
        self.pin(0.0)
        sent, stale = [], []
        keeper = K.Keeper(sent.append, lambda: stale.append(True), K.ACCEPTOR_WINDOW)

        def play():
            keeper.received(KeepAlive(seconds=60.0))
            self.clock.advance(59.9)
            before = list(sent)
            self.clock.advance(0.2)
            return before
        before = self.on_reactor(play)
        self.assertEqual(before, [])
        self.assertEqual([type(m) for m in sent], [StillThere])
        self.assertEqual(sent[0].seconds, 60.0)
        self.on_reactor(self.clock.advance, 64.9)
        self.assertEqual(stale, [])
        self.on_reactor(self.clock.advance, 0.2)
        self.assertEqual(stale, [True])

    def test_short_period_adopted(self):
        """A connector asking for a short period (directory sessions) gets beats at that
        period, so a silent peer is found within period + window."""
        self.pin(0.0)
        sent, stale = [], []
        keeper = K.Keeper(sent.append, lambda: stale.append(True), K.ACCEPTOR_WINDOW)

        def play():
            keeper.received(KeepAlive(seconds=2.0))
            self.clock.advance(2.0)
        self.on_reactor(play)
        self.assertEqual([(type(m), m.seconds) for m in sent], [(StillThere, 2.0)])
        self.on_reactor(self.clock.advance, 2.0 + K.ACCEPTOR_WINDOW - 0.1)
        self.assertEqual(stale, [])
        self.on_reactor(self.clock.advance, 0.2)
        self.assertEqual(stale, [True])

    def test_connector_short_period(self):
        """A keeper made with its own period starts with it and expects a beat within
        that period plus its window."""
        self.pin(0.0)
        sent, stale = [], []
        keeper = K.Keeper(sent.append, lambda: stale.append(True), K.CONNECTOR_WINDOW,
                          seconds=2.0)
        self.on_reactor(keeper.start)
        self.assertEqual([(type(m), m.seconds) for m in sent], [(KeepAlive, 2.0)])
        self.on_reactor(self.clock.advance, 2.0 + K.CONNECTOR_WINDOW + 0.1)
        self.assertEqual(stale, [True])
