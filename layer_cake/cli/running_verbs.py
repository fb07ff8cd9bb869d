"""Verbs that run a composite process: ``run``, ``start``, ``stop``, ``status``.

group-cake does the supervising; these verbs only launch it, signal it and
watch the role locks.  A running role holds the exclusive lock of its
``lock/head`` (which records its pid and its parent's), so "is it running"
is asked of the kernel, never of a pid file that might be stale.

``run`` and ``start`` hold a lock on the home folder itself from their check
("is anything running?") until group-cake holds the group's lock, so two of
them racing cannot both launch: the second sees the first's group running.
"""

import ctypes
import ctypes.util
import errno
import fcntl
import os
import signal
import subprocess
import tempfile
import time

from ..runtime.messages import Faulted
from ..process.home import GROUP_ROLE
from . import programs
from .record_verbs import read_history
from .spans import now, short_span
from .verb import Refused, select, verb

__all__ = ['run', 'start', 'stop', 'status']

# Seconds a run or start waits for group-cake to take the group's lock.
GROUP_DEADLINE = 30.0
# Seconds a run or start waits for another one to let go of the home.
HOME_DEADLINE = 60.0
POLL = 0.02

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
PR_SET_PDEATHSIG = 1


class home_lock(object):
    """Hold the home folder's own lock (flock on the folder) for a while."""

    def __init__(self, home):
        self.home = home
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.home.path, os.O_RDONLY)
        deadline = time.monotonic() + HOME_DEADLINE
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                    raise
            if time.monotonic() > deadline:
                os.close(self.fd)
                raise Refused('home "%s" is busy' % (self.home.path,),
                              'another run or start holds it')
            time.sleep(POLL)

    def __exit__(self, *exc):
        os.close(self.fd)


def _prepare(cli, patterns, main_role):
    """The home and the selected roles, or Refused saying why they cannot run."""
    home = cli.existing_home()
    if not home.role_names():
        raise Refused('nothing to run', 'home "%s" is empty' % (home.path,))
    names = select(home, patterns)
    if main_role is not None and main_role not in names:
        raise Refused('no main role "%s"' % (main_role,), 'not among the roles to run')
    live = home.running([GROUP_ROLE] + names)
    if live:
        raise Refused('already running', ', '.join(live))
    programs.check_settings(home, [GROUP_ROLE] + names)
    return home, names


def _group_argv(home, patterns, origin, main_role, debug_level):
    prefix, env = programs.group_cake_argv()
    argv = prefix + list(patterns) + [
        '--home-path=%s' % (home.path,), '--role-name=%s' % (GROUP_ROLE,),
        '--origin=%s' % (origin,), '--full-output']
    if debug_level is not None:
        argv.append('--debug-level=%s' % (debug_level.name,))
    if main_role is not None:
        argv.append('--main-role=%s' % (main_role,))
    return argv, env


