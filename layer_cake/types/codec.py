"""The JSON codec: values of portable types to text and back.

One codec is used everywhere (files, process output, command-line values and
the wire), so it is built for speed: for each portable type the codec builds,
once, a pair of functions that turn a value into its JSON *word* and back, and
caches them by signature.  Each function knows its type statically; the hot
path is a ``type(x) in ok`` test per value, where ``ok`` is the set of Python
types that stand for themselves in JSON (str for Unicode, float and int for
Float8...).  Whole lists of such scalars are checked in one pass with
``{*map(type, v)} <= ok``.  The member/index trail of an error is built only
while an error unwinds.

A *shipment* is the JSON object ``{"value": <word>}``, plus
``"pointer": [[alias, word], ...]`` when the value holds ``PointerTo`` data.
An ``Any`` is the triple ``[signature, word, [aliases used inside]]``.
"""

import base64
import binascii
import collections
import datetime
import enum
import json
import json.encoder
import json.scanner
import threading
import types
import uuid

from . import portable as P
from . import registry
from . import timetext
from .errors import CodecRuntimeError, CodecUsageError, ConversionError, PointConstructionError
from .incognito import Incognito, TypeNotBound

__all__ = ['CodecJson', 'value_to_word', 'word_to_value', 'compact_dumps', 'loads',
           'encode_any', 'encode_flat_any', 'decode_any']

_NoneType = type(None)
_EMPTY = frozenset()
_NONE = frozenset([_NoneType])
_MISSING = object()
_BUSY = object()
_REGISTRATION = P.REGISTRATION


class _Failed(Exception):
    """A conversion failed; ``path`` collects the trail (innermost first) as it unwinds."""

    def __init__(self, detail):
        Exception.__init__(self, detail)
        self.detail = detail
        self.path = []


def _failed(e):
    """``e`` as a _Failed (any other exception becomes one, with its text as detail)."""
    if isinstance(e, _Failed):
        return e
    if isinstance(e, RecursionError):
        f = _Failed('too deeply nested')
    else:
        f = _Failed(str(e) or type(e).__name__)
    f.__cause__ = e
    return f


def _no_transform(value, portable_class):
    if value is None:
        return _Failed('null structure')
    return _Failed('no transform %s/%s' % (type(value).__name__, portable_class.__name__))


def _message(action, e):
    path = ''.join(reversed(e.path)).lstrip('.')
    if path:
        text = 'cannot %s, near "%s" (%s)' % (action, path, e.detail)
    else:
        text = 'cannot %s (%s)' % (action, e.detail)
    error = CodecRuntimeError(text)
    error.detail = e.detail
    error.path = path
    return error


# The per-call state.

class _Encoding(object):
    """State of one encode call: the pointer table and the Any alias lists."""

    __slots__ = ('address_out', 'aliases', 'table', 'next', 'stamp', 'frames', 'anys',
                 'deps', 'keep', 'saved')

    def __init__(self, address_out):
        self.address_out = address_out
        self.aliases = None         # (id, element encoder) -> alias; made by the first pointer
        self.table = []             # [[alias, word], ...] in order of first appearance
        self.frames = []            # open Any triples / pointer words: lists of references
        self.anys = []              # reference lists of Any triples that refer to pointers

    def _start_pointers(self):
        self.aliases = {}
        self.next = 1100
        self.stamp = str(uuid.uuid4())      # one per encode call
        self.deps = {}                      # alias -> references inside its word
        self.keep = []
        self.saved = set()                  # aliases copied in from Incognito values

    def pointer(self, value, ok, encode):
        aliases = self.aliases
        if aliases is None:
            self._start_pointers()
            aliases = self.aliases
        # Keyed by the element type too: PointerTo(PointerTo(X)) has two
        # pointers to one Python object, and they must not share an alias.
        key = (id(value), encode)
        alias = aliases.get(key)
        if alias is None:
            alias = '%d:%s' % (self.next, self.stamp)
            self.next += 1
            aliases[key] = alias
            self.keep.append(value)     # ids stay unique while the call lasts
            entry = [alias, None]
            self.table.append(entry)
            refs = []
            self.frames.append(refs)
            try:
                entry[1] = value if type(value) in ok else encode(value, self)
            finally:
                self.frames.pop()
            if refs:
                self.deps[alias] = refs
        if self.frames:
            self.frames[-1].append(alias)
        return alias

    def incognito(self, value):
        """The alias list of an Incognito's triple; its saved pointers join the table."""
        if value.address_book:
            adopt = getattr(self.address_out, 'adopt', None)
            if adopt is not None:
                adopt(value.address_book)
        saved = value.saved_pointers
        if not saved:
            return []
        if self.aliases is None:
            self._start_pointers()
        present = self.saved
        for alias, word in saved.items():
            if alias not in present:
                present.add(alias)
                self.table.append([alias, word])
        refs = list(saved)
        self.anys.append(refs)
        if self.frames:
            self.frames[-1].append(refs)
        return refs

    def finish(self):
        """Fill each Any's alias list with every alias reachable from inside it."""
        if not self.anys:
            return
        deps = self.deps
        results = []
        for refs in self.anys:
            seen = set()
            out = []
            stack = list(reversed(refs))
            visited = set()
            while stack:
                r = stack.pop()
                if type(r) is str:
                    if r in seen:
                        continue
                    seen.add(r)
                    out.append(r)
                    more = deps.get(r)
                    if more:
                        stack.extend(reversed(more))
                elif id(r) not in visited:
                    visited.add(id(r))
                    stack.extend(reversed(r))
            results.append(out)
        for refs, out in zip(self.anys, results):
            refs[:] = out


class _Decoding(object):
    """State of one decode call: the pointer table and the objects decoded from it."""

    __slots__ = ('address_in', 'table', 'done')

    def __init__(self, table, address_in):
        self.address_in = address_in
        self.table = table          # alias -> word
        self.done = {}              # alias -> decoded object

    def pointer(self, alias, entry):
        value = self.done.get(alias, _MISSING)
        if value is not _MISSING:
            if value is _BUSY:
                raise _Failed('cyclic pointer "%s" through a value that cannot be shared' % (
                    alias,))
            return value
        word = self.table.get(alias, _MISSING)
        if word is _MISSING:
            raise _Failed('unknown pointer "%s"' % (alias,))
        ok, decode, fill, cls = entry
        if fill is not None:
            if type(word) is not dict:
                raise _no_transform(word, P.UserDefined)
            value = self.done[alias] = _construct(cls)
            fill(value, word, self)
            return value
        self.done[alias] = _BUSY
        value = self.done[alias] = word if type(word) in ok else decode(word, self)
        return value


