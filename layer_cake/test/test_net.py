"""Listen/connect, remote addresses and framing (network.md §17 items 1-10).

Real sockets on 127.0.0.1 (port 0 everywhere); child processes are real
programs from :mod:`layer_cake.test.programs`, stopped by PID.
"""

import errno
import os
import signal
import socket
import uuid

import layer_cake as lc
from layer_cake.net import frame as F
from layer_cake.test import net_types as T
from layer_cake.test import secret_types as S
from layer_cake.test.support import Child, RuntimeTestCase

TABLE = lc.def_type(list[list[float]])
HELLO = F.encode_frame(lc.net.messages.Hello(), (), (1,), 0)


class Pair(object):
    """One listener and one connection from a channel to itself."""

    def __init__(self, test, ch):
        self.lid = lc.listen(ch, lc.HostPort('127.0.0.1', 0))
        self.listening, _ = test.receive(ch, lc.Listening)
        lc.connect(ch, self.listening.listening_ipp)
        self.accepted, self.connected = None, None
        for _ in range(2):
            m, _ = test.receive(ch, lc.Accepted, lc.Connected)
            if isinstance(m, lc.Accepted):
                self.accepted, self.accepted_proxy = m, ch.return_address
            else:
                self.connected, self.connected_proxy = m, ch.return_address


class ListenTests(RuntimeTestCase):

    def test_listen_ephemeral_and_in_use(self):
        """Item 1: port 0 gives Listening with a real port; the same port again is EADDRINUSE."""
        ch = self.channel()
        lid = lc.listen(ch, lc.HostPort('127.0.0.1', 0))
        self.assertIsInstance(lid, uuid.UUID)
        m, _ = self.receive(ch, lc.Listening, lc.NotListening)
        self.assertIsInstance(m, lc.Listening)
        self.assertGreater(m.listening_ipp.port, 0)
        self.assertEqual(m.request.lid, lid)
        self.assertEqual(m.controller_address, ch.object_address)
        lc.listen(ch, m.listening_ipp)
        again, _ = self.receive(ch, lc.Listening, lc.NotListening)
        self.assertIsInstance(again, lc.NotListening)
        self.assertIsInstance(again, lc.Faulted)
        self.assertEqual(again.error_code, errno.EADDRINUSE)
        self.assertIn(os.strerror(errno.EADDRINUSE).lower(), str(again).lower())

    def test_listen_port_out_of_range(self):
        """Item 1: port 90050 gives NotListening with error_code 0."""
        ch = self.channel()
        lc.listen(ch, lc.HostPort('127.0.0.1', 90050))
        m, _ = self.receive(ch, lc.Listening, lc.NotListening)
        self.assertIsInstance(m, lc.NotListening)
        self.assertEqual(m.error_code, 0)
        self.assertIn('90050', m.error_text)

    def test_stop_listening(self):
        """Item 8: stop_listening gives NotListening, refuses new connects, keeps old ones."""
        ch = self.channel()
        pair = Pair(self, ch)
        lc.stop_listening(ch, pair.lid)
        m, _ = self.receive(ch, lc.NotListening)
        self.assertEqual(m.request.lid, pair.lid)
        lc.connect(ch, pair.listening.listening_ipp)
        m, _ = self.receive(ch, lc.Connected, lc.NotConnected)
        self.assertIsInstance(m, lc.NotConnected)
        ch.send(lc.Ack(), pair.connected_proxy)
        self.receive(ch, lc.Ack)
        self.assertEqual(ch.return_address[-1], pair.accepted_proxy[-1])
        ch.send(lc.Nak(), pair.accepted_proxy)
        self.receive(ch, lc.Nak)
        lc.stop_listening(ch, uuid.uuid4())
        m, _ = self.receive(ch, lc.NotListening)
        self.assertIn('unknown', m.error_text)


