"""One directory per process, started and ended with the runtime.

The runtime's add-on list (:func:`layer_cake.runtime.start.add_on`) starts
:class:`DirectoryAddOn` with every start-up: it creates the
:class:`.process_directory.ProcessDirectory` as a child of the root, and
``directory_address()`` is where ``lc.publish`` and friends send.

The directory's machinery (:mod:`.process_directory`, :mod:`.tier`, AMP,
Twisted's endpoints and TLS) is imported at start-up, not with this module:
``import layer_cake`` stays light for programs that never run the runtime.
"""

import os

from ..net.ipp import ScopeOfDirectory
from ..process import command_line as C
from ..process import process_object
from ..runtime import address as A
from ..runtime import engine
from ..runtime import point
from ..runtime import start
from ..types.errors import PointConstructionError

__all__ = ['DirectoryAddOn', 'directory_address', 'process_directory', 'AUTO_PARENT',
           'STANDARD']

# Where a process's directory looks for its parent when it has not been told
# (--connect-to-directory): STANDARD, the standard place for its scope
# (host-cake at 127.0.0.1:54195).  Tests point it at their own host-cake, or
# at None.
STANDARD = 'standard'
AUTO_PARENT = STANDARD


class DirectoryAddOn(object):
    """Creates this process's directory at start-up and removes it at tear-down."""

    def __init__(self):
        self.directory = None

    def start(self):
        from .process_directory import ProcessDirectory
        from .tier import STANDARD_PARENT
        self.directory = None
        if self._owner_ended not in point.end_watchers:
            point.end_watchers.append(self._owner_ended)
        connect_to = getattr(C.CL, 'connect_to_directory', None)
        if connect_to is not None and not connect_to.port:
            connect_to = None
        auto_parent = STANDARD_PARENT if AUTO_PARENT is STANDARD else AUTO_PARENT
        scope = getattr(C.CL, 'directory_scope', None)
        if scope is not ScopeOfDirectory.LIBRARY:
            scope = ScopeOfDirectory.PROCESS
        try:
            tls = _tls()
        except _NoTLS:
            tls, connect_to, auto_parent = None, None, None
        address = point.create_object(start.root(), ProcessDirectory, (),
                                      {'connect_to': connect_to, 'auto_parent': auto_parent,
                                       'scope': scope, 'secret': _secret(), 'tls': tls})
        self.directory = A.objects.get(address[-1])

    def stop(self):
        d, self.directory = self.directory, None
        if d is not None and d._alive:
            d._alive = False
            A.remove(d.object_address[-1])
            engine.call(d.tier.stopService)

    def _owner_ended(self, address):
        d = self.directory
        if d is not None and d._alive:
            d.owner_ended(address)


def _secret():
    """The directory secret LAYER_CAKE_DIRECTORY_SECRET names (None: no secret).  One
    that cannot be read is logged and replaced by a key no peer has, so a secured
    directory refuses this process rather than it running unsecured."""
    from .secret import DirectorySecret, SecretError, secret_from_environment
    from .tier_protocol import RuntimeLog
    log = RuntimeLog('DirectorySecret')
    try:
        return secret_from_environment(warn=log.warning)
    except SecretError as e:
        log.fault(str(e))
        return DirectorySecret(os.urandom(32), '(unreadable: %s)' % (e,))


class _NoTLS(Exception):
    """An ``--encrypted-process`` that cannot have TLS (the fault is logged)."""


def _tls():
    """The LinkTLS of an ``--encrypted-process`` (None otherwise).  _NoTLS, after a
    logged fault, when it cannot be had: the process then keeps its directory
    to itself rather than join an encrypted tree in clear."""
    if not getattr(C.CL, 'encrypted_process', False):
        return None
    from .link_tls import LinkTLSError, link_tls
    from .tier_protocol import RuntimeLog
    log = RuntimeLog('DirectoryTLS')
    try:
        return link_tls(True, log=log)
    except LinkTLSError as e:
        log.fault('%s; this process joins no directory beyond itself' % (e,))
        raise _NoTLS()


_add_on = DirectoryAddOn()
start.add_on(_add_on)


def _directory_for_children():
    d = _add_on.directory
    return d.object_address if d is not None and d._alive else None


# A library child started by ProcessObject gets a node of its own under this one.
process_object.child_directory = _directory_for_children


def process_directory():
    """The ProcessDirectory object of this process (None when the runtime is not running)."""
    return _add_on.directory


def directory_address():
    d = _add_on.directory
    if d is None:
        raise PointConstructionError('the runtime is not running (no directory)')
    return d.object_address