def _wait_for_group(home, process, seconds=GROUP_DEADLINE):
    """True once group-cake holds the group lock, False when it ended first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        head = home.locked_head(GROUP_ROLE)
        if head is not None and head.pid == process.pid:
            return True
        time.sleep(POLL)
    return process.poll() is None


def _foreground_child():
    """In the child of run: its own process group (the terminal's Ctrl-C reaches the CLI,
    which passes it on once), and SIGINT should the CLI die."""
    os.setpgid(0, 0)
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)


def _load_libc():
    try:
        name = ctypes.util.find_library('c')
        libc = ctypes.CDLL(name, use_errno=True) if name else None
        return libc if libc is not None and hasattr(libc, 'prctl') else None
    except OSError:
        return None


_libc = _load_libc()


@verb(words='[<search>...]', most=None)
def run(cli, main_role: str = None):
    """Run the roles under group-cake in the foreground; Ctrl-C stops them all."""
    with home_lock(cli.existing_home()):
        home, _ = _prepare(cli, cli.words, main_role)
        argv, env = _group_argv(home, cli.words, 'RUN', main_role, cli.debug_level)
        process = None
        pending = []

        def forward(number, frame):
            if process is None:
                pending.append(number)
            else:
                _interrupt(process.pid)

        previous = {s: signal.signal(s, forward) for s in FORWARDED_SIGNALS}
        try:
            try:
                process = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.PIPE, env=env,
                                           preexec_fn=_foreground_child)
            except OSError as e:
                raise Refused('cannot run %s' % (programs.GROUP_CAKE_NAME,), str(e))
            if pending:
                _interrupt(process.pid)
            _wait_for_group(home, process)
        except BaseException:
            for s, h in previous.items():
                signal.signal(s, h)
            raise
    try:
        output = process.stdout.read()
        process.wait()
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    return programs.result_of(process.returncode, output, b'', programs.GROUP_CAKE_NAME)


def _interrupt(pid):
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        pass


@verb(words='[<search>...]', most=None)
def start(cli, main_role: str = None):
    """Start the roles under group-cake in the background and return at once."""
    with home_lock(cli.existing_home()):
        home, names = _prepare(cli, cli.words, main_role)
        argv, env = _group_argv(home, cli.words, 'START', main_role, None)
        output = tempfile.TemporaryFile()
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output,
                                       stderr=subprocess.DEVNULL, env=env,
                                       start_new_session=True)
        except OSError as e:
            raise Refused('cannot start %s' % (programs.GROUP_CAKE_NAME,), str(e))
        started = _wait_for_group(home, process)
    if not started:
        process.wait()
        output.seek(0)
        value = programs.result_of(process.returncode, output.read(), b'',
                                   programs.GROUP_CAKE_NAME)
        if isinstance(value, Faulted):
            return value
        raise Refused('%s ended at once' % (programs.GROUP_CAKE_NAME,),
                      'see "layer-cake returned group"')
    cli.write('%s <%d> started %d role%s in the background' % (
        programs.GROUP_CAKE_NAME, process.pid, len(names), '' if len(names) == 1 else 's'))
    # The group is on its own now; forget it without waiting.
    process.returncode = 0


@verb()
def stop(cli):
    """Interrupt the running group (or the parents of running roles)."""
    home = cli.existing_home()
    live = home.running()
    if not live:
        raise Refused('nothing running', 'in "%s"' % (home.path,))
    targets = set()
    if GROUP_ROLE in live:
        head = home.locked_head(GROUP_ROLE)
        if head is not None and head.pid:
            targets.add(head.pid)
    else:
        for name in live:
            head = home.locked_head(name)
            if head is not None and head.parent_pid:
                targets.add(head.parent_pid)
    targets.discard(os.getpid())
    targets.discard(1)
    targets.discard(0)
    if not targets:
        raise Refused('cannot stop', 'no process recorded in the locks of %s' % (
            ', '.join(live),))
    for pid in sorted(targets):
        _interrupt(pid)


@verb(words='[<search>...]', most=None)
def status(cli, long_listing: bool = False, group_role: bool = False, sub_roles: bool = False):
    """Print the running roles (and those the group gave up on); -ll adds pid
    and time since start."""
    home = cli.existing_home()
    names = select(home, cli.words, group_role, sub_roles)
    live = [(n, home.locked_head(n)) for n in names]
    live = [(n, h) for n, h in live if h is not None]
    given_up = home.given_up() if home.locked_head(GROUP_ROLE) is not None else {}
    down = [(n, given_up[n]) for n in names if n in given_up and
            all(n != name for name, _ in live)]
    if not live and not down:
        raise Refused('nothing running', 'in "%s"' % (home.path,))
    shown = sorted([(n, h, None) for n, h in live] + [(n, None, r) for n, r in down])
    for name, head, reason in shown:
        if reason is not None:
            cli.write('%-24s given up (%s)' % (name, reason) if long_listing else
                      '%s (given up: %s)' % (name, reason))
            continue
        if not long_listing:
            cli.write(name)
            continue
        try:
            history = read_history(home, name)
        except Refused:
            history = []
        elapsed = None
        if history and history[-1].start is not None:
            elapsed = (now() - history[-1].start).total_seconds()
        cli.write('%-24s <%s> %s' % (name, head.pid, short_span(elapsed)))
