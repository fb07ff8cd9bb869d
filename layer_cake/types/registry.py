"""The process-wide table of types, and message registration.

Every type expression is normalised into one canonical portable instance per
signature, so that ``def_type(list[int]) is def_type(VectorOf(Integer8()))``
and dispatch can compare types by identity or signature.  The table is safe to
use from any thread at any time.
"""

import collections
import copy
import datetime
import enum
import inspect
import re
import threading
import typing
import uuid

from . import portable as P
from .errors import MessageRegistrationError, PointConstructionError

_lock = threading.RLock()
_by_signature = {}          # signature -> canonical portable
_by_path = {}               # 'module.Name' -> registered class, function or enum


def _install(p):
    """The canonical instance for portable ``p``, entering it (and its parts)."""
    found = _by_signature.get(p.signature())
    if found is not None:
        return found
    with _lock:
        found = _by_signature.get(p.signature())
        if found is not None:
            return found
        if isinstance(p, (P.VectorOf, P.ArrayOf)):
            p.element = _install(p.element)
        elif isinstance(p, P.MapOf):
            p.key = _install(p.key)
            p.value = _install(p.value)
        elif isinstance(p, (P.UserDefined, P.Enumeration)):
            _by_path.setdefault(p.signature(), p.element)
        _by_signature[p.signature()] = p
        return p


def def_type(hint):
    """The canonical portable for a type expression; raises on anything untyped."""
    if isinstance(hint, P.Portable):
        found = _by_signature.get(hint.signature())
        if found is not None:
            return found
    try:
        return _install(P.hint_to_portable(hint))
    except P.NoType:
        raise PointConstructionError('cannot convert hint "%s" (untyped)' % (hint,))


def lookup_type(hint):
    """The canonical portable for a type expression, without registering it."""
    p = hint if isinstance(hint, P.Portable) else P.hint_to_portable(hint)
    found = _by_signature.get(p.signature())
    if found is None:
        raise PointConstructionError('portable "%s" was not loaded' % (p.signature(),))
    return found


def parameter_type(hint):
    """Lenient conversion for parameter hints: None when the hint is unusable."""
    try:
        return def_type(hint)
    except PointConstructionError:
        return None


def signature_to_portable(text):
    """Parse a signature back into its canonical portable."""
    found = _by_signature.get(text)
    if found is not None:
        return found
    p, rest = _parse(text.replace(' ', ''))
    if rest or not isinstance(p, P.Portable):
        raise PointConstructionError('cannot parse signature "%s"' % (text,))
    return _install(p)


_SCALAR_BY_SIGNATURE = {c.SIGNATURE: c for c in P.SCALARS}
_NAME = re.compile(r'[A-Za-z0-9_.]+')


def _parse(text):
    m = _NAME.match(text)
    if not m:
        raise PointConstructionError('cannot parse signature "%s"' % (text,))
    name, rest = m.group(0), text[m.end():]
    if rest.startswith('<'):
        args, rest = _parse_args(rest[1:])
        containers = {'vector': P.VectorOf, 'deque': P.DequeOf, 'set': P.SetOf,
                      'pointer': P.PointerTo}
        if name in containers and len(args) == 1:
            return containers[name](args[0]), rest
        if name == 'map' and len(args) == 2:
            return P.MapOf(args[0], args[1]), rest
        if name == 'array' and len(args) == 2 and isinstance(args[1], int):
            return P.ArrayOf(args[0], args[1]), rest
        raise PointConstructionError('cannot parse signature "%s"' % (text,))
    if name.isdigit():
        return int(name), rest
    scalar = _SCALAR_BY_SIGNATURE.get(name)
    if scalar is not None:
        return scalar(), rest
    target = _by_path.get(name)
    if target is None:
        raise PointConstructionError('cannot parse signature "%s" (not loaded)' % (name,))
    if isinstance(target, type) and issubclass(target, enum.Enum):
        return P.Enumeration(target), rest
    return P.UserDefined(target), rest


def _parse_args(text):
    args = []
    while True:
        a, text = _parse(text)
        args.append(a)
        if text.startswith(','):
            text = text[1:]
            continue
        if text.startswith('>'):
            return args, text[1:]
        raise PointConstructionError('cannot parse signature (unbalanced)')


def lookup_path(path):
    """The registered class, function or enum with that 'module.Name', or None."""
    return _by_path.get(path)


def registered_signatures():
    """Every signature in the table, sorted (for ``--dump-types``)."""
    with _lock:
        return sorted(_by_signature)


def register_target(target, registration):
    """Attach a registration to a class or function and enter it in the table."""
    setattr(target, P.REGISTRATION, registration)
    with _lock:
        _by_path[registration.path] = target
    return _install(P.UserDefined(target))


def register_enum(cls):
    """Enter an enum class so its signature can be parsed back."""
    return _install(P.Enumeration(cls))


# Message registration.

