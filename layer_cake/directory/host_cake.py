"""host-cake: the directory of one host (network.md §9.1).

::

    host-cake [--directory-at-host=<HostPort>] [--directory-at-lan=<HostPort>]
              [--encrypted-directory] [--debug-level=<level>]

A HOST tier: the groups and stand-alone processes of this host connect to it
at ``--directory-at-host`` (default ``{"host": "127.0.0.1", "port": 54195}``)
and push their HOST and LAN listings; it matches them and sends route offers
back down.  Its own parent is lan-cake at ``--directory-at-lan`` when given
(there is no automatic LAN parent yet).  Addresses are HostPort values in
the JSON form every layer-cake flag of that type takes.

host-cake is an ordinary layer-cake program: ``lc.create`` runs its main
object, :class:`HostCake`, which runs a :class:`.tier.Tier` until Stop
(Ctrl-C, SIGINT, SIGTERM) ends it with ``Aborted``.  When the address cannot
be bound it ends at once with a ``Faulted`` saying why.  Encrypted directory
connections are not supported yet: ``--encrypted-directory`` is refused.
"""

from ..types import portable as P
from ..types import registry
from ..runtime import engine
from ..runtime.bind import bind
from ..runtime.messages import Aborted, Faulted, Start, Stop
from ..runtime.point import Point, Stateless
from ..net.ipp import DIRECTORY_AT_HOST, HostPort, ScopeOfDirectory
from ..process.entry import create
from .tier import Tier

__all__ = ['HostCake', 'host_tier', 'ENCRYPTION_NOT_SUPPORTED', 'main']

ENCRYPTION_NOT_SUPPORTED = 'an encrypted directory is not yet supported'


def host_tier(directory_at_host=None, directory_at_lan=None, log=None, reactor=None):
    """The HOST tier host-cake runs: accepting at ``directory_at_host``, under lan-cake
    at ``directory_at_lan`` when given."""
    return Tier(ScopeOfDirectory.HOST, accept_at=directory_at_host or DIRECTORY_AT_HOST,
                connect_to=directory_at_lan, executable='host-cake', log=log,
                reactor=reactor)


class DirectoryListening(object):
    """The tier accepts children at ``listening_ipp``."""

    def __init__(self, listening_ipp: HostPort = None):
        self.listening_ipp = listening_ipp


class DirectoryNotListening(object):
    """The tier cannot accept children; ``note`` says why."""

    def __init__(self, note: str = None):
        self.note = note


for _c in (DirectoryListening, DirectoryNotListening):
    registry.bind_message(_c, copy_before_sending=False, message_trail=False)
del _c


class HostCake(Point, Stateless):
    """The main object of host-cake: run the HOST tier until stopped."""

    def __init__(self, directory_at_host: HostPort = None, directory_at_lan: HostPort = None,
                 encrypted_directory: bool = False):
        Point.__init__(self)
        Stateless.__init__(self)
        self.directory_at_host = directory_at_host or DIRECTORY_AT_HOST
        self.directory_at_lan = directory_at_lan
        self.encrypted_directory = encrypted_directory
        self.tier = None

    def _listening(self, ipp):
        self.send(DirectoryListening(ipp), self.object_address)

    def _not_listening(self, failure):
        self.send(DirectoryNotListening(failure.getErrorMessage()), self.object_address)

    def _stop_tier(self):
        tier, self.tier = self.tier, None
        if tier is not None and tier.running:
            tier.stopService()


def HostCake_Start(self, message):
    if self.encrypted_directory:
        self.complete(Faulted('cannot start host-cake', ENCRYPTION_NOT_SUPPORTED))
    self.tier = host_tier(self.directory_at_host, self.directory_at_lan, log=self,
                          reactor=engine.reactor)
    self.tier.startService()
    self.tier.when_listening().addCallbacks(self._listening, self._not_listening)


def HostCake_DirectoryListening(self, message):
    pass


def HostCake_DirectoryNotListening(self, message):
    self._stop_tier()
    self.complete(Faulted('cannot accept directories at "%s"' % (self.directory_at_host,),
                          message.note))


def HostCake_Stop(self, message):
    self._stop_tier()
    self.complete(Aborted())


bind(HostCake, (Start, Stop, DirectoryListening, DirectoryNotListening), return_type=P.Any())


def main():
    """The host-cake console script."""
    create(HostCake)


if __name__ == '__main__':
    # Run the module's importable copy, so there is one HostCake, not two.
    from layer_cake.directory.host_cake import main as _main
    _main()
