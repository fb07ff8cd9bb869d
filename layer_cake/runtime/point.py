"""Objects: the actor API every object has, and how each kind receives.

``Point`` carries what all objects share: an address, sending, creating
children, ending, the context table, timers and logs.  How messages reach an
object depends on its kind:

* machines (``Point`` with ``Stateless``/``StateMachine``) live on the reactor
  thread and are handed messages by :mod:`.engine`;
* ``Threaded`` machines and function actors own a thread and an inbox;
* channels (``lc.channel()``) are inboxes read by ordinary code.
"""

import collections
import copy
import queue
import sys
import threading

from ..types import portable as P
from ..types import registry
from ..types.errors import PlatformRequirementError, PointConstructionError
from . import address as A
from . import engine
from . import log as L
from .messages import (Faulted, Returned, SelectTimer, Start, Stop, CancelTimer, StartTimer,
                       Unknown)

MAXIMUM_REPLAYS = 8


class _Completion(BaseException):
    """Raised by ``complete()`` to unwind an object's body or handler."""

    def __init__(self, value):
        BaseException.__init__(self)
        self.value = value


def no_ending(value, parent, address):
    """An ``object_ending`` that sends nothing when the object ends."""


def fault_for(e):
    """The termination value for an exception escaping an object."""
    if isinstance(e, Exception):
        return Faulted('object faulted', 'unhandled exception (%s)' % (e,))
    if isinstance(e, KeyboardInterrupt):
        return Faulted('object compromised', 'unexpected keyboard interrupt')
    if isinstance(e, SystemExit):
        return Faulted('object compromised', 'unexpected system exit')
    return Faulted('object faulted', 'unhandled opaque exception')


class Gas(object):
    """A plain bag of attributes (callback arguments)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class OnReturned(object):
    """A callback remembered for a child; called with the child's Returned."""

    def __init__(self, routine, args):
        self.routine = routine
        self.args = args

    def __call__(self, point, returned):
        value, portable = registry.cast_back(returned.message)
        point.returned_type = portable
        return self.routine(point, value, self.args)


def _shallow_copy(m):
    c = object.__new__(type(m))
    c.__dict__.update(m.__dict__)
    return c


def _copy_policy(r):
    """How sends copy a registered message: None (not at all), shallow or deep."""
    if not r.copy_before_sending:
        return None
    immutable = (P.Boolean, P.Integer2, P.Integer4, P.Integer8, P.Unsigned2, P.Unsigned4,
                 P.Unsigned8, P.Float4, P.Float8, P.Byte, P.Character, P.Rune, P.String,
                 P.Unicode, P.ClockTime, P.TimeSpan, P.WorldTime, P.TimeDelta, P.UUID,
                 P.Enumeration, P.Address, P.TargetAddress, P.Type)
    if not r.not_portable and all(isinstance(t, immutable) for t in r.schema.values()):
        return _shallow_copy
    return copy.deepcopy


def prepare(message, sender):
    """Check and copy a message for sending; None when it must be dropped."""
    r = getattr(type(message), P.REGISTRATION, None)
    if r is not None and r.kind == 'message':
        policy = r.__dict__.get('_copy')
        if policy is None and '_copy' not in r.__dict__:
            policy = r._copy = _copy_policy(r)
        return message if policy is None else policy(message), r
    if message is None or (type(message) is tuple and len(message) == 2
                           and isinstance(message[1], P.Portable)):
        return message, None
    if sender is not None:
        sender.warning('cannot send a bare %s (use cast_to)' % (type(message).__name__,))
    return _DROP, None


_DROP = object()


def deliver(message, to_address, return_address):
    """Hand an already prepared message to whatever handles ``to_address``."""
    try:
        target = A.objects.get(to_address[-1])
    except (TypeError, IndexError):
        return
    if target is not None:
        target._post(message, return_address, to_address)


# Callables told (on the reactor thread) the address of every watched object
# that ends; the directory uses this to retract what an object published.
end_watchers = []


def watch_end(address):
    """Have ``end_watchers`` hear when the local object at ``address`` ends."""
    obj = A.objects.get(address[-1]) if len(address) == 1 else None
    if obj is not None:
        obj._watched = True
    return obj is not None


