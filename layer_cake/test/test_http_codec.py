"""The sans-IO HTTP server: request parsing, requests to messages, answers to responses.

network.md §5.1-§5.5 and the parts of §17 items 13-17 that live in the codec
(the socket-level halves are in test_http_server).
"""

import enum
import json
import re

from hypothesis import given, settings, strategies as st
from twisted.trial import unittest

import layer_cake as lc
from layer_cake.net import http_codec as H
from layer_cake.net.http_client_codec import ResponseParser


class Xy(object):
    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


class Tone(enum.Enum):
    LOW = 1
    HIGH = 2


class Mixed(object):
    def __init__(self, text: str = 'none', numbers: list[int] = None, ratio: float = 0.0,
                 flag: bool = False, tone: Tone = Tone.LOW, where: lc.HostPort = None):
        self.text = text
        self.numbers = numbers
        self.ratio = ratio
        self.flag = flag
        self.tone = tone
        self.where = where


class Unsendable(object):
    def __init__(self, thing: lc.Any = None):
        self.thing = thing


lc.bind(Xy)
lc.bind(Tone)
lc.bind(Mixed)
lc.bind(Unsendable)

TABLE = {'Xy': Xy, 'Mixed': Mixed}
table_type = lc.def_type(list[list[float]])
DATE = re.compile(r'[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} '
                  r'GMT\Z')


def request(line=b'GET /Xy HTTP/1.1', header=(b'Host: a',), body=b''):
    """The bytes of one request: a line, header lines and a body."""
    return b'\r\n'.join([line] + list(header)) + b'\r\n\r\n' + body


def feed_in(data, sizes):
    """The items of a fresh parser fed ``data`` in pieces of the given sizes (then the rest)."""
    parser = H.RequestParser()
    items, at = [], 0
    for size in sizes:
        items.extend(parser.feed(data[at:at + size]))
        at += size
    items.extend(parser.feed(data[at:]))
    return items


def parse(data):
    """The items of a fresh parser fed ``data`` at once."""
    return H.RequestParser().feed(data)


def one(data):
    """The one item ``data`` gives."""
    items = parse(data)
    assert len(items) == 1, items
    return items[0]


def parsed(method='GET', uri='/Xy', http='HTTP/1.1', header=None, body=None):
    return H.ParsedRequest(method, uri, http, {} if header is None else header, body)


def split_response(data):
    """(status, reason, [(name, value)], body) of response bytes, checking the framing.

    The client's response parser must read the same bytes as one response
    with the same status and body.
    """
    head, gap, body = data.partition(b'\r\n\r\n')
    assert gap, 'no end of header'
    lines = head.decode('utf-8').split('\r\n')
    version, status, reason = lines[0].split(' ', 2)
    assert version == 'HTTP/1.1', lines[0]
    fields = [tuple(line.split(': ', 1)) for line in lines[1:]]
    lengths = [v for n, v in fields if n.lower() == 'content-length']
    if lengths:
        assert lengths == [str(len(body))], (lengths, len(body))
    else:
        assert body == b'', body
    read = ResponseParser().feed(data)
    assert len(read) == 1, read
    assert read[0].status_code == int(status), read
    assert (read[0].body or b'') == body, read
    return int(status), reason, fields, body


def field(fields, name):
    """The one value of a field (case-insensitive), failing on none or several."""
    found = [v for n, v in fields if n.lower() == name.lower()]
    assert len(found) == 1, (name, fields)
    return found[0]


def has_field(fields, name):
    return any(n.lower() == name.lower() for n, _ in fields)


