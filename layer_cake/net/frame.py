"""The frame format of framed connections (network.md §4) and address rewriting (§3.2).

A frame is ``<h>,<b>,<t>\\n`` followed by ``t`` bytes of payload and ``\\n``.
The payload is the header (JSON: destination path, return address), the body
(the message encoded as Any by the runtime's one JSON codec) and the address
book (JSON: placeholder key -> address, for addresses inside the body).

Addresses are tuples of ids read right to left (see
:mod:`layer_cake.runtime.address`).  Leaving through proxy ``p``, an address
ending in ``p`` has that id replaced by the marker 0; arriving through proxy
``q``, a trailing 0 is removed and anything else gets ``q`` appended.  So a
return path grows hop by hop, and an address that comes home is the plain
local address again.  An address reduced to nothing means "the object that
owns this end of the connection" (the local termination).

Nothing here touches sockets or the reactor: :class:`FrameParser` is fed bytes
and :func:`encode_frame` returns them.
"""

import itertools
import json
import os
import re

from ..types.codec import compact_dumps, decode_any, encode_any, encode_flat_any
from ..types.errors import CodecError

FRAME_LIMIT = 1 << 20           # payload bytes
SIZE_LINE_LIMIT = 23            # characters before the newline

_loads = json.JSONDecoder().decode
_dumps = compact_dumps

# Placeholder keys must not collide with keys carried in from another process
# (an Incognito relayed here keeps its sender's keys), so ours carry a token.
_token = os.urandom(4).hex()
_keys = itertools.count(1)


def _new_token():
    global _token
    _token = os.urandom(4).hex()


# A process forked without exec (a warm-started role) is a new process too.
os.register_at_fork(after_in_child=_new_token)


class FrameError(Exception):
    """Input that is not a frame; the connection must be closed."""


class FrameParser(object):
    """Splits a byte stream into (header, body, book) payload parts.

    ``feed`` returns every complete frame so far and raises FrameError on
    the first malformed one; a declared size is checked against the limit
    before any of its payload is kept.
    """

    def __init__(self, limit=FRAME_LIMIT):
        self._limit = limit
        self._buffer = b''
        self._sizes = None      # (h, b, t) of the frame whose payload is awaited

    def feed(self, data):
        if not self._buffer and self._sizes is None:
            # The usual read: exactly one whole frame.
            m = _match_size_line(data)
            if m is not None:
                h, b, t = int(m[1]), int(m[2]), int(m[3])
                start = m.end()
                stop = start + t
                if len(data) == stop + 1 and data[stop] == 10 and t <= self._limit and \
                        h + b <= t and start <= SIZE_LINE_LIMIT + 1:
                    middle = start + h
                    return [(data[start:middle], data[middle:middle + b], data[middle + b:stop])]
        buffer = self._buffer + data if self._buffer else data
        frames = []
        position = 0
        end = len(buffer)
        while True:
            sizes = self._sizes
            if sizes is None:
                newline = buffer.find(b'\n', position, position + SIZE_LINE_LIMIT + 1)
                if newline < 0:
                    if end - position > SIZE_LINE_LIMIT:
                        raise FrameError('size line longer than %d characters' % (
                            SIZE_LINE_LIMIT,))
                    _check_partial(buffer[position:end])
                    break
                sizes = self._sizes = _size_line(buffer[position:newline], self._limit)
                position = newline + 1
            h, b, t = sizes
            if end - position < t + 1:
                break
            stop = position + t
            if buffer[stop] != 10:
                raise FrameError('no newline after the payload')
            frames.append((buffer[position:position + h], buffer[position + h:position + h + b],
                           buffer[position + h + b:stop]))
            position = stop + 1
            self._sizes = None
        self._buffer = buffer[position:] if position < end else b''
        return frames


# A size line of the usual form (its length is checked by the caller).
_match_size_line = re.compile(rb'(\d+),(\d+),(\d+)\n').match


def _check_partial(text):
    """Fail early on a size line that is already wrong before its newline."""
    wrong = text.translate(None, b'0123456789,')
    if wrong:
        raise FrameError('unexpected %r in the size line' % (wrong[:1],))


