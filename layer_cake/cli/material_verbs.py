"""Verbs that put files into a home: ``resource``, ``model`` and ``script``.

A home that carries its programs (``script/``), their shared read-only
materials (``resource/<executable>/``) and each role's private data
(``role/<role>/model/``) can be copied to another place or machine and run
there as it is.  These verbs fill those folders from ordinary folders with a
sync (:mod:`.sync`): by default they only print what they would do, and
``--make-changes`` does it.  Changing the materials of a running role is
refused (the live-file rule, network.md §11.4), and the home stays locked
against ``run``/``start`` while changes are made.
"""

import datetime
import os

from ..process.role import executable_name, resource_path_of
from .running_verbs import home_lock
from .spans import iso
from .sync import SyncError, apply, entries_of, folder_layer, plan_clear, plan_sync
from .verb import Refused, path_of, refuse_if_running, role_or_refuse, verb

__all__ = ['resource', 'model', 'script']


# Options the three verbs share.

class _Asked(object):
    """What the flags of a material verb ask for."""

    def __init__(self, sources, make_changes, clear_all, full_path, recursive_listing,
                 long_listing):
        self.sources = sources
        self.make_changes = make_changes
        self.clear_all = clear_all
        self.full_path = full_path
        self.recursive = recursive_listing
        self.long = long_listing

    def check(self):
        """Refused for flags that do not go together."""
        if self.clear_all and self.sources:
            raise Refused('conflicting options', '--clear-all takes no folders')
        if (self.full_path or self.recursive or self.long) and (self.sources or
                                                                self.clear_all):
            raise Refused('conflicting options', 'listing flags go without folders')
        if self.make_changes and not (self.sources or self.clear_all):
            raise Refused('nothing to change', 'name folders, or use --clear-all')

    @property
    def listing(self):
        return not (self.sources or self.clear_all)


def _absolute(word):
    return os.path.abspath(os.path.expanduser(word))


def _real(path):
    return os.path.realpath(path)


def _inside(path, folder):
    path, folder = _real(path), _real(folder)
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _no_overlap(source, target):
    """Refused when a source and the target contain one another."""
    if _inside(target, source) or _inside(source, target):
        raise Refused('cannot sync "%s"' % (source,), 'it overlaps "%s"' % (target,))


def _source_folders(words, target):
    folders = []
    for word in words:
        path = _absolute(word)
        if not os.path.isdir(path):
            raise Refused('cannot sync "%s"' % (word,), 'not a folder' if
                          os.path.lexists(path) else 'no such folder')
        _no_overlap(path, target)
        folders.append(path)
    return folders


def _walk(folder, recursive, relative=''):
    """(relative name, path, is_folder, stat) under ``folder``, sorted, folders before
    what they hold; linked folders are listed, not entered."""
    with os.scandir(folder) as listing:
        found = sorted(listing, key=lambda e: e.name)
    for entry in found:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        name = os.path.join(relative, entry.name)
        is_folder = entry.is_dir(follow_symlinks=False)
        yield name, entry.path, is_folder, st
        if is_folder and recursive:
            yield from _walk(entry.path, True, name)


def _list(cli, target, asked):
    """Print what the target holds (nothing when it does not exist yet)."""
    if not os.path.isdir(target):
        return
    for name, path, is_folder, st in _walk(target, asked.recursive):
        text = (path if asked.full_path else name) + (os.sep if is_folder else '')
        if asked.long:
            when = datetime.datetime.fromtimestamp(st.st_mtime, datetime.timezone.utc)
            size = '-' if is_folder else str(st.st_size)
            text = '%s %12s %s' % (iso(when), size, text)
        cli.write(text)


def _carry_out(cli, home, plan, asked, affected, doing):
    """Print the plan; with --make-changes apply it first, unless an affected role runs.

    ``affected(plan)`` names the roles the plan would change things under.
    """
    if not (asked.make_changes and plan):
        for op in plan:
            cli.write(str(op))
        return
    with home_lock(home):
        refuse_if_running(home, affected(plan), doing)
        try:
            apply(plan, done=lambda op: cli.write(str(op)))
        except SyncError as e:
            raise Refused(e.condition, e.explanation)


def _plan(layers, target, origin=None, keep=None):
    try:
        if keep is None:
            return plan_sync(layers, target, origin=origin)
        return plan_sync(layers, target, keep=keep, origin=origin)
    except SyncError as e:
        raise Refused(e.condition, e.explanation)
    except OSError as e:
        raise Refused('cannot plan sync into "%s"' % (target,), e.strerror or str(e))


def _sync(cli, home, target, asked, affected, doing):
    """The common course of ``resource`` and ``model``."""
    if asked.listing:
        _list(cli, target, asked)
        return
    if asked.clear_all:
        plan = plan_clear(target)
    else:
        sources = _source_folders(asked.sources, target)
        plan = _plan([folder_layer(s) for s in sources], target, origin=sources[0])
    _carry_out(cli, home, plan, asked, affected, doing)


def roles_of_executables(home, names):
    """Roles whose recorded executable is one of ``names`` (as the home names them)."""
    found = []
    for role in home.all_role_names():
        executable = home.executable_of(role)
        if executable and executable_name(executable) in names:
            found.append(role)
    return found