class ParserTests(unittest.SynchronousTestCase):
    """Well-formed requests."""

    def test_simple_get(self):
        """A GET gives method, URI, version, header and no body."""
        item = one(request(b'GET /Xy?x=1 HTTP/1.1', [b'Host: a', b'Accept: */*']))
        self.assertEqual(item, parsed('GET', '/Xy?x=1', 'HTTP/1.1',
                                      {'Host': 'a', 'Accept': '*/*'}, None))

    def test_header_lookup_ignores_case(self):
        """get_header finds a field by any case of its name; absent fields give None."""
        item = one(request(header=[b'Content-Type: application/json']))
        self.assertEqual(item.get_header('content-type'), 'application/json')
        self.assertEqual(item.get_header('CONTENT-TYPE'), 'application/json')
        self.assertIsNone(item.get_header('Accept'))

    def test_last_duplicate_wins(self):
        """A name repeated in any case keeps the last value under the last spelling."""
        item = one(request(header=[b'X-A: 1', b'Host: h', b'x-a: 2', b'X-B: 3', b'X-B: 4']))
        self.assertEqual(item.header, {'Host': 'h', 'x-a': '2', 'X-B': '4'})

    def test_value_white_space_trimmed(self):
        """Optional white space around a value is not part of it; inner space is."""
        item = one(request(header=[b'X-A: \t one two \t', b'X-B:three']))
        self.assertEqual(item.header, {'X-A': 'one two', 'X-B': 'three'})

    def test_non_ascii_value(self):
        """Values are read as UTF-8, else as ISO-8859-1, never refused."""
        item = one(request(header=['X-A: caf\u00e9'.encode('utf-8'), b'X-B: caf\xe9']))
        self.assertEqual(item.header, {'X-A': 'caf\u00e9', 'X-B': 'caf\u00e9'})

    def test_body_none_without_length(self):
        """No Content-Length and no chunked coding: the body is None."""
        self.assertIsNone(one(request()).body)

    def test_zero_length_body(self):
        """Content-Length: 0 gives an empty body, not None."""
        self.assertEqual(one(request(header=[b'Content-Length: 0'])).body, b'')

    def test_content_length_body(self):
        """Exactly Content-Length bytes are the body."""
        item = one(request(b'POST /Xy HTTP/1.1', [b'content-length: 7'], b'x=3&y=4'))
        self.assertEqual(item.body, b'x=3&y=4')

    def test_chunked_body(self):
        """Chunks (with extensions and a trailer) are joined; trailer fields are not header."""
        data = request(b'POST /Xy HTTP/1.1', [b'Transfer-Encoding: Chunked'],
                       b'3;name=value\r\nx=3\r\n0004\r\n&y=4\r\n0\r\nX-Trailer: t\r\n\r\n')
        item = one(data)
        self.assertEqual(item.body, b'x=3&y=4')
        self.assertEqual(item.header, {'Transfer-Encoding': 'Chunked'})

    def test_chunked_empty_body(self):
        """A chunked body with only the last chunk is empty, not None."""
        item = one(request(header=[b'Transfer-Encoding: chunked'], body=b'0\r\n\r\n'))
        self.assertEqual(item.body, b'')

    def test_chunked_bare_lf(self):
        """Chunk lines may end with a bare LF."""
        item = one(b'POST /Xy HTTP/1.1\nTransfer-Encoding: chunked\n\n2\nab\n0\n\n')
        self.assertEqual(item.body, b'ab')

    def test_bare_lf(self):
        """Lines ending with a bare LF are read like CRLF lines."""
        item = one(b'GET /Xy HTTP/1.1\nHost: a\nContent-Length: 2\n\nok')
        self.assertEqual(item, parsed('GET', '/Xy', 'HTTP/1.1',
                                      {'Host': 'a', 'Content-Length': '2'}, b'ok'))

    def test_leading_empty_lines_skipped(self):
        """Empty lines before a request line are skipped (RFC 7230 §3.5)."""
        items = parse(b'\r\n\n\r\n' + request() + b'\r\n' + request(b'GET /B HTTP/1.1'))
        self.assertEqual([i.uri for i in items], ['/Xy', '/B'])

    def test_pipelined_requests(self):
        """Back-to-back requests all come out, in order, bodies kept apart."""
        data = (request(b'POST /A HTTP/1.1', [b'Content-Length: 3'], b'one') +
                request(b'GET /B HTTP/1.1') +
                request(b'POST /C HTTP/1.1', [b'Transfer-Encoding: chunked'],
                        b'3\r\ntwo\r\n0\r\n\r\n'))
        items = parse(data)
        self.assertEqual([(i.uri, i.body) for i in items],
                         [('/A', b'one'), ('/B', None), ('/C', b'two')])

    def test_incomplete_request_waits(self):
        """Nothing comes out until a request is complete, and then it does."""
        parser = H.RequestParser()
        data = request(b'POST /Xy HTTP/1.1', [b'Content-Length: 4'], b'abcd')
        self.assertEqual(parser.feed(data[:-1]), [])
        self.assertEqual([i.body for i in parser.feed(data[-1:])], [b'abcd'])

    def test_keep_alive(self):
        """HTTP/1.1 stays open unless 'close'; HTTP/1.0 only with 'keep-alive'."""
        cases = [('HTTP/1.1', None, True), ('HTTP/1.1', 'close', False),
                 ('HTTP/1.1', 'Keep-Alive, Close', False), ('HTTP/1.1', 'keep-alive', True),
                 ('HTTP/1.0', None, False), ('HTTP/1.0', 'Keep-Alive', True),
                 ('HTTP/1.0', 'close', False)]
        for http, connection, expected in cases:
            header = {} if connection is None else {'connection': connection}
            self.assertEqual(parsed(http=http, header=header).keep_alive, expected,
                             (http, connection))

    def test_limits_are_the_spec_values(self):
        """The limits are those of network.md §14."""
        self.assertEqual((H.METHOD_LIMIT, H.URI_LIMIT, H.VERSION_LIMIT, H.NAME_LIMIT,
                          H.VALUE_LIMIT, H.BODY_LIMIT), (10, 8000, 16, 128, 1024, 262144))
        self.assertEqual(H.LIMITS['body'], 262144)

    def test_largest_allowed_fields(self):
        """A 10-character method, 8000-character URI, 128/1024 field and full body pass."""
        uri = b'/' + b'u' * 7999
        data = request(b'ABCDEFGHIJ ' + uri + b' HTTP/1.1',
                       [b'N' * 128 + b': ' + b'v' * 1024,
                        b'Content-Length: %d' % (H.BODY_LIMIT,)], b'b' * H.BODY_LIMIT)
        item = one(data)
        self.assertEqual((item.method, len(item.uri), len(item.body)),
                         ('ABCDEFGHIJ', 8000, H.BODY_LIMIT))

    def test_identical_content_lengths(self):
        """Repeated Content-Length fields that agree frame the body once."""
        item = one(request(header=[b'Content-Length: 2', b'Content-Length: 2, 2'], body=b'ok'))
        self.assertEqual(item.body, b'ok')