def _report_end(address):
    for watcher in end_watchers:
        watcher(address)


def send(message, to_address, return_address, sender=None):
    """Send from outside any object (the runtime's own notifications)."""
    message, _ = prepare(message, sender)
    if message is not _DROP:
        deliver(message, to_address, return_address)


class Point(object):
    """The base of every object: address, sending, children, ending, logs."""

    object_address = A.NO_SUCH_ADDRESS
    parent_address = A.NO_SUCH_ADDRESS
    return_address = A.NO_SUCH_ADDRESS
    to_address = A.NO_SUCH_ADDRESS
    received_type = None
    returned_type = None
    current_state = None
    aborted_message = None

    _registration = None
    _alive = False
    _timers = None
    _contexts = None
    _ending = None
    _queued = 0
    _overflowing = False
    _watched = False        # something asked to hear of this object's end (watch_end)

    def __init__(self):
        pass

    # Identity and logs.

    def _name(self):
        r = self._registration
        return r.name if r is not None else type(self).__name__

    def _state_name(self):
        s = self.current_state
        return s.__name__ if s is not None else None

    def log(self, tag, text):
        """Publish one record on this object's behalf (level checked by caller)."""
        L.emit(tag, self.object_address, self._name(), self._state_name(), text)

    def _user_log(self, tag, words, kv):
        level = L.TAG_LEVEL[tag]
        if level < L.threshold:
            return
        r = self._registration
        if r is not None and r.user_logs is not None and level < r.user_logs:
            return
        text = L.words_to_text(words, kv)
        if text:
            self.log(tag, text)

    def fault(self, *words, **kv):
        self._user_log(L.USER_TAG.FAULT, words, kv)

    def warning(self, *words, **kv):
        self._user_log(L.USER_TAG.WARNING, words, kv)

    def console(self, *words, **kv):
        self._user_log(L.USER_TAG.CONSOLE, words, kv)

    def trace(self, *words, **kv):
        self._user_log(L.USER_TAG.TRACE, words, kv)

    def debug(self, *words, **kv):
        self._user_log(L.USER_TAG.DEBUG, words, kv)

    def sample(self, name, **kv):
        self._user_log(L.USER_TAG.SAMPLE, (name,), kv)

    def test(self, condition, note):
        if not condition:
            caller = sys._getframe(1)
            where = '%s:%d' % (caller.f_code.co_filename, caller.f_lineno)
            self._user_log(L.USER_TAG.CHECK, ('%s (%s)' % (note, where),), {})
        return condition

    def _log_overflow(self, message):
        if L.USER_LOG.WARNING >= L.threshold:
            self.log(L.USER_TAG.WARNING, 'queue full (%d), dropping %s' % (
                engine.PEAK_BEFORE_DROPPED, registry.message_to_tag(message)))

    def _trace_on(self, r):
        mine = self._registration
        return (L.threshold <= L.USER_LOG.OBJECT and (mine is None or mine.execution_trace)
                and (r is None or r.execution_trace))

    def _log_received(self, message, return_address, verb='Received', sep=' '):
        text = '%s %s from <%s>' % (verb, registry.message_to_tag(message),
                                    A.address_text(return_address))
        if isinstance(message, Faulted):
            text = '%s%s%s' % (text, sep, message)
        self.log(L.USER_TAG.RECEIVED, text)

    # Sending.

    def send(self, message, to):
        """Send ``message`` to the object at address ``to``; never blocks."""
        self.forward(message, to, self.object_address)

    def reply(self, message):
        self.send(message, self.return_address)

    def forward(self, message, to, return_address):
        """Deliver as if ``return_address`` had sent it."""
        message, r = prepare(message, self)
        if message is _DROP:
            return
        if r is not None and L.threshold <= L.USER_LOG.OBJECT:
            mine = self._registration
            if r.message_trail and (mine is None or mine.message_trail):
                if return_address is self.object_address:
                    text = 'Sent %s to <%s>' % (type(message).__name__, A.address_text(to))
                else:
                    text = 'Forward %s to <%s> (from <%s>)' % (
                        type(message).__name__, A.address_text(to),
                        A.address_text(return_address))
                self.log(L.USER_TAG.SENT, text)
        deliver(message, to, return_address)

    # Creating and ending.

    def create(self, object_type, *args, object_ending=None, **kw):
        """Create a child object; returns its address at once."""
        return create_object(self, object_type, args, kw, object_ending)

    def complete(self, value=None):
        """End this object with ``value`` (or the message given to abort())."""
        raise _Completion(value)

    def _end(self, value):
        """Termination: log, leave the table, cancel timers, notify the parent."""
        if not self._alive:
            return
        self._alive = False
        if self.aborted_message is not None:
            value = self.aborted_message
        r = self._registration
        if r is not None:
            value = wrap_return(value, r.return_type)
        if L.threshold <= L.USER_LOG.OBJECT and (r is None or r.lifecycle):
            self.log(L.USER_TAG.DESTROYED, 'Destroyed')
        A.remove(self.object_address[-1])
        if self._timers:
            engine.call(engine.cancel_all_timers, self)
        if self._watched:
            engine.call(_report_end, self.object_address)
        ending = self._ending
        if ending is not None:
            ending(value, self.parent_address, self.object_address)
            return
        parent = A.objects.get(self.parent_address[-1])
        if parent is not None:
            parent._post(Returned(value), self.object_address, self.parent_address)

    # Children and their contexts.

    def assign(self, address, context=True):
        if self._contexts is None:
            self._contexts = {}
        self._contexts[address] = context

    def progress(self, address=None):
        if not self._contexts:
            return None
        return self._contexts.get(self.return_address if address is None else address)

    def debrief(self, address=None):
        if not self._contexts:
            return None
        return self._contexts.pop(self.return_address if address is None else address, None)

    def working(self):
        return len(self._contexts) if self._contexts else 0

    def running(self):
        if not self._contexts:
            return
        for address, context in list(self._contexts.items()):
            yield context, address

    def abort(self, message=None):
        """Remember ``message`` as the end value; Stop every remembered child."""
        self.aborted_message = message
        count = 0
        for _, address in self.running():
            self.send(Stop(), address)
            count += 1
        return count

    def on_return(self, address, routine, **kw):
        self.assign(address, OnReturned(routine, Gas(**kw)))

    def continuation(self, address, routine, args):
        self.assign(address, OnReturned(routine, args))

    # Timers.

    def start(self, timer, seconds, repeating=False):
        """Deliver a new ``timer()`` to this object after ``seconds``."""
        if L.threshold <= L.USER_LOG.OBJECT and _trail(self, StartTimer):
            self.log(L.USER_TAG.SENT, 'Sent StartTimer to <%s>' % (
                A.address_text(_timer_address()),))
        engine.call(engine.start_timer, self, timer, float(seconds), repeating,
                    _timer_address())

    def cancel(self, timer):
        if L.threshold <= L.USER_LOG.OBJECT and _trail(self, CancelTimer):
            self.log(L.USER_TAG.SENT, 'Sent CancelTimer to <%s>' % (
                A.address_text(_timer_address()),))
        engine.call(engine.cancel_timer, self, timer)


