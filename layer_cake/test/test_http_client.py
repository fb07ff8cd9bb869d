"""The HTTP client session (network.md §6, §17 items 22-23) against a
scripted server on 127.0.0.1 that records what it is sent."""

import json
import socket
import threading

import layer_cake as lc
from layer_cake.test import net_types as T
from layer_cake.test.support import RuntimeTestCase


class ScriptedServer(object):
    """Accepts connections; ``respond(request_bytes)`` gives the bytes to answer with.

    Records the most requests ever outstanding on one connection (requests
    read but not yet answered).
    """

    def __init__(self, test, respond):
        self.respond = respond
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.most_outstanding = 0
        self.requests = []
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()
        test.addCleanup(self.close)

    def close(self):
        self.listener.close()
        for c in self.connections:
            try:
                c.close()
            except OSError:
                pass

    def _accept(self):
        while True:
            try:
                c, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        buffer = b''
        while True:
            try:
                data = c.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            while b'\r\n\r\n' in buffer:
                head, rest = buffer.split(b'\r\n\r\n', 1)
                length = 0
                for line in head.split(b'\r\n')[1:]:
                    name, _, value = line.partition(b':')
                    if name.strip().lower() == b'content-length':
                        length = int(value)
                if len(rest) < length:
                    break
                request, buffer = head + b'\r\n\r\n' + rest[:length], rest[length:]
                # Count requests already waiting behind this one.
                outstanding = 1 + buffer.count(b' HTTP/1.1\r\n')
                self.most_outstanding = max(self.most_outstanding, outstanding)
                self.requests.append(request)
                answer = self.respond(request)
                if answer is None:
                    c.close()
                    return
                c.sendall(answer)


def json_response(body, status=b'200 OK', content_type=b'application/json'):
    return (b'HTTP/1.1 ' + status + b'\r\nContent-Type: ' + content_type +
            b'\r\nContent-Length: %d\r\n\r\n' % len(body) + body)


def echo_n(request):
    """Answer a Numbered form request with a Numbered of the same n."""
    body = request.split(b'\r\n\r\n', 1)[1]
    if body.startswith(b'{'):
        n = json.loads(body)['value']['n']
    else:
        n = int(body.split(b'=')[1]) if body else 0
    return json_response(b'{"value":["layer_cake.test.net_types.Numbered",{"n":%d},[]]}' % n)


class ClientTests(RuntimeTestCase):

    def session(self, ch, port, **kw):
        lc.connect(ch, lc.HostPort('127.0.0.1', port), http_client='/', **kw)
        m, _ = self.receive(ch, lc.Connected, lc.NotConnected)
        self.assertIsInstance(m, lc.Connected)
        self.assertNotEqual(ch.return_address, m.proxy_address)
        return ch.return_address, m

    def test_fifty_actors_share_one_session(self):
        """Item 22: 50 senders each get their own response; one request on the wire at a time."""
        server = ScriptedServer(self, echo_n)
        ch = self.channel()
        session, _ = self.session(ch, server.port, layer_cake_json=True)
        senders = [self.channel() for _ in range(50)]
        for n, s in enumerate(senders):
            s.send(T.Numbered(n=n + 1), session)
        for n, s in enumerate(senders):
            m, _ = self.receive(s, T.Numbered)
            self.assertEqual(m.n, n + 1)
        self.assertEqual(server.most_outstanding, 1)
        self.assertEqual(len(server.requests), 50)
        self.assertTrue(server.requests[0].startswith(b'POST /Numbered HTTP/1.1\r\n'))

    def test_queue_overflow(self):
        """Item 22: the 257th queued request is answered locally with HttpResponse(400)."""
        gate = threading.Event()

        def slow(request):
            gate.wait(20)
            return echo_n(request)
        server = ScriptedServer(self, slow)
        ch = self.channel()
        session, _ = self.session(ch, server.port, layer_cake_json=True)
        for n in range(257):
            ch.send(T.Numbered(n=n), session)
        m, _ = self.receive(ch, lc.HttpResponse)
        self.assertEqual((m.status_code, m.reason_phrase), (400, 'Client Error'))
        self.assertEqual(bytes(m.body), b'Request queue overflow')
        gate.set()
        for n in range(256):
            m, _ = self.receive(ch, T.Numbered)
            self.assertEqual(m.n, n)

    def test_plain_responses(self):
        """Item 23: without layer_cake_json the answer is an HttpResponse with status, headers, body."""
        server = ScriptedServer(self, lambda r: json_response(b'{"value":1}', b'201 Created'))
        ch = self.channel()
        session, _ = self.session(ch, server.port)
        ch.send(lc.HttpRequest(method='GET', request_uri='/thing'), session)
        m, _ = self.receive(ch, lc.HttpResponse)
        self.assertEqual((m.status_code, m.reason_phrase), (201, 'Created'))
        self.assertEqual(m.header.get('Content-Type'), 'application/json')
        self.assertEqual(bytes(m.body), b'{"value":1}')
        self.assertTrue(server.requests[0].startswith(b'GET /thing HTTP/1.1\r\n'))

    def test_json_mode_edge_cases(self):
        """Item 23: text/plain passes as HttpResponse; a long reason is kept; bad JSON is a local 500."""
        answers = [json_response(b'hello', content_type=b'text/plain'),
                   json_response(b'{"value":["layer_cake.runtime.messages.Busy",'
                                 b'{"condition":"full","explanation":null,"error_code":503,'
                                 b'"exit_status":null},[]]}', b'503 Service Unavailable'),
                   json_response(b'{"value": [oops')]
        server = ScriptedServer(self, lambda r: answers.pop(0))
        ch = self.channel()
        session, _ = self.session(ch, server.port, application_json=True)
        ch.send(lc.Ack(), session)
        m, _ = self.receive(ch, lc.HttpResponse)
        self.assertEqual(bytes(m.body), b'hello')
        ch.send(lc.Ack(), session)
        m, _ = self.receive(ch, lc.Busy)
        self.assertEqual(m.condition, 'full')
        ch.send(lc.Ack(), session)
        m, _ = self.receive(ch, lc.HttpResponse)
        self.assertEqual(m.status_code, 500)

    def test_dropped_connection_faults_waiting_senders(self):
        """Item 23: the server dropping the connection with requests pending faults each sender."""
        server = ScriptedServer(self, lambda r: None)
        ch = self.channel()
        other = self.channel()
        session, connected = self.session(ch, server.port, layer_cake_json=True)
        ch.send(T.Numbered(n=1), session)
        other.send(T.Numbered(n=2), session)
        m, _ = self.receive(ch, lc.Faulted)
        self.assertIn('connection lost', str(m))
        m, _ = self.receive(other, lc.Faulted)
        self.assertIn('connection lost', str(m))
        m, _ = self.receive(ch, lc.Closed)
        self.assertEqual(m.reason, lc.EndOfTransport.ABANDONED_BY_REMOTE)

    def test_close_is_queued_behind_requests(self):
        """A Close sent to the session takes effect after the exchanges queued before it."""
        server = ScriptedServer(self, echo_n)
        ch = self.channel()
        session, _ = self.session(ch, server.port, layer_cake_json=True)
        ch.send(T.Numbered(n=5), session)
        ch.send(lc.Close(note='finished'), session)
        m, _ = self.receive(ch, T.Numbered)
        self.assertEqual(m.n, 5)
        m, _ = self.receive(ch, lc.Closed)
        self.assertEqual((m.reason, m.note), (lc.EndOfTransport.ON_REQUEST, 'finished'))
