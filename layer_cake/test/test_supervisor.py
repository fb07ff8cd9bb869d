"""GroupSupervisor on a memory process reactor and a task.Clock (network.md §12.3-§12.4).

The shape follows Twisted's own procmon tests: the supervisor spawns fake
processes, the test ends them with chosen exit codes and output, and moves
the clock to see when (and whether) roles come back.
"""

import signal

from twisted.internet import error, task
from twisted.python.failure import Failure
from twisted.trial import unittest

import layer_cake as lc
from layer_cake.supervisor import supervisor as S
from layer_cake.types.codec import CodecJson


class FakeProcess(object):
    """A process of the memory reactor: records signals, ends when told to."""

    def __init__(self, reactor, protocol, executable, args, env, path, child_fds):
        self.reactor = reactor
        self.proto = protocol
        self.executable = executable
        self.args = args
        self.env = env
        self.path = path
        self.child_fds = child_fds
        self.pid = reactor.next_pid()
        self.signals = []
        self.ended = False

    def signalProcess(self, name):
        if self.ended:
            raise error.ProcessExitedAlready()
        self.signals.append(name)

    def end(self, code=0, output=b'', signal_number=None):
        """The process exits with ``code`` (or dies of ``signal_number``) having printed ``output``."""
        if output:
            self.proto.childDataReceived(1, output)
        self.ended = True
        if signal_number is None and code == 0:
            reason = error.ProcessDone(0)
        else:
            reason = error.ProcessTerminated(exitCode=None if signal_number else code,
                                             signal=signal_number)
        self.proto.processEnded(Failure(reason))


class MemoryProcessReactor(task.Clock):
    """spawnProcess and callLater, in memory."""

    def __init__(self):
        task.Clock.__init__(self)
        self.spawned = []
        self.spawn_error = None
        self._pid = 1000

    def next_pid(self):
        self._pid += 1
        return self._pid

    def spawnProcess(self, protocol, executable, args=(), env=None, path=None, uid=None,
                     gid=None, usePTY=False, childFDs=None):
        if self.spawn_error is not None:
            raise self.spawn_error
        p = FakeProcess(self, protocol, executable, args, env, path, childFDs)
        protocol.makeConnection(p)
        self.spawned.append(p)
        return p


class RecordingLog(object):
    """Stands in for the Point a supervisor logs through."""

    def __init__(self):
        self.lines = []

    def console(self, text):
        self.lines.append(('console', text))

    def warning(self, text):
        self.lines.append(('warning', text))

    def trace(self, text):
        self.lines.append(('trace', text))

    def texts(self, kind=None):
        return [t for k, t in self.lines if kind is None or k == kind]


def full(value):
    """What a role prints for ``value`` under --full-output --child-process."""
    return CodecJson().encode(value, lc.Any()).encode('utf-8')


class SupervisorTestCase(unittest.TestCase):

    def supervise(self, names=('a', 'b'), **kw):
        self.reactor = MemoryProcessReactor()
        self.log = RecordingLog()
        s = S.GroupSupervisor(reactor=self.reactor, log=self.log, **kw)
        for name in names:
            s.add_role(name, ['/bin/%s' % (name,), '--role-name=%s' % (name,)], env={})
        self.results = []
        s.when_ended().addCallback(self.results.append)
        s.startService()
        self.supervisor = s
        return s

    def running(self, name):
        """The fake process of role ``name`` running now."""
        role = self.supervisor.roles[name]
        self.assertIsNotNone(role.protocol, 'role "%s" is not running' % (name,))
        return role.protocol.transport

    def launches(self, name):
        return [p for p in self.reactor.spawned if p.args[0] == '/bin/%s' % (name,)]