def _construct(cls):
    try:
        return cls()
    except Exception as e:
        raise _Failed('cannot construct "%s" (%s)' % (cls.__qualname__, e))


# The tables of per-type functions.

class _Table(object):
    """Per-type functions by signature, built on first use and then shared."""

    def __init__(self, builders):
        self.builders = builders
        self.cache = {}
        self.building = None
        self.lock = threading.RLock()

    def get(self, portable):
        entry = self.cache.get(portable.signature())
        if entry is not None:
            return entry
        with self.lock:
            outer = self.building is None
            if outer:
                self.building = {}
            try:
                entry = self.child(portable)
                if outer:
                    self.cache.update(self.building)
            finally:
                if outer:
                    self.building = None
            return entry

    def child(self, portable):
        """The entry for a part of a type being built (call with the lock held)."""
        signature = portable.signature()
        entry = self.cache.get(signature) or self.building.get(signature)
        if entry is None:
            builder = self.builders.get(type(portable))
            if builder is None:
                raise CodecUsageError('no codec for portable %r' % (portable,))
            entry = builder(portable, self)
            self.building[signature] = entry
        return entry

    def early(self, portable, entry):
        """Publish an entry before its parts are built (recursive classes)."""
        self.building[portable.signature()] = entry


# Encoding: builders return (ok, fn), fn(value, state) -> word.

def _no_convert(value):
    return _MISSING


def _scalar_encoder(ok_types, convert=_no_convert):
    """Values of ``ok_types`` are their own word; ``convert`` handles the rest
    (returning _MISSING for a value it cannot take)."""
    def build(p, table):
        ok = frozenset(ok_types) | _NONE
        pc = type(p)

        def encode(value, state):
            word = convert(value)
            if word is _MISSING:
                raise _no_transform(value, pc)
            return word
        return ok, encode
    return build


