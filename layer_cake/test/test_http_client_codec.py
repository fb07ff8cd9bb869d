"""The sans-IO HTTP client: request bytes, response parsing and decoding (network.md §6)."""

import enum
import json
from urllib.parse import parse_qsl

from hypothesis import given, settings, strategies as st
from twisted.trial import unittest

import layer_cake as lc
from layer_cake.net import http_client_codec as H
from layer_cake.types import registry
from layer_cake.types.argument import decode_argument


class Xy(object):
    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


class Shade(enum.Enum):
    LIGHT = 1
    DARK = 2


class Mixed(object):
    def __init__(self, text: str = None, numbers: list[int] = None, where: lc.HostPort = None,
                 shade: Shade = None, flag: bool = None, ratio: float = None):
        self.text = text
        self.numbers = numbers
        self.where = where
        self.shade = shade
        self.flag = flag
        self.ratio = ratio


class Empty(object):
    def __init__(self):
        pass


lc.bind(Xy)
lc.bind(Shade)
lc.bind(Mixed)
lc.bind(Empty)

HOST = '127.0.0.1:5050'


def parse_request(data):
    """(request line, [(name, value)], body) of request bytes, checking the framing."""
    head, gap, body = data.partition(b'\r\n\r\n')
    assert gap, 'no end of header'
    lines = head.decode('utf-8').split('\r\n')
    fields = [tuple(line.split(': ', 1)) for line in lines[1:]]
    lengths = [v for n, v in fields if n.lower() == 'content-length']
    assert lengths == [str(len(body))], (lengths, len(body))
    return lines[0], fields, body


def field(fields, name):
    """The one value of a field (case-insensitive), failing on none or several."""
    found = [v for n, v in fields if n.lower() == name.lower()]
    assert len(found) == 1, (name, fields)
    return found[0]


def response(status='200 OK', header=(), body=b'', http=b'HTTP/1.1'):
    lines = [http + b' ' + status.encode('ascii')]
    lines.extend(h.encode('utf-8') for h in header)
    return b'\r\n'.join(lines) + b'\r\n\r\n' + body


def split(data, cuts):
    points = sorted(set(c % (len(data) + 1) for c in cuts))
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


def parse_all(pieces, lost=True):
    """Every item the parser gives for ``pieces``, then for the end of the stream."""
    parser = H.ResponseParser()
    items = []
    for piece in pieces:
        items.extend(parser.feed(piece))
    if lost:
        items.extend(parser.connection_lost())
    return items


def chunked(body, sizes, trailer=b''):
    """``body`` in chunks of the given sizes (then the rest), with extensions on some."""
    out, at = [], 0
    for i, size in enumerate(sizes + [len(body)]):
        piece = body[at:at + size]
        at += len(piece)
        if piece:
            ext = b';name=value' if i % 2 else b''
            out.append(b'%x%s\r\n%s\r\n' % (len(piece), ext, piece))
    out.append(b'0\r\n' + trailer + b'\r\n')
    return b''.join(out)


