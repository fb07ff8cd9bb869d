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

import http
import re
import time
from urllib.parse import unquote_plus

from ..runtime.messages import Faulted
from ..types import portable as P
from ..types import registry
from ..types.argument import decode_argument
from ..types.codec import CodecJson
from ..types.errors import CodecError, PointConstructionError
from .http_messages import HttpRequest, HttpResponse, FormRequest
from .http_wire import (
    CHUNK_SIZE, DEAD, FORM_TYPE, JSON_TYPE, LENGTH, TEXT_TYPE, TOKEN,
    MessageParser, decode_text, shown, store, transfer_codings)

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

_VERSION = re.compile(rb'HTTP/([0-9])\.([0-9])\Z')
# What a request-target may hold: anything visible (non-ASCII is checked as UTF-8).
_URI_BAD = re.compile(rb'[\x00-\x20\x7f]')
_TEXT_CONTROL = re.compile(r'[\x00-\x08\x0a-\x1f\x7f]')
_STR_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")

# Reason phrases by status (the standard library's table; it also keeps
# start-up light, where twisted.web.http would pull in half of the stdlib).
_PHRASES = {s.value: s.phrase for s in http.HTTPStatus}
_DAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
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


# The parser's own state; the others are http_wire's.
_REQUEST_LINE = 'request line'


class Continue(object):
    """A parser item: a request asked ``Expect: 100-continue`` before its body."""

    def __repr__(self):
        return 'CONTINUE'


CONTINUE = Continue()


class RequestParser(MessageParser):
    """An HTTP/1.x request parser fed with whatever bytes arrive.

    ``feed`` returns the complete :class:`ParsedRequest` items and any
    :class:`HttpError` items, in stream order.  Every error the parser
    reports closes the connection, so it is the last item, after which the
    parser ignores everything.  The items do not depend on how the bytes
    were split: each limit is checked against the bytes of a line seen so
    far, with or without its end.
    """

    _start = _REQUEST_LINE
    _failure = HttpError
    _block_limit = HEADER_BLOCK_LIMIT
    _field_line_limit = HEADER_LINE_LIMIT
    _block_lines_limit = HEADER_LINES_LIMIT
    _chunk_line_limit = CHUNK_LINE_LIMIT
    _body_limit = BODY_LIMIT

    def _begin(self):
        MessageParser._begin(self)
        self._method = None
        self._uri = ''
        self._http = None
        self._raw = []              # (lower-case name, raw value), for framing
        self._header = {}
        self._spelling = {}

    @property
    def dead(self):
        """True once an error has ended the stream."""
        return self._state is DEAD

    def _failed(self, error):
        error.close = True
        return error

    def _error(self, status, reason):
        return HttpError(status, self._uri, reason, close=True)

    def _long_chunked_body(self):
        return self._error(413, 'chunked body over %d bytes' % (BODY_LIMIT,))

    def _read_start_line(self):
        return self._line(REQUEST_LINE_LIMIT, self._long_request_line)

    def _long_request_line(self):
        """The error for a request line too long to be valid (the URI is what grows)."""
        head = bytes(self._buffer[:REQUEST_LINE_LIMIT])
        _, _, rest = head.partition(b' ')
        self._uri = rest.partition(b' ')[0][:_SHOWN_URI].decode('iso-8859-1')
        return self._error(414, 'request line over %d bytes' % (REQUEST_LINE_LIMIT,))

    def _start_line(self, line):
        """The request line: method, URI and version, each within its limit."""
        parts = line.split(b' ')
        if len(parts) != 3:
            raise self._error(400, 'malformed request line %s' % (shown(line),))
        method, uri, version = parts
        if _URI_BAD.search(uri) is None:
            self._uri = decode_text(uri[:_SHOWN_URI])
        if len(method) > METHOD_LIMIT:
            raise self._error(400, 'method over %d characters' % (METHOD_LIMIT,))
        if not TOKEN.match(method):
            raise self._error(400, 'malformed method in request line %s' % (shown(line),))
        if len(uri) > URI_LIMIT:
            raise self._error(414, 'URI over %d characters' % (URI_LIMIT,))
        if len(version) > VERSION_LIMIT:
            raise self._error(400, 'version over %d characters' % (VERSION_LIMIT,))
        m = _VERSION.match(version)
        if m is None:
            raise self._error(400, 'malformed version in request line %s' % (shown(line),))
        if m.group(1) != b'1':
            raise self._error(505, 'HTTP version %s is not supported' % (
                version.decode('ascii'),))
        if _URI_BAD.search(uri):
            raise self._error(400, 'malformed URI in request line %s' % (shown(line),))
        try:
            text = uri.decode('utf-8')
        except UnicodeDecodeError:
            raise self._error(400, 'URI is not UTF-8') from None
        self._method = method.decode('ascii')
        self._uri = text
        self._http = version.decode('ascii')

    def _field_line(self, line, trailer):
        if line[:1] in (b' ', b'\t'):
            raise self._error(400, 'obsolete line folding in %s' % (shown(line),))
        name, value = self._split_field(line)
        if len(name) > NAME_LIMIT:
            raise self._error(431, 'header name over %d characters' % (NAME_LIMIT,))
        if len(value) > VALUE_LIMIT:
            raise self._error(431, 'value of "%s" over %d characters' % (
                name.decode('ascii'), VALUE_LIMIT))
        if trailer:
            return          # trailer fields are read and checked, never used
        self._raw.append((name.lower(), value))
        store(self._header, self._spelling, name.decode('ascii'), decode_text(value))

    def _values(self, lower):
        return [v for n, v in self._raw if n == lower]

    def _end_of_header(self, out):
        """Decide how the body is framed (RFC 9112 §6.3)."""
        codings = transfer_codings(self._values(b'transfer-encoding'))
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
            self._state = CHUNK_SIZE
            return
        length = self._content_length(lengths)
        if length is None:
            out.append(self._complete(None))
            return
        if length > BODY_LIMIT:
            raise self._error(413, 'body of %d bytes is over %d' % (length, BODY_LIMIT))
        if length == 0:
            out.append(self._complete(b''))
            return
        self._left = length
        self._expecting(out)
        self._state = LENGTH

    def _expecting(self, out):
        """A client waiting for ``100 Continue`` before it sends the body gets told to."""
        if self._http == 'HTTP/1.1' and any(
                v.strip(b' \t').lower() == b'100-continue' for v in self._values(b'expect')):
            out.append(CONTINUE)

    def _complete(self, body):
        parsed = ParsedRequest(self._method, self._uri, self._http, self._header, body)
        self._state = _REQUEST_LINE
        self._begin()
        return parsed


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
    return _PHRASES.get(status) or _class_phrase(status)


def http_date(seconds=None):
    """An IMF-fixdate (RFC 9110 §5.6.7), independent of the locale."""
    t = time.gmtime(seconds)
    return '%s, %02d %s %04d %02d:%02d:%02d GMT' % (
        _DAYS[t.tm_wday], t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min,
        t.tm_sec)


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
        lines.append('Date: %s' % (http_date(),))
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