class ParserErrorTests(unittest.SynchronousTestCase):
    """Malformed and oversized requests: one error item, the connection to close."""

    def assertError(self, data, status, text=None):
        """``data`` gives exactly one item, an error with ``status`` that closes."""
        item = one(data)
        self.assertIsInstance(item, H.HttpError)
        self.assertEqual((item.status, item.close), (status, True), item)
        if text is not None:
            self.assertIn(text, item.reason)
        return item

    def test_request_line_parts(self):
        """A request line of other than three space-separated parts is a 400."""
        for line in [b'GET /Xy', b'GET', b'GET /Xy HTTP/1.1 more', b'GET  /Xy HTTP/1.1',
                     b' GET /Xy HTTP/1.1', b'GET /Xy HTTP/1.1 ', b'GET\t/Xy\tHTTP/1.1']:
            self.assertError(request(line), 400)

    def test_garbage_request_line(self):
        """Control bytes in a request line (item 15's garbage) give a 400."""
        self.assertError(b'\x01\x02 garbage\r\n\r\n', 400)
        self.assertError(b'\x01\x02 garbage HTTP/1.1\r\n\r\n', 400)

    def test_bad_method_characters(self):
        """A method that is not a token is a 400."""
        for method in [b'G(T', b'G\x00T', b'GE\xc3\xa9', b'G/T']:
            self.assertError(request(method + b' /Xy HTTP/1.1'), 400)

    def test_method_too_long(self):
        """A method over 10 characters is a 400."""
        self.assertError(request(b'ABCDEFGHIJK /Xy HTTP/1.1'), 400, 'method')

    def test_uri_too_long(self):
        """A URI over 8000 characters is a 414."""
        self.assertError(request(b'GET /' + b'u' * 8000 + b' HTTP/1.1'), 414)

    def test_unterminated_request_line(self):
        """A request line that grows without an end is refused (414) before it ends."""
        parser = H.RequestParser()
        items = []
        for _ in range(9):
            items.extend(parser.feed(b'GET /' + b'u' * 1000))
        self.assertEqual([(i.status, i.close) for i in items], [(414, True)])
        self.assertEqual(len(parser._buffer), 0)
        self.assertTrue(items[0].uri.startswith('/uuu'))

    def test_bad_uri(self):
        """Control characters or bytes that are not UTF-8 in the URI give a 400."""
        self.assertError(request(b'GET /X\x7fy HTTP/1.1'), 400)
        self.assertError(request(b'GET /X\xffy HTTP/1.1'), 400, 'UTF-8')

    def test_bad_versions(self):
        """A version that is not HTTP/d.d, or over 16 characters, is a 400."""
        for version in [b'HTTP/1', b'http/1.1', b'HTTQ/1.1', b'HTTP/1.1x', b'1.1',
                        b'HTTP/11.1', b'HTTP/1.1' + b'0' * 9]:
            self.assertError(request(b'GET /Xy ' + version), 400)
        self.assertError(request(b'GET /Xy HTTP/1.1' + b'0' * 9), 400, 'version over 16')

    def test_other_major_version(self):
        """An HTTP version other than 1.x is refused with 505."""
        self.assertError(request(b'GET /Xy HTTP/2.0'), 505)

    def test_header_without_colon(self):
        """A header line without a colon is a 400."""
        self.assertError(request(header=[b'Host a']), 400, 'colon')

    def test_bad_header_names(self):
        """A header name that is not a token (including white space before the colon) is a 400."""
        for line in [b'Ho st: a', b'Host : a', b': a', b'H(o): a', b'H\xc3\xa9: a']:
            self.assertError(request(header=[line]), 400)

    def test_obsolete_folding(self):
        """A continuation line (obs-fold) is a 400, never joined."""
        self.assertError(request(header=[b'X-A: one', b' two']), 400, 'folding')

    def test_control_characters_in_value(self):
        """A control character other than HTAB in a value is a 400."""
        self.assertError(request(header=[b'X-A: a\x00b']), 400)
        self.assertError(request(header=[b'X-A: a\rb']), 400)

    def test_header_name_too_long(self):
        """A header name over 128 characters is a 431."""
        self.assertError(request(header=[b'N' * 129 + b': v']), 431)

    def test_header_value_too_long(self):
        """A header value over 1024 characters is a 431."""
        self.assertError(request(header=[b'X-A: ' + b'v' * 1025]), 431)

    def test_unterminated_header_line(self):
        """A header line that grows without an end is refused (431) before it ends."""
        parser = H.RequestParser()
        items = parser.feed(b'GET /Xy HTTP/1.1\r\nX-A: ')
        for _ in range(5):
            items.extend(parser.feed(b'v' * 1000))
        self.assertEqual([(i.status, i.close, i.uri) for i in items], [(431, True, '/Xy')])

    def test_too_many_header_lines(self):
        """100 header lines are accepted, 101 are a 431."""
        lines = [b'X-%d: v' % (i,) for i in range(100)]
        self.assertIsInstance(one(request(header=lines)), H.ParsedRequest)
        self.assertError(request(header=lines + [b'X-A: v']), 431, 'lines')

    def test_header_block_too_large(self):
        """A header block over 64 KiB of allowed lines is a 431."""
        lines = [b'X-%d: ' % (i,) + b'v' * 1000 for i in range(70)]
        self.assertError(request(header=lines), 431, 'block')

    def test_bad_content_length(self):
        """A Content-Length that is not a non-negative integer, or disagrees, is a 400."""
        for value in [b'-1', b'abc', b'1.5', b'', b'+5', b'0x10', b'1 2', b'1,2']:
            self.assertError(request(header=[b'Content-Length: ' + value]), 400)
        self.assertError(request(header=[b'Content-Length: 1', b'Content-Length: 2'],
                                 body=b'ab'), 400)

    def test_body_over_limit_refused_before_body(self):
        """A Content-Length over 256 KiB is a 413 as soon as the header ends."""
        parser = H.RequestParser()
        head = request(b'POST /Xy HTTP/1.1', [b'Content-Length: %d' % (H.BODY_LIMIT + 1,)])
        items = parser.feed(head)
        self.assertEqual([(i.status, i.close, i.uri) for i in items], [(413, True, '/Xy')])
        self.assertEqual(parser.feed(b'x' * 1000), [])

    def test_large_body_not_stored(self):
        """A 300 KB body sent with its header is not buffered after the 413."""
        parser = H.RequestParser()
        data = request(b'POST /Xy HTTP/1.1', [b'Content-Length: 300000'], b'x' * 300000)
        items = parser.feed(data)
        self.assertEqual([i.status for i in items], [413])
        self.assertEqual((len(parser._buffer), len(parser._body)), (0, 0))
        self.assertTrue(parser.dead)

    def test_chunked_over_limit(self):
        """Chunks adding up to more than 256 KiB are a 413, before the excess arrives."""
        half = H.BODY_LIMIT // 2
        chunk = b'%x\r\n' % (half,) + b'c' * half + b'\r\n'
        parser = H.RequestParser()
        items = parser.feed(request(b'POST /Xy HTTP/1.1', [b'Transfer-Encoding: chunked'],
                                    chunk + chunk + b'1\r\n'))
        self.assertEqual([(i.status, i.close) for i in items], [(413, True)])
        self.assertError(request(header=[b'Transfer-Encoding: chunked'],
                                 body=b'ffffffffff\r\n'), 413)

    def test_chunked_at_limit(self):
        """A chunked body of exactly 256 KiB is accepted."""
        body = b'%x\r\n' % (H.BODY_LIMIT,) + b'c' * H.BODY_LIMIT + b'\r\n0\r\n\r\n'
        item = one(request(header=[b'Transfer-Encoding: chunked'], body=body))
        self.assertEqual(len(item.body), H.BODY_LIMIT)

    def test_bad_chunks(self):
        """A malformed chunk size, a missing line end after data or a long size line is a 400."""
        te = [b'Transfer-Encoding: chunked']
        self.assertError(request(header=te, body=b'xyz\r\n'), 400, 'chunk size')
        self.assertError(request(header=te, body=b'-1\r\n'), 400)
        self.assertError(request(header=te, body=b'2\r\nabX\r\n'), 400, 'line end')
        self.assertError(request(header=te, body=b'2\r\nab\rX'), 400, 'line end')
        self.assertError(request(header=te, body=b'1;' + b'e' * 2000), 400, 'chunk size line')

    def test_bad_trailer(self):
        """A trailer line is checked like a header line."""
        te = [b'Transfer-Encoding: chunked']
        self.assertError(request(header=te, body=b'0\r\nno colon\r\n\r\n'), 400)

    def test_transfer_codings(self):
        """TE with CL, chunked not last, or an unknown coding are refused."""
        self.assertError(request(header=[b'Transfer-Encoding: chunked', b'Content-Length: 1'],
                                 body=b'0\r\n\r\n'), 400, 'both')
        self.assertError(request(header=[b'Transfer-Encoding: chunked, gzip']), 400, 'final')
        self.assertError(request(header=[b'Transfer-Encoding: gzip, chunked']), 501)

    def test_nothing_after_an_error(self):
        """After an error the parser yields nothing more, even for good requests."""
        parser = H.RequestParser()
        items = parser.feed(request(b'GET /Xy') + request())
        self.assertEqual([type(i) for i in items], [H.HttpError])
        self.assertEqual(parser.feed(request()), [])

    def test_requests_before_an_error_come_out(self):
        """Requests before a malformed one are delivered, then the error."""
        items = parse(request() + request(b'GET /B HTTP/1.1', [b'bad']) + request())
        self.assertEqual([type(i) for i in items], [H.ParsedRequest, H.HttpError])
        self.assertEqual(items[1].uri, '/B')

    def test_limit_errors_do_not_depend_on_pieces(self):
        """Over-long lines give the same error whole, byte by byte and in odd pieces."""
        cases = [
            request(b'GET /' + b'u' * 9000 + b' HTTP/1.1'),
            request(b'G' * 9000 + b' /Xy HTTP/1.1'),
            request(header=[b'X-A: ' + b'v' * 2000]),
            request(header=[b'N' * 200 + b': v']),
            request(header=[b'X-%d: ' % (i,) + b'v' * 1000 for i in range(70)]),
            request(header=[b'X-%d: ' % (i,) + b'v' * 600 for i in range(110)]),
            request(header=[b'Transfer-Encoding: chunked'], body=b'1' * 2000),
        ]
        for data in cases:
            whole = parse(data)
            self.assertEqual(len(whole), 1)
            self.assertIsInstance(whole[0], H.HttpError)
            self.assertEqual(feed_in(data, [1] * len(data)), whole)
            self.assertEqual(feed_in(data, [7, 1, 300, 4096, 13] * 50), whole)


