"""Who owns a LAN name: the identity behind the child link that published it.

At the LAN node (lan-cake) a name belongs to the first publication of it,
and a later publication of the same name is refused (advised back).  In a
secured directory each child link of lan-cake stands for an identity:

* over mutual TLS (:mod:`.link_tls`), the certificate the child proved (the
  SHA-256 digest of its node certificate), its scope and its program: a
  host is known by the key only it holds, whatever address it sends from;
* with only a directory secret, the address the child connected from, its
  scope and its program (a host's host-cake, say).

A publication of a held name that arrives over *another* link of the *same*
identity is taken to be the same publisher come back -- the host restarted,
or its host-cake did, before lan-cake noticed the old link die -- and
reclaims the name at once: the old publication is dropped (its routes
withdrawn, its link advised) and the new one takes its place.  A link of any
other identity still cannot take over a live name.

Without a secret or TLS nothing here applies: the first publication keeps
its name until it is retracted or its link is lost, as before.

An identity from a secret is only as strong as the secret and the network
(every holder of the secret can claim any address it can send from); one
from a certificate is as strong as the certificate's key.
"""

from ..net.ipp import ScopeOfDirectory

__all__ = ['link_identity', 'reclaims']


def link_identity(origin):
    """(certificate digest, scope, program) of a child link over mutual TLS, else
    (peer host, scope, program) of a secret-authenticated one, else None."""
    tier = getattr(origin, 'tier', None)
    if tier is None or not getattr(origin, 'introduced', False):
        return None
    certificate = getattr(origin, 'peer_certificate', None)
    if certificate is not None:
        return ('certificate', certificate, origin.scope, origin.executable)
    if getattr(tier, 'secret', None) is None or getattr(origin, 'peer_host', None) is None:
        return None
    return ('address', origin.peer_host, origin.scope, origin.executable)


def reclaims(node_scope, held_origin, origin):
    """True when a publication arriving from ``origin`` at a node of ``node_scope``
    takes over a name held from ``held_origin``."""
    if node_scope is not ScopeOfDirectory.LAN:
        return False
    if origin is None or held_origin is None or origin is held_origin:
        return False
    identity = link_identity(origin)
    return identity is not None and identity == link_identity(held_origin)
