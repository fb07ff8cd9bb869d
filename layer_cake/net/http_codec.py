"""The sans-IO half of the HTTP server (network.md §5).

Request bytes become parsed requests, parsed requests become the messages
the application receives, and the application's answers become response
bytes.  Nothing here touches a transport or the actor runtime, so every rule
can be tested by feeding bytes, at any split points.

Upstream silently dropped malformed lines and resynchronised on the next
one, read an oversized body as request lines, and treated header names as
case-sensitive.  Here a request that cannot be read is reported as an
:class:`HttpError` item (the error response to send); one after which the
stream cannot be trusted also closes the connection, and the parser then
reads nothing more.
"""

import re
from urllib.parse import unquote_plus

from twisted.web.http import RESPONSES, datetimeToString

from ..runtime.messages import Faulted
from ..types import portable as P
from ..types import registry
from ..types.argument import decode_argument
from ..types.codec import CodecJson
from ..types.errors import CodecError, PointConstructionError
from .http_messages import HttpRequest, HttpResponse, FormRequest

__all__ = [
    'API_SERVER', 'REST_SERVER', 'LIMITS', 'HttpError', 'ParsedRequest', 'RequestParser',
    'request_to_message', 'request_to_form', 'request_fault', 'fault_body',
    'response_bytes', 'error_response_bytes',
]

API_SERVER = 'Layer-Cake-API-server/1.0'
REST_SERVER = 'Layer-Cake-REST-server/1.0'

# The limits of network.md §5.4 / §14.
METHOD_LIMIT = 10
URI_LIMIT = 8000
VERSION_LIMIT = 16
NAME_LIMIT = 128
VALUE_LIMIT = 1024
BODY_LIMIT = 262144

# Limits of our own, so that no input makes the parser hold more than it must.
# A request line can be no longer than its three fields, two spaces and CRLF;
# anything longer breaks a limit whatever its content, so it is refused
# before its end arrives.
REQUEST_LINE_LIMIT = METHOD_LIMIT + URI_LIMIT + VERSION_LIMIT + 4
# A header line: name, colon, value, and room for optional white space.
HEADER_LINE_LIMIT = NAME_LIMIT + VALUE_LIMIT + 64
# The header block (and the trailer block of a chunked body), in bytes and lines.
HEADER_BLOCK_LIMIT = 64 * 1024
HEADER_LINES_LIMIT = 100
# A chunk-size line, extensions included.
CHUNK_LINE_LIMIT = 1024

LIMITS = {
    'method': METHOD_LIMIT, 'uri': URI_LIMIT, 'version': VERSION_LIMIT,
    'header name': NAME_LIMIT, 'header value': VALUE_LIMIT, 'body': BODY_LIMIT,
    'request line': REQUEST_LINE_LIMIT, 'header line': HEADER_LINE_LIMIT,
    'header block': HEADER_BLOCK_LIMIT, 'header lines': HEADER_LINES_LIMIT,
    'chunk line': CHUNK_LINE_LIMIT,
}

FORM_TYPE = 'application/x-www-form-urlencoded'
JSON_TYPE = 'application/json'
TEXT_TYPE = 'text/plain; charset=utf-8'

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_VERSION = re.compile(rb'HTTP/([0-9])\.([0-9])\Z')
# Control characters other than HTAB: never allowed in a field value.
_CONTROL = re.compile(rb'[\x00-\x08\x0a-\x1f\x7f]')
# What a request-target may hold: anything visible (non-ASCII is checked as UTF-8).
_URI_BAD = re.compile(rb'[\x00-\x20\x7f]')
_SIZE_LINE = re.compile(rb'([0-9A-Fa-f]+)[ \t]*(?:;.*)?\Z', re.S)
_TEXT_CONTROL = re.compile(r'[\x00-\x08\x0a-\x1f\x7f]')
_STR_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")