def _trail(point, message_class):
    r, mine = P.registration_of(message_class), point._registration
    return r.message_trail and (mine is None or mine.message_trail)


_timer_service = [A.NO_SUCH_ADDRESS]


def _timer_address():
    return _timer_service[0]


def wrap_return(value, return_type):
    """Pair a plain value with the declared return type (§6.3)."""
    if return_type is None or isinstance(return_type, P.Any):
        return value
    if registry.is_message(value):
        return value
    if type(value) is tuple and len(value) == 2 and isinstance(value[1], P.Portable):
        return value
    return (value, return_type)


def un_cast_for_receive(message):
    """(value, portable) of a received message, tolerating bare values."""
    try:
        value, portable, _ = registry.un_cast(message)
        return value, portable
    except ValueError:
        return message, None


# Receiving: machines dispatched on the reactor.

class Dispatching(object):
    """Mixin of machines: a message is dispatched to a handler by its type."""

    def _dispatch(self, message, return_address, to_address, replays=0):
        table = self._registration.dispatch
        action, handler, portable, r = table.lookup(self.current_state, message)
        if action is not _HANDLE:
            if action is _SAVE:
                if replays < MAXIMUM_REPLAYS - 1:
                    self._saved.append((message, return_address, to_address, replays + 1))
            elif L.threshold <= L.USER_LOG.OBJECT:
                self._log_received(message, return_address, 'Dropped', ', ')
            return
        if r is None and message is not None:
            if type(message) is tuple:
                message, portable = message
            else:
                return
        self.return_address = return_address
        self.to_address = to_address
        self.received_type = portable
        if L.threshold <= L.USER_LOG.OBJECT and self._trace_on(r):
            self._log_received(message, return_address)
        try:
            result = handler(self, message)
        except _Completion as c:
            self._end(c.value)
            return
        except BaseException as e:
            if L.USER_LOG.FAULT >= L.threshold:
                self.log(L.USER_TAG.FAULT, 'unhandled exception (%s)' % (e,))
            self._end(fault_for(e))
            return
        if table.stateful:
            if result not in table.states:
                self._end(Faulted('object faulted',
                                  'unhandled exception (machine "%s" shifted to nowhere)' % (
                                      self._registration.path,)))
                return
            self.current_state = result

    def _present(self, message, return_address, to_address):
        """Dispatch a fresh message, then replay what was saved before it."""
        self._dispatch(message, return_address, to_address)
        saved = self._saved
        if saved and self._alive:
            self._saved = []
            for item in saved:
                if not self._alive:
                    break
                self._dispatch(*item)

    def save(self, message):
        """Defer the message being handled (machines save through their tables)."""
        raise PointConstructionError('machines defer messages through their saving lists')