def _stream_pieces():
    """Requests and fragments, good and bad, to be joined into streams."""
    te = [b'Transfer-Encoding: chunked']
    return [
        request(),
        request(b'POST /Xy HTTP/1.1', [b'Content-Length: 7'], b'x=3&y=4'),
        request(b'POST /Xy HTTP/1.0', [b'Connection: keep-alive', b'Content-Length: 0']),
        request(b'POST /C HTTP/1.1', te, b'3;e\r\nabc\r\n1\r\nd\r\n0\r\nT: 1\r\n\r\n'),
        b'GET /Xy?x=1 HTTP/1.1\nHost: a\n\n',
        b'\r\n',
        request(b'GET /Xy'),
        request(header=[b'Host a']),
        request(header=[b'Content-Length: -1']),
        request(header=[b'Content-Length: 262145']),
        request(header=[b'X-A: ' + b'v' * 1100]),
        request(b'GET /' + b'u' * 8100 + b' HTTP/1.1'),
        request(header=te, body=b'zz\r\n'),
        b'\x00\xff garbage',
    ]


class ParserPropertyTests(unittest.SynchronousTestCase):
    """Properties over random streams and random split points."""

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(_stream_pieces()), min_size=1, max_size=6),
           st.lists(st.integers(min_value=0, max_value=20000), max_size=10))
    def test_split_points_do_not_matter(self, pieces, cuts):
        """Feeding the same bytes in any pieces gives the same items."""
        data = b''.join(pieces)
        points = sorted(set(c % (len(data) + 1) for c in cuts))
        sizes = [b - a for a, b in zip([0] + points, points)]
        self.assertEqual(feed_in(data, sizes), parse(data))

    @settings(max_examples=500, deadline=None)
    @given(st.binary(max_size=600), st.lists(st.integers(min_value=0, max_value=600),
                                              max_size=8))
    def test_arbitrary_bytes(self, data, cuts):
        """Arbitrary bytes never raise: requests, then at most one closing error, last."""
        points = sorted(set(c % (len(data) + 1) for c in cuts))
        sizes = [b - a for a, b in zip([0] + points, points)]
        items = feed_in(data, sizes)
        self.assertEqual(items, parse(data))
        for item in items[:-1]:
            self.assertIsInstance(item, H.ParsedRequest)
        if items and isinstance(items[-1], H.HttpError):
            self.assertTrue(items[-1].close)
            self.assertIn(items[-1].status, (400, 413, 414, 431, 501, 505))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from([
        b'GET ', b'POST ', b'/Xy', b'?x=1', b' HTTP/1.1', b' HTTP/1.0', b'\r\n', b'\n', b'\r',
        b'Host: a', b'Content-Length: 3', b'Content-Length: 0', b'Transfer-Encoding: chunked',
        b'Connection: close', b'3\r\nabc\r\n', b'0\r\n', b':', b' ', b'\t', b'abc', b'\x00',
        b'\xff']), max_size=30),
        st.lists(st.integers(min_value=0, max_value=300), max_size=8))
    def test_near_http_streams(self, words, cuts):
        """Streams of HTTP-like fragments never raise and do not depend on split points."""
        data = b''.join(words)
        points = sorted(set(c % (len(data) + 1) for c in cuts))
        sizes = [b - a for a, b in zip([0] + points, points)]
        items = feed_in(data, sizes)
        self.assertEqual(items, parse(data))
        self.assertTrue(all(isinstance(i, H.ParsedRequest) for i in items[:-1]))


