"""group-cake with real role processes in temporary homes (network.md §12,
checklist items 43 and 50).

Roles are made the way ``layer-cake add`` makes them: by running the role's
program with ``--create-role --home-path=... --role-name=...``.  Tests read
group-cake's log (stderr, CONSOLE level) for launches, ends and restarts, and
find every role process by the PID it logs; each test kills whatever it
started, by PID, before it ends.
"""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

from twisted.trial import unittest

import layer_cake as lc
from layer_cake.types.codec import CodecJson
from layer_cake.test.test_process import alive, wait_gone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROGRAMS = os.path.join(ROOT, 'layer_cake', 'test', 'programs')
IDLER = os.path.join(PROGRAMS, 'idler.py')

# Generous: every role imports Twisted before it does anything.
DEADLINE = 30.0

STARTED = re.compile(r'Started "([^"]+)" \((\d+)\)')
READY = re.compile(r'\[(\d+)\] .*>idler - ready$')


def environment():
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env.pop('LC_PARENT_PIPES', None)
    return env


def group_cake_argv(*arguments):
    return [sys.executable, '-m', 'layer_cake.supervisor.group_cake'] + list(arguments)


class GroupRun(object):
    """A running group-cake: its log lines as they come, the role pids it reports."""

    def __init__(self, test, home, *arguments, argv=None, stderr=subprocess.PIPE, env=None):
        if argv is None:
            argv = group_cake_argv('--home-path=%s' % (home,), '--debug-level=CONSOLE',
                                   *arguments)
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=stderr, env=env or environment(),
                                        cwd=test.folder)
        self.pid = self.process.pid
        self.lines = queue.Queue()
        self.seen = []              # every log line so far
        self.started = []           # (role, pid) in launch order
        self.output = []
        if stderr is subprocess.STDOUT:     # one stream carries the logs
            threading.Thread(target=self._read_log, args=(self.process.stdout,),
                             daemon=True).start()
        else:
            threading.Thread(target=self._read_log, args=(self.process.stderr,),
                             daemon=True).start()
            threading.Thread(target=self._read_out, daemon=True).start()
        test.addCleanup(self.kill_all)

    def _read_log(self, stream):
        for raw in stream:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            m = STARTED.search(line)
            if m:
                self.started.append((m.group(1), int(m.group(2))))
            self.lines.put(line)
        self.lines.put(None)

    def _read_out(self):
        self.output.append(self.process.stdout.read())

    def wait_for(self, pattern, seconds=DEADLINE):
        """The next log line matching ``pattern`` (a regex searched in the line)."""
        deadline = time.monotonic() + seconds
        compiled = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError('no log line matching %r within %s s' % (pattern, seconds))
            if line is None:
                raise AssertionError('group-cake ended before logging %r' % (pattern,))
            self.seen.append(line)
            m = compiled.search(line)
            if m:
                return m

    def wait_started(self, names):
        """{role: pid} once each of ``names`` has been launched (once more)."""
        pids = {}
        while set(pids) != set(names):
            m = self.wait_for(STARTED.pattern)
            pids[m.group(1)] = int(m.group(2))
        return pids

    def wait_ready(self, names):
        """{role: pid} once each of ``names`` runs and handles signals (the idler said so)."""
        pids = self.wait_started(names)
        ready = set(int(m.group(1)) for m in map(READY.search, self.seen) if m)
        while not set(pids.values()) <= ready:
            ready.add(int(self.wait_for(READY.pattern).group(1)))
        return pids

    def role_pids(self):
        return [pid for _, pid in self.started]

    def finish(self, seconds=DEADLINE):
        """Wait for group-cake to exit; (exit status, stdout)."""
        self.process.wait(seconds)
        deadline = time.monotonic() + seconds
        while not self.output and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.process.returncode, (self.output[0] if self.output else b'')

    def kill_all(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(DEADLINE)
        left = wait_gone(self.role_pids(), 10.0)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class GroupCakeTestCase(unittest.TestCase):

    def setUp(self):
        self.folder = os.path.abspath(self.mktemp())
        os.makedirs(self.folder)
        self.home = os.path.join(self.folder, 'home')
        for name in ('script', 'resource', 'role', 'departures', 'arrivals'):
            os.makedirs(os.path.join(self.home, name))

    def run_program(self, argv):
        done = subprocess.run(argv, env=environment(), cwd=self.folder, capture_output=True,
                              timeout=DEADLINE)
        return done.returncode, done.stdout.decode(), done.stderr.decode()

    def add(self, name, *settings, program=IDLER):
        code, out, err = self.run_program([sys.executable, program, '--create-role',
                                           '--home-path=%s' % (self.home,),
                                           '--role-name=%s' % (name,)] + list(settings))
        self.assertEqual(code, 0, err)

    def create_group(self, *settings):
        code, out, err = self.run_program(group_cake_argv(
            '--create-role', '--home-path=%s' % (self.home,)) + list(settings))
        self.assertEqual(code, 0, err)
        return out

    def group(self, *arguments):
        return GroupRun(self, self.home, *arguments)

    def assert_all_gone(self, run, seconds=DEADLINE):
        self.assertEqual(wait_gone(run.role_pids(), seconds), [])


class Restarts(GroupCakeTestCase):

    def test_killed_role_restarted(self):
        """With regular_steps=1.0 a role killed with SIGKILL is relaunched as a new process."""
        self.add('a')
        self.add('b')
        self.create_group('--retry={"regular_steps": 1.0}')
        run = self.group()
        pids = run.wait_started(['a', 'b'])
        os.kill(pids['a'], signal.SIGKILL)
        run.wait_for(r'Restart "a" \(1\.0 seconds\)')
        again = run.wait_started(['a'])
        self.assertNotEqual(again['a'], pids['a'])
        self.assertTrue(alive(again['a']))
        self.assertTrue(alive(pids['b']))
        run.process.send_signal(signal.SIGINT)
        code, _ = run.finish()
        self.assertEqual(code, 71)
        self.assert_all_gone(run)

    def test_crash_loop_stopped_by_intensity(self):
        """A role that dies at once forever is given up after five restarts; the rest go on."""
        self.add('a')
        self.add('crasher', '--crash')
        run = self.group('--retry={"regular_steps": 0.1}')
        run.wait_for(r'Gave up on "crasher" \(5 restarts within 10\.0 seconds\)')
        self.assertEqual([n for n, _ in run.started].count('crasher'), 6)
        a = dict(run.started)['a']
        self.assertTrue(alive(a))
        self.assertIsNone(run.process.poll())
        # layer-cake status shows the role given up next to the running one.
        status = subprocess.run([sys.executable, '-m', 'layer_cake.cli.main', 'status',
                                 '--home-path=%s' % (self.home,)], env=environment(),
                                cwd=self.folder, capture_output=True, text=True,
                                timeout=DEADLINE)
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertEqual(status.stdout.splitlines(),
                         ['a', 'crasher (given up: 5 restarts within 10.0 seconds)'])
        run.process.send_signal(signal.SIGINT)
        code, _ = run.finish()
        self.assertEqual(code, 71)
        self.assert_all_gone(run)


class NoOrphans(GroupCakeTestCase):

    def test_group_killed(self):
        """SIGKILL of group-cake: every role process is gone within 5 s, and a new run starts."""
        for name in ('a', 'b', 'c'):
            self.add(name)
        self.create_group()
        run = self.group()
        pids = run.wait_ready(['a', 'b', 'c'])
        # Every process group-cake started (the launcher too) goes with it.
        children = _children_of(run.pid)
        self.assertTrue(set(pids.values()) <= set(children) or children)
        run.process.kill()
        run.process.wait(DEADLINE)
        self.assertEqual(wait_gone(list(pids.values()), 5.0), [])
        self.assertEqual(wait_gone(children, 5.0), [])
        second = self.group()
        second.wait_started(['a', 'b', 'c'])
        second.process.send_signal(signal.SIGINT)
        code, _ = second.finish()
        self.assertEqual(code, 71)
        self.assert_all_gone(second)

    def test_group_stopped(self):
        """SIGINT to group-cake: all roles end, exit 71 with Aborted."""
        for name in ('a', 'b'):
            self.add(name)
        run = self.group('--full-output', '--child-process')
        pids = run.wait_started(['a', 'b'])
        run.process.send_signal(signal.SIGINT)
        code, out = run.finish()
        self.assertEqual(code, 71)
        self.assertIsInstance(CodecJson().decode(out.decode(), lc.Any()), lc.Aborted)
        self.assertEqual([p for p in pids.values() if alive(p)], [])


class EndingRule(GroupCakeTestCase):

    def test_no_retry_group_goes_on(self):
        """No retry, no main role: a killed role stays down, the others run on; the last end
        gives a map keyed by role name."""
        for name in ('a', 'b', 'c'):
            self.add(name)
        run = self.group('--full-output', '--child-process')
        pids = run.wait_ready(['a', 'b', 'c'])
        os.kill(pids['b'], signal.SIGKILL)
        run.wait_for(r'Ended "b"')
        self.assertIsNone(run.process.poll())
        self.assertTrue(alive(pids['a']) and alive(pids['c']))
        os.kill(pids['a'], signal.SIGINT)
        run.wait_for(r'Ended "a"')
        self.assertIsNone(run.process.poll())
        os.kill(pids['c'], signal.SIGINT)
        code, out = run.finish()
        self.assertEqual(code, 0)
        value, _ = lc.cast_back(CodecJson().decode(out.decode(), lc.Any()))
        self.assertEqual(sorted(value), ['a', 'b', 'c'])
        self.assertIsInstance(value['a'], lc.Aborted, str(value['a']))
        self.assertIsInstance(value['c'], lc.Aborted)
        self.assertIn('non-standard process exit', str(value['b']))
        self.assertEqual([n for n, _ in run.started].count('b'), 1)
        self.assert_all_gone(run)

    def test_main_role(self):
        """--main-role: the group ends when that role returns, with its value."""
        self.add('server', '--seconds=1.0', '--value=7')
        self.add('worker')
        run = self.group('--main-role=server')
        pids = run.wait_started(['server', 'worker'])
        code, out = run.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.strip(), b'7')
        self.assertFalse(alive(pids['worker']))


