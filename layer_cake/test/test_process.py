"""ProcessObject with real child processes (runtime.md §14, §19 items 36-40).

Every test that starts a child checks by PID, before it ends, that no child
it started is still running.
"""

import os
import re
import signal
import time

import layer_cake as lc
from layer_cake.process import collector as collector_module
from layer_cake.process import process_object as PO
from layer_cake.process import role as R
from layer_cake.test.process_types import IAm, SlowXy, WhoAreYou, Xy, make_table
from layer_cake.test.programs.stop_reporter import stop_reporter
from layer_cake.test.programs.stubborn import stubborn
from layer_cake.test.programs.texture import texture
from layer_cake.test.programs.xy_worker import xy_worker
from layer_cake.test.support import Child, RuntimeTestCase

PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'programs')
NOT_STANDARD = os.path.join(PROGRAMS, 'not_standard.py')

# Generous: a child imports Twisted before it does anything.
DEADLINE = 30.0


def alive(pid):
    """Is ``pid`` a running (not zombie) process?"""
    try:
        with open('/proc/%d/stat' % (pid,)) as f:
            fields = f.read().rsplit(')', 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ('Z', 'X')


def wait_gone(pids, seconds=DEADLINE):
    """The pids still running after waiting up to ``seconds`` for them to end."""
    deadline = time.monotonic() + seconds
    while True:
        running = [p for p in pids if alive(p)]
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.05)


def unencodable(self, table: dict[str, int] = None):
    """Never runs: its argument cannot be put on a command line."""
    return None


lc.bind(unencodable)


def not_registered(self):
    return None


def short_lived_parent(self, processes: bool = False) -> lc.Address:
    """Create a worker (a thread, or a process) and end at once, leaving it running."""
    if processes:
        return self.create(lc.ProcessObject, xy_worker)
    return self.create(xy_worker)


lc.bind(short_lived_parent)


class ProcessTestCase(RuntimeTestCase):
    """A runtime that logs OBJECT records, so tests can read the children's pids."""

    log_level = lc.USER_LOG.OBJECT

    def setUp(self):
        # Cleanups run last-in first-out: this check runs after tear_down,
        # which stops whatever a failed test left running.
        self.addCleanup(self.assert_no_child_left)
        RuntimeTestCase.setUp(self)
        previous = R.current_if_set()
        R.use(None)
        self.addCleanup(R.use, previous)

    def started_pids(self):
        pids = []
        for text in self.logs.texts():
            m = re.match(r'Started process \((\d+)\)$', text or '')
            if m:
                pids.append(int(m.group(1)))
        return pids

    def assert_no_child_left(self):
        left = wait_gone(self.started_pids())
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        self.assertEqual(left, [], 'child processes outlived the test')

    def returned(self, ch, seconds=DEADLINE):
        m, _ = self.receive(ch, lc.Returned, seconds=seconds)
        return m.message