class MessageTests(unittest.SynchronousTestCase):
    """Requests to messages (§5.2)."""

    def convert(self, uri, method='GET', content_type=None, body=None, table=TABLE,
                default=True):
        header = {} if content_type is None else {'Content-Type': content_type}
        return H.request_to_message(parsed(method, uri, 'HTTP/1.1', header, body), table,
                                    default)

    def assertRefused(self, status, text, *args, **kw):
        """The request is refused with ``status`` (connection kept) and ``text`` in the reason."""
        e = self.assertRaises(H.HttpError, self.convert, *args, **kw)
        self.assertEqual((e.status, e.close), (status, False), e)
        self.assertIn(text, e.reason)
        return e

    def assertXy(self, m, x, y):
        self.assertIsInstance(m, Xy)
        self.assertEqual((m.x, m.y), (x, y))

    def test_equivalent_requests(self):
        """Item 14: query, path prefix, form body and JSON body all give Xy(3, 4)."""
        self.assertXy(self.convert('/Xy?x=3&y=4'), 3, 4)
        self.assertXy(self.convert('/api/v1/Xy?x=3&y=4'), 3, 4)
        self.assertXy(self.convert('/Xy', 'POST', 'application/x-www-form-urlencoded',
                                   b'x=3&y=4'), 3, 4)
        self.assertXy(self.convert('/Xy', 'POST', 'application/json',
                                   b'{"value": {"x": 3, "y": 4}}'), 3, 4)

    def test_empty_query_gives_defaults(self):
        """Item 14: GET /Xy? gives Xy() with its defaults."""
        self.assertXy(self.convert('/Xy?'), 1, 1)

    def test_partial_query_keeps_defaults(self):
        """Members not in the query keep their defaults."""
        self.assertXy(self.convert('/Xy?y=9'), 1, 9)

    def test_method_not_checked_for_queries(self):
        """GET and POST both take a query."""
        self.assertXy(self.convert('/Xy?x=2', 'POST'), 2, 1)

    def test_empty_items_skipped(self):
        """Empty items between '&' are skipped."""
        self.assertXy(self.convert('/Xy?&x=2&&y=5&'), 2, 5)

    def test_name_is_after_the_last_slash_of_the_path(self):
        """The name ends at '?'; a '/' in the query does not move it."""
        m = self.convert('/a/b/Mixed?text=a/b')
        self.assertIsInstance(m, Mixed)
        self.assertEqual(m.text, 'a/b')

    def test_argument_rules(self):
        """Strings verbatim (unquoted, '+' a space); others as JSON fragments; enums by name."""
        m = self.convert('/Mixed?text=two+words%21&numbers=%5B1%2C2%5D&ratio=2.5&flag=true'
                         '&tone=HIGH&where=%7B%22host%22%3A%22h%22%2C%22port%22%3A1%7D')
        self.assertEqual((m.text, m.numbers, m.ratio, m.flag, m.tone),
                         ('two words!', [1, 2], 2.5, True, Tone.HIGH))
        self.assertEqual((m.where.host, m.where.port), ('h', 1))

    def test_string_taken_verbatim(self):
        """A string value is not read as JSON, quotes and all."""
        self.assertEqual(self.convert('/Mixed?text=%221%22').text, '"1"')
        self.assertEqual(self.convert('/Mixed?text=').text, '')

    def test_pair_without_equals(self):
        """Item 15: a query item without '=' is a 400."""
        self.assertRefused(400, 'x', '/Xy?x')

    def test_unknown_key(self):
        """Item 15: an unknown query key is a 400 naming the key."""
        self.assertRefused(400, 'unknown key "z"', '/Xy?z=1')

    def test_no_conversion(self):
        """Item 15: x=abc for an int is a 400 'no conversion for'."""
        self.assertRefused(400, 'no conversion for "x"', '/Xy?x=abc')
        self.assertRefused(400, 'no conversion for "tone"', '/Mixed?tone=MIDDLE')
        self.assertRefused(400, 'no conversion for "x"', '/Xy?x=%ff')

    def test_bare_get_without_content_type(self):
        """Item 15: a bare GET /Xy (no query, no content type) is a 400."""
        self.assertRefused(400, 'unexpected content type', '/Xy')

    def test_other_content_type(self):
        """A body of any other content type is a 400."""
        self.assertRefused(400, 'unexpected content type', '/Xy', 'POST', 'text/plain', b'x=1')

    def test_root_and_relative_uris(self):
        """Item 15: GET / and a URI not starting with '/' are 400s."""
        self.assertRefused(400, 'no name', '/')
        self.assertRefused(400, 'no name', 'Xy?x=1')
        self.assertRefused(400, 'no name', '')

    def test_form_body(self):
        """A form body is read like a query; an empty one gives the defaults."""
        form = 'application/x-www-form-urlencoded'
        self.assertXy(self.convert('/Xy', 'POST', form, b''), 1, 1)
        self.assertXy(self.convert('/Xy', 'POST', form, None), 1, 1)
        self.assertXy(self.convert('/Xy', 'PUT', form, b'y=7'), 1, 7)
        m = self.convert('/Mixed', 'POST', form, 'text=caf\u00e9+%C3%A9'.encode('utf-8'))
        self.assertEqual(m.text, 'caf\u00e9 \u00e9')
        self.assertRefused(400, 'unknown key', '/Xy', 'POST', form, b'z=1')
        self.assertRefused(400, 'no conversion', '/Xy', 'POST', form, b'x=abc')
        self.assertRefused(400, 'UTF-8', '/Xy', 'POST', form, b'x=\xff')

    def test_content_type_parameters_and_case(self):
        """Content types match without parameters and whatever their case."""
        self.assertXy(self.convert('/Xy', 'POST', 'Application/X-WWW-Form-Urlencoded; '
                                   'charset=utf-8', b'x=3'), 3, 1)
        self.assertXy(self.convert('/Xy', 'POST', 'application/JSON;charset=UTF-8',
                                   b'{"value": {"y": 6}}'), 1, 6)

    def test_json_body(self):
        """A JSON body is the codec encoding of the type; an empty one gives the defaults."""
        self.assertXy(self.convert('/Xy', 'POST', 'application/json', b''), 1, 1)
        self.assertXy(self.convert('/Xy', 'POST', 'application/json', None), 1, 1)
        m = self.convert('/Mixed', 'POST', 'application/json',
                         b'{"value": {"text": "t", "tone": "HIGH", "numbers": [3]}}')
        self.assertEqual((m.text, m.tone, m.numbers), ('t', Tone.HIGH, [3]))

    def test_json_body_needs_post(self):
        """Item 15: a JSON body with GET (or PUT) is a 400."""
        self.assertRefused(400, 'POST', '/Xy', 'GET', 'application/json', b'{"value": {}}')
        self.assertRefused(400, 'POST', '/Xy', 'PUT', 'application/json', b'')

    def test_bad_json_body(self):
        """A body that is not the type's encoding is a 400."""
        for body in [b'{', b'[1]', b'{"x": 1}', b'{"value": {"x": "abc"}}', b'{"value": null}',
                     b'{"value": [1]}', b'\xff']:
            self.assertRefused(400, 'JSON', '/Xy', 'POST', 'application/json', body)

    def test_unknown_name_gives_http_request(self):
        """Item 16: an unknown name with defaulting on gives the whole HttpRequest."""
        header = {'X-Test': 'yes', 'Content-Length': '2'}
        m = H.request_to_message(parsed('PUT', '/other/Thing?a=1', 'HTTP/1.0', header, b'hi'),
                                 TABLE, True)
        self.assertIsInstance(m, lc.HttpRequest)
        self.assertEqual((m.method, m.request_uri, m.http, m.header, m.body),
                         ('PUT', '/other/Thing?a=1', 'HTTP/1.0', header, bytearray(b'hi')))
        self.assertIsInstance(m.body, bytearray)
        self.assertIsNot(m.header, header)

    def test_unknown_name_without_body(self):
        """An HttpRequest for a request without a body has body None."""
        m = self.convert('/Thing')
        self.assertIsInstance(m, lc.HttpRequest)
        self.assertIsNone(m.body)

    def test_unknown_name_without_defaulting(self):
        """Item 16: an unknown name with defaulting off is a 404."""
        self.assertRefused(404, 'Thing', '/Thing?a=1', default=False)

    def test_errors_name_the_uri(self):
        """The error carries the request URI for the fault's condition."""
        self.assertEqual(self.assertRefused(400, 'unknown key', '/Xy?z=1').uri, '/Xy?z=1')


