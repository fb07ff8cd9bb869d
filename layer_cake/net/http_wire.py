"""What the server and client halves of HTTP/1.x read from the wire alike.

A request (read by :mod:`http_codec`) and a response (read by
:mod:`http_client_codec`) differ in their start line, their limits and how
an error is reported, but not in how a line is read, how header and
trailer fields are checked and stored, or how a Content-Length or chunked
body is framed.  That shared part lives here, once, so the two parsers
cannot drift apart: :class:`MessageParser` is the machine, and each side
supplies the start line, its limits and its errors.  Nothing here touches a
transport.
"""

import re

__all__ = [
    'FORM_TYPE', 'JSON_TYPE', 'TEXT_TYPE', 'TOKEN', 'CONTROL', 'decode_text', 'shown',
    'store', 'transfer_codings', 'MessageParser',
]

FORM_TYPE = 'application/x-www-form-urlencoded'
JSON_TYPE = 'application/json'
TEXT_TYPE = 'text/plain; charset=utf-8'

TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# Control characters other than HTAB: never allowed in a field value (or reason).
CONTROL = re.compile(rb'[\x00-\x08\x0a-\x1f\x7f]')
_SIZE_LINE = re.compile(rb'([0-9A-Fa-f]+)[ \t]*(?:;.*)?\Z', re.S)

# Parser states shared by both sides; each adds its start line (and its own).
HEADER = 'header'
LENGTH = 'body'
CHUNK_SIZE = 'chunk size'
CHUNK_DATA = 'chunk data'
CHUNK_END = 'chunk end'
TRAILER = 'trailer'
DEAD = 'dead'


def decode_text(raw):
    """Header text: UTF-8 when it is, else ISO-8859-1 (which never fails)."""
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        return raw.decode('iso-8859-1')


def shown(raw, most=60):
    """A short printable form of an offending line, for explanations."""
    text = repr(bytes(raw[:most]))
    return text + ('...' if len(raw) > most else '')


def store(fields, spelling, name, value):
    """Last wins, whatever the case of the name; the last spelling is kept.

    ``spelling`` maps each lower-case name to the key it has in ``fields``.
    """
    lower = name.lower()
    old = spelling.get(lower)
    if old is not None:
        del fields[old]
    spelling[lower] = name
    fields[name] = value


def transfer_codings(values):
    """The codings named by Transfer-Encoding values, lower case, in order, empties dropped."""
    codings = []
    for value in values:
        codings.extend(c.strip(b' \t').lower() for c in value.split(b','))
    return [c for c in codings if c]


