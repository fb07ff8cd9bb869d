"""The supervisor of a composite process: run a set of roles, watch them end,
restart them or not, and stop them all (network.md §12.2-§12.4).

:class:`GroupSupervisor` is a ``service.Service`` in the shape of
``twisted.runner.procmon.ProcessMonitor``: the reactor is injected (it must
provide ``spawnProcess`` and ``callLater``), so the timing of restarts and of
stopping can be tested with a memory process reactor and a ``task.Clock``.
What it adds to procmon is the layer-cake meaning of a role's end:

* the *main role* ending stops every other role, and its value is the group's;
  it is never restarted;
* with a ``RetryIntervals``, a role that ends is relaunched after the next
  value of its own schedule (one schedule per role, never reset), unless it
  has been restarted ``INTENSITY[0]`` times within the last ``INTENSITY[1]``
  seconds, in which case the supervisor gives up on it and says so;
* otherwise the role stays down, and the group goes on while any role is
  running or waiting to be restarted.  When the last one is gone the group's
  value is a dict of role name to that role's last value.

Stopping sends SIGINT to every role (a layer-cake process turns it into a
``Stop`` for its main object), SIGTERM ``interrupt_grace`` seconds later to a
role still there, and SIGKILL ``terminate_grace`` seconds after that.  Roles
the group stopped report ``Aborted``; the group's value is then ``Aborted``
unless the main role ended first.

Every role gets the control pipes of :mod:`layer_cake.process.pipes`: the
group never writes to them, but when the group's end of the pipe closes --
because the group ended, or was killed -- the role stops and exits within
seconds, so no role outlives its group.
"""

from twisted.application import service
from twisted.internet import defer

from ..runtime.library.retry import smart_intervals
from ..runtime.messages import Aborted, Faulted
from ..process.captured import OUTPUT_LIMIT, CapturedProcess
from ..process.pipes import child_environment, child_file_descriptors
from ..process.process_object import outcome

__all__ = ['GroupSupervisor', 'RoleProtocol', 'INTENSITY', 'INTERRUPT_GRACE',
           'TERMINATE_GRACE']

# At most this many restarts of one role within this many seconds; one more
# and the supervisor gives up on that role.  Generous enough for any sane
# RetryIntervals, small enough to end a crash loop within seconds.
INTENSITY = (5, 10.0)

# Seconds from SIGINT to SIGTERM, and from SIGTERM to SIGKILL.  Together they
# stay under the 10 s a parent ProcessObject gives group-cake itself before
# escalating, so a stubborn role is dealt with here, not by our parent.
INTERRUPT_GRACE = 5.0
TERMINATE_GRACE = 3.0


class _QuietLog(object):
    """The log of a supervisor nobody listens to."""

    def console(self, *words, **kv):
        pass

    warning = trace = fault = console


def seconds_text(seconds):
    """A delay as the logs show it: ``1.0``, ``30.0``, ``0.125``."""
    return str(round(float(seconds), 3))


class RoleProtocol(CapturedProcess):
    """One run of one role: collects its stdout (its result) and reports its end.

    The control pipe only ever carries the role's greeting, which the group
    does not need, so only stdout is read.
    """

    def __init__(self, supervisor, name, output_limit=OUTPUT_LIMIT):
        self.supervisor = supervisor
        self.name = name
        self.init_captured(supervisor.reactor, output_limit)

    def ended_with(self, code, signal):
        self.supervisor._role_ended(self, code, signal)

    def value(self, code, signal):
        """The role's result, decoded from what it printed (runtime.md §14.3)."""
        if self.output_overflow:
            return Faulted('cannot decode output (more than %d bytes)' % (self.output_limit,))
        return outcome(code, signal, self.output)


