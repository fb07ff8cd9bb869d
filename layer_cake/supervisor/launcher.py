"""Warm starts: roles forked from a process that has already imported everything.

Starting a Python program that imports Twisted costs a few hundred
milliseconds of CPU before it does anything, and a group starts many.  So
group-cake, while it is still single-threaded and before its reactor runs,
forks a *launcher*: a small loop holding every module group-cake itself
imported.  To start a role written in Python, group-cake sends the launcher
the role's command line, environment and folder, and the descriptors for its
stdout and control pipes (over a Unix socket, ``SCM_RIGHTS``); the launcher
forks, and the new process sets itself up as that program would have been
set up by ``exec`` -- descriptors, folder, environment, ``sys.argv``,
``sys.path`` -- and runs the script as ``__main__``.

The launcher reaps its children and reports each exit status back, so
group-cake sees a role through :class:`WarmProcess`, a transport shaped like
Twisted's own process transport: the same ProcessProtocol works either way.
A role whose program is not a Python script (or when there is no launcher)
is started with ``spawnProcess`` as before.

No orphans, as before: every role's lifeline is its control pipe from
group-cake, and the launcher ends when group-cake's socket closes.
"""

import array
import atexit
import importlib
import json
import os
import select
import signal
import socket
import sys
import time

from twisted.internet import error as E
from twisted.internet import process as twisted_process
from twisted.python import failure

__all__ = ['Launcher', 'WarmProcess', 'forkable']

# The biggest request or event (a command line and an environment).
MESSAGE_LIMIT = 1 << 20

# What every role imports as it starts and group-cake has not imported by the
# time it forks the launcher: the modules of the platform's reactor (a module
# only: each role makes its own reactor), and what the runtime imports lazily
# and a role uses -- its process directory, its link to group-cake over the
# control pipes, framed connections.  The launcher imports them once, so that
# each role finds them already there, in memory shared with its siblings.
ROLE_MODULES = ('twisted.internet.default', 'layer_cake.directory.process_directory',
                'layer_cake.process.parent_link', 'layer_cake.net.factories')


def forkable(argv):
    """True when ``argv`` runs a Python script with this interpreter."""
    return (len(argv) >= 2 and argv[0] == sys.executable and argv[1].endswith('.py')
            and os.path.isfile(argv[1]))


def _send(sock, message, fds=()):
    data = json.dumps(message).encode('utf-8')
    if fds:
        sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', fds))])
    else:
        sock.sendall(data)


def _receive(sock, max_fds=0):
    """(message or None at end of stream, [fds])."""
    size = socket.CMSG_SPACE(max_fds * array.array('i').itemsize) if max_fds else 0
    data, ancillary, _, _ = sock.recvmsg(MESSAGE_LIMIT, size)
    fds = array.array('i')
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - (len(payload) % fds.itemsize)])
    if not data:
        return None, list(fds)
    return json.loads(data.decode('utf-8')), list(fds)


# The launcher's side (a forked copy of group-cake, single-threaded).