# Phrases for statuses twisted.web does not know.
_PHRASES = {431: 'Request Header Fields Too Large'}
# Reasons by status class, for faults (network.md §5.3).
_CLASS_PHRASES = {1: 'Information', 2: 'OK', 3: 'Multiple Choices', 4: 'Client Error',
                  5: 'Server Error'}
# Statuses that never carry a body or a Content-Length (RFC 9110 §8.6, §15.4.5).
_NO_BODY = (204, 304)
# Fields the server decides itself; an application's values are not sent.
_FRAMING = ('content-length', 'transfer-encoding', 'connection')
# The most of a URI quoted back in an error response.
_SHOWN_URI = 200


class HttpError(Exception):
    """A request that gets an error response; ``close`` ends the connection after it."""

    def __init__(self, status, uri='', reason='', close=False):
        Exception.__init__(self, status, uri, reason, close)
        self.status = status
        self.uri = uri
        self.reason = reason
        self.close = close

    def __str__(self):
        return '%d %s' % (self.status, self.reason)

    def __repr__(self):
        return 'HttpError(%r, %r, %r, close=%r)' % (self.status, self.uri, self.reason,
                                                    self.close)

    def _fields(self):
        return (self.status, self.uri, self.reason, self.close)

    def __eq__(self, other):
        return isinstance(other, HttpError) and other._fields() == self._fields()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._fields())


class ParsedRequest(object):
    """One complete request as read from the wire.

    ``header`` keeps names as received; a name repeated in any case keeps
    its last value under its last spelling.  ``body`` is None when the
    request has neither a Content-Length nor a chunked body.
    """

    def __init__(self, method='GET', uri='/', http='HTTP/1.1', header=None, body=None):
        self.method = method
        self.uri = uri
        self.http = http
        self.header = {} if header is None else header
        self.body = body

    def get_header(self, name):
        """The value of a field, whatever the case of its name; None when absent."""
        lower = name.lower()
        for key, value in self.header.items():
            if key.lower() == lower:
                return value
        return None

    @property
    def keep_alive(self):
        """True when the client expects the connection to stay open after the response."""
        tokens = [t.strip().lower() for t in (self.get_header('Connection') or '').split(',')]
        if self.http == 'HTTP/1.0':
            return 'keep-alive' in tokens
        return 'close' not in tokens

    def _fields(self):
        return (self.method, self.uri, self.http, self.header, self.body)

    def __eq__(self, other):
        return isinstance(other, ParsedRequest) and other._fields() == self._fields()

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        size = None if self.body is None else len(self.body)
        return 'ParsedRequest(%r, %r, %r, header=%r, body=<%s bytes>)' % (
            self.method, self.uri, self.http, self.header, size)


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
    """Last wins, whatever the case of the name; the last spelling is kept."""
    lower = name.lower()
    old = spelling.get(lower)
    if old is not None:
        del fields[old]
    spelling[lower] = name
    fields[name] = value


# Parser states.
_REQUEST_LINE = 'request line'
_HEADER = 'header'
_LENGTH = 'body'
_CHUNK_SIZE = 'chunk size'
_CHUNK_DATA = 'chunk data'
_CHUNK_END = 'chunk end'
_TRAILER = 'trailer'
_DEAD = 'dead'


class Continue(object):
    """A parser item: a request asked ``Expect: 100-continue`` before its body."""

    def __repr__(self):
        return 'CONTINUE'


CONTINUE = Continue()