class Starting(SupervisorTestCase):

    def test_every_role_at_once(self):
        """startService spawns every role, with control pipes and its own command line."""
        self.supervise(names=('a', 'b', 'c'))
        self.assertEqual([p.args[0] for p in self.reactor.spawned], ['/bin/a', '/bin/b', '/bin/c'])
        for p in self.reactor.spawned:
            self.assertEqual(p.child_fds, {0: 0, 1: 'r', 2: 2, 3: 'w', 4: 'r'})
        self.assertIn('/bin/a --role-name=a', self.log.texts('console'))

    def test_spawn_failure_is_a_role_end(self):
        """A role that cannot be spawned ends with a Faulted naming the executable."""
        self.reactor = MemoryProcessReactor()
        self.reactor.spawn_error = OSError('no such file')
        s = S.GroupSupervisor(reactor=self.reactor)
        s.add_role('a', ['/bin/a'], env={})
        results = []
        s.when_ended().addCallback(results.append)
        s.startService()
        self.assertEqual(list(results[0]), ['a'])
        self.assertIsInstance(results[0]['a'], lc.Faulted)
        self.assertIn('cannot execute /bin/a', str(results[0]['a']))


class Restarting(SupervisorTestCase):

    def test_restart_after_the_interval(self):
        """With regular_steps=1.0 a role that ends is relaunched 1 s later, not before."""
        self.supervise(retry=lc.RetryIntervals(regular_steps=1.0))
        self.running('a').end(signal_number=signal.SIGKILL)
        self.assertIn('Restart "a" (1.0 seconds)', self.log.texts('console'))
        self.reactor.advance(0.999)
        self.assertEqual(len(self.launches('a')), 1)
        self.reactor.advance(0.001)
        self.assertEqual(len(self.launches('a')), 2)
        self.assertEqual(self.launches('a')[1].args, self.launches('a')[0].args)
        self.assertEqual(self.results, [])

    def test_sequence_per_role_never_reset(self):
        """Each role walks its own first_steps; a long healthy run does not reset them."""
        self.supervise(retry=lc.RetryIntervals(first_steps=[1.0, 2.0, 4.0]), intensity=None)
        self.running('a').end(code=3)
        self.reactor.advance(1.0)
        self.running('b').end(code=3)       # b starts its own sequence at 1.0
        self.assertEqual(self.log.texts('console')[-1], 'Restart "b" (1.0 seconds)')
        self.reactor.advance(1000.0)        # a long, healthy run
        self.running('a').end(code=3)
        self.assertEqual(self.log.texts('console')[-1], 'Restart "a" (2.0 seconds)')
        self.reactor.advance(2.0)
        self.running('a').end(code=3)
        self.assertEqual(self.log.texts('console')[-1], 'Restart "a" (4.0 seconds)')

    def test_exhausted_sequence_means_no_retry(self):
        """step_limit=3 gives two restarts (the kept off-by-one); the third end is final."""
        self.supervise(names=('a', 'b'), retry=lc.RetryIntervals(regular_steps=1.0,
                                                                 step_limit=3))
        for _ in range(2):
            self.running('a').end(code=3)
            self.reactor.advance(1.0)
        self.running('a').end(code=3)
        self.reactor.advance(10.0)
        self.assertEqual(len(self.launches('a')), 3)
        self.assertIsNone(self.supervisor.roles['a'].protocol)
        self.assertTrue(self.supervisor.roles['a'].given_up)
        self.assertEqual(self.results, [])      # b still runs

    def test_randomized_interval(self):
        """randomized lengthens an interval by whole multiples, up to the interval itself."""
        import random
        random.seed(7)
        self.supervise(names=('a',), retry=lc.RetryIntervals(regular_steps=2.0,
                                                             randomized=0.5))
        self.running('a').end(code=3)
        text = self.log.texts('console')[-1]
        seconds = float(text.split('(')[1].split()[0])
        self.assertIn(seconds, (2.0, 2.5, 3.0, 3.5, 4.0))

    def test_stop_cancels_pending_restart(self):
        """Stop while a restart is pending: the restart never happens, the result is Aborted."""
        self.supervise(retry=lc.RetryIntervals(regular_steps=5.0))
        self.running('a').end(code=3)
        self.supervisor.stopService()
        self.running('b').end(code=71, output=full(lc.Aborted()))
        self.reactor.advance(60.0)
        self.assertEqual(len(self.launches('a')), 1)
        self.assertIsInstance(self.results[0], lc.Aborted)


