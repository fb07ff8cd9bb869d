"""The AMP commands directory tiers exchange (network.md §8, §16).

A child node (an application process, group-cake, host-cake) keeps one AMP
connection to its parent.  The child speaks first and goes on speaking
upward; the parent answers and speaks downward::

    child -> parent     Hello      who the child is (first, once)
                        Push       one listing (a Publication or a Subscription)
                        Retract    a listing is gone
    parent -> child     Offer      a route made up here, for a subscription down there
                        Withdraw   such a route is gone
                        Advise     a publication's name is taken up here
    either way          Ping       are you there? (or, with a path, is that node there?)
                        Describe   the listing of the node at a path

``Describe`` and a ``Ping`` with a path name a node anywhere in the tree by
its *path*, the unique ids from the top of the tree down to it (empty: the
top).  Such a question goes up from child to parent until it reaches a node
on the path, then down from parent to child along the path; it never turns
back up, so it cannot go round in circles.  A node that cannot pass it on
answers ``UNREACHABLE`` with the reason.  A listing longer than
:data:`PART` bytes comes back in parts: the first answer carries a
``snapshot`` token, and each later question for the same snapshot takes the
next part, so every part is cut from the same text.

Every listing, offer and withdrawal crosses as the runtime's own JSON text
(:func:`.listing.encode_listing`) in a Unicode argument: one codec everywhere.
A bulk push after (re)connecting is a sequence of ``Push`` commands, one
listing each, so no box comes near AMP's 64 KiB value limit however much a
node holds.

Every command can be asked (AMP's ``_ask``) and is then answered.  The
tiers themselves send ``Push``, ``Retract``, ``Offer``, ``Withdraw`` and
``Advise`` without asking (:meth:`TierProtocol.tell`): they are news the
sender does nothing with an answer to, and on the way from a publish to its
``Available`` each answer cost a send at one end and a wake-up at the other.

Bad input costs the sender, never the tier.  A listing that does not decode,
a name with control characters or a search that does not compile is answered
with a ``REFUSED`` error that says why (logged by the receiver when the
command came unasked); the link stays up.  A box that is not
AMP at all, or is larger than :data:`BOX_LIMIT`, or a command whose arguments
do not parse, closes that one link with a logged reason.  An unknown command
gets AMP's own ``UNHANDLED`` error answer.
"""

import struct
import uuid

from twisted.internet import defer
from twisted.internet.error import ConnectionClosed
from twisted.protocols import amp
from twisted.python.failure import Failure

from ..types.codec import decode_any
from ..types.errors import CodecError, ConversionError
from ..runtime import log as L
from ..net.direct_write import cork, immediate_writer, uncork
from ..net.ipp import HostPort, ScopeOfDirectory
from .listing import (Publication, RouteOffer, RouteWithdrawal, Subscription, Withdrawn,
                      check_name, compile_search, encode_listing)

__all__ = ['Hello', 'Push', 'Retract', 'Offer', 'Withdraw', 'Advise', 'Ping', 'Describe',
           'Refused', 'NotIntroduced', 'HelloRefused', 'Unreachable', 'PART', 'TierProtocol',
           'RuntimeLog', 'BOX_LIMIT', 'TEXT_LIMIT', 'MALFORMED', 'listing_from', 'offer_from',
           'withdrawal_from', 'uuid_from', 'scope_from', 'reason_from', 'host_port_from',
           'host_port_text']

_pack_length = struct.Struct('!H').pack

# The most bytes of keys and values one incoming box may hold: AMP's own
# value limit.  Nothing a tier sends comes near it.
BOX_LIMIT = amp.MAX_VALUE_LENGTH + 1

# The longest encoded listing, offer or withdrawal taken from a peer.  A name
# or search is at most 512 characters, so a real listing is far below this.
TEXT_LIMIT = 16384

# The error code of a command whose arguments do not parse (the link closes).
MALFORMED = b'MALFORMED'

# The most bytes of a listing one Describe answer carries: with its keys and
# the other values the box stays under AMP's value limit.
PART = 60000


class Refused(Exception):
    """A value a peer sent cannot be used; the text says why.  The link stays up."""


class NotIntroduced(Exception):
    """A command that needs ``Hello`` first; the link closes."""


class HelloRefused(Exception):
    """The parent will not take this child; the link closes."""


class Unreachable(Exception):
    """A question for another node cannot be passed on or answered; the text says why.
    The link stays up."""


# The commands.

