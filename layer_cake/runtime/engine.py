"""The reactor the runtime runs on, and delivery to objects that live on it.

Machines run on the reactor thread: a send to one appends to a ready queue
that the reactor drains in FIFO order, one handler at a time.  Sends from other
threads are batched into an inbound queue and the reactor is woken once per
batch, not once per message; the other way, messages the reactor sends to
threads are put in their inboxes together after each poll's events (see
:func:`hand_off`).  Timers are ``callLater`` calls on an injected
``IReactorTime``, so tests can drive them with ``task.Clock``.

When no reactor is running (a plain script or a test using ``lc.channel()``)
the runtime runs a private reactor instance in a background thread, which
leaves the global reactor to its owner (an application, or trial).
"""

import collections
import threading

# Messages drained per reactor turn before I/O gets a look in.
BATCH = 4096

# Queue bound per receiving object.
PEAK_BEFORE_DROPPED = 16384

reactor = None              # the IReactorCore the runtime uses
clock = None                # the IReactorTime for timers (the reactor, or a test's Clock)
reactor_ident = None        # thread ident of the reactor thread
_private_thread = None      # the background thread running a private reactor

_ready = collections.deque()
_draining = False
_drain_scheduled = False
_inbound = collections.deque()
_wake_pending = False
_handoffs = collections.deque()
_handoff_scheduled = False


def on_reactor_thread():
    return threading.get_ident() == reactor_ident


def post(target, message, return_address, to_address):
    """Queue a message for an object that lives on the reactor thread."""
    global _wake_pending
    if threading.get_ident() == reactor_ident:
        if _holding and not (_draining or _ready):
            # Read from a connection with nothing ahead of it: the drain at
            # release() would run it next, so run it now.
            _run_now(target, message, return_address, to_address)
            return
        if target._queued >= PEAK_BEFORE_DROPPED:
            _enqueue(target, message, return_address, to_address)
            return
        target._queued += 1
        _ready.append((target, message, return_address, to_address))
        if not (_draining or _drain_scheduled or _holding):
            _schedule_drain()
        return
    _inbound.append((target, message, return_address, to_address))
    if not _wake_pending:
        _wake_pending = True
        reactor.callFromThread(_take_inbound)


def _enqueue(target, message, return_address, to_address):
    if target._queued >= PEAK_BEFORE_DROPPED:
        if not target._overflowing:
            target._overflowing = True
            target._log_overflow(message)
        return
    target._queued += 1
    _ready.append((target, message, return_address, to_address))


def _run_now(target, message, return_address, to_address):
    global _draining
    _draining = True
    try:
        if target._alive:
            target._handle(message, return_address, to_address)
    finally:
        _draining = False


def _take_inbound():
    global _wake_pending
    # Reset first: a thread appending after this point wakes us again.
    _wake_pending = False
    popleft = _inbound.popleft
    while _inbound:
        _enqueue(*popleft())
    _drain()


def _schedule_drain():
    global _drain_scheduled
    _drain_scheduled = True
    reactor.callLater(0, _drain)


def _drain():
    """Hand queued messages to their machines, oldest first."""
    global _draining, _drain_scheduled
    _drain_scheduled = False
    if _draining:
        return
    _draining = True
    try:
        popleft = _ready.popleft
        n = 0
        while _ready:
            target, message, return_address, to_address = popleft()
            target._queued -= 1
            if target._queued < PEAK_BEFORE_DROPPED // 2:
                target._overflowing = False
            if target._alive:
                target._handle(message, return_address, to_address)
            n += 1
            if n >= BATCH:
                if _ready:
                    _schedule_drain()
                break
    finally:
        _draining = False


_holding = False        # an I/O callback will drain when it is done


def hold():
    """Start an I/O callback that delivers messages (reactor thread).

    Until :func:`release`, posting does not schedule a drain: the callback
    drains when it is done, which saves a timed call and a reactor turn
    per message read.  Returns what ``release`` needs.
    """
    global _holding
    held = _holding
    _holding = True
    return held


def release(held):
    """End an I/O callback begun with :func:`hold`; run what it queued."""
    global _holding
    _holding = held
    if not held and _ready and not _draining:
        _drain()