class FunctionAsProcess(ProcessTestCase):
    """The thread/process switch for a function (items 36, 37)."""

    def test_same_returned_as_thread(self):
        """ProcessObject(texture, x=2, y=3) delivers the same (table, type) as the thread form."""
        ch = self.channel()
        ch.create(texture, x=2, y=3)
        in_thread = self.returned(ch)
        a = ch.create(lc.ProcessObject, texture, x=2, y=3)
        m, _ = self.receive(ch, lc.Returned, seconds=DEADLINE)
        self.assertEqual(ch.return_address, a)
        value, portable = m.message
        self.assertEqual(value, make_table(2, 3))
        self.assertEqual(len(value), 3)
        self.assertTrue(all(len(row) == 2 for row in value))
        self.assertIs(portable, lc.def_type(list[list[float]]))
        self.assertEqual(in_thread[0], value)
        self.assertIs(in_thread[1], portable)

    def test_command_line_logged(self):
        """The child's command line carries the arguments and framework flags, logged at CONSOLE."""
        ch = self.channel()
        ch.create(lc.ProcessObject, texture, x=2, y=3)
        self.returned(ch)
        lines = [r for r in self.logs.records if r.tag == lc.USER_TAG.CONSOLE
                 and r.name == 'ProcessObject']
        self.assertEqual(len(lines), 1)
        argv = lines[0].text.split()
        for flag in ('--x=2', '--y=3', '--child-process', '--full-output',
                     '--role-name=texture', '--origin=SHELL'):
            self.assertIn(flag, argv)
        self.assertTrue(argv[1].endswith('texture.py'))
        self.assertEqual(len(self.started_pids()), 1)
        self.assertIn('Process (%d) ended with 0' % (self.started_pids()[0],),
                      self.logs.texts())

    def test_child_fault_passes_through(self):
        """A child whose main returns Faulted('out of bounds') delivers that Faulted."""
        ch = self.channel()
        ch.create(lc.ProcessObject, texture, x=0, y=3)
        m = self.returned(ch)
        self.assertIsInstance(m, lc.Faulted)
        self.assertEqual(m.condition, 'out of bounds')
        self.assertEqual(m.explanation, 'x=0, y=3')

    def test_unencodable_argument(self):
        """A value that cannot go on the command line is a Faulted naming the argument."""
        import datetime
        ch = self.channel()
        ch.create(lc.ProcessObject, unencodable, table=datetime.datetime.now())
        m = self.returned(ch)
        self.assertIsInstance(m, lc.Faulted)
        self.assertIn('cannot encode value for argument "table"', str(m))
        self.assertEqual(self.started_pids(), [])

    def test_cannot_execute(self):
        """Unknown scripts, executables, extensions and unregistered objects each fault."""
        ch = self.channel()
        cases = [
            ('nosuch.py', 'cannot execute nosuch.py (not found)'),
            ('no-such-program-here', 'cannot execute no-such-program-here (not found)'),
            ('thing.abc', 'cannot execute thing.abc (unknown extension?)'),
            (not_registered, 'cannot execute not_registered (not registered)'),
        ]
        for what, text in cases:
            ch.create(lc.ProcessObject, what)
            m = self.returned(ch)
            self.assertIsInstance(m, lc.Faulted)
            self.assertEqual(str(m), text)
        self.assertEqual(self.started_pids(), [])


class RoleOfAHome(ProcessTestCase):
    """ProcessObject(HomeRole(...)) runs a role's recorded executable as that role."""

    def test_home_role(self):
        """The role's stored settings apply, and its history records the run."""
        import subprocess
        import sys
        home = os.path.join(self.mktemp_folder(), 'home')
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env['PYTHONPATH'] = root + os.pathsep + env.get('PYTHONPATH', '')
        script = os.path.join(PROGRAMS, 'texture.py')
        done = subprocess.run([sys.executable, script, '--create-role', '--home-path=' + home,
                               '--role-name=tex', '--x=3', '--y=1'], env=env,
                              capture_output=True, timeout=DEADLINE)
        self.assertEqual(done.returncode, 0, done.stderr)
        ch = self.channel()
        ch.create(lc.ProcessObject, lc.HomeRole(home_path=home, role_name='tex'))
        value, _ = self.returned(ch)
        self.assertEqual(value, make_table(3, 1))
        history = R.Role(home, 'tex', persistent=True)._file('start_stop',
                                                              R.HISTORY_TYPE).recover()
        self.assertEqual(len(history), 1)
        self.assertEqual(history[0].returned[0], make_table(3, 1))

    def test_no_such_role(self):
        """A role the home does not have is a Faulted naming it."""
        home = os.path.join(self.mktemp_folder(), 'home')
        ch = self.channel()
        ch.create(lc.ProcessObject, lc.HomeRole(home_path=home, role_name='nobody'))
        m = self.returned(ch)
        self.assertIsInstance(m, lc.Faulted)
        self.assertTrue(str(m).startswith('cannot execute role "nobody" (no such role'), str(m))


