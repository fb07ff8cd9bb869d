"""The HTTP server (network.md §5, §17 items 13-20): real sockets on
127.0.0.1, real clients (curl and raw sockets), the app a channel."""

import json
import socket
import subprocess
import threading

import layer_cake as lc
from layer_cake.net import rest
from layer_cake.runtime import address as A
from layer_cake.runtime import engine
from layer_cake.test.http_types import Customer, Xy, table_type
from layer_cake.test.support import RuntimeTestCase, WATCHDOG_SECONDS


def curl(url, *options):
    """(status, headers dict lower-cased, body bytes) of one curl request."""
    out = subprocess.run(['curl', '-s', '-i', '--max-time', str(WATCHDOG_SECONDS)] +
                         list(options) + [url], capture_output=True,
                         timeout=WATCHDOG_SECONDS + 5).stdout
    head, _, body = out.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def read_response(s, buffer=b''):
    """One response from a socket: (status, headers, body, leftover bytes)."""
    while b'\r\n\r\n' not in buffer:
        data = s.recv(65536)
        if not data:
            raise AssertionError('connection closed before a response')
        buffer += data
    head, _, rest_ = buffer.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get('content-length', 0))
    while len(rest_) < length:
        data = s.recv(65536)
        if not data:
            raise AssertionError('connection closed inside a body')
        rest_ += data
    return int(lines[0].split()[1]), headers, rest_[:length], rest_[length:]


def closed_by_server(s):
    try:
        return s.recv(1) == b''
    except ConnectionResetError:
        return True


class ServerTestCase(RuntimeTestCase):
    log_level = lc.USER_LOG.WARNING

    def serve(self, ch, **kw):
        kw.setdefault('http_server', [Xy])
        lc.listen(ch, lc.HostPort('127.0.0.1', 0), **kw)
        m, _ = self.receive(ch, lc.Listening, lc.NotListening)
        self.assertIsInstance(m, lc.Listening)
        self.port = m.listening_ipp.port
        self.base = 'http://127.0.0.1:%d' % (self.port,)
        return m

    def answer_in_thread(self, ch, answer):
        """Answer each request arriving at ``ch`` with ``answer(message)`` until stopped."""
        stop = threading.Event()

        def run():
            while not stop.is_set():
                m = ch.input()
                if isinstance(m, (lc.Accepted, lc.Closed)):
                    continue
                if isinstance(m, lc.Stop):
                    return
                ch.reply(answer(m))
        t = threading.Thread(target=run, daemon=True)
        t.start()

        def end():
            stop.set()
            ch.send(lc.Stop(), ch.object_address)
            t.join(WATCHDOG_SECONDS)
        self.addCleanup(end)

    def nothing_but_connections(self, ch):
        """Everything queued at ``ch`` is Accepted/Closed (the app saw no request)."""
        ch.send(lc.Ack(), ch.object_address)
        while True:
            m, _ = self.receive(ch)
            if isinstance(m, lc.Ack):
                return
            self.assertIsInstance(m, (lc.Accepted, lc.Closed))


def table_for(m):
    return lc.cast_to([[0.25] * m.x for _ in range(m.y)], table_type)


