"""Direct writes: at once when nothing is queued, and during a read (cork ... uncork)
the first at once and the rest through Twisted's buffer -- in order, and all of it
even when the connection is closed straight after."""

from twisted.internet import defer, protocol, reactor
from twisted.trial import unittest

from layer_cake.net import direct_write as D


class Answerer(protocol.Protocol):
    """Answers each read with three writes, as a burst of answers would be."""

    def connectionMade(self):
        self.writer = D.DirectWriter(self.transport)

    def dataReceived(self, data):
        corked = D.cork()
        try:
            for part in (b'one;', b'two;', b'three;'):
                self.writer.write(part)
            self.factory.seen.append((self.writer._wrote, self.transport.dataBuffer or
                                      self.transport._tempDataLen))
            if data == b'close':
                self.transport.loseConnection()
        finally:
            D.uncork(corked)
        self.factory.seen.append(self.writer._wrote)


class Collector(protocol.Protocol):

    def connectionMade(self):
        self.received = b''
        self.transport.write(self.factory.ask)

    def dataReceived(self, data):
        self.received += data
        if self.received.endswith(b'three;') and self.factory.ask != b'close':
            self.transport.loseConnection()

    def connectionLost(self, reason):
        self.factory.done.callback(self.received)


class Bursts(unittest.TestCase):

    @defer.inlineCallbacks
    def exchange(self, ask):
        server = protocol.ServerFactory.forProtocol(Answerer)
        server.seen = []
        port = reactor.listenTCP(0, server, interface='127.0.0.1')
        self.addCleanup(port.stopListening)
        client = protocol.ClientFactory.forProtocol(Collector)
        client.ask = ask
        client.done = defer.Deferred()
        reactor.connectTCP('127.0.0.1', port.getHost().port, client)
        received = yield client.done
        return received, server.seen

    @defer.inlineCallbacks
    def test_burst_in_order(self):
        """The first write goes at once, the others wait in Twisted's buffer; all arrive,
        in order, and the writer is ready to write at once again after the read."""
        received, seen = yield self.exchange(b'go')
        self.assertEqual(received, b'one;two;three;')
        (wrote, queued), after = seen
        self.assertTrue(wrote)
        self.assertTrue(queued)
        self.assertFalse(after)

    @defer.inlineCallbacks
    def test_close_after_burst(self):
        """A connection closed right after the writes still sends all of them."""
        received, _ = yield self.exchange(b'close')
        self.assertEqual(received, b'one;two;three;')

    def test_nested_cork(self):
        """A cork within a cork leaves the outer one in charge."""
        outer = D.cork()
        try:
            self.assertFalse(D.cork())
            self.assertIsNotNone(D._corked)
        finally:
            D.uncork(outer)
        self.assertIsNone(D._corked)
