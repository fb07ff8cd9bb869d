"""Shared fixtures for runtime tests: a fresh runtime per test, a fake clock,
recorded logs, and receiving with a real-time watchdog so no test can hang."""

import threading

from twisted.internet import task
from twisted.trial import unittest

import layer_cake as lc
from layer_cake.runtime import engine
from layer_cake.runtime import log as L

WATCHDOG_SECONDS = 20.0


class Watchdog(object):
    """Posted into a channel by a real-time timer when a wait has gone on too long."""


lc.bind(Watchdog)


class RecordingSink(L.Sink):
    """Keep rendered log lines (and records) in memory."""

    def __init__(self, level=lc.USER_LOG.DEBUG):
        self.level = level
        self.lines = []
        self.records = []
        self.lock = threading.Lock()

    def write(self, record):
        with self.lock:
            self.records.append(record)
            self.lines.append(L.render(record))

    def texts(self):
        with self.lock:
            return [r.text for r in self.records]


class RuntimeTestCase(unittest.SynchronousTestCase):
    """Each test gets its own runtime (a private reactor in a thread)."""

    log_level = lc.USER_LOG.NONE
    fake_clock = False

    def setUp(self):
        lc.PB.tear_down_atexit = False
        lc.tear_down()
        # No test's directory looks for a host-cake of the machine's own.
        from layer_cake.directory import service
        saved, service.AUTO_PARENT = service.AUTO_PARENT, None
        self.addCleanup(setattr, service, 'AUTO_PARENT', saved)
        self.logs = RecordingSink(self.log_level)
        self.clock = task.Clock() if self.fake_clock else None
        lc.start_up(logs=self.logs if self.log_level != lc.USER_LOG.NONE else lc.log_to_nowhere,
                    clock=self.clock)
        self.addCleanup(lc.tear_down)

    def mktemp_folder(self):
        import os
        folder = self.mktemp()
        os.makedirs(folder)
        return folder

    def channel(self):
        ch = lc.open_channel()
        self.addCleanup(lc.drop_channel, ch)
        return ch

    def advance(self, seconds):
        """Move the fake clock on, on the reactor thread."""
        engine.call_and_wait(self.clock.advance, seconds)

    def settle(self):
        """Wait until the reactor has run everything queued so far (twice over)."""
        for _ in range(2):
            engine.call_and_wait(lambda: None)

    def receive(self, ch, *types, saving=None, seconds=WATCHDOG_SECONDS):
        """select() on ``ch``, failing the test instead of hanging."""
        timer = threading.Timer(seconds, lambda: ch._post(Watchdog(), lc.NO_SUCH_ADDRESS,
                                                           ch.object_address))
        timer.start()
        try:
            if types:
                m, i = ch.select(*(types + (Watchdog,)), saving=saving)
            else:
                m, i = ch.select(), 0
                m = m[0]
        finally:
            timer.cancel()
        if isinstance(m, Watchdog):
            self.fail('nothing matching %r arrived within %s s' % (types, seconds))
        return m, i

    def input(self, ch, seconds=WATCHDOG_SECONDS):
        """input() on ``ch``, failing the test instead of hanging."""
        timer = threading.Timer(seconds, lambda: ch._post(Watchdog(), lc.NO_SUCH_ADDRESS,
                                                           ch.object_address))
        timer.start()
        try:
            m = ch.input()
        finally:
            timer.cancel()
        if isinstance(m, Watchdog):
            self.fail('nothing arrived within %s s' % (seconds,))
        return m


class Child(object):
    """A test program run as a real child process, its stdout read line by line."""

    def __init__(self, test, module, *arguments, env=None, script=None):
        import os
        import queue
        import subprocess
        import sys
        environment = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        environment['PYTHONPATH'] = root + os.pathsep + environment.get('PYTHONPATH', '')
        environment.update(env or {})
        if script is not None:      # a program file, run in its own folder
            command, cwd = [sys.executable, os.path.basename(script)], os.path.dirname(script)
        else:
            command, cwd = [sys.executable, '-m', module], test.mktemp_folder()
        self.process = subprocess.Popen(
            command + list(arguments), stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=environment, cwd=cwd)
        self.pid = self.process.pid
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        test.addCleanup(self.kill)

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.decode('utf-8', 'replace').rstrip('\n'))
        self.lines.put(None)

    def line_starting(self, prefix, seconds=WATCHDOG_SECONDS):
        """The first line starting with ``prefix`` (fails the test after ``seconds``)."""
        import queue
        import time
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                raise AssertionError('no line starting %r within %s s' % (prefix, seconds))
            if line is None:
                raise AssertionError('process ended before printing %r' % (prefix,))
            if line.startswith(prefix):
                return line

    def port(self):
        return int(self.line_starting('port ').split()[1])

    def kill(self, sig=None):
        import signal
        if self.process.poll() is None:
            try:
                import os
                os.kill(self.pid, sig or signal.SIGKILL)
            except OSError:
                pass
        try:
            self.process.wait(WATCHDOG_SECONDS)
        except Exception:
            pass
        if self.process.stdout is not None:
            self.process.stdout.close()


def listen_port():
    """A free loopback port for a server that a test starts later.

    Taken below the kernel's ephemeral range, so that the outgoing
    connections of everything else running meanwhile (which are given
    ephemeral ports) cannot take it between now and the server's listen.
    """
    import random
    import socket
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    top = max(low - 1, 10001)
    for _ in range(200):
        port = random.randint(10000, top)
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', port))
        except OSError:
            continue
        finally:
            s.close()
        return port
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def set_environment(test, name, value):
    """Set the environment variable ``name`` to ``value`` (None: remove it) for the
    rest of ``test``; what it was comes back in the cleanup."""
    import os
    old = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value

    def restore():
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old
    test.addCleanup(restore)