class ServeTests(ServerTestCase):

    def test_curl_gets_the_table(self):
        """Item 13: curl GET /Xy?x=2&y=2 gets 200 JSON with the table signature and a 2x2 table."""
        ch = self.channel()
        self.serve(ch)
        self.answer_in_thread(ch, table_for)
        status, headers, body = curl(self.base + '/Xy?x=2&y=2')
        self.assertEqual(status, 200)
        self.assertEqual(headers['content-type'], 'application/json')
        self.assertEqual(headers['server'], 'Layer-Cake-API-server/1.0')
        self.assertIn('date', headers)
        value = json.loads(body)['value']
        self.assertEqual(value[0], 'vector<vector<float8>>')
        self.assertEqual(value[1], [[0.25, 0.25], [0.25, 0.25]])

    def test_equivalent_requests(self):
        """Item 14: form POST, JSON POST and /api/v1/ GET all deliver Xy(3, 4); GET /Xy? gives Xy()."""
        ch = self.channel()
        self.serve(ch)
        got = []

        def record(m):
            got.append((type(m), getattr(m, 'x', None), getattr(m, 'y', None)))
            return lc.Ack()
        self.answer_in_thread(ch, record)
        self.assertEqual(curl(self.base + '/Xy', '-d', 'x=3&y=4')[0], 200)
        self.assertEqual(curl(self.base + '/Xy', '-H', 'Content-Type: application/json',
                              '-d', '{"value": {"x": 3, "y": 4}}')[0], 200)
        self.assertEqual(curl(self.base + '/api/v1/Xy?x=3&y=4')[0], 200)
        self.assertEqual(curl(self.base + '/Xy?')[0], 200)
        self.assertEqual(got, [(Xy, 3, 4)] * 3 + [(Xy, 1, 1)])

    def test_bad_requests(self):
        """Item 15: each bad request gets a 4xx JSON Faulted, the app sees nothing, a fresh 200 follows."""
        ch = self.channel()
        self.serve(ch)
        cases = [(400, ('/Xy?z=1',)), (400, ('/Xy?x=abc',)), (400, ('/Xy',)), (400, ('/',)),
                 (400, ('/Xy', '-X', 'GET', '-H', 'Content-Type: application/json',
                        '-d', '{"value": {"x": 1}}'))]
        for status, (path, *options) in cases:
            got, headers, body = curl(self.base + path, *options)
            self.assertEqual(got, status, path)
            self.assertEqual(headers['content-type'], 'application/json')
            fault = lc.CodecJson().decode(body, lc.Any())
            self.assertIsInstance(fault, lc.Faulted)
            self.assertEqual(fault.error_code, status)
            self.assertIn('cannot recover request', fault.condition)
        self.nothing_but_connections(ch)
        self.answer_in_thread(ch, table_for)
        self.assertEqual(curl(self.base + '/Xy?x=1&y=1')[0], 200)

    def test_oversize_body_and_garbage_close(self):
        """Item 15: a body over 256 KiB gets 413, garbage gets 400; both close; the next client is served."""
        ch = self.channel()
        self.serve(ch)
        s = socket.create_connection(('127.0.0.1', self.port), timeout=WATCHDOG_SECONDS)
        s.sendall(b'POST /Xy HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-'
                  b'urlencoded\r\nContent-Length: 300000\r\n\r\n')
        status, headers, body, _ = read_response(s)
        self.assertEqual(status, 413)
        self.assertIsInstance(lc.CodecJson().decode(body, lc.Any()), lc.Faulted)
        self.assertTrue(closed_by_server(s))
        s.close()
        s = socket.create_connection(('127.0.0.1', self.port), timeout=WATCHDOG_SECONDS)
        s.sendall(b'\x01\x02 garbage\r\n\r\n')
        status, headers, body, _ = read_response(s)
        self.assertEqual(status, 400)
        self.assertTrue(closed_by_server(s))
        s.close()
        self.nothing_but_connections(ch)
        self.answer_in_thread(ch, table_for)
        self.assertEqual(curl(self.base + '/Xy?x=1&y=1')[0], 200)

    def test_unknown_names(self):
        """Item 16: unknown names give HttpRequest by default, 404 JSON with defaulting off."""
        ch = self.channel()
        self.serve(ch)
        seen = []

        def record(m):
            seen.append(m)
            return lc.HttpResponse(status_code=204, reason_phrase='No Content')
        self.answer_in_thread(ch, record)
        status, _, _ = curl(self.base + '/other/Thing?a=1', '-H', 'X-Test: yes')
        self.assertEqual(status, 204)
        m = seen[0]
        self.assertIsInstance(m, lc.HttpRequest)
        self.assertEqual((m.method, m.request_uri, m.http), ('GET', '/other/Thing?a=1',
                                                             'HTTP/1.1'))
        self.assertEqual({k.lower(): v for k, v in m.header.items()}['x-test'], 'yes')
        ch2 = self.channel()
        self.serve(ch2, default_to_request=False)
        status, headers, body = curl(self.base + '/Thing?a=1')
        self.assertEqual(status, 404)
        self.assertEqual(headers['content-type'], 'application/json')

    def test_reply_mapping(self):
        """Item 17: faults, Busy and HttpResponse bodies map to the statuses and types of §5.3."""
        ch = self.channel()
        self.serve(ch)
        answers = [lc.Faulted('no'), lc.Faulted('gone', error_code=404), lc.Busy('full'),
                   lc.HttpResponse(status_code=201, reason_phrase='Created'),
                   lc.HttpResponse(body='hi'), lc.HttpResponse(body=b'\x00\x01')]
        self.answer_in_thread(ch, lambda m: answers.pop(0))
        status, headers, body = curl(self.base + '/Xy?')
        self.assertEqual(status, 500)
        self.assertIsInstance(lc.CodecJson().decode(body, lc.Any()), lc.Faulted)
        self.assertEqual(curl(self.base + '/Xy?')[0], 404)
        status, headers, body = curl(self.base + '/Xy?')
        self.assertEqual(status, 500)
        self.assertIsInstance(lc.CodecJson().decode(body, lc.Any()), lc.Busy)
        status, headers, body = curl(self.base + '/Xy?')
        self.assertEqual((status, headers['content-length'], body), (201, '0', b''))
        status, headers, body = curl(self.base + '/Xy?')
        self.assertTrue(headers['content-type'].startswith('text/plain'))
        self.assertEqual(body, b'hi')
        self.assertEqual(curl(self.base + '/Xy?')[0], 500)

    def test_pipelined_answers_in_request_order(self):
        """Item 18: the app answers the second request first; responses come in request order."""
        ch = self.channel()
        self.serve(ch)
        s = socket.create_connection(('127.0.0.1', self.port), timeout=WATCHDOG_SECONDS)
        s.sendall(b'GET /Xy?x=1&y=1 HTTP/1.1\r\nHost: a\r\n\r\n'
                  b'GET /Xy?x=2&y=2 HTTP/1.1\r\nHost: a\r\n\r\n')
        self.receive(ch, lc.Accepted)
        first, _ = self.receive(ch, Xy)
        first_reply = ch.return_address
        second, _ = self.receive(ch, Xy)
        second_reply = ch.return_address
        self.assertNotEqual(first_reply, second_reply)
        ch.send(table_for(second), second_reply)
        ch.send(table_for(first), first_reply)
        ch.send(lc.Ack(), first_reply)          # a second answer: dropped with a warning
        status, _, body, left = read_response(s)
        self.assertEqual(json.loads(body)['value'][1], [[0.25]])
        status, _, body, left = read_response(s, left)
        self.assertEqual(json.loads(body)['value'][1], [[0.25, 0.25], [0.25, 0.25]])
        s.close()
        m, _ = self.receive(ch, lc.Closed)
        self.assertTrue(any('second answer' in t for t in self.logs.texts()))

    def test_responses_are_not_delayed_by_nagle(self):
        """An accepted connection has TCP_NODELAY: a response is one write the client waits for."""
        ch = self.channel()
        self.serve(ch)
        s = socket.create_connection(('127.0.0.1', self.port), timeout=WATCHDOG_SECONDS)
        self.receive(ch, lc.Accepted)
        proxy = ch.return_address

        def no_delay():
            end = A.objects.get(proxy[-1])._end
            return end.transport.getHandle().getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        self.assertTrue(engine.call_and_wait(no_delay))
        s.sendall(b'GET /Xy?x=1 HTTP/1.1\r\nHost: a\r\n\r\n')
        self.receive(ch, Xy)
        ch.reply(lc.Ack())
        self.assertEqual(read_response(s)[0], 200)
        s.close()
        self.receive(ch, lc.Closed)

    def test_one_accepted_one_closed_per_connection(self):
        """Item 19: each HTTP connection gives one Accepted and one Closed at the controller."""
        ch = self.channel()
        self.serve(ch)
        for _ in range(3):
            s = socket.create_connection(('127.0.0.1', self.port), timeout=WATCHDOG_SECONDS)
            s.sendall(b'GET /Xy?x=1 HTTP/1.1\r\nHost: a\r\n\r\n')
            self.receive(ch, lc.Accepted)
            proxy = ch.return_address
            self.receive(ch, Xy)
            ch.reply(lc.Ack())
            read_response(s)
            s.close()
            self.receive(ch, lc.Closed)
            self.assertEqual(ch.return_address, proxy)
        self.nothing_but_connections(ch)


