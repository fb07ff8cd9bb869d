"""group-cake: the roles of a home run as one composite process (network.md §12).

::

    group-cake [<search>...] [--retry=<RetryIntervals>] [--main-role=<role>]
               [--directory-at-host=<HostPort>] [--directory-at-lan=<HostPort>]
               [--encrypted-directory] [--directory-secret=<path>]
               [--home-path=<home>] [--debug-level=<level>]

group-cake is an ordinary layer-cake program: ``lc.create`` runs its main
object, :class:`GroupCake`, as role ``group`` of the home (default
``.layer-cake``), so its stored settings (``layer-cake update group
--retry=...``) apply, it holds the group's lock while it runs and its history
records each run.  The main object selects the roles (searches match role
names at their start; none given selects every role except ``group`` and
sub-roles) and hands them to a :class:`.supervisor.GroupSupervisor`, whose
value becomes the program's result: the main role's value, a map of role name
to last value, or ``Aborted`` after Stop (Ctrl-C, SIGINT, SIGTERM).

Before any role starts, the group opens its tier of the directory (a GROUP
node accepting at an ephemeral 127.0.0.1 port) and passes that address to
every role as ``--connect-to-directory`` with ``--directory-scope=PROCESS``,
so the roles' publications and subscriptions meet in the group first.  The
group's own parent is ``--directory-at-host`` (else ``--directory-at-lan``),
or host-cake at 127.0.0.1:54195 once a listing wider than GROUP appears.
With ``--directory-secret`` (or ``LAYER_CAKE_DIRECTORY_SECRET`` in its
environment) both the group's tier and its parent link demand the shared
secret, and each role is started with LAYER_CAKE_DIRECTORY_SECRET naming it.
With ``--encrypted-directory`` the group's tier and its parent link run over
mutual TLS (:mod:`..directory.link_tls`) and each role is started with
``--encrypted-process``, so the whole tree below the group is encrypted.
"""

import json
import os
import sys

from ..types import portable as P
from ..types import registry
from ..runtime import log as L
from ..runtime import engine
from ..runtime.bind import bind
from ..runtime.library.retry import RetryIntervals
from ..runtime.messages import Aborted, Faulted, Start, Stop
from ..runtime.point import Point, Stateless, send
from ..net.ipp import HostPort, ScopeOfDirectory
from ..directory.link_tls import LinkTLSError, link_tls
from ..directory.secret import SECRET_VARIABLE, SecretError, configured_secret
from ..directory.tier import Tier
from ..process import command_line as C
from ..process import role as R
from ..process.entry import FAULTY_EXIT, run, write_output
from ..process.home import GROUP_ROLE, Home, HomeError
from ..process.pipes import child_environment
from ..process.process_object import CannotExecute, resolve
from .launcher import Launcher
from .supervisor import GroupSupervisor

__all__ = ['GroupCake', 'GroupEnded', 'role_command_line', 'main']

RESULT_TYPE = registry.def_type(dict[str, P.Any])


class GroupEnded(object):
    """The supervisor has finished: every role is gone."""


class DirectoryOpen(object):
    """The group's tier accepts its roles at ``accepting_at`` (or, with ``note``, cannot)."""

    def __init__(self, accepting_at: HostPort = None, note: str = None):
        self.accepting_at = accepting_at
        self.note = note


registry.bind_message(GroupEnded, copy_before_sending=False, message_trail=False)
registry.bind_message(DirectoryOpen, copy_before_sending=False, message_trail=False)


class GroupFault(Exception):
    """The group cannot start; carries the Faulted."""

    def __init__(self, fault):
        Exception.__init__(self, str(fault))
        self.fault = fault


def role_origin(origin):
    """The origin a role runs with under a group of ``origin``."""
    if origin in (C.ProcessOrigin.START, C.ProcessOrigin.START_CHILD):
        return C.ProcessOrigin.START_CHILD
    return C.ProcessOrigin.RUN_CHILD