class Hello(amp.Command):
    """Child to parent, first: who is connecting.  The answer says who the parent is."""
    arguments = [(b'unique_id', amp.Unicode()),
                 (b'scope', amp.Unicode()),
                 (b'executable', amp.Unicode()),
                 (b'primary_ip', amp.Unicode(optional=True)),
                 (b'accept_at', amp.Unicode(optional=True)),
                 (b'incarnation', amp.Unicode())]
    response = [(b'unique_id', amp.Unicode()),
                (b'scope', amp.Unicode())]
    fatalErrors = {HelloRefused: b'HELLO_REFUSED'}


class Push(amp.Command):
    """Child to parent: one listing.  ``held``: the parent's node took it (not a
    refresh, not narrower than the parent, not a name already taken there)."""
    arguments = [(b'listing', amp.Unicode())]
    response = [(b'held', amp.Boolean())]
    errors = {Refused: b'REFUSED'}
    fatalErrors = {NotIntroduced: b'NOT_INTRODUCED'}


class Retract(amp.Command):
    """Child to parent: a listing pushed earlier is gone, ``reason`` RETRACTED (by its
    owner; the default) or ORIGIN_LOST (the child lost the link it came through)."""
    arguments = [(b'listing_id', amp.Unicode()),
                 (b'reason', amp.Unicode(optional=True))]
    response = [(b'removed', amp.Boolean())]
    errors = {Refused: b'REFUSED'}
    fatalErrors = {NotIntroduced: b'NOT_INTRODUCED'}


class Offer(amp.Command):
    """Parent to child: a route offer, on its way to the subscription's home.
    ``passed``: the child knew the subscription and handed it on."""
    arguments = [(b'offer', amp.Unicode())]
    response = [(b'passed', amp.Boolean())]
    errors = {Refused: b'REFUSED'}


class Withdraw(amp.Command):
    """Parent to child: a route offered earlier is gone."""
    arguments = [(b'withdrawal', amp.Unicode())]
    response = [(b'passed', amp.Boolean())]
    errors = {Refused: b'REFUSED'}


class Advise(amp.Command):
    """Parent to child: this publication's name is taken at the parent."""
    arguments = [(b'publication', amp.Unicode())]
    response = [(b'passed', amp.Boolean())]
    errors = {Refused: b'REFUSED'}


class Ping(amp.Command):
    """Either way: an empty question with an empty answer, from the other end of the
    link, or with ``path`` from the node at that path."""
    arguments = [(b'path', amp.ListOf(amp.Unicode(), optional=True))]
    response = []
    errors = {Unreachable: b'UNREACHABLE'}


class Describe(amp.Command):
    """Either way: the listing of the node at ``path``, as UTF-8 JSON text, ``size``
    bytes in all; ``part`` is the piece at ``offset`` of the ``snapshot`` named."""
    arguments = [(b'path', amp.ListOf(amp.Unicode())),
                 (b'snapshot', amp.Unicode(optional=True)),
                 (b'offset', amp.Integer(optional=True))]
    response = [(b'part', amp.String()),
                (b'size', amp.Integer()),
                (b'snapshot', amp.Unicode(optional=True))]
    errors = {Unreachable: b'UNREACHABLE'}


# Reading what arrives.  Each raises Refused with the reason.

def _decoded(text, classes, what):
    if len(text) > TEXT_LIMIT:
        raise Refused('%s longer than %d characters' % (what, TEXT_LIMIT))
    try:
        value = decode_any(text)
    except (CodecError, ConversionError, ValueError, TypeError, KeyError,
            RecursionError) as e:
        raise Refused('%s does not decode (%s)' % (what, e))
    if not isinstance(value, classes):
        raise Refused('%s does not decode (a %s)' % (what, type(value).__name__))
    return value


def _need_uuid(value, field):
    if not isinstance(value, uuid.UUID):
        raise Refused('no %s' % (field,))


def _need_scope(value):
    if not isinstance(value, ScopeOfDirectory):
        raise Refused('no scope')


def _check_publication(p):
    _need_uuid(p.published_id, 'published_id')
    _need_scope(p.scope)
    why = check_name(p.name)
    if why is not None:
        raise Refused('publication refused (%s)' % (why,))
    if not isinstance(p.listening_ipp, HostPort):
        raise Refused('publication without a listening address')
    return p