class Machine(Dispatching):
    """Base of user machine classes that want both dispatch kinds' plumbing."""


class Stateless(Dispatching):
    """A machine with one dispatch table."""

    def __init__(self):
        self.current_state = None
        self._saved = []


class StateMachine(Dispatching):
    """A machine whose dispatch table depends on its current state."""

    def __init__(self, initial):
        self.current_state = initial
        self._saved = []


_SAVE = object()
_DROP_IT = object()
_HANDLE = object()


class DispatchTable(object):
    """Handlers by message type for one machine class (per state for FSMs)."""

    def __init__(self, cls, states, stateful):
        # states: {state or None: (matching [(portable, handler)], saving [portable])}
        self.cls = cls
        self.stateful = stateful
        self.states = frozenset(s for s in states if s is not None)
        self._tables = {}
        for state, (matching, saving) in states.items():
            exact, classes, unknown = {}, [], None
            for p, h in matching:
                if isinstance(p, P.UserDefined) and p.element is Unknown:
                    unknown = h
                    continue
                exact.setdefault(p.signature(), h)
                if isinstance(p, P.UserDefined) and isinstance(p.element, type):
                    classes.append((p.element, h))
            saved_exact = set(p.signature() for p in saving)
            saved_classes = tuple(p.element for p in saving
                                  if isinstance(p, P.UserDefined) and isinstance(p.element, type))
            self._tables[state] = (exact, classes, unknown, saved_exact, saved_classes, {})

    def lookup(self, state, message):
        """(action, handler, portable, registration) for a message in a state."""
        exact, classes, unknown, saved_exact, saved_classes, cache = self._tables[state]
        cls = type(message)
        if cls is not tuple:
            found = cache.get(cls)
            if found is not None:
                return found
        try:
            _, portable, r = registry.un_cast(message)
        except ValueError:
            return _DROP_IT, None, None, None
        signature = portable.signature()
        if r is None:
            found = cache.get(signature)
            if found is not None:
                return found
        action, handler = self._find(signature, r, message, exact, classes, unknown,
                                     saved_exact, saved_classes)
        found = (action, handler, portable, r)
        cache[cls if r is not None else signature] = found
        return found

    @staticmethod
    def _find(signature, r, message, exact, classes, unknown, saved_exact, saved_classes):
        h = exact.get(signature)
        if h is not None:
            return _HANDLE, h
        if signature in saved_exact:
            return _SAVE, None
        if r is not None:
            if saved_classes and isinstance(message, saved_classes):
                return _SAVE, None
            for c, h in classes:
                if isinstance(message, c):
                    return _HANDLE, h
        if unknown is not None:
            return _HANDLE, unknown
        return _DROP_IT, None


