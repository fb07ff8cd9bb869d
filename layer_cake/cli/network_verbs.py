"""Verbs that look at the directory: ``network`` and ``ping`` (network.md §10).

Unlike the other verbs, these run as a layer-cake process for as long as
they take: the runtime starts (on a reactor of its own, in a thread), its
process directory is a PROCESS node like any other, and the verb joins the
tree by having that node connect to its parent -- host-cake on this host,
unless ``--connect-to-directory`` names another.  Every question then
travels along the tree's own links, so the command's node shows in what it
prints, as ``[PROCESS] layer-cake``.  When no parent answers, the tree is
just that node.
"""

import time

from ..net.ipp import HostPort, ScopeOfDirectory
from ..runtime import log as L
from ..runtime.start import drop_channel, open_channel, running, start_up, tear_down
from ..directory.introspect import (DescribeNode, DirectoryListing, DirectoryOpened,
                                    NodePinged, NotDescribed, NotPinged, OpenDirectory,
                                    PingNode, Session)
from ..directory.link_tls import LinkTLSError, link_tls
from ..directory.service import directory_address, process_directory
from .spans import round_trip
from .verb import Refused, verb

__all__ = ['network', 'ping']

# What the command calls itself in the tree.
EXECUTABLE = 'layer-cake'

# Seconds to wait: for the parent, for each listing, for each ping's answer;
# and between pings.
OPEN_DEADLINE = 30.0
LISTING_DEADLINE = 10.0
PING_DEADLINE = 3.0
PING_GAP = 1.0

INDENT = '+   '

HOST = ScopeOfDirectory.HOST


class Directory(object):
    """This command's node in the directory, and the questions it asks through it.

    A context manager: entering starts the runtime (unless it runs already)
    and reaches for the parent; leaving stops what entering started.
    """

    def __init__(self, scope=HOST, connect_to=None, debug_level=None, encrypted=False):
        self.scope = scope
        self.connect_to = connect_to
        self.debug_level = debug_level
        self.encrypted = encrypted      # an encrypted directory: its links run TLS
        self.channel = None
        self.started = False
        self.opened = None

    def __enter__(self):
        if not running():
            level = self.debug_level if self.debug_level is not None else L.USER_LOG.NONE
            start_up(logs=L.select_logs(level))
            self.started = True
        try:
            node = process_directory()
            if node is None:
                raise Refused('cannot open the directory', 'the process has none')
            # Nothing connects before OpenDirectory (below), so the name is in
            # place for the Hello.
            node.tier.executable = EXECUTABLE
            if self.encrypted and node.tier.tls is None:
                try:
                    node.tier.tls = link_tls(True, log=node)
                except LinkTLSError as e:
                    raise Refused('cannot open the directory', str(e))
            self.channel = open_channel()
            self.opened = self._open()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, *exc):
        self._close()
        return False

    def _close(self):
        if self.channel is not None:
            drop_channel(self.channel)
            self.channel = None
        if self.started:
            self.started = False
            tear_down()

    def _open(self):
        m, i = self.channel.ask(OpenDirectory(self.scope, self.connect_to), DirectoryOpened,
                                directory_address(), seconds=OPEN_DEADLINE)
        if i != 0:
            raise Refused('cannot open the directory', 'timed out after %d s' % (
                OPEN_DEADLINE,))
        return m

    def describe(self, path=()):
        """The DirectoryListing of the node at ``path``; Refused when there is none."""
        path = list(path)
        self.channel.send(DescribeNode(path), directory_address())
        deadline = time.monotonic() + LISTING_DEADLINE
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Refused('cannot list the directory', 'no answer within %d s' % (
                    LISTING_DEADLINE,))
            m, i = self.channel.select(DirectoryListing, NotDescribed, seconds=left)
            # An answer to an earlier question that gave up waiting is no answer.
            if i == 0 and (not path or m.unique_id == path[-1]):
                return m
            if i == 1 and m.path == path:
                raise Refused('cannot list the directory', m.note)

    def ping(self, path, sequence):
        """Seconds the node at ``path`` took to answer, or the text saying why not."""
        started = time.monotonic()
        self.channel.send(PingNode(list(path), sequence), directory_address())
        deadline = started + PING_DEADLINE
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return 'timed out'
            m, i = self.channel.select(NodePinged, NotPinged, seconds=left)
            if i == 0 and m.sequence == sequence:
                return time.monotonic() - started
            if i == 1 and m.sequence == sequence:
                return m.note

    def walk(self, path=(), listing=None):
        """(path, listing or the Refused of its question, depth) for every node of the
        tree, depth first, children in the order they connected."""
        if listing is None:
            listing = self.describe(path)
        path = list(path) if path else [listing.unique_id]
        yield path, listing, len(path) - 1
        for child in listing.sub_directory:
            below = path + [child.unique_id]
            try:
                found = self.describe(below)
            except Refused as e:
                yield below, (child, e), len(below) - 1
                continue
            for item in self.walk(below, found):
                yield item


# Printing.

def _id(value, full):
    if value is None:
        return '?'
    return str(value) if full else str(value)[:8]


