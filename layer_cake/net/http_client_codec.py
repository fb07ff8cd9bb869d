"""The sans-IO half of the HTTP client (network.md §6).

Turning a message into request bytes, turning response bytes into parsed
responses, and turning a parsed response into the message the waiting sender
gets.  Nothing here touches a transport or the actor runtime, so every
framing rule can be tested by feeding bytes, at any split points.

Upstream lost responses whose reason phrase was long or whose header lines it
did not like, and never read chunked or close-delimited bodies; the parser
below reads any HTTP/1.x response and reports anything else as a
:class:`ResponseError` (an item, not an exception) so the session can answer
the waiting sender and close.
"""

import re
from urllib.parse import quote, quote_plus

from ..types import portable as P
from ..types import registry
from ..types.argument import encode_argument
from ..types.codec import CodecJson
from ..types.errors import CodecError, PointConstructionError
from .http_messages import HttpMethod, HttpRequest, HttpResponse
from .http_wire import (
    CHUNK_SIZE, CONTROL, DEAD, FORM_TYPE, JSON_TYPE, LENGTH, TEXT_TYPE, TOKEN,
    MessageParser, decode_text, shown, store, transfer_codings)

__all__ = [
    'USER_AGENT', 'CLIENT_QUEUE_LIMIT', 'HEADER_LIMIT', 'BODY_LIMIT',
    'request_bytes', 'ResponseParser', 'ParsedResponse', 'ResponseError',
    'response_to_message', 'error_response', 'overflow_response',
]

USER_AGENT = 'Layer-Cake-API-client/1.0'

# Requests a session holds (on the wire and waiting) before it refuses more.
CLIENT_QUEUE_LIMIT = 256

# The status line and header block of one response, and its trailer block.
HEADER_LIMIT = 64 * 1024
# The body of one response, however it is framed.
BODY_LIMIT = 16 * 1024 * 1024
# A chunk-size line, extensions included.
CHUNK_LINE_LIMIT = 4096

_VERSION = re.compile(r'HTTP/[0-9]\.[0-9]\Z')
_STATUS_LINE = re.compile(rb'HTTP/([0-9])\.([0-9]) +([0-9]{3})(?: (.*))?\Z', re.S)
_DIGITS = re.compile(r'[0-9]+\Z')
# Methods whose responses cannot be read without knowing the request.
_UNFRAMED = ('HEAD', 'CONNECT')
# What may stay as it is in a request-target; everything else is %-escaped.
_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"


# Requests.