def _size_line(line, limit):
    if line.translate(None, b'0123456789,'):
        raise FrameError('unexpected characters in the size line %r' % (line[:SIZE_LINE_LIMIT],))
    fields = line.split(b',')
    if len(fields) != 3:
        raise FrameError('size line has %d fields, not 3' % (len(fields),))
    if not all(fields):
        raise FrameError('empty field in the size line')
    h, b, t = (int(f) for f in fields)
    if t > limit:
        raise FrameError('oversize frame (%d bytes, limit %d)' % (t, limit))
    if h > t or h + b > t:
        raise FrameError('inconsistent offsets (%d,%d,%d)' % (h, b, t))
    return h, b, t


def pack(header, body, book):
    """The bytes of one frame from its three encoded parts; FrameError when too big."""
    t = len(header) + len(body) + len(book)
    if t > FRAME_LIMIT:
        raise FrameError('oversize frame (%d bytes, limit %d)' % (t, FRAME_LIMIT))
    return b'%d,%d,%d\n%b%b%b\n' % (len(header), len(body), t, header, body, book)


# Address rewriting at a proxy.

def address_out(address, proxy_id):
    """The wire form (a list) of a local address leaving through ``proxy_id``."""
    if address is None:
        return None
    if len(address) == 1 and address[0] == 0:
        return []                               # the null address stays null
    if address[-1] == proxy_id:
        return list(address[:-1]) + [0]
    return list(address)


def address_in(word, proxy_id, termination):
    """The local address of a wire address arriving through ``proxy_id``.

    ``termination`` is the address of the local end's owner (what an address
    reduced to nothing designates).
    """
    if word is None:
        return None
    if type(word) is not list or not all(type(i) is int and i >= 0 for i in word):
        raise FrameError('malformed address %r' % (word,))
    if not word:
        return (0,)
    if word[-1] == 0:
        rest = tuple(word[:-1])
        return rest if rest else termination
    return tuple(word) + (proxy_id,)


class _Outbound(object):
    """The codec's address hook for one encode: placeholders into the book."""

    __slots__ = ('proxy_id', 'book')

    def __init__(self, proxy_id):
        self.proxy_id = proxy_id
        self.book = None

    def __call__(self, address):
        if address is None:
            return None
        key = '%x:%s' % (next(_keys), _token)
        if self.book is None:
            self.book = []
        self.book.append([key, address_out(address, self.proxy_id)])
        return key

    def adopt(self, address_book):
        """Carry an Incognito's addresses (already local) into this frame's book."""
        if self.book is None:
            self.book = []
        for key, address in address_book.items():
            self.book.append([key, address_out(tuple(address), self.proxy_id)])


class _Inbound(object):
    """The codec's address hook for one decode: placeholders out of the book."""

    __slots__ = ('book',)

    def __init__(self, book):
        self.book = book

    def __call__(self, key):
        if key is None:
            return None
        try:
            return self.book[key]
        except (KeyError, TypeError):
            raise FrameError('address %r is not in the address book' % (key,))


_NO_BOOK = _Inbound({})     # read-only: a frame without a book


def _ids(ids):
    """The JSON array of a list of ints (or null), without the general encoder."""
    if ids is None:
        return b'null'
    return b'[%b]' % (b','.join(b'%d' % (i,) for i in ids),)


# A connection carries the same few (destination, return address) pairs over
# and over, so headers are remembered both ways.  The tables are emptied when
# they fill up, which bounds them whatever arrives.
_CACHE_LIMIT = 1024
_headers_out = {}
_headers_in = {}


def _header(to_path, return_address, proxy_id):
    key = (to_path, return_address, proxy_id)
    try:
        return _headers_out[key]
    except (KeyError, TypeError):       # TypeError: a list where a tuple is usual
        pass
    header = b'{"value":{"to_address":%b,"return_address":%b,"tunnel":false}}' % (
        _ids(to_path), _ids(address_out(return_address, proxy_id)))
    if type(to_path) is tuple and type(return_address) is tuple:
        if len(_headers_out) >= _CACHE_LIMIT:
            _headers_out.clear()
        _headers_out[key] = header
    return header