# Receiving: inboxes read by threads.

class Buffering(object):
    """Mixin of objects that pull messages: input(), select(), save()."""

    def _init_inbox(self, maximum_size=engine.PEAK_BEFORE_DROPPED):
        self._inbox = queue.SimpleQueue()
        self._inbox_limit = maximum_size
        self._replay = collections.deque()
        self._saved_items = []
        self._current = None
        self._select_cache = {}

    _handing = 0        # items the reactor holds for the inbox (engine.hand_off)

    def _post(self, message, return_address, to_address):
        inbox = self._inbox
        if inbox.qsize() + self._handing >= self._inbox_limit:
            if not self._overflowing:
                self._overflowing = True
                self._log_overflow(message)
            return
        self._overflowing = False
        if threading.get_ident() == engine.reactor_ident:
            engine.hand_off(self, (message, return_address, to_address, 0))
        else:
            inbox.put((message, return_address, to_address, 0))

    def _check_thread(self):
        if engine.reactor_ident is not None and engine.on_reactor_thread():
            raise PlatformRequirementError('cannot block on the reactor thread')

    def _next(self):
        if self._replay:
            return self._replay.popleft()
        item = self._inbox.get()
        if self._saved_items:
            self._replay.extend(self._saved_items)
            self._saved_items = []
        return item

    def _accept(self, item):
        message, return_address, to_address, _ = item
        self._current = item
        value, portable = un_cast_for_receive(message)
        self.return_address = return_address
        self.to_address = to_address
        self.received_type = portable
        if L.threshold <= L.USER_LOG.OBJECT and self._trace_on(
                getattr(type(message), P.REGISTRATION, None)):
            self._log_received(message, return_address)
        return value

    def input(self):
        """Block until the next message; returns its application value."""
        self._check_thread()
        return self._accept(self._next())

    def save(self, message=None):
        """Defer the message most recently received until after the next arrival."""
        item = self._current
        if item is None:
            return
        self._current = None
        if item[3] < MAXIMUM_REPLAYS - 1:
            self._saved_items.append((item[0], item[1], item[2], item[3] + 1))

    def select(self, *matching, saving=None, seconds=None):
        """Wait for a message of one of the ``matching`` types; (value, index)."""
        self._check_thread()
        table = self._select_table(matching)
        saving_table = self._select_table(saving if isinstance(saving, (tuple, list))
                                          else (saving,)) if saving is not None else None
        if seconds is not None:
            self.start(SelectTimer, seconds)
        while True:
            item = self._next()
            message = item[0]
            if seconds is not None and type(message) is SelectTimer:
                self._accept(item)
                return message, table.count()
            index = table.index(message)
            if index is not None:
                if seconds is not None:
                    self.cancel(SelectTimer)
                return self._accept(item), index
            if saving_table is not None and saving_table.index(message) is not None:
                self._current = item
                self.save(message)
                continue
            if L.threshold <= L.USER_LOG.OBJECT:
                self._log_received(message, item[1], 'Dropped', ', ')

    def ask(self, message, reply, to, saving=None, seconds=None):
        self.send(message, to)
        reply = reply if isinstance(reply, tuple) else (reply,)
        return self.select(*reply, saving=saving, seconds=seconds)

    def stop(self, to, reply=(Returned,), saving=None, seconds=None):
        return self.ask(Stop(), reply, to, saving=saving, seconds=seconds)

    def _select_table(self, matching):
        if len(matching) == 1 and isinstance(matching[0], SelectTable):
            return matching[0]
        key = matching
        try:
            table = self._select_cache.get(key)
        except TypeError:
            table = None
        if table is None:
            table = SelectTable(matching, adhoc=True)
            try:
                self._select_cache[key] = table
            except TypeError:
                pass
        return table


