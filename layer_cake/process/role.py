"""Home and role of a process (runtime.md §16, network.md §11.2).

A process runs in a *role*: a name within a *home* folder (default
``./.layer-cake``).  A role is either in memory (a shell process: no files,
the model folder is the current directory, a private temporary folder) or
persistent, kept in ``<home>/role/<role>``::

    unique_id.json  executable_file.json  settings.json  start_stop.json
    log_storage.json  model/  tmp/  logs/  lock/head

This module owns that layout: creating and removing role folders, the
settings, the start/stop history, the role lock and the rolling log files.
"""

import collections
import datetime
import errno
import fcntl
import os
import sys
import tempfile
import threading
import uuid

from ..types import portable as P
from ..types import registry
from ..types.codec import CodecJson
from ..types.errors import CodecError
from ..runtime import log as L
from ..runtime.messages import Faulted, StartStop
from ..runtime.storage import File, Folder, remove_contents, remove_folder

DEFAULT_HOME = '.layer-cake'

HISTORY = 16                        # start/stop records kept
LOG_STORAGE = 256 * 1024 * 1024     # default byte budget of a role's rolling logs
LINES_PER_LOG = 16384               # lines per rolling log file

SETTINGS_TYPE = registry.def_type(dict[str, P.Any])
HISTORY_TYPE = registry.def_type(collections.deque[StartStop])


class HomeRole(object):
    """A role within a home: what a ProcessObject can be asked to run (network.md §11-12)."""

    def __init__(self, home_path: str = None, role_name: str = None):
        self.home_path = home_path
        self.role_name = role_name


registry.bind_message(HomeRole)


class LockedHead(object):
    """What a running role records in its ``lock/head``."""

    def __init__(self, path: str = None, pid: int = None, parent_pid: int = None):
        self.path = path
        self.pid = pid
        self.parent_pid = parent_pid


registry.bind_message(LockedHead)


def role_path(home_path, role_name):
    return os.path.join(home_path, 'role', role_name)


def executable_name(executable):
    """How a home names an executable: its base name with the extension, the name
    of its copy in ``script/`` and of its folder in ``resource/``."""
    return os.path.basename(executable.rstrip(os.sep))


def resource_path_of(home_path, executable):
    """The resource folder of ``executable`` in the home at ``home_path``."""
    return os.path.join(home_path, 'resource', executable_name(executable))


def settings_to_any(settings, schema):
    """Settings as a ``dict[str, Any]``: each value paired with its declared type."""
    out = {}
    for name, value in settings.items():
        portable = schema.get(name) if schema else None
        if registry.is_message(value):
            out[name] = value
        elif portable is not None:
            out[name] = registry.cast_to(value, portable)
        else:
            out[name] = registry.cast_to(None if value is None else str(value),
                                         registry.str_type)
    return out


def any_to_settings(stored):
    """The plain values of a stored ``dict[str, Any]``."""
    return {name: registry.cast_back(value)[0] if value is not None else None
            for name, value in stored.items()}


class Role(object):
    """The role a process runs in (in memory unless ``persistent``)."""

    def __init__(self, home_path, role_name, persistent=False, resource_path=None,
                 model_path=None, executable=None):
        self.home_path = home_path
        self.role_name = role_name
        self.persistent = persistent
        self.path = role_path(home_path, role_name)
        self.executable = executable
        self._resource_path = resource_path
        self._model_path = model_path
        self._tmp_path = None
        self._lock_fd = None
        self._history = None
        self._lock = threading.Lock()

    # The role's files.

    def _file(self, name, tip):
        return File(os.path.join(self.path, name), tip)

    def exists(self):
        return os.path.isdir(self.path)

    def create(self, settings=None):
        """Lay the role folder out (settings as a ``dict[str, Any]``)."""
        os.makedirs(self.path, exist_ok=True)
        for name in ('model', 'tmp', 'logs', 'lock'):
            os.makedirs(os.path.join(self.path, name), exist_ok=True)
        if not os.path.isfile(os.path.join(self.path, 'unique_id.json')):
            self._file('unique_id', uuid.UUID).store(uuid.uuid4())
        if self.executable is not None:
            self._file('executable_file', str).store(self.executable)
        if not os.path.isfile(os.path.join(self.path, 'log_storage.json')):
            self._file('log_storage', int).store(LOG_STORAGE)
        if not os.path.isfile(os.path.join(self.path, 'start_stop.json')):
            self._file('start_stop', HISTORY_TYPE).store(collections.deque())
        if settings is not None or not os.path.isfile(os.path.join(self.path, 'settings.json')):
            self.store_settings(settings or {})

    def delete(self):
        remove_folder(self.path)

    def settings(self):
        """The stored settings (``dict[str, Any]``); {} when there are none."""
        f = self._file('settings', SETTINGS_TYPE)
        if not f.exists():
            return {}
        return f.recover()

    def store_settings(self, settings):
        self._file('settings', SETTINGS_TYPE).store(settings)

    def log_storage(self):
        try:
            return self._file('log_storage', int).recover() or LOG_STORAGE
        except (OSError, CodecError):
            return LOG_STORAGE

    # Folders for the application.

    def model_path(self):
        if self._model_path is not None:
            return self._model_path
        if self.persistent:
            return os.path.join(self.path, 'model')
        return os.getcwd()

    def resource_path(self):
        """``--resource-path``, else (in a home) the folder ``layer-cake resource`` fills
        for the role's executable when there is one, else None."""
        if self._resource_path is not None:
            return self._resource_path
        if not self.persistent:
            return None
        executable = self.recorded_executable() or self.executable
        if executable:
            path = resource_path_of(self.home_path, executable)
            if os.path.isdir(path):
                return path
        return None

    def recorded_executable(self):
        """The executable stored with the role (None when there is none to read).

        A role started from ``<home>/script`` has that copy as its program; the
        stored path is what names its resources, as the CLI names them.
        """
        try:
            return self._file('executable_file', str).recover()
        except (OSError, CodecError):
            return None

    def tmp_path(self):
        with self._lock:
            if self._tmp_path is None:
                if self.persistent:
                    path = os.path.join(self.path, 'tmp')
                    os.makedirs(path, exist_ok=True)
                else:
                    path = tempfile.mkdtemp(prefix='layer-cake-tmp-')
                self._tmp_path = path
            return self._tmp_path

    def clear_tmp(self):
        """Empty the tmp folder (at every start of a persistent role)."""
        if self.persistent:
            remove_contents(os.path.join(self.path, 'tmp'))

    def remove_tmp(self):
        """Remove a private temporary folder at exit (in-memory roles only)."""
        if not self.persistent and self._tmp_path is not None:
            remove_folder(self._tmp_path)
            self._tmp_path = None

    # Running: lock, history.

    def take_lock(self):
        """Hold ``lock/head`` exclusively; returns False when another process holds it."""
        folder = os.path.join(self.path, 'lock')
        os.makedirs(folder, exist_ok=True)
        head = os.path.join(folder, 'head')
        fd = os.open(head, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        text = CodecJson().encode(LockedHead(self.path, os.getpid(), os.getppid()),
                                  LockedHead)
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode('utf-8'), 0)
        self._lock_fd = fd
        return True

    def lock_path(self):
        return os.path.join(self.path, 'lock', 'head')

    def release_lock(self):
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            try:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def record_start(self):
        f = self._file('start_stop', HISTORY_TYPE)
        try:
            history = f.recover()
        except (OSError, CodecError):
            history = collections.deque()
        history.append(StartStop(start=datetime.datetime.now(datetime.timezone.utc)))
        while len(history) > HISTORY:
            history.popleft()
        f.store(history)
        self._history = history

    def record_stop(self, value):
        history = self._history
        if not history:
            return
        last = history[-1]
        last.stop = datetime.datetime.now(datetime.timezone.utc)
        last.returned = value
        f = self._file('start_stop', HISTORY_TYPE)
        try:
            f.store(history)
        except CodecError as e:
            last.returned = Faulted(str(e))
            f.store(history)


