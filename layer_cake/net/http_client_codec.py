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

FORM_TYPE = 'application/x-www-form-urlencoded'
JSON_TYPE = 'application/json'
TEXT_TYPE = 'text/plain; charset=utf-8'

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_VERSION = re.compile(r'HTTP/[0-9]\.[0-9]\Z')
# Control characters other than HTAB: never allowed in a field value or reason.
_CONTROL = re.compile(rb'[\x00-\x08\x0a-\x1f\x7f]')
_STATUS_LINE = re.compile(rb'HTTP/([0-9])\.([0-9]) +([0-9]{3})(?: (.*))?\Z', re.S)
_SIZE_LINE = re.compile(rb'([0-9A-Fa-f]+)[ \t]*(?:;.*)?\Z', re.S)
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
    if not _TOKEN.match(raw_name):
        raise ValueError('header name "%s" is not a token' % (name,))
    raw_value = value.strip(' \t').encode('utf-8')
    if _CONTROL.search(raw_value):
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
    if not isinstance(method, str) or not _TOKEN.match(method.encode('ascii', 'replace')):
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


def _decode_text(raw):
    """Header text: UTF-8 when it is, else ISO-8859-1 (which never fails)."""
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        return raw.decode('iso-8859-1')


def _shown(raw, most=60):
    """A short printable form of an offending line, for explanations."""
    text = repr(bytes(raw[:most]))
    return text + ('...' if len(raw) > most else '')


def _store(fields, spelling, name, value):
    """Last wins, whatever the case of the name; the last spelling is kept.

    ``spelling`` maps each lower-case name to the key it has in ``fields``.
    """
    lower = name.lower()
    old = spelling.get(lower)
    if old is not None:
        del fields[old]
    spelling[lower] = name
    fields[name] = value


# Parser states.
_STATUS = 'status line'
_HEADER = 'header'
_LENGTH = 'body'
_CHUNK_SIZE = 'chunk size'
_CHUNK_DATA = 'chunk data'
_CHUNK_END = 'chunk end'
_TRAILER = 'trailer'
_UNTIL_CLOSE = 'body until close'
_DEAD = 'dead'