class BadChildren(ProcessTestCase):
    """A child that breaks the contract gives a specific Faulted; nothing hangs."""

    def run_not_standard(self, how):
        ch = self.channel()
        ch.create(lc.ProcessObject, NOT_STANDARD, how)
        return self.returned(ch)

    def test_garbage_on_stdout(self):
        """Output that is not an encoding: 'cannot decode output ... not a standard executable?'."""
        m = self.run_not_standard('garbage')
        self.assertIsInstance(m, lc.Faulted)
        self.assertTrue(m.condition.startswith('cannot decode output ('), m.condition)
        self.assertTrue(m.condition.endswith('not a standard executable?'), m.condition)

    def test_silent_non_zero_exit(self):
        """No output and exit 3: a non-standard exit naming the code and <empty> output."""
        m = self.run_not_standard('silent')
        self.assertIsInstance(m, lc.Faulted)
        self.assertEqual(m.condition, 'non-standard process exit - code=3, output=<empty>, '
                                      'page="<empty>..."')

    def test_oversize_frame_on_the_pipe(self):
        """A frame over the limit on the control pipe: the child is ended, the fault says why."""
        m = self.run_not_standard('big-frame')
        self.assertIsInstance(m, lc.Faulted)
        self.assertIn('bad frame', str(m))
        self.assertIn('oversize frame', str(m))

    def test_outcome_table(self):
        """runtime.md §14.3 row by row, on the decoding function alone."""
        codec = lc.CodecJson()
        table = lc.cast_to([[0.5]], lc.def_type(list[list[float]]))
        encoded = codec.encode(table, lc.Any()).encode()
        self.assertEqual(PO.outcome(0, None, encoded)[0], [[0.5]])
        self.assertIsNone(PO.outcome(0, None, b''))
        fault = codec.encode(lc.Faulted('bad', exit_status=3), lc.Any()).encode()
        self.assertEqual(PO.outcome(3, None, fault).condition, 'bad')
        self.assertEqual(PO.outcome(71, None, fault).condition, 'bad')
        odd = PO.outcome(5, None, encoded)
        self.assertTrue(odd.condition.startswith(
            'non-standard process exit - code=5, output=tuple, page="{"value"'), odd.condition)
        killed = PO.outcome(None, 9, b'')
        self.assertEqual(killed.condition, 'non-standard process exit - code=-9, '
                                           'output=<empty>, page="<empty>..."')


class CommandLine(ProcessTestCase):
    """The child's command line (runtime.md §14.2), built without running anything."""

    def test_order_and_encoding(self):
        """Program, words, settings (typed), then origin, child flags and role."""
        argv = PO.command_line(['python3', '/x/child.py'], '/x/child.py',
                               {'seconds': lc.def_type(float), 'who': lc.def_type(str)},
                               args=('a', 1), settings={'seconds': 0.5, 'who': 'bob',
                                                        'other': 7, 'skip': None})
        self.assertEqual(argv, ['python3', '/x/child.py', 'a', '1', '--seconds=0.5',
                                '--who=bob', '--other=7', '--origin=SHELL', '--child-process',
                                '--full-output', '--role-name=child'])

    def test_parent_role_prefix_and_home(self):
        """Under a parent role the child's role is '<parent>.<name>' unless top_role."""
        R.use(R.Role('/h/.layer-cake', 'server'))
        argv = PO.command_line(['p'], '/x/worker.py', {})
        self.assertIn('--role-name=server.worker', argv)
        self.assertIn('--home-path=/h/.layer-cake', argv)
        argv = PO.command_line(['p'], '/x/worker.py', {}, top_role=True)
        self.assertIn('--role-name=worker', argv)

    def test_origin_follows_the_parent(self):
        """A parent run under RUN/START makes RUN_CHILD/START_CHILD children."""
        saved = lc.CL.origin
        self.addCleanup(setattr, lc.CL, 'origin', saved)
        for parent, child in ((lc.ProcessOrigin.RUN, 'RUN_CHILD'),
                              (lc.ProcessOrigin.START, 'START_CHILD'),
                              (None, 'SHELL')):
            lc.CL.origin = parent
            self.assertIn('--origin=%s' % (child,), PO.command_line(['p'], '/x/w.py', {}))


