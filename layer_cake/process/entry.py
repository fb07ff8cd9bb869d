"""The process entry point ``lc.create`` (runtime.md §15, §16).

``create(main)`` turns the process into the host of one main object: it
parses the command line, settles the role, starts the runtime on the global
reactor, runs the main object to its end, writes the result and exits::

    if __name__ == '__main__':
        lc.create(texture)

The main object is created by an *entry object* (a machine whose parent is the
root).  SIGINT, and SIGTERM/SIGHUP/SIGQUIT as aliases, become a ``Stop`` that
the entry object forwards to the main object; the process result is whatever
the main object then returns (normally ``Aborted``).  Twisted's own signal
handling is installed by ``reactor.run()`` (so SIGCHLD reaping of child
processes works) and only the stopping signals are replaced once it runs.

The reactor is stopped with ``reactor.stop()``, so anything that must happen
while the reactor still runs at the end of a process (stopping child
processes) can hook a ``('before', 'shutdown')`` system event trigger.
"""

import gc
import json
import os
import signal
import subprocess
import sys
import tempfile

from ..types import portable as P
from ..types import registry
from ..types.codec import CodecJson
from ..types.errors import CodecError
from ..runtime import address as A
from ..runtime import log as L
from ..runtime.messages import Aborted, CommandResponse, Faulted, Returned, Start, Stop
from ..runtime.point import Point, Stateless, enter, send
from ..runtime.start import PB, start_up, tear_down, running
from ..runtime.bind import bind_stateless
from ..runtime.storage import File
from . import command_line as C
from . import role as R
from .pipes import take_parent_pipes
from .role import DEFAULT_HOME, HomeRole

__all__ = ['create', 'FAULTY_EXIT', 'DEFAULT_HOME', 'HomeRole', 'resource_folder',
           'model_folder', 'tmp_folder', 'resource_path', 'model_path', 'tmp_path']

FAULTY_EXIT = 71

ANY = registry.def_type(P.Any)

# The signals that stop the main object; SIGINT is the original, the others aliases.
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
IGNORED = (signal.SIGUSR1, signal.SIGUSR2)


# Folders of the current role (runtime.md §16).

def model_folder():
    """The model folder (``--model-path``, the role's ``model``, or the current directory)."""
    return R.model_folder()


def resource_folder():
    """The resource folder (``--resource-path``, the executable's resources), or None."""
    return R.resource_folder()


def tmp_folder():
    """The role's private scratch folder, empty at every start."""
    return R.tmp_folder()


def model_path():
    return R.model_path()


def resource_path():
    return R.resource_path()


def tmp_path():
    return R.tmp_path()


# The entry object.

class EntryObject(Point, Stateless):
    """Creates the main object, relays Stop to it and ends with its value."""

    def __init__(self, object_type, args, kw, parent_pipes=None):
        Point.__init__(self)
        Stateless.__init__(self)
        self.object_type = object_type
        self.args = args
        self.kw = kw
        self.parent_pipes = parent_pipes
        self.main = None


def EntryObject_Start(self, message):
    try:
        self.main = self.create(self.object_type, *self.args, **self.kw)
    except Exception as e:
        self.complete(Faulted('cannot create main object', str(e)))
    if self.parent_pipes is not None:
        # A child of a ProcessObject: messages from the parent now have somewhere to go.
        from .parent_link import open_parent_link
        open_parent_link(self.parent_pipes, self.main, self.object_address)


def EntryObject_Returned(self, message):
    if self.return_address == self.main:
        self.complete(message.message)


def EntryObject_Stop(self, message):
    if self.main is not None:
        self.send(Stop(), self.main)


bind_stateless(EntryObject, dispatch=(Start, Returned, Stop), execution_trace=False,
               message_trail=False)


def settle_heap():
    """Leave what start-up built out of the cyclic collector's full passes.

    A process's modules, types and tables (Twisted's and the runtime's) are
    most of its heap and live as long as it does, yet every full collection
    walks all of them: tens of milliseconds, during which nothing else in the
    process runs, every couple of seconds under load (the objects of requests
    in flight survive into the oldest generation and trigger them).  Freezing
    them once start-up is over leaves the full passes only what was made
    since.  A forked role gains too: its collections no longer write to the
    pages it shares with its launcher.
    """
    gc.freeze()