class RequestTests(unittest.SynchronousTestCase):

    def test_http_request_round_trip(self):
        """An HttpRequest keeps method, URI, version, fields and body, and gains missing fields."""
        m = lc.HttpRequest(method='PUT', request_uri='/thing/7?a=1', http='HTTP/1.1',
                           header={'Accept': 'text/html', 'X-Note': 'hé'},
                           body=bytearray(b'a=b&c'))
        line, fields, body = parse_request(H.request_bytes(m, '/', False, HOST))
        self.assertEqual(line, 'PUT /thing/7?a=1 HTTP/1.1')
        self.assertEqual(field(fields, 'Host'), HOST)
        self.assertEqual(field(fields, 'User-Agent'), H.USER_AGENT)
        self.assertEqual(field(fields, 'User-Agent'), 'Layer-Cake-API-client/1.0')
        self.assertEqual(field(fields, 'Content-Type'), 'application/x-www-form-urlencoded')
        self.assertEqual(field(fields, 'Accept'), 'text/html')
        self.assertEqual(field(fields, 'X-Note'), 'hé')
        self.assertEqual(body, b'a=b&c')

    def test_http_request_without_body(self):
        """An HttpRequest with no body goes with Content-Length 0 and nothing after the header."""
        data = H.request_bytes(lc.HttpRequest(method='GET', request_uri='/Xy?'), '/', False,
                               HOST)
        line, fields, body = parse_request(data)
        self.assertEqual(line, 'GET /Xy? HTTP/1.1')
        self.assertEqual(field(fields, 'Content-Length'), '0')
        self.assertEqual(body, b'')
        self.assertTrue(data.endswith(b'\r\n\r\n'))

    def test_prefix_joins_without_double_slash(self):
        """The client prefix and the request URI meet with exactly one slash."""
        cases = [('/', '/x', '/x'), ('/api/', 'Xy', '/api/Xy'), ('/api/', '/Xy', '/api/Xy'),
                 ('/api', '/Xy', '/api/Xy'), ('', 'x', '/x'), (None, '/x', '/x'),
                 ('/', '/', '/')]
        for prefix, uri, expected in cases:
            m = lc.HttpRequest(method='GET', request_uri=uri)
            line, _, _ = parse_request(H.request_bytes(m, prefix, False, HOST))
            self.assertEqual(line, 'GET %s HTTP/1.1' % (expected,), (prefix, uri))

    def test_message_prefix(self):
        """A message goes to the prefix followed by its class name."""
        line, _, _ = parse_request(H.request_bytes(Xy(), '/api/v1/', True, HOST))
        self.assertEqual(line, 'POST /api/v1/Xy HTTP/1.1')

    def test_supplied_fields_are_not_repeated(self):
        """Host, User-Agent, Content-Type, Content-Length given in any case are not doubled."""
        m = lc.HttpRequest(header={'host': 'example.org', 'USER-AGENT': 'me',
                                   'content-TYPE': 'text/plain', 'Content-length': '2'},
                           body=bytearray(b'hi'))
        line, fields, body = parse_request(H.request_bytes(m, '/', False, HOST))
        self.assertEqual(line, 'POST / HTTP/1.1')
        self.assertEqual(field(fields, 'Host'), 'example.org')
        self.assertEqual(field(fields, 'User-Agent'), 'me')
        self.assertEqual(field(fields, 'Content-Type'), 'text/plain')
        self.assertEqual(len(fields), 4)
        self.assertEqual(body, b'hi')

    def test_framing_fields_that_lie_are_refused(self):
        """A Content-Length that is not the body's, or a Transfer-Encoding, raises ValueError."""
        for header in ({'Content-Length': '5'}, {'content-length': 'x'},
                       {'Transfer-Encoding': 'chunked'}):
            m = lc.HttpRequest(header=header, body=bytearray(b'hi'))
            self.assertRaises(ValueError, H.request_bytes, m, '/', False, HOST)

    def test_injection_is_refused(self):
        """CR/LF in a field, a bad name, method, version, URI or body raise ValueError."""
        bad = [lc.HttpRequest(header={'X': 'a\r\nEvil: 1'}),
               lc.HttpRequest(header={'Bad Name': 'a'}),
               lc.HttpRequest(header={'X': object()}),
               lc.HttpRequest(method='GET /x HTTP/1.1\r\n'),
               lc.HttpRequest(method=None),
               lc.HttpRequest(http='HTTP/1.1\r\nX: y'),
               lc.HttpRequest(request_uri=None),
               lc.HttpRequest(body=[1, 2])]
        for m in bad:
            self.assertRaises(ValueError, H.request_bytes, m, '/', False, HOST)
        self.assertRaises(ValueError, H.request_bytes, Xy(), '/', True, 'h\r\nX: 1')

    def test_head_and_connect_are_refused(self):
        """HEAD and CONNECT, whose responses the parser cannot frame, raise ValueError."""
        for method in ('HEAD', 'head', lc.HttpMethod.HEAD, 'CONNECT'):
            m = lc.HttpRequest(method=method)
            self.assertRaises(ValueError, H.request_bytes, m, '/', False, HOST)

    def test_http_request_pair(self):
        """An HttpRequest cast to its own type is still sent as a raw request."""
        pair = (lc.HttpRequest(method='GET', request_uri='/x'), lc.def_type(lc.HttpRequest))
        line, _, _ = parse_request(H.request_bytes(pair, '/', True, HOST))
        self.assertEqual(line, 'GET /x HTTP/1.1')

    def test_uri_is_escaped(self):
        """Spaces, controls and non-ASCII in a URI are %-escaped; existing escapes stay."""
        m = lc.HttpRequest(method='GET', request_uri='/a b/é?q=%20\n')
        line, _, _ = parse_request(H.request_bytes(m, '/', False, HOST))
        self.assertEqual(line, 'GET /a%20b/%C3%A9?q=%20%0A HTTP/1.1')

    def test_method_enum_and_str_body(self):
        """An HttpMethod is sent by name and a text body as UTF-8."""
        m = lc.HttpRequest(method=lc.HttpMethod.PATCH, body='é')
        line, _, body = parse_request(H.request_bytes(m, '/', False, HOST))
        self.assertEqual(line, 'PATCH / HTTP/1.1')
        self.assertEqual(body, 'é'.encode('utf-8'))

    def test_json_body(self):
        """With layer_cake_json a message is POSTed as its own class in JSON (no Any wrapper)."""
        line, fields, body = parse_request(H.request_bytes(Xy(2, 3), '/', True, HOST))
        self.assertEqual(line, 'POST /Xy HTTP/1.1')
        self.assertEqual(field(fields, 'Content-Type'), 'application/json')
        self.assertEqual(field(fields, 'Host'), HOST)
        self.assertEqual(field(fields, 'User-Agent'), H.USER_AGENT)
        self.assertEqual(json.loads(body), {'value': {'x': 2, 'y': 3}})
        back = lc.CodecJson().decode(body, lc.def_type(Xy))
        self.assertEqual((back.x, back.y), (2, 3))

    def test_form_body(self):
        """Without layer_cake_json a message is POSTed as a urlencoded form of its members."""
        line, fields, body = parse_request(H.request_bytes(Xy(2, 3), '/', False, HOST))
        self.assertEqual(line, 'POST /Xy HTTP/1.1')
        self.assertEqual(field(fields, 'Content-Type'), 'application/x-www-form-urlencoded')
        self.assertEqual(body, b'x=2&y=3')

    def test_form_values_follow_the_argument_rules(self):
        """Form values are argument texts (strings raw), quoted, and decode back to the values."""
        m = Mixed(text='a&b=c d+é/%', numbers=[1, 2], where=lc.HostPort('h', 1),
                  shade=Shade.DARK, flag=False, ratio=0.25)
        _, _, body = parse_request(H.request_bytes(m, '/', False, HOST))
        pairs = parse_qsl(body.decode('ascii'), keep_blank_values=True, strict_parsing=True)
        self.assertEqual([k for k, _ in pairs],
                         ['text', 'numbers', 'where', 'shade', 'flag', 'ratio'])
        schema = lc.def_type(Mixed).element.__lc_registration__.schema
        values = {k: decode_argument(v, schema[k]) for k, v in pairs}
        self.assertEqual(values['text'], 'a&b=c d+é/%')
        self.assertEqual(dict(pairs)['text'], 'a&b=c d+é/%')
        self.assertEqual(values['numbers'], [1, 2])
        self.assertTrue(lc.equal_ipp(values['where'], lc.HostPort('h', 1)))
        self.assertEqual(values['shade'], Shade.DARK)
        self.assertIs(values['flag'], False)
        self.assertEqual(values['ratio'], 0.25)

    def test_none_members_are_left_out(self):
        """Members that are None are not in the form; all None means no body at all."""
        _, _, body = parse_request(H.request_bytes(Mixed(flag=True), '/', False, HOST))
        self.assertEqual(body, b'flag=true')
        line, fields, body = parse_request(H.request_bytes(Mixed(), '/', False, HOST))
        self.assertEqual(line, 'POST /Mixed HTTP/1.1')
        self.assertEqual(body, b'')
        self.assertEqual(field(fields, 'Content-Length'), '0')
        _, _, body = parse_request(H.request_bytes(Empty(), '/', False, HOST))
        self.assertEqual(body, b'')

    def test_pair_of_message_class(self):
        """A (value, portable) pair of a message class is sent under that class's name."""
        pair = (Xy(4, 5), lc.def_type(Xy))
        line, _, body = parse_request(H.request_bytes(pair, '/', True, HOST))
        self.assertEqual(line, 'POST /Xy HTTP/1.1')
        self.assertEqual(json.loads(body), {'value': {'x': 4, 'y': 5}})
        line, _, body = parse_request(H.request_bytes(pair, '/', False, HOST))
        self.assertEqual(body, b'x=4&y=5')

    def test_what_cannot_be_sent_is_refused(self):
        """Constructed values, non-messages, None and unencodable members raise ValueError."""
        bad = [lc.cast_to([1, 2], list[int]), 7, object(), None, (Xy(), lc.def_type(Mixed)),
               Xy(x='abc'), Mixed(numbers='x')]
        for m in bad:
            for flag in (True, False):
                self.assertRaises(ValueError, H.request_bytes, m, '/', flag, HOST)