class Stopping(ProcessTestCase):
    """Stop, the grace period, and the process collector (items 38, 40)."""

    def test_stop_reaches_the_child_main(self):
        """Stop to a ProcessObject is a Stop to the child's main; the parent gets Aborted."""
        note = os.path.join(self.mktemp_folder(), 'note')
        ch = self.channel()
        a = ch.create(lc.ProcessObject, stop_reporter, note=note)
        ch.send(WhoAreYou(), a)         # plain mode: not delivered, and no harm done
        self.wait_started(1)
        ch.send(lc.Stop(), a)
        m = self.returned(ch)
        self.assertIsInstance(m, lc.Aborted)
        with open(note) as f:
            self.assertEqual(f.read(), 'stopped\n')

    def wait_started(self, count):
        deadline = time.monotonic() + DEADLINE
        while len(self.started_pids()) < count:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)

    def test_stubborn_child_is_killed(self):
        """A child ignoring Stop (and SIGTERM) is killed after the grace periods."""
        self.patch(PO, 'STOP_GRACE', 0.5)
        self.patch(PO, 'KILL_GRACE', 0.5)
        ch = self.channel()
        a = ch.create(lc.ProcessObject, stubborn)
        ch.send(WhoAreYou(), a)         # answered once the child handles its signals
        self.assertIsInstance(self.input(ch, seconds=DEADLINE), IAm)
        ch.send(lc.Stop(), a)
        m = self.returned(ch)
        self.assertIsInstance(m, lc.Aborted)
        self.assertEqual(wait_gone(self.started_pids()), [])
        self.assertTrue(any(t.startswith('Process (') and t.endswith('ended with -9')
                            for t in self.logs.texts()), self.logs.texts())

    def test_tear_down_stops_children(self):
        """A runtime torn down with a running ProcessObject stops that child first."""
        ch = self.channel()
        a = ch.create(lc.ProcessObject, xy_worker)
        ch.send(WhoAreYou(), a)
        m = self.input(ch, seconds=DEADLINE)
        self.assertIsInstance(m, IAm)
        self.assertTrue(alive(m.pid))
        self.assertEqual(list(collector_module.collector.running), [a])
        lc.tear_down()
        self.assertFalse(alive(m.pid))
        self.assertEqual(collector_module.collector.running, {})


class NoCascading(ProcessTestCase):
    """Ending a parent object does not stop its children (item 40)."""

    def test_children_outlive_their_parent_object(self):
        """A thread worker and a worker process both keep serving after their parent ended."""
        ch = self.channel()
        for processes in (False, True):
            ch.create(short_lived_parent, processes=processes)
            worker, _ = self.returned(ch)
            ch.send(WhoAreYou(), worker)
            m = self.input(ch, seconds=DEADLINE)
            self.assertIsInstance(m, IAm)
            self.assertEqual(m.pid == os.getpid(), not processes)
            # Its end is reported to nobody (the parent has gone) and harms nothing.
            ch.send(lc.Stop(), worker)
        self.assertEqual(wait_gone(self.started_pids()), [])
        ch.send(WhoAreYou(), ch.object_address)
        self.assertIsInstance(self.input(ch), WhoAreYou)


