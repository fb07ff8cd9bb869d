"""The layer-cake command against real processes in temporary homes
(network.md §11, checklist items 40-45).

Every test runs the CLI as a subprocess (``python -m layer_cake.cli.main``)
in its own folder, so the default home ``./.layer-cake`` is private to it.
Roles run ``programs/cli_worker.py``.  Processes a test starts are stopped
by PID in its cleanup.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from twisted.trial import unittest

from layer_cake.process import role as R
from layer_cake.runtime.library.retry import RetryIntervals
from layer_cake.runtime.storage import File

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROGRAMS = os.path.join(REPO, 'layer_cake', 'test', 'programs')
WORKER = os.path.join(PROGRAMS, 'cli_worker.py')
DEADLINE = 60.0
COMMAND_DEADLINE = 120.0


def environment(**extra):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([REPO] + [p for p in [env.get('PYTHONPATH')] if p])
    env.update(extra)
    return env


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie of ours counts as gone.
    try:
        with open('/proc/%d/stat' % (pid,)) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def wait_until(predicate, seconds=DEADLINE, step=0.05):
    """Poll ``predicate`` until it is true; False when the deadline passes first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


class CliTestCase(unittest.TestCase):
    """A private folder to run the CLI in, and cleanup of what it started."""

    # A home with the group and worker-0, worker-1, made once and copied per test.
    _template = None

    def setUp(self):
        self.folder = os.path.abspath(self.mktemp())
        os.makedirs(self.folder)
        self.home = os.path.join(self.folder, '.layer-cake')
        self.pids = set()
        self.addCleanup(self.stop_everything)

    def cli(self, *arguments, env=None, timeout=COMMAND_DEADLINE):
        """(exit status, stdout, stderr) of one CLI command run in the test's folder."""
        p = subprocess.run([sys.executable, '-m', 'layer_cake.cli.main'] + list(arguments),
                           cwd=self.folder, env=env or environment(), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *arguments, **kw):
        code, out, err = self.cli(*arguments, **kw)
        self.assertEqual(code, 0, 'layer-cake %s: %s' % (' '.join(arguments), err))
        return out

    def fault(self, *arguments, **kw):
        """The one error line of a command that must fail with status 71."""
        code, out, err = self.cli(*arguments, **kw)
        self.assertEqual(code, 71, 'layer-cake %s: %r %r' % (' '.join(arguments), out, err))
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertTrue(lines[0].startswith('layer-cake: '), err)
        self.assertNotIn('Traceback', err)
        return lines[0]

    def made_home(self):
        """This test's home: a copy of the template (group, worker-0, worker-1)."""
        template = CliTestCase._template
        if template is None or not os.path.isdir(template):
            maker = os.path.abspath(os.path.join('cli-template'))
            shutil.rmtree(maker, ignore_errors=True)
            os.makedirs(maker)
            base = os.path.join(maker, '.layer-cake')
            for arguments in (['create'], ['add', WORKER, 'worker', '--role-count=2']):
                p = subprocess.run([sys.executable, '-m', 'layer_cake.cli.main'] + arguments
                                   + ['--home-path=%s' % (base,)], env=environment(),
                                   capture_output=True, text=True, timeout=COMMAND_DEADLINE)
                self.assertEqual(p.returncode, 0, p.stderr)
            template = CliTestCase._template = base
        shutil.copytree(template, self.home)
        return self.home

    def settings_bytes(self, role):
        with open(os.path.join(self.home, 'role', role, 'settings.json'), 'rb') as f:
            return f.read()

    def settings(self, role):
        stored = File(os.path.join(self.home, 'role', role, 'settings'),
                      R.SETTINGS_TYPE).recover()
        return R.any_to_settings(stored)

    # Running processes.

    def heads(self):
        """{role: LockedHead} of the roles running in this test's home now."""
        from layer_cake.process.home import Home
        home = Home(self.home)
        if not home.exists():
            return {}
        found = {}
        for name in home.all_role_names():
            head = home.locked_head(name)
            if head is not None:
                found[name] = head
        return found

    def note_running(self):
        for head in self.heads().values():
            if head.pid:
                self.pids.add(head.pid)

    def wait_running(self, names):
        def up():
            self.note_running()
            return set(names) <= set(self.heads())
        self.assertTrue(wait_until(up), 'not running: %s' % (set(names) - set(self.heads()),))

    def stop_everything(self):
        self.note_running()
        group = self.heads().get('group')
        if group is not None:
            os.kill(group.pid, signal.SIGINT)
            wait_until(lambda: not alive(group.pid), 15.0)
        for pid in self.pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.assertTrue(wait_until(lambda: not any(alive(p) for p in self.pids), 15.0))