def list_customers(self):
    return lc.HttpResponse(status_code=200, reason_phrase='OK', body='all of them')


def create_customer(self, body=None):
    return lc.HttpResponse(status_code=201, reason_phrase='Created', body=body.name)


def read_customer(self, identity=None):
    if identity == 99:
        return lc.HttpResponse(status_code=404, reason_phrase='Not Found')
    return lc.HttpResponse(status_code=200, reason_phrase='OK', body='customer %d' % (identity,))


class RestTests(ServerTestCase):

    def test_rest_forms(self):
        """Item 20: ReForm + ResourceDispatch route by resource, method and fields."""
        form = lc.ReForm('/{resource}(/{identity})?', resource=r'\w+', identity='[0-9]+')
        dispatch = rest.ResourceDispatch(form, [Customer])
        dispatch.add(Customer, lc.HttpMethod.GET, list_customers)
        dispatch.add(Customer, lc.HttpMethod.POST, create_customer,
                     body=rest.decode_body(Customer))
        dispatch.add(Customer, lc.HttpMethod.GET, read_customer, identity=int)
        dispatch.add(Customer, lc.HttpMethod.DELETE, read_customer, identity=int)
        ch = self.channel()
        self.serve(ch, http_server=None, uri_form=form)
        entries = []

        def run():
            while True:
                m = ch.input()
                if isinstance(m, lc.Stop):
                    return
                if isinstance(m, lc.FormRequest):
                    entries.append(m.form_entry)
                    dispatch(ch, m)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        self.addCleanup(t.join, WATCHDOG_SECONDS)
        self.addCleanup(ch.send, lc.Stop(), ch.object_address)
        status, headers, body = curl(self.base + '/customer')
        self.assertEqual((status, body), (200, b'all of them'))
        self.assertEqual(headers['server'], 'Layer-Cake-REST-server/1.0')
        status, _, body = curl(self.base + '/customer', '-H', 'Content-Type: application/json',
                               '-d', '{"value": {"name": "Ann", "age": 3}}')
        self.assertEqual((status, body), (201, b'Ann'))
        status, _, body = curl(self.base + '/customer/7')
        self.assertEqual((status, body), (200, b'customer 7'))
        self.assertIn({'resource': 'customer', 'identity': '7'}, entries)
        self.assertEqual(curl(self.base + '/customer/99', '-X', 'DELETE')[0], 404)
        self.assertEqual(curl(self.base + '/customer/x')[0], 400)
        status, _, body = curl(self.base + '/customer', '-X', 'PATCH')
        self.assertEqual(status, 400)
        self.assertIn(b'no matching call signature', body)

    def test_unusable_forms(self):
        """Item 20: a ReForm without a pattern, or one that does not compile, gives NotListening."""
        ch = self.channel()
        for form in (lc.ReForm(), lc.ReForm('/{a}', a='(')):
            lc.listen(ch, lc.HostPort('127.0.0.1', 0), uri_form=form)
            m, _ = self.receive(ch, lc.Listening, lc.NotListening)
            self.assertIsInstance(m, lc.NotListening)


