"""Portable types: instances that describe the type of a value.

A portable instance (``VectorOf(Float8())``) names a type independently of
Python, so that values can be dispatched on, logged and encoded the same way
in every process.  Each portable has a *signature* (the canonical text used as
a table key and on the wire, ``vector<float8>``) and a *tag* (the short name
used in handler names and logs, ``list_float``).

This module also converts Python type hints (``list[list[float]]``) into
portables; the canonical table of portables lives in :mod:`.registry`.
"""

import collections
import datetime
import enum
import types
import typing
import uuid

from .errors import PointConstructionError


# The attribute under which a registered class, function or enum keeps its
# Registration.  Looked up with getattr so that unbound subclasses inherit the
# registration of their nearest bound ancestor.
REGISTRATION = '__lc_registration__'


class Registration(object):
    """What the runtime knows of a registered class, function or machine."""

    def __init__(self, kind, target, schema=None, return_type=None,
                 lifecycle=True, message_trail=True, execution_trace=True,
                 copy_before_sending=True, not_portable=False, user_logs=None,
                 entry_point=None, thread=None):
        self.kind = kind                    # 'message', 'routine', 'point', 'enum'
        self.target = target
        self.name = target.__name__
        self.path = '%s.%s' % (target.__module__, target.__qualname__)
        self.schema = schema if schema is not None else {}
        self.return_type = return_type
        self.lifecycle = lifecycle
        self.message_trail = message_trail
        self.execution_trace = execution_trace
        self.copy_before_sending = copy_before_sending
        self.not_portable = not_portable
        self.user_logs = user_logs
        self.entry_point = entry_point
        self.thread = thread
        # Filled in by the runtime's bind for machines.
        self.dispatch = None

    def __repr__(self):
        return '<Registration %s %s>' % (self.kind, self.path)


def registration_of(target):
    """The registration of a class/function (inherited by subclasses), or None."""
    return getattr(target, REGISTRATION, None)


def is_bound_here(target):
    """True when this exact class or function was registered (not an ancestor)."""
    if isinstance(target, type):
        return REGISTRATION in target.__dict__
    return hasattr(target, REGISTRATION)


class Portable(object):
    """Base of every type descriptor; instances are immutable once built."""

    __slots__ = ('_signature',)

    def __init__(self):
        self._signature = None

    def signature(self):
        s = self._signature
        if s is None:
            s = self._signature = self._make_signature()
        return s

    def _make_signature(self):
        return self.SIGNATURE

    def tag(self):
        return self.TAG

    def children(self):
        return ()

    def __eq__(self, other):
        return isinstance(other, Portable) and other.signature() == self.signature()

    def __hash__(self):
        return hash(self.signature())

    def __repr__(self):
        return '%s(%s)' % (type(self).__name__, ', '.join(repr(c) for c in self.children()))

    def __str__(self):
        return self.signature()


def _scalar(name, signature, tag, doc):
    cls = type(name, (Portable,), {'__slots__': (), 'SIGNATURE': signature, 'TAG': tag,
                                   '__doc__': doc, '__module__': __name__})
    return cls


Boolean = _scalar('Boolean', 'boolean', 'bool', 'True or False.')
Integer2 = _scalar('Integer2', 'integer2', 'integer2', 'A 2-byte signed integer.')
Integer4 = _scalar('Integer4', 'integer4', 'integer4', 'A 4-byte signed integer.')
Integer8 = _scalar('Integer8', 'integer8', 'int', 'An 8-byte signed integer (Python int).')
Unsigned2 = _scalar('Unsigned2', 'unsigned2', 'unsigned2', 'A 2-byte unsigned integer.')
Unsigned4 = _scalar('Unsigned4', 'unsigned4', 'unsigned4', 'A 4-byte unsigned integer.')
Unsigned8 = _scalar('Unsigned8', 'unsigned8', 'unsigned8', 'An 8-byte unsigned integer.')
Float4 = _scalar('Float4', 'float4', 'float4', 'A 4-byte float.')
Float8 = _scalar('Float8', 'float8', 'float', 'An 8-byte float (Python float).')
Byte = _scalar('Byte', 'byte', 'byte', 'A single byte held as an int.')
Character = _scalar('Character', 'character', 'character', 'A single byte held as bytes.')
Rune = _scalar('Rune', 'rune', 'rune', 'A single code point held as str.')
Block = _scalar('Block', 'block', 'bytearray', 'A run of bytes held as bytearray.')
String = _scalar('String', 'string', 'bytes', 'Printable bytes held as bytes.')
Unicode = _scalar('Unicode', 'unicode', 'str', 'Text held as str.')
ClockTime = _scalar('ClockTime', 'clock', 'clock', 'Epoch seconds held as float.')
TimeSpan = _scalar('TimeSpan', 'span', 'span', 'A duration in seconds held as float.')
WorldTime = _scalar('WorldTime', 'world', 'datetime', 'A zone-aware datetime.')
TimeDelta = _scalar('TimeDelta', 'delta', 'timedelta', 'A timedelta.')
UUID = _scalar('UUID', 'uuid', 'UUID', 'A uuid.UUID.')
Any = _scalar('Any', 'any', 'any', 'A value together with its portable type.')
Address = _scalar('Address', 'address', 'address', 'The address of an object.')
TargetAddress = _scalar('TargetAddress', 'target', 'target', 'A destination address.')
Type = _scalar('Type', 'type', 'type', 'A registered class or function.')
Word = _scalar('Word', 'word', 'word', 'A generic decoded word, passed through.')

SCALARS = (Boolean, Integer2, Integer4, Integer8, Unsigned2, Unsigned4, Unsigned8,
           Float4, Float8, Byte, Character, Rune, Block, String, Unicode, ClockTime,
           TimeSpan, WorldTime, TimeDelta, UUID, Any, Address, TargetAddress, Type, Word)