class SelectTable(object):
    """A precompiled list of types for ``select``."""

    def __init__(self, matching, adhoc=False):
        self.portables = []
        self.unknown = None
        for i, t in enumerate(matching):
            if t is Unknown:
                self.unknown = i
            p = registry.lookup_type(t) if adhoc else registry.def_type(t)
            self.portables.append(p)
        self.exact = {}
        self.classes = []
        for i, p in enumerate(self.portables):
            self.exact.setdefault(p.signature(), i)
            if isinstance(p, P.UserDefined) and isinstance(p.element, type) \
                    and p.element is not Unknown:
                self.classes.append((p.element, i))

    def count(self):
        return max(len(self.portables), 1)

    def index(self, message):
        if not self.portables:
            return 0
        try:
            _, portable, r = registry.un_cast(message)
        except ValueError:
            return None
        i = self.exact.get(portable.signature())
        if i is not None:
            return i
        if r is not None:
            for c, i in self.classes:
                if isinstance(message, c):
                    return i
        return self.unknown


def select_list(*matching):
    """A select table built at module level (registers its types)."""
    return SelectTable(matching)


def select_list_adhoc(*matching):
    """A select table of already registered types."""
    return SelectTable(matching, adhoc=True)


class Channel(Buffering, Point):
    """The context of a function actor, and of ``lc.channel()``."""

    def __init__(self):
        Point.__init__(self)
        self._init_inbox()


class Threaded(Buffering, Point):
    """A machine base: the machine gets a thread of its own and may block in handlers."""

    def __init__(self, blocking=False, maximum_size=engine.PEAK_BEFORE_DROPPED):
        self._init_inbox(maximum_size)


# Creation.

def create_object(parent, object_type, args, kw, object_ending=None):
    """Create an object of a registered type as a child of ``parent``."""
    r = getattr(object_type, P.REGISTRATION, None)
    if r is None or r.kind not in ('routine', 'point') or not _bound_here(object_type):
        name = getattr(object_type, '__name__', repr(object_type))
        raise PointConstructionError('%s is not registered' % (name,))
    if r.kind == 'routine':
        obj = Routine(object_type, args, kw)
    else:
        try:
            obj = object_type(*args, **kw)
        except TypeError as e:
            raise RuntimeError('cannot create "%s" (%s)' % (r.name, e))
    return enter(obj, r, parent.object_address, object_ending)


def _bound_here(object_type):
    if isinstance(object_type, type):
        return P.REGISTRATION in object_type.__dict__
    return True


def enter(obj, r, parent_address, object_ending=None):
    """Give ``obj`` an address, enter it in the table and start it."""
    identity = A.allocate()
    obj.object_address = (identity,)
    obj.parent_address = parent_address
    obj._registration = r
    obj._ending = object_ending
    obj._alive = True
    if isinstance(obj, Buffering) and not hasattr(obj, '_inbox'):
        obj._init_inbox()
    if isinstance(obj, Dispatching) and not hasattr(obj, '_saved'):
        obj._saved = []
    A.enter(identity, obj)
    if L.threshold <= L.USER_LOG.OBJECT and (r is None or r.lifecycle):
        obj.log(L.USER_TAG.CREATED, 'Created by <%s>' % (A.address_text(parent_address),))
    _launch(obj)
    return obj.object_address


class Routine(Channel):
    """A function actor: the function runs in a thread with this as ``self``."""

    def __init__(self, function, args, kw):
        Channel.__init__(self)
        self._function = function
        self._args = args
        self._kw = kw

    def _run(self):
        try:
            value = self._function(self, *self._args, **self._kw)
        except _Completion as c:
            value = c.value
        except BaseException as e:
            if L.USER_LOG.FAULT >= L.threshold:
                self.log(L.USER_TAG.FAULT, 'unhandled exception (%s)' % (e,))
            value = fault_for(e)
        self._end(value)


def _launch(obj):
    if isinstance(obj, Routine):
        threading.Thread(target=obj._run, name=obj._registration.name, daemon=True).start()
    elif isinstance(obj, Dispatching):
        if isinstance(obj, Buffering):
            obj._post(Start(), obj.parent_address, obj.object_address)
            threading.Thread(target=_threaded_loop, args=(obj,), name=obj._registration.name,
                             daemon=True).start()
        else:
            engine.post(obj, Start(), obj.parent_address, obj.object_address)


def _threaded_loop(self):
    while self._alive:
        message, return_address, to_address, _ = self._inbox.get()
        self._present(message, return_address, to_address)


# Machines on the reactor: the engine queues their messages and calls _present.
Point._post = engine.post
Point._handle = Dispatching._present