class Intensity(SupervisorTestCase):

    def test_crash_loop_given_up(self):
        """Five restarts within 10 s are allowed; the sixth end gives the role up, visibly."""
        self.supervise(retry=lc.RetryIntervals(regular_steps=0.1))
        for _ in range(5):
            self.running('a').end(code=5)
            self.reactor.advance(0.1)
        self.running('a').end(code=5)
        self.reactor.advance(10.0)
        self.assertEqual(len(self.launches('a')), 6)
        self.assertEqual(self.log.texts('warning'),
                         ['Gave up on "a" (5 restarts within 10.0 seconds)'])
        self.assertIsNone(self.supervisor.roles['a'].protocol)
        self.running('b')                   # the group goes on

    def test_giving_up_is_reported(self):
        """The group is told which role it gave up on and why (status shows it)."""
        told = []
        self.supervise(retry=lc.RetryIntervals(regular_steps=0.1),
                       gave_up=lambda name, reason: told.append((name, reason)))
        for _ in range(6):
            self.running('a').end(code=5)
            self.reactor.advance(0.1)
        self.assertEqual(told, [('a', '5 restarts within 10.0 seconds')])

    def test_slow_restarts_never_limited(self):
        """Restarts further apart than the window never reach the limit."""
        self.supervise(retry=lc.RetryIntervals(regular_steps=2.5))
        for _ in range(20):
            self.running('a').end(code=5)
            self.reactor.advance(2.5)
        self.assertEqual(len(self.launches('a')), 21)
        self.assertEqual(self.log.texts('warning'), [])

    def test_chosen_limit(self):
        """intensity=(2, 60.0): the third end within a minute is final."""
        self.supervise(retry=lc.RetryIntervals(regular_steps=1.0), intensity=(2, 60.0))
        for _ in range(2):
            self.running('a').end(code=5)
            self.reactor.advance(1.0)
        self.running('a').end(code=5)
        self.reactor.advance(5.0)
        self.assertEqual(len(self.launches('a')), 3)


class MainRole(SupervisorTestCase):

    def test_main_role_ends_the_group(self):
        """The main role's end stops the others and its value is the group's."""
        self.supervise(names=('server', 'w1', 'w2'), main_role='server',
                       retry=lc.RetryIntervals(regular_steps=1.0))
        value = lc.cast_to(42, lc.int_type)
        self.running('server').end(output=full(value))
        for name in ('w1', 'w2'):
            self.assertEqual(self.running(name).signals, ['INT'])
        self.assertEqual(self.results, [])
        self.running('w1').end(code=71, output=full(lc.Aborted()))
        self.running('w2').end(code=71, output=full(lc.Aborted()))
        self.assertEqual(self.results, [(42, lc.int_type)])
        self.reactor.advance(60.0)
        self.assertEqual(len(self.launches('server')), 1)

    def test_main_role_never_restarted(self):
        """Even with retry, a main role that dies is not relaunched."""
        self.supervise(names=('server', 'w'), main_role='server',
                       retry=lc.RetryIntervals(regular_steps=1.0))
        self.running('server').end(signal_number=signal.SIGKILL)
        self.running('w').end(code=71, output=full(lc.Aborted()))
        self.reactor.advance(10.0)
        self.assertEqual(len(self.launches('server')), 1)
        self.assertIn('non-standard process exit', str(self.results[0]))

    def test_other_roles_stay_down(self):
        """No retry but a main role: a worker that ends stays down; the group goes on."""
        self.supervise(names=('server', 'w'), main_role='server')
        self.running('w').end(code=71, output=full(lc.Faulted('broken')))
        self.reactor.advance(60.0)
        self.assertEqual(len(self.launches('w')), 1)
        self.assertEqual(self.results, [])
        self.running('server')