def _int_convert(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return _MISSING


def _float_convert(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return _MISSING


def _bytes_convert(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode('latin-1')
    return _MISSING


def _block_convert(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode('ascii')
    return _MISSING


def _text_encoder(python_types, to_text):
    def build(p, table):
        pc = type(p)

        def encode(value, state):
            if not isinstance(value, python_types) or isinstance(value, bool):
                raise _no_transform(value, pc)
            try:
                return to_text(value)
            except ConversionError as e:
                raise _Failed(str(e))
        return _NONE, encode
    return build


def _uuid_encoder(p, table):
    def encode(value, state):
        if isinstance(value, uuid.UUID):
            return str(value)
        raise _no_transform(value, P.UUID)
    return _NONE, encode


def _enum_encoder(p, table):
    cls = p.element

    def encode(value, state):
        if isinstance(value, cls):
            return value.name
        raise _no_transform(value, P.Enumeration)
    return _NONE, encode


_INT = frozenset([int])
# A short array word is padded with defaults, but not by more than this many:
# a signature from the wire must not make the decoder build a huge list.
_MOST_PADDING = 1 << 16
_LIST = frozenset([list])


def _address_encoder(p, table):
    pc = type(p)

    def encode(value, state):
        hook = state.address_out
        if hook is not None:
            return hook(value)
        if type(value) is tuple or isinstance(value, (tuple, list)):
            if {*map(type, value)} <= _INT:
                return list(value)
        raise _no_transform(value, pc)
    return _NONE, encode


def _word_encoder(p, table):
    def encode(value, state):
        return value
    return _NONE, encode


def _type_encoder(p, table):
    def encode(value, state):
        if isinstance(value, P.Portable):
            return value.signature()
        if isinstance(value, (type, types.FunctionType)):
            r = getattr(value, _REGISTRATION, None)
            if r is not None:
                return r.path
            if isinstance(value, type) and issubclass(value, enum.Enum):
                return '%s.%s' % (value.__module__, value.__qualname__)
            raise _Failed('type "%s.%s" is not registered' % (
                value.__module__, value.__qualname__))
        if type(value) is TypeNotBound:
            return value.module_name
        raise _no_transform(value, P.Type)
    return _NONE, encode


def _sequence_encoder(accept, fixed=False):
    def build(p, table):
        eok, efn = table.child(p.element)
        pc = type(p)
        size = p.size if fixed else None

        def encode(value, state):
            if not isinstance(value, accept):
                raise _no_transform(value, pc)
            if size is not None and len(value) != size:
                raise _Failed('array [%d] vs type [%d]' % (len(value), size))
            if {*map(type, value)} <= eok:
                return list(value)
            out = []
            try:
                for x in value:
                    out.append(x if type(x) in eok else efn(x, state))
            except Exception as e:
                f = _failed(e)
                f.path.append('[%d]' % len(out))
                raise f
            return out
        return _EMPTY, encode
    return build


def _map_encoder(p, table):
    kok, kfn = table.child(p.key)
    vok, vfn = table.child(p.value)

    def encode(value, state):
        if not isinstance(value, dict):
            raise _no_transform(value, P.MapOf)
        if {*map(type, value)} <= kok and {*map(type, value.values())} <= vok:
            return list(map(list, value.items()))
        out = []
        try:
            for k, v in value.items():
                out.append([k if type(k) in kok else kfn(k, state),
                            v if type(v) in vok else vfn(v, state)])
        except Exception as e:
            f = _failed(e)
            f.path.append('[%d]' % len(out))
            raise f
        return out
    return _EMPTY, encode


def _user_encoder(p, table):
    cls = p.element
    r = P.registration_of(cls)
    if not isinstance(cls, type) or r is None or r.kind != 'message':
        def refuse(value, state):
            raise _no_transform(value, P.UserDefined)
        return _EMPTY, refuse
    if r.not_portable:
        def refuse(value, state):
            raise _Failed('"%s" is not portable' % (r.path,))
        return _EMPTY, refuse
    members = []

    def encode(value, state):
        if not isinstance(value, cls):
            raise _no_transform(value, P.UserDefined)
        out = {}
        try:
            for name, ok, fn in members:
                x = getattr(value, name)
                out[name] = x if type(x) in ok else fn(x, state)
        except Exception as e:
            f = _failed(e)
            f.path.append('.' + name)
            raise f
        return out
    entry = (_EMPTY, encode)
    table.early(p, entry)
    for name, t in r.schema.items():
        ok, fn = table.child(t)
        members.append((name, ok, fn))
    return entry


def _pointer_encoder(p, table):
    eok, efn = table.child(p.element)

    def encode(value, state):
        return state.pointer(value, eok, efn)
    return _NONE, encode


def _any_encoder(p, table):
    return _NONE, _encode_any


def _encode_any(value, state):
    t = type(value)
    if t is tuple:
        if len(value) != 2 or not isinstance(value[1], P.Portable):
            raise _no_transform(value, P.Any)
        value, portable = value
        signature = portable.signature()
        entry = _encoders.cache.get(signature) or _encoders.get(portable)
    else:
        if t is Incognito:
            if type(value.type_name) is not str:
                raise _Failed('incognito without a type name')
            return [value.type_name, value.decoded_word, state.incognito(value)]
        r = getattr(t, _REGISTRATION, None)
        if r is None or r.kind != 'message':
            raise _no_transform(value, P.Any)
        signature = r.path
        entry = _encoders.cache.get(signature)
        if entry is None:
            entry = _encoders.get(registry.def_type(r.target))
    ok, fn = entry
    frames = state.frames
    refs = []
    frames.append(refs)
    try:
        word = value if type(value) in ok else fn(value, state)
    finally:
        frames.pop()
    if refs:
        state.anys.append(refs)
        if frames:
            frames[-1].append(refs)
    return [signature, word, refs]


_encoders = _Table({
    P.Boolean: _scalar_encoder([bool]),
    P.Integer2: _scalar_encoder([int], _int_convert),
    P.Integer4: _scalar_encoder([int], _int_convert),
    P.Integer8: _scalar_encoder([int], _int_convert),
    P.Unsigned2: _scalar_encoder([int], _int_convert),
    P.Unsigned4: _scalar_encoder([int], _int_convert),
    P.Unsigned8: _scalar_encoder([int], _int_convert),
    P.Byte: _scalar_encoder([int], _int_convert),
    P.Float4: _scalar_encoder([float, int], _float_convert),
    P.Float8: _scalar_encoder([float, int], _float_convert),
    P.Rune: _scalar_encoder([str]),
    P.Unicode: _scalar_encoder([str]),
    P.Character: _scalar_encoder([], _bytes_convert),
    P.String: _scalar_encoder([], _bytes_convert),
    P.Block: _scalar_encoder([], _block_convert),
    P.ClockTime: _text_encoder((int, float), timetext.clock_to_text),
    P.TimeSpan: _text_encoder((int, float), timetext.span_to_text),
    P.WorldTime: _text_encoder(datetime.datetime, timetext.world_to_text),
    P.TimeDelta: _text_encoder(datetime.timedelta, timetext.delta_to_text),
    P.UUID: _uuid_encoder,
    P.Enumeration: _enum_encoder,
    P.Address: _address_encoder,
    P.TargetAddress: _address_encoder,
    P.Word: _word_encoder,
    P.Type: _type_encoder,
    P.Any: _any_encoder,
    P.VectorOf: _sequence_encoder((list, tuple)),
    P.DequeOf: _sequence_encoder((collections.deque, list, tuple)),
    P.SetOf: _sequence_encoder((set, frozenset)),
    P.ArrayOf: _sequence_encoder((list, tuple), fixed=True),
    P.MapOf: _map_encoder,
    P.UserDefined: _user_encoder,
    P.PointerTo: _pointer_encoder,
})


# Decoding: builders return (ok, fn, fill, cls); fill is set for classes only
# (fill(instance, word, state) sets the members, so that a pointer can register
# the instance before its members refer back to it).

def _scalar_decoder(ok_types, convert=_no_convert):
    def build(p, table):
        ok = frozenset(ok_types) | _NONE
        pc = type(p)

        def decode(word, state):
            value = convert(word)
            if value is _MISSING:
                raise _no_transform(word, pc)
            return value
        return ok, decode, None, None
    return build


def _float_word(word):
    if type(word) is int:
        return float(word)
    return _MISSING


def _bytes_word(word):
    if type(word) is str:
        try:
            return word.encode('latin-1')
        except UnicodeEncodeError:
            raise _Failed('not a byte string')
    return _MISSING


def _block_word(word):
    if type(word) is str:
        try:
            return bytearray(base64.b64decode(word, validate=True))
        except (binascii.Error, ValueError):
            raise _Failed('not base64')
    return _MISSING


def _text_decoder(from_text):
    def build(p, table):
        pc = type(p)

        def decode(word, state):
            if type(word) is not str:
                raise _no_transform(word, pc)
            try:
                return from_text(word)
            except ConversionError as e:
                raise _Failed(str(e))
        return _NONE, decode, None, None
    return build


def _uuid_decoder(p, table):
    def decode(word, state):
        if type(word) is not str:
            raise _no_transform(word, P.UUID)
        try:
            return uuid.UUID(word)
        except ValueError:
            raise _Failed('not a UUID "%s"' % (word,))
    return _NONE, decode, None, None


def _enum_decoder(p, table):
    members = p.element.__members__

    def decode(word, state):
        if type(word) is not str:
            raise _no_transform(word, P.Enumeration)
        m = members.get(word)
        if m is None:
            raise _Failed('undefined enum "%s"' % (word,))
        return m
    return _NONE, decode, None, None


def _address_decoder(p, table):
    pc = type(p)

    def decode(word, state):
        hook = state.address_in
        if hook is not None:
            return hook(word)
        if type(word) is list and {*map(type, word)} <= _INT:
            return tuple(word)
        raise _no_transform(word, pc)
    return _NONE, decode, None, None


def _word_decoder(p, table):
    def decode(word, state):
        return word
    return _NONE, decode, None, None


def _type_decoder(p, table):
    def decode(word, state):
        if type(word) is not str:
            raise _no_transform(word, P.Type)
        target = registry.lookup_path(word)
        if target is not None:
            return target
        try:
            return registry.signature_to_portable(word)
        except Exception:       # not loaded here, or not a signature at all
            return TypeNotBound(module_name=word)
    return _NONE, decode, None, None


def _sequence_decoder(make):
    def build(p, table):
        eok, efn = table.child(p.element)[:2]
        pc = type(p)

        def decode(word, state):
            if type(word) is not list:
                raise _no_transform(word, pc)
            if {*map(type, word)} <= eok:
                return make(word)
            out = []
            try:
                for w in word:
                    out.append(w if type(w) in eok else efn(w, state))
                return make(out)
            except Exception as e:
                f = _failed(e)
                if len(out) < len(word):
                    f.path.append('[%d]' % len(out))
                raise f
        return _EMPTY, decode, None, None
    return build


def _array_decoder(p, table):
    eok, efn = table.child(p.element)[:2]
    size = p.size
    element = p.element

    def decode(word, state):
        if type(word) is not list:
            raise _no_transform(word, P.ArrayOf)
        if len(word) > size:
            word = word[:size]
        if {*map(type, word)} <= eok:
            out = list(word)
        else:
            out = []
            try:
                for w in word:
                    out.append(w if type(w) in eok else efn(w, state))
            except Exception as e:
                f = _failed(e)
                f.path.append('[%d]' % len(out))
                raise f
        if len(out) < size:
            if size - len(out) > _MOST_PADDING:
                raise _Failed('array [%d] vs type [%d]' % (len(out), size))
            while len(out) < size:
                out.append(registry.make(element))
        return out
    return _EMPTY, decode, None, None


def _map_decoder(p, table):
    kok, kfn = table.child(p.key)[:2]
    vok, vfn = table.child(p.value)[:2]

    def decode(word, state):
        if type(word) is not list:
            raise _no_transform(word, P.MapOf)
        if {*map(type, word)} <= _LIST:
            try:
                out = dict(word)
            except (TypeError, ValueError):
                pass
            else:
                if {*map(type, out)} <= kok and {*map(type, out.values())} <= vok:
                    return out
        out = {}
        i = 0
        try:
            for i, pair in enumerate(word):
                if type(pair) is not list or len(pair) != 2:
                    raise _Failed('not a [key, value] pair')
                k, v = pair
                out[k if type(k) in kok else kfn(k, state)] = (
                    v if type(v) in vok else vfn(v, state))
        except Exception as e:
            f = _failed(e)
            f.path.append('[%d]' % i)
            raise f
        return out
    return _EMPTY, decode, None, None


def _user_decoder(p, table):
    cls = p.element
    r = P.registration_of(cls)
    if not isinstance(cls, type) or r is None or r.kind != 'message' or r.not_portable:
        def refuse(word, state):
            if r is not None and r.not_portable:
                raise _Failed('"%s" is not portable' % (r.path,))
            raise _no_transform(word, P.UserDefined)
        return _EMPTY, refuse, None, None
    members = {}
    plain = cls.__setattr__ is object.__setattr__

    def fill(instance, word, state):
        if plain:
            d = instance.__dict__
            try:
                for name, w in word.items():
                    m = members.get(name)
                    if m is not None:
                        d[name] = w if type(w) in m[0] else m[1](w, state)
            except Exception as e:
                f = _failed(e)
                f.path.append('.' + name)
                raise f
        else:
            try:
                for name, w in word.items():
                    m = members.get(name)
                    if m is not None:
                        setattr(instance, name, w if type(w) in m[0] else m[1](w, state))
            except Exception as e:
                f = _failed(e)
                f.path.append('.' + name)
                raise f

    def decode(word, state):
        if type(word) is not dict:
            raise _no_transform(word, P.UserDefined)
        instance = _construct(cls)
        fill(instance, word, state)
        return instance
    entry = (_EMPTY, decode, fill, cls)
    table.early(p, entry)
    for name, t in r.schema.items():
        # A member whose name is shadowed by a class-level data descriptor
        # must be set with setattr.
        if plain and hasattr(getattr(cls, name, None), '__set__'):
            plain = False
        members[name] = table.child(t)[:2]
    return entry


def _pointer_decoder(p, table):
    element = table.child(p.element)

    def decode(word, state):
        if type(word) is not str:
            raise _no_transform(word, P.PointerTo)
        return state.pointer(word, element)
    return _NONE, decode, None, None


def _any_decoder(p, table):
    return _NONE, _decode_any, None, None


def _decode_any(word, state):
    if type(word) is not list or len(word) != 3 or type(word[0]) is not str or type(
            word[2]) is not list:
        raise _Failed('not an Any triple')
    signature, w, aliases = word
    entry = _anys.get(signature)
    if entry is None:
        try:
            portable = registry.signature_to_portable(signature)
        except Exception:       # not loaded here, or not a signature at all
            table = state.table
            saved = {a: table[a] for a in aliases if type(a) is str and a in table}
            # A network hook knows the frame's address book; the Incognito keeps
            # it so that relaying the value carries its addresses along.
            book = getattr(state.address_in, 'book', None)
            return Incognito(type_name=signature, decoded_word=w, saved_pointers=saved,
                             address_book={k: list(a) for k, a in book.items()}
                             if book else None)
        ok, fn = _decoders.get(portable)[:2]
        entry = _anys[signature] = (portable, ok, fn, isinstance(portable, P.UserDefined))
    portable, ok, fn, user = entry
    value = w if type(w) in ok else fn(w, state)
    if user:
        return value
    return (value, portable)


_anys = {}      # signature -> (canonical portable, ok, fn, is a class)

_decoders = _Table({
    P.Boolean: _scalar_decoder([bool]),
    P.Integer2: _scalar_decoder([int]),
    P.Integer4: _scalar_decoder([int]),
    P.Integer8: _scalar_decoder([int]),
    P.Unsigned2: _scalar_decoder([int]),
    P.Unsigned4: _scalar_decoder([int]),
    P.Unsigned8: _scalar_decoder([int]),
    P.Byte: _scalar_decoder([int]),
    P.Float4: _scalar_decoder([float], _float_word),
    P.Float8: _scalar_decoder([float], _float_word),
    P.Rune: _scalar_decoder([str]),
    P.Unicode: _scalar_decoder([str]),
    P.Character: _scalar_decoder([], _bytes_word),
    P.String: _scalar_decoder([], _bytes_word),
    P.Block: _scalar_decoder([], _block_word),
    P.ClockTime: _text_decoder(timetext.text_to_clock),
    P.TimeSpan: _text_decoder(timetext.text_to_span),
    P.WorldTime: _text_decoder(timetext.text_to_world),
    P.TimeDelta: _text_decoder(timetext.text_to_delta),
    P.UUID: _uuid_decoder,
    P.Enumeration: _enum_decoder,
    P.Address: _address_decoder,
    P.TargetAddress: _address_decoder,
    P.Word: _word_decoder,
    P.Type: _type_decoder,
    P.Any: _any_decoder,
    P.VectorOf: _sequence_decoder(list),
    P.DequeOf: _sequence_decoder(collections.deque),
    P.SetOf: _sequence_decoder(set),
    P.ArrayOf: _array_decoder,
    P.MapOf: _map_decoder,
    P.UserDefined: _user_decoder,
    P.PointerTo: _pointer_decoder,
})


# The compiled path.  Most messages between processes are registered classes
# whose members are numbers, text, flags, UUIDs, enums, addresses, times or
# small classes of the same kind (HostPort).  For an Any holding one of those,
# the general walk (a state object, one closure call and one try per member,
# a chain of type tests per value) costs more than the conversion itself, and
# a process that has just woken pays for every function and object it
# touches, in cache misses.  So each such class gets one generated function
# each way, with the conversion of every member written in line.  They give
# way to the general path (by returning _MISSING) at the first value they do
# not expect, so that a value is encoded, decoded or refused exactly as the
# general path would, with the same text or the same error.

_flat_out = {}      # Python class -> encode(value, hook) -> Any triple; False: general path
_text_out = {}      # Python class -> encode(value, hook) -> shipment text; False: general path
_flat_in = {}       # signature -> decode(word, hook) -> instance; False: general path

# Portables whose usual values are their own JSON (the word is the value).
_SELF = (P.Boolean, P.Integer2, P.Integer4, P.Integer8, P.Unsigned2, P.Unsigned4,
         P.Unsigned8, P.Byte, P.Float4, P.Float8, P.Rune, P.Unicode)
_TEXT_OUT = {P.ClockTime: ((int, float), timetext.clock_to_text),
             P.TimeSpan: ((int, float), timetext.span_to_text),
             P.WorldTime: ((datetime.datetime,), timetext.world_to_text),
             P.TimeDelta: ((datetime.timedelta,), timetext.delta_to_text)}
_TEXT_IN = {P.ClockTime: timetext.text_to_clock, P.TimeSpan: timetext.text_to_span,
            P.WorldTime: timetext.text_to_world, P.TimeDelta: timetext.text_to_delta}
_DEEPEST = 4        # classes inside classes written in line, at most


def _quick_uuid():
    """True when a UUID made by setting its two slots equals uuid.UUID's own,
    and str() of a UUID is its 32 hex digits in the usual five groups."""
    text = '12345678-9abc-def0-1234-56789abcdef0'
    try:
        u = object.__new__(uuid.UUID)
        object.__setattr__(u, 'int', int(text.replace('-', ''), 16))
        object.__setattr__(u, 'is_safe', uuid.SafeUUID.unknown)
        v = uuid.UUID(text)
        if not (u == v and str(u) == text and hash(u) == hash(v)
                and u.is_safe is v.is_safe and not hasattr(v, '__dict__')):
            return False
        for w in (v, uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1), uuid.UUID(int=5)):
            h = '%032x' % w.int
            if str(w) != '%s-%s-%s-%s-%s' % (h[:8], h[8:12], h[12:16], h[16:20], h[20:]):
                return False
        return True
    except Exception:
        return False


_QUICK_UUID = _quick_uuid()


class _NotCompiled(Exception):
    """A member type the generated functions do not take: the general path keeps the class."""


class _Source(object):
    """The text of one generated function and the objects it names."""

    def __init__(self):
        self.lines = []
        self.names = {'M': _MISSING, 'INT': _INT}
        self.count = 0

    def constant(self, value):
        for name, known in self.names.items():
            if known is value:
                return name
        name = 'K%d' % (len(self.names),)
        self.names[name] = value
        return name

    def local(self):
        self.count += 1
        return 'x%d' % (self.count,)

    def add(self, indent, text):
        self.lines.append('    ' * indent + text)

    def build(self, name):
        code = '\n'.join(self.lines)
        exec(compile(code, '<codec %s>' % (name,), 'exec'), self.names)
        return self.names['f']


def _message_registration(t):
    """The registration of a class the generated functions may take, or None."""
    r = getattr(t, _REGISTRATION, None)
    if r is None or r.kind != 'message' or r.not_portable or not isinstance(r.target, type):
        return None
    return r


def _json_text(word):
    """A constant's JSON text, ready for a %-format."""
    return compact_dumps(word).replace('%', '%%')


def _float_text(x):
    """The JSON text json writes for a float (NaN and the infinities included)."""
    if x != x:
        return 'NaN'
    if x == _INFINITY:
        return 'Infinity'
    if x == -_INFINITY:
        return '-Infinity'
    return float.__repr__(x)


_INFINITY = float('inf')


def _self_text(src, indent, x, ok):
    """Lines that turn ``x``, a value standing for itself, into its JSON text."""
    first = 'if'
    for t, line in ((str, '%s = ESC(%s)'), (int, "%s = '%%d' %% %s"),
                    (bool, "%s = 'true' if %s else 'false'"), (float, '%s = FLOAT(%s)')):
        if t in ok:
            src.add(indent, '%s type(%s) is %s: %s' % (first, x, t.__name__, line % (x, x)))
            first = 'elif'
    src.add(indent, "elif %s is None: %s = 'null'" % (x, x))
    src.add(indent, 'else: return M')


def _encode_members(src, r, value, indent, depth, chain, top, text):
    """Lines that check and convert the members of ``value`` (of registration
    ``r``); the expression of the word's dict (or with ``text``, the %-format
    of its JSON text and the expression of its arguments), and the addresses
    left for the hook."""
    items = []
    addresses = []
    for name, m in r.schema.items():
        x = src.local()
        src.add(indent, '%s = %s.%s' % (x, value, name))
        pt = type(m)
        null = "'null'" if text else 'None'
        if pt in _SELF:
            ok = _encoders.get(m)[0]
            if text:
                _self_text(src, indent, x, ok)
            else:
                src.add(indent, 'if type(%s) not in %s: return M' % (x, src.constant(ok)))
        elif pt is P.UUID:
            # str(x) written out (uuid.UUID.__str__ is one more function to
            # wake); _quick_uuid() checks that it is the same text.
            h = src.local()
            form = src.constant('"%s-%s-%s-%s-%s"' if text else '%s-%s-%s-%s-%s')
            src.add(indent, 'if type(%s) is %s:' % (x, src.constant(uuid.UUID)))
            if _QUICK_UUID:
                src.add(indent + 1, "%s = '%%032x' %% %s.int" % (h, x))
                src.add(indent + 1, '%s = %s %% (%s[:8], %s[8:12], %s[12:16], %s[16:20], '
                                    '%s[20:])' % (x, form, h, h, h, h, h))
            elif text:
                src.add(indent + 1, '%s = ESC(str(%s))' % (x, x))
            else:
                src.add(indent + 1, '%s = str(%s)' % (x, x))
            src.add(indent, 'elif %s is None: %s = %s' % (x, x, null))
            src.add(indent, 'else: return M')
        elif pt is P.Enumeration:
            if text:
                names = src.constant({e: compact_dumps(e.name) for e in m.element})
                src.add(indent, 'if type(%s) is %s: %s = %s[%s]' % (
                    x, src.constant(m.element), x, names, x))
            else:
                src.add(indent, 'if type(%s) is %s: %s = %s.name' % (
                    x, src.constant(m.element), x, x))
            src.add(indent, 'elif %s is None: %s = %s' % (x, x, null))
            src.add(indent, 'else: return M')
        elif pt is P.WorldTime and text:
            # world_to_text() in line for UTC, the zone of every time the
            # library makes: its ISO text without the "+00:00".
            src.add(indent, 'if type(%s) is %s and %s.tzinfo is %s: %s = %s %% %s.isoformat()[:-6]'
                    % (x, src.constant(datetime.datetime), x, src.constant(timetext.UTC), x,
                       src.constant('"%s"'), x))
            src.add(indent, 'elif type(%s) is %s: %s = ESC(%s(%s))' % (
                x, src.constant(datetime.datetime), x, src.constant(timetext.world_to_text), x))
            src.add(indent, 'elif %s is None: %s = %s' % (x, x, null))
            src.add(indent, 'else: return M')
        elif pt in _TEXT_OUT:
            accept, to_text = _TEXT_OUT[pt]
            test = ' or '.join('type(%s) is %s' % (x, src.constant(a)) for a in accept)
            call = '%s(%s)' % (src.constant(to_text), x)
            src.add(indent, 'if %s: %s = %s' % (test, x, 'ESC(%s)' % (call,) if text else call))
            src.add(indent, 'elif %s is None: %s = %s' % (x, x, null))
            src.add(indent, 'else: return M')
        elif pt in (P.Address, P.TargetAddress) and top:
            # Converted last: the hook of a frame writes the address book.
            addresses.append(x)
        elif pt is P.UserDefined:
            inner = _message_registration(m.element)
            if inner is None or depth >= _DEEPEST or m.element in chain:
                raise _NotCompiled()
            src.add(indent, 'if type(%s) is not %s: return M' % (x, src.constant(m.element)))
            word, _ = _encode_members(src, inner, x, indent, depth + 1, chain + (m.element,),
                                      False, text)
            if text:
                word = '%s %% %s' % (src.constant(word[0]), word[1])
            src.add(indent, '%s = %s' % (x, word))
        else:
            raise _NotCompiled()
        items.append((name, x))
    if text:
        form = '{%s}' % (','.join('%s:%%s' % (_json_text(name),) for name, _ in items),)
        return (form, '(%s)' % (''.join('%s, ' % (x,) for _, x in items),)), addresses
    return '{%s}' % (', '.join('%r: %s' % (name, x) for name, x in items),), addresses


def _generated_encoder(t, text):
    """The generated encoder of values of class ``t`` (to the Any triple, or
    with ``text`` to the shipment's JSON text), or False."""
    if t is Incognito or t is tuple:
        return False
    r = _message_registration(t)
    if r is None:
        return False
    src = _Source()
    src.names.update(ESC=json.encoder.encode_basestring_ascii, FLOAT=_float_text,
                     DUMPS=compact_dumps)
    src.add(0, 'def f(v, hook):')
    src.add(1, 'try:')
    try:
        word, addresses = _encode_members(src, r, 'v', 2, 0, (r.target,), True, text)
    except _NotCompiled:
        return False
    for x in addresses:
        src.add(2, 'if %s is not None:' % (x,))
        src.add(3, 'if hook is not None: %s = hook(%s)' % (x, x))
        src.add(3, 'elif (type(%s) is tuple or type(%s) is list) and {*map(type, %s)} <= INT: '
                   '%s = list(%s)' % (x, x, x, x, x))
        src.add(3, 'else: return M')
        if text:
            src.add(3, '%s = DUMPS(%s)' % (x, x))
            src.add(2, "else: %s = 'null'" % (x,))
    if text:
        form, args = word
        shipment = '{"value":[%s,%s,[]]}' % (_json_text(r.path), form)
        src.add(2, 'return %s %% %s' % (src.constant(shipment), args))
    else:
        src.add(2, 'return [%s, %s, []]' % (src.constant(r.path), word))
    # A member that fails to read or convert: the general path reports it.
    src.add(1, 'except Exception: return M')
    encode = src.build(r.path)
    encode.addresses = bool(addresses)
    return encode


def _flat_encoder(t):
    """The generated encoder of values of class ``t`` to their Any triple, or False."""
    return _generated_encoder(t, False)


def _decode_members(src, cls, r, word, indent, depth, chain):
    """Lines that check and convert the members of the dict ``word`` into a new
    ``cls``; the name of the local holding it."""
    fresh = _construct(cls)
    d = getattr(fresh, '__dict__', None)
    # The instance is made without __init__ and given its members at once:
    # the same object as cls() with every member set, when __init__ sets the
    # members and nothing else, in an order kept here.
    if (type(d) is not dict or set(d) != set(r.schema) or cls.__new__ is not object.__new__
            or cls.__setattr__ is not object.__setattr__
            or hasattr(cls, '__slots__')):
        raise _NotCompiled()
    src.add(indent, 'if type(%s) is not dict or %s.keys() != %s: return M' % (
        word, word, src.constant(frozenset(r.schema))))
    items = []
    for name in d:
        m = r.schema[name]
        if hasattr(getattr(cls, name, None), '__set__'):
            raise _NotCompiled()       # a member behind a descriptor needs setattr
        x = src.local()
        src.add(indent, '%s = %s[%r]' % (x, word, name))
        pt = type(m)
        if pt in _SELF:
            ok = _decoders.get(m)[0]
            src.add(indent, 'if type(%s) not in %s: return M' % (x, src.constant(ok)))
        elif pt is P.UUID and _QUICK_UUID:
            # What uuid.UUID(text) does for the text it writes, without its
            # general parsing: int() takes exactly the texts that give the
            # same 32 digits there (hex digits, '_', blanks, '+').
            h = src.local()
            src.add(indent, 'if type(%s) is str:' % (x,))
            src.add(indent + 1, "%s = %s.replace('-', '')" % (h, x))
            src.add(indent + 1, 'if len(%s) != 32: return M' % (h,))
            src.add(indent + 1, '%s = int(%s, 16)' % (h, h))
            src.add(indent + 1, '%s = NEW(UUID)' % (x,))
            src.add(indent + 1, "SET(%s, 'int', %s)" % (x, h))
            src.add(indent + 1, "SET(%s, 'is_safe', UNKNOWN)" % (x,))
            src.add(indent, 'elif %s is not None: return M' % (x,))
        elif pt is P.UUID:
            src.add(indent, 'if type(%s) is str: %s = %s(%s)' % (
                x, x, src.constant(uuid.UUID), x))
            src.add(indent, 'elif %s is not None: return M' % (x,))
        elif pt is P.Enumeration:
            src.add(indent, 'if type(%s) is str: %s = %s[%s]' % (
                x, x, src.constant(dict(m.element.__members__)), x))
            src.add(indent, 'elif %s is not None: return M' % (x,))
        elif pt in _TEXT_IN:
            src.add(indent, 'if type(%s) is str: %s = %s(%s)' % (
                x, x, src.constant(_TEXT_IN[pt]), x))
            src.add(indent, 'elif %s is not None: return M' % (x,))
        elif pt in (P.Address, P.TargetAddress):
            src.add(indent, 'if %s is not None:' % (x,))
            src.add(indent + 1, 'if hook is not None: %s = hook(%s)' % (x, x))
            src.add(indent + 1, 'elif type(%s) is list and {*map(type, %s)} <= INT: '
                                '%s = tuple(%s)' % (x, x, x, x))
            src.add(indent + 1, 'else: return M')
        elif pt is P.UserDefined:
            inner = _message_registration(m.element)
            if inner is None or depth >= _DEEPEST or m.element in chain:
                raise _NotCompiled()
            x = _decode_members(src, m.element, inner, x, indent, depth + 1,
                                chain + (m.element,))
        else:
            raise _NotCompiled()
        items.append('%r: %s' % (name, x))
    o = src.local()
    src.add(indent, '%s = NEW(%s)' % (o, src.constant(cls)))
    src.add(indent, '%s.__dict__ = {%s}' % (o, ', '.join(items)))
    return o


def _flat_decoder(signature):
    """The generated decoder of the class named by ``signature``, False, or None
    when the general path has not met the signature yet."""
    entry = _anys.get(signature)
    if entry is None:
        return None
    portable, _, _, user = entry
    if not user:
        return False
    _, _, fill, cls = _decoders.get(portable)
    r = P.registration_of(cls)
    if fill is None or r is None:
        return False
    src = _Source()
    src.names.update(NEW=object.__new__, SET=object.__setattr__, UUID=uuid.UUID,
                     UNKNOWN=uuid.SafeUUID.unknown)
    src.add(0, 'def f(w, hook):')
    src.add(1, 'try:')
    try:
        o = _decode_members(src, cls, r, 'w', 2, 0, (cls,))
    except (_NotCompiled, _Failed):
        return False
    src.add(2, 'return %s' % (o,))
    # A word that fails to convert: the general path reports it.
    src.add(1, 'except Exception: return M')
    return src.build(signature)


def _encoder_of(t):
    encode = _flat_out.get(t)
    if encode is None:
        encode = _flat_out[t] = _flat_encoder(t)
    return encode


def _flat_any_text(value, hook=None, bare=False):
    """The compact JSON shipment of ``value`` as Any by the compiled path, or
    _MISSING (with ``bare``, also when ``value`` holds addresses)."""
    t = type(value)
    encode = _text_out.get(t)
    if encode is None:
        encode = _text_out[t] = _generated_encoder(t, True)
    if encode is False or (bare and encode.addresses):
        return _MISSING
    return encode(value, hook)


def _flat_any_word(value, hook=None):
    """The Any triple of ``value`` by the compiled path, or _MISSING."""
    encode = _encoder_of(type(value))
    if encode is False:
        return _MISSING
    return encode(value, hook)


def _flat_any_value(word, hook=None):
    """The value of an Any triple by the compiled path, or _MISSING."""
    if type(word) is not list or len(word) != 3 or type(word[0]) is not str or type(
            word[2]) is not list:
        return _MISSING
    signature = word[0]
    decode = _flat_in.get(signature)
    if decode is None:
        decode = _flat_decoder(signature)
        if decode is None:
            return _MISSING
        _flat_in[signature] = decode
    if decode is False:
        return _MISSING
    return decode(word[1], hook)


# JSON text without json's per-call set-up: the C encoder is made once (the
# same one json.dumps makes on each call), and a document is scanned by the C
# scanner directly when it needs none of json.loads' encoding detection or
# trailing whitespace handling.  Anything else goes through json itself.

def _compact_dumps():
    base = json.JSONEncoder(separators=(',', ':'), check_circular=False)
    make = getattr(json.encoder, 'c_make_encoder', None)
    if make is None:
        return base.encode
    try:
        run = make(None, base.default, json.encoder.encode_basestring_ascii, None, ':', ',',
                   False, False, True)
    except TypeError:
        return base.encode
    join = ''.join

    def dumps(o):
        return join(run(o, 0))
    return dumps


def _fast_loads():
    scanner = getattr(json.scanner, 'c_make_scanner', None)
    loads = json.loads
    if scanner is None:
        return loads
    scan = scanner(json.JSONDecoder())

    def fast(text):
        if type(text) is bytes:
            # What json.loads would detect: no BOM and no zero byte up front.
            if text[:2] != b'{"':
                return loads(text)
            try:
                s = text.decode('utf-8')
            except UnicodeDecodeError:
                return loads(text)
        elif type(text) is str and text[:1] == '{':
            s = text
        else:
            return loads(text)
        try:
            value, end = scan(s, 0)
        except StopIteration:
            return loads(text)      # raises json's own error
        if end != len(s):
            return loads(text)
        return value
    return fast


compact_dumps = _compact_dumps()
loads = _fast_loads()


# The public surface.

def _portable(portable):
    if isinstance(portable, P.Portable):
        return portable
    try:
        return registry.def_type(portable)
    except PointConstructionError as e:
        raise CodecUsageError('not a type (%s)' % (e,))


def _encode_word(value, portable, state):
    entry = _encoders.cache.get(portable.signature()) if isinstance(
        portable, P.Portable) else None
    if entry is None:
        entry = _encoders.get(_portable(portable))
    ok, fn = entry
    try:
        word = value if type(value) in ok else fn(value, state)
        state.finish()
    except Exception as e:
        raise _message('encode', _failed(e)) from e
    return word


def _decode_word(word, portable, state):
    entry = _decoders.cache.get(portable.signature()) if isinstance(
        portable, P.Portable) else None
    if entry is None:
        entry = _decoders.get(_portable(portable))
    ok, fn = entry[:2]
    try:
        return word if type(word) in ok else fn(word, state)
    except Exception as e:
        raise _message('decode', _failed(e)) from e


def value_to_word(value, portable, address_out=None):
    """The JSON word (lists, dicts, str, numbers...) of a value of a portable type.

    The per-type conversion without the shipment: a value holding
    ``PointerTo`` data cannot be written this way.  Raises CodecRuntimeError.
    """
    state = _Encoding(address_out)
    word = _encode_word(value, portable, state)
    if state.table:
        raise CodecRuntimeError('cannot encode (pointers need a shipment)')
    return word


def word_to_value(word, portable, address_in=None):
    """The value of a portable type read from its JSON word (e.g. from ``json.loads``).

    Lists and dicts of the word may be reused in the value.  Raises
    CodecRuntimeError.
    """
    return _decode_word(word, portable, _Decoding({}, address_in))


class CodecJson(object):
    """Encodes values of portable types as JSON shipments, and decodes them.

    ``pretty_format=True`` sorts keys and indents by 4; otherwise the text is
    compact (separators ``,`` and ``:``).  The optional ``address_out`` /
    ``address_in`` of ``encode``/``decode`` map every Address/TargetAddress
    value to the word written and from the word read (default: the address
    tuple as a JSON array of ints).
    """

    def __init__(self, pretty_format=False):
        self.pretty_format = pretty_format
        if pretty_format:
            self._dumps = json.JSONEncoder(sort_keys=True, indent=4,
                                           separators=(',', ': ')).encode
        else:
            self._dumps = compact_dumps

    def encode(self, value, portable, address_out=None):
        """The JSON text of ``value`` of type ``portable``; raises CodecRuntimeError."""
        if type(portable) is P.Any:
            if not self.pretty_format:
                text = _flat_any_text(value, address_out)
                if text is not _MISSING:
                    return text
                word = _MISSING
            else:
                word = _flat_any_word(value, address_out)
        else:
            word = _MISSING
        if word is not _MISSING:
            shipment = {'value': word}
        else:
            state = _Encoding(address_out)
            word = _encode_word(value, portable, state)
            if state.table:
                shipment = {'value': word, 'pointer': state.table}
            else:
                shipment = {'value': word}
        try:
            return self._dumps(shipment)
        except (TypeError, ValueError, RecursionError) as e:
            raise CodecRuntimeError('cannot encode (%s)' % (
                'too deeply nested' if isinstance(e, RecursionError) else e,)) from e

    def decode(self, text, portable, address_in=None):
        """The value of type ``portable`` held in a JSON text; raises CodecRuntimeError."""
        return _from_shipment(_parse(text), portable, address_in)


def _parse(text):
    """The shipment (JSON document) in ``text``; raises CodecError."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise CodecUsageError('cannot decode a %s' % (type(text).__name__,))
    try:
        return loads(text)
    except ValueError as e:
        raise CodecRuntimeError('cannot decode (%s)' % (e,)) from e
    except RecursionError as e:
        raise CodecRuntimeError('cannot decode (too deeply nested)') from e


def _from_shipment(shipment, portable, address_in):
    if type(shipment) is not dict or 'value' not in shipment:
        raise CodecRuntimeError('cannot decode (not a shipment)')
    pointers = shipment.get('pointer')
    if pointers is None:
        if type(portable) is P.Any:
            value = _flat_any_value(shipment['value'], address_in)
            if value is not _MISSING:
                return value
        table = {}
    else:
        try:
            table = dict(pointers)
            if not all(type(a) is str for a in table):
                raise ValueError()
        except (TypeError, ValueError) as e:
            raise CodecRuntimeError('cannot decode (bad pointer table)') from e
    return _decode_word(shipment['value'], portable, _Decoding(table, address_in))


_ANY = P.Any()


def encode_any(value, address_out=None):
    """``CodecJson().encode(value, Any, address_out)``, shortest path first (the wire's)."""
    text = _flat_any_text(value, address_out)
    if text is not _MISSING:
        return text
    return _compact.encode(value, _ANY, address_out)


def encode_flat_any(value):
    """``encode_any(value)`` when the compiled path takes ``value`` and it holds
    no addresses, else None: a caller can skip setting up the general
    encoding's hooks."""
    text = _flat_any_text(value, None, True)
    if text is _MISSING:
        return None
    return text


def decode_any(text, address_in=None):
    """``CodecJson().decode(text, Any, address_in)``, shortest path first (the wire's)."""
    try:
        shipment = loads(text)
    except Exception:
        shipment = _parse(text)     # raises the codec's own error
    if type(shipment) is dict and len(shipment) == 1:
        # _flat_any_value() in line: one function fewer to wake per message.
        word = shipment.get('value')
        if (type(word) is list and len(word) == 3 and type(word[0]) is str
                and type(word[2]) is list):
            decode = _flat_in.get(word[0])
            if decode:
                value = decode(word[1], address_in)
                if value is not _MISSING:
                    return value
            elif decode is None:
                value = _flat_any_value(word, address_in)
                if value is not _MISSING:
                    return value
    return _from_shipment(shipment, _ANY, address_in)


_compact = CodecJson()