def _serve(sock):
    """Fork a process per request until group-cake goes away; report every exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)        # Ctrl-C is group-cake's to handle
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    os.set_blocking(wake_read, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)                 # never hold group-cake's stdout open
    os.close(devnull)
    # Nor anything else of group-cake's (its pipes to its own parent, say).
    keep = {0, 1, 2, sock.fileno(), wake_read, wake_write}
    for fd in range(3, max(keep) + 1):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    os.closerange(max(keep) + 1, _descriptor_limit())
    original_path = list(sys.path)
    _import_role_modules()
    while True:
        try:
            ready, _, _ = select.select([sock, wake_read], [], [])
        except InterruptedError:
            continue
        if wake_read in ready:
            try:
                while os.read(wake_read, 512):
                    pass
            except BlockingIOError:
                pass
        _reap(sock)
        if sock in ready:
            try:
                request, fds = _receive(sock, 8)
            except (OSError, ValueError):
                break
            if request is None:
                break
            try:
                pid = os.fork()
            except OSError as e:
                for fd in fds:
                    os.close(fd)
                _send(sock, {'spawned': request['id'], 'error': str(e)})
                continue
            if pid == 0:
                sock.close()
                os.close(wake_read)
                os.close(wake_write)
                _become(request, fds, original_path)       # never returns
            for fd in fds:
                os.close(fd)
            _send(sock, {'spawned': request['id'], 'pid': pid})
    os._exit(0)


def _reap(sock):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        try:
            _send(sock, {'exited': pid, 'status': status})
        except OSError:
            pass


def _import_role_modules():
    for name in ROLE_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass                # the role will say what is missing, when it needs it


def _become(request, fds, original_path):
    """Turn this fork into the program ``request`` describes, run it, exit."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for name in ('SIGCHLD', 'SIGTERM', 'SIGHUP', 'SIGQUIT'):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        # Descriptors: move what arrived above the targets, then into place.
        targets = request['fds']
        high = [os.dup(fd) for fd in fds]
        for fd in fds:
            os.close(fd)
        for target, fd in zip(targets, high):
            os.dup2(fd, target)
            os.close(fd)
        keep = set([0, 1, 2] + list(targets))
        os.closerange(max(keep) + 1, _descriptor_limit())
        for fd in range(3, max(keep) + 1):
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        os.chdir(request['path'] or os.getcwd())
        env = request['env']
        os.environ.clear()
        os.environ.update(env)
        argv = request['argv']
        script = os.path.abspath(argv[1])
        sys.argv = [script] + list(argv[2:])
        _name_process(os.path.basename(script))
        inherited = [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]
        zygote_pythonpath = set(request.get('zygote_pythonpath', []))
        base = [p for p in original_path[1:] if p not in zygote_pythonpath]
        sys.path[:] = [os.path.dirname(script)] + inherited + base
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        import runpy
        try:
            runpy.run_path(script, run_name='__main__')
            code = 0
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                print(e.code, file=sys.stderr)
                code = 1
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        try:
            atexit._run_exitfuncs()
        except BaseException:
            pass
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(code)


def _name_process(name):
    """Show the script's name in ps and top (the command line stays group-cake's)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, name.encode('utf-8')[:15], 0, 0, 0)     # PR_SET_NAME
    except Exception:
        pass


def _descriptor_limit():
    try:
        return os.sysconf('SC_OPEN_MAX')
    except (ValueError, OSError):
        return 1024


# group-cake's side.

class Launcher(object):
    """group-cake's end of the launcher: spawns roles, hears of their ends."""

    def __init__(self, sock, pid):
        self.sock = sock
        self.pid = pid
        self.running = {}           # pid -> WarmProcess
        self.lost = False
        self._next_id = 0
        self._early = {}            # pid -> status, an exit heard before its spawn reply
        self.reactor = None

    @classmethod
    def fork(cls):
        """Fork the launcher now (call while single-threaded); None when it cannot."""
        try:
            parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        except OSError:
            return None
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        try:
            pid = os.fork()
        except OSError:
            parent.close()
            child.close()
            return None
        if pid == 0:
            parent.close()
            try:
                _serve(child)
            finally:
                os._exit(0)
        child.close()
        return cls(parent, pid)

    # The reactor watches the socket for exits (IReadDescriptor).

    def attach(self, reactor):
        if self.reactor is None:
            self.reactor = reactor
            reactor.addReader(self)

    def fileno(self):
        return self.sock.fileno() if not self.lost else -1

    def logPrefix(self):
        return 'launcher'

    def doRead(self):
        try:
            message, fds = _receive(self.sock)
        except BlockingIOError:
            return
        except OSError:
            message, fds = None, []
        for fd in fds:
            os.close(fd)
        if message is None:
            self._lose()
            return
        self._event(message)

    def connectionLost(self, reason):
        self._lose()

    def _event(self, message):
        if 'exited' in message:
            pid, status = message['exited'], message['status']
            proc = self.running.pop(pid, None)
            if proc is None:
                self._early[pid] = status
            else:
                proc.exited(status)

    def _lose(self):
        if self.lost:
            return
        self.lost = True
        if self.reactor is not None:
            self.reactor.removeReader(self)
        try:
            self.sock.close()
        except OSError:
            pass
        for proc in list(self.running.values()):
            proc.launcher_lost()
        self.running.clear()

    def close(self, seconds=2.0):
        """Let the launcher end (group-cake is ending) and wait for it to go."""
        self._lose()
        deadline = time.monotonic() + seconds
        while True:
            try:
                pid, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return
            if pid:
                return
            if time.monotonic() >= deadline:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
                except (OSError, ChildProcessError):
                    pass
                return
            time.sleep(0.005)

    # Spawning.

    def spawn(self, reactor, protocol, argv, env, path=None):
        """A WarmProcess running ``argv`` for ``protocol``, or None (use spawnProcess)."""
        if self.lost or not forkable(argv):
            return None
        self.attach(reactor)
        out_r, out_w = os.pipe()
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        self._next_id += 1
        request = {'id': self._next_id, 'argv': list(argv), 'env': dict(env or os.environ),
                   'path': path, 'fds': [1, 3, 4],
                   'zygote_pythonpath': [p for p in os.environ.get('PYTHONPATH', '').split(
                       os.pathsep) if p]}
        try:
            _send(self.sock, request, [out_w, to_r, from_w])
            pid = self._spawned(self._next_id)
        except (OSError, ValueError) as e:
            for fd in (out_r, to_w, from_r):
                os.close(fd)
            pid = None
            error = str(e)
        finally:
            for fd in (out_w, to_r, from_w):
                os.close(fd)
        if pid is None or isinstance(pid, str):
            if pid is not None:
                for fd in (out_r, to_w, from_r):
                    os.close(fd)
                error = pid
            raise OSError('cannot start %s (%s)' % (argv[1], error))
        proc = WarmProcess(reactor, self, protocol, pid, out_r, from_r, to_w)
        status = self._early.pop(pid, None)
        if status is None:
            self.running[pid] = proc
        protocol.makeConnection(proc)
        proc.start_reading()
        if status is not None:
            proc.exited(status)
        return proc

    def _spawned(self, request_id):
        """Wait (briefly: one fork) for the launcher's answer; exits heard meanwhile are kept."""
        self.sock.setblocking(True)
        try:
            while True:
                message, fds = _receive(self.sock)
                for fd in fds:
                    os.close(fd)
                if message is None:
                    raise OSError('the launcher has gone')
                if message.get('spawned') == request_id:
                    return message.get('pid') or message.get('error', 'no pid')
                self._event(message)
        finally:
            self.sock.setblocking(False)


