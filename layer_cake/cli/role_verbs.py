"""Verbs that describe a composite process: the home and its roles.

``create`` lays a home out, ``add`` puts roles in it, ``update`` and ``edit``
change their settings, ``delete`` and ``destroy`` take them away, ``list``
shows them.  Whatever changes a role refuses while the role runs
(network.md §11.4), and whatever a command does is done whole or not at all:
a role that rejects its settings leaves the home as it was.
"""

import os
import shlex
import subprocess
import tempfile

from ..types.codec import CodecJson
from ..types.errors import CodecError
from ..runtime.messages import Faulted
from ..process import role as R
from ..process.home import GROUP_ROLE, HomeError, is_sub_role
from ..runtime.storage import remove_folder
from . import programs
from .verb import Refused, path_of, refuse_if_running, role_or_refuse, select, verb

__all__ = ['create', 'add', 'update', 'edit', 'delete', 'list_', 'destroy']

MOST_ROLES = 1000
SETTINGS_EDITOR = 'vi'


def _fault_of(value, role):
    """Refused for a program's Faulted result (None for anything else)."""
    if isinstance(value, Faulted):
        raise Refused('cannot set up role "%s"' % (role,), str(value))


def _maintenance_argv(home, name, flag, forwarded, prefix):
    return prefix + [flag, '--home-path=%s' % (home.path,), '--role-name=%s' % (name,)] + \
        list(forwarded) + ['--full-output']


@verb(words='[<home>]', most=1, forwards=True)
def create(cli):
    """Make a new home with its group role; extra flags are group-cake settings."""
    home = cli.home(cli.words[0] if cli.words else None)
    try:
        home.create()
    except (HomeError, OSError) as e:
        raise Refused(str(e))
    try:
        prefix, env = programs.group_cake_argv()
        argv = _maintenance_argv(home, GROUP_ROLE, '--create-role', cli.forwarded, prefix)
        _fault_of(programs.run_program(argv, env, programs.GROUP_CAKE_NAME), GROUP_ROLE)
    except BaseException:
        home.destroy()
        raise


def _role_names(executable, role, role_count, role_start):
    base = role or os.path.splitext(os.path.basename(executable))[0]
    if not base or base.startswith(GROUP_ROLE):
        raise Refused('cannot add role "%s"' % (base,), 'names starting with "%s" are reserved'
                      % (GROUP_ROLE,))
    if os.path.sep in base or is_sub_role(base) or base.startswith('-'):
        raise Refused('cannot add role "%s"' % (base,), 'not a role name')
    if role_count is None:
        return [base]
    if not 1 <= role_count <= MOST_ROLES:
        raise Refused('cannot add %d roles' % (role_count,), 'role count is 1 to %d' % (
            MOST_ROLES,))
    if role_start is None or role_start < 0:
        raise Refused('cannot start numbering at %s' % (role_start,), 'not a count')
    return ['%s-%d' % (base, i) for i in range(role_start, role_start + role_count)]


@verb(words='<executable> [<role>]', least=1, most=2, forwards=True)
def add(cli, role_count: int = None, role_start: int = 0):
    """Add roles run by an executable; extra flags are settings the executable checks."""
    home = cli.existing_home()
    executable = cli.words[0]
    names = _role_names(executable, cli.words[1] if len(cli.words) > 1 else None, role_count,
                        role_start)
    existing = [n for n in names if home.has_role(n)]
    if existing:
        raise Refused('cannot add roles', 'already in the home: %s' % (', '.join(existing),))
    prefix, env, _ = programs.executable_argv(executable)

    def argv(name):
        return _maintenance_argv(home, name, '--create-role', cli.forwarded, prefix)

    # The first role tells whether the settings are acceptable; the rest follow at once.
    created = []
    try:
        _fault_of(programs.run_program(argv(names[0]), env, executable), names[0])
        created.append(names[0])
        running = [(n, programs.start_program(argv(n), env)) for n in names[1:]]
        faults = []
        for name, process in running:
            value = programs.finish_program(process, executable)
            if home.has_role(name):
                created.append(name)
            if isinstance(value, Faulted):
                faults.append((name, value))
        if faults:
            _fault_of(faults[0][1], faults[0][0])
    except BaseException:
        for name in created:
            remove_folder(path_of(home, name))
        raise