class MessageParser(object):
    """The incremental reading of HTTP/1.x messages, one after another on a stream.

    ``feed`` returns the items the bytes complete, in stream order.  An
    error ends the stream: it is reported as the last item, after which the
    parser ignores everything.  Every limit is checked against the bytes of
    a line seen so far, with or without its end, so the items do not depend
    on how the bytes were split.

    A subclass names its start-line state in ``_start`` and supplies
    ``_read_start_line``, ``_start_line``, ``_field_line``,
    ``_end_of_header``, ``_complete``, ``_error`` and
    ``_long_chunked_body``, the limits below, and in ``_failure`` the
    exception its errors are raised as, which ``_failed`` turns into an item.
    """

    _start = None
    _failure = None
    # The header (and trailer) block, in bytes; a line of it; its lines (None: no limit).
    _block_limit = None
    _field_line_limit = None
    _block_lines_limit = None
    _chunk_line_limit = None
    _body_limit = None
    # What explanations call the two blocks.
    _header_block = 'header'
    _trailer_block = 'trailer'
    _unended_chunk = 'chunk data not followed by a line end'

    def __init__(self):
        self._buffer = bytearray()
        self._scanned = 0           # no LF in _buffer[:_scanned]
        self._state = self._start
        self._begin()

    def _begin(self):
        self._used = 0              # bytes of the header (or trailer) block so far
        self._lines = 0             # lines of the header (or trailer) block so far
        self._body = bytearray()
        self._left = 0

    def feed(self, data):
        """Take more bytes; the messages (and any error) they complete."""
        if self._state is DEAD:
            return []
        self._buffer += data
        out = []
        try:
            self._run(out)
        except self._failure as e:
            self._die()
            out.append(self._failed(e))
        return out

    def _die(self):
        self._state = DEAD
        self._buffer = bytearray()
        self._body = bytearray()
        self._scanned = 0

    # The machine.

    def _run(self, out):
        while True:
            state = self._state
            if state is self._start:
                line = self._read_start_line()
                if line is None:
                    return
                if line:                # empty lines before a message are skipped
                    self._start_line(line)
                    self._state = HEADER
            elif state is HEADER:
                line = self._block_line(self._header_block)
                if line is None:
                    return
                if line:
                    self._field_line(line, trailer=False)
                else:
                    self._end_of_header(out)
            elif state is LENGTH:
                if not self._take():
                    return
                out.append(self._complete(bytes(self._body)))
            elif state is CHUNK_SIZE:
                line = self._line(self._chunk_line_limit, self._long_chunk_line)
                if line is None:
                    return
                self._chunk_size(line)
            elif state is CHUNK_DATA:
                if not self._take():
                    return
                self._state = CHUNK_END
            elif state is CHUNK_END:
                if not self._chunk_end():
                    return
            elif state is TRAILER:
                line = self._block_line(self._trailer_block)
                if line is None:
                    return
                if line:
                    self._field_line(line, trailer=True)
                else:
                    out.append(self._complete(bytes(self._body)))
            elif not self._other_state(state):
                return

    def _other_state(self, state):
        """Work for a state of a subclass's own; False to wait for more bytes."""
        return False

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
        room = self._block_limit - self._used
        reason = '%s block over %d bytes' % (what, self._block_limit)
        line_limit = self._field_line_limit
        if line_limit is not None and room >= line_limit:
            room = line_limit
            reason = '%s line over %d bytes' % (what, line_limit)
        before = len(self._buffer)
        line = self._line(room, lambda: self._error(431, reason))
        if line is None:
            return None
        self._used += before - len(self._buffer)
        if line and self._block_lines_limit is not None:
            self._lines += 1
            if self._lines > self._block_lines_limit:
                raise self._error(431, 'more than %d %s lines' % (
                    self._block_lines_limit, what))
        return line

    def _long_chunk_line(self):
        return self._error(400, 'chunk size line over %d bytes' % (self._chunk_line_limit,))

    def _take(self):
        """Move up to ``_left`` bytes into the body; True when all have arrived."""
        n = min(self._left, len(self._buffer))
        if n:
            self._body += self._buffer[:n]
            del self._buffer[:n]
            self._left -= n
        return self._left == 0

    def _split_field(self, line):
        """The name and value of a field line (not a continuation), checked."""
        name, colon, value = line.partition(b':')
        if not colon:
            raise self._error(400, 'header line without a colon %s' % (shown(line),))
        if not TOKEN.match(name):
            raise self._error(400, 'malformed header name in %s' % (shown(line),))
        value = value.strip(b' \t')
        if CONTROL.search(value):
            raise self._error(400, 'control characters in header line %s' % (shown(line),))
        return name, value

    def _content_length(self, values):
        """The length all Content-Length values agree on; None when there are none."""
        found = set()
        for value in values:
            for item in value.split(b','):
                item = item.strip(b' \t')
                if not item.isdigit():
                    raise self._error(400, 'malformed Content-Length %s' % (shown(value),))
                found.add(int(item))
        if len(found) > 1:
            raise self._error(400, 'conflicting Content-Length values')
        return found.pop() if found else None

    def _chunk_size(self, line):
        m = _SIZE_LINE.match(line)
        if m is None:
            raise self._error(400, 'malformed chunk size line %s' % (shown(line),))
        digits = m.group(1).lstrip(b'0')
        if (len(digits) > 8
                or len(self._body) + int(digits or b'0', 16) > self._body_limit):
            raise self._long_chunked_body()
        size = int(digits or b'0', 16)
        if size == 0:
            self._used = 0
            self._lines = 0
            self._state = TRAILER
        else:
            self._left = size
            self._state = CHUNK_DATA

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
            raise self._error(400, self._unended_chunk)
        self._state = CHUNK_SIZE
        return True