class EndingRule(SupervisorTestCase):

    def test_one_ends_others_go_on(self):
        """No retry, no main role: one killed role never takes the others down."""
        self.supervise(names=('a', 'b', 'c'))
        self.running('b').end(signal_number=signal.SIGKILL)
        self.reactor.advance(60.0)
        self.assertEqual(self.results, [])
        self.assertEqual(self.running('a').signals, [])
        self.assertEqual(self.running('c').signals, [])

    def test_last_one_ends_the_group(self):
        """When the last role ends the result maps each role to its last value."""
        self.supervise(names=('a', 'b', 'c'))
        self.running('a').end(output=full(lc.cast_to(1, lc.int_type)))
        self.running('b').end(signal_number=signal.SIGKILL)
        self.running('c').end(code=0)
        result = self.results[0]
        self.assertEqual(sorted(result), ['a', 'b', 'c'])
        self.assertEqual(result['a'], (1, lc.int_type))
        self.assertIn('non-standard process exit - code=-9', str(result['b']))
        self.assertIsNone(result['c'])

    def test_result_encodes(self):
        """The group's map of values encodes as a dict[str, Any]."""
        self.supervise(names=('a', 'b'))
        self.running('a').end(output=full(lc.cast_to(1, lc.int_type)))
        self.running('b').end(code=71, output=full(lc.Faulted('broken')))
        value = lc.cast_to(self.results[0], lc.def_type(dict[str, lc.Any]))
        text = CodecJson().encode(value, lc.Any())
        back, _ = lc.cast_back(CodecJson().decode(text, lc.Any()))
        self.assertEqual(back['a'], (1, lc.int_type))
        self.assertEqual(str(back['b']), 'broken')


class Stopping(SupervisorTestCase):

    def test_interrupt_then_terminate_then_kill(self):
        """Stop sends SIGINT, SIGTERM after the interrupt grace, SIGKILL after the terminate grace."""
        self.supervise(names=('a', 'b'))
        d = self.supervisor.stopService()
        done = []
        d.addCallback(done.append)
        self.assertEqual(self.running('a').signals, ['INT'])
        self.running('b').end(code=71, output=full(lc.Aborted()))
        self.reactor.advance(S.INTERRUPT_GRACE)
        self.assertEqual(self.running('a').signals, ['INT', 'TERM'])
        self.reactor.advance(S.TERMINATE_GRACE)
        self.assertEqual(self.running('a').signals, ['INT', 'TERM', 'KILL'])
        self.assertEqual(done, [])
        self.running('a').end(signal_number=signal.SIGKILL)
        self.assertEqual(done, [None])
        self.assertIsInstance(self.results[0], lc.Aborted)

    def test_roles_stopped_report_aborted(self):
        """A role the group stopped reports Aborted whatever it printed."""
        self.supervise(names=('m', 'a'), main_role='m')
        self.running('m').end(output=full(lc.cast_to(5, lc.int_type)))
        self.running('a').end(signal_number=signal.SIGKILL)
        self.assertIsInstance(self.supervisor.roles['a'].value, lc.Aborted)
        self.assertEqual(self.results, [(5, lc.int_type)])

    def test_quick_exit_cancels_escalation(self):
        """A role that obeys SIGINT gets no SIGTERM later."""
        self.supervise(names=('a',))
        self.supervisor.stopService()
        p = self.running('a')
        p.end(code=71, output=full(lc.Aborted()))
        self.reactor.advance(60.0)
        self.assertEqual(p.signals, ['INT'])
        self.assertEqual(self.reactor.getDelayedCalls(), [])

    def test_second_stop_is_harmless(self):
        """Stopping twice signals once."""
        self.supervise(names=('a',))
        self.supervisor.stop(lc.Aborted())
        self.supervisor.stop(lc.Aborted())
        self.assertEqual(self.running('a').signals, ['INT'])


class Decoding(unittest.TestCase):

    def test_oversize_output(self):
        """A role printing more than the output limit ends with a Faulted saying so."""
        reactor = MemoryProcessReactor()
        s = S.GroupSupervisor(reactor=reactor)
        s.add_role('a', ['/bin/a'], env={})
        results = []
        s.when_ended().addCallback(results.append)
        s.startService()
        p = s.roles['a'].protocol
        p.output_limit = 4
        p.childDataReceived(1, b'123456')
        p.transport.end()
        self.assertIn('more than 4 bytes', str(results[0]['a']))

    def test_seconds_text(self):
        """Delays are logged rounded to milliseconds."""
        self.assertEqual(S.seconds_text(1), '1.0')
        self.assertEqual(S.seconds_text(30.0), '30.0')
        self.assertEqual(S.seconds_text(0.12345), '0.123')
