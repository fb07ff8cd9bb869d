"""Mutual TLS on directory links (network.md §8.6, "Encryption of directory
connections").

An encrypted directory (``--encrypted-directory`` on host-cake, lan-cake and
group-cake, ``--encrypted-process`` on processes) runs every link between
its nodes over TLS with a certificate at both ends:

* the end that accepts presents its node certificate and requires one from
  the connecting end; both must be issued by a CA in ``ca.pem``;
* the end that connects checks, with ``service_identity``, that the
  accepting end's certificate names the address it dialled (lan-cake's must
  name its ``.195`` address, host-cake's ``127.0.0.1``).

The key material is the folder of :mod:`..net.tls` (``$LC_TLS_FOLDER``, else
``~/.layer-cake-tls``).  A folder that is empty gets a CA and a node
certificate of its own, valid for this host's names and primary address;
hosts that must trust each other share a CA (see doc/deployment.rst).

Nothing of the carried protocol runs before the peer is verified: a link
whose handshake fails never reaches the tier, and both ends log why
(untrusted certificate, a certificate that does not name the address,
no certificate, no handshake in time).  TLS goes outside the shared-secret
handshake (:mod:`.secret`) when a directory has both.

pyOpenSSL is the ``tls`` extra: without it an encrypted directory cannot
start, and :func:`link_tls` says so.
"""

from ..net.listen_connect import tls_module
from .introspect import primary_ip

__all__ = ['LinkTLS', 'LinkTLSError', 'link_tls']

NO_TLS = 'an encrypted directory needs pyOpenSSL (pip install "layer-cake-twisted[tls]")'


class LinkTLSError(Exception):
    """The directory cannot be encrypted here; the text says why."""


class LinkTLS(object):
    """Wraps the factories of one node's links in mutual TLS.

    ``log`` takes ``warning``/``trace``.  Each wrap is given the reactor of
    the tier it is for (the runtime may run a private one), which runs the
    TLS layer's timed calls.
    """

    def __init__(self, material, log=None):
        self.material = material
        self.log = log

    def __repr__(self):
        return 'LinkTLS(%s)' % (self.material.folder,)

    def accepting(self, factory, reactor):
        """``factory`` for accepting children: each child proves a certificate of
        our CA before its link begins."""
        from ..net import tls
        options = tls.server_options(self.material, require_client_certificate=True)
        inner = tls.verified_factory(factory, on_refused=self._refused_child)
        return tls.TLSFactory(options, False, inner, reactor)

    def connecting(self, factory, host, reactor, on_refused=None):
        """``factory`` for connecting to a parent at ``host``: the parent must
        prove a certificate of our CA that names ``host``; ``on_refused(text)``
        hears each handshake that failed."""
        from ..net import tls
        options = tls.client_options(host, self.material)

        def refused(text, peer):
            self._warn('Cannot use the directory at %s (%s)' % (peer, text))
            if on_refused is not None:
                on_refused(text)
        inner = tls.verified_factory(factory, on_refused=refused)
        return tls.TLSFactory(options, True, inner, reactor)

    def peer_digest(self, transport):
        """The SHA-256 digest (text) of the certificate the peer of ``transport`` (a
        verified link) proved, or None (:mod:`.name_binding`)."""
        get = getattr(transport, 'getPeerCertificate', None)
        certificate = get() if get is not None else None
        if certificate is None:
            return None
        return certificate.digest('sha256').decode('ascii')

    def lost_text(self, reason):
        """Why a link lost before its introduction ended, when TLS says so (None
        otherwise): a parent refuses a client's certificate only after the
        client's own side of the handshake is done."""
        from OpenSSL import SSL
        from ..net import tls
        if reason is not None and reason.check(SSL.Error) is not None:
            return tls.refusal_text(reason)
        return None

    def _refused_child(self, text, peer):
        self._warn('Refusing a directory connection from %s (%s)' % (peer, text))

    def _warn(self, text):
        if self.log is not None:
            self.log.warning(text)


def link_tls(encrypted, log=None, folder=None):
    """The LinkTLS of an encrypted directory (None when ``encrypted`` is false),
    with the material of ``folder`` (default: the TLS key folder), made if
    missing.  LinkTLSError when it cannot be had."""
    if not encrypted:
        return None
    tls = tls_module()
    if tls is None:
        raise LinkTLSError(NO_TLS)
    names = tls.default_names()
    ip = primary_ip()
    if ip is not None:
        names.append(ip)
    try:
        material = tls.ensure_material(folder, names)
        material.node_options()     # a node certificate, and its key, that belong together
        material.trust_root()
    except tls.MaterialError as e:
        raise LinkTLSError('cannot encrypt the directory (%s)' % (e,))
    return LinkTLS(material, log=log)