def _children_of(pid):
    """The pids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % (entry,)) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


WHOAMI = os.path.join(PROGRAMS, 'whoami.py')


class WarmStart(GroupCakeTestCase):

    def whoami(self, warm):
        self.add('who', program=WHOAMI)
        env = environment()
        env['LC_WARM_START'] = '1' if warm else '0'
        env['LC_TEST_MARK'] = 'marked'
        run = GroupRun(self, self.home, '--main-role=who', env=env)
        code, out = run.finish()
        self.assertEqual(code, 0, run.seen[-5:])
        return dict(json.loads(out.decode())), run

    def test_same_as_a_cold_start(self):
        """A role forked by the launcher sees what a freshly executed one sees: its
        script as argv[0] and sys.path[0], its folder's modules, the control pipes,
        stdin, no stray descriptors, the environment, and __main__."""
        warm, run = self.whoami(True)
        shutil.rmtree(os.path.join(self.home, 'role', 'who'))
        cold, _ = self.whoami(False)
        self.assertEqual(warm, cold)
        self.assertEqual((warm['argv0'], warm['sibling'], warm['pipes'], warm['home'],
                          warm['main']),
                         ('whoami.py', 'beside', '[3, 4]', 'marked', '__main__'))
        self.assertEqual(warm['path0'], PROGRAMS)

    def test_warm_role_is_a_child_of_the_launcher(self):
        """With warm starts, roles are forked by the launcher, not executed by group-cake."""
        self.add('a')
        run = self.group()
        pids = run.wait_started(['a'])
        launcher = [p for p in _children_of(run.pid) if p != pids['a']]
        self.assertEqual(len(launcher), 1)
        self.assertEqual(_children_of(launcher[0]), [pids['a']])
        run.process.send_signal(signal.SIGINT)
        code, _ = run.finish()
        self.assertEqual(code, 71)
        self.assert_all_gone(run)
        self.assertEqual(wait_gone(launcher, 5.0), [])


class Faults(GroupCakeTestCase):

    def test_no_roles(self):
        """An empty home is the fault No roles at location "<home>"."""
        code, out, err = self.run_program(group_cake_argv('--home-path=%s' % (self.home,)))
        self.assertEqual(code, 71)
        self.assertIn('No roles at location "%s"' % (self.home,), err)

    def test_no_home(self):
        """A home that does not exist is the same fault, and nothing is created there."""
        missing = os.path.join(self.folder, 'missing')
        code, out, err = self.run_program(group_cake_argv('--home-path=%s' % (missing,)))
        self.assertEqual(code, 71)
        self.assertIn('No roles at location "%s"' % (missing,), err)
        self.assertFalse(os.path.exists(missing))

    def test_no_match(self):
        """Searches that select nothing are the fault No roles matching "<patterns>"."""
        self.add('worker-0')
        code, out, err = self.run_program(group_cake_argv('--home-path=%s' % (self.home,),
                                                          'server', 'db'))
        self.assertEqual(code, 71)
        self.assertIn('No roles matching "server db"', err)

    def test_bad_pattern(self):
        """A search that is not a regular expression is a fault naming it."""
        self.add('worker-0')
        code, out, err = self.run_program(group_cake_argv('--home-path=%s' % (self.home,),
                                                          '('))
        self.assertEqual(code, 71)
        self.assertIn('bad search "("', err)

    def test_create_group_role(self):
        """group-cake --create-role makes role group with its settings (as layer-cake create does)."""
        out = self.create_group('--retry={"regular_steps": 30.0}', '--main-role=server')
        self.assertIn('main_role,retry', out)
        from layer_cake.process.role import Role, any_to_settings
        settings = any_to_settings(Role(self.home, 'group', persistent=True).settings())
        self.assertEqual(settings['retry'].regular_steps, 30.0)
        self.assertEqual(settings['main_role'], 'server')

    def test_unknown_argument(self):
        """An argument group-cake does not know is a fault, exit 71."""
        self.add('a')
        code, out, err = self.run_program(group_cake_argv('--home-path=%s' % (self.home,),
                                                          '--bogus=1'))
        self.assertEqual(code, 71)
        self.assertIn('unknown arguments', err)