class _Container(Portable):
    __slots__ = ()


class VectorOf(_Container):
    """A list of elements of one type."""
    __slots__ = ('element',)
    NAME, TAG_NAME = 'vector', 'list'

    def __init__(self, element):
        Portable.__init__(self)
        self.element = portable_leaf(element)

    def _make_signature(self):
        return '%s<%s>' % (self.NAME, self.element.signature())

    def tag(self):
        return '%s_%s' % (self.TAG_NAME, self.element.tag())

    def children(self):
        return (self.element,)


class DequeOf(VectorOf):
    """A collections.deque of elements of one type."""
    __slots__ = ()
    NAME, TAG_NAME = 'deque', 'deque'


class SetOf(VectorOf):
    """A set of elements of one type."""
    __slots__ = ()
    NAME, TAG_NAME = 'set', 'set'


class PointerTo(VectorOf):
    """A value that may appear several times in one graph (shared or cyclic)."""
    __slots__ = ()
    NAME, TAG_NAME = 'pointer', 'pointer'


class ArrayOf(_Container):
    """A list of exactly ``size`` elements of one type."""
    __slots__ = ('element', 'size')

    def __init__(self, element, size):
        Portable.__init__(self)
        self.element = portable_leaf(element)
        self.size = int(size)

    def _make_signature(self):
        return 'array<%s,%d>' % (self.element.signature(), self.size)

    def tag(self):
        return 'array_%s_%d' % (self.element.signature(), self.size)

    def children(self):
        return (self.element,)

    def __repr__(self):
        return 'ArrayOf(%r, %d)' % (self.element, self.size)


class MapOf(_Container):
    """A dict from keys of one type to values of another."""
    __slots__ = ('key', 'value')

    def __init__(self, key, value):
        Portable.__init__(self)
        self.key = portable_leaf(key)
        self.value = portable_leaf(value)

    def _make_signature(self):
        return 'map<%s,%s>' % (self.key.signature(), self.value.signature())

    def tag(self):
        return 'dict_%s_%s' % (self.key.tag(), self.value.tag())

    def children(self):
        return (self.key, self.value)


class UserDefined(Portable):
    """An instance of a registered class (also names functions and machines)."""
    __slots__ = ('element',)

    def __init__(self, element):
        Portable.__init__(self)
        if registration_of(element) is None:
            raise PointConstructionError('cannot convert hint "%s" (not registered)' % (
                getattr(element, '__qualname__', element),))
        self.element = element

    def _make_signature(self):
        return registration_of(self.element).path

    def tag(self):
        return self.element.__name__

    def __repr__(self):
        return 'UserDefined(%s)' % (self.element.__qualname__,)


class Enumeration(Portable):
    """A member of an enum.Enum class."""
    __slots__ = ('element',)

    def __init__(self, element):
        Portable.__init__(self)
        if not (isinstance(element, type) and issubclass(element, enum.Enum)):
            raise PointConstructionError('cannot convert hint "%s" (not an enum)' % (element,))
        self.element = element

    def _make_signature(self):
        return '%s.%s' % (self.element.__module__, self.element.__qualname__)

    def tag(self):
        return '%s_%s' % (self.element.__module__, self.element.__name__)

    def __repr__(self):
        return 'Enumeration(%s)' % (self.element.__qualname__,)


PARAMETERISED = (VectorOf, DequeOf, SetOf, PointerTo, ArrayOf, MapOf, UserDefined, Enumeration)

_SIMPLE_HINTS = {
    bool: Boolean, int: Integer8, float: Float8, str: Unicode, bytes: String,
    bytearray: Block, datetime.datetime: WorldTime, datetime.timedelta: TimeDelta,
    uuid.UUID: UUID,
}

_GENERIC_ORIGINS = {
    list: VectorOf, set: SetOf, collections.deque: DequeOf,
}


class NoType(Exception):
    """A hint that carries no type (typing.Any, None): the value is untyped."""


def hint_to_portable(hint):
    """Convert a type expression (hint or portable) into a portable instance.

    Raises NoType for ``typing.Any``/None (untyped) and PointConstructionError
    for anything that cannot be converted.  The result is not canonical; see
    :func:`.registry.def_type`.
    """
    if isinstance(hint, Portable):
        return hint
    if hint is None or hint is typing.Any or hint is type(None):
        raise NoType()
    simple = _SIMPLE_HINTS.get(hint)
    if simple is not None:
        return simple()
    if isinstance(hint, type):
        if issubclass(hint, Portable):
            if hint in SCALARS:
                return hint()
            raise PointConstructionError('cannot convert hint "%s" (instance required)' % (
                hint.__name__,))
        if issubclass(hint, enum.Enum):
            return Enumeration(hint)
        if registration_of(hint) is not None and is_bound_here(hint):
            return UserDefined(hint)
    elif callable(hint) and is_bound_here(hint):
        return UserDefined(hint)
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if not members:
            raise NoType()
        return hint_to_portable(members[0])
    args = typing.get_args(hint)
    container = _GENERIC_ORIGINS.get(origin)
    if container is not None and len(args) == 1:
        return container(args[0])
    if origin is dict and len(args) == 2:
        return MapOf(args[0], args[1])
    raise PointConstructionError('cannot convert hint "%s"' % (_hint_text(hint),))


def portable_leaf(x):
    """An element of a container: a portable, a portable class or a hint."""
    try:
        return hint_to_portable(x)
    except NoType:
        raise PointConstructionError('cannot convert hint "%s" (untyped element)' % (x,))


def _hint_text(hint):
    if isinstance(hint, type):
        return hint.__qualname__
    return str(hint)