class CreateAndAdd(CliTestCase):
    """Checklist item 40: create and add."""

    def test_create_layout(self):
        """create lays out script/resource/role/departures/arrivals and a complete group role."""
        self.ok('create')
        for name in ('script', 'resource', 'role', 'departures', 'arrivals'):
            self.assertTrue(os.path.isdir(os.path.join(self.home, name)), name)
        group = os.path.join(self.home, 'role', 'group')
        for name in ('unique_id.json', 'executable_file.json', 'settings.json',
                     'start_stop.json', 'log_storage.json'):
            self.assertTrue(os.path.isfile(os.path.join(group, name)), name)
        for name in ('model', 'tmp', 'logs', 'lock'):
            self.assertTrue(os.path.isdir(os.path.join(group, name)), name)

    def test_create_again(self):
        """create over an existing path fails with one line on stderr and status 71."""
        self.ok('create')
        self.assertIn('already exists', self.fault('create'))

    def test_create_bad_group_setting(self):
        """create with a setting group-cake rejects fails and leaves no home behind."""
        self.assertIn('unknown arguments', self.fault('create', '--bogus=1'))
        self.assertFalse(os.path.exists(self.home))

    def test_add_without_home(self):
        """add with no home is a fault."""
        self.assertIn('does not exist', self.fault('add', WORKER))

    def test_role_count_and_start(self):
        """--role-count=3 --role-start=5 adds worker-5, worker-6 and worker-7."""
        self.ok('create')
        self.ok('add', WORKER, 'worker', '--role-count=3', '--role-start=5', '--rate=2.5')
        self.assertEqual(sorted(os.listdir(os.path.join(self.home, 'role'))),
                         ['group', 'worker-5', 'worker-6', 'worker-7'])
        self.assertEqual(self.settings('worker-6'), {'rate': 2.5})

    def test_default_role_name(self):
        """Without a role name the role is named after the executable's base name."""
        self.ok('create')
        self.ok('add', WORKER)
        self.assertEqual(self.ok('list'), 'cli_worker\n')

    def test_role_count_bounds(self):
        """--role-count=0 and 1001 are faults and add nothing."""
        self.ok('create')
        for count in ('0', '1001'):
            self.assertIn('role count', self.fault('add', WORKER, 'w', '--role-count=' + count))
        self.assertEqual(self.ok('list'), '')

    def test_existing_name(self):
        """Adding a name already in the home is a fault naming it."""
        self.made_home()
        line = self.fault('add', WORKER, 'worker', '--role-count=3')
        self.assertIn('worker-0, worker-1', line)
        self.assertEqual(self.ok('list'), 'worker-0\nworker-1\n')

    def test_reserved_name(self):
        """Names starting with "group" are reserved."""
        self.ok('create')
        self.assertIn('reserved', self.fault('add', WORKER, 'group-x'))

    def test_program_checks_settings(self):
        """A setting the program does not take fails the add and leaves no role."""
        self.ok('create')
        self.assertIn('unknown arguments (bogus)', self.fault('add', WORKER, 'w', '--bogus=1'))
        self.assertIn('cannot decode value for "rate"', self.fault('add', WORKER, 'w',
                                                                   '--rate=fast'))
        self.assertEqual(os.listdir(os.path.join(self.home, 'role')), ['group'])


class Conventions(CliTestCase):
    """Command-line conventions of §11.1 as the CLI applies them."""

    def test_unknown_sub_command(self):
        """An unknown sub-command is a fault that names it."""
        self.assertIn('unknown sub-command "bogus"', self.fault('bogus'))

    def test_unknown_flag(self):
        """A verb that does not forward settings rejects a flag it does not take."""
        self.made_home()
        self.assertIn('unknown arguments (bogus)', self.fault('list', '--bogus'))

    def test_help(self):
        """--help lists the verbs; <verb> --help lists that verb's flags with short forms."""
        out = self.ok('--help')
        for name in ('create', 'add', 'list', 'update', 'edit', 'delete', 'destroy', 'run',
                     'start', 'stop', 'status', 'history', 'returned', 'log'):
            self.assertTrue(re.search(r'^  %s ' % (name,), out, re.M), name)
        out = self.ok('add', '--help')
        self.assertIn('--role-count=<integer8> (-rc)', out)
        self.assertIn('passed on as settings', out)