_INFERRED = {bool: P.Boolean, int: P.Integer8, float: P.Float8, str: P.Unicode,
             bytes: P.String, bytearray: P.Block, datetime.datetime: P.WorldTime,
             datetime.timedelta: P.TimeDelta, uuid.UUID: P.UUID}


def _hints_of(cls):
    """Annotations of the class itself, else the ``__init__`` hints along the MRO.

    A subclass's own hints win over those of the classes it derives from, so
    that ``Aborted(Faulted)`` keeps the member types ``Faulted`` declared.
    """
    own = cls.__dict__.get('__annotations__')
    if own:
        return dict(own), False
    hints, returns = {}, False
    for base in reversed(cls.__mro__):
        init = base.__dict__.get('__init__')
        if base is object or init is None or not inspect.isfunction(init):
            continue
        found = dict(getattr(init, '__annotations__', {}))
        if base is cls:
            returns = 'return' in found
        found.pop('return', None)
        hints.update(found)
    return hints, returns


def _resolve(hint, owner):
    if isinstance(hint, str):
        module = inspect.getmodule(owner)
        try:
            return eval(hint, vars(module) if module else {})
        except Exception:
            return None
    return hint


def bind_message(cls, message_trail=True, execution_trace=True, copy_before_sending=True,
                 not_portable=False, **schema):
    """Register ``cls`` as a message class; returns its registration."""
    name = cls.__qualname__
    try:
        instance = cls()
    except Exception:
        raise MessageRegistrationError('cannot register "%s" (not default constructable)' % (name,))
    members = list(vars(instance))
    types_of = {}
    # Registered before its members are typed, so a member may refer to the
    # class itself (PointerTo(Node) inside Node).
    had = cls.__dict__.get(P.REGISTRATION)
    r = P.Registration('message', cls, schema=types_of, message_trail=message_trail,
                       execution_trace=execution_trace,
                       copy_before_sending=copy_before_sending, not_portable=not_portable)
    register_target(cls, r)
    try:
        if not not_portable:
            _type_members(cls, instance, members, schema, types_of)
    except MessageRegistrationError:
        if had is None:
            delattr(cls, P.REGISTRATION)
            with _lock:
                _by_path.pop(r.path, None)
                _by_signature.pop(r.path, None)
        else:
            setattr(cls, P.REGISTRATION, had)
        raise
    return r


def _type_members(cls, instance, members, schema, types_of):
    name = cls.__qualname__
    hints, returns = _hints_of(cls)
    if returns:
        raise MessageRegistrationError('cannot register "%s" (returns value from ctor)' % (name,))
    for m in members:
        if m in schema:
            p = _member_type(schema[m], cls, m)
        elif m in hints:
            p = _member_type(_resolve(hints[m], cls), cls, m)
        else:
            p = _infer(getattr(instance, m))
        if p is None:
            raise MessageRegistrationError(
                'cannot register "%s.%s" (not enough type information provided/discoverable)'
                % (name, m))
        types_of[m] = p


def _member_type(hint, cls, member):
    try:
        return def_type(hint)
    except PointConstructionError as e:
        raise MessageRegistrationError('cannot register "%s.%s" (%s)' % (
            cls.__qualname__, member, e))


def _infer(value):
    c = _INFERRED.get(type(value))
    if c is not None:
        return _install(c())
    if isinstance(value, enum.Enum):
        return register_enum(type(value))
    r = P.registration_of(type(value))
    if r is not None and r.kind == 'message':
        return def_type(type(value))
    return None


# The Any form.

def is_message(m):
    """True for an instance of a registered message class."""
    r = getattr(type(m), P.REGISTRATION, None)
    return r is not None and r.kind == 'message'


def is_message_class(c):
    """True for a registered message class."""
    r = getattr(c, P.REGISTRATION, None)
    return isinstance(c, type) and r is not None and r.kind == 'message'


def cast_to(value, portable):
    """Pair a constructed value with its type (a registered instance stays as it is)."""
    if not isinstance(portable, P.Portable):
        portable = def_type(portable)
    if isinstance(portable, P.UserDefined):
        return value
    return (value, portable)


def un_cast(m):
    """(value, portable, registration-or-None) for any Any-form value."""
    if m is None:
        return None, ANY, None
    if type(m) is tuple and len(m) == 2 and isinstance(m[1], P.Portable):
        return m[0], m[1], None
    r = getattr(type(m), P.REGISTRATION, None)
    if r is not None and r.kind == 'message':
        return m, _registered_portable(r), r
    raise ValueError('cannot unroll %r' % (m,))


def _registered_portable(r):
    p = _by_signature.get(r.path)
    if p is None:
        p = _install(P.UserDefined(r.target))
    return p


def cast_back(m):
    """(value, portable) for any Any-form value."""
    value, portable, _ = un_cast(m)
    return value, portable


def message_to_tag(m):
    """A short, log-friendly name for an Any-form value."""
    if m is None:
        return '<none>'
    try:
        _, p, _ = un_cast(m)
    except ValueError:
        return type(m).__name__
    return p.tag()