def role_command_line(home, name, origin, debug_level=None, keep_logs=False,
                      directory=None, encrypted=False):
    """(argv, PYTHONPATH folders) that run role ``name`` of ``home`` (§12.2).

    The role reads its own stored settings; the command line only says who
    it is.  Raises GroupFault when the role's executable cannot be found.
    """
    try:
        target = resolve(R.HomeRole(home_path=home.path, role_name=name))
    except CannotExecute as e:
        raise GroupFault(e.fault)
    argv = list(target.program)
    argv.append('--home-path=%s' % (home.path,))
    argv.append('--role-name=%s' % (name,))
    argv.append('--origin=%s' % (origin.name,))
    argv.append('--child-process')
    argv.append('--full-output')
    if debug_level is not None and origin is C.ProcessOrigin.RUN_CHILD:
        argv.append('--debug-level=%s' % (debug_level.name,))
    if keep_logs:
        argv.append('--keep-logs')
    if directory is not None:
        argv.append('--directory-scope=PROCESS')
        argv.append('--connect-to-directory=%s' % (json.dumps(
            {'host': directory.host, 'port': directory.port}),))
        if encrypted:
            argv.append('--encrypted-process')
    return argv, list(target.python_path)


def role_environment(python_path):
    env = child_environment()
    env['PYTHONPATH'] = os.pathsep.join(
        list(python_path) + [p for p in [env.get('PYTHONPATH')] if p])
    return env


def select_roles(home, search):
    """The role names to run; GroupFault for an empty home, a bad or fruitless search."""
    if not home.exists() or not home.role_names():
        raise GroupFault(Faulted('No roles at location "%s"' % (home.path,)))
    try:
        names = home.select(search)
    except HomeError as e:
        raise GroupFault(Faulted(str(e)))
    if not names:
        raise GroupFault(Faulted('No roles matching "%s"' % (' '.join(search),)))
    return names


class GroupCake(Point, Stateless):
    """The main object of group-cake: select the roles, supervise them, end with the result."""

    def __init__(self, *search, retry: RetryIntervals = None, main_role: str = None,
                 directory_at_host: HostPort = None, directory_at_lan: HostPort = None,
                 encrypted_directory: bool = False, directory_secret: str = None):
        Point.__init__(self)
        Stateless.__init__(self)
        self.search = [str(s) for s in search]
        self.retry = retry
        self.main_role = main_role
        self.directory_at_host = directory_at_host
        self.directory_at_lan = directory_at_lan
        self.encrypted_directory = encrypted_directory
        self.directory_secret = directory_secret
        self.supervisor = None
        self.value = None
        self.tier = None

    def check(self, home_path):
        """(home, selected role names); GroupFault when the group cannot run."""
        home = Home(home_path)
        names = select_roles(home, self.search)
        if self.main_role is not None and self.main_role not in names:
            raise GroupFault(Faulted('No main role "%s" among the selected roles' % (
                self.main_role,)))
        running = home.running(names)
        if running:
            raise GroupFault(Faulted('Roles already running (%s)' % (', '.join(running),)))
        return home, names

    def open_directory(self):
        """Start the GROUP tier; DirectoryOpen follows when it accepts (or cannot).
        GroupFault when the directory secret or TLS material cannot be used."""
        try:
            secret = configured_secret(self.directory_secret, warn=self.warning)
            tls = link_tls(self.encrypted_directory, log=self)
        except (SecretError, LinkTLSError) as e:
            raise GroupFault(Faulted('cannot open the group directory', str(e)))
        self.tier = Tier(ScopeOfDirectory.GROUP, accept_at=HostPort('127.0.0.1', 0),
                         connect_to=self.directory_at_host or self.directory_at_lan,
                         executable='group-cake', log=self, reactor=engine.reactor,
                         secret=secret, tls=tls)
        self.tier.startService()
        me = self.object_address

        def opened(accepting_at):
            send(DirectoryOpen(accepting_at), me, me)

        def failed(failure):
            send(DirectoryOpen(note=failure.getErrorMessage()), me, me)
        self.tier.when_listening().addCallbacks(opened, failed)

    def close_directory(self):
        if self.tier is not None:
            self.tier.stopService()
            self.tier = None

    def build(self, home_path, origin, debug_level, keep_logs, directory=None):
        """The supervisor for the selected roles of the home at ``home_path``."""
        home, names = self.check(home_path)
        home.clear_given_up()
        launcher = _launcher[0]
        supervisor = GroupSupervisor(reactor=engine.reactor, retry=self.retry,
                                     main_role=self.main_role, log=self,
                                     gave_up=home.record_given_up,
                                     spawner=launcher.spawn if launcher is not None else None)
        origin = role_origin(origin)
        for name in names:
            argv, python_path = role_command_line(home, name, origin, debug_level, keep_logs,
                                                  directory, self.encrypted_directory)
            env = role_environment(python_path)
            if self.directory_secret:
                env[SECRET_VARIABLE] = os.path.abspath(self.directory_secret)
            supervisor.add_role(name, argv, env=env)
        return supervisor

    def _ended(self, value):
        self.value = value
        self.send(GroupEnded(), self.object_address)