def _scope(scope):
    return scope.name if scope is not None else '?'


def node_line(listing, full, addresses):
    line = '[%s] %s (%s)' % (_scope(listing.scope), listing.executable,
                             _id(listing.unique_id, full))
    if addresses:
        line += ' %s <C>%s <L>%s' % (listing.primary_ip, listing.connect_to_directory,
                                    listing.accept_directories_at)
    return line


def session_line(s, full):
    name = '> "%s"' % (s.name,)
    if s.status is Session.NO_ROUTE or s.scope is None:
        return '%s (no active route)' % (name,)
    name += '[%s]' % (s.scope.name,)
    if s.status is Session.CONNECTED:
        return '%s (%s -> %s)' % (name, s.local_ipp, s.remote_ipp)
    if s.status is Session.IN_PROCESS:
        return '%s (%s -> %s)' % (name, _id(s.subscribed_id, full), _id(s.published_id, full))
    if s.status is Session.FAILED:
        return '%s %s (%s)' % (name, s.remote_ipp, s.note)
    return '%s %s (unexpected "%s")' % (name, s.remote_ipp, s.note)


def listing_lines(listing, full, published, subscribed, routed, connected):
    """The lines under a node, each with its depth below the node."""
    lines = []
    if published:
        for p in listing.published:
            line = '# "%s" (%s)' % (p.name, _id(p.published_id, full))
            if p.listening_ipp is not None and p.listening_ipp.host is not None:
                line += ' %s' % (p.listening_ipp,)
            lines.append((1, line))
    if subscribed:
        for s in listing.subscribed:
            lines.append((1, '? "%s" (%s)' % (s.search, _id(s.subscribed_id, full))))
    if routed:
        for r in listing.routed:
            lines.append((1, '<> "%s" (%s -> %s)' % (r.name, _id(r.subscribed_id, full),
                                                     _id(r.published_id, full))))
    if connected:
        for entry in listing.peer:
            lines.append((1, '? "%s" (%s)' % (entry.search, _id(entry.subscribed_id, full))))
            for s in entry.sessions:
                lines.append((2, session_line(s, full)))
    return lines


def _flag(value):
    return value is not None and value


@verb()
def network(cli, open_scope: ScopeOfDirectory = HOST, full_identity: bool = False,
            directory_addresses: bool = False, list_published: bool = False,
            list_subscribed: bool = False, list_routed: bool = False,
            list_connected: bool = False, connect_to_directory: HostPort = None,
            encrypted_directory: bool = False):
    """Print the directory tree this host's processes belong to, top first."""
    full = _flag(full_identity)
    lists = [_flag(f) for f in (list_published, list_subscribed, list_routed, list_connected)]
    with Directory(open_scope or HOST, connect_to_directory, cli.debug_level,
                   _flag(encrypted_directory)) as d:
        for path, listing, depth in d.walk():
            indent = INDENT * depth
            if isinstance(listing, tuple):
                child, refused = listing
                cli.write('%s[%s] %s (%s) (no answer: %s)' % (
                    indent, _scope(child.scope), child.executable,
                    _id(child.unique_id, full), refused.explanation or refused.condition))
                continue
            cli.write(indent + node_line(listing, full, _flag(directory_addresses)))
            for below, line in listing_lines(listing, full, *lists):
                cli.write(indent + INDENT * below + line)


def _find(d, prefix):
    """The path of the first node whose id starts with ``prefix``; Refused when none
    does, saying whether a listing's id does instead."""
    others = False
    for path, listing, _ in d.walk():
        if isinstance(listing, tuple):
            child, _ = listing
            if str(child.unique_id).startswith(prefix):
                return path
            continue
        if str(listing.unique_id).startswith(prefix):
            return path
        ids = [p.published_id for p in listing.published]
        ids += [s.subscribed_id for s in listing.subscribed]
        if any(str(i).startswith(prefix) for i in ids):
            others = True
    why = 'not a directory node' if others else 'not present in directory'
    raise Refused('cannot ping "%s"' % (prefix,), why)


@verb(words='<id-prefix>', least=1, most=1)
def ping(cli, ping_count: int = 4, open_scope: ScopeOfDirectory = HOST,
         connect_to_directory: HostPort = None, encrypted_directory: bool = False):
    """Time round trips through the directory to the node whose id starts with a prefix."""
    prefix = cli.words[0].strip().lower()
    count = 4 if ping_count is None else ping_count
    if count < 1:
        raise Refused('cannot ping "%s"' % (prefix,), 'a ping count of at least 1')
    if not prefix:
        raise Refused('cannot ping ""', 'not present in directory')
    with Directory(open_scope or HOST, connect_to_directory, cli.debug_level,
                   _flag(encrypted_directory)) as d:
        path = _find(d, prefix)
        next_at = time.monotonic()
        for i in range(1, count + 1):
            wait = next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            next_at = time.monotonic() + PING_GAP
            answer = d.ping(path, i)
            if isinstance(answer, str):
                cli.write('[%d] ... (%s)' % (i, answer))
            else:
                cli.write('[%d] ... %s' % (i, round_trip(answer)))
            cli.stdout.flush()