# The role of this process (in memory until lc.create says otherwise).
_current = [None]


def current():
    """The role of this process."""
    role = _current[0]
    if role is None:
        program = sys.argv[0] if sys.argv and sys.argv[0] else ''
        name = os.path.splitext(os.path.basename(program))[0] or 'main'
        role = _current[0] = Role(os.path.abspath(DEFAULT_HOME), name)
    return role


def current_if_set():
    """The role ``lc.create`` set for this process, or None (a library user's process)."""
    return _current[0]


def use(role):
    _current[0] = role


# Folders for the application (runtime.md §16).

def model_folder():
    return Folder(current().model_path())


def resource_folder():
    path = current().resource_path()
    return Folder(path, auto_create=False) if path is not None else None


def tmp_folder():
    return Folder(current().tmp_path())


def model_path():
    return current().model_path()


def resource_path():
    return current().resource_path()


def tmp_path():
    return current().tmp_path()


# Rolling log files.

def log_file_name(stamp):
    """The name of a log file started at ``stamp`` (UTC), e.g. 2025h08h09T04c49c30p553."""
    when = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc)
    text = when.strftime('%Y-%m-%dT%H:%M:%S.') + '%03d' % (when.microsecond // 1000,)
    return text.replace('-', 'h').replace(':', 'c').replace('.', 'p')


class RollingSink(L.Sink):
    """Log lines (without the pid column) into files of a folder, a new file every
    ``lines`` lines, the oldest files removed to keep within ``storage`` bytes."""

    def __init__(self, folder, level=L.USER_LOG.DEBUG, storage=LOG_STORAGE,
                 lines=LINES_PER_LOG):
        self.folder = folder
        self.level = L.USER_LOG(level)
        self.storage = storage
        self.lines = lines
        self.lock = threading.Lock()
        self._file = None
        self._count = 0
        os.makedirs(folder, exist_ok=True)

    def write(self, record):
        line = L.render(record, pid=False) + '\n'
        with self.lock:
            if self._file is None or self._count >= self.lines:
                self._roll(record.stamp)
            self._file.write(line)
            self._file.flush()
            self._count += 1

    def _roll(self, stamp):
        if self._file is not None:
            self._file.close()
        name = os.path.join(self.folder, log_file_name(stamp))
        while os.path.exists(name):
            stamp += 0.001
            name = os.path.join(self.folder, log_file_name(stamp))
        self._file = open(name, 'a', encoding='utf-8')
        self._count = 0
        self._prune(name)

    def _prune(self, keep):
        entries = []
        for entry in os.listdir(self.folder):
            path = os.path.join(self.folder, entry)
            if os.path.isfile(path):
                entries.append((entry, path, os.path.getsize(path)))
        entries.sort()
        total = sum(size for _, _, size in entries)
        for _, path, size in entries:
            if total <= self.storage or path == keep:
                break
            os.remove(path)
            total -= size

    def close(self):
        with self.lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class TeeSink(L.Sink):
    """Hand each record to several sinks, each filtering at its own level."""

    def __init__(self, *sinks):
        self.sinks = sinks
        self.level = min(s.level for s in sinks)

    def __call__(self, event):
        for s in self.sinks:
            s(event)