class WorkerLossTests(RuntimeTestCase):

    def test_worker_dying_mid_request_answers_with_a_fault(self):
        """A spool worker that ends while handling a request gives the HTTP client a JSON fault."""
        from layer_cake.test.support import Child
        server = Child(self, 'layer_cake.test.programs.fragile_server')
        base = 'http://127.0.0.1:%d' % (server.port(),)
        self.assertEqual(curl(base + '/Xy?x=2&y=1')[0], 200)
        status, headers, body = curl(base + '/Xy?x=13&y=1')
        self.assertGreaterEqual(status, 500)
        self.assertEqual(headers['content-type'], 'application/json')
        self.assertIsInstance(lc.CodecJson().decode(body, lc.Any()), lc.Faulted)
        for _ in range(4):      # the spool carries on with its other worker(s)
            status, _, body = curl(base + '/Xy?x=3&y=1')
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)['value'][1], [[1.0, 1.0, 1.0]])


class HeadAndShutdownTests(ServerTestCase):

    def test_head_has_no_body(self):
        """A HEAD request is answered with the headers of the response and no body."""
        ch = self.channel()
        self.serve(ch)
        self.answer_in_thread(ch, table_for)
        s = socket.create_connection(('127.0.0.1', self.port), timeout=WATCHDOG_SECONDS)
        s.sendall(b'HEAD /Xy?x=2&y=2 HTTP/1.1\r\nHost: a\r\n\r\n'
                  b'GET /Xy?x=1&y=1 HTTP/1.1\r\nHost: a\r\n\r\n')
        buffer = b''
        while buffer.count(b'HTTP/1.1 200') < 2 or not buffer.endswith(b']],[]]}'):
            data = s.recv(65536)
            self.assertTrue(data)
            buffer += data
        first, second = buffer.split(b'HTTP/1.1 200', 2)[1:]
        self.assertTrue(first.endswith(b'\r\n\r\n'))
        self.assertIn(b'Content-Length: ', first)
        self.assertTrue(second.endswith(b'[[0.25]],[]]}'))
        s.close()

    def test_tear_down_closes_listeners(self):
        """Runtime tear-down closes every listener: the port refuses connections afterwards."""
        ch = self.channel()
        self.serve(ch)
        s = socket.create_connection(('127.0.0.1', self.port), timeout=WATCHDOG_SECONDS)
        self.receive(ch, lc.Accepted)
        lc.tear_down()
        self.assertTrue(closed_by_server(s))
        self.assertRaises(ConnectionRefusedError, socket.create_connection,
                          ('127.0.0.1', self.port), WATCHDOG_SECONDS)
        lc.start_up()