class Listing(CliTestCase):
    """Checklist item 41: list."""

    def test_sorted_without_group(self):
        """list prints the role names sorted, one a line, without the group."""
        self.made_home()
        self.ok('add', WORKER, 'alpha')
        self.assertEqual(self.ok('list'), 'alpha\nworker-0\nworker-1\n')

    def test_long_listing(self):
        """list -ll prints <name padded to 24> <path> <folders>/<files>/<bytes>."""
        self.made_home()
        lines = self.ok('list', '-ll').splitlines()
        self.assertEqual(len(lines), 2)
        for name, line in zip(('worker-0', 'worker-1'), lines):
            self.assertRegex(line, r'^%s %s \d+/\d+/\d+$' % (
                re.escape(name.ljust(24)), re.escape(WORKER)))

    def test_group_role(self):
        """list --group-role includes the group."""
        self.made_home()
        self.assertEqual(self.ok('list', '--group-role'), 'group\nworker-0\nworker-1\n')

    def test_search(self):
        """A search matches at the start of names; one that matches nothing is a fault."""
        self.made_home()
        self.assertEqual(self.ok('list', 'worker-1'), 'worker-1\n')
        self.assertIn('no roles matching "nosuch"', self.fault('list', 'nosuch'))


class Updating(CliTestCase):
    """Checklist item 42: update, and settings that cannot be read."""

    def test_group_retry(self):
        """update group --retry stores a value that decodes to RetryIntervals(regular_steps=30.0)."""
        self.made_home()
        self.ok('update', 'group', '--retry={"regular_steps": 30.0}')
        retry = self.settings('group')['retry']
        self.assertIsInstance(retry, RetryIntervals)
        self.assertEqual(retry.regular_steps, 30.0)
        self.assertEqual(retry.first_steps, [])

    def test_selected_roles(self):
        """update worker changes every worker (a search matches at the start)."""
        self.made_home()
        self.ok('update', 'worker', '--rate=0.5', '--label=blue')
        for name in ('worker-0', 'worker-1'):
            self.assertEqual(self.settings(name), {'rate': 0.5, 'label': 'blue'})

    def test_unknown_setting(self):
        """update worker --bogus=1 fails with the worker's fault and touches no settings."""
        self.made_home()
        self.ok('update', 'worker-1', '--rate=3.0')
        before = [self.settings_bytes(n) for n in ('worker-0', 'worker-1')]
        self.assertIn('unknown arguments (bogus)', self.fault('update', 'worker', '--bogus=1'))
        self.assertEqual([self.settings_bytes(n) for n in ('worker-0', 'worker-1')], before)

    def test_corrupted_settings(self):
        """A corrupted settings file is named in the fault; nothing else is touched or run."""
        self.made_home()
        broken = os.path.join(self.home, 'role', 'worker-1', 'settings.json')
        with open(broken, 'w') as f:
            f.write('{"value": [[')
        before = self.settings_bytes('worker-0')
        self.assertIn(broken, self.fault('update', 'worker', '--rate=2.0'))
        self.assertEqual(self.settings_bytes('worker-0'), before)
        self.assertIn(broken, self.fault('start'))
        self.assertEqual(self.heads(), {})
        with open(broken) as f:
            self.assertEqual(f.read(), '{"value": [[')

    def test_refused_while_running(self):
        """update (and delete) of a running role is refused, naming it."""
        self.made_home()
        self.ok('start', 'worker-0')
        self.wait_running(['group', 'worker-0'])
        self.assertIn('worker-0 running', self.fault('update', 'worker', '--rate=2.0'))
        self.assertIn('worker-0 running', self.fault('delete', 'worker-0'))
        self.ok('update', 'worker-1', '--rate=2.0')