class RequestParser(object):
    """An HTTP/1.x request parser fed with whatever bytes arrive.

    ``feed`` returns the complete :class:`ParsedRequest` items and any
    :class:`HttpError` items, in stream order.  Every error the parser
    reports closes the connection, so it is the last item, after which the
    parser ignores everything.  The items do not depend on how the bytes
    were split: each limit is checked against the bytes of a line seen so
    far, with or without its end.
    """

    def __init__(self):
        self._buffer = bytearray()
        self._scanned = 0           # no LF in _buffer[:_scanned]
        self._state = _REQUEST_LINE
        self._begin()

    def _begin(self):
        self._method = None
        self._uri = ''
        self._http = None
        self._used = 0              # bytes of the header (or trailer) block so far
        self._lines = 0             # lines of the header (or trailer) block so far
        self._raw = []              # (lower-case name, raw value), for framing
        self._header = {}
        self._spelling = {}
        self._body = bytearray()
        self._left = 0

    @property
    def dead(self):
        """True once an error has ended the stream."""
        return self._state is _DEAD

    def feed(self, data):
        """Take more bytes; the requests (and any error) they complete."""
        if self._state is _DEAD:
            return []
        self._buffer += data
        out = []
        try:
            self._run(out)
        except HttpError as e:
            e.close = True
            self._die()
            out.append(e)
        return out

    def _die(self):
        self._state = _DEAD
        self._buffer = bytearray()
        self._body = bytearray()
        self._scanned = 0

    def _error(self, status, reason):
        return HttpError(status, self._uri, reason, close=True)

    # The machine.

    def _run(self, out):
        while True:
            state = self._state
            if state is _REQUEST_LINE:
                line = self._line(REQUEST_LINE_LIMIT, self._long_request_line)
                if line is None:
                    return
                if line:                # empty lines before a request are skipped
                    self._request_line(line)
                    self._state = _HEADER
            elif state is _HEADER:
                line = self._block_line('header')
                if line is None:
                    return
                if line:
                    self._header_line(line)
                else:
                    self._end_of_header(out)
            elif state is _LENGTH:
                if not self._take():
                    return
                self._complete(out, bytes(self._body))
            elif state is _CHUNK_SIZE:
                line = self._line(CHUNK_LINE_LIMIT, self._long_chunk_line)
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
                line = self._block_line('trailer')
                if line is None:
                    return
                if line:
                    self._field_line(line, trailer=True)
                else:
                    self._complete(out, bytes(self._body))
            else:
                return

    def _line(self, room, too_long):
        """The next line without its end (CRLF or LF), or None until one is complete.

        A line of more than ``room`` bytes (its end included) is refused with
        ``too_long()`` as soon as that many bytes without an end are held,
        so the outcome is the same whether or not the end has arrived.
        """
        buffer = self._buffer
        end = buffer.find(b'\n', self._scanned)
        if end < 0:
            if len(buffer) > room:
                raise too_long()
            self._scanned = len(buffer)
            return None
        if end + 1 > room:
            raise too_long()
        line = bytes(buffer[:end])
        del buffer[:end + 1]
        self._scanned = 0
        if line.endswith(b'\r'):
            line = line[:-1]
        return line

    def _block_line(self, what):
        """The next line of a header or trailer block, within the line and block limits."""
        block_room = HEADER_BLOCK_LIMIT - self._used
        if block_room < HEADER_LINE_LIMIT:
            room = block_room
            reason = '%s block over %d bytes' % (what, HEADER_BLOCK_LIMIT)
        else:
            room = HEADER_LINE_LIMIT
            reason = '%s line over %d bytes' % (what, HEADER_LINE_LIMIT)
        before = len(self._buffer)
        line = self._line(room, lambda: self._error(431, reason))
        if line is None:
            return None
        self._used += before - len(self._buffer)
        if line:
            self._lines += 1
            if self._lines > HEADER_LINES_LIMIT:
                raise self._error(431, 'more than %d %s lines' % (HEADER_LINES_LIMIT, what))
        return line

    def _long_request_line(self):
        """The error for a request line too long to be valid (the URI is what grows)."""
        head = bytes(self._buffer[:REQUEST_LINE_LIMIT])
        _, _, rest = head.partition(b' ')
        self._uri = rest.partition(b' ')[0][:_SHOWN_URI].decode('iso-8859-1')
        return self._error(414, 'request line over %d bytes' % (REQUEST_LINE_LIMIT,))

    def _long_chunk_line(self):
        return self._error(400, 'chunk size line over %d bytes' % (CHUNK_LINE_LIMIT,))

    def _take(self):
        """Move up to ``_left`` bytes into the body; True when all have arrived."""
        n = min(self._left, len(self._buffer))
        if n:
            self._body += self._buffer[:n]
            del self._buffer[:n]
            self._left -= n
        return self._left == 0

    def _request_line(self, line):
        parts = line.split(b' ')
        if len(parts) != 3:
            raise self._error(400, 'malformed request line %s' % (_shown(line),))
        method, uri, version = parts
        if _URI_BAD.search(uri) is None:
            self._uri = _decode_text(uri[:_SHOWN_URI])
        if len(method) > METHOD_LIMIT:
            raise self._error(400, 'method over %d characters' % (METHOD_LIMIT,))
        if not _TOKEN.match(method):
            raise self._error(400, 'malformed method in request line %s' % (_shown(line),))
        if len(uri) > URI_LIMIT:
            raise self._error(414, 'URI over %d characters' % (URI_LIMIT,))
        if len(version) > VERSION_LIMIT:
            raise self._error(400, 'version over %d characters' % (VERSION_LIMIT,))
        m = _VERSION.match(version)
        if m is None:
            raise self._error(400, 'malformed version in request line %s' % (_shown(line),))
        if m.group(1) != b'1':
            raise self._error(505, 'HTTP version %s is not supported' % (
                version.decode('ascii'),))
        if _URI_BAD.search(uri):
            raise self._error(400, 'malformed URI in request line %s' % (_shown(line),))
        try:
            text = uri.decode('utf-8')
        except UnicodeDecodeError:
            raise self._error(400, 'URI is not UTF-8') from None
        self._method = method.decode('ascii')
        self._uri = text
        self._http = version.decode('ascii')

    def _header_line(self, line):
        self._field_line(line, trailer=False)

    def _field_line(self, line, trailer):
        if line[:1] in (b' ', b'\t'):
            raise self._error(400, 'obsolete line folding in %s' % (_shown(line),))
        name, colon, value = line.partition(b':')
        if not colon:
            raise self._error(400, 'header line without a colon %s' % (_shown(line),))
        if not _TOKEN.match(name):
            raise self._error(400, 'malformed header name in %s' % (_shown(line),))
        value = value.strip(b' \t')
        if _CONTROL.search(value):
            raise self._error(400, 'control characters in header line %s' % (_shown(line),))
        if len(name) > NAME_LIMIT:
            raise self._error(431, 'header name over %d characters' % (NAME_LIMIT,))
        if len(value) > VALUE_LIMIT:
            raise self._error(431, 'value of "%s" over %d characters' % (
                name.decode('ascii'), VALUE_LIMIT))
        if trailer:
            return          # trailer fields are read and checked, never used
        self._raw.append((name.lower(), value))
        _store(self._header, self._spelling, name.decode('ascii'), _decode_text(value))

    def _values(self, lower):
        return [v for n, v in self._raw if n == lower]

    def _end_of_header(self, out):
        """Decide how the body is framed (RFC 9112 §6.3)."""
        codings = []
        for value in self._values(b'transfer-encoding'):
            codings.extend(c.strip(b' \t').lower() for c in value.split(b','))
        codings = [c for c in codings if c]
        lengths = self._values(b'content-length')
        if codings:
            if lengths:
                raise self._error(400, 'both Transfer-Encoding and Content-Length')
            if codings[-1] != b'chunked':
                raise self._error(400, 'chunked is not the final transfer coding')
            if codings != [b'chunked']:
                raise self._error(501, 'unsupported transfer coding "%s"' % (
                    ', '.join(c.decode('iso-8859-1') for c in codings),))
            self._expecting(out)
            self._state = _CHUNK_SIZE
            return
        found = set()
        for value in lengths:
            for item in value.split(b','):
                item = item.strip(b' \t')
                if not item.isdigit():
                    raise self._error(400, 'malformed Content-Length %s' % (_shown(value),))
                found.add(int(item))
        if len(found) > 1:
            raise self._error(400, 'conflicting Content-Length values')
        if not found:
            self._complete(out, None)
            return
        length = found.pop()
        if length > BODY_LIMIT:
            raise self._error(413, 'body of %d bytes is over %d' % (length, BODY_LIMIT))
        if length == 0:
            self._complete(out, b'')
            return
        self._left = length
        self._expecting(out)
        self._state = _LENGTH

    def _expecting(self, out):
        """A client waiting for ``100 Continue`` before it sends the body gets told to."""
        if self._http == 'HTTP/1.1' and any(
                v.strip(b' \t').lower() == b'100-continue' for v in self._values(b'expect')):
            out.append(CONTINUE)

    def _chunk_size(self, line):
        m = _SIZE_LINE.match(line)
        if m is None:
            raise self._error(400, 'malformed chunk size line %s' % (_shown(line),))
        digits = m.group(1).lstrip(b'0')
        if len(digits) > 8 or len(self._body) + int(digits or b'0', 16) > BODY_LIMIT:
            raise self._error(413, 'chunked body over %d bytes' % (BODY_LIMIT,))
        size = int(digits or b'0', 16)
        if size == 0:
            self._used = 0
            self._lines = 0
            self._state = _TRAILER
        else:
            self._left = size
            self._state = _CHUNK_DATA

    def _chunk_end(self):
        """The CRLF (or LF) after chunk data; False until it has arrived."""
        buffer = self._buffer
        if buffer[:1] == b'\n':
            del buffer[:1]
        elif buffer[:2] == b'\r\n':
            del buffer[:2]
        elif buffer == b'\r' or not buffer:
            return False
        else:
            raise self._error(400, 'chunk data not followed by a line end')
        self._state = _CHUNK_SIZE
        return True

    def _complete(self, out, body):
        out.append(ParsedRequest(self._method, self._uri, self._http, self._header, body))
        self._state = _REQUEST_LINE
        self._begin()