def _run_main(object_type, args, kw, sink, parent_pipes=None):
    """Run the main object on the global reactor; returns its value."""
    from twisted.internet import reactor
    if running():
        tear_down()
    root = start_up(logs=sink, run_here=True)
    ended = []

    def ending(value, parent_address, object_address):
        ended.append(value)
        if reactor.running:
            reactor.stop()

    entry = EntryObject(object_type, args, kw, parent_pipes)
    address = enter(entry, P.registration_of(EntryObject), root.object_address,
                    object_ending=ending)
    if parent_pipes is not None:
        from .parent_link import watch_parent
        watch_parent(parent_pipes[0], address, exit_status=FAULTY_EXIT)
    previous = {}

    def signalled(number):
        target = A.objects.get(address[-1])
        if target is None:
            return
        if number != signal.SIGINT and L.USER_LOG.TRACE >= L.threshold:
            target.trace('Accepting signal %d as SIGINT alias' % (number,))
        send(Stop(), address, root.object_address)

    def on_signal(number, frame):
        reactor.callFromThread(signalled, number)

    def on_ignored(number, frame):
        pass

    def install():
        for s in STOPPING:
            previous[s] = signal.signal(s, on_signal)
        for s in IGNORED:
            previous[s] = signal.signal(s, on_ignored)

    reactor.callWhenRunning(install)
    settle_heap()
    try:
        reactor.run()
    finally:
        for s, handler in previous.items():
            try:
                signal.signal(s, handler if handler is not None else signal.SIG_DFL)
            except (ValueError, TypeError):
                pass
    if ended:
        return ended[0]
    return Aborted()


# Output (runtime.md §15.6).

def exit_status_of(value):
    if isinstance(value, Faulted):
        return value.exit_status if value.exit_status is not None else FAULTY_EXIT
    return 0


def _encodable(value):
    """``value`` and its compact full encoding; an unencodable value becomes a Faulted."""
    codec = CodecJson()
    try:
        return value, codec.encode(value, ANY)
    except CodecError as e:
        value = Faulted(str(e))
        return value, codec.encode(value, ANY)


def _text_keyed(value):
    """Is ``value`` a cast map whose keys are text (its word is a list of pairs)?"""
    if type(value) is not tuple or len(value) != 2 or not isinstance(value[1], P.MapOf):
        return False
    return isinstance(value[1].key, (P.Unicode, P.String))


def _write(stream, text):
    """Write, tolerating a reader that has gone away."""
    try:
        stream.write(text)
    except (OSError, ValueError):
        pass