class LibraryMode(ProcessTestCase):
    """Messages to a running child and back (item 39)."""

    def test_message_right_after_create(self):
        """An Xy sent at once is answered by the child's worker; the reply routes to the child."""
        ch = self.channel()
        a = ch.create(lc.ProcessObject, xy_worker)
        ch.send(Xy(x=2, y=2), a)
        m = self.input(ch, seconds=DEADLINE)
        self.assertEqual(m, make_table(2, 2))
        self.assertIs(ch.received_type, lc.def_type(list[list[float]]))
        worker = ch.return_address
        self.assertNotEqual(worker, a)
        self.assertEqual(len(worker), 2)
        # The reply's address reaches the child's object directly, again and again.
        ch.send(WhoAreYou(), worker)
        first = self.input(ch)
        self.assertIsInstance(first, IAm)
        self.assertEqual(ch.return_address, worker)
        self.assertEqual(first.pid, self.started_pids()[0])
        ch.send(lc.Stop(), a)
        self.assertIsInstance(self.returned(ch), lc.Aborted)

    def test_many_in_order(self):
        """Requests queued before the child is ready arrive in order and are all answered."""
        ch = self.channel()
        a = ch.create(lc.ProcessObject, xy_worker)
        for i in range(1, 51):
            ch.send(Xy(x=i, y=1), a)
        for i in range(1, 51):
            self.assertEqual(self.input(ch, seconds=DEADLINE), make_table(i, 1))
        ch.send(lc.Stop(), a)
        self.assertIsInstance(self.returned(ch), lc.Aborted)

    def test_spool_of_processes(self):
        """ObjectSpool(ProcessObject, worker) spreads requests over several child pids."""
        ch = self.channel()
        # responsiveness=None: the first answers include the children's start-up,
        # which on a loaded machine can look like a slow service.
        spool = ch.create(lc.ObjectSpool, lc.ProcessObject, xy_worker, object_count=3,
                          responsiveness=None)
        pids = set()
        for _ in range(9):
            ch.send(WhoAreYou(), spool)
            m = self.input(ch, seconds=DEADLINE)
            self.assertIsInstance(m, IAm)
            self.assertEqual(ch.return_address, spool)
            pids.add(m.pid)
        self.assertEqual(len(pids), 3)
        self.assertEqual(pids, set(self.started_pids()))
        ch.send(lc.Stop(), spool)
        self.assertIsInstance(self.returned(ch), lc.Aborted)
        self.assertEqual(wait_gone(pids), [])

    def test_start_up_is_not_a_response_time(self):
        """A process spool's first answers (which wait for start-up) do not make it Busy."""
        ch = self.channel()
        spool = ch.create(lc.ObjectSpool, lc.ProcessObject, xy_worker, object_count=2,
                          responsiveness=0.5)
        for _ in range(10):
            ch.send(WhoAreYou(), spool)
            self.assertIsInstance(self.input(ch, seconds=DEADLINE), IAm)
        ch.send(lc.Stop(), spool)
        self.assertIsInstance(self.returned(ch), lc.Aborted)

    def test_worker_killed_mid_request(self):
        """SIGKILL a worker mid-request: the caller gets a fault and the spool replaces it."""
        ch = self.channel()
        spool = ch.create(lc.ObjectSpool, lc.ProcessObject, xy_worker, object_count=1,
                          stand_down=2.0, responsiveness=None)
        ch.send(WhoAreYou(), spool)
        first = self.input(ch, seconds=DEADLINE)
        self.assertIsInstance(first, IAm)
        ch.send(SlowXy(seconds=30.0), spool)
        # The spool takes the request before it can learn of the kill, so the
        # request is in flight at the worker whether or not the child read it.
        os.kill(first.pid, signal.SIGKILL)
        m = self.input(ch, seconds=DEADLINE)
        self.assertIsInstance(m, lc.Faulted)
        self.assertEqual(m.condition, 'worker ended during the request')
        self.assertIn('code=-9', m.explanation)
        ch.send(WhoAreYou(), spool)
        second = self.input(ch, seconds=DEADLINE)
        self.assertIsInstance(second, IAm)
        self.assertNotEqual(second.pid, first.pid)
        ch.send(lc.Stop(), spool)
        self.assertIsInstance(self.returned(ch), lc.Aborted)


class ParentEnds(ProcessTestCase):
    """No orphan: a parent's end takes its children with it (items 38, 40)."""

    def children(self, parent, count):
        pids = [int(parent.line_starting('child ', DEADLINE).split()[1]) for _ in range(count)]
        parent.line_starting('ready', DEADLINE)
        self.addCleanup(self.kill_left, pids)
        return pids

    def kill_left(self, pids):
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

    def test_parent_killed(self):
        """SIGKILL the parent: every child notices its pipe close and exits within seconds."""
        parent = Child(self, 'layer_cake.test.programs.process_parent', '--count=2')
        pids = self.children(parent, 2)
        self.assertTrue(all(alive(p) for p in pids))
        parent.kill(signal.SIGKILL)
        self.assertEqual(wait_gone(pids), [])

    def test_parent_ends_first(self):
        """A main that ends with children running: they are stopped before the process exits."""
        parent = Child(self, 'layer_cake.test.programs.process_parent', '--count=2',
                       '--leave')
        pids = self.children(parent, 2)
        parent.process.wait(DEADLINE)
        self.assertEqual(parent.process.returncode, 0)
        self.assertEqual([p for p in pids if alive(p)], [])

    def test_parent_stopped(self):
        """SIGINT to the parent: Stop to its main, children stopped, exit 71 with Aborted."""
        parent = Child(self, 'layer_cake.test.programs.process_parent', '--count=2')
        pids = self.children(parent, 2)
        parent.kill(signal.SIGINT)
        self.assertEqual(parent.process.returncode, 71)
        self.assertEqual([p for p in pids if alive(p)], [])