class ResponseTests(unittest.SynchronousTestCase):
    """Answers to responses (§5.3)."""

    def test_table(self):
        """Item 13: a table answer is a 200 JSON Any with the signature and the table."""
        data = H.response_bytes(lc.cast_to([[0.25, 0.75], [0.5, 0.125]], table_type))
        status, reason, fields, body = split_response(data)
        self.assertEqual((status, reason), (200, 'OK'))
        self.assertEqual(field(fields, 'Content-Type'), 'application/json')
        self.assertEqual(field(fields, 'Server'), 'Layer-Cake-API-server/1.0')
        self.assertTrue(DATE.match(field(fields, 'Date')), field(fields, 'Date'))
        value = json.loads(body)['value']
        self.assertEqual(value[0], 'vector<vector<float8>>')
        self.assertEqual(value[1], [[0.25, 0.75], [0.5, 0.125]])
        self.assertFalse(has_field(fields, 'Connection'))

    def test_message(self):
        """A message answer is a 200 whose JSON decodes back to the message."""
        status, _, _, body = split_response(H.response_bytes(Xy(3, 4)))
        self.assertEqual(status, 200)
        m = lc.CodecJson().decode(body, lc.Any())
        self.assertEqual((type(m), m.x, m.y), (Xy, 3, 4))

    def test_server_name(self):
        """The Server field is the name given (the REST server's, in uri_form mode)."""
        data = H.response_bytes(lc.Ack(), H.REST_SERVER)
        self.assertEqual(field(split_response(data)[2], 'Server'), 'Layer-Cake-REST-server/1.0')

    def test_close(self):
        """close=True adds Connection: close."""
        fields = split_response(H.response_bytes(lc.Ack(), close=True))[2]
        self.assertEqual(field(fields, 'Connection'), 'close')

    def test_faults(self):
        """Item 17: a fault's status is its error_code in 100-599, else 500; phrase by class."""
        cases = [(lc.Faulted('no'), 500, 'Server Error'),
                 (lc.Faulted('gone', error_code=404), 404, 'Client Error'),
                 (lc.Faulted('odd', error_code=700), 500, 'Server Error'),
                 (lc.Faulted('moved', error_code=302), 302, 'Multiple Choices'),
                 (lc.Faulted('fine', error_code=200), 200, 'OK'),
                 (lc.Faulted('down', error_code=503), 503, 'Server Error')]
        for fault, status, reason in cases:
            got, phrase, fields, body = split_response(H.response_bytes(fault))
            self.assertEqual((got, phrase), (status, reason), fault)
            self.assertEqual(field(fields, 'Content-Type'), 'application/json')
            m = lc.CodecJson().decode(body, lc.Any())
            self.assertEqual((type(m), m.condition), (lc.Faulted, fault.condition))

    def test_busy(self):
        """Item 17: Busy is a 500 whose JSON decodes to Busy."""
        status, _, _, body = split_response(H.response_bytes(lc.Busy('full')))
        self.assertEqual(status, 500)
        m = lc.CodecJson().decode(body, lc.Any())
        self.assertIsInstance(m, lc.Busy)
        self.assertEqual(m.condition, 'full')
        self.assertEqual(json.loads(body)['value'][2], [])

    def test_http_response_without_body(self):
        """Item 17: HttpResponse(201) is a 201 with Content-Length: 0 and its own fields."""
        data = H.response_bytes(lc.HttpResponse(status_code=201, reason_phrase='Created',
                                                header={'Location': '/customer/8'}))
        status, reason, fields, body = split_response(data)
        self.assertEqual((status, reason, body), (201, 'Created', b''))
        self.assertEqual(field(fields, 'Content-Length'), '0')
        self.assertEqual(field(fields, 'Location'), '/customer/8')
        self.assertTrue(has_field(fields, 'Date'))
        self.assertFalse(has_field(fields, 'Content-Type'))

    def test_text_body(self):
        """Item 17: a str body is UTF-8 text/plain."""
        status, _, fields, body = split_response(
            H.response_bytes(lc.HttpResponse(body='hi \u00e9')))
        self.assertEqual(status, 200)
        self.assertEqual(field(fields, 'Content-Type'), 'text/plain; charset=utf-8')
        self.assertEqual(body, 'hi \u00e9'.encode('utf-8'))

    def test_text_body_with_own_type(self):
        """A str body keeps the content type the application gave."""
        fields = split_response(H.response_bytes(lc.HttpResponse(
            header={'content-type': 'text/html'}, body='<p>')))[2]
        self.assertEqual(field(fields, 'Content-Type'), 'text/html')

    def test_bytes_body(self):
        """A bytes body with a Content-Type goes as it is."""
        for body in (b'\x00\x01', bytearray(b'\x00\x01')):
            status, _, fields, got = split_response(H.response_bytes(lc.HttpResponse(
                header={'Content-Type': 'application/octet-stream'}, body=body)))
            self.assertEqual((status, got), (200, b'\x00\x01'))
            self.assertEqual(field(fields, 'Content-Type'), 'application/octet-stream')

    def test_bytes_body_without_content_type(self):
        """Item 17: a bytes body without a Content-Type is a 500 saying so."""
        status, _, fields, body = split_response(
            H.response_bytes(lc.HttpResponse(body=b'\x00\x01')))
        self.assertEqual(status, 500)
        self.assertTrue(field(fields, 'Content-Type').startswith('text/plain'))
        self.assertIn(b'content type is missing', body)

    def test_value_body(self):
        """Any other body goes as JSON Any, with the response's status."""
        status, reason, fields, body = split_response(H.response_bytes(lc.HttpResponse(
            status_code=202, reason_phrase='Accepted', body=Xy(5, 6))))
        self.assertEqual((status, reason), (202, 'Accepted'))
        self.assertEqual(field(fields, 'Content-Type'), 'application/json')
        m = lc.CodecJson().decode(body, lc.Any())
        self.assertEqual((m.x, m.y), (5, 6))

    def test_framing_fields_are_the_servers(self):
        """An application's Content-Length, Transfer-Encoding and Connection are not sent."""
        data = H.response_bytes(lc.HttpResponse(body='abc', header={
            'Content-Length': '99', 'Transfer-Encoding': 'chunked', 'Connection': 'x'}))
        status, _, fields, body = split_response(data)
        self.assertEqual((field(fields, 'Content-Length'), body), ('3', b'abc'))
        self.assertFalse(has_field(fields, 'Transfer-Encoding'))
        self.assertFalse(has_field(fields, 'Connection'))

    def test_own_date_and_server(self):
        """Date and Server given by the application replace the server's own."""
        fields = split_response(H.response_bytes(lc.HttpResponse(
            header={'server': 'mine', 'date': 'Thu, 01 Jan 1970 00:00:00 GMT'})))[2]
        self.assertEqual(field(fields, 'Server'), 'mine')
        self.assertEqual(field(fields, 'Date'), 'Thu, 01 Jan 1970 00:00:00 GMT')

    def test_no_body_statuses(self):
        """204 and 304 go without a body or a Content-Length."""
        for status in (204, 304):
            data = H.response_bytes(lc.HttpResponse(status_code=status, body='dropped'))
            got, _, fields, body = split_response(data)
            self.assertEqual((got, body), (status, b''))
            self.assertFalse(has_field(fields, 'Content-Length'))

    def assertEncodingFault(self, message):
        """``message`` becomes a 500 JSON fault about the encoding."""
        status, _, fields, body = split_response(H.response_bytes(message))
        self.assertEqual(status, 500)
        self.assertEqual(field(fields, 'Content-Type'), 'application/json')
        m = lc.CodecJson().decode(body, lc.Any())
        self.assertIsInstance(m, lc.Faulted)
        self.assertEqual((m.condition, m.error_code), ('cannot encode response', 500))
        return m

    def test_unencodable_answers(self):
        """Answers the codec cannot encode become a 500 fault, never an exception."""
        self.assertEncodingFault({'a': 1})
        self.assertEncodingFault(object())
        self.assertEncodingFault(Unsendable({'a': 1}))
        self.assertEncodingFault(lc.cast_to('text', table_type))
        self.assertEncodingFault(lc.HttpResponse(body={'a': 1}))

    def test_unsafe_responses(self):
        """A status, reason or header that would break the framing becomes a 500 fault."""
        for response in [lc.HttpResponse(status_code=99), lc.HttpResponse(status_code='200'),
                         lc.HttpResponse(status_code=600),
                         lc.HttpResponse(reason_phrase='OK\r\nX-Evil: 1'),
                         lc.HttpResponse(header={'X-A': 'a\r\nX-Evil: 1'}),
                         lc.HttpResponse(header={'X A': 'a'}),
                         lc.HttpResponse(header={'X-A': None}),
                         lc.HttpResponse(header=['X-A'])]:
            self.assertEncodingFault(response)

    def test_integer_header_value(self):
        """An integer header value is sent as its digits."""
        fields = split_response(H.response_bytes(lc.HttpResponse(header={'Retry-After': 5})))[2]
        self.assertEqual(field(fields, 'Retry-After'), '5')


