"""The process entry point lc.create, run as real processes (runtime.md §15, §16,
§14.6; §19 items 30-35).

Every test writes small programs the way the tutorial does (``import layer_cake
as lc``, ``lc.bind(f)``, ``if __name__ == '__main__': lc.create(f)``) into a
temporary folder and runs them with this interpreter, checking stdout, stderr
and the exit status.  Signal tests wait for a line the child logs on stderr,
signal it by PID and wait for its exit with a deadline (killing it by PID if
the deadline passes).
"""

import concurrent.futures
import gc
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

from twisted.trial import unittest

import layer_cake as lc
from layer_cake.process import entry, role

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEADLINE = 120.0

LOG_LINE = re.compile(r'^\[\d{8}\] \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} [+X<>()!?^~_&=] '
                      r'<[0-9a-f]{8}>\w+(\[\w+\])? - ')
FILE_LOG_LINE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} [+X<>()!?^~_&=] '
                           r'<[0-9a-f]{8}>\w+(\[\w+\])? - ')

PROGRAMS = {
    'fn.py': '''
        import random
        import layer_cake as lc

        def texture(self, x: int = 8, y: int = 8) -> list[list[float]]:
            table = [[random.random() for _ in range(x)] for _ in range(y)]
            return table

        lc.bind(texture)

        if __name__ == '__main__':
            lc.create(texture)
        ''',
    'settings.py': '''
        import layer_cake as lc

        class HostPort(object):
            def __init__(self, host: str = None, port: int = None):
                self.host = host
                self.port = port

        lc.bind(HostPort)

        def settings(self, server_address: HostPort = None, adjustment: lc.TimeSpan = None,
                     flag: bool = False) -> dict[str, str]:
            return {
                'server_address': '%s %s:%r' % (type(server_address).__name__,
                                                server_address.host, server_address.port),
                'adjustment': repr(adjustment),
                'flag': repr(flag),
            }

        lc.bind(settings)

        if __name__ == '__main__':
            lc.create(settings)
        ''',
    'fault.py': '''
        import layer_cake as lc

        def fault(self, status: int = None):
            return lc.Faulted('bad thing', 'because', exit_status=status)

        lc.bind(fault)

        if __name__ == '__main__':
            lc.create(fault)
        ''',
    'waiter.py': '''
        import layer_cake as lc

        def waiter(self):
            self.console('waiting')
            while True:
                m = self.input()
                if isinstance(m, lc.Stop):
                    return lc.Aborted()

        lc.bind(waiter)

        if __name__ == '__main__':
            lc.create(waiter)
        ''',
    'logs.py': '''
        import layer_cake as lc

        def logs(self):
            self.console('a', 'b', n=1, r=0.5)
            self.warning('careful')
            self.debug('x')
            self.trace('tracing')
            return None

        lc.bind(logs)

        if __name__ == '__main__':
            lc.create(logs)
        ''',
    'bare.py': '''
        import layer_cake as lc

        def bare(self):
            return 42

        lc.bind(bare)

        if __name__ == '__main__':
            lc.create(bare)
        ''',
    'nothing.py': '''
        import layer_cake as lc

        def nothing(self):
            return None

        lc.bind(nothing)

        if __name__ == '__main__':
            lc.create(nothing)
        ''',
    'machine.py': '''
        import layer_cake as lc

        class Env(object):
            def __init__(self, count: int = 0, name: str = None):
                self.count = count
                self.name = name

        lc.bind(Env)
        ENV = Env()

        class Echo(lc.Point, lc.Stateless):
            def __init__(self, *words, size: int = 1, label: str = None):
                lc.Point.__init__(self)
                lc.Stateless.__init__(self)
                self.words = list(words)
                self.size = size
                self.label = label

        def Echo_Start(self, message):
            self.complete(lc.cast_to([repr(self.words), repr(self.size), repr(self.label),
                                      repr(ENV.count), repr(ENV.name)], list[str]))

        lc.bind(Echo, dispatch=(lc.Start,))

        if __name__ == '__main__':
            lc.create(Echo, environment_variables=ENV)
        ''',
    'tool.py': '''
        import layer_cake as lc

        def count(self, start: int = 0, step: int = 1) -> list[int]:
            return [start + i * step for i in range(3)]

        def name_(self, upper: bool = False) -> str:
            return 'TOOL' if upper else 'tool'

        def tool(self, sub, *words, verbose: bool = False):
            command, function, kwargs, remainder = sub
            if function is None:
                return lc.Faulted('no sub-command')
            value = function(self, **kwargs)
            return lc.cast_to([command, repr(value), repr(list(words)), repr(verbose),
                               repr(remainder)], list[str])

        lc.bind(tool)

        if __name__ == '__main__':
            lc.create(tool, object_table=[count, name_], strict=False)
        ''',
    'where.py': '''
        import os
        import layer_cake as lc

        def where(self, x: int = 0, y: int = 0) -> list[str]:
            tmp = lc.tmp_path()
            return [os.getcwd(), lc.model_path(), tmp, repr(os.listdir(tmp)),
                    repr(lc.resource_path()), repr((x, y)), repr(os.path.isdir(tmp))]

        lc.bind(where)

        if __name__ == '__main__':
            lc.create(where)
        ''',
    'spawner.py': '''
        import sys
        from twisted.internet import protocol, reactor
        import layer_cake as lc

        class Ended(object):
            def __init__(self, code: int = None):
                self.code = code

        lc.bind(Ended)

        class Child(protocol.ProcessProtocol):
            def __init__(self, machine):
                self.machine = machine

            def processEnded(self, reason):
                self.machine.send(Ended(reason.value.exitCode), self.machine.object_address)

        class Spawner(lc.Point, lc.Stateless):
            def __init__(self):
                lc.Point.__init__(self)
                lc.Stateless.__init__(self)

        def Spawner_Start(self, message):
            reactor.spawnProcess(Child(self), sys.executable,
                                 [sys.executable, '-c', 'import sys; sys.exit(3)'], env=None)

        def Spawner_Ended(self, message):
            self.complete(lc.cast_to(message.code, int))

        lc.bind(Spawner, dispatch=(lc.Start, Ended))

        if __name__ == '__main__':
            lc.create(Spawner)
        ''',
}