class Editing(CliTestCase):
    """Checklist item 45: edit with LC_EDITOR."""

    def editor(self, body):
        """LC_EDITOR running a small Python script on the settings file (sys.argv[1])."""
        path = os.path.join(self.folder, 'editor.py')
        with open(path, 'w') as f:
            f.write('import sys\npath = sys.argv[1]\n' + body)
        return environment(LC_EDITOR='%s %s' % (sys.executable, path))

    def test_rewrite(self):
        """An editor that rewrites a value changes the stored settings."""
        self.made_home()
        self.ok('update', 'worker-0', '--rate=3.5')
        self.ok('edit', 'worker-0', env=self.editor(
            'text = open(path).read().replace("3.5", "4.5")\nopen(path, "w").write(text)\n'))
        self.assertEqual(self.settings('worker-0'), {'rate': 4.5})

    def test_not_modified(self):
        """An editor that changes nothing gives the "settings not modified" fault."""
        self.made_home()
        self.assertIn('settings not modified', self.fault('edit', 'worker-0',
                                                          env=self.editor('pass\n')))

    def test_invalid_json(self):
        """An editor that writes invalid JSON gives a fault and leaves the settings alone."""
        self.made_home()
        self.ok('update', 'worker-0', '--rate=3.5')
        before = self.settings_bytes('worker-0')
        self.assertIn('cannot decode settings', self.fault('edit', 'worker-0', env=self.editor(
            'open(path, "w").write("{not json")\n')))
        self.assertEqual(self.settings_bytes('worker-0'), before)

    def test_no_such_role(self):
        """edit of a role that is not there is a fault naming it."""
        self.made_home()
        self.assertIn('no role "nosuch"', self.fault('edit', 'nosuch'))


class Deleting(CliTestCase):
    """delete and destroy."""

    def test_needs_a_choice(self):
        """delete with neither search nor --all-roles is a fault suggesting --all-roles."""
        self.made_home()
        self.assertIn('--all-roles', self.fault('delete'))

    def test_search_and_all(self):
        """delete removes the selected roles; --all-roles the rest, never the group."""
        self.made_home()
        self.ok('delete', 'worker-1')
        self.assertEqual(self.ok('list'), 'worker-0\n')
        self.ok('delete', '--all-roles')
        self.assertEqual(self.ok('list', '--group-role'), 'group\n')

    def test_destroy(self):
        """destroy removes the home; a path that is not a home is a fault."""
        self.made_home()
        self.ok('destroy')
        self.assertFalse(os.path.exists(self.home))
        self.assertIn('does not exist', self.fault('destroy'))


