"""``ProcessObject``: run a registered function or machine as a child process.

The thread/process switch of runtime.md §14: ``self.create(texture, x=2)``
runs ``texture`` in a thread, ``self.create(lc.ProcessObject, texture, x=2)``
runs the file that defines it as a child process with ``--x=2`` on the
command line, and the parent receives the same ``Returned``.

The child is spawned with ``reactor.spawnProcess`` and a
:class:`.child_protocol.ChildProtocol`.  Its stdout is its result (one
encoded value, runtime.md §14.6); the control pipes of :mod:`.pipes` carry
frames.  Over them, a type bound with ``entry_point=[...]`` runs in *library
mode*: messages sent to the ProcessObject (held until the child is ready)
reach the child's main object with their return addresses intact, and the
replies come straight back to their senders.

``Stop`` is a message first: it reaches the child's main object over the
pipe.  A child still running after ``STOP_GRACE`` seconds gets SIGTERM, and
SIGKILL ``KILL_GRACE`` seconds later.  The parent's result is ``Aborted()``.
"""

import os
import shutil
import sys

from ..types import portable as P
from ..types import registry
from ..types.argument import encode_argument
from ..types.codec import CodecJson
from ..types.errors import CodecError
from ..runtime import log as L
from ..runtime import engine
from ..runtime.bind import bind
from ..runtime.messages import Aborted, Enquiry, Faulted, Start, Stop, T1, T2, Unknown
from ..net.ipp import HostPort
from ..runtime.point import Point, StateMachine
from . import command_line as C
from . import role as R
from .child_messages import ChildBroken, ChildEnded, ChildReady
from .child_messages import exit_code as exit_code_of
from .collector import collector
from .home import Home
from .pipes import child_environment, child_file_descriptors

__all__ = ['ProcessObject']

# Seconds between Stop (as a message) and SIGTERM, and between SIGTERM and SIGKILL.
STOP_GRACE = 10.0
KILL_GRACE = 3.0

# How much of undecodable output a fault quotes.
PAGE = 32

# Seconds a library child waits for its parent's directory to say where child
# directories connect, before it starts without one.
ENQUIRY_GRACE = 5.0

# Where a library child's directory node connects (network.md §9.5): a
# callable that returns the address of an object answering ``Enquiry`` with
# the HostPort where child directories are accepted, or None.  The directory
# layer (above this one) supplies it; without it the child runs without a
# directory link, as before.
child_directory = None

_ANY = P.Any()


class INITIAL(object):
    """Created; the child not yet started."""


class ENQUIRING(object):
    """A library child: asking this process's directory where the child's node goes."""


class EXECUTING(object):
    """The child is running."""


class CLEARING(object):
    """Stop was sent (or the link broke); waiting for the child to exit."""


class CannotExecute(Exception):
    """The command line cannot be made; carries the Faulted for the parent."""

    def __init__(self, fault):
        Exception.__init__(self, str(fault))
        self.fault = fault


# What to run.

def _object_name(x):
    return getattr(x, '__name__', None) or str(x)


def _module_file(object_type):
    module = sys.modules.get(getattr(object_type, '__module__', None))
    path = getattr(module, '__file__', None)
    if not path:
        raise CannotExecute(Faulted('cannot execute %s (no module file)' % (
            _object_name(object_type),)))
    return os.path.abspath(path)


def _find_script(name, home_path):
    """A ``.py`` name looked up in <home>/script, beside this role's program, then here."""
    if os.path.isabs(name):
        return name if os.path.isfile(name) else None
    places = []
    if home_path:
        places.append(os.path.join(home_path, 'script'))
    executable = R.current().executable
    if executable:
        places.append(os.path.dirname(os.path.abspath(executable)))
    places.append(os.getcwd())
    for place in places:
        candidate = os.path.join(place, name)
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    return None


class Target(object):
    """What a ProcessObject runs: argv prefix, module path, mode, settings schema."""

    def __init__(self, program, path, library=False, schema=None, home_path=None,
                 role_name=None, python_path=()):
        self.program = program
        self.path = path
        self.library = library
        self.schema = schema or {}
        self.home_path = home_path          # a role of a home: its home and name
        self.role_name = role_name
        self.python_path = python_path      # folders put in front of PYTHONPATH


def _interpreted(found):
    return [sys.executable, found] if found.endswith('.py') else [found]