def listing_from(text):
    """The Publication or Subscription in ``text``, checked."""
    listing = _decoded(text, (Publication, Subscription), 'listing')
    if isinstance(listing, Publication):
        return _check_publication(listing)
    _need_uuid(listing.subscribed_id, 'subscribed_id')
    _need_scope(listing.scope)
    search, why = compile_search(listing.search)
    if search is None:
        raise Refused('subscription refused (%s)' % (why,))
    return listing


def publication_from(text):
    """The Publication in ``text`` (advice), checked."""
    return _check_publication(_decoded(text, Publication, 'publication'))


def offer_from(text):
    """The RouteOffer in ``text``, checked."""
    offer = _decoded(text, RouteOffer, 'offer')
    for field in ('route_id', 'subscribed_id', 'published_id'):
        _need_uuid(getattr(offer, field), field)
    _need_scope(offer.scope)
    if not isinstance(offer.ipp, HostPort):
        raise Refused('offer without an address')
    return offer


def withdrawal_from(text):
    """The RouteWithdrawal in ``text``, checked."""
    withdrawal = _decoded(text, RouteWithdrawal, 'withdrawal')
    for field in ('route_id', 'subscribed_id', 'published_id'):
        _need_uuid(getattr(withdrawal, field), field)
    if not isinstance(withdrawal.reason, Withdrawn):
        raise Refused('withdrawal without a reason')
    return withdrawal


def uuid_from(text, field='id'):
    try:
        return uuid.UUID(text)
    except (ValueError, TypeError, AttributeError):
        raise Refused('%s is not a UUID (%r)' % (field, text[:64]))


def reason_from(text):
    """The Withdrawn member named ``text`` (None: RETRACTED)."""
    if text is None:
        return Withdrawn.RETRACTED
    try:
        return Withdrawn[text]
    except KeyError:
        raise Refused('no reason named %r' % (text[:64],))


def scope_from(text):
    try:
        return ScopeOfDirectory[text]
    except KeyError:
        raise Refused('no scope named %r' % (text[:64],))


def host_port_text(ipp):
    """The Hello form of an address (None stays None)."""
    if ipp is None or ipp.host is None:
        return None
    return encode_listing(ipp)


def host_port_from(text):
    """The HostPort of a Hello's ``accept_at`` (None stays None)."""
    if text is None:
        return None
    return _decoded(text, HostPort, 'address')


def _told_box(command, arguments):
    """The wire bytes of ``command`` told (no ``_ask``) with ``arguments``, when
    they are all text within AMP's limits and all there; else None (AMP's own
    way then makes the box, or says what is wrong with it)."""
    items = [(amp.COMMAND, command.commandName)]
    for key, argument in command.arguments:
        value = arguments.get(key.decode('ascii'))
        if value is None:
            if getattr(argument, 'optional', False):
                continue
            return None
        if type(value) is not str or type(argument) is not amp.Unicode:
            return None
        value = value.encode('utf-8')
        if len(value) > amp.MAX_VALUE_LENGTH:
            return None
        items.append((key, value))
    if len(items) != len(arguments) + 1 - sum(1 for v in arguments.values() if v is None):
        return None                 # an argument the command does not take
    items.sort()
    parts = []
    for key, value in items:
        parts.append(_pack_length(len(key)))
        parts.append(key)
        parts.append(_pack_length(len(value)))
        parts.append(value)
    parts.append(b'\x00\x00')
    return b''.join(parts)


# The log tiers write to when their owner gives them none.

class RuntimeLog(object):
    """``warning``/``console``/``trace`` records in the runtime's log, under ``name``.

    The same methods a Point has, so an owning object can pass itself instead.
    """

    def __init__(self, name):
        self.name = name

    def _emit(self, tag, words):
        if L.TAG_LEVEL[tag] < L.threshold:
            return
        L.emit(tag, None, self.name, None, ' '.join(str(w) for w in words))

    def fault(self, *words):
        self._emit(L.USER_TAG.FAULT, words)

    def warning(self, *words):
        self._emit(L.USER_TAG.WARNING, words)

    def console(self, *words):
        self._emit(L.USER_TAG.CONSOLE, words)

    def trace(self, *words):
        self._emit(L.USER_TAG.TRACE, words)


# The protocol both ends build on.

