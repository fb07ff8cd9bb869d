"""A home folder as a whole: its layout, its roles, and which of them run
(network.md §11.2-§11.4).

:mod:`.role` owns one role's folder; this module owns the folder around
them -- ``script/``, ``resource/``, ``role/`` -- and answers the questions
the CLI and group-cake ask of a home: which roles there are, which a search
selects, which are running now (their ``lock/head`` is held).
"""

import fcntl
import os
import re

from ..runtime.storage import File, remove_folder
from ..types.codec import CodecJson
from ..types.errors import CodecError
from .role import DEFAULT_HOME, LockedHead, Role, role_path

__all__ = ['Home', 'HomeError', 'GROUP_ROLE', 'ROLE_FILES']

GROUP_ROLE = 'group'

# The files every role folder has; a folder missing one makes the home incomplete.
ROLE_FILES = ('unique_id.json', 'executable_file.json', 'settings.json', 'start_stop.json',
              'log_storage.json')

# The folders of a home (departures/ and arrivals/ are made, and not used).
HOME_FOLDERS = ('script', 'resource', 'role', 'departures', 'arrivals')

GIVEN_UP_TYPE = dict[str, str]


class HomeError(Exception):
    """A home cannot be used as asked; the text is the fault's condition."""


def is_group(name):
    return name == GROUP_ROLE


def is_sub_role(name):
    """Roles made by a role's children are named ``<role>.<child>``."""
    return '.' in name


class Home(object):
    """The home folder at ``path`` (default ``./.layer-cake``), made absolute."""

    def __init__(self, path=None):
        self.path = os.path.abspath(path or DEFAULT_HOME)

    # The folder.

    def exists(self):
        return os.path.isdir(self.path)

    def create(self):
        """Lay a new home out; HomeError when anything is already at the path."""
        if os.path.lexists(self.path):
            raise HomeError('cannot create home "%s" (already exists)' % (self.path,))
        for name in HOME_FOLDERS:
            os.makedirs(os.path.join(self.path, name))

    def check(self):
        """HomeError unless this is an existing, complete home."""
        if not self.exists():
            raise HomeError('home "%s" does not exist' % (self.path,))
        if not os.path.isdir(os.path.join(self.path, 'role')):
            raise HomeError('home "%s" is unexpected/incomplete (no role folder)' % (
                self.path,))
        for name in self.all_role_names():
            missing = [f for f in ROLE_FILES
                       if not os.path.isfile(os.path.join(role_path(self.path, name), f))]
            if missing:
                raise HomeError('home "%s" is unexpected/incomplete (role "%s" has no %s)' % (
                    self.path, name, ', '.join(missing)))

    def destroy(self):
        remove_folder(self.path)

    def folder(self, name):
        return os.path.join(self.path, name)

    # Roles.

    def all_role_names(self):
        """Every role folder's name, sorted (group and sub-roles included)."""
        try:
            names = os.listdir(os.path.join(self.path, 'role'))
        except FileNotFoundError:
            return []
        return sorted(n for n in names if os.path.isdir(role_path(self.path, n)))

    def role_names(self, group=False, sub_roles=False):
        return [n for n in self.all_role_names()
                if (group or not is_group(n)) and (sub_roles or not is_sub_role(n))]

    def select(self, patterns, group=False, sub_roles=False):
        """The roles whose names a pattern matches at the start (all roles when none given).

        HomeError for a pattern that is not a regular expression.
        """
        names = self.role_names(group, sub_roles)
        if not patterns:
            return names
        compiled = []
        for p in patterns:
            try:
                compiled.append(re.compile(p))
            except re.error as e:
                raise HomeError('bad search "%s" (%s)' % (p, e))
        return [n for n in names if any(c.match(n) for c in compiled)]

    def role(self, name):
        """The persistent Role ``name`` of this home, with its recorded executable."""
        return Role(self.path, name, persistent=True, executable=self.executable_of(name))

    def has_role(self, name):
        return os.path.isdir(role_path(self.path, name))

    def executable_of(self, name):
        """The recorded executable of role ``name`` (None when not recorded)."""
        f = File(os.path.join(role_path(self.path, name), 'executable_file'), str)
        try:
            return f.recover()
        except (OSError, CodecError):
            return None

    def program_of(self, name):
        """The file to run for role ``name``: ``script/<basename>`` when there is one."""
        executable = self.executable_of(name)
        if executable is None:
            return None
        script = os.path.join(self.path, 'script', os.path.basename(executable))
        if os.path.isfile(script):
            return script
        return executable

    # Running roles.

    def locked_head(self, name):
        """The LockedHead of role ``name`` when a process holds its lock, else None."""
        head = os.path.join(role_path(self.path, name), 'lock', 'head')
        try:
            fd = os.open(head, os.O_RDONLY)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                pass            # held: the role is running
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
                return None
            text = os.pread(fd, 1 << 16, 0).decode('utf-8', 'replace')
        finally:
            os.close(fd)
        try:
            return CodecJson().decode(text, LockedHead)
        except CodecError:
            return LockedHead(path=role_path(self.path, name))

    def running(self, names=None):
        """The names (of ``names``, or of every role) whose lock is held now."""
        if names is None:
            names = self.all_role_names()
        return [n for n in names if self.locked_head(n) is not None]

    # Roles the running group has left down for good (restart limit or an
    # exhausted retry schedule), kept in the group's folder so that
    # ``status`` can show them; emptied each time a group starts.

    def _given_up_file(self):
        return File(os.path.join(role_path(self.path, GROUP_ROLE), 'given_up'), GIVEN_UP_TYPE)

    def clear_given_up(self):
        try:
            os.remove(self._given_up_file().path)
        except FileNotFoundError:
            pass

    def record_given_up(self, name, reason):
        given = self.given_up()
        given[name] = reason
        self._given_up_file().store(given)

    def given_up(self):
        """{role: reason} recorded by the group (stale when the group is not running)."""
        try:
            return dict(self._given_up_file().recover())
        except (OSError, CodecError):
            return {}

    def refuse_if_running(self, names, doing):
        """HomeError naming the roles of ``names`` that run (the live-file rule, §11.4)."""
        live = self.running(names)
        if live:
            raise HomeError('cannot %s (%s running)' % (doing, ', '.join(live)))
