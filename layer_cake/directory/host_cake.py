"""host-cake: the directory of one host (network.md §9.1).

::

    host-cake [--directory-at-host=<HostPort>] [--directory-at-lan=<HostPort>]
              [--directory-secret=<path>] [--encrypted-directory] [--debug-level=<level>]

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
``Faulted`` saying why.  With ``--encrypted-directory`` every link to it and
from it runs over mutual TLS (:mod:`.link_tls`; the key material of
``LC_TLS_FOLDER``).  With ``--directory-secret`` (or
``LAYER_CAKE_DIRECTORY_SECRET`` in its environment) every process, group and
lan-cake it talks to must prove the same secret (:mod:`.secret`).  host-cake
listens on a loopback address only: a ``--directory-at-host`` elsewhere is
refused (other machines reach a host's services through lan-cake).
"""

from ..runtime import engine
from ..runtime.messages import Faulted
from ..net.ipp import DIRECTORY_AT_HOST, HostPort, ScopeOfDirectory, is_loopback
from ..process.entry import create
from .link_tls import LinkTLSError, link_tls
from .secret import SecretError, configured_secret
from .tier import Tier
from .tier_cake import TierCake, bind_tier_cake

__all__ = ['HostCake', 'host_tier', 'main', 'security_refusal',
           'loopback_only', 'is_loopback']


def host_tier(directory_at_host=None, directory_at_lan=None, log=None, reactor=None,
              secret=None, tls=None):
    """The HOST tier host-cake runs: accepting at ``directory_at_host``, under lan-cake
    at ``directory_at_lan`` when given, else at the standard LAN address once a LAN
    listing appears (when there is one); ``secret`` guards every link, and with
    ``tls`` (a LinkTLS) every link runs over mutual TLS."""
    return Tier(ScopeOfDirectory.HOST, accept_at=directory_at_host or DIRECTORY_AT_HOST,
                connect_to=directory_at_lan, executable='host-cake', log=log,
                reactor=reactor, secret=secret, tls=tls)


def loopback_only(ipp):
    """Why host-cake will not accept at ``ipp`` (not loopback), or None."""
    if ipp is None or is_loopback(ipp.host):
        return None
    return ('host-cake accepts on a loopback address only, not "%s" (machines meet '
            'through lan-cake)' % (ipp,))


def security_refusal(cake, program):
    """Read ``cake.directory_secret`` into ``cake.secret`` and, with
    ``cake.encrypted_directory``, the TLS material into ``cake.tls``; a Faulted
    when either cannot be used, else None."""
    try:
        cake.secret = configured_secret(cake.directory_secret, warn=cake.warning)
        cake.tls = link_tls(cake.encrypted_directory, log=cake)
    except (SecretError, LinkTLSError) as e:
        return Faulted('cannot start %s' % (program,), str(e))
    return None


class HostCake(TierCake):
    """The main object of host-cake: run the HOST tier until stopped."""

    def __init__(self, directory_at_host: HostPort = None, directory_at_lan: HostPort = None,
                 encrypted_directory: bool = False, directory_secret: str = None):
        TierCake.__init__(self)
        self.directory_at_host = directory_at_host or DIRECTORY_AT_HOST
        self.directory_at_lan = directory_at_lan
        self.encrypted_directory = encrypted_directory
        self.directory_secret = directory_secret
        self.secret = None
        self.tls = None

    def make_tier(self):
        return host_tier(self.directory_at_host, self.directory_at_lan, log=self,
                         reactor=engine.reactor, secret=self.secret, tls=self.tls)

    def accept_address(self):
        return self.directory_at_host

    def refusal(self):
        why = loopback_only(self.directory_at_host)
        if why is not None:
            return Faulted('cannot start host-cake', why)
        return security_refusal(self, 'host-cake')


bind_tier_cake(HostCake, globals())


def main():
    """The host-cake console script."""
    create(HostCake)


if __name__ == '__main__':
    # Run the module's importable copy, so there is one HostCake, not two.
    from layer_cake.directory.host_cake import main as _main
    _main()