class ConnectTests(RuntimeTestCase):

    def test_refused(self):
        """Item 2: connecting to a closed port gives NotConnected with ECONNREFUSED, then nothing."""
        ch = self.channel()
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        s.close()
        lc.connect(ch, lc.HostPort('127.0.0.1', port))
        m, _ = self.receive(ch, lc.Connected, lc.NotConnected)
        self.assertIsInstance(m, lc.NotConnected)
        self.assertEqual(m.error_code, errno.ECONNREFUSED)
        self.assertIn('refused', str(m))
        ch.send(lc.Ack(), ch.object_address)
        m, _ = self.receive(ch)
        self.assertIsInstance(m, lc.Ack)

    def test_application_json_alias(self):
        """connect() takes application_json as layer_cake_json, and refuses both disagreeing."""
        ch = self.channel()
        self.assertRaises(TypeError, lc.connect, ch, lc.HostPort('127.0.0.1', 1),
                          layer_cake_json=True, application_json=False)

    def test_accept_connect_and_traffic(self):
        """Item 3: one Accepted and one Connected; int, table and Ack arrive typed; reply returns."""
        ch = self.channel()
        pair = Pair(self, ch)
        self.assertEqual(pair.accepted.opened_ipp, pair.connected.opened_ipp)
        self.assertEqual(pair.accepted.proxy_address, pair.accepted_proxy)
        self.assertEqual(pair.connected.proxy_address, pair.connected_proxy)
        ch.send(lc.cast_to(7, lc.int_type), pair.connected_proxy)
        ch.send(lc.cast_to([[0.5, 0.25]], TABLE), pair.connected_proxy)
        ch.send(lc.Ack(), pair.connected_proxy)
        m, i = self.receive(ch, int, list[list[float]], lc.Ack)
        self.assertEqual((m, i), (7, 0))
        m, i = self.receive(ch, int, list[list[float]], lc.Ack)
        self.assertEqual((m, i), ([[0.5, 0.25]], 1))
        m, i = self.receive(ch, int, list[list[float]], lc.Ack)
        self.assertEqual(i, 2)
        at_listener = ch.return_address
        self.assertEqual(at_listener[-1], pair.accepted_proxy[-1])
        ch.reply(lc.Nak())
        self.receive(ch, lc.Nak)
        self.assertEqual(ch.return_address[-1], pair.connected_proxy[-1])

    def test_embedded_address_and_identity(self):
        """Item 4: an embedded address crosses, comes home as the plain local address, hashes equal."""
        ch = self.channel()
        other = self.channel()
        pair = Pair(self, ch)
        ch.send(T.Directions(address=other.object_address), pair.connected_proxy)
        m, _ = self.receive(ch, T.Directions)
        first_return = ch.return_address
        self.assertNotEqual(m.address, other.object_address)      # it is remote here
        ch.send(lc.Enquiry(), m.address)                              # through the connection
        got, _ = self.receive(other, lc.Enquiry)
        self.assertIsInstance(got, lc.Enquiry)
        # Sent back across, the address comes home as the object's own.
        ch.send(T.Directions(address=m.address), first_return)
        back, _ = self.receive(ch, T.Directions)
        self.assertEqual(back.address, other.object_address)
        ch.send(T.Numbered(n=2), pair.connected_proxy)
        self.receive(ch, T.Numbered)
        self.assertEqual(ch.return_address, first_return)
        self.assertEqual(hash(ch.return_address), hash(first_return))
        self.assertEqual(len({first_return, ch.return_address}), 1)

    def test_close_flushes(self):
        """Item 6: Close after 100 messages: all arrive before Closed; reasons on both sides."""
        ch = self.channel()
        pair = Pair(self, ch)
        for n in range(100):
            ch.send(T.Numbered(n=n), pair.connected_proxy)
        ch.send(lc.Close(message=lc.Ack(), note='done'), pair.connected_proxy)
        seen = []
        closed = {}
        while len(closed) < 2:
            m, _ = self.receive(ch, T.Numbered, lc.Closed)
            if isinstance(m, T.Numbered):
                # Every message arrives before the receiving side's Closed.
                self.assertNotIn(pair.accepted_proxy[-1], closed)
                seen.append(m.n)
            else:
                closed[ch.return_address[-1]] = m
        self.assertEqual(seen, list(range(100)))
        mine = closed[pair.connected_proxy[-1]]
        self.assertEqual(mine.reason, lc.EndOfTransport.ON_REQUEST)
        self.assertIsInstance(mine.message, lc.Ack)
        self.assertEqual(mine.note, 'done')
        self.assertEqual(mine.opened_at, pair.connected.opened_at)
        theirs = closed[pair.accepted_proxy[-1]]
        self.assertEqual(theirs.reason, lc.EndOfTransport.ABANDONED_BY_REMOTE)
        self.assertIsNone(theirs.message)
        # The proxy is gone: sends to it vanish without error.
        ch.send(lc.Ack(), pair.connected_proxy)

    def test_large_and_small_frames_keep_their_order(self):
        """Frames larger than a socket takes at once, between small ones, arrive whole and in order
        (a frame written straight to the socket must not overtake one Twisted still holds)."""
        ch = self.channel()
        pair = Pair(self, ch)
        for n in range(6):
            ch.send(T.Directions(note=str(n) * 900000), pair.connected_proxy)
            ch.send(T.Numbered(n=n), pair.connected_proxy)
        for n in range(6):
            m, _ = self.receive(ch, T.Directions, T.Numbered)
            self.assertEqual(m.note, str(n) * 900000)
            m, _ = self.receive(ch, T.Directions, T.Numbered)
            self.assertEqual(m.n, n)

    def test_stop_beyond_proxy_is_forwarded(self):
        """A Stop addressed to an object beyond the proxy travels; one to the proxy closes."""
        ch = self.channel()
        other = self.channel()
        pair = Pair(self, ch)
        ch.send(T.Directions(address=other.object_address), pair.connected_proxy)
        m, _ = self.receive(ch, T.Directions)
        ch.send(lc.Stop(), m.address)
        got, _ = self.receive(other, lc.Stop)
        self.assertIsInstance(got, lc.Stop)
        ch.send(lc.Stop(), pair.connected_proxy)
        m, _ = self.receive(ch, lc.Closed)
        self.assertEqual(m.reason, lc.EndOfTransport.ON_REQUEST)

    def test_unencodable_closes_outbound(self):
        """§4.6: a message that cannot be encoded closes with OUTBOUND_STREAMING at the sender."""
        ch = self.channel()
        pair = Pair(self, ch)
        ch.send(lc.cast_to('not a number', lc.int_type), pair.connected_proxy)
        closed = {}
        while len(closed) < 2:
            m, _ = self.receive(ch, lc.Closed)
            closed[ch.return_address[-1]] = m
        self.assertEqual(closed[pair.connected_proxy[-1]].reason,
                         lc.EndOfTransport.OUTBOUND_STREAMING)
        self.assertEqual(closed[pair.accepted_proxy[-1]].reason,
                         lc.EndOfTransport.ABANDONED_BY_REMOTE)


