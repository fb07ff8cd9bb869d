"""Registration of object types: ``lc.bind`` and its specialised forms.

Binding happens at import time.  It turns hints into portables, resolves
every machine handler by name at once (so a missing handler is an error at
import, not a surprise at run time) and attaches a Registration to the type.
"""

import enum
import inspect
import sys

from ..types import portable as P
from ..types import registry
from ..types.errors import PointConstructionError
from . import log as L
from .point import Dispatching, DispatchTable, Point, StateMachine, Stateless


def bind(object_type, *args, **kw):
    """Register a function, machine class, message class or enum."""
    if inspect.isfunction(object_type):
        return bind_routine(object_type, *args, **kw)
    if not isinstance(object_type, type):
        raise PointConstructionError('cannot bind %r' % (object_type,))
    if issubclass(object_type, enum.Enum):
        return registry.register_enum(object_type)
    if issubclass(object_type, Point):
        if issubclass(object_type, Stateless):
            return bind_stateless(object_type, *args, **kw)
        if issubclass(object_type, StateMachine):
            return bind_statemachine(object_type, *args, **kw)
        if issubclass(object_type, Dispatching):
            raise PointConstructionError('machine "%s" is neither Stateless nor StateMachine' % (
                object_type.__qualname__,))
        return bind_point(object_type, *args, **kw)
    if P.is_bound_here(object_type):
        return P.registration_of(object_type)
    return registry.bind_message(object_type, *args, **kw)


def _return_type(hint):
    if hint is None or hint is inspect.Signature.empty:
        return None
    try:
        return registry.def_type(hint)
    except PointConstructionError as e:
        if 'untyped' in str(e):
            return None
        raise


def _schema_of(function, explicit, skip_first):
    """Parameter portables from hints (lenient), explicit keywords winning."""
    schema = {}
    try:
        hints = dict(getattr(function, '__annotations__', {}) or {})
    except Exception:
        hints = {}
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        parameters = []
    if skip_first and parameters:
        parameters = parameters[1:]
    for name in parameters:
        if name in hints:
            p = registry.parameter_type(registry._resolve(hints[name], function))
            if p is not None:
                schema[name] = p
    for name, hint in explicit.items():
        schema[name] = registry.def_type(hint)
    return schema, hints.get('return')


def _entry_point(entry_point):
    if entry_point is None:
        return None
    return [registry.def_type(t) for t in entry_point]


def bind_routine(function, return_type=None, entry_point=None, lifecycle=True,
                 message_trail=True, execution_trace=True, user_logs=L.USER_LOG.DEBUG, **schema):
    """Register a function actor ``def f(self, ...)``."""
    values, hinted_return = _schema_of(function, schema, True)
    returns = _return_type(return_type if return_type is not None else hinted_return)
    r = P.Registration('routine', function, schema=values, return_type=returns,
                       lifecycle=lifecycle, message_trail=message_trail,
                       execution_trace=execution_trace, user_logs=user_logs,
                       entry_point=_entry_point(entry_point))
    registry.register_target(function, r)
    return r


def bind_point(cls, return_type=None, entry_point=None, thread=None, lifecycle=True,
               message_trail=True, execution_trace=True, user_logs=L.USER_LOG.DEBUG, **schema):
    """Register a machine class without a dispatch table."""
    init = cls.__dict__.get('__init__')
    values = {}
    if init is not None and inspect.isfunction(init):
        values, _ = _schema_of(init, schema, True)
    else:
        values = {k: registry.def_type(v) for k, v in schema.items()}
    r = P.Registration('point', cls, schema=values, return_type=_return_type(return_type),
                       lifecycle=lifecycle, message_trail=message_trail,
                       execution_trace=execution_trace, user_logs=user_logs,
                       entry_point=_entry_point(entry_point), thread=thread)
    registry.register_target(cls, r)
    return r


def _flatten(items):
    for i in items:
        if isinstance(i, (list, tuple)):
            yield from _flatten(i)
        else:
            yield i


def _handler(cls, state, p):
    """Find ``<Class>[_<STATE>]_<Tag>``: the class's module first, then others."""
    prefix = cls.__name__ if state is None else '%s_%s' % (cls.__name__, state.__name__)
    if isinstance(p, P.UserDefined) and p.element.__name__ == 'Unknown':
        tags = ['Unknown']
    elif isinstance(p, P.Enumeration):
        tags = [p.element.__name__, p.tag()]
    else:
        tags = [p.tag()]
    names = ['%s_%s' % (prefix, t) for t in tags]
    own = sys.modules.get(cls.__module__)
    for name in names:
        f = getattr(own, name, None) if own is not None else None
        if callable(f):
            return f
    for module in list(sys.modules.values()):
        for name in names:
            f = getattr(module, name, None) if module is not None else None
            if inspect.isfunction(f):
                return f
    raise PointConstructionError('function "%s" not found (%s.%s)' % (
        names[0], cls.__module__, cls.__qualname__))


def bind_stateless(cls, dispatch=(), return_type=None, entry_point=None, **kw):
    """Register a Stateless machine with its dispatch table."""
    matching = []
    for t in _flatten(dispatch):
        p = registry.def_type(t)
        matching.append((p, _handler(cls, None, p)))
    r = bind_point(cls, return_type=return_type, entry_point=entry_point, **kw)
    r.dispatch = DispatchTable(cls, {None: (matching, [])}, stateful=False)
    return r


def bind_statemachine(cls, dispatch=None, return_type=None, entry_point=None, **kw):
    """Register a StateMachine with a table per state: {STATE: (matching, saving)}."""
    if not isinstance(dispatch, dict):
        raise PointConstructionError('machine "%s" needs a dict of states' % (cls.__qualname__,))
    states = {}
    for state, entry in dispatch.items():
        if not isinstance(entry, tuple) or len(entry) != 2:
            raise PointConstructionError('state "%s" of "%s" is not a (matching, saving) pair' % (
                getattr(state, '__name__', state), cls.__qualname__))
        matching_types, saving_types = entry
        if not isinstance(matching_types, (tuple, list)) or \
                not isinstance(saving_types, (tuple, list)):
            raise PointConstructionError('state "%s" of "%s": matching and saving must be tuples'
                                         % (getattr(state, '__name__', state), cls.__qualname__))
        matching = [registry.def_type(t) for t in _flatten(matching_types)]
        saving = [registry.def_type(t) for t in _flatten(saving_types)]
        both = set(p.signature() for p in matching) & set(p.signature() for p in saving)
        if both:
            raise PointConstructionError('state "%s" of "%s": %s both matched and saved' % (
                state.__name__, cls.__qualname__, ', '.join(sorted(both))))
        states[state] = ([(p, _handler(cls, state, p)) for p in matching], saving)
    r = bind_point(cls, return_type=return_type, entry_point=entry_point, **kw)
    r.dispatch = DispatchTable(cls, states, stateful=True)
    return r


def bind_message(cls, *args, **kw):
    return registry.bind_message(cls, *args, **kw)