# Requests to messages.

def _content_type(parsed):
    """The media type of the body, lower-cased and without parameters ('' when absent)."""
    value = parsed.get_header('Content-Type') or ''
    return value.split(';', 1)[0].strip().lower()


def _fill(value, schema, text, uri):
    """Set members of ``value`` from urlencoded ``text`` by the argument rules."""
    for item in text.split('&'):
        if not item:
            continue
        key, equals, argument = item.partition('=')
        try:
            key = unquote_plus(key, errors='strict')
        except UnicodeDecodeError:
            raise HttpError(400, uri, 'key %r is not UTF-8' % (key,)) from None
        if not equals:
            raise HttpError(400, uri, 'no value for "%s" (no "=")' % (key,))
        portable = schema.get(key)
        if portable is None:
            raise HttpError(400, uri, 'unknown key "%s"' % (key,))
        try:
            argument = unquote_plus(argument, errors='strict')
            setattr(value, key, decode_argument(argument, portable))
        except (ValueError, UnicodeDecodeError) as e:
            raise HttpError(400, uri, 'no conversion for "%s" (%s)' % (key, e)) from None


def _schema_of(cls):
    r = P.registration_of(cls)
    return {} if r is None else r.schema


def request_to_message(parsed, table, default_to_request=True):
    """The message a request delivers to the application (network.md §5.2).

    ``table`` maps class names to the types served.  Raises
    :class:`HttpError` (400, or 404 for an unknown name when
    ``default_to_request`` is off) when the request cannot become a message.
    """
    uri = parsed.uri
    if not uri.startswith('/') or uri == '/':
        raise HttpError(400, uri, 'no name in the URI')
    path, question, query = uri.partition('?')
    name = path.rpartition('/')[2]
    cls = table.get(name)
    if cls is None:
        if not default_to_request:
            raise HttpError(404, uri, 'unknown name "%s"' % (name,))
        body = None if parsed.body is None else bytearray(parsed.body)
        return HttpRequest(method=parsed.method, request_uri=uri, http=parsed.http,
                           header=dict(parsed.header), body=body)
    schema = _schema_of(cls)
    if question:
        value = cls()
        _fill(value, schema, query, uri)
        return value
    content_type = _content_type(parsed)
    body = parsed.body or b''
    if content_type == FORM_TYPE:
        try:
            text = bytes(body).decode('utf-8')
        except UnicodeDecodeError:
            raise HttpError(400, uri, 'form body is not UTF-8') from None
        value = cls()
        _fill(value, schema, text, uri)
        return value
    if content_type == JSON_TYPE:
        if parsed.method != 'POST':
            raise HttpError(400, uri, 'JSON body with method %s (not POST)' % (parsed.method,))
        if not body:
            return cls()
        try:
            value = CodecJson().decode(bytes(body), registry.def_type(cls))
        except (CodecError, PointConstructionError, ValueError, TypeError,
                RecursionError) as e:
            raise HttpError(400, uri, 'cannot decode JSON body (%s)' % (e,)) from None
        if not isinstance(value, cls):
            raise HttpError(400, uri, 'JSON body is not a "%s"' % (name,))
        return value
    if content_type:
        raise HttpError(400, uri, 'unexpected content type "%s"' % (content_type,))
    raise HttpError(400, uri, 'unexpected content type (none given)')