class Running(CliTestCase):
    """Checklist item 44: start, status, stop and what the roles leave behind."""

    def test_start_to_destroy(self):
        """start returns while roles run; status, stop, history, returned, log, destroy."""
        self.made_home()
        began = time.monotonic()
        out = self.ok('start')
        self.assertLess(time.monotonic() - began, DEADLINE)
        self.assertRegex(out, r'^group-cake <\d+> started 2 roles in the background\n$')
        self.wait_running(['group', 'worker-0', 'worker-1'])

        self.assertEqual(self.ok('status'), 'worker-0\nworker-1\n')
        heads = self.heads()
        lines = self.ok('status', '-ll').splitlines()
        for name, line in zip(('worker-0', 'worker-1'), lines):
            self.assertRegex(line, r'^%s <%d> \d+(\.\d)?[smhd]$' % (
                re.escape(name.ljust(24)), heads[name].pid))
        self.assertEqual(self.ok('status', '--group-role').splitlines()[0], 'group')

        self.assertIn('already running (group, worker-0, worker-1)', self.fault('start'))
        self.assertIn('running', self.fault('destroy'))

        self.ok('stop')
        self.assertTrue(wait_until(lambda: not self.heads()))
        self.assertTrue(wait_until(lambda: not any(alive(p) for p in self.pids)))
        self.assertIn('nothing running', self.fault('status'))
        self.assertIn('nothing running', self.fault('stop'))

        self.assertRegex(self.ok('history', 'worker-0'),
                         r'^\[0\] \S+ ago \.\.\. \S+ \(Aborted\)\n$')
        self.assertRegex(self.ok('history', 'group', '-ll'),
                         r'^\[0\] \S+ \.\.\. \S+ \(\S+\) Aborted\n$')
        value = json.loads(self.ok('returned', 'worker-0'))
        self.assertEqual(value['condition'], 'aborted')
        self.assertEqual(json.loads(self.ok('returned'))['condition'], 'aborted')

        lines = self.ok('log', 'worker-0', '--count=5', '--start=0').splitlines()
        self.assertEqual(len(lines), 5)
        for line in lines:
            self.assertRegex(line, r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} . <[0-9a-f]{8}>')

        self.ok('destroy')
        self.assertFalse(os.path.exists(self.home))

    def test_racing_starts(self):
        """Two starts at once: one starts the group, the other gets "already running"."""
        self.made_home()
        racers = [subprocess.Popen([sys.executable, '-m', 'layer_cake.cli.main', 'start'],
                                   cwd=self.folder, env=environment(),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = []
        for p in racers:
            out, err = p.communicate(timeout=COMMAND_DEADLINE)
            results.append((p.returncode, out, err))
        self.note_running()
        self.assertEqual(sorted(code for code, _, _ in results), [0, 71])
        loser = [err for code, _, err in results if code == 71][0]
        self.assertIn('already running', loser)
        self.wait_running(['group', 'worker-0', 'worker-1'])

    def test_returned_timeout(self):
        """returned of a role still running waits, then times out."""
        self.made_home()
        self.ok('start', 'worker-0')
        self.wait_running(['group', 'worker-0'])
        self.assertIn('timed out', self.fault('returned', 'worker-0', '--timeout=1.5'))

    def test_run_interrupted(self):
        """run in the foreground logs from several pids; SIGINT ends every role and the run."""
        self.made_home()
        run = subprocess.Popen([sys.executable, '-m', 'layer_cake.cli.main', 'run',
                                '--debug-level=DEBUG'], cwd=self.folder, env=environment(),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        self.pids.add(run.pid)
        self.wait_running(['group', 'worker-0', 'worker-1'])
        self.assertIn('already running', self.fault('run'))
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=COMMAND_DEADLINE)
        self.assertEqual(run.returncode, 71, err[-2000:])
        self.assertEqual(err.splitlines()[-1], 'layer-cake: aborted (user or software interrupt)')
        pids = set(re.findall(r'^\[(\d{8})\] ', err, re.M))
        self.assertGreaterEqual(len(pids), 3)
        self.assertTrue(wait_until(lambda: not any(alive(p) for p in self.pids)))

    def test_nothing_to_run(self):
        """start of a home without roles is a fault saying it is empty."""
        self.ok('create')
        self.assertIn('empty', self.fault('start'))


class RunEndings(CliTestCase):
    """Item 43: how a foreground run goes on, restarts and ends."""

    def start_run(self, *arguments):
        run = subprocess.Popen([sys.executable, '-m', 'layer_cake.cli.main', 'run']
                               + list(arguments), cwd=self.folder, env=environment(),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        self.pids.add(run.pid)
        self.addCleanup(run.kill)
        self.wait_running(['group', 'worker-0', 'worker-1'])
        return run

    def pid_of(self, role):
        return self.heads()[role].pid

    def test_no_retry_goes_on_then_reports_by_role(self):
        """Without retry a killed role stays down, the rest run on; the end prints an object."""
        import threading
        self.made_home()
        run = self.start_run('--debug-level=CONSOLE')
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(run.stderr), daemon=True)
        reader.start()
        survivor = self.pid_of('worker-1')
        os.kill(self.pid_of('worker-0'), signal.SIGKILL)
        # Once the group has seen worker-0 end, worker-1 and the run must still be there.
        self.assertTrue(wait_until(lambda: any('Ended "worker-0"' in t for t in list(lines))))
        self.assertIsNone(run.poll())
        self.assertTrue(alive(survivor))
        self.assertNotIn('worker-0', self.heads())
        os.kill(survivor, signal.SIGINT)
        out = run.stdout.read()
        run.wait(COMMAND_DEADLINE)
        reader.join(COMMAND_DEADLINE)
        self.assertEqual(run.returncode, 0, ''.join(lines)[-2000:])
        result = json.loads(out)
        self.assertEqual(sorted(result), ['worker-0', 'worker-1'])

    def test_retry_relaunches(self):
        """With --retry on the group, a role killed with SIGKILL is relaunched."""
        self.made_home()
        self.ok('update', 'group', '--retry={"regular_steps": 1.0}')
        run = self.start_run('--debug-level=CONSOLE')
        killed = self.pid_of('worker-0')
        os.kill(killed, signal.SIGKILL)

        def relaunched():
            head = self.heads().get('worker-0')
            return head is not None and head.pid != killed
        self.assertTrue(wait_until(relaunched))
        self.note_running()
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=COMMAND_DEADLINE)
        self.assertIn('Restart "worker-0" (', err)

    def test_main_role_ends_the_run(self):
        """With --main-role the run ends when that role returns, with its value; others stop."""
        self.made_home()
        self.ok('update', 'worker-0', '--finish', '--rate=2.5')
        code, out, err = self.cli('run', '--main-role=worker-0')
        self.assertEqual(code, 0, err[-2000:])
        self.assertEqual(json.loads(out), 2.5)
        self.assertEqual(self.heads(), {})