class ErrorResponseTests(unittest.SynchronousTestCase):
    """Error responses (§5.4)."""

    def test_error_body(self):
        """Item 15: an error is its status with a JSON Faulted naming the URI and reason."""
        data = H.error_response_bytes(H.HttpError(400, '/Xy?z=1', 'unknown key "z"'))
        status, reason, fields, body = split_response(data)
        self.assertEqual((status, reason), (400, 'Bad Request'))
        self.assertEqual(field(fields, 'Content-Type'), 'application/json')
        self.assertFalse(has_field(fields, 'Connection'))
        m = lc.CodecJson().decode(body, lc.Any())
        self.assertIsInstance(m, lc.Faulted)
        self.assertEqual((m.condition, m.explanation, m.error_code),
                         ('cannot recover request "/Xy?z=1"', 'unknown key "z"', 400))

    def test_statuses(self):
        """404, 413, 414 and 431 carry their standard phrases; close adds Connection: close."""
        for status, phrase in [(404, 'Not Found'), (413, 'Request Entity Too Large'),
                               (414, 'Request-URI Too Long'),
                               (431, 'Request Header Fields Too Large')]:
            data = H.error_response_bytes(H.HttpError(status, '/u', 'r', close=True),
                                          H.REST_SERVER)
            got, reason, fields, body = split_response(data)
            self.assertEqual((got, reason), (status, phrase))
            self.assertEqual(field(fields, 'Connection'), 'close')
            self.assertEqual(field(fields, 'Server'), H.REST_SERVER)
            self.assertEqual(lc.CodecJson().decode(body, lc.Any()).error_code, status)

    def test_long_uri_shortened(self):
        """The condition quotes at most the start of a very long URI."""
        data = H.error_response_bytes(H.HttpError(414, '/' + 'u' * 8000, 'long', True))
        m = lc.CodecJson().decode(split_response(data)[3], lc.Any())
        self.assertLess(len(m.condition), 300)
        self.assertTrue(m.condition.startswith('cannot recover request "/uuu'))

    def test_parser_errors_respond(self):
        """Every error the parser reports makes a readable response that closes."""
        for data in [b'\x01\x02 garbage\r\n\r\n',
                     request(b'POST /Xy HTTP/1.1', [b'Content-Length: 300000'])]:
            error = one(data)
            got, _, fields, body = split_response(H.error_response_bytes(error))
            self.assertEqual(got, error.status)
            self.assertEqual(field(fields, 'Connection'), 'close')

    def test_http_error_value(self):
        """HttpError compares by status, URI, reason and close, and says what it is."""
        e = H.HttpError(400, '/u', 'why')
        self.assertEqual(e, H.HttpError(400, '/u', 'why', False))
        self.assertNotEqual(e, H.HttpError(400, '/u', 'why', True))
        self.assertEqual(str(e), '400 why')
        self.assertIsInstance(e, Exception)