def request_to_form(parsed, pattern, names):
    """The ``FormRequest`` of a request whose URI, query included, fully matches ``pattern``.

    Raises :class:`HttpError` 400 when it does not match.
    """
    uri = parsed.uri
    m = pattern.fullmatch(uri)
    if m is None:
        raise HttpError(400, uri, 'URI does not match the form')
    found = m.groupdict()
    body = None if parsed.body is None else bytearray(parsed.body)
    return FormRequest(method=parsed.method, request=uri,
                       form_entry={name: found.get(name) for name in names},
                       http=parsed.http, header=dict(parsed.header), body=body)


# Messages to responses.

def _class_phrase(status):
    return _CLASS_PHRASES.get(status // 100, 'Server Error')


def _standard_phrase(status):
    phrase = RESPONSES.get(status)
    if phrase is not None:
        return phrase.decode('ascii')
    return _PHRASES.get(status) or _class_phrase(status)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _fault_status(fault):
    code = fault.error_code
    if _is_int(code) and 100 <= code <= 599:
        return code
    return 500


def request_fault(uri, reason, status):
    """The ``Faulted`` an error response carries (network.md §5.4)."""
    if len(uri) > _SHOWN_URI:
        uri = uri[:_SHOWN_URI] + '...'
    return Faulted(condition='cannot recover request "%s"' % (uri,), explanation=reason,
                   error_code=status)


def fault_body(fault):
    """The JSON bytes of a fault as ``Any``, so a layer-cake client gets it back typed."""
    return CodecJson().encode(fault, registry.ANY).encode('utf-8')


def _fields_of(header):
    """The application's header fields as (name, value) text pairs, checked for safety."""
    if header is None:
        return []
    if not isinstance(header, dict):
        raise ValueError('response header is a %s, not a dict' % (type(header).__name__,))
    fields = []
    for name, value in header.items():
        if not isinstance(name, str) or not _STR_TOKEN.match(name):
            raise ValueError('header name %r is not a token' % (name,))
        if _is_int(value):
            value = str(value)
        if not isinstance(value, str):
            raise ValueError('value of header "%s" is a %s, not text' % (
                name, type(value).__name__))
        value = value.strip(' \t')
        if _TEXT_CONTROL.search(value):
            raise ValueError('value of header "%s" holds control characters' % (name,))
        fields.append((name, value))
    return fields


def _http_response(message):
    """(status, reason, fields, body) of an HttpResponse (network.md §5.3)."""
    status = message.status_code
    if not _is_int(status) or not 100 <= status <= 599:
        raise ValueError('status code %r is not in 100-599' % (status,))
    reason = message.reason_phrase
    if reason is None:
        reason = _class_phrase(status)
    if not isinstance(reason, str) or _TEXT_CONTROL.search(reason):
        raise ValueError('reason phrase %r is not a line of text' % (reason,))
    fields = _fields_of(message.header)
    given = {name.lower() for name, _ in fields}
    body = message.body
    if body is None:
        return status, reason, fields, b''
    if isinstance(body, str):
        if 'content-type' not in given:
            fields.append(('Content-Type', TEXT_TYPE))
        return status, reason, fields, body.encode('utf-8')
    if isinstance(body, (bytes, bytearray, memoryview)):
        if 'content-type' not in given:
            return (500, _class_phrase(500), [('Content-Type', TEXT_TYPE)],
                    b'cannot send a bytes body (the content type is missing)')
        return status, reason, fields, bytes(body)
    encoded = CodecJson().encode(body, registry.ANY).encode('utf-8')
    if 'content-type' not in given:
        fields.append(('Content-Type', JSON_TYPE))
    return status, reason, fields, encoded


def _response_parts(message):
    """(status, reason, fields, body) of whatever the application sent."""
    if isinstance(message, Faulted):
        status = _fault_status(message)
        return (status, _class_phrase(status), [('Content-Type', JSON_TYPE)],
                fault_body(message))
    if isinstance(message, HttpResponse):
        return _http_response(message)
    encoded = CodecJson().encode(message, registry.ANY).encode('utf-8')
    return 200, 'OK', [('Content-Type', JSON_TYPE)], encoded


def _assemble(status, reason, fields, body, server_name, close):
    """The bytes of a response; the server's own fields first, the application's after."""
    given = {name.lower() for name, _ in fields}
    lines = ['HTTP/1.1 %d %s' % (status, reason)]
    if 'date' not in given:
        lines.append('Date: %s' % (datetimeToString().decode('ascii'),))
    if 'server' not in given:
        lines.append('Server: %s' % (server_name,))
    for name, value in fields:
        if name.lower() not in _FRAMING:
            lines.append('%s: %s' % (name, value))
    if status < 200 or status in _NO_BODY:
        body = b''
    else:
        lines.append('Content-Length: %d' % (len(body),))
    if close:
        lines.append('Connection: close')
    head = '\r\n'.join(lines).encode('utf-8')
    return head + b'\r\n\r\n' + body


def response_bytes(message, server_name=API_SERVER, close=False):
    """The HTTP/1.1 response for an application's answer (network.md §5.3); never raises.

    An answer that cannot be put on the wire (a value the codec cannot
    encode, header text that would break the framing) becomes a 500 with a
    JSON fault saying why.
    """
    try:
        status, reason, fields, body = _response_parts(message)
    except Exception as e:
        fault = Faulted(condition='cannot encode response', explanation=str(e) or repr(e),
                        error_code=500)
        try:
            body = fault_body(fault)
        except Exception:
            body = b'{"value":null}'
        status, reason, fields = 500, _class_phrase(500), [('Content-Type', JSON_TYPE)]
    return _assemble(status, reason, fields, body, server_name, close)


def error_response_bytes(error, server_name=API_SERVER):
    """The response for an :class:`HttpError`: its status and a JSON ``Faulted`` (§5.4)."""
    body = fault_body(request_fault(error.uri, error.reason, error.status))
    return _assemble(error.status, _standard_phrase(error.status),
                     [('Content-Type', JSON_TYPE)], body, server_name, error.close)