def _home_role(role, home_path):
    home = Home(role.home_path or home_path)
    if not home.has_role(role.role_name):
        raise CannotExecute(Faulted('cannot execute role "%s" (no such role in "%s")' % (
            role.role_name, home.path)))
    found = home.program_of(role.role_name)
    if found is None or (os.path.sep in found and not os.path.isfile(found)):
        raise CannotExecute(Faulted('cannot execute role "%s" (executable %s not found)' % (
            role.role_name, found)))
    if os.path.sep not in found:
        found = shutil.which(found) or found
    folders = [home.folder('script')]
    if os.path.dirname(found):
        folders.append(os.path.dirname(found))
    return Target(_interpreted(found), found, home_path=home.path, role_name=role.role_name,
                  python_path=folders)


def resolve(object_or_name, object_api=None, home_path=None):
    """The Target to run for ``object_or_name``; raises CannotExecute."""
    if isinstance(object_or_name, str):
        name = object_or_name
        base, extension = os.path.splitext(name)
        if not extension:
            found = shutil.which(name)
            if found is None:
                raise CannotExecute(Faulted('cannot execute %s (not found)' % (name,)))
            return Target([found], found, bool(object_api))
        if extension != '.py':
            raise CannotExecute(Faulted('cannot execute %s (unknown extension?)' % (name,)))
        found = _find_script(name, home_path)
        if found is None:
            raise CannotExecute(Faulted('cannot execute %s (not found)' % (name,)))
        return Target([sys.executable, found], found, bool(object_api))
    if isinstance(object_or_name, R.HomeRole):
        return _home_role(object_or_name, home_path)
    r = P.registration_of(object_or_name)
    if r is None or r.kind not in ('routine', 'point'):
        raise CannotExecute(Faulted('cannot execute %s (not registered)' % (
            _object_name(object_or_name),)))
    path = _module_file(object_or_name)
    try:
        schema = C.schema_of(object_or_name)
    except C.ArgumentError:
        schema = {}
    return Target([sys.executable, path], path, bool(r.entry_point), schema)


def _origin():
    origin = C.CL.origin
    if origin in (C.ProcessOrigin.RUN, C.ProcessOrigin.RUN_CHILD):
        return C.ProcessOrigin.RUN_CHILD
    if origin in (C.ProcessOrigin.START, C.ProcessOrigin.START_CHILD):
        return C.ProcessOrigin.START_CHILD
    return origin or C.ProcessOrigin.SHELL


def _flag(name, text):
    return '--%s=%s' % (name.replace('_', '-'), text)


def command_line(program, module_path, schema, args=(), settings=None, origin=None,
                 home_path=None, role_name=None, top_role=False, remainder_args=None):
    """The child's argv (runtime.md §14.2); raises CannotExecute for a value it cannot encode."""
    argv = list(program)
    argv.extend(str(a) for a in args)
    argv.extend(remainder_args or ())
    merged = dict(C.FRAMEWORK)
    merged.update(schema)
    for name, value in (settings or {}).items():
        if value is None:
            continue
        portable = merged.get(name)
        if portable is None:
            text = str(value)
        else:
            try:
                text = encode_argument(value, portable)
            except ValueError as e:
                raise CannotExecute(Faulted('cannot encode value for argument "%s", %s (%s)' % (
                    name, module_path, e)))
        argv.append(_flag(name, text))
    origin = origin or _origin()
    argv.append(_flag('origin', origin.name))
    argv.append('--child-process')
    argv.append('--full-output')
    parent_role = R.current_if_set()
    if home_path is None and parent_role is not None:
        home_path = parent_role.home_path
    if home_path is not None:
        argv.append(_flag('home_path', home_path))
    if role_name is None:
        role_name = os.path.splitext(os.path.basename(module_path))[0]
        if parent_role is not None and not top_role:
            role_name = '%s.%s' % (parent_role.role_name, role_name)
    argv.append(_flag('role_name', role_name))
    level = C.CL.debug_level
    if level is not None and origin not in (C.ProcessOrigin.START, C.ProcessOrigin.START_CHILD):
        argv.append(_flag('debug_level', level.name))
    if C.CL.keep_logs:
        argv.append('--keep-logs')
    return argv


# What came back.