class WarmProcess(object):
    """A forked role as its ProcessProtocol sees it (the shape of Twisted's Process)."""

    def __init__(self, reactor, launcher, protocol, pid, out_fd, from_fd, to_fd):
        self.reactor = reactor
        self.launcher = launcher
        self.proto = protocol
        self.pid = pid
        self.status = None
        self.lostProcess = False
        self.pipes = {}
        self._fds = (out_fd, from_fd)
        self._lifeline = to_fd          # TO_CHILD: held open while the role runs
        self._ended = False

    def start_reading(self):
        out_fd, from_fd = self._fds
        self.pipes[1] = twisted_process.ProcessReader(self.reactor, self, 1, out_fd)
        self.pipes[4] = twisted_process.ProcessReader(self.reactor, self, 4, from_fd)

    # What ProcessReader calls.

    def childDataReceived(self, name, data):
        self.proto.childDataReceived(name, data)

    def childConnectionLost(self, childFD, reason):
        pipe = self.pipes.pop(childFD, None)
        if pipe is not None:
            try:
                os.close(pipe.fileno())
            except (OSError, ValueError):
                pass
        self.proto.childConnectionLost(childFD)
        self._maybe_ended()

    # What the protocol calls.

    def signalProcess(self, name):
        if self.lostProcess:
            raise E.ProcessExitedAlready()
        number = getattr(signal, 'SIG%s' % (name,), None) if isinstance(name, str) else name
        try:
            os.kill(self.pid, number)
        except ProcessLookupError:
            raise E.ProcessExitedAlready()

    def reapProcess(self):
        """The launcher reaps; nothing to do here."""

    def loseConnection(self):
        for pipe in list(self.pipes.values()):
            pipe.loseConnection()

    # What the launcher reports.

    def exited(self, status):
        self.status = status
        self.lostProcess = True
        self._maybe_ended()

    def launcher_lost(self):
        """No exit status will come: wait for the process to go, by its pid."""
        self._poll_gone()

    def _poll_gone(self):
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            self.exited(None)
            return
        except PermissionError:
            pass
        self.reactor.callLater(0.1, self._poll_gone)

    def _maybe_ended(self):
        if self._ended or not self.lostProcess or self.pipes:
            return
        self._ended = True
        if self._lifeline is not None:
            try:
                os.close(self._lifeline)
            except OSError:
                pass
            self._lifeline = None
        self.proto.processEnded(failure.Failure(_reason(self.status)))


def _reason(status):
    if status is None:
        return E.ProcessTerminated(exitCode=None, status=None)
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        if code == 0:
            return E.ProcessDone(status)
        return E.ProcessTerminated(exitCode=code, status=status)
    if os.WIFSIGNALED(status):
        return E.ProcessTerminated(signal=os.WTERMSIG(status), status=status)
    return E.ProcessTerminated(exitCode=None, status=status)