# Values of a type.

def make(p):
    """The default value of a type."""
    p = def_type(p)
    if isinstance(p, P.ArrayOf):
        return [make(p.element) for _ in range(p.size)]
    if isinstance(p, P.PointerTo):
        return make(p.element)
    if isinstance(p, P.DequeOf):
        return collections.deque()
    if isinstance(p, P.SetOf):
        return set()
    if isinstance(p, P.VectorOf):
        return []
    if isinstance(p, P.MapOf):
        return {}
    if isinstance(p, P.UserDefined) and isinstance(p.element, type):
        return p.element()
    return None


_FAKES = {
    P.Boolean: lambda: True, P.Integer2: lambda: 2, P.Integer4: lambda: 4,
    P.Integer8: lambda: 8, P.Unsigned2: lambda: 2, P.Unsigned4: lambda: 4,
    P.Unsigned8: lambda: 8, P.Float4: lambda: 0.25, P.Float8: lambda: 0.5,
    P.Byte: lambda: 66, P.Character: lambda: b'c', P.Rune: lambda: 'r',
    P.Block: lambda: bytearray(b'block'), P.String: lambda: b'string',
    P.Unicode: lambda: 'text', P.ClockTime: lambda: 1700000000.0,
    P.TimeSpan: lambda: 90.0,
    P.WorldTime: lambda: datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.timezone.utc),
    P.TimeDelta: lambda: datetime.timedelta(seconds=90),
    P.UUID: lambda: uuid.UUID('12345678-1234-5678-1234-567812345678'),
    P.Address: lambda: (1,), P.TargetAddress: lambda: (1,),
}


def fake(p):
    """An illustrative value of a type."""
    p = def_type(p)
    maker = _FAKES.get(type(p))
    if maker is not None:
        return maker()
    if isinstance(p, P.ArrayOf):
        return [fake(p.element) for _ in range(p.size)]
    if isinstance(p, P.PointerTo):
        return fake(p.element)
    if isinstance(p, P.DequeOf):
        return collections.deque([fake(p.element)])
    if isinstance(p, P.SetOf):
        v = fake(p.element)
        return {v} if isinstance(v, typing.Hashable) else set()
    if isinstance(p, P.VectorOf):
        return [fake(p.element)]
    if isinstance(p, P.MapOf):
        k = fake(p.key)
        return {k: fake(p.value)} if isinstance(k, typing.Hashable) else {}
    if isinstance(p, P.Enumeration):
        return next(iter(p.element))
    if isinstance(p, P.UserDefined) and isinstance(p.element, type):
        v = p.element()
        for name, t in P.registration_of(p.element).schema.items():
            setattr(v, name, fake(t))
        return v
    return None


def equal_to(a, b, t=None):
    """Deep comparison of two values of one type (messages member by member)."""
    if t is None:
        if is_message(a):
            t = UserDefined_of(type(a))
        else:
            return a == b
    return _equal(a, b, def_type(t), set())


def UserDefined_of(cls):
    return _install(P.UserDefined(cls))


def _equal(a, b, t, seen):
    if a is None or b is None:
        return a is b
    if isinstance(t, P.PointerTo):
        key = (id(a), id(b))
        if key in seen:
            return True
        seen.add(key)
        return _equal(a, b, t.element, seen)
    if isinstance(t, P.UserDefined) and isinstance(t.element, type):
        if type(a) is not type(b):
            return False
        schema = P.registration_of(type(a)).schema
        return all(_equal(getattr(a, n), getattr(b, n), s, seen) for n, s in schema.items())
    if isinstance(t, (P.VectorOf, P.ArrayOf)) and not isinstance(t, P.SetOf):
        return len(a) == len(b) and all(_equal(x, y, t.element, seen) for x, y in zip(a, b))
    if isinstance(t, P.MapOf):
        return a.keys() == b.keys() and all(_equal(a[k], b[k], t.value, seen) for k in a)
    if isinstance(t, P.Any):
        va, pa = cast_back(a)
        vb, pb = cast_back(b)
        return pa.signature() == pb.signature() and _equal(va, vb, pa, seen)
    return a == b


def copy_message(m):
    """The copy a receiver gets of a registered message sent with copy-before-send."""
    return copy.deepcopy(m)


# Pre-registered scalar types and their handles.
for _c in P.SCALARS:
    _install(_c())
ANY = _by_signature['any']
bool_type = def_type(bool)
int_type = def_type(int)
float_type = def_type(float)
str_type = def_type(str)
bytes_type = def_type(bytes)
bytearray_type = def_type(bytearray)
datetime_type = def_type(datetime.datetime)
timedelta_type = def_type(datetime.timedelta)
uuid_type = def_type(uuid.UUID)


def portable_to_signature(p):
    """The signature text of a type expression."""
    return def_type(p).signature()


def portable_to_tag(p):
    """The tag (log and handler name) of a type expression."""
    return def_type(p).tag()