class ContinueTests(ServerTestCase):

    def test_expect_continue_is_answered(self):
        """A client that sends Expect: 100-continue is told to go on before it sends its body."""
        ch = self.channel()
        self.serve(ch)
        self.answer_in_thread(ch, table_for)
        s = socket.create_connection(('127.0.0.1', self.port), timeout=WATCHDOG_SECONDS)
        s.sendall(b'POST /Xy HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Type: '
                  b'application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n')
        interim = b''
        while not interim.endswith(b'\r\n\r\n'):
            data = s.recv(1)
            self.assertTrue(data)
            interim += data
        self.assertEqual(interim, b'HTTP/1.1 100 Continue\r\n\r\n')
        s.sendall(b'x=2&y=1')
        status, _, body, _ = read_response(s)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)['value'][1], [[0.25, 0.25]])
        s.close()


class ClientAgainstServerTests(ServerTestCase):

    def test_layer_cake_client_gets_typed_tables(self):
        """Item 21: a layer_cake_json client (and an application_json one) gets the typed 3x2 table."""
        ch = self.channel()
        self.serve(ch)
        self.answer_in_thread(ch, table_for)
        for flag in ('layer_cake_json', 'application_json'):
            client = self.channel()
            lc.connect(client, lc.HostPort('127.0.0.1', self.port), http_client='/',
                       **{flag: True})
            m, _ = self.receive(client, lc.Connected, lc.NotConnected)
            self.assertIsInstance(m, lc.Connected)
            session = client.return_address
            client.send(Xy(x=2, y=3), session)
            m, _ = self.receive(client, list[list[float]])
            self.assertEqual(m, [[0.25, 0.25]] * 3)
            self.assertEqual(client.received_type, table_type)
            client.send(lc.Close(), session)
            self.receive(client, lc.Closed)