class ParserTests(unittest.SynchronousTestCase):

    def one(self, data, lost=False):
        items = parse_all([data], lost)
        self.assertEqual(len(items), 1, items)
        return items[0]

    def error(self, data, lost=False):
        item = self.one(data, lost)
        self.assertIsInstance(item, H.ResponseError)
        return str(item)

    def test_content_length(self):
        """A Content-Length body is read exactly, with status, reason, version and fields."""
        r = self.one(response('201 Created', ['Content-Type: text/plain', 'Content-Length: 5'],
                              b'hello'))
        self.assertEqual((r.http, r.status_code, r.reason_phrase), ('HTTP/1.1', 201, 'Created'))
        self.assertEqual(r.header, {'Content-Type': 'text/plain', 'Content-Length': '5'})
        self.assertEqual(r.body, b'hello')

    def test_reason_phrases_of_any_length(self):
        """Long, multi-word and empty reason phrases are all read (upstream lost these)."""
        for status, reason in [('503 Service Unavailable', 'Service Unavailable'),
                               ('500 ' + 'Very ' * 40 + 'Bad', 'Very ' * 40 + 'Bad'),
                               ('200 ', ''), ('200', ''),
                               ('404 Nicht gefunden', 'Nicht gefunden')]:
            r = self.one(response(status, ['Content-Length: 0']))
            self.assertEqual(r.reason_phrase, reason)
            self.assertEqual(r.body, b'')

    def test_chunked_with_trailers(self):
        """A chunked body is joined; extensions are skipped, trailers kept apart from header."""
        data = response('200 OK', ['Transfer-Encoding: chunked', 'Content-Type: text/plain'],
                        chunked(b'0123456789abcdef', [3, 5, 1],
                                b'X-Sum: 77\r\nContent-Type: x\r\n'))
        r = self.one(data)
        self.assertEqual(r.body, b'0123456789abcdef')
        self.assertEqual(r.header['Content-Type'], 'text/plain')
        self.assertEqual(r.trailer, {'X-Sum': '77', 'Content-Type': 'x'})

    def test_chunked_empty_and_uppercase(self):
        """An empty chunked body, and hex sizes in upper case with LF-only lines, are read."""
        r = self.one(response('200 OK', ['Transfer-Encoding: chunked'], b'0\r\n\r\n'))
        self.assertEqual(r.body, b'')
        data = (b'HTTP/1.1 200 OK\nTransfer-Encoding: CHUNKED\n\n'
                b'A\n0123456789\n0\n\n')
        self.assertEqual(self.one(data).body, b'0123456789')

    def test_transfer_encoding_beats_content_length(self):
        """With both Transfer-Encoding and Content-Length the body is read as chunked."""
        data = response('200 OK', ['Content-Length: 99', 'Transfer-Encoding: chunked'],
                        chunked(b'abc', []))
        self.assertEqual(self.one(data).body, b'abc')

    def test_close_delimited(self):
        """Without Content-Length or chunking the body runs to the end of the connection."""
        for http, header in [(b'HTTP/1.0', []), (b'HTTP/1.1', ['Connection: close'])]:
            parser = H.ResponseParser()
            self.assertEqual(parser.feed(response('200 OK', header, b'part one,', http)), [])
            self.assertEqual(parser.feed(b' part two'), [])
            items = parser.connection_lost()
            self.assertEqual(len(items), 1)
            self.assertEqual(items[0].body, b'part one, part two')
            self.assertEqual(items[0].http, http.decode())
            self.assertEqual(parser.feed(b'more'), [])
            self.assertEqual(parser.connection_lost(), [])

    def test_interim_responses_are_skipped(self):
        """1xx interim responses (100 Continue, 103) give nothing; the final response follows."""
        data = (response('100 Continue') + response('103 Early Hints', ['Link: </a>'])
                + response('200 OK', ['Content-Length: 2'], b'ok'))
        r = self.one(data)
        self.assertEqual((r.status_code, r.body, r.header), (200, b'ok', {'Content-Length': '2'}))

    def test_switching_protocols_is_an_error(self):
        """A 101 (never asked for) ends the parser with a ResponseError."""
        self.assertIn('101', self.error(response('101 Switching Protocols')))

    def test_statuses_without_body(self):
        """204 and 304 have no body, whatever their fields say, and the next response follows."""
        data = (response('204 No Content', ['Content-Length: 7'])
                + response('304 Not Modified') + response('200 OK', ['Content-Length: 1'], b'z'))
        items = parse_all([data], lost=False)
        self.assertEqual([(i.status_code, i.body) for i in items],
                         [(204, None), (304, None), (200, b'z')])

    def test_pipelined_responses(self):
        """Several responses in one read come out in order."""
        data = b''.join(response('200 OK', ['Content-Length: %d' % len(b)], b)
                        for b in (b'one', b'', b'three'))
        items = parse_all([data], lost=False)
        self.assertEqual([i.body for i in items], [b'one', b'', b'three'])

    def test_field_names_are_case_insensitive_for_framing(self):
        """content-length and transfer-encoding in any case decide the framing."""
        self.assertEqual(self.one(response('200 OK', ['content-LENGTH: 3'], b'abcdef')).body,
                         b'abc')
        data = response('200 OK', ['transfer-encoding: Chunked'], chunked(b'xyz', [1]))
        self.assertEqual(self.one(data).body, b'xyz')

    def test_last_field_wins(self):
        """A repeated field name, in any case, keeps its last value under its last spelling."""
        r = self.one(response('200 OK', ['X-A: 1', 'Content-Length: 0', 'x-a: 2', 'X-B: 3']))
        self.assertEqual(r.header, {'Content-Length': '0', 'x-a': '2', 'X-B': '3'})

    def test_field_values(self):
        """Values are trimmed, may be empty, keep tabs and colons, and folded lines are joined."""
        r = self.one(response('200 OK', ['X-Empty:', 'X-Tab: a\tb ', 'X-Url: http://h:1/',
                                         'X-Fold: one', '  two', '\tthree', 'X-Raw: caf\xe9',
                                         'Content-Length: 0']))
        self.assertEqual(r.header['X-Empty'], '')
        self.assertEqual(r.header['X-Tab'], 'a\tb')
        self.assertEqual(r.header['X-Url'], 'http://h:1/')
        self.assertEqual(r.header['X-Fold'], 'one two three')
        self.assertEqual(r.header['X-Raw'], 'caf\xe9')
        latin = self.one(b'HTTP/1.1 200 OK\r\nX: caf\xe9\r\nContent-Length: 0\r\n\r\n')
        self.assertEqual(latin.header['X'], 'caf\xe9')

    def test_many_fields(self):
        """A header block of thousands of short fields (repeats included) is read quickly."""
        lines = ['F%d: %d' % (i % 2000, i) for i in range(5000)] + ['Content-Length: 0']
        r = self.one(response('200 OK', lines))
        self.assertEqual(len(r.header), 2001)
        self.assertEqual(r.header['F0'], '4000')

    def test_malformed_status_lines(self):
        """A status line not HTTP/1.x, without a 3-digit code or holding controls is an error."""
        for line in [b'ICY 200 OK', b'HTTP/1.1', b'HTTP/1.1 2000 OK', b'HTTP/1.1 OK',
                     b'HTTP/2.0 200 OK', b'http/1.1 200 OK', b'HTTP/1.1 099 Low',
                     b'HTTP/1.1 200 O\x00K', b'HTTP/1.1 200 O\rK']:
            parser = H.ResponseParser()
            items = parser.feed(line + b'\r\nContent-Length: 0\r\n\r\n')
            self.assertEqual(len(items), 1, line)
            self.assertIsInstance(items[0], H.ResponseError)
            self.assertTrue(str(items[0]), line)
            self.assertEqual(parser.feed(response('200 OK', ['Content-Length: 0'])), [])
            self.assertEqual(parser.connection_lost(), [])

    def test_malformed_header_lines(self):
        """A line without a colon, a bad name, a control character or a stray fold is an error."""
        for line in ['No colon here', 'Bad Name: x', 'Name : x', ': x', 'X: a\x01b',
                     '(x): y']:
            explanation = self.error(response('200 OK', [line, 'Content-Length: 0']))
            self.assertIn('header', explanation)
        self.assertIn('continuation', self.error(response('200 OK', [' folded'])))
        self.assertIn('control', self.error(b'HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n'))

    def test_bad_framing_fields(self):
        """Bad or conflicting Content-Length and codings other than chunked are errors."""
        for header in [['Content-Length: x'], ['Content-Length: -1'],
                       ['Content-Length: 1', 'Content-Length: 2'], ['Content-Length: 1, 2'],
                       ['Transfer-Encoding: gzip, chunked'], ['Transfer-Encoding: identity']]:
            self.assertIsInstance(self.one(response('200 OK', header, b'ab')), H.ResponseError)
        r = self.one(response('200 OK', ['Content-Length: 2, 2', 'Content-Length: 2'], b'ab'))
        self.assertEqual(r.body, b'ab')

    def test_bad_chunks(self):
        """A bad size line or chunk data not followed by CRLF is an error."""
        for body in [b'x\r\nabc', b'3\r\nabcd\r\n0\r\n\r\n', b'-1\r\n', b'3 x\r\nabc\r\n',
                     b'3\r\nabc\rX']:
            data = response('200 OK', ['Transfer-Encoding: chunked'], body)
            self.assertIsInstance(self.one(data), H.ResponseError, body)

    def test_header_limit(self):
        """A header block of 64 KiB is read; one byte more is an error, however it arrives."""
        def of_size(total):
            head = response('200 OK', ['Content-Length: 0', 'X: '])
            filler = b'a' * (total - len(head))
            return response('200 OK', ['Content-Length: 0', 'X: ' + filler.decode()])
        exact = of_size(H.HEADER_LIMIT)
        self.assertEqual(len(exact), 65536)
        self.assertEqual(self.one(exact).status_code, 200)
        over = of_size(H.HEADER_LIMIT + 1)
        whole = parse_all([over])
        self.assertEqual(len(whole), 1)
        self.assertIsInstance(whole[0], H.ResponseError)
        self.assertIn('65536', str(whole[0]))
        self.assertEqual(parse_all([over[:70000], over[70000:]]), whole)
        self.assertEqual(parse_all([over[i:i + 1000] for i in range(0, len(over), 1000)]),
                         whole)
        self.assertEqual(parse_all([b'HTTP/1.1 200 OK\r\nX: ' + b'a' * 70000]), whole)
        blank = parse_all([b'\r\n' * 40000])
        self.assertIsInstance(blank[0], H.ResponseError)

    def test_body_limit(self):
        """Bodies over 16 MiB are errors in all three framings; 16 MiB exactly is read."""
        limit = H.BODY_LIMIT
        self.assertIsInstance(
            self.one(response('200 OK', ['Content-Length: %d' % (limit + 1)])), H.ResponseError)
        r = self.one(response('200 OK', ['Content-Length: %d' % limit], b'b' * limit))
        self.assertEqual(len(r.body), limit)
        data = response('200 OK', ['Transfer-Encoding: chunked'],
                        b'%x\r\n%s\r\n1\r\n' % (limit, b'c' * limit))
        self.assertIsInstance(self.one(data), H.ResponseError)
        self.assertIsInstance(self.one(response('200 OK', ['Transfer-Encoding: chunked'],
                                                b'1' + b'0' * 20 + b'\r\n')), H.ResponseError)
        data = response('200 OK', [], b'd' * (limit + 1), http=b'HTTP/1.0')
        self.assertIsInstance(self.one(data), H.ResponseError)
        data = response('200 OK', [], b'd' * limit, http=b'HTTP/1.0')
        self.assertEqual(len(self.one(data, lost=True).body), limit)

    def test_connection_lost(self):
        """Losing the connection between responses gives nothing; inside one, an error."""
        self.assertEqual(parse_all([]), [])
        self.assertEqual(parse_all([response('200 OK', ['Content-Length: 0']) + b'\r\n']),
                         [H.ParsedResponse('HTTP/1.1', 200, 'OK', {'Content-Length': '0'}, b'')])
        for cut in [b'HTTP/1.1 2', response('200 OK', ['Content-Length: 5'], b'abc'),
                    response('200 OK', ['Transfer-Encoding: chunked'], b'3\r\nab'),
                    b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n']:
            items = parse_all([cut])
            self.assertEqual(len(items), 1, cut)
            self.assertIsInstance(items[0], H.ResponseError)
            self.assertIn('connection closed', str(items[0]))

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(['length', 'chunked', 'none', 'interim']),
                              st.binary(max_size=40),
                              st.lists(st.integers(min_value=1, max_value=9), max_size=4),
                              st.sampled_from(['OK', 'Service Unavailable', '', 'Not Found'])),
                    max_size=5),
           st.booleans(),
           st.lists(st.integers(min_value=0, max_value=10 ** 6), max_size=12))
    def test_split_points_do_not_matter(self, responses, close_last, cuts):
        """Valid response streams give the same, complete responses at any split points."""
        data, expected = b'', []
        for kind, body, sizes, reason in responses:
            status = '200 ' + reason if reason else '200'
            if kind == 'length':
                data += response(status, ['Content-Length: %d' % len(body)], body)
                expected.append(body)
            elif kind == 'chunked':
                data += response(status, ['Transfer-Encoding: chunked'], chunked(body, sizes))
                expected.append(body)
            elif kind == 'none':
                data += response('204 No Content')
                expected.append(None)
            else:
                data += response('100 Continue')
        if close_last:
            data += response('200 OK', ['X-Last: yes'], b'to the end')
            expected.append(b'to the end')
        whole = parse_all([data])
        self.assertEqual([getattr(i, 'body', i) for i in whole], expected)
        self.assertEqual(parse_all(split(data, cuts)), whole)
        self.assertEqual(parse_all([data[i:i + 1] for i in range(len(data))]), whole)

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.sampled_from([b'HTTP/1.1 ', b'HTTP/1.0 ', b'200', b'100', b'204',
                                     b' OK', b'\r\n', b'\n', b'\r', b':', b' ', b'\t', b'0',
                                     b'5', b'a', b'Content-Length', b'Transfer-Encoding',
                                     b'chunked', b',', b';', b'\x00', b'\xff', b'X']),
                    max_size=40),
           st.binary(max_size=60),
           st.lists(st.integers(min_value=0, max_value=400), max_size=6))
    def test_arbitrary_bytes(self, tokens, noise, cuts):
        """Any bytes give only ParsedResponse/ResponseError items, the same at any split points."""
        for data in (b''.join(tokens), noise, b''.join(tokens) + noise):
            whole = parse_all([data])
            for i, item in enumerate(whole):
                self.assertIsInstance(item, (H.ParsedResponse, H.ResponseError))
                if isinstance(item, H.ResponseError):
                    self.assertEqual(i, len(whole) - 1)
            self.assertEqual(parse_all(split(data, cuts)), whole)