def encode_frame(message, to_path, return_address, proxy_id):
    """The frame carrying ``message`` to ``to_path`` (far-end terms) from ``return_address``.

    Raises CodecError when the message cannot be encoded.
    """
    text = encode_flat_any(message)
    if text is None:
        hook = _Outbound(proxy_id)
        body = encode_any(message, hook).encode('utf-8')
        header = _header(to_path, return_address, proxy_id)
        if hook.book:
            return pack(header, body, _dumps({'value': hook.book}).encode('utf-8'))
    else:
        body = text.encode('utf-8')
        header = _header(to_path, return_address, proxy_id)
    # pack() without a book, in line: this is every frame of a flat message.
    h = len(header)
    b = len(body)
    if h + b > FRAME_LIMIT:
        raise FrameError('oversize frame (%d bytes, limit %d)' % (h + b, FRAME_LIMIT))
    return b'%d,%d,%d\n%b%b\n' % (h, b, h + b, header, body)


def relay_frame(to_path, return_word, book_words, body, proxy_id):
    """Re-frame a body that passes through this process without being decoded."""
    header = _header(to_path, return_word, proxy_id)
    if book_words:
        book = _dumps({'value': [[k, address_out(a, proxy_id)]
                                 for k, a in book_words.items()]}).encode('utf-8')
    else:
        book = b''
    return pack(header, body, book)


_HEADER_START = b'{"value":{"to_address":['
_HEADER_MIDDLE = b'],"return_address":['
_HEADER_END = b'],"tunnel":false}}'


def _fast_ids(text):
    return tuple(int(i) for i in text.split(b',')) if text else ()


def read_header(header, proxy_id, termination):
    """(to_path, return_address) of an arriving frame, in local terms.

    ``to_path`` is a tuple; empty means the local termination.
    """
    key = (header, proxy_id, termination)
    try:
        return _headers_in[key]
    except (KeyError, TypeError):
        pass
    found = _read_header(header, proxy_id, termination)
    if len(_headers_in) >= _CACHE_LIMIT:
        _headers_in.clear()
    try:
        _headers_in[key] = found
    except TypeError:
        pass
    return found


def _read_header(header, proxy_id, termination):
    # The layout this module writes is read without the JSON decoder.
    if header.startswith(_HEADER_START) and header.endswith(_HEADER_END):
        middle = header[len(_HEADER_START):-len(_HEADER_END)].split(_HEADER_MIDDLE)
        if len(middle) == 2 and middle[0].translate(None, b'0123456789,') == b'' and \
                middle[1].translate(None, b'0123456789,') == b'':
            try:
                to_path = _fast_ids(middle[0])
                return_word = list(_fast_ids(middle[1]))
            except ValueError:
                raise FrameError('malformed header')
            if all(to_path):
                return to_path, address_in(return_word, proxy_id, termination)
    try:
        word = _loads(header.decode('utf-8'))['value']
        to_word = word['to_address']
        return_word = word['return_address']
    except (ValueError, TypeError, KeyError) as e:
        raise FrameError('bad header (%s)' % (e,))
    if type(to_word) is not list or not all(type(i) is int and i > 0 for i in to_word):
        raise FrameError('malformed destination %r' % (to_word,))
    return tuple(to_word), address_in(return_word, proxy_id, termination)


def read_book(book, proxy_id, termination):
    """{key: local address} of an arriving frame's address book."""
    if not book:
        return {}
    try:
        entries = _loads(book.decode('utf-8'))['value']
        return {k: address_in(a, proxy_id, termination) for k, a in entries}
    except FrameError:
        raise
    except (ValueError, TypeError, KeyError) as e:
        raise FrameError('bad address book (%s)' % (e,))


def read_body(body, book):
    """The message in an arriving frame's body; its addresses come from ``book``."""
    try:
        return decode_any(body, _Inbound(book) if book else _NO_BOOK)
    except CodecError as e:
        raise FrameError('cannot decode the body (%s)' % (e,))