class RawClient(object):
    """A plain socket speaking the frame format by hand."""

    def __init__(self, port):
        self.socket = socket.create_connection(('127.0.0.1', port), timeout=20)

    def send(self, data):
        self.socket.sendall(data)

    def read_until_closed(self):
        chunks = []
        while True:
            try:
                data = self.socket.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not data:
                break
            chunks.append(data)
        self.socket.close()
        return b''.join(chunks)


def body_frame(body, book=b''):
    header = b'{"value":{"to_address":[],"return_address":[1],"tunnel":false}}'
    return F.pack(header, body, book)


MALFORMED = [
    ('letter in the size line', b'1x,2,3\n'),
    ('two size fields', b'1,2\n'),
    ('four size fields', b'1,2,3,4\n'),
    ('24-character size line', b'1' * 24 + b'\n'),
    ('oversize declared', b'0,0,1048577\n'),
    ('h+b over t', b'5,5,6\nxxxxxx\n'),
    ('no final newline', b'0,0,3\nabcX'),
    ('invalid JSON body', body_frame(b'{"value": [nope')),
]


class MalformedFrameTests(RuntimeTestCase):
    log_level = lc.USER_LOG.WARNING

    def test_each_malformed_frame_closes_only_its_connection(self):
        """Item 9: each malformed frame gives Closed(INBOUND_STREAMING, note) and nothing else breaks."""
        ch = self.channel()
        pair = Pair(self, ch)
        port = pair.listening.listening_ipp.port
        for name, bad in MALFORMED:
            raw = RawClient(port)
            raw.send(HELLO)
            m, _ = self.receive(ch, lc.Accepted)
            proxy = ch.return_address
            raw.send(bad)
            m, _ = self.receive(ch, lc.Closed)
            self.assertEqual(ch.return_address, proxy, name)
            self.assertEqual(m.reason, lc.EndOfTransport.INBOUND_STREAMING, name)
            self.assertTrue(m.note, name)
            raw.read_until_closed()
            # The first connection still carries messages both ways.
            ch.send(T.Numbered(n=len(name)), pair.connected_proxy)
            m, _ = self.receive(ch, T.Numbered)
            self.assertEqual(m.n, len(name))
        self.assertTrue(any('closing connection' in t for t in self.logs.texts()))

    def test_oversize_is_refused_before_its_payload(self):
        """Item 9: a declared 1,048,577-byte frame closes the connection before any payload is sent."""
        ch = self.channel()
        pair = Pair(self, ch)
        raw = RawClient(pair.listening.listening_ipp.port)
        raw.send(HELLO)
        self.receive(ch, lc.Accepted)
        raw.send(b'0,0,1048577\n')
        m, _ = self.receive(ch, lc.Closed)
        self.assertIn('oversize', m.note)
        self.assertEqual(raw.read_until_closed()[:6], HELLO[:6])

    def test_garbage_before_hello_is_never_accepted(self):
        """A peer that does not open with Hello (e.g. a TLS ClientHello) is dropped, never Accepted."""
        ch = self.channel()
        pair = Pair(self, ch)
        raw = RawClient(pair.listening.listening_ipp.port)
        raw.send(b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03')
        raw.read_until_closed()
        ch.send(lc.Ack(), ch.object_address)
        m, _ = self.receive(ch)
        self.assertIsInstance(m, lc.Ack)        # no Accepted (or Closed) came first

    def test_unknown_type_is_incognito(self):
        """Item 10: an unregistered type arrives as Incognito with its type name; the connection stays."""
        ch = self.channel()
        pair = Pair(self, ch)
        raw = RawClient(pair.listening.listening_ipp.port)
        raw.send(HELLO)
        self.receive(ch, lc.Accepted)
        raw.send(body_frame(b'{"value":["no.such.Type",{"a":1},[]]}'))
        m, _ = self.receive(ch, lc.Incognito)
        self.assertEqual(m.type_name, 'no.such.Type')
        self.assertEqual(m.decoded_word, {'a': 1})
        raw.send(body_frame(b'{"value":["layer_cake.runtime.messages.Ack",{},[]]}'))
        m, _ = self.receive(ch, lc.Ack)
        raw.socket.close()


class ProcessTests(RuntimeTestCase):

    def test_incognito_forwarded_to_a_process_that_knows_it(self):
        """Item 10: forwarding an Incognito to a process that knows the type yields the typed message."""
        ch = self.channel()
        peer = Child(self, 'layer_cake.test.programs.echo_peer')
        lc.connect(ch, lc.HostPort('127.0.0.1', peer.port()))
        self.receive(ch, lc.Connected)
        proxy = ch.return_address
        incognito = lc.Incognito(type_name='layer_cake.test.net_types.Numbered',
                                 decoded_word={'n': 41})
        ch.send(incognito, proxy)
        m, _ = self.receive(ch, T.Numbered)
        self.assertEqual(m.n, 41)

    def test_three_process_relay(self):
        """Item 5: A->B->C request/reply with a type B never registered; B relays without decoding."""
        ch = self.channel()
        end = Child(self, 'layer_cake.test.programs.relay_end')
        middle = Child(self, 'layer_cake.test.programs.relay_middle', '--onward=%d' % (end.port(),))
        lc.connect(ch, lc.HostPort('127.0.0.1', middle.port()))
        self.receive(ch, lc.Connected)
        ch.send(lc.Enquiry(), ch.return_address)
        directions, _ = self.receive(ch, T.Directions)
        ch.send(S.Secret(text='there'), directions.address)
        m, _ = self.receive(ch, S.Secret)
        self.assertEqual(m.text, 'there and back')
        # The far object's own address, learned through B, also works.
        ch.send(S.Secret(text='again', reply_to=ch.object_address), m.reply_to)
        m, _ = self.receive(ch, S.Secret)
        self.assertEqual(m.text, 'again and back')

    def test_peer_killed(self):
        """Item 7: SIGKILL of the peer gives Closed(ABANDONED_BY_REMOTE); later sends are dropped."""
        ch = self.channel()
        peer = Child(self, 'layer_cake.test.programs.echo_peer')
        lc.connect(ch, lc.HostPort('127.0.0.1', peer.port()))
        self.receive(ch, lc.Connected)
        proxy = ch.return_address
        ch.send(lc.Ack(), proxy)
        self.receive(ch, lc.Ack)
        peer.kill(signal.SIGKILL)
        m, _ = self.receive(ch, lc.Closed)
        self.assertEqual(m.reason, lc.EndOfTransport.ABANDONED_BY_REMOTE)
        ch.send(lc.Ack(), proxy)
        ch.send(lc.Nak(), ch.object_address)
        m, _ = self.receive(ch)
        self.assertIsInstance(m, lc.Nak)


class RecordingRelay(object):
    """A TCP relay on 127.0.0.1 that keeps every byte it passes on."""

    def __init__(self, test, port):
        import threading
        self.target = port
        self.seen = []
        self.listener = socket.socket()
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()
        test.addCleanup(self.listener.close)

    def _accept(self):
        import threading
        try:
            a, _ = self.listener.accept()
        except OSError:
            return
        b = socket.create_connection(('127.0.0.1', self.target))
        for x, y in ((a, b), (b, a)):
            threading.Thread(target=self._pump, args=(x, y), daemon=True).start()

    def _pump(self, x, y):
        while True:
            try:
                data = x.recv(65536)
            except OSError:
                data = b''
            if not data:
                for s in (x, y):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            self.seen.append(data)
            try:
                y.sendall(data)
            except OSError:
                return

    def wire(self):
        return b''.join(self.seen)


class EncryptedTests(RuntimeTestCase):

    def setUp(self):
        RuntimeTestCase.setUp(self)
        saved = os.environ.get('LC_TLS_FOLDER')
        os.environ['LC_TLS_FOLDER'] = os.path.abspath(self.mktemp())

        def restore():
            if saved is None:
                os.environ.pop('LC_TLS_FOLDER', None)
            else:
                os.environ['LC_TLS_FOLDER'] = saved
        self.addCleanup(restore)

    def listener(self, ch, encrypted):
        lc.listen(ch, lc.HostPort('127.0.0.1', 0), encrypted=encrypted)
        m, _ = self.receive(ch, lc.Listening, lc.NotListening)
        self.assertIsInstance(m, lc.Listening)
        return m.listening_ipp.port

    def test_encrypted_round_trip_hides_the_text(self):
        """Item 12: encrypted on both ends, messages round-trip and the wire never shows the text."""
        ch = self.channel()
        port = self.listener(ch, True)
        relay = RecordingRelay(self, port)
        lc.connect(ch, lc.HostPort('127.0.0.1', relay.port), encrypted=True)
        opened = {}
        for _ in range(2):
            m, _ = self.receive(ch, lc.Accepted, lc.Connected)
            opened[type(m)] = ch.return_address
        marker = 'plaintext-marker-%s' % (uuid.uuid4(),)
        ch.send(T.Directions(note=marker), opened[lc.Connected])
        m, _ = self.receive(ch, T.Directions)
        self.assertEqual(m.note, marker)
        ch.reply(T.Directions(note=marker + '-back'))
        m, _ = self.receive(ch, T.Directions)
        self.assertEqual(m.note, marker + '-back')
        self.assertGreater(len(relay.wire()), 0)
        self.assertNotIn(marker.encode(), relay.wire())
        self.assertNotIn(b'Directions', relay.wire())

    def test_encrypted_connector_plain_listener(self):
        """Item 12: an encrypted connect to a plain listener ends in NotConnected; no Accepted."""
        ch = self.channel()
        port = self.listener(ch, False)
        lc.connect(ch, lc.HostPort('127.0.0.1', port), encrypted=True)
        m, _ = self.receive(ch, lc.Accepted, lc.Connected, lc.NotConnected)
        self.assertIsInstance(m, lc.NotConnected)
        self.assertIn('cannot connect', str(m))
        ch.send(lc.Ack(), ch.object_address)
        m, _ = self.receive(ch)
        self.assertIsInstance(m, lc.Ack)

    def test_plain_connector_encrypted_listener(self):
        """A plain connect to an encrypted listener also ends in NotConnected, with no Accepted."""
        ch = self.channel()
        port = self.listener(ch, True)
        lc.connect(ch, lc.HostPort('127.0.0.1', port))
        m, _ = self.receive(ch, lc.Accepted, lc.Connected, lc.NotConnected)
        self.assertIsInstance(m, lc.NotConnected)
        ch.send(lc.Ack(), ch.object_address)
        m, _ = self.receive(ch)
        self.assertIsInstance(m, lc.Ack)
