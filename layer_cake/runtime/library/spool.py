"""``ObjectSpool``: many workers behind one address.

A request sent to the spool goes to an idle worker (idle workers are used in
turn, oldest idle first) through a ``GetResponse``; the answer goes back to
the requester from the spool's own address.  When every worker is busy the
request waits in a queue (bounded by ``size_of_queue``; beyond it the request
is refused with ``Overloaded``).  When the mean response time of the last 32
requests reaches ``responsiveness`` the spool sheds load: only every
``busy_pass_rate``-th request is let through, the others get ``Busy``.

Workers are created by the spool (``object_type``) or join from outside
(``JoinSpool``; ``object_type=None``).  A worker that ends, or leaves
(``LeaveSpool``), is out of service for good: it never gets another request,
and a request it was working on is stopped, so its requester gets an explicit
``Aborted``.  A worker the spool created is replaced after a stand-down delay.
"""

import collections

from ...types import portable as P
from ...types import registry
from .. import engine
from ..bind import bind
from ..messages import (Aborted, Busy, Faulted, JoinSpool, LeaveSpool, Overloaded, Returned,
                        Start, Stop, TemporarilyUnavailable, TimedOut, Unknown)
from ..point import Point, StateMachine
from .response import Delay, GetResponse, returned_value
from .retry import spread_out

# How many response times the mean is taken over.
WINDOW = 32

NO_PROSPECTS = 'Service temporarily unavailable (no worker and no immediate prospects of one)'


class INITIAL(object):
    """Created; workers not yet started."""


class SPOOLING(object):
    """Taking requests."""


class CLEARING(object):
    """Stopping: waiting for every child to end."""


class _Worker(object):
    """A worker in service: created by the spool (``child``) or joined from outside."""

    def __init__(self, address, index=None, role_name=None, child=False):
        self.address = address
        self.index = index
        self.role_name = role_name
        self.child = child
        self.job = None             # address of its GetResponse in flight, if any
        self.starting = False       # a new process: its first answer includes start-up


class _Job(object):
    """A request in flight: which worker has it, who asked, since when."""

    def __init__(self, worker, requester, started):
        self.worker = worker
        self.requester = requester
        self.started = started
        self.stopped = False        # stopped by the spool: not a response time
        self.untimed = False        # the first request of a new worker process
        self.cause = None           # the fault its worker ended with, if it did


class _StandDown(object):
    """The delay before a worker that ended is created again."""

    def __init__(self, index, role_name):
        self.index = index
        self.role_name = role_name


def _is_process_object(object_type):
    if getattr(object_type, '__name__', None) == 'ProcessObject':
        return True
    r = P.registration_of(object_type)
    return r is not None and r.name == 'ProcessObject'


class ObjectSpool(Point, StateMachine):
    """A pool of workers serving requests sent to one address (runtime.md §13.5)."""

    def __init__(self, object_type, *args, role_name: str = None, object_count: int = 8,
                 size_of_queue: int = None, responsiveness: float = 5.0,
                 busy_pass_rate: int = 10, stand_down: float = 30.0, **settings):
        Point.__init__(self)
        StateMachine.__init__(self, INITIAL)
        self.object_type = object_type
        self.args = args
        self.role_name = role_name
        self.object_count = object_count
        self.size_of_queue = size_of_queue
        self.responsiveness = responsiveness
        self.busy_pass_rate = busy_pass_rate
        self.stand_down = stand_down
        self.settings = settings

        self.workers = {}                                   # address -> _Worker in service
        self.idle = collections.deque()                     # _Workers, oldest idle first
        self.pending = collections.deque()                  # (request, requester)
        self.times = collections.deque(maxlen=WINDOW)       # recent response times
        self.shed = 0                                       # requests seen while busy
        self.restarting = 0                                 # stand-down delays running

    # Workers.

    def _create_worker(self, index, role_name):
        kw = dict(self.settings)
        if role_name is not None:
            kw['role_name'] = role_name
        a = self.create(self.object_type, *self.args, **kw)
        w = _Worker(a, index, role_name, child=True)
        # A process takes a while to start; that is not the service's response time.
        w.starting = _is_process_object(self.object_type)
        self.assign(a, w)
        self._enlist(w)

    def _enlist(self, w):
        self.workers[w.address] = w
        self.idle.append(w)

    def _discharge(self, w, cause=None):
        """Take ``w`` out of service for good; stop the request it has in flight.

        ``cause`` is the fault the worker ended with: its requester gets that
        rather than a bare ``Aborted``.
        """
        del self.workers[w.address]
        try:
            self.idle.remove(w)
        except ValueError:
            pass
        if w.job is not None:
            job = self.progress(w.job)
            if isinstance(job, _Job):
                job.stopped = True
                if isinstance(cause, Faulted) and not isinstance(cause, Aborted):
                    job.cause = cause
            self.send(Stop(), w.job)
            w.job = None

    def _prospects(self):
        """Is there, or will there soon be, a worker to take requests?"""
        return bool(self.workers) or self.restarting > 0

    # Requests.

    def _mean(self):
        return sum(self.times) / len(self.times) if self.times else 0.0

    def _busy(self):
        return (self.responsiveness is not None and bool(self.times)
                and self._mean() >= self.responsiveness)

    def _submit(self, request, requester):
        w = self.idle.popleft()
        seconds = self.responsiveness * 5 if self.responsiveness is not None else None
        if w.starting:
            seconds = None      # waits for the process to start, however long that takes
        a = self.create(GetResponse, request, w.address, seconds=seconds)
        w.job = a
        job = _Job(w, requester, engine.clock.seconds())
        job.untimed, w.starting = w.starting, False
        self.assign(a, job)

    def _submit_pending(self):
        while self.idle and self.pending:
            self._submit(*self.pending.popleft())

    def _answer_pending(self, make_reply):
        while self.pending:
            _, requester = self.pending.popleft()
            self.send(make_reply(), requester)

    def _unavailable_unless_prospects(self):
        if not self._prospects():
            self._answer_pending(lambda: TemporarilyUnavailable(text=NO_PROSPECTS))

    def _finished(self, job, returned):
        """A GetResponse ended: record the time, answer the requester, reuse the worker."""
        w = job.worker
        if w.job == self.return_address:
            w.job = None
        response = returned_value(returned)
        if job.cause is not None and isinstance(response, Aborted):
            response = Faulted('worker ended during the request', str(job.cause))
        if not (job.stopped or job.untimed) and not isinstance(response, TimedOut):
            self.times.append(engine.clock.seconds() - job.started)
        self.send(response, job.requester)
        if self.workers.get(w.address) is w:
            self.idle.append(w)
        self._submit_pending()

    def _clear(self):
        """Stop every child; end with Aborted once none remain."""
        self._answer_pending(Aborted)
        self.abort(Aborted())
        if self.working() == 0:
            self.complete()
        return CLEARING