class TierProtocol(amp.AMP):
    """AMP with the limits of a directory link.

    ``log`` takes the reasons a link is closed; ``closed_because`` keeps the
    last one (None while nothing was refused).
    """

    log = RuntimeLog('DirectoryLink')
    closed_because = None

    # The commands this end takes as news when they come unasked (tell):
    # name -> (Command, the responder's method name).
    news = {}
    _box_bytes = 0

    _writer = None

    def connectionMade(self):
        # Each command is a small write that the far end waits on: send it
        # now, neither after the previous one's acknowledgement (Nagle) nor
        # on the reactor's next turn.
        self._writer = immediate_writer(self.transport)
        amp.AMP.connectionMade(self)

    def dataReceived(self, data):
        # The answers to a burst of commands go out together (direct_write).
        corked = cork()
        try:
            if (not self._unprocessed and self.state == 'init' and self.innerProtocol is None
                    and not self._justStartedTLS and self.closed_because is None):
                data = self._take_boxes(data)
            if data:
                amp.AMP.dataReceived(self, data)
        finally:
            uncork(corked)

    def _take_boxes(self, data):
        """Hand the plain, complete boxes at the front of ``data`` to ampBoxReceived;
        return the rest, from the first box that is not (cut short, a key too
        long, over the box limit) or from where the link stopped taking boxes.

        AMP's parser calls three methods per key and value; read at the start
        of a box, with nothing left over from an earlier read, the same boxes
        come out of one loop.  Whatever is returned goes to AMP's parser, which
        then is at the start of a box, and does what it always did with it.
        """
        n = len(data)
        i = 0
        while i < n:
            start = i
            box = amp.AmpBox()
            size = 0
            while True:
                if i + 2 > n:
                    return data[start:]
                length = (data[i] << 8) | data[i + 1]
                i += 2
                if length == 0:
                    break
                if length > 255:
                    return data[start:]
                j = i + length
                if j + 2 > n:
                    return data[start:]
                key = data[i:j]
                end = j + 2 + ((data[j] << 8) | data[j + 1])
                if end > n:
                    return data[start:]
                size += length + end - j - 2
                if size > BOX_LIMIT:
                    return data[start:]
                box[key] = data[j + 2:end]
                i = end
            self.boxReceiver.ampBoxReceived(box)
            if self.closed_because is not None or self.transport is None:
                return b''
            if self.innerProtocol is not None or self._justStartedTLS:
                return data[i:]
        return b''

    def sendBox(self, box):
        # As AMP's own, but through the direct writer when it can.
        if (self._writer is None or self._locked or self.transport is None or
                self._startingTLSBuffer is not None):
            return amp.AMP.sendBox(self, box)
        self._writer.write(box.serialize())

    def describe(self):
        """Who is at the other end, for logs."""
        transport = self.transport
        peer = transport.getPeer() if transport is not None else None
        host = getattr(peer, 'host', None)
        if host is None:
            return 'a directory link'
        return 'the directory link with %s:%s' % (host, getattr(peer, 'port', '?'))

    def close_link(self, reason, abort=False):
        """Log why, and drop this one connection (``abort``: without sending what is
        still buffered)."""
        if self.closed_because is None:
            self.closed_because = reason
            self.log.warning('Closing %s (%s)' % (self.describe(), reason))
        transport = self.transport
        if transport is None:
            return
        if abort and getattr(transport, 'abortConnection', None) is not None:
            transport.abortConnection()
        else:
            transport.loseConnection()

    # The box limit, counted as the parser goes: a box is refused before it
    # is complete, so an endless one costs no more than BOX_LIMIT bytes.

    def proto_init(self, string):
        self._box_bytes = 0
        return amp.AMP.proto_init(self, string)

    def proto_key(self, string):
        self._box_bytes += len(string)
        return amp.AMP.proto_key(self, string)

    def proto_value(self, string):
        self._box_bytes += len(string)
        if self._box_bytes > BOX_LIMIT:
            self.close_link('a box of more than %d bytes' % (BOX_LIMIT,))
            return 'done'
        return amp.AMP.proto_value(self, string)

    def proto_done(self, string):
        # After a refusal, whatever was already buffered is dropped.
        return 'done'

    def lengthLimitExceeded(self, length):
        self.close_link('a key of %d bytes (AMP allows 255)' % (length,))
        amp.AMP.lengthLimitExceeded(self, length)

    def ampBoxReceived(self, box):
        if self.closed_because is not None:
            return
        if amp.ASK not in box:
            news = self.news.get(box.get(amp.COMMAND))
            if news is not None:
                self._take_news(box, *news)
                return
        try:
            amp.AMP.ampBoxReceived(self, box)
        except (amp.NoEmptyBoxes, KeyError) as e:
            self.close_link('a box that is neither a command nor an answer (%s: %s)' % (
                type(e).__name__, str(e)[:80]))

    # Arguments that do not parse: answer with an error that says so, then close.

    def locateResponder(self, name):
        responder = amp.AMP.locateResponder(self, name)
        if responder is None:
            return None

        def guarded(box):
            d = defer.maybeDeferred(responder, box).addErrback(self._malformed, name)
            if amp.ASK not in box:
                d.addErrback(self._unasked, name)
            return d
        return guarded

    def _malformed(self, failure, name):
        if failure.check(amp.RemoteAmpError):
            return failure
        command = name.decode('ascii', 'replace')
        reason = 'malformed %s (%s: %s)' % (command, failure.type.__name__,
                                            str(failure.value)[:200])
        self.closed_because = reason
        self.log.warning('Closing %s (%s)' % (self.describe(), reason))
        return Failure(amp.RemoteAmpError(MALFORMED, reason, fatal=True, local=failure))

    def _take_news(self, box, command, method):
        # Nobody waits for an answer, so nothing waits for a Deferred: the
        # responder runs at once, and what it raises is dealt with here as
        # _malformed and _unasked deal with it on the asked way.
        try:
            getattr(self, method)(**command.parseArguments(box, self))
        except Exception as e:
            name = command.__name__
            if isinstance(e, tuple(command.fatalErrors)):
                self.close_link('%s refused (%s)' % (name, e))
            elif isinstance(e, tuple(command.errors)):
                self.log.warning('Refused %s from %s (%s)' % (name, self.describe(), e))
            else:
                self.close_link('malformed %s (%s: %s)' % (name, type(e).__name__,
                                                           str(e)[:200]))

    def _unasked(self, failure, name):
        # A command sent without asking (tell) has nobody to answer: a refusal
        # is logged here, and a fatal one closes the link as its answer would.
        command = name.decode('ascii', 'replace')
        if failure.check(amp.RemoteAmpError) and not failure.value.fatal:
            self.log.warning('Refused %s from %s (%s)' % (command, self.describe(),
                                                         failure.value.description))
            return None
        reason = self.closed_because
        if reason is None:
            reason = '%s refused (%s)' % (command, failure.getErrorMessage())
        self.close_link(reason)
        return None

    # Asking the other end.

    def ask(self, command, **arguments):
        """``callRemote`` that never leaves a failure unhandled: a refusal is logged.

        Returns a Deferred that fires with the answer, or with None when
        there was none (refused, or the link went away first).
        """
        if self.transport is None or self.closed_because is not None:
            return defer.succeed(None)
        d = defer.maybeDeferred(self.callRemote, command, **arguments)
        d.addErrback(self._not_answered, command)
        return d

    def tell(self, command, **arguments):
        """Send ``command`` without asking for an answer.

        Pushes, retractions and what comes down for them are news: the
        sender does nothing with an answer, and not asking saves a box,
        a send and a wake-up of the sender for each.  The far end logs a
        refusal itself (and closes the link on a fatal one).
        """
        if self.transport is None or self.closed_because is not None:
            return
        data = _told_box(command, arguments)
        if data is not None and self._writer is not None and not self._locked and \
                self._startingTLSBuffer is None and self._failAllReason is None:
            self._writer.write(data)
            return
        try:
            box = command.makeArguments(arguments, self)
            self._sendBoxCommand(command.commandName, box, requiresAnswer=False)
        except Exception as e:
            self.log.warning('%s to %s not sent (%s)' % (command.__name__, self.describe(), e))

    def _not_answered(self, failure, command):
        if failure.check(amp.RemoteAmpError):
            self.log.warning('%s refused by %s (%s)' % (command.__name__, self.describe(),
                                                       failure.value.description))
        elif not failure.check(ConnectionClosed, amp.ProtocolSwitched):
            self.log.warning('%s to %s failed (%s)' % (command.__name__, self.describe(),
                                                       failure.getErrorMessage()))
        return None

    # Questions for other nodes: subclasses that belong to a tier pass them on.

    def route(self, command, path, **arguments):
        """Answer ``command`` for the node at ``path`` (a list of UUID texts), or pass
        it on; this link belongs to no tier, so nothing is beyond it."""
        raise Unreachable('no directory beyond %s' % (self.describe(),))

    @Ping.responder
    def pinged(self, path=None):
        if path is None:
            return {}
        return self.route(Ping, path)

    @Describe.responder
    def described(self, path, snapshot=None, offset=None):
        return self.route(Describe, path, snapshot=snapshot, offset=offset)