def _snapshot(home, names):
    saved = {}
    for name in names:
        path = path_of(home, name, 'settings.json')
        with open(path, 'rb') as f:
            saved[path] = f.read()
    return saved


def _restore(saved):
    for path, data in saved.items():
        with open(path, 'wb') as f:
            f.write(data)


@verb(words='<search>...', least=1, most=None, forwards=True)
def update(cli):
    """Merge settings into the selected roles (group and sub-roles included)."""
    home = cli.existing_home()
    names = select(home, cli.words, group=True, sub_roles=True)
    refuse_if_running(home, names, 'update')
    programs.check_settings(home, names)
    commands = []
    for name in names:
        prefix, env = programs.role_argv(home, name)
        argv = _maintenance_argv(home, name, '--update-role', cli.forwarded, prefix)
        commands.append((name, argv, env))
    saved = _snapshot(home, names)
    running = [(n, programs.start_program(argv, env)) for n, argv, env in commands]
    faults = []
    for name, process in running:
        value = programs.finish_program(process, 'role "%s"' % (name,))
        if isinstance(value, Faulted):
            faults.append((name, value))
    if faults:
        _restore(saved)
        name, value = faults[0]
        raise Refused('cannot update role "%s"' % (name,), str(value))


@verb(words='<role> [<home>]', least=1, most=2)
def edit(cli):
    """Change a role's settings in $LC_EDITOR (default vi)."""
    home = cli.existing_home(cli.words[1] if len(cli.words) > 1 else None)
    name = role_or_refuse(home, cli.words[0])
    refuse_if_running(home, [name], 'edit')
    programs.check_settings(home, [name])
    role = home.role(name)
    codec = CodecJson(pretty_format=True)
    before = codec.encode(role.settings(), R.SETTINGS_TYPE)
    fd, path = tempfile.mkstemp(prefix='%s-settings-' % (name,), suffix='.json')
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(before)
        editor = shlex.split(os.environ.get('LC_EDITOR') or SETTINGS_EDITOR)
        try:
            code = subprocess.call(editor + [path])
        except OSError as e:
            raise Refused('cannot run editor "%s"' % (' '.join(editor),), str(e))
        if code != 0:
            raise Refused('settings not changed', 'editor exit status %d' % (code,))
        with open(path, encoding='utf-8') as f:
            after = f.read()
        if after == before:
            raise Refused('settings not modified')
        try:
            settings = codec.decode(after, R.SETTINGS_TYPE)
        except (CodecError, ValueError) as e:
            raise Refused('cannot decode settings', str(e).splitlines()[0])
        role.store_settings(settings)
    finally:
        try:
            os.remove(path)
        except OSError:
            pass


@verb(words='<search>...', most=None)
def delete(cli, all_roles: bool = False):
    """Remove the selected roles (and their sub-roles); never the group."""
    home = cli.existing_home()
    if not cli.words and not all_roles:
        raise Refused('nothing to delete', 'name roles or use --all-roles')
    if all_roles:
        chosen = home.role_names(sub_roles=True)
    else:
        chosen = select(home, cli.words)
    names = sorted({n for n in home.role_names(sub_roles=True)
                    if n in chosen or n.split('.')[0] in chosen})
    refuse_if_running(home, names, 'delete')
    for name in names:
        remove_folder(path_of(home, name))


def _usage(path):
    folders = files = size = 0
    for top, dirs, names in os.walk(path):
        folders += len(dirs)
        for n in names:
            files += 1
            try:
                size += os.lstat(os.path.join(top, n)).st_size
            except OSError:
                pass
    return folders, files, size


@verb(words='[<search>...]', most=None)
def list_(cli, long_listing: bool = False, group_role: bool = False, sub_roles: bool = False):
    """Print role names, sorted; -ll adds executable and folders/files/bytes."""
    home = cli.existing_home()
    for name in select(home, cli.words, group_role, sub_roles):
        if long_listing:
            executable = home.executable_of(name) or '?'
            cli.write('%-24s %s %d/%d/%d' % ((name, executable) + _usage(path_of(home, name))))
        else:
            cli.write(name)


@verb(words='[<home>]', most=1)
def destroy(cli):
    """Remove a whole home, unless any of its roles runs."""
    home = cli.existing_home(cli.words[0] if cli.words else None)
    refuse_if_running(home, home.all_role_names(), 'destroy')
    try:
        home.destroy()
    except OSError as e:
        raise Refused('cannot destroy "%s"' % (home.path,), str(e))
