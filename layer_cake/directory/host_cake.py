"""host-cake: the directory of one host (network.md §9.1).

::

    host-cake [--directory-at-host=<HostPort>] [--directory-at-lan=<HostPort>]
              [--encrypted-directory] [--debug-level=<level>]

A HOST tier: the groups and stand-alone processes of this host connect to it
at ``--directory-at-host`` (default ``{"host": "127.0.0.1", "port": 54195}``)
and push their HOST and LAN listings; it matches them and sends route offers
back down.  Its own parent is lan-cake at ``--directory-at-lan`` when given;
otherwise, the first time it holds a LAN listing, it connects to the
standard LAN address when this host's primary IP gives one (:mod:`.lan`;
``LC_DIRECTORY_AT_LAN`` in its environment overrides that).  Addresses are
HostPort values in the JSON form every layer-cake flag of that type takes.

host-cake is an ordinary layer-cake program: ``lc.create`` runs its main
object, :class:`HostCake`, a :class:`.tier_cake.TierCake` that runs a
:class:`.tier.Tier` until Stop (Ctrl-C, SIGINT, SIGTERM) ends it with
``Aborted``.  When the address cannot be bound it ends at once with a
``Faulted`` saying why.  Encrypted directory connections are not supported
yet: ``--encrypted-directory`` is refused.
"""

from ..runtime import engine
from ..runtime.messages import Faulted
from ..net.ipp import DIRECTORY_AT_HOST, HostPort, ScopeOfDirectory
from ..process.entry import create
from .tier import Tier
from .tier_cake import TierCake, bind_tier_cake

__all__ = ['HostCake', 'host_tier', 'ENCRYPTION_NOT_SUPPORTED', 'main']

ENCRYPTION_NOT_SUPPORTED = 'an encrypted directory is not yet supported'


def host_tier(directory_at_host=None, directory_at_lan=None, log=None, reactor=None):
    """The HOST tier host-cake runs: accepting at ``directory_at_host``, under lan-cake
    at ``directory_at_lan`` when given, else at the standard LAN address once a LAN
    listing appears (when there is one)."""
    return Tier(ScopeOfDirectory.HOST, accept_at=directory_at_host or DIRECTORY_AT_HOST,
                connect_to=directory_at_lan, executable='host-cake', log=log,
                reactor=reactor)


class HostCake(TierCake):
    """The main object of host-cake: run the HOST tier until stopped."""

    def __init__(self, directory_at_host: HostPort = None, directory_at_lan: HostPort = None,
                 encrypted_directory: bool = False):
        TierCake.__init__(self)
        self.directory_at_host = directory_at_host or DIRECTORY_AT_HOST
        self.directory_at_lan = directory_at_lan
        self.encrypted_directory = encrypted_directory

    def make_tier(self):
        return host_tier(self.directory_at_host, self.directory_at_lan, log=self,
                         reactor=engine.reactor)

    def accept_address(self):
        return self.directory_at_host

    def refusal(self):
        if self.encrypted_directory:
            return Faulted('cannot start host-cake', ENCRYPTION_NOT_SUPPORTED)
        return None


bind_tier_cake(HostCake, globals())


def main():
    """The host-cake console script."""
    create(HostCake)


if __name__ == '__main__':
    # Run the module's importable copy, so there is one HostCake, not two.
    from layer_cake.directory.host_cake import main as _main
    _main()
