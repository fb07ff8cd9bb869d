"""Tiers and the nodes waiting for them meet in a folder of this host (network.md §8.6).

A node that cannot reach its parent tries again on the schedule of §8.6,
every 8 s or so when the parent is on this host's loopback, so a host-cake
started in between is found up to 8 s late.  To close that gap without
polling, a tier that begins to accept children at a fixed address of this
host says so in a folder every process of the host can see, and the nodes
waiting for that address try at once:

* the tier creates, and at once removes, a file named after the address
  (``127.0.0.1-54195.<random>``) in the rendezvous folder (:func:`announce`);
* a waiting node watches the folder with inotify and hears of any file
  made, touched or written there under its parent's name (``127.0.0.1-54195``,
  alone or with a ``.`` suffix; or ``0.0.0.0-54195``, since a tier listening
  on every address accepts on the loopback too) (:func:`watch`).

The folder is ``$LC_RENDEZVOUS_FOLDER``, else ``layer-cake-directories`` in
the temporary folder (``tempfile.gettempdir()``: programs with different
``$TMPDIR`` do not meet), made world-writable and sticky like ``/tmp`` so
that the programs of every user meet there.  An announcement is a file of its own
(``mkstemp``: never another user's file, never a planted link), removed at
once, so nothing is left behind.

What the folder says is a hint and nothing more: anybody can make files in
it, and all a file does is bring a waiting node's next attempt forward.
Where there is no inotify (not Linux; a clock without file descriptors in
tests) or the folder cannot be used, nothing is watched or announced, a
TRACE line says why, and the schedule alone applies.  Each watch holds an
inotify instance (by default a user has 128) only while its node waits.
"""

import os
import tempfile

from twisted.internet.interfaces import IReactorFDSet
from twisted.python.filepath import FilePath

from ..net.ipp import LOCAL_HOST, is_loopback

__all__ = ['FOLDER_VARIABLE', 'FOLDER_NAME', 'folder', 'announce', 'announces', 'watch',
           'Watch']

FOLDER_VARIABLE = 'LC_RENDEZVOUS_FOLDER'
FOLDER_NAME = 'layer-cake-directories'

_EVERY = '0.0.0.0'


def folder():
    """The rendezvous folder of this host (it need not exist yet)."""
    return os.environ.get(FOLDER_VARIABLE) or os.path.join(tempfile.gettempdir(), FOLDER_NAME)


def _name(host, port):
    return '%s-%d' % (LOCAL_HOST if host == 'localhost' else host, port)


def announces(name, address):
    """True when a file called ``name`` (bytes) in the folder announces ``address``."""
    for host in (address.host, _EVERY):
        base = os.fsencode(_name(host, address.port))
        if name == base or name.startswith(base + b'.'):
            return True
    return False


def _make(where):
    """Make the folder, open to every user like /tmp, unless it is there already."""
    try:
        os.mkdir(where, 0o1777)
    except FileExistsError:
        return
    os.chmod(where, 0o1777)


def _trace(log, text):
    if log is not None:
        log.trace(text)


def announce(address, log=None):
    """Tell the nodes of this host that a tier now accepts children at ``address``.

    Only addresses a node could be waiting for are told: a fixed port on a
    loopback address or on every address.  True when told.
    """
    if not address.port:
        return False
    host = address.host
    if host in (None, '', _EVERY):
        host = _EVERY
    elif not is_loopback(host):
        return False
    where = folder()
    try:
        _make(where)
        fd, path = tempfile.mkstemp(prefix=_name(host, address.port) + '.', dir=where)
        os.close(fd)
        os.unlink(path)
    except OSError as e:
        _trace(log, 'Cannot announce %s in %s (%s)' % (address, where, e))
        return False
    return True


class Watch(object):
    """Calls ``hint()`` when a file named after ``address`` is made or touched in the
    rendezvous folder ``where``.  The events of one read make one call, on the
    next turn of ``reactor``.  If the folder is removed, it is made and watched anew.
    """

    def __init__(self, address, hint, reactor, log=None, where=None):
        self.address = address
        self.hint = hint
        self.reactor = reactor
        self.log = log
        self.where = where or folder()
        self._inotify = None
        self._notifier = None
        self._hinting = None            # the call of hint() to come
        self._renewing = None           # the call of _renew() to come
        self.stopped = False

    def start(self, inotify):
        """Watch, with the module ``twisted.internet.inotify``; raises OSError or
        ``inotify.INotifyError`` when it cannot."""
        self._inotify = inotify
        _make(self.where)
        notifier = inotify.INotify(self.reactor)
        mask = (inotify.IN_CREATE | inotify.IN_MOVED_TO | inotify.IN_ATTRIB
                | inotify.IN_MODIFY | inotify.IN_CLOSE_WRITE | inotify.IN_ONLYDIR)
        try:
            notifier.watch(FilePath(self.where), mask=mask, callbacks=[self._event])
        except BaseException:
            notifier.loseConnection()
            raise
        notifier.startReading()
        self._notifier = notifier

    def stop(self):
        """Watch no more."""
        self.stopped = True
        for call in (self._hinting, self._renewing):
            if call is not None and call.active():
                call.cancel()
        self._hinting = self._renewing = None
        notifier, self._notifier = self._notifier, None
        if notifier is not None:
            notifier.loseConnection()

    def _event(self, ignored, path, mask):
        inotify = self._inotify
        if mask & (inotify.IN_DELETE_SELF | inotify.IN_MOVE_SELF):
            if self._renewing is None:
                self._renewing = self.reactor.callLater(0, self._renew)
            return
        if not announces(path.basename(), self.address):
            return
        if self._hinting is None:
            self._hinting = self.reactor.callLater(0, self._hint)

    def _hint(self):
        self._hinting = None
        if not self.stopped:
            self.hint()

    def _renew(self):
        self._renewing = None
        if self.stopped:
            return
        notifier, self._notifier = self._notifier, None
        if notifier is not None:
            notifier.loseConnection()
        try:
            self.start(self._inotify)
        except (OSError, self._inotify.INotifyError) as e:
            _trace(self.log, 'Cannot watch %s any longer (%s)' % (self.where, e))


def watch(address, hint, reactor=None, log=None):
    """Call ``hint()`` whenever a tier announces ``address`` on this host.

    Returns the :class:`Watch` (``stop()`` it), or None when ``address`` is
    not on the loopback, when ``reactor`` reads no file descriptors (a test's
    clock), or when nothing can be watched here.
    """
    if not address.port or not is_loopback(address.host):
        return None
    if reactor is None:
        from twisted.internet import reactor
    if not IReactorFDSet.providedBy(reactor):
        return None
    w = Watch(address, hint, reactor, log)
    try:
        from twisted.internet import inotify
        w.start(inotify)
    except ImportError as e:
        _trace(log, 'Cannot watch for the directory at %s (no inotify: %s)' % (address, e))
        return None
    except (OSError, inotify.INotifyError) as e:
        _trace(log, 'Cannot watch for the directory at %s in %s (%s)' % (address, w.where, e))
        return None
    return w