def ObjectSpool_INITIAL_Start(self, message):
    count, size, r, sd = self.object_count, self.size_of_queue, self.responsiveness, \
        self.stand_down
    if count is None or count < 1 or (size is not None and size < 1) or \
            (r is not None and r < 0.5) or (sd is not None and sd < 2.0):
        self.complete(Faulted('unexpected parameters (count=%s, size=%s, responsiveness=%s), '
                              'stand_down=%s)' % (count, size, r, sd)))
    rate = self.busy_pass_rate
    self.busy_pass_rate = int(rate) if rate is not None and rate >= 1 else 1
    if self.object_type is not None:
        process = _is_process_object(self.object_type)
        for i in range(count):
            name = (self.role_name or 'spool-{i}').format(i=i) if process else None
            self._create_worker(i, name)
    return SPOOLING


def ObjectSpool_SPOOLING_Unknown(self, message):
    request = registry.cast_to(message, self.received_type)
    requester = self.return_address
    if not self._prospects():
        self.send(TemporarilyUnavailable(text=NO_PROSPECTS), requester)
        return SPOOLING
    if self._busy():
        self.shed += 1
        if self.shed % self.busy_pass_rate:
            self.send(Busy('message rejected by spool (average response time %.2f)' % (
                self._mean(),)), requester)
            return SPOOLING
    else:
        self.shed = 0
    if self.idle:
        self._submit(request, requester)
    elif self.size_of_queue is None or len(self.pending) < self.size_of_queue:
        self.pending.append((request, requester))
    else:
        self.send(Overloaded('message rejected by spool (overloaded, %d pending)' % (
            len(self.pending),)), requester)
    return SPOOLING


def ObjectSpool_SPOOLING_Returned(self, message):
    context = self.debrief()
    if isinstance(context, _Job):
        self._finished(context, message)
    elif isinstance(context, _Worker):
        self.trace('Spool process termination')
        current = self.workers.get(context.address)
        if current is not None:
            self._discharge(current, message.message)
        if current is not context:
            return SPOOLING                 # it had left the spool: not replaced
        if self.stand_down is None:
            return self._clear()
        self.restarting += 1
        d = self.create(Delay, spread_out(self.stand_down))
        self.assign(d, _StandDown(context.index, context.role_name))
    elif isinstance(context, _StandDown):
        self.restarting -= 1
        self._create_worker(context.index, context.role_name)
        self._submit_pending()
    return SPOOLING


def _worker_address(self, message):
    a = message.worker_address
    return tuple(a) if a is not None else self.return_address


def ObjectSpool_SPOOLING_JoinSpool(self, message):
    a = _worker_address(self, message)
    if a not in self.workers:
        self._enlist(_Worker(a, role_name=message.role_name))
        self._submit_pending()
    return SPOOLING


def ObjectSpool_SPOOLING_LeaveSpool(self, message):
    w = self.workers.get(_worker_address(self, message))
    if w is not None:
        self._discharge(w)
        self._unavailable_unless_prospects()
    return SPOOLING


def ObjectSpool_SPOOLING_Stop(self, message):
    return self._clear()


def ObjectSpool_CLEARING_Returned(self, message):
    context = self.debrief()
    if isinstance(context, _Job):
        self.send(returned_value(message), context.requester)
    if self.working() == 0:
        self.complete()
    return CLEARING


def ObjectSpool_CLEARING_Unknown(self, message):
    self.reply(Aborted())
    return CLEARING


def ObjectSpool_CLEARING_JoinSpool(self, message):
    return CLEARING


def ObjectSpool_CLEARING_LeaveSpool(self, message):
    return CLEARING


def ObjectSpool_CLEARING_Stop(self, message):
    return CLEARING


_EVERYTHING = (JoinSpool, LeaveSpool, Returned, Stop, Unknown)

bind(ObjectSpool, {
    INITIAL: ((Start,), ()),
    SPOOLING: (_EVERYTHING, ()),
    CLEARING: (_EVERYTHING, ()),
}, thread='object-spool')