def _text(value, what):
    """``value`` as the text of a header field, or ValueError."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError('%s is a %s, not text' % (what, type(value).__name__))
    return str(value)


def _field(name, value):
    """One ``name: value`` line, refusing anything that would break the framing."""
    name = _text(name, 'header name')
    value = _text(value, 'value of header "%s"' % (name,))
    try:
        raw_name = name.encode('ascii')
    except UnicodeEncodeError:
        raw_name = b''
    if not TOKEN.match(raw_name):
        raise ValueError('header name "%s" is not a token' % (name,))
    raw_value = value.strip(' \t').encode('utf-8')
    if CONTROL.search(raw_value):
        raise ValueError('value of header "%s" holds control characters' % (name,))
    return raw_name + b': ' + raw_value + b'\r\n'


def _join_uri(prefix, uri):
    """The request-target: ``prefix`` then ``uri``, never with a doubled ``/`` between."""
    if prefix is None:
        prefix = '/'
    if not isinstance(prefix, str) or not isinstance(uri, str):
        raise ValueError('request URI parts must be text')
    if prefix.endswith('/') and uri.startswith('/'):
        uri = uri[1:]
    target = prefix + uri
    if not target.startswith('/'):
        target = '/' + target
    # Spaces, controls and non-ASCII would break the request line; escape
    # them (non-ASCII as UTF-8) and leave existing escapes as they are.
    return quote(target, safe=_URI_SAFE).encode('ascii')


def _body_of(body):
    if body is None:
        return b''
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode('utf-8')
    raise ValueError('request body is a %s, not bytes' % (type(body).__name__,))


def _request(method, target, http, fields, body):
    if isinstance(method, HttpMethod):
        method = method.name
    if not isinstance(method, str) or not TOKEN.match(method.encode('ascii', 'replace')):
        raise ValueError('method "%s" is not a token' % (method,))
    if method.upper() in _UNFRAMED:
        # A HEAD response has fields that promise a body it does not carry,
        # and CONNECT turns the connection into a tunnel: the response parser
        # would lose its place in the stream with either.
        raise ValueError('method %s is not supported by the client' % (method,))
    if not isinstance(http, str) or not _VERSION.match(http):
        raise ValueError('"%s" is not an HTTP version' % (http,))
    line = b'%s %s %s\r\n' % (method.encode('ascii'), target, http.encode('ascii'))
    return line + b''.join(fields) + b'\r\n' + body


def _http_request(message, prefix, host_header):
    """An HttpRequest as given, completed with the fields the server needs."""
    header = message.header or {}
    if not isinstance(header, dict):
        raise ValueError('request header is a %s, not a dict' % (type(header).__name__,))
    body = _body_of(message.body)
    given = {}
    for name, value in header.items():
        if isinstance(name, str):
            given[name.lower()] = value
    if 'transfer-encoding' in given:
        # The body is always sent whole, with a Content-Length.
        raise ValueError('a request may not set Transfer-Encoding')
    length = given.get('content-length')
    if length is not None and (not _DIGITS.match(str(length)) or int(length) != len(body)):
        raise ValueError('Content-Length "%s" does not match a body of %d bytes' % (
            length, len(body)))
    fields = []
    if 'host' not in given:
        fields.append(_field('Host', host_header))
    for name, value in header.items():
        fields.append(_field(name, value))
    if 'user-agent' not in given:
        fields.append(_field('User-Agent', USER_AGENT))
    if 'content-type' not in given:
        fields.append(_field('Content-Type', FORM_TYPE))
    if length is None:
        fields.append(_field('Content-Length', len(body)))
    target = _join_uri(prefix, message.request_uri)
    return _request(message.method, target, message.http, fields, body)


def _form(value, registration):
    """The urlencoded form of every member that is not None (argument rules, strings raw)."""
    pairs = []
    for name, portable in registration.schema.items():
        member = getattr(value, name, None)
        if member is None:
            continue
        try:
            text = encode_argument(member, portable)
        except ValueError as e:
            raise ValueError('cannot encode member "%s" (%s)' % (name, e)) from e
        pairs.append('%s=%s' % (quote_plus(name), quote_plus(text)))
    return '&'.join(pairs).encode('ascii')


def _message_request(message, prefix, layer_cake_json, host_header):
    """``POST <prefix><Class>`` carrying the message as JSON or as a form."""
    try:
        value, portable, _ = registry.un_cast(message)
    except ValueError:
        raise ValueError('a %s is not a message' % (type(message).__name__,)) from None
    if not isinstance(portable, P.UserDefined):
        raise ValueError('cannot send a "%s" (not a message class)' % (portable.signature(),))
    cls = portable.element
    registration = P.registration_of(cls)
    if (not isinstance(cls, type) or registration is None
            or registration.kind != 'message'):
        raise ValueError('cannot send a "%s" (not a message class)' % (portable.signature(),))
    if registration.not_portable:
        raise ValueError('cannot send a "%s" (not portable)' % (portable.signature(),))
    if not isinstance(value, cls):
        raise ValueError('cannot send a %s as a "%s"' % (
            type(value).__name__, portable.signature()))
    if layer_cake_json:
        try:
            body = CodecJson().encode(value, portable).encode('utf-8')
        except (CodecError, PointConstructionError) as e:
            raise ValueError(str(e)) from e
        content_type = JSON_TYPE
    else:
        body = _form(value, registration)
        content_type = FORM_TYPE
    fields = [
        _field('Host', host_header),
        _field('User-Agent', USER_AGENT),
        _field('Content-Type', content_type),
        _field('Content-Length', len(body)),
    ]
    target = _join_uri(prefix, cls.__name__)
    return _request('POST', target, 'HTTP/1.1', fields, body)


def request_bytes(message, http_client, layer_cake_json, host_header):
    """The bytes that put ``message`` on the wire as one HTTP/1.1 request.

    ``http_client`` is the URI prefix given to ``connect``; ``host_header``
    the value of the Host field.  An :class:`HttpRequest` goes as it is
    (completed with Host, User-Agent, Content-Type and Content-Length unless
    it has them); any other message of class ``T``, or a ``(value,
    portable)`` pair of a message class, becomes ``POST <http_client>T``.
    Raises ValueError, with the reason, for anything that cannot be sent.
    """
    if type(message) is tuple and len(message) == 2 and isinstance(message[0], HttpRequest):
        message = message[0]
    if isinstance(message, HttpRequest):
        return _http_request(message, http_client, host_header)
    return _message_request(message, http_client, layer_cake_json, host_header)


# Responses.

class ResponseError(Exception):
    """The response stream cannot be read any further; the connection must close."""

    def __init__(self, explanation):
        Exception.__init__(self, explanation)
        self.explanation = explanation

    def __eq__(self, other):
        return type(other) is type(self) and other.explanation == self.explanation

    def __hash__(self):
        return hash(self.explanation)


class ParsedResponse(object):
    """One complete final response as read from the wire.

    ``header`` keeps names as received; a name repeated in any case keeps
    its last value under its last spelling.  ``body`` is None for a status
    that has no body (204, 304), else the bytes (possibly empty).  Chunked
    trailer fields are kept apart in ``trailer`` so they cannot override
    the header.
    """

    def __init__(self, http='HTTP/1.1', status_code=200, reason_phrase='OK', header=None,
                 body=None, trailer=None):
        self.http = http
        self.status_code = status_code
        self.reason_phrase = reason_phrase
        self.header = {} if header is None else header
        self.body = body
        self.trailer = {} if trailer is None else trailer

    def _fields(self):
        return (self.http, self.status_code, self.reason_phrase, self.header, self.body,
                self.trailer)

    def __eq__(self, other):
        return isinstance(other, ParsedResponse) and other._fields() == self._fields()

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        size = None if self.body is None else len(self.body)
        return 'ParsedResponse(%r, %r, %r, header=%r, body=<%s bytes>)' % (
            self.http, self.status_code, self.reason_phrase, self.header, size)


class _Malformed(Exception):
    """Internal: raised inside the parser, reported as a ResponseError item."""


# The parser's own states; the others are http_wire's.
_STATUS = 'status line'
_UNTIL_CLOSE = 'body until close'


class ResponseParser(MessageParser):
    """An HTTP/1.x response parser fed with whatever bytes arrive.

    ``feed`` and ``connection_lost`` return lists of complete
    :class:`ParsedResponse` items; a :class:`ResponseError` item ends the
    list and the parser, which then ignores everything.  The results do not
    depend on how the bytes were split.  1xx interim responses are skipped.
    Responses to HEAD cannot be framed without knowing the request, so
    :func:`request_bytes` refuses HEAD (and CONNECT).
    """

    _start = _STATUS
    _failure = _Malformed
    # The status line counts in the header block, which has no other limits.
    _block_limit = HEADER_LIMIT
    _chunk_line_limit = CHUNK_LINE_LIMIT
    _body_limit = BODY_LIMIT
    _header_block = 'response header'
    _trailer_block = 'response trailer'
    _unended_chunk = 'chunk data not followed by CRLF'

    def _begin(self):
        MessageParser._begin(self)
        self._http = None
        self._status = None
        self._reason = None
        self._raw = []              # (name, value) as received, for framing
        self._raw_header = []
        self._header = {}
        self._trailer = {}
        self._spelling = {}         # lower-case name -> key, of the block being read

    def connection_lost(self):
        """The stream ended: completes a close-delimited body, else reports a cut response."""
        state = self._state
        if state is DEAD:
            return []
        rest = bytes(self._buffer)
        body = bytes(self._body)
        self._die()
        if state is _UNTIL_CLOSE:
            return [self._complete(body)]
        if state is _STATUS and not rest.strip(b'\r\n'):
            return []
        return [ResponseError('connection closed in the middle of a response (%s)' % (
            state,))]

    def _failed(self, error):
        return ResponseError(str(error))

    def _error(self, status, reason):
        """The client answers no one, so the status a server would send is dropped."""
        return _Malformed(reason)

    def _long_body(self):
        return _Malformed('response body over %d bytes' % (BODY_LIMIT,))

    _long_chunked_body = _long_body

    def _other_state(self, state):
        if state is _UNTIL_CLOSE:
            if len(self._body) + len(self._buffer) > BODY_LIMIT:
                raise self._long_body()
            self._body += self._buffer
            self._buffer = bytearray()
        return False

    def _read_start_line(self):
        return self._block_line(self._header_block)

    def _start_line(self, line):
        """The status line: version, status code and reason phrase."""
        m = _STATUS_LINE.match(line)
        if m is None:
            raise _Malformed('malformed status line %s' % (shown(line),))
        major, minor, code, reason = m.groups()
        if major != b'1':
            raise _Malformed('unsupported HTTP version in status line %s' % (shown(line),))
        code = int(code)
        if not 100 <= code <= 599:
            raise _Malformed('status code %d out of range' % (code,))
        reason = reason or b''
        if CONTROL.search(reason):
            raise _Malformed('control characters in reason phrase %s' % (shown(reason),))
        self._http = 'HTTP/%s.%s' % (major.decode(), minor.decode())
        self._status = code
        self._reason = decode_text(reason.strip(b' \t'))

    def _field_line(self, line, trailer):
        fields = self._trailer if trailer else self._header
        if line[:1] in (b' ', b'\t'):
            # obs-fold: a continuation of the previous field, read as one space.
            if not self._raw:
                raise _Malformed('continuation line %s with no field before it' % (
                    shown(line),))
            value = line.strip(b' \t')
            if CONTROL.search(value):
                raise _Malformed('control characters in header line %s' % (shown(line),))
            name, old = self._raw[-1]
            joined = old + b' ' + value if old else value
            self._raw[-1] = (name, joined)
            store(fields, self._spelling, name.decode('ascii'), decode_text(joined))
            return
        name, value = self._split_field(line)
        self._raw.append((name, value))
        store(fields, self._spelling, name.decode('ascii'), decode_text(value))

    def _end_of_header(self, out):
        """Decide how the body is framed (RFC 9112 §6.3), for this final response."""
        code = self._status
        if code < 200:
            if code == 101:
                raise _Malformed('unexpected 101 Switching Protocols')
            self._state = _STATUS          # interim: the final response follows
            self._begin()
            return
        if code in (204, 304):
            out.append(self._complete(None))
            return
        self._raw_header = self._raw
        self._raw = []                     # trailers are kept apart
        self._spelling = {}
        coding = self._coding()
        if coding is not None:
            self._state = CHUNK_SIZE
            return
        length = self._length()
        if length is None:
            self._state = _UNTIL_CLOSE
        elif length == 0:
            out.append(self._complete(b''))
        else:
            self._left = length
            self._state = LENGTH

    def _coding(self):
        codings = transfer_codings(self._header_values(b'transfer-encoding'))
        if not codings:
            return None
        if codings != [b'chunked']:
            raise _Malformed('unsupported transfer coding "%s"' % (
                ', '.join(c.decode('iso-8859-1') for c in codings),))
        return 'chunked'

    def _length(self):
        length = self._content_length(self._header_values(b'content-length'))
        if length is not None and length > BODY_LIMIT:
            raise self._long_body()
        return length

    def _header_values(self, name):
        return [v for n, v in self._raw_header if n.lower() == name]

    def _complete(self, body):
        parsed = ParsedResponse(self._http, self._status, self._reason, self._header, body,
                                self._trailer)
        if self._state is not DEAD:
            self._state = _STATUS
        self._begin()
        return parsed


# Responses as messages.

def _local(status_code, reason_phrase, explanation):
    return HttpResponse(status_code=status_code, reason_phrase=reason_phrase,
                        header={'Content-Type': TEXT_TYPE},
                        body=bytearray(explanation.encode('utf-8')))


def error_response(explanation):
    """The local 500 a sender gets when its response cannot be read or decoded."""
    return _local(500, 'Server Error', explanation)


def overflow_response():
    """The local 400 a sender gets when the session already holds CLIENT_QUEUE_LIMIT requests."""
    return _local(400, 'Client Error', 'Request queue overflow')


def _as_http_response(parsed):
    return HttpResponse(http=parsed.http, status_code=parsed.status_code,
                        reason_phrase=parsed.reason_phrase, header=dict(parsed.header),
                        body=bytearray(parsed.body) if parsed.body else None)


def _media_type(header):
    """The media type of the Content-Type field, lower case and without parameters."""
    found = None
    for name, value in header.items():
        if name.lower() == 'content-type':
            found = value
    if found is None:
        return None
    return found.split(';', 1)[0].strip(' \t').lower()


def response_to_message(parsed, layer_cake_json):
    """The message for the sender of the request that ``parsed`` answers.

    With ``layer_cake_json`` a JSON body is decoded as ``Any`` and its typed
    value is delivered whatever the status (a registered message, or a
    ``(value, portable)`` pair for constructed types); anything that should
    be JSON and is not becomes a local 500.
    """
    if not layer_cake_json:
        return _as_http_response(parsed)
    if parsed.http != 'HTTP/1.1':
        return error_response('unexpected version %s in response %d %s' % (
            parsed.http, parsed.status_code, parsed.reason_phrase))
    if _media_type(parsed.header) != JSON_TYPE:
        return _as_http_response(parsed)
    if not parsed.body:
        return error_response('JSON response %d %s has no body' % (
            parsed.status_code, parsed.reason_phrase))
    try:
        value = CodecJson().decode(bytes(parsed.body), registry.ANY)
    except (CodecError, PointConstructionError, ValueError, RecursionError) as e:
        return error_response('cannot decode JSON response %d %s (%s)' % (
            parsed.status_code, parsed.reason_phrase, e))
    if value is None:
        return error_response('JSON response %d %s holds no value' % (
            parsed.status_code, parsed.reason_phrase))
    return value
