"""Several pieces of work as one: ``Concurrently`` (all at once) and
``Sequentially`` (one after another).

An item is either a ``(request, address)`` pair, run by a ``GetResponse``, or
a ``CreateFrame`` naming any object to create.  Both machines end with the
list of results, each kept in its Any form (``cast_to(value, type)``), typed
``VectorOf(Any())`` so the list can cross a process boundary.  A timeout or a
``Stop`` stops the children and ends the machine once they have all returned.
"""

from ...types import portable as P
from ...types import registry
from ..bind import bind
from ..messages import Aborted, Faulted, Returned, Start, Stop, T1, TimedOut
from ..point import Point, Stateless
from .response import GetResponse, returned_value


class CreateFrame(object):
    """An item for ``Concurrently``/``Sequentially``: create ``object_type(*args, **kw)``."""

    def __init__(self, object_type, *args, **kw):
        self.object_type = object_type
        self.args = args
        self.kw = kw


def _is_address(a):
    return type(a) is tuple and len(a) > 0 and all(type(i) is int for i in a)


def _is_any(m):
    """True for a value ``send`` accepts (registered instance, cast pair or None)."""
    if m is None or registry.is_message(m):
        return True
    return type(m) is tuple and len(m) == 2 and isinstance(m[1], P.Portable)


def _creatable(t):
    r = P.registration_of(t)
    return r is not None and r.kind in ('routine', 'point') and P.is_bound_here(t)


def _valid(item):
    if isinstance(item, CreateFrame):
        return _creatable(item.object_type)
    return (isinstance(item, (tuple, list)) and len(item) == 2 and _is_address(item[1])
            and _is_any(item[0]))


def _first_invalid(items):
    for i, item in enumerate(items):
        if not _valid(item):
            return Faulted('unexpected frame/request [%d]' % (i,))
    return None


def _launch(self, item):
    if isinstance(item, CreateFrame):
        return self.create(item.object_type, *item.args, **item.kw)
    request, address = item
    return self.create(GetResponse, request, address)


def _stop_all(self, reason):
    """The first timeout or Stop stops every child; later ones change nothing."""
    if self.aborted_message is not None:
        return
    if self.abort(reason) == 0:
        self.complete()


class Concurrently(Point, Stateless):
    """Run every item at once; end with the list of their results, in item order."""

    def __init__(self, *get, seconds: float = None):
        Point.__init__(self)
        Stateless.__init__(self)
        self.get = get
        self.seconds = seconds
        self.results = []


def Concurrently_Start(self, message):
    fault = _first_invalid(self.get)
    if fault is not None:
        self.complete(fault)
    if not self.get:
        self.complete([])
    self.results = [None] * len(self.get)
    for i, item in enumerate(self.get):
        self.assign(_launch(self, item), i)
    if self.seconds is not None:
        self.start(T1, self.seconds)


def Concurrently_Returned(self, message):
    i = self.debrief()
    if i is None:
        return
    if self.aborted_message is None:
        self.results[i] = returned_value(message)
    if self.working() == 0:
        self.complete(self.results)


def Concurrently_T1(self, message):
    _stop_all(self, TimedOut(message))


def Concurrently_Stop(self, message):
    _stop_all(self, Aborted())


bind(Concurrently, (Start, Returned, T1, Stop), return_type=P.VectorOf(P.Any()),
     thread='concurrently')


class Sequentially(Point, Stateless):
    """Run the items one at a time, in order; a ``Faulted`` result ends it with that fault."""

    def __init__(self, *get, seconds: float = None):
        Point.__init__(self)
        Stateless.__init__(self)
        self.get = get
        self.seconds = seconds
        self.results = []


def _next_item(self):
    i = len(self.results)
    if i == len(self.get):
        self.complete(self.results)
    self.assign(_launch(self, self.get[i]), i)


def Sequentially_Start(self, message):
    fault = _first_invalid(self.get)
    if fault is not None:
        self.complete(fault)
    if self.seconds is not None and self.get:
        self.start(T1, self.seconds)
    _next_item(self)


def Sequentially_Returned(self, message):
    i = self.debrief()
    if i is None:
        return
    if self.aborted_message is not None:
        self.complete()
    result = returned_value(message)
    if isinstance(result, Faulted):
        self.complete(result)
    self.results.append(result)
    _next_item(self)


# Timing out and stopping work the same way for both.
Sequentially_T1 = Concurrently_T1
Sequentially_Stop = Concurrently_Stop


bind(Sequentially, (Start, Returned, T1, Stop), return_type=P.VectorOf(P.Any()),
     thread='sequentially')