def GroupCake_Start(self, message):
    try:
        self.check(R.current().home_path)
    except GroupFault as e:
        self.complete(e.fault)
    try:
        self.open_directory()
    except GroupFault as e:
        self.complete(e.fault)


def GroupCake_DirectoryOpen(self, message):
    if message.accepting_at is None:
        self.close_directory()
        self.complete(Faulted('cannot open the group directory', message.note))
    role = R.current()
    try:
        self.supervisor = self.build(role.home_path, C.CL.origin, C.CL.debug_level,
                                     C.CL.keep_logs, message.accepting_at)
    except GroupFault as e:
        self.close_directory()
        self.complete(e.fault)
    if L.USER_LOG.CONSOLE >= L.threshold:
        self.console('Group of %d roles at "%s"' % (len(self.supervisor.roles),
                                                   role.home_path))
    self.supervisor.when_ended().addCallback(self._ended)
    self.supervisor.startService()


def GroupCake_Stop(self, message):
    if self.supervisor is None:
        self.close_directory()
        self.complete(Aborted())
    self.supervisor.stopService()


def GroupCake_GroupEnded(self, message):
    value = self.value
    if type(value) is dict:
        value = registry.cast_to(value, RESULT_TYPE)
    self.close_directory()
    self.complete(value)


bind(GroupCake, (Start, DirectoryOpen, Stop, GroupEnded), return_type=P.Any())


# The program.

# The launcher forked by main() (None under twistd, or when it cannot fork).
_launcher = [None]

# Set to 0 to start every role with spawnProcess instead (a cold start).
WARM_START_VARIABLE = 'LC_WARM_START'

_ROLE_NAME_FLAGS = ('--role-name', '-rn')


def _given(arguments, flags):
    return any(a == f or a.startswith(f + '=') for a in arguments for f in flags)


def _maintenance(framework):
    return (framework.create_role or framework.update_role or framework.factory_reset
            or framework.dump_role or framework.delete_role or framework.edit_role
            or framework.help or framework.dump_types)


def main(arguments=None, argv0=None):
    """The group-cake console script."""
    if arguments is None:
        arguments = sys.argv[1:]
    if argv0 is None:
        argv0 = sys.argv[0] if sys.argv else 'group-cake'
    arguments = list(arguments)
    if not _given(arguments, _ROLE_NAME_FLAGS):
        arguments.append('--role-name=%s' % (GROUP_ROLE,))
    try:
        parsed = C.parse(arguments, GroupCake)
    except C.ArgumentError:
        parsed = None           # run() reports it, in the caller's output format
    if parsed is not None and not _maintenance(parsed.framework):
        # Do not let the role machinery make a home where there is none.
        home = Home(parsed.framework.home_path)
        if not home.exists():
            framework = parsed.framework
            write_output(Faulted('No roles at location "%s"' % (home.path,)), argv0,
                         framework.full_output, framework.child_process, framework.output_file)
            sys.exit(FAULTY_EXIT)
        # Fork the launcher while this process is still single-threaded, so
        # that roles start from here, already imported (a warm start).
        if os.environ.get(WARM_START_VARIABLE, '1') != '0':
            _launcher[0] = Launcher.fork()
    try:
        code = run(GroupCake, sticky=True, arguments=arguments, argv0=argv0)
    finally:
        if _launcher[0] is not None:
            _launcher[0].close()
    sys.exit(code)


if __name__ == '__main__':
    # Run the module's importable copy, so there is one GroupCake, not two.
    from layer_cake.supervisor.group_cake import main as _main
    _main()