def write_output(value, argv0, full_output=False, child_process=False, output_file=None,
                 stdout=None, stderr=None, maps_as_objects=False):
    """Write the result of the process; returns (value written, exit status).

    ``maps_as_objects`` prints a map keyed by text as a JSON object rather than
    the word's list of pairs (the CLI does, for group results keyed by role).
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    value, text = _encodable(value)
    status = exit_status_of(value)
    fault = isinstance(value, Faulted)
    if output_file is not None:
        try:
            File(output_file, ANY).store(value)
        except (OSError, CodecError) as e:
            value = Faulted('cannot store output "%s"' % (output_file,), str(e))
            status = FAULTY_EXIT
            fault = True
        if fault and not full_output:
            _write(stderr, '%s: %s\n' % (argv0, value))
    elif value is None:
        pass
    elif full_output:
        if not child_process:
            text = CodecJson(pretty_format=True).encode(value, ANY)
        _write(stdout, text + '\n')
    elif fault:
        _write(stderr, '%s: %s\n' % (argv0, value))
    else:
        word = json.loads(text)['value'][1]
        if maps_as_objects and _text_keyed(value):
            word = dict(word)
        _write(stdout, json.dumps(word, indent=4) + '\n')
    for stream in (stdout, stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    return value, status


def _finish(value, argv0, full_output, child_process, output_file):
    value, status = write_output(value, argv0, full_output, child_process, output_file)
    PB.output_value = value
    PB.exit_status = status
    return value, status


# Role maintenance (runtime.md §16).

def _maintenance(role, framework, arguments):
    """The result of a role-maintenance flag, or None when there is none."""
    if framework.create_role:
        if role.exists():
            return Faulted('cannot create "%s"' % (role.path,), 'already exists')
        role.create(R.settings_to_any(arguments.settings, arguments.schema))
        return CommandResponse('create-role', ','.join(sorted(arguments.settings)) or 'empty')
    if not (framework.update_role or framework.factory_reset or framework.dump_role
            or framework.delete_role or framework.edit_role):
        return None
    if not role.exists():
        return Faulted('no settings available "%s"' % (role.path,))
    if framework.update_role:
        stored = role.settings()
        stored.update(R.settings_to_any(arguments.settings, arguments.schema))
        role.store_settings(stored)
        return CommandResponse('update-role', ','.join(sorted(stored)) or 'empty')
    if framework.factory_reset:
        role.store_settings({})
        return CommandResponse('factory-reset')
    if framework.dump_role:
        return registry.cast_to(role.settings(), R.SETTINGS_TYPE)
    if framework.delete_role:
        role.delete()
        return CommandResponse('delete-role')
    return _edit_role(role)


def _edit_role(role):
    """Open the settings in ``$LC_EDITOR`` (default vi); store them when changed."""
    codec = CodecJson(pretty_format=True)
    before = codec.encode(role.settings(), R.SETTINGS_TYPE)
    fd, path = tempfile.mkstemp(prefix='layer-cake-settings-', suffix='.json')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(before)
        editor = os.environ.get('LC_EDITOR') or 'vi'
        code = subprocess.call([editor, path])
        if code != 0:
            return Faulted('cannot edit settings', 'editor exit code %d' % (code,))
        with open(path, encoding='utf-8') as f:
            after = f.read()
        if after == before:
            return Faulted('settings not modified')
        try:
            settings = codec.decode(after, R.SETTINGS_TYPE)
        except CodecError as e:
            return Faulted('cannot decode settings', str(e))
        role.store_settings(settings)
        return CommandResponse('edit-role', ','.join(sorted(settings)) or 'empty')
    finally:
        try:
            os.remove(path)
        except OSError:
            pass


def _resolve_role(framework, sticky, argv0):
    home = os.path.abspath(framework.home_path or DEFAULT_HOME)
    name = framework.role_name or os.path.splitext(os.path.basename(argv0))[0] or 'main'
    executable = os.path.abspath(argv0) if argv0 and os.path.exists(argv0) else argv0 or None
    origin = framework.origin
    persistent = bool(sticky or framework.keep_logs or framework.create_role
                      or framework.update_role or framework.factory_reset
                      or framework.dump_role or framework.delete_role or framework.edit_role
                      or origin not in (None, C.ProcessOrigin.SHELL))
    return R.Role(home, name, persistent, resource_path=framework.resource_path,
                  model_path=framework.model_path, executable=executable)


def _usage(argv0, schema, sub_commands):
    lines = ['usage: %s [<word> ...] [--<name>=<value> ...]' % (argv0,)]

    def flags(title, s):
        if s:
            lines.append(title)
            for name, portable in s.items():
                if isinstance(portable, P.Enumeration):
                    kind = '|'.join(portable.element.__members__)
                else:
                    kind = portable.signature()
                lines.append('  --%s=<%s> (-%s)' % (name.replace('_', '-'), kind,
                                                    C.initials(name)))
    if sub_commands:
        lines.append('sub-commands: %s' % (', '.join(sub_commands),))
    flags('settings:', schema)
    flags('framework flags:', C.FRAMEWORK)
    return '\n'.join(lines) + '\n'


# The entry point.

def create(object_type, object_table=None, environment_variables=None, sticky=False,
           strict=True):
    """Run a main object of ``object_type`` as this process, write its result and exit."""
    status = run(object_type, object_table=object_table,
                 environment_variables=environment_variables, sticky=sticky, strict=strict)
    sys.exit(status)


def run(object_type, object_table=None, environment_variables=None, sticky=False, strict=True,
        arguments=None, argv0=None):
    """Everything ``create`` does short of exiting; returns the exit status.

    ``arguments`` and ``argv0`` default to ``sys.argv[1:]`` and ``sys.argv[0]``.
    """
    if argv0 is None:
        argv0 = sys.argv[0] if sys.argv else ''
    parent_pipes = take_parent_pipes()
    if arguments is None:
        arguments = sys.argv[1:]
    try:
        parsed = C.parse(arguments, object_type, object_table, strict)
        r = P.registration_of(object_type)
        if r.kind not in ('routine', 'point'):
            raise C.ArgumentError('cannot run "%s"' % (r.name,), 'not an object type')
        for name in P.registration_of(C.CommandLine).schema:
            setattr(C.CL, name, getattr(parsed.framework, name))
        if environment_variables is not None:
            C.environment_variables(environment_variables)
    except C.ArgumentError as e:
        full_output = C.flag_given(arguments, 'full_output')
        child_process = C.flag_given(arguments, 'child_process')
        return _finish(Faulted(e.condition, e.explanation), argv0, full_output, child_process,
                       None)[1]
    cl = C.CL
    if cl.help:
        sys.stdout.write(_usage(argv0, parsed.schema, [C.sub_command_name(f) for f in
                                                       object_table or ()]))
        sys.stdout.flush()
        PB.output_value, PB.exit_status = None, 0
        return 0
    if cl.dump_types:
        sys.stdout.write(''.join(s + '\n' for s in registry.registered_signatures()))
        sys.stdout.flush()
        PB.output_value, PB.exit_status = None, 0
        return 0

    def finish(value):
        return _finish(value, argv0, cl.full_output, cl.child_process, cl.output_file)

    role = _resolve_role(cl, sticky, argv0)
    R.use(role)
    try:
        value = _maintenance(role, cl, parsed)
    except (OSError, CodecError) as e:
        value = Faulted('cannot maintain role "%s"' % (role.path,), str(e))
    if value is not None:
        return finish(value)[1]

    # Settings: the stored ones under the command line's.
    settings = dict(parsed.settings)
    sinks = []
    if cl.debug_level is not None and cl.debug_level != L.USER_LOG.NONE:
        sinks.append(L.select_logs(cl.debug_level))
    if role.persistent:
        try:
            if not role.exists():
                role.create()
            stored = R.any_to_settings(role.settings())
        except (OSError, CodecError) as e:
            return finish(Faulted('cannot open role "%s"' % (role.path,), str(e)))[1]
        stored.update(settings)
        settings = stored
        if not role.take_lock():
            return finish(Faulted('role %s is running' % (role.lock_path(),)))[1]
        role.clear_tmp()
        if cl.keep_logs or cl.origin in (C.ProcessOrigin.START, C.ProcessOrigin.START_CHILD):
            level = cl.debug_level if cl.debug_level is not None else L.USER_LOG.DEBUG
            sinks.append(R.RollingSink(os.path.join(role.path, 'logs'), level,
                                       role.log_storage()))
        role.record_start()
    if not sinks:
        sink = L.log_to_nowhere
    elif len(sinks) == 1:
        sink = sinks[0]
    else:
        sink = R.TeeSink(*sinks)

    args = list(parsed.words)
    if parsed.sub_command is not None:
        args.insert(0, parsed.sub_command)
    try:
        value = _run_main(object_type, args, settings, sink,
                          parent_pipes if cl.child_process else None)
        value, status = finish(value)
    finally:
        tear_down()
        for s in sinks:
            if isinstance(s, R.RollingSink):
                s.close()
        if role.persistent:
            try:
                role.record_stop(PB.output_value)
            except (OSError, CodecError):
                pass
            role.release_lock()
        role.remove_tmp()
    return status
