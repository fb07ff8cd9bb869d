"""lan-cake: the directory of a local network, the root of the tree (network.md §9.2).

::

    lan-cake [--directory-at-lan=<HostPort>] [--directory-secret=<path>]
             [--encrypted-directory] [--debug-level=<level>]

A LAN tier: the host-cakes (and any group or process pointed at it) of the
network connect to it at ``--directory-at-lan`` (default
``{"host": "0.0.0.0", "port": 54195}``, every address of this host) and push
their LAN listings; it matches them and sends route offers back down, with
each publication's listener given at the address its host-cake connected
from.  It has no parent and never guesses an address of its own.

Placed on the host that holds the standard LAN address (``10.0.0.195``,
``172.16.0.195`` or ``192.168.0.195``, see :mod:`.lan`), it is found by
every host-cake of the network without configuration.  Elsewhere, host-cakes
need ``--directory-at-lan`` and applications ``--connect-to-directory``.

lan-cake runs like host-cake (:class:`.tier_cake.TierCake`): until Stop
(Ctrl-C, SIGINT, SIGTERM) ends it with ``Aborted``, or at once with a
``Faulted`` when the address cannot be bound.  With ``--directory-secret``
(or ``LAYER_CAKE_DIRECTORY_SECRET`` in its environment) every host-cake, group
or process that connects must prove the same secret (:mod:`.secret`); with
``--encrypted-directory`` every link runs over mutual TLS (:mod:`.link_tls`),
and lan-cake's certificate must name the address host-cakes dial.
"""

from ..runtime import engine
from ..net.ipp import DIRECTORY_PORT, HostPort, ScopeOfDirectory
from ..process.entry import create
from .host_cake import security_refusal
from .tier import Tier
from .tier_cake import TierCake, bind_tier_cake

__all__ = ['LanCake', 'lan_tier', 'LAN_ACCEPT_AT', 'main']

# Where lan-cake accepts host-cakes unless told: every address of its host.
LAN_ACCEPT_AT = HostPort('0.0.0.0', DIRECTORY_PORT)


def lan_tier(directory_at_lan=None, log=None, reactor=None, secret=None, tls=None):
    """The LAN tier lan-cake runs: accepting at ``directory_at_lan``, with no parent;
    ``secret`` guards every link, and with ``tls`` (a LinkTLS) every link runs
    over mutual TLS."""
    return Tier(ScopeOfDirectory.LAN, accept_at=directory_at_lan or LAN_ACCEPT_AT,
                auto_parent=None, executable='lan-cake', log=log, reactor=reactor,
                secret=secret, tls=tls)


class LanCake(TierCake):
    """The main object of lan-cake: run the LAN tier until stopped."""

    def __init__(self, directory_at_lan: HostPort = None, directory_secret: str = None,
                 encrypted_directory: bool = False):
        TierCake.__init__(self)
        self.directory_at_lan = directory_at_lan or LAN_ACCEPT_AT
        self.directory_secret = directory_secret
        self.encrypted_directory = encrypted_directory
        self.secret = None
        self.tls = None

    def make_tier(self):
        return lan_tier(self.directory_at_lan, log=self, reactor=engine.reactor,
                        secret=self.secret, tls=self.tls)

    def refusal(self):
        return security_refusal(self, 'lan-cake')

    def accept_address(self):
        return self.directory_at_lan


bind_tier_cake(LanCake, globals())


def main():
    """The lan-cake console script."""
    create(LanCake)