class ResponseParser(object):
    """An HTTP/1.x response parser fed with whatever bytes arrive.

    ``feed`` and ``connection_lost`` return lists of complete
    :class:`ParsedResponse` items; a :class:`ResponseError` item ends the
    list and the parser, which then ignores everything.  The results do not
    depend on how the bytes were split.  1xx interim responses are skipped.
    Responses to HEAD cannot be framed without knowing the request, so
    :func:`request_bytes` refuses HEAD (and CONNECT).
    """

    def __init__(self):
        self._buffer = bytearray()
        self._scanned = 0           # no LF in _buffer[:_scanned]
        self._state = _STATUS
        self._begin()

    def _begin(self):
        self._used = 0              # bytes of the current header/trailer block
        self._http = None
        self._status = None
        self._reason = None
        self._raw = []              # (name, value) as received, for framing
        self._raw_header = []
        self._header = {}
        self._trailer = {}
        self._spelling = {}         # lower-case name -> key, of the block being read
        self._body = bytearray()
        self._left = 0

    # Input.

    def feed(self, data):
        """Take more bytes; the responses they complete."""
        if self._state is _DEAD:
            return []
        self._buffer += data
        out = []
        try:
            self._run(out)
        except _Malformed as e:
            self._die()
            out.append(ResponseError(str(e)))
        return out

    def connection_lost(self):
        """The stream ended: completes a close-delimited body, else reports a cut response."""
        state = self._state
        if state is _DEAD:
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

    def _die(self):
        self._state = _DEAD
        self._buffer = bytearray()
        self._body = bytearray()
        self._scanned = 0

    # The machine.

    def _run(self, out):
        while True:
            state = self._state
            if state is _STATUS:
                line = self._line(HEADER_LIMIT, 'response header block')
                if line is None:
                    return
                if line:
                    self._status_line(line)
                    self._state = _HEADER
            elif state is _HEADER:
                line = self._line(HEADER_LIMIT, 'response header block')
                if line is None:
                    return
                if line:
                    self._field_line(line, self._header)
                else:
                    self._end_of_header(out)
            elif state is _LENGTH:
                if not self._take():
                    return
                out.append(self._complete(bytes(self._body)))
            elif state is _CHUNK_SIZE:
                line = self._line(CHUNK_LINE_LIMIT, 'chunk size line', count=False)
                if line is None:
                    return
                self._chunk_size(line)
            elif state is _CHUNK_DATA:
                if not self._take():
                    return
                self._state = _CHUNK_END
            elif state is _CHUNK_END:
                if not self._chunk_end():
                    return
            elif state is _TRAILER:
                line = self._line(HEADER_LIMIT, 'response trailer block')
                if line is None:
                    return
                if line:
                    self._field_line(line, self._trailer)
                else:
                    out.append(self._complete(bytes(self._body)))
            elif state is _UNTIL_CLOSE:
                if len(self._body) + len(self._buffer) > BODY_LIMIT:
                    raise _Malformed('response body over %d bytes' % (BODY_LIMIT,))
                self._body += self._buffer
                self._buffer = bytearray()
                return
            else:
                return

    def _line(self, limit, what, count=True):
        """The next line without its end (CRLF or LF), or None until one is complete.

        A line that would take its block (or itself, when not ``count``-ed)
        over ``limit`` bytes is an error whether or not its end has arrived,
        so the outcome does not depend on the split points.
        """
        room = limit - self._used if count else limit
        buffer = self._buffer
        end = buffer.find(b'\n', self._scanned)
        if end < 0:
            if len(buffer) > room:
                raise _Malformed('%s over %d bytes' % (what, limit))
            self._scanned = len(buffer)
            return None
        if end + 1 > room:
            raise _Malformed('%s over %d bytes' % (what, limit))
        line = bytes(buffer[:end])
        del buffer[:end + 1]
        self._scanned = 0
        if count:
            self._used += end + 1
        if line.endswith(b'\r'):
            line = line[:-1]
        return line

    def _take(self):
        """Move up to ``_left`` bytes into the body; True when all have arrived."""
        n = min(self._left, len(self._buffer))
        if n:
            self._body += self._buffer[:n]
            del self._buffer[:n]
            self._left -= n
        return self._left == 0

    def _status_line(self, line):
        m = _STATUS_LINE.match(line)
        if m is None:
            raise _Malformed('malformed status line %s' % (_shown(line),))
        major, minor, code, reason = m.groups()
        if major != b'1':
            raise _Malformed('unsupported HTTP version in status line %s' % (_shown(line),))
        code = int(code)
        if not 100 <= code <= 599:
            raise _Malformed('status code %d out of range' % (code,))
        reason = reason or b''
        if _CONTROL.search(reason):
            raise _Malformed('control characters in reason phrase %s' % (_shown(reason),))
        self._http = 'HTTP/%s.%s' % (major.decode(), minor.decode())
        self._status = code
        self._reason = _decode_text(reason.strip(b' \t'))

    def _field_line(self, line, fields):
        if line[:1] in (b' ', b'\t'):
            # obs-fold: a continuation of the previous field, read as one space.
            if not self._raw:
                raise _Malformed('continuation line %s with no field before it' % (
                    _shown(line),))
            value = line.strip(b' \t')
            if _CONTROL.search(value):
                raise _Malformed('control characters in header line %s' % (_shown(line),))
            name, old = self._raw[-1]
            joined = old + b' ' + value if old else value
            self._raw[-1] = (name, joined)
            _store(fields, self._spelling, name.decode('ascii'), _decode_text(joined))
            return
        name, colon, value = line.partition(b':')
        if not colon:
            raise _Malformed('header line without a colon %s' % (_shown(line),))
        if not _TOKEN.match(name):
            raise _Malformed('malformed header name in %s' % (_shown(line),))
        value = value.strip(b' \t')
        if _CONTROL.search(value):
            raise _Malformed('control characters in header line %s' % (_shown(line),))
        self._raw.append((name, value))
        _store(fields, self._spelling, name.decode('ascii'), _decode_text(value))

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
            self._used = 0
            self._state = _CHUNK_SIZE
            return
        length = self._length()
        if length is None:
            self._state = _UNTIL_CLOSE
        elif length == 0:
            out.append(self._complete(b''))
        else:
            self._left = length
            self._state = _LENGTH

    def _coding(self):
        codings = []
        for value in self._header_values(b'transfer-encoding'):
            codings.extend(c.strip(b' \t').lower() for c in value.split(b','))
        codings = [c for c in codings if c]
        if not codings:
            return None
        if codings != [b'chunked']:
            raise _Malformed('unsupported transfer coding "%s"' % (
                ', '.join(c.decode('iso-8859-1') for c in codings),))
        return 'chunked'

    def _length(self):
        found = set()
        for value in self._header_values(b'content-length'):
            for item in value.split(b','):
                item = item.strip(b' \t')
                if not item.isdigit():
                    raise _Malformed('malformed Content-Length %s' % (_shown(value),))
                found.add(int(item))
        if not found:
            return None
        if len(found) > 1:
            raise _Malformed('conflicting Content-Length values')
        length = found.pop()
        if length > BODY_LIMIT:
            raise _Malformed('response body over %d bytes' % (BODY_LIMIT,))
        return length

    def _header_values(self, name):
        return [v for n, v in self._raw_header if n.lower() == name]

    def _chunk_size(self, line):
        m = _SIZE_LINE.match(line)
        if m is None:
            raise _Malformed('malformed chunk size line %s' % (_shown(line),))
        digits = m.group(1).lstrip(b'0')
        if len(digits) > 8:
            raise _Malformed('response body over %d bytes' % (BODY_LIMIT,))
        size = int(digits or b'0', 16)
        if len(self._body) + size > BODY_LIMIT:
            raise _Malformed('response body over %d bytes' % (BODY_LIMIT,))
        if size == 0:
            self._state = _TRAILER
        else:
            self._left = size
            self._state = _CHUNK_DATA

    def _chunk_end(self):
        """The CRLF (or LF) after chunk data; False until it has arrived."""
        buffer = self._buffer
        if not buffer:
            return False
        if buffer[0] == 0x0a:
            del buffer[:1]
        elif buffer[0] == 0x0d:
            if len(buffer) < 2:
                return False
            if buffer[1] != 0x0a:
                raise _Malformed('chunk data not followed by CRLF')
            del buffer[:2]
        else:
            raise _Malformed('chunk data not followed by CRLF')
        self._state = _CHUNK_SIZE
        return True

    def _complete(self, body):
        parsed = ParsedResponse(self._http, self._status, self._reason, self._header, body,
                                self._trailer)
        if self._state is not _DEAD:
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