class MessageTests(unittest.SynchronousTestCase):

    def parsed(self, body, content_type='application/json', status=200, reason='OK',
               http='HTTP/1.1'):
        header = {} if content_type is None else {'Content-Type': content_type}
        return H.ParsedResponse(http, status, reason, header, body)

    def test_plain_mode_gives_http_response(self):
        """Without layer_cake_json every response is an HttpResponse with the raw body."""
        body = lc.CodecJson().encode(Xy(), lc.def_type(Xy)).encode()
        for parsed in (self.parsed(body), self.parsed(b'<p>', 'text/html', 503,
                                                      'Service Unavailable', 'HTTP/1.0')):
            m = H.response_to_message(parsed, False)
            self.assertIsInstance(m, lc.HttpResponse)
            self.assertEqual((m.http, m.status_code, m.reason_phrase, m.header),
                             (parsed.http, parsed.status_code, parsed.reason_phrase,
                              parsed.header))
            self.assertIsInstance(m.body, bytearray)
            self.assertEqual(m.body, parsed.body)

    def test_no_body_is_none(self):
        """An empty or absent body becomes body None in the HttpResponse."""
        for body in (b'', None):
            m = H.response_to_message(self.parsed(body, 'text/plain'), False)
            self.assertIsNone(m.body)
            m = H.response_to_message(self.parsed(body, 'text/plain'), True)
            self.assertIsNone(m.body)

    def test_typed_message(self):
        """With layer_cake_json a JSON body encoded as Any gives the registered message."""
        body = lc.CodecJson().encode(Xy(3, 4), lc.Any())
        m = H.response_to_message(self.parsed(body.encode()), True)
        self.assertIsInstance(m, Xy)
        self.assertEqual((m.x, m.y), (3, 4))

    def test_typed_table_is_a_pair(self):
        """A constructed type like list[list[float]] is delivered as its (value, portable) pair."""
        body = b'{"value": ["vector<vector<float8>>", [[0.25]], []]}'
        m = H.response_to_message(self.parsed(body), True)
        self.assertEqual(m, ([[0.25]], lc.def_type(list[list[float]])))
        self.assertIs(m[1], lc.def_type(list[list[float]]))
        self.assertEqual(registry.cast_back(m), ([[0.25]], lc.def_type(list[list[float]])))

    def test_status_is_ignored_for_json(self):
        """A JSON fault on a 500 (or 503 with a long reason) is delivered as the typed fault."""
        body = lc.CodecJson().encode(lc.Busy(condition='full'), lc.Any()).encode()
        for status, reason in ((500, 'Server Error'), (503, 'Service Unavailable')):
            m = H.response_to_message(self.parsed(body, status=status, reason=reason), True)
            self.assertIsInstance(m, lc.Busy)
            self.assertEqual(m.condition, 'full')

    def test_content_type_parameters_and_case(self):
        """application/json is recognised in any case and with parameters."""
        body = lc.CodecJson().encode(Xy(), lc.Any()).encode()
        for ct in ('Application/JSON; charset=utf-8', ' application/json ;q=1'):
            self.assertIsInstance(H.response_to_message(self.parsed(body, ct), True), Xy)
        parsed = H.ParsedResponse('HTTP/1.1', 200, 'OK', {'content-type': 'application/json'},
                                  body)
        self.assertIsInstance(H.response_to_message(parsed, True), Xy)

    def test_other_content_types_pass_through(self):
        """With layer_cake_json a text/plain (or untyped) response arrives as HttpResponse."""
        for ct in ('text/plain', 'application/jsonx', None):
            m = H.response_to_message(self.parsed(b'hello', ct, 404, 'Not Found'), True)
            self.assertIsInstance(m, lc.HttpResponse)
            self.assertEqual((m.status_code, m.reason_phrase, m.body),
                             (404, 'Not Found', bytearray(b'hello')))

    def test_bad_json_is_a_local_500(self):
        """Invalid JSON, a non-shipment, a null value or no body give a local 500 with a reason."""
        for body in (b'{not json', b'[1, 2]', b'{"value": 5}', b'{"value": null}',
                     b'\xff\xfe\x00', b'', None, b'{"value": ["vector<integer8>", "x", []]}'):
            m = H.response_to_message(self.parsed(body), True)
            self.assertIsInstance(m, lc.HttpResponse)
            self.assertEqual((m.status_code, m.reason_phrase), (500, 'Server Error'))
            self.assertIsInstance(m.body, bytearray)
            self.assertTrue(m.body.decode('utf-8'))

    def test_other_versions_are_a_local_500(self):
        """With layer_cake_json a response that is not HTTP/1.1 gives a local 500."""
        body = lc.CodecJson().encode(Xy(), lc.Any()).encode()
        m = H.response_to_message(self.parsed(body, http='HTTP/1.0'), True)
        self.assertEqual((m.status_code, m.reason_phrase), (500, 'Server Error'))
        self.assertIn(b'HTTP/1.0', m.body)

    def test_unknown_type_is_incognito(self):
        """A JSON value of a type not loaded here arrives as an Incognito, not an error."""
        body = b'{"value": ["elsewhere.Thing", {"a": 1}, []]}'
        m = H.response_to_message(self.parsed(body), True)
        self.assertIsInstance(m, lc.Incognito)
        self.assertEqual(m.type_name, 'elsewhere.Thing')

    def test_local_responses(self):
        """error_response and overflow_response are the local 500 and 400 of §6."""
        e = H.error_response('it broke: é')
        self.assertEqual((e.http, e.status_code, e.reason_phrase, e.body),
                         ('HTTP/1.1', 500, 'Server Error', bytearray('it broke: é'.encode())))
        o = H.overflow_response()
        self.assertEqual((o.status_code, o.reason_phrase, o.body),
                         (400, 'Client Error', bytearray(b'Request queue overflow')))
        self.assertEqual(H.CLIENT_QUEUE_LIMIT, 256)

    def test_round_trip_through_parser(self):
        """A server's table reply, read by the parser at any split, decodes to the pair."""
        table = [[0.25, 0.75], [0.5, 0.125], [1.0, 2.0]]
        body = lc.CodecJson().encode(lc.cast_to(table, list[list[float]]), lc.Any()).encode()
        data = response('200 OK', ['Content-Type: application/json',
                                   'Content-Length: %d' % len(body)], body)
        for pieces in ([data], [data[i:i + 7] for i in range(0, len(data), 7)]):
            items = parse_all(pieces, lost=False)
            self.assertEqual(len(items), 1)
            m = H.response_to_message(items[0], True)
            self.assertEqual(m, (table, lc.def_type(list[list[float]])))