def environment():
    env = dict(os.environ)
    path = env.get('PYTHONPATH')
    env['PYTHONPATH'] = ROOT + (os.pathsep + path if path else '')
    env.pop('LC_EDITOR', None)
    return env


def write_program(folder, name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        with open(path, 'w') as f:
            f.write(textwrap.dedent(PROGRAMS[name]).lstrip())
    return name


def run_in(folder, env, name, *arguments, extra=None):
    """(exit status, stdout, stderr) of running a program in ``folder`` to its end."""
    e = dict(env)
    e.update(extra or {})
    p = subprocess.run([sys.executable, write_program(folder, name)] + list(arguments),
                       cwd=folder, env=e, capture_output=True, text=True, timeout=DEADLINE)
    return p.returncode, p.stdout, p.stderr


class ProcessCase(unittest.SynchronousTestCase):
    """Runs programs from PROGRAMS in a fresh temporary folder.

    ``RUNS`` {key: (program, arguments...)} of a class are independent runs
    that are started together, a few at a time, on the first call of
    ``result`` and kept for all the tests of the class.
    """

    RUNS = {}
    CONCURRENT = 4

    def setUp(self):
        self.folder = os.path.abspath(self.mktemp())
        os.makedirs(self.folder)
        self.home = os.path.join(self.folder, 'home')
        self.env = environment()

    @classmethod
    def _batch(cls):
        results = cls.__dict__.get('_results')
        if results is None:
            folder = tempfile.mkdtemp(prefix=cls.__name__ + '-', dir=os.getcwd())
            env = environment()
            with concurrent.futures.ThreadPoolExecutor(cls.CONCURRENT) as pool:
                futures = {}
                for key, run in cls.RUNS.items():
                    extra = run[-1] if isinstance(run[-1], dict) else None
                    run = run[:-1] if extra is not None else run
                    futures[key] = pool.submit(run_in, folder, env, *run, extra=extra)
                results = {key: f.result() for key, f in futures.items()}
            cls._folder = folder
            cls._results = results
        return results

    def result(self, key):
        """(exit status, stdout, stderr) of the run ``key`` of RUNS."""
        return self._batch()[key]

    def program(self, name):
        return write_program(self.folder, name)

    def run_program(self, name, *arguments, env=None):
        """(exit status, stdout, stderr) of running a program to its end."""
        return run_in(self.folder, self.env, name, *arguments, extra=env)

    def start_program(self, name, *arguments):
        """A running program whose stderr goes to a file; killed by PID at cleanup."""
        log = os.path.join(self.folder, '%s.%d.stderr' % (name, len(os.listdir(self.folder))))
        err = open(log, 'w')
        self.addCleanup(err.close)
        p = subprocess.Popen([sys.executable, self.program(name)] + list(arguments),
                             cwd=self.folder, env=self.env, stdout=subprocess.PIPE,
                             stderr=err, text=True)
        self.addCleanup(self.reap, p)
        p.stderr_path = log
        return p

    def reap(self, p):
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(DEADLINE)
        if p.stdout is not None:
            p.stdout.close()

    def wait_for_line(self, p, pattern):
        """Wait (with a deadline) until the program's stderr has a line containing pattern."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            with open(p.stderr_path) as f:
                text = f.read()
            if pattern in text:
                return text
            if p.poll() is not None:
                self.fail('program ended (%s) before logging %r: %s' % (p.returncode, pattern,
                                                                        text))
            time.sleep(0.02)
        self.fail('no %r within %s s' % (pattern, DEADLINE))

    def finish(self, p):
        """(exit status, stdout, stderr) once the program has ended (killed on the deadline)."""
        try:
            out, _ = p.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(DEADLINE)
            self.fail('program did not end within %s s' % (DEADLINE,))
        with open(p.stderr_path) as f:
            return p.returncode, out, f.read()



ADDRESS = '{"host": "127.0.0.1", "port": 5051}'


class OutputTests(ProcessCase):
    """Item 30 and §15.6, §14.6."""

    RUNS = {
        'plain': ('fn.py', '--x=2', '--y=2'),
        'full': ('fn.py', '--x=2', '--y=2', '--full-output'),
        'child': ('fn.py', '-x=2', '-y=2', '--full-output', '--child-process'),
        'none-child': ('nothing.py', '--full-output', '--child-process'),
        'bare': ('bare.py',),
        'bare-child': ('bare.py', '--full-output', '--child-process'),
        'file': ('fn.py', '-x=1', '-y=3', '--output-file=result'),
        'types': ('fn.py', '--dump-types'),
        'help': ('fn.py', '--help'),
    }

    def test_plain_output(self):
        """Item 30: --x=2 --y=2 prints an indented JSON list of 2 lists of 2 floats, exit 0."""
        code, out, err = self.result('plain')
        self.assertEqual((code, err), (0, ''))
        table = json.loads(out)
        self.assertEqual([len(row) for row in table], [2, 2])
        self.assertTrue(all(isinstance(v, float) for row in table for v in row))
        self.assertTrue(out.startswith('[\n    [\n        '), out)

    def test_full_output(self):
        """Item 30: --full-output prints the pretty full shipment with its signature."""
        code, out, err = self.result('full')
        self.assertEqual((code, err), (0, ''))
        shipment = json.loads(out)
        self.assertEqual(shipment['value'][0], 'vector<vector<float8>>')
        self.assertEqual(len(shipment['value'][1]), 2)
        self.assertIn('{\n    "value": [\n        "vector<vector<float8>>",\n', out)

    def test_child_output(self):
        """Item 30 / §14.6: --full-output --child-process prints exactly one compact line."""
        code, out, err = self.result('child')
        self.assertEqual((code, err), (0, ''))
        self.assertEqual(len(out.splitlines()), 1)
        self.assertNotIn(' ', out.strip())
        self.assertTrue(out.startswith('{"value":["vector<vector<float8>>",[['), out)
        value, portable = lc.CodecJson().decode(out, lc.Any())
        self.assertIs(portable, lc.def_type(list[list[float]]))

    def test_none_prints_nothing(self):
        """§14.6: a None result prints nothing even under --full-output --child-process; exit 0."""
        self.assertEqual(self.result('none-child'), (0, '', ''))

    def test_unencodable_value(self):
        """§14.6: a bare 42 with no return type is `cannot encode (...)`, exit 71 (GAP fixed)."""
        self.assertEqual(self.result('bare'),
                         (71, '', 'bare.py: cannot encode (no transform int/Any)\n'))
        code, out, err = self.result('bare-child')
        self.assertEqual((code, err), (71, ''))
        fault = lc.CodecJson().decode(out, lc.Any())
        self.assertIsInstance(fault, lc.Faulted)
        self.assertEqual(str(fault), 'cannot encode (no transform int/Any)')

    def test_output_file(self):
        """--output-file=f stores the value as a pretty Any shipment in f.json instead."""
        code, out, err = self.result('file')
        self.assertEqual((code, out, err), (0, '', ''))
        path = os.path.join(self.__class__._folder, 'result')
        value = lc.File(path, lc.Any()).recover()
        self.assertEqual(value[1], lc.def_type(list[list[float]]))
        self.assertEqual(len(value[0]), 3)
        with open(path + '.json') as f:
            self.assertIn('\n    "value": [\n', f.read())

    def test_dump_types(self):
        """--dump-types prints every registered signature, sorted, one per line; no run."""
        code, out, err = self.result('types')
        self.assertEqual((code, err), (0, ''))
        lines = out.splitlines()
        self.assertEqual(lines, sorted(lines))
        for s in ('__main__.texture', 'vector<vector<float8>>', 'integer8',
                  'layer_cake.process.command_line.CommandLine'):
            self.assertIn(s, lines)

    def test_help(self):
        """--help prints the settings and framework flags and exits 0 without running."""
        code, out, err = self.result('help')
        self.assertEqual((code, err), (0, ''))
        self.assertIn('--x=<integer8> (-x)', out)
        self.assertIn('--debug-level=<NONE|FAULT|WARNING|CONSOLE|OBJECT|TRACE|DEBUG> (-dl)',
                      out)

    def test_write_output_forms(self):
        """write_output renders the §15.6 rows (checked in-process on string streams)."""
        def written(value, **kw):
            out, err = io.StringIO(), io.StringIO()
            _, status = entry.write_output(value, 'prog', stdout=out, stderr=err, **kw)
            return status, out.getvalue(), err.getvalue()
        pairs = lc.cast_to({'b': 1, 'a': 2}, dict[str, int])
        self.assertEqual(written(pairs), (0, '[\n    [\n        "b",\n        1\n    ],\n'
                                             '    [\n        "a",\n        2\n    ]\n]\n', ''))
        self.assertEqual(written(pairs, maps_as_objects=True),
                         (0, '{\n    "b": 1,\n    "a": 2\n}\n', ''))
        self.assertEqual(written(lc.Faulted('c', 'e', exit_status=4)), (4, '', 'prog: c (e)\n'))
        self.assertEqual(written(lc.Ack(), full_output=True, child_process=True),
                         (0, '{"value":["layer_cake.runtime.messages.Ack",{},[]]}\n', ''))
        self.assertEqual(written(lc.Aborted()),
                         (71, '', 'prog: aborted (user or software interrupt)\n'))


class ArgumentTests(ProcessCase):
    """Items 31 and 32, and the other ways in: words, environment, sub-commands."""

    RUNS = {
        'long': ('settings.py', '--server-address=' + ADDRESS, '--adjustment=1d2h', '--flag'),
        'short': ('settings.py', '-sa=' + ADDRESS, '-a=2m'),
        'unknown': ('fn.py', '--nosuch=1'),
        'undecodable': ('fn.py', '--x=abc'),
        'parent': ('fn.py', '--nosuch', '--full-output', '--child-process'),
        'machine': ('machine.py', 'one', '--size=3', 'two', '-l=big',
                    {'LC_V_COUNT': '7', 'LC_V_NAME': 'env'}),
        'environment': ('machine.py', {'LC_V_COUNT': 'lots'}),
        'count': ('tool.py', 'count', '--start=5', '--step=2', 'w', '--verbose', '--extra=1'),
        'nosuch': ('tool.py', 'nosuch'),
    }

    def test_values_reach_main(self):
        """Item 31: JSON --server-address is a HostPort, --adjustment=1d2h 93600.0, --flag True."""
        code, out, err = self.result('long')
        self.assertEqual((code, err), (0, ''))
        self.assertEqual(dict(json.loads(out)), {
            'server_address': 'HostPort 127.0.0.1:5051', 'adjustment': '93600.0',
            'flag': 'True'})

    def test_short_forms(self):
        """Item 31: -sa=JSON is equivalent to --server-address=JSON (and -a to --adjustment)."""
        code, out, err = self.result('short')
        self.assertEqual((code, err), (0, ''))
        self.assertEqual(dict(json.loads(out)), {
            'server_address': 'HostPort 127.0.0.1:5051', 'adjustment': '120.0',
            'flag': 'False'})

    def test_unknown_argument(self):
        """Item 32: --nosuch=1 prints `<argv0>: unknown arguments (nosuch)`, exit 71."""
        self.assertEqual(self.result('unknown'), (71, '', 'fn.py: unknown arguments (nosuch)\n'))

    def test_undecodable_argument(self):
        """Item 32: --x=abc prints `<argv0>: cannot decode value for "x" (...)`, exit 71."""
        code, out, err = self.result('undecodable')
        self.assertEqual((code, out), (71, ''))
        self.assertRegex(err, r'^fn\.py: cannot decode value for "x" \(.+\)\n$')

    def test_argument_error_for_a_parent(self):
        """An argument error under --full-output --child-process is a Faulted on stdout, exit 71."""
        code, out, err = self.result('parent')
        self.assertEqual((code, err), (71, ''))
        fault = lc.CodecJson().decode(out, lc.Any())
        self.assertEqual(str(fault), 'unknown arguments (nosuch)')

    def test_machine_words_settings_environment(self):
        """A machine main gets words, keyword settings and LC_V_<MEMBER> variables."""
        code, out, err = self.result('machine')
        self.assertEqual((code, err), (0, ''))
        self.assertEqual(json.loads(out), ["['one', 'two']", '3', "'big'", '7', "'env'"])

    def test_bad_environment_variable(self):
        """An undecodable LC_V_ variable is an argument error naming it, exit 71."""
        code, out, err = self.result('environment')
        self.assertEqual((code, out), (71, ''))
        self.assertRegex(err, r'^machine\.py: cannot decode value for "LC_V_COUNT" \(.+\)\n$')

    def test_sub_commands(self):
        """Sub-commands: the first word picks a table function, passed as a tuple to the main."""
        code, out, err = self.result('count')
        self.assertEqual((code, err), (0, ''))
        self.assertEqual(json.loads(out), ['count', '[5, 7, 9]', "['w']", 'True',
                                           "{'extra': '1'}"])
        self.assertEqual(self.result('nosuch'),
                         (71, '', 'tool.py: unknown sub-command "nosuch"\n'))


class FaultTests(ProcessCase):
    """Item 33."""

    RUNS = {
        'status': ('fault.py', '--status=3'),
        'default': ('fault.py',),
        'full': ('fault.py', '--status=3', '--full-output'),
    }

    def test_fault_with_status(self):
        """Item 33: Faulted('bad thing', 'because', exit_status=3) prints on stderr, exit 3."""
        self.assertEqual(self.result('status'), (3, '', 'fault.py: bad thing (because)\n'))

    def test_fault_default_status(self):
        """Item 33: without exit_status the process exits 71."""
        self.assertEqual(self.result('default'), (71, '', 'fault.py: bad thing (because)\n'))

    def test_fault_full_output(self):
        """Item 33: with --full-output the fault is printed on stdout instead."""
        code, out, err = self.result('full')
        self.assertEqual((code, err), (3, ''))
        fault = lc.CodecJson().decode(out, lc.Any())
        self.assertIsInstance(fault, lc.Faulted)
        self.assertEqual((fault.condition, fault.explanation, fault.exit_status),
                         ('bad thing', 'because', 3))


class LogTests(ProcessCase):
    """Item 35."""

    RUNS = {
        'debug': ('logs.py', '--debug-level=DEBUG'),
        'warning': ('logs.py', '--debug-level=WARNING'),
        'none': ('logs.py',),
    }

    def test_debug_level_lines(self):
        """Item 35: DEBUG lines match the format, with Created by, Destroyed and `_` lines."""
        code, out, err = self.result('debug')
        self.assertEqual((code, out), (0, ''))
        lines = err.splitlines()
        self.assertGreater(len(lines), 4)
        for line in lines:
            self.assertRegex(line, LOG_LINE)
        for pattern in (r' \+ <[0-9a-f]{8}>logs - Created by <[0-9a-f]{8}>$',
                        r' X <[0-9a-f]{8}>logs - Destroyed$',
                        r' _ <[0-9a-f]{8}>logs - x$',
                        r' ~ <[0-9a-f]{8}>logs - tracing$'):
            self.assertTrue(any(re.search(pattern, line) for line in lines), pattern)

    def test_console_rendering(self):
        """Item 35: self.console('a', 'b', n=1, r=0.5) renders `a b (n=1,r=0.5)`."""
        lines = self.result('debug')[2].splitlines()
        self.assertTrue(any(re.search(r' \^ <[0-9a-f]{8}>logs - a b \(n=1,r=0\.5\)$', line)
                            for line in lines), lines)

    def test_warning_level(self):
        """Item 35: --debug-level=WARNING shows self.warning but not self.console."""
        code, out, err = self.result('warning')
        self.assertEqual((code, out), (0, ''))
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], LOG_LINE)
        self.assertRegex(lines[0], r' \? <[0-9a-f]{8}>logs - careful$')

    def test_no_logs_by_default(self):
        """Item 35: without --debug-level nothing is logged (and None prints nothing)."""
        self.assertEqual(self.result('none'), (0, '', ''))


class SignalTests(ProcessCase):
    """Item 34 and §15.5."""

    RUNS = {'child': ('spawner.py',)}

    def test_child_processes_reaped(self):
        """Twisted's SIGCHLD handling stays in place: a spawned child's end is reported."""
        self.assertEqual(self.result('child'), (0, '3\n', ''))

    def interrupted(self, number, *arguments):
        p = self.start_program('waiter.py', '--debug-level=DEBUG', *arguments)
        self.wait_for_line(p, 'waiting')
        os.kill(p.pid, number)
        return self.finish(p)

    def test_sigint_stops_main(self):
        """Item 34: SIGINT makes the main return Aborted; `aborted (...)` on stderr, exit 71."""
        code, out, err = self.interrupted(signal.SIGINT)
        self.assertEqual((code, out), (71, ''))
        self.assertRegex(err, r'< <[0-9a-f]{8}>waiter - Received Stop from ')
        self.assertTrue(err.endswith('\nwaiter.py: aborted (user or software interrupt)\n'), err)
        self.assertNotIn('SIGINT alias', err)

    def test_sigterm_is_an_alias(self):
        """Item 34: SIGTERM behaves as SIGINT and is logged as an alias."""
        code, out, err = self.interrupted(signal.SIGTERM)
        self.assertEqual((code, out), (71, ''))
        self.assertIn('~ <', err)
        self.assertIn('- Accepting signal %d as SIGINT alias' % (signal.SIGTERM,), err)
        self.assertIn('waiter - Received Stop from ', err)
        self.assertTrue(err.endswith('\nwaiter.py: aborted (user or software interrupt)\n'), err)

    def test_hup_quit_are_aliases_usr_ignored(self):
        """SIGHUP and SIGQUIT are SIGINT aliases; SIGUSR1/2 are caught and ignored."""
        numbers = (signal.SIGHUP, signal.SIGQUIT)
        running = [self.start_program('waiter.py', '--debug-level=TRACE', '--full-output',
                                      '--child-process') for _ in numbers]
        for p, number in zip(running, numbers):
            self.wait_for_line(p, 'waiting')
            os.kill(p.pid, signal.SIGUSR1)
            os.kill(p.pid, signal.SIGUSR2)
            os.kill(p.pid, number)
        for p, number in zip(running, numbers):
            code, out, err = self.finish(p)
            self.assertEqual(code, 71, err)
            self.assertIsInstance(lc.CodecJson().decode(out, lc.Any()), lc.Aborted)
            self.assertIn('Accepting signal %d as SIGINT alias' % (number,), err)


class RoleTests(ProcessCase):
    """Home, role and settings (§16)."""

    def role(self, name='fn'):
        return os.path.join(self.home, 'role', name)

    RUNS = {
        'memory': ('where.py', '--model-path=/m', '--resource-path=/r'),
        'default': ('where.py',),
    }

    def test_in_memory_role(self):
        """A shell role is in memory: private tmp removed at exit, path overrides used as given."""
        code, out, err = self.result('memory')
        self.assertEqual((code, err), (0, ''))
        cwd, model, tmp, listing, resource, _, existed = json.loads(out)
        self.assertEqual((model, resource, listing, existed), ('/m', "'/r'", '[]', 'True'))
        self.assertFalse(os.path.exists(tmp))

    def test_in_memory_defaults(self):
        """In memory, the model folder is the cwd, no resources, and no home is created."""
        code, out, err = self.result('default')
        self.assertEqual((code, err), (0, ''))
        cwd, model, _, _, resource, _, _ = json.loads(out)
        self.assertEqual((model, resource), (cwd, 'None'))
        self.assertFalse(os.path.exists(os.path.join(cwd, lc.DEFAULT_HOME)))

    def test_create_role(self):
        """--create-role lays out the role with the given settings and answers CommandResponse."""
        code, out, err = self.run_program('fn.py', '--create-role', '--x=3',
                                          '--home-path=' + self.home)
        self.assertEqual((code, err), (0, ''))
        self.assertEqual(json.loads(out), {'command': 'create-role', 'note': 'x'})
        names = sorted(os.listdir(self.role()))
        self.assertEqual(names, ['executable_file.json', 'lock', 'log_storage.json', 'logs',
                                 'model', 'settings.json', 'start_stop.json', 'tmp',
                                 'unique_id.json'])
        with open(os.path.join(self.role(), 'settings.json')) as f:
            self.assertEqual(json.load(f), {'value': [['x', ['integer8', 3, []]]]})
        self.assertEqual(lc.File(os.path.join(self.role(), 'executable_file'), str).recover(),
                         os.path.join(self.folder, 'fn.py'))

    def test_stored_settings_under_command_line(self):
        """A RUN role merges stored settings under the command line and keeps history."""
        home = '--home-path=' + self.home
        self.run_program('where.py', '--create-role', '--x=3', '--y=1', home)
        with open(os.path.join(self.role('where'), 'tmp', 'old'), 'w') as f:
            f.write('x')
        code, out, err = self.run_program('where.py', '--origin=RUN', home, '--y=2')
        self.assertEqual((code, err), (0, ''))
        _, model, tmp, listing, _, xy, _ = json.loads(out)
        self.assertEqual((model, tmp, listing, xy), (
            os.path.join(self.role('where'), 'model'), os.path.join(self.role('where'), 'tmp'),
            '[]', '(3, 2)'))
        history = lc.File(os.path.join(self.role('where'), 'start_stop'),
                          lc.DequeOf(lc.UserDefined(lc.StartStop))).recover()
        self.assertEqual(len(history), 1)
        self.assertLessEqual(history[0].start, history[0].stop)
        self.assertEqual(history[0].returned[1], lc.def_type(list[str]))

    def test_keep_logs(self):
        """--keep-logs makes a persistent role whose logs/ holds the lines without a pid."""
        code, out, err = self.run_program('logs.py', '--keep-logs', '--home-path=' + self.home)
        self.assertEqual((code, out, err), (0, '', ''))
        logs = os.path.join(self.role('logs'), 'logs')
        files = os.listdir(logs)
        self.assertEqual(len(files), 1)
        self.assertRegex(files[0], r'^\d{4}h\d\dh\d\dT\d\dc\d\dc\d\dp\d{3}$')
        with open(os.path.join(logs, files[0])) as f:
            lines = f.read().splitlines()
        for line in lines:
            self.assertRegex(line, FILE_LOG_LINE)
        self.assertTrue(any(line.endswith('logs - a b (n=1,r=0.5)') for line in lines))

    def test_role_lock(self):
        """A second instance of a running (locked) role faults `role <lock> is running`."""
        home = '--home-path=' + self.home
        p = self.start_program('waiter.py', '--keep-logs', home, '--debug-level=CONSOLE')
        self.wait_for_line(p, 'waiting')
        code, out, err = self.run_program('waiter.py', '--keep-logs', home)
        self.assertEqual((code, out), (71, ''))
        self.assertEqual(err, 'waiter.py: role %s is running\n' % (
            os.path.join(self.role('waiter'), 'lock', 'head'),))
        os.kill(p.pid, signal.SIGINT)
        code, _, _ = self.finish(p)
        self.assertEqual(code, 71)


def texture(self, x: int = 8, y: int = 8) -> list[list[float]]:
    return [[0.5] * x] * y


lc.bind(texture)


class MaintenanceTests(unittest.SynchronousTestCase):
    """Role maintenance flags (§16), run in this process: they end before the runtime
    would start, so no reactor is involved."""

    def setUp(self):
        self.home = os.path.abspath(self.mktemp())
        saved = {name: getattr(lc.CL, name) for name in vars(lc.CL)}
        current = role.current()

        def restore():
            for name, value in saved.items():
                setattr(lc.CL, name, value)
            role.use(current)
        self.addCleanup(restore)

    def path(self, name='texture'):
        return os.path.join(self.home, 'role', name)

    def maintain(self, *arguments):
        """(exit status, stdout, stderr) of entry.run with maintenance arguments."""
        out, err = io.StringIO(), io.StringIO()
        self.patch(sys, 'stdout', out)
        self.patch(sys, 'stderr', err)
        status = entry.run(texture, arguments=list(arguments) + ['--home-path=' + self.home],
                           argv0='texture.py')
        self.assertEqual(status, lc.PB.exit_status)
        return status, out.getvalue(), err.getvalue()

    def test_create_existing_role(self):
        """--create-role of an existing role faults `cannot create "<path>" (already exists)`."""
        self.assertEqual(self.maintain('--create-role')[0], 0)
        self.assertEqual(self.maintain('--create-role', '--x=1'), (
            71, '', 'texture.py: cannot create "%s" (already exists)\n' % (self.path(),)))

    def test_create_without_settings(self):
        """--create-role without settings answers CommandResponse('create-role', 'empty')."""
        status, out, err = self.maintain('--create-role')
        self.assertEqual(json.loads(out), {'command': 'create-role', 'note': 'empty'})
        self.assertTrue(os.path.isdir(os.path.join(self.path(), 'model')))

    def test_no_stored_role(self):
        """Settings flags without a stored role fault `no settings available "<role path>"`."""
        for flag in ('--update-role', '--factory-reset', '--dump-role', '--delete-role',
                     '--edit-role'):
            self.assertEqual(self.maintain(flag), (
                71, '', 'texture.py: no settings available "%s"\n' % (self.path(),)))

    def test_update_dump_reset_delete(self):
        """--update-role, --dump-role, --factory-reset and --delete-role do their jobs."""
        self.maintain('--create-role', '--x=3', '--role-name=r')
        status, out, err = self.maintain('-ur', '--y=4', '--role-name=r')
        self.assertEqual((status, err), (0, ''))
        self.assertEqual(json.loads(out), {'command': 'update-role', 'note': 'x,y'})
        status, out, err = self.maintain('--dump-role', '--role-name=r')
        self.assertEqual(json.loads(out), [['x', ['integer8', 3, []]],
                                           ['y', ['integer8', 4, []]]])
        status, out, err = self.maintain('--factory-reset', '--role-name=r')
        self.assertEqual(json.loads(out), {'command': 'factory-reset', 'note': None})
        self.assertEqual(json.loads(self.maintain('--dump-role', '--role-name=r')[1]), [])
        status, out, err = self.maintain('--delete-role', '--role-name=r')
        self.assertEqual(json.loads(out), {'command': 'delete-role', 'note': None})
        self.assertFalse(os.path.exists(self.path('r')))

    def test_update_checks_settings(self):
        """--update-role validates the settings against the program's parameters."""
        self.maintain('--create-role')
        status, out, err = self.maintain('--update-role', '--z=1')
        self.assertEqual((status, err), (71, 'texture.py: unknown arguments (z)\n'))

    def test_edit_role(self):
        """--edit-role stores what $LC_EDITOR changed and faults when nothing changed."""
        self.maintain('--create-role', '--x=3')
        editor = os.path.join(self.home, 'editor.py')
        with open(editor, 'w') as f:
            f.write('#!%s\nimport sys\n'
                    'text = open(sys.argv[1]).read().replace("3", "5")\n'
                    'open(sys.argv[1], "w").write(text)\n' % (sys.executable,))
        os.chmod(editor, 0o755)
        self.patch(os, 'environ', dict(os.environ, LC_EDITOR=editor))
        status, out, err = self.maintain('--edit-role')
        self.assertEqual(json.loads(out), {'command': 'edit-role', 'note': 'x'})
        self.assertEqual(json.loads(self.maintain('--dump-role')[1]),
                         [['x', ['integer8', 5, []]]])
        self.patch(os, 'environ', dict(os.environ, LC_EDITOR='true'))
        self.assertEqual(self.maintain('--edit-role'),
                         (71, '', 'texture.py: settings not modified\n'))

    def test_role_folders(self):
        """Persistent roles keep model/tmp in the role; in-memory ones use cwd and a private tmp."""
        r = role.Role(self.home, 'r', persistent=True)
        self.assertEqual(r.model_path(), os.path.join(self.path('r'), 'model'))
        self.assertEqual(r.tmp_path(), os.path.join(self.path('r'), 'tmp'))
        m = role.Role(self.home, 'm')
        self.assertEqual(m.model_path(), os.getcwd())
        self.assertIsNone(m.resource_path())
        tmp = m.tmp_path()
        self.assertTrue(os.path.isdir(tmp))
        m.remove_tmp()
        self.assertFalse(os.path.exists(tmp))

    def test_rolling_logs(self):
        """Rolling logs cap lines per file and drop the oldest files to keep within budget."""
        folder = os.path.join(self.home, 'logs')
        sink = role.RollingSink(folder, lc.USER_LOG.DEBUG, storage=600, lines=4)
        for i in range(40):
            sink.write(lc.PointLog(1700000000.0 + i, lc.USER_TAG.CONSOLE, (5,), 'thing', None,
                                   'line %d' % (i,)))
        sink.close()
        files = sorted(os.listdir(folder))
        self.assertLess(len(files), 10)
        self.assertLessEqual(sum(os.path.getsize(os.path.join(folder, f)) for f in files[:-1]),
                             600)
        with open(os.path.join(folder, files[-1])) as f:
            self.assertEqual(f.read().splitlines()[-1],
                             '2023-11-14T22:13:59.000 ^ <00000005>thing - line 39')
        self.assertEqual(files[-1], '2023h11h14T22c13c56p000')


class SettleHeapTests(unittest.SynchronousTestCase):

    def test_start_up_heap_is_frozen(self):
        """What start-up built is left out of the collector's full passes."""
        self.addCleanup(gc.unfreeze)
        entry.settle_heap()
        self.assertGreater(gc.get_freeze_count(), 0)