@verb(words='<executable> [<folder>...]', least=1, most=None)
def resource(cli, make_changes: bool = False, clear_all: bool = False,
             full_path: bool = False, recursive_listing: bool = False,
             long_listing: bool = False):
    """Sync folders into an executable's resources (a plan unless --make-changes)."""
    asked = _Asked(cli.words[1:], make_changes, clear_all, full_path, recursive_listing,
                   long_listing)
    asked.check()
    home = cli.existing_home()
    name = executable_name(cli.words[0])
    roles = roles_of_executables(home, [name])
    if not roles:
        raise Refused('no executable "%s"' % (name,), 'no role of "%s" runs it' % (home.path,))
    target = resource_path_of(home.path, name)
    _sync(cli, home, target, asked, lambda plan: roles,
          'change resources of "%s"' % (name,))


@verb(words='<role> [<folder>...]', least=1, most=None)
def model(cli, get_latest: str = None, make_changes: bool = False, clear_all: bool = False,
          full_path: bool = False, recursive_listing: bool = False,
          long_listing: bool = False):
    """Sync folders into a role's model, or --get-latest=<folder> out of it."""
    asked = _Asked(cli.words[1:], make_changes, clear_all, full_path, recursive_listing,
                   long_listing)
    if get_latest is not None and (asked.sources or clear_all):
        raise Refused('conflicting options', '--get-latest takes no folders or --clear-all')
    if get_latest is None:
        asked.check()
    home = cli.existing_home()
    name = role_or_refuse(home, cli.words[0])
    folder = path_of(home, name, 'model')
    if get_latest is None:
        _sync(cli, home, folder, asked, lambda plan: [name], 'change model of "%s"' % (name,))
        return
    # The reverse direction: the model is the source, the home is only read.
    destination = _absolute(get_latest)
    _no_overlap(folder, destination)
    layers = [folder_layer(folder)] if os.path.isdir(folder) else []
    plan = _plan(layers, destination, origin=folder)
    if not make_changes:
        for op in plan:
            cli.write(str(op))
        return
    try:
        apply(plan, done=lambda op: cli.write(str(op)))
    except SyncError as e:
        raise Refused(e.condition, e.explanation)


# Scripts: Python modules and packages, never their caches.

def _keep_python(name, is_folder):
    if name.startswith('.') or name == '__pycache__':
        return False
    return is_folder or not name.endswith(('.pyc', '.pyo'))


def _script_layer(word):
    """{name: path} that a file or folder word puts at the top of ``script/``.

    A module is taken as it is; a folder gives its modules and its packages
    (folders with an ``__init__.py``).
    """
    path = _absolute(word)
    if os.path.isfile(path):
        if not path.endswith('.py'):
            raise Refused('cannot copy "%s"' % (word,), 'not a Python module')
        return {os.path.basename(path): path}
    if not os.path.isdir(path):
        raise Refused('cannot copy "%s"' % (word,), 'no such file or folder')

    def top(name, is_folder):
        if not _keep_python(name, is_folder):
            return False
        if is_folder:
            return os.path.isfile(os.path.join(path, name, '__init__.py'))
        return name.endswith('.py')
    return {name: e[0] for name, e in entries_of(path, top).items()}


def _executables(home):
    """The executables the roles (not the group, not sub-roles) record, sorted."""
    return sorted({e for e in (home.executable_of(n) for n in home.role_names()) if e})


@verb(words='[<module or folder>...]', most=None)
def script(cli, list_executables: bool = False, list_paths: bool = False,
           list_scripts: bool = False, make_changes: bool = False, clear_all: bool = False,
           full_path: bool = False, recursive_listing: bool = False,
           long_listing: bool = False):
    """Sync Python modules into the home's script folder (a plan unless --make-changes)."""
    asked = _Asked(cli.words, make_changes, clear_all, full_path, recursive_listing,
                   long_listing)
    lists = [f for f in (list_executables, list_paths, list_scripts) if f]
    if lists and (len(lists) > 1 or not asked.listing or make_changes or
                  full_path or recursive_listing or long_listing):
        raise Refused('conflicting options', 'one --list-... flag, on its own')
    asked.check()
    home = cli.existing_home()
    target = home.folder('script')
    if not os.path.isdir(target):
        raise Refused('home "%s" is unexpected/incomplete' % (home.path,), 'no script folder')
    if list_executables:
        for executable in _executables(home):
            cli.write(executable)
        return
    if list_paths:
        for folder in sorted({os.path.dirname(e) for e in _executables(home)} - {''}):
            cli.write(folder)
        return
    if list_scripts:
        for name in sorted(os.listdir(target)):
            cli.write(name)
        return
    if asked.listing:
        _list(cli, target, asked)
        return
    if asked.clear_all:
        plan = plan_clear(target)
    else:
        layers = [_script_layer(w) for w in asked.sources]
        for layer in layers:
            for path in layer.values():
                _no_overlap(path, target)
        plan = _plan(layers, target, keep=_keep_python)

    def affected(plan):
        names = {os.path.relpath(op.target, target).split(os.sep)[0] for op in plan}
        return roles_of_executables(home, names)
    _carry_out(cli, home, plan, asked, affected, 'change scripts')