def _non_standard(code, output, value=None):
    kind = type(value).__name__ if value is not None else '<empty>'
    page = bytes(output[:PAGE]).decode('utf-8', 'replace') if output else '<empty>'
    return Faulted('non-standard process exit - code=%s, output=%s, page="%s..."' % (
        code, kind, page))


def outcome(exit_code, signal, output):
    """The value the parent receives for a child that ended (runtime.md §14.3)."""
    code = exit_code_of(exit_code, signal)
    text = bytes(output).strip()
    if not text:
        return None if code == 0 else _non_standard(code, output)
    try:
        value = CodecJson().decode(text.decode('utf-8'), _ANY)
    except (CodecError, UnicodeDecodeError) as e:
        if code == 0:
            return Faulted('cannot decode output (%s) not a standard executable?' % (e,))
        return _non_standard(code, output)
    if isinstance(value, Faulted) or code == 0:
        return value
    return _non_standard(code, output, value)


# The machine.

class ProcessObject(Point, StateMachine):
    """A child process standing in for a thread (runtime.md §14)."""

    def __init__(self, object_or_name, *args, origin=None, home_path=None, role_name=None,
                 top_role=False, object_api=None, extra_types=None, remainder_args=None,
                 **settings):
        Point.__init__(self)
        StateMachine.__init__(self, INITIAL)
        self.object_or_name = object_or_name
        self.args = args
        self.origin = origin
        self.home_path = home_path
        self.role_name = role_name
        self.top_role = top_role
        self.object_api = object_api
        self.extra_types = extra_types
        self.remainder_args = remainder_args
        self.settings = settings

        self.child = None           # the ChildProtocol
        self.target = None          # what resolve() found
        self.library = False
        self.enquired_of = None     # the directory asked for a child-accept address
        self.directory_at = None    # ... and its answer
        self.ready = False
        self.pending = []           # (message, return address) held until ready
        self.aborted = False
        self.fault = None           # a fault that overrides the child's output

    @property
    def pid(self):
        return self.child.pid if self.child is not None else None

    def _resolve(self):
        self.target = resolve(self.object_or_name, self.object_api, self.home_path)
        self.library = self.target.library

    def _spawn(self):
        target = self.target or resolve(self.object_or_name, self.object_api, self.home_path)
        self.library = target.library
        top_role = self.top_role or target.role_name is not None
        origin = self.origin
        if origin is None and target.role_name is not None and _origin() is C.ProcessOrigin.SHELL:
            origin = C.ProcessOrigin.RUN_CHILD      # a role of a home runs as that role
        argv = command_line(target.program, target.path, target.schema, self.args,
                            self.settings, origin, target.home_path or self.home_path,
                            self.role_name or target.role_name, top_role, self.remainder_args)
        at = self.directory_at
        if at is not None:
            # A node of its own under this process's (a [LIBRARY] in the tree).
            argv.append(_flag('directory_scope', 'LIBRARY'))
            argv.append(_flag('connect_to_directory',
                              '{"host": "%s", "port": %d}' % (at.host, at.port)))
            if getattr(C.CL, 'encrypted_process', False):
                argv.append('--encrypted-process')     # the parent's node takes TLS only
        if L.USER_LOG.CONSOLE >= L.threshold:
            self.console(' '.join(argv))
        env = child_environment()
        if target.python_path:
            env['PYTHONPATH'] = os.pathsep.join(
                list(target.python_path) + [p for p in [env.get('PYTHONPATH')] if p])
        from .child_protocol import ChildProtocol   # Twisted's side, once there is a child
        self.child = ChildProtocol(self.object_address)
        try:
            engine.reactor.spawnProcess(self.child, argv[0], argv, env=env,
                                        childFDs=child_file_descriptors())
        except (OSError, ValueError, TypeError) as e:
            raise CannotExecute(Faulted('cannot execute %s (%s)' % (argv[0], e)))
        if L.USER_LOG.OBJECT >= L.threshold:
            self.log(L.USER_TAG.STARTED, 'Started process (%s)' % (self.pid,))
        collector.enter(self)

    def _send_to_child(self, message, return_address):
        self.child.write_message(message, (), return_address)

    def _stop_child(self):
        """Stop as a message first; signals follow if the child stays."""
        self.aborted = True
        self.child.write_message(Stop(), (), self.object_address)
        self.start(T1, STOP_GRACE)

    def _finish(self, message):
        collector.leave(self)
        if L.USER_LOG.OBJECT >= L.threshold:
            self.log(L.USER_TAG.ENDED, 'Process (%s) ended with %s' % (self.pid, message.code()))
        if self.fault is not None:
            self.complete(self.fault)
        if self.aborted:
            self.complete(Aborted())
        if self.child.output_overflow:
            self.complete(Faulted('cannot decode output (more than %d bytes)' % (
                self.child.output_limit,)))
        self.complete(outcome(message.exit_code, message.signal, self.child.output))

    def kill_now(self):
        """SIGKILL, for the collector's last resort (reactor thread)."""
        if self.child is not None:
            self.child.signal('KILL')