def hand_off(target, item):
    """Queue ``item`` for the inbox of ``target``, an object with a thread (reactor thread).

    Waking a thread from here means a futex call while the reactor holds the
    GIL, and often a switch to a thread that at once blocks on that GIL.  So
    what the reactor sends to threads while it handles one poll's events is
    put together right after, before it polls again: a thread that many of
    those messages are for is woken once, and in the order they were sent.
    """
    global _handoff_scheduled
    if not getattr(reactor, 'running', False):
        # Before the reactor runs, or once it has stopped: nothing would hand over.
        if _handoffs:
            _hand_over()
        target._inbox.put(item)
        return
    target._handing += 1
    _handoffs.append((target, item))
    if not _handoff_scheduled:
        _handoff_scheduled = True
        reactor.callLater(0, _hand_over)


def _hand_over():
    global _handoff_scheduled
    _handoff_scheduled = False
    popleft = _handoffs.popleft
    while _handoffs:
        target, item = popleft()
        target._handing -= 1
        target._inbox.put(item)


def call(f, *args):
    """Run ``f(*args)`` on the reactor thread (now, if already there)."""
    if threading.get_ident() == reactor_ident:
        f(*args)
    else:
        reactor.callFromThread(f, *args)


def call_and_wait(f, *args):
    """Run ``f(*args)`` on the reactor thread and return its result."""
    if threading.get_ident() == reactor_ident:
        return f(*args)
    done = threading.Event()
    result = []

    def run():
        try:
            result.append((True, f(*args)))
        except BaseException as e:
            result.append((False, e))
        done.set()
    reactor.callFromThread(run)
    done.wait()
    ok, value = result[0]
    if not ok:
        raise value
    return value


# Timers.

def start_timer(target, timer, seconds, repeating, source):
    """Arm (or re-arm) ``target``'s timer of class ``timer``; reactor thread only."""
    timers = target._timers
    if timers is None:
        timers = target._timers = {}
    pending = timers.pop(timer, None)
    if pending is not None and pending.active():
        pending.cancel()

    def expire():
        timers.pop(timer, None)
        if not target._alive:
            return
        if repeating:
            timers[timer] = clock.callLater(seconds, expire)
        target._post(timer(), source, target.object_address)
    timers[timer] = clock.callLater(max(seconds, 0.0), expire)


def cancel_timer(target, timer):
    timers = target._timers
    if not timers:
        return
    pending = timers.pop(timer, None)
    if pending is not None and pending.active():
        pending.cancel()


def cancel_all_timers(target):
    timers = target._timers
    if not timers:
        return
    target._timers = None
    for pending in timers.values():
        if pending.active():
            pending.cancel()


# Which reactor.

def _new_private_reactor():
    try:
        from twisted.internet.epollreactor import EPollReactor
        return EPollReactor()
    except ImportError:
        from twisted.internet.selectreactor import SelectReactor
        return SelectReactor()


def attach(use_reactor=None, use_clock=None, run_here=False):
    """Choose the reactor: given, the running global one, or a private one.

    ``run_here`` means the caller will run the reactor on this thread itself
    (``lc.create``), so the global reactor is chosen and not started here.
    """
    global reactor, clock, reactor_ident, _private_thread
    if use_reactor is None:
        from twisted.internet import reactor as global_reactor
        if run_here or global_reactor.running:
            use_reactor = global_reactor
    if use_reactor is not None:
        reactor = use_reactor
        clock = use_clock or use_reactor
        if run_here or getattr(use_reactor, 'running', False):
            reactor_ident = threading.get_ident()
        else:
            use_reactor.callWhenRunning(_claim_thread)
        return
    private = _new_private_reactor()
    reactor = private
    clock = use_clock or private
    started = threading.Event()

    def run():
        global reactor_ident
        reactor_ident = threading.get_ident()
        private.callWhenRunning(started.set)
        private.run(installSignalHandlers=False)
    _private_thread = threading.Thread(target=run, name='layer-cake-reactor', daemon=True)
    _private_thread.start()
    started.wait()


def _claim_thread():
    global reactor_ident
    reactor_ident = threading.get_ident()


def detach():
    """Stop a private reactor (if the runtime started one) and forget the reactor."""
    global reactor, clock, reactor_ident, _private_thread, _handoff_scheduled
    thread, private = _private_thread, reactor
    if thread is not None:
        private.callFromThread(private.stop)
        thread.join(10.0)
    _private_thread = None
    reactor = clock = None
    reactor_ident = None
    _ready.clear()
    _inbound.clear()
    _handoffs.clear()
    _handoff_scheduled = False


def set_clock(use_clock):
    """Use ``use_clock`` (e.g. ``task.Clock``) for timers from now on."""
    global clock
    clock = use_clock or reactor
