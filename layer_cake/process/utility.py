"""``Utility``: run a program that is not a layer-cake program (runtime.md §14.9).

The program is found on PATH and given its arguments: a ``(name, value)``
pair or a keyword becomes ``--name=value`` (``-n=value`` for a one-letter
name), anything else is passed as it is.  Exit 0 ends the Utility with the
captured stdout when ``stdout`` is ``str`` (or ``bytes``), else with None;
another exit code ends it with ``Faulted('child exit code <c>', 'expecting 0
(zero)')``; ``Stop`` terminates the program and ends it with ``Aborted()``.
"""

import os
import shutil

from ..types import portable as P
from ..types import registry
from ..types.argument import encode_argument
from ..runtime import engine
from ..runtime import log as L
from ..runtime.bind import bind
from ..runtime.messages import Aborted, Faulted, Start, Stop, T1
from ..runtime.point import Point, Stateless
from .child_messages import ChildEnded

__all__ = ['Utility']

# Seconds between SIGTERM and SIGKILL after a Stop.
KILL_GRACE = 3.0


def _flag(name, value, schema):
    dashes = '-' if len(name) == 1 else '--'
    portable = (schema or {}).get(name)
    if portable is None:
        text = str(value)
    else:
        text = encode_argument(value, portable)
    return '%s%s=%s' % (dashes, name, text)


class Utility(Point, Stateless):
    """A non-layer-cake program run to its end."""

    def __init__(self, name, *args, args_schema=None, punctuation=None, stdin=None,
                 stdout=None, stderr=None, text=False, encoding=None, errors=None, cwd=None,
                 **kw):
        Point.__init__(self)
        Stateless.__init__(self)
        self.name = name
        self.args = args
        self.args_schema = args_schema
        self.punctuation = punctuation
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.text = text
        self.encoding = encoding or 'utf-8'
        self.errors = errors or 'strict'
        self.cwd = cwd
        self.kw = kw
        self.captured = None
        self.stopped = False

    def argv(self):
        program = shutil.which(self.name)
        if program is None:
            raise ValueError('cannot execute %s (not found)' % (self.name,))
        argv = [program]
        schema = self.args_schema
        if schema is not None and not isinstance(schema, dict):
            schema = P.registration_of(schema).schema
        for a in self.args:
            if type(a) is tuple and len(a) == 2:
                argv.append(_flag(a[0], a[1], schema))
            else:
                argv.append(str(a))
        for name, value in self.kw.items():
            if value is not None:
                argv.append(_flag(name, value, schema))
        return argv

    def result(self, message):
        if self.stopped:
            return Aborted()
        code = message.code()
        if code != 0:
            return Faulted('child exit code %s' % (code,), 'expecting 0 (zero)')
        output = bytes(self.captured.output)
        if self.stdout is str or (self.text and self.stdout is not None):
            try:
                return registry.cast_to(output.decode(self.encoding, self.errors),
                                        registry.str_type)
            except UnicodeDecodeError as e:
                return Faulted('cannot decode output', str(e))
        if self.stdout is bytes:
            return registry.cast_to(output, registry.bytes_type)
        return None


def Utility_Start(self, message):
    try:
        argv = self.argv()
    except ValueError as e:
        self.complete(Faulted(str(e)))
    if L.USER_LOG.CONSOLE >= L.threshold:
        self.console(' '.join(argv))
    feed = self.stdin
    if isinstance(feed, str):
        feed = feed.encode(self.encoding)
    from .captured import ProgramProcess        # Twisted's side, once there is a program
    self.captured = ProgramProcess(self.object_address, feed)
    fds = {0: 'w' if feed is not None else 0, 1: 'r', 2: 2}
    try:
        engine.reactor.spawnProcess(self.captured, argv[0], argv, env=dict(os.environ),
                                    path=self.cwd, childFDs=fds)
    except (OSError, ValueError, TypeError) as e:
        self.complete(Faulted('cannot execute %s (%s)' % (argv[0], e)))
    if L.USER_LOG.OBJECT >= L.threshold:
        self.log(L.USER_TAG.STARTED, 'Started process (%s)' % (self.captured.pid,))


def Utility_ChildEnded(self, message):
    if L.USER_LOG.OBJECT >= L.threshold:
        self.log(L.USER_TAG.ENDED, 'Process (%s) ended with %s' % (
            self.captured.pid, message.code()))
    self.complete(self.result(message))


def Utility_Stop(self, message):
    if self.captured is not None and not self.stopped:
        self.stopped = True
        if self.captured.signal('TERM'):
            self.start(T1, KILL_GRACE)


def Utility_T1(self, message):
    self.captured.signal('KILL')


bind(Utility, (Start, ChildEnded, Stop, T1), return_type=P.Any(), thread='utility')