def _start_child(self):
    try:
        self._spawn()
    except CannotExecute as e:
        self.complete(e.fault)
    return EXECUTING


def ProcessObject_INITIAL_Start(self, message):
    try:
        self._resolve()
    except CannotExecute as e:
        self.complete(e.fault)
    if self.library and child_directory is not None:
        self.enquired_of = child_directory()
        if self.enquired_of is not None:
            self.send(Enquiry(), self.enquired_of)
            self.start(T1, ENQUIRY_GRACE)
            return ENQUIRING
    return _start_child(self)


def ProcessObject_ENQUIRING_HostPort(self, message):
    if self.return_address != self.enquired_of:
        return ProcessObject_ENQUIRING_Unknown(self, message)   # the application's own
    self.cancel(T1)
    if message.port:
        self.directory_at = message
    return _start_child(self)


def ProcessObject_ENQUIRING_Faulted(self, message):
    if self.return_address != self.enquired_of:
        return ProcessObject_ENQUIRING_Unknown(self, message)
    self.cancel(T1)
    return _start_child(self)


def ProcessObject_ENQUIRING_T1(self, message):
    return _start_child(self)


def ProcessObject_ENQUIRING_Stop(self, message):
    self.complete(Aborted())


def ProcessObject_ENQUIRING_Unknown(self, message):
    ProcessObject_INITIAL_Unknown(self, message)
    return ENQUIRING


def ProcessObject_INITIAL_Unknown(self, message):
    self.pending.append((registry.cast_to(message, self.received_type), self.return_address))
    return INITIAL


def ProcessObject_EXECUTING_ChildReady(self, message):
    self.ready = True
    if self.library:
        pending, self.pending = self.pending, []
        for m, return_address in pending:
            self._send_to_child(m, return_address)
    else:
        self.pending = []
    return EXECUTING


def ProcessObject_EXECUTING_Unknown(self, message):
    if not self.library:
        return EXECUTING            # plain mode: messages are not delivered (runtime.md §14.4)
    m = registry.cast_to(message, self.received_type)
    if self.ready:
        self._send_to_child(m, self.return_address)
    else:
        self.pending.append((m, self.return_address))
    return EXECUTING


def ProcessObject_EXECUTING_Stop(self, message):
    self._stop_child()
    return CLEARING


def ProcessObject_EXECUTING_ChildBroken(self, message):
    self.fault = Faulted('cannot talk to child process %s' % (self.pid,),
                         'bad frame: %s' % (message.note,))
    self.child.signal('TERM')
    self.start(T2, KILL_GRACE)
    return CLEARING


def ProcessObject_EXECUTING_ChildEnded(self, message):
    self._finish(message)
    return EXECUTING


def ProcessObject_CLEARING_T1(self, message):
    # Stop was not enough.
    if self.child.signal('TERM'):
        self.start(T2, KILL_GRACE)
    return CLEARING


def ProcessObject_CLEARING_T2(self, message):
    self.child.signal('KILL')
    return CLEARING


def ProcessObject_CLEARING_ChildEnded(self, message):
    self._finish(message)
    return CLEARING


def ProcessObject_CLEARING_Unknown(self, message):
    return CLEARING


bind(ProcessObject, {
    INITIAL: ((Start, Unknown), ()),
    ENQUIRING: ((HostPort, Faulted, T1, Stop, Unknown), ()),
    EXECUTING: ((ChildReady, ChildBroken, ChildEnded, Stop, Unknown), ()),
    CLEARING: ((T1, T2, ChildEnded, Unknown), ()),
}, return_type=P.Any(), thread='process-object')