class _Role(object):
    """What the supervisor knows of one role across all its runs."""

    def __init__(self, name, argv, env, path):
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.path = path
        self.protocol = None        # the current run, if any
        self.restart_call = None    # the pending relaunch, if any
        self.escalation = None      # the pending TERM or KILL while stopping
        self.intervals = None       # this role's own retry schedule, made on first use
        self.restarts = []          # reactor times of recent restart decisions
        self.value = None           # the value of the last run
        self.stopped = False        # the group signalled the current run
        self.launches = 0
        self.given_up = False

    def waiting(self):
        return self.restart_call is not None and self.restart_call.active()

    def alive(self):
        return self.protocol is not None or self.waiting()


class GroupSupervisor(service.Service):
    """Run roles as child processes and apply the group's ending rules.

    ``retry`` is a ``RetryIntervals`` (None or an empty schedule: no
    restarts); ``main_role`` the name of the role whose end ends the group;
    ``intensity`` a pair (restarts, seconds) or None for no limit; ``log`` an
    object with ``console``/``warning``/``trace`` methods (a Point);
    ``gave_up`` a callable ``(name, reason)`` told when a role is left down
    for good, so that the group can show it (``layer-cake status``);
    ``spawner`` a callable ``(reactor, protocol, argv, env, path)`` that starts
    a role some other way (a warm start, :mod:`.launcher`), or returns None to
    leave it to ``spawnProcess``.
    """

    name = 'group-supervisor'

    def __init__(self, reactor=None, retry=None, main_role=None, intensity=INTENSITY,
                 interrupt_grace=INTERRUPT_GRACE, terminate_grace=TERMINATE_GRACE, log=None,
                 gave_up=None, spawner=None):
        self._reactor = reactor
        self._gave_up = gave_up
        self.spawner = spawner
        self.retry = retry if retry is not None and not retry.empty() else None
        self.main_role = main_role
        self.intensity = intensity
        self.interrupt_grace = interrupt_grace
        self.terminate_grace = terminate_grace
        self.log = log if log is not None else _QuietLog()
        self.roles = {}
        self.result = None          # the group's value, once it is known
        self.done = False
        self._deciding = False      # the group's value has been decided (main role, Stop)
        self._stopping = False
        self._starting = False
        self._waiters = []

    @property
    def reactor(self):
        if self._reactor is None:
            from twisted.internet import reactor
            self._reactor = reactor
        return self._reactor

    # Building the group.

    def add_role(self, name, argv, env=None, path=None):
        """Add a role to run as ``argv`` (started at once if the service runs)."""
        if name in self.roles:
            raise KeyError('role "%s" already added' % (name,))
        if env is None:
            env = child_environment()
        role = self.roles[name] = _Role(name, argv, env, path)
        if self.running and not self._stopping:
            self._launch(role)
        return role

    def pids(self):
        """{role name: pid} of the roles running now."""
        return {name: role.protocol.pid for name, role in self.roles.items()
                if role.protocol is not None}

    def when_ended(self):
        """A Deferred that fires with the group's value once every role is gone."""
        d = defer.Deferred()
        if self.done:
            d.callback(self.result)
        else:
            self._waiters.append(d)
        return d

    # service.Service.

    def startService(self):
        service.Service.startService(self)
        self._starting = True
        try:
            for role in list(self.roles.values()):
                if not self._stopping:
                    self._launch(role)
        finally:
            self._starting = False
        self._check_end()

    def stopService(self):
        """Stop every role; the Deferred fires when all have gone."""
        service.Service.stopService(self)
        self.stop(Aborted())
        return self.when_ended().addCallback(lambda _: None)

    # Running roles.

    def _launch(self, role):
        role.restart_call = None
        role.stopped = False
        role.launches += 1
        argv = role.argv
        self.log.console(' '.join(argv))
        p = RoleProtocol(self, role.name)
        role.protocol = p
        try:
            started = None
            if self.spawner is not None:
                started = self.spawner(self.reactor, p, argv, role.env, role.path)
            if started is None:
                self.reactor.spawnProcess(p, argv[0], argv, env=role.env, path=role.path,
                                          childFDs=child_file_descriptors())
        except (OSError, ValueError, TypeError) as e:
            role.protocol = None
            self._ended(role, Faulted('cannot execute %s (%s)' % (argv[0], e)))
            return
        self.log.console('Started "%s" (%s)' % (role.name, p.pid))

    def _role_ended(self, p, code, signal):
        role = self.roles.get(p.name)
        if role is None or role.protocol is not p:
            return
        role.protocol = None
        if role.escalation is not None and role.escalation.active():
            role.escalation.cancel()
        role.escalation = None
        value = Aborted() if role.stopped else p.value(code, signal)
        how = 'code %s' % (code,) if code is not None else 'signal %s' % (signal,)
        self.log.console('Ended "%s" (%s) with %s, %s' % (role.name, p.pid, how,
                                                          _kind(value)))
        self._ended(role, value)

    def _ended(self, role, value):
        """Apply §12.3 to a role whose run is over with ``value``."""
        role.value = value
        if self._stopping:
            self._check_end()
            return
        if role.name == self.main_role:
            self.log.console('Main role "%s" ended, stopping the group' % (role.name,))
            self.stop(value)
            return
        delay = self._next_delay(role)
        if delay is not None:
            self.log.console('Restart "%s" (%s seconds)' % (role.name, seconds_text(delay)))
            role.restart_call = self.reactor.callLater(delay, self._relaunch, role)
        self._check_end()

    def _relaunch(self, role):
        role.restart_call = None
        if not self._stopping:
            self._launch(role)

    def _next_delay(self, role):
        """Seconds until ``role`` runs again, or None when it stays down."""
        if self.retry is None:
            return None
        now = self.reactor.seconds()
        if self.intensity is not None:
            limit, window = self.intensity
            role.restarts = [t for t in role.restarts if now - t < window]
            if len(role.restarts) >= limit:
                self._give_up(role, '%d restarts within %s seconds' % (
                    len(role.restarts), seconds_text(window)))
                return None
        if role.intervals is None:
            role.intervals = smart_intervals(self.retry)
        try:
            delay = next(role.intervals)
        except StopIteration:
            self._give_up(role, 'retry schedule exhausted')
            return None
        role.restarts.append(now)
        return max(float(delay), 0.0)

    def _give_up(self, role, reason):
        role.given_up = True
        self.log.warning('Gave up on "%s" (%s)' % (role.name, reason))
        if self._gave_up is not None:
            try:
                self._gave_up(role.name, reason)
            except Exception as e:
                self.log.warning('Cannot record giving up on "%s" (%s)' % (role.name, e))

    # Stopping.

    def stop(self, value):
        """Stop every role; the group's value is ``value`` (unless already decided)."""
        if not self._deciding:
            self._deciding = True
            self.result = value
        if self._stopping:
            return
        self._stopping = True
        for role in self.roles.values():
            if role.waiting():
                role.restart_call.cancel()
                role.restart_call = None
                role.value = Aborted()
            if role.protocol is not None:
                self._interrupt(role)
        self._check_end()

    def _interrupt(self, role):
        role.stopped = True
        if role.protocol.signal('INT'):
            role.escalation = self.reactor.callLater(self.interrupt_grace, self._escalate,
                                                     role, 'TERM')

    def _escalate(self, role, name):
        role.escalation = None
        p = role.protocol
        if p is None:
            return
        self.log.warning('Role "%s" (%s) still running, sending SIG%s' % (role.name, p.pid,
                                                                           name))
        if p.signal(name) and name == 'TERM':
            role.escalation = self.reactor.callLater(self.terminate_grace, self._escalate,
                                                     role, 'KILL')

    # The end.

    def _check_end(self):
        if self._starting or self.done:
            return
        if any(role.alive() for role in self.roles.values()):
            return
        self.done = True
        if not self._deciding:
            self.result = {name: role.value for name, role in self.roles.items()}
        waiters, self._waiters = self._waiters, []
        for d in waiters:
            d.callback(self.result)


def _kind(value):
    if value is None:
        return 'no value'
    if type(value) is tuple and len(value) == 2:
        return type(value[0]).__name__
    if isinstance(value, Faulted):
        return '%s (%s)' % (type(value).__name__, value)
    return type(value).__name__
