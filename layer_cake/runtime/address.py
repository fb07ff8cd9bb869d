"""Addresses and the table of live objects.

An address is a tuple of ints read right to left: the last element names an
object in this process; when that object is a proxy, the prefix is the
address to use at the far end.  Ids come from one counter and are never reused
while the process lives.
"""

import itertools

NO_SUCH_ADDRESS = (0,)

_ids = itertools.count(1)

# id -> live object.  Plain dict operations are atomic under the GIL, which is
# all the thread-safety the table needs: an object is entered before create()
# returns and removed before its Returned is sent.
objects = {}


def allocate():
    """A fresh, never reused object id."""
    return next(_ids)


def enter(identity, obj):
    objects[identity] = obj


def remove(identity):
    objects.pop(identity, None)


def lookup(address):
    """The local object that handles a send to ``address`` (or None)."""
    try:
        return objects.get(address[-1])
    except (TypeError, IndexError):
        return None


def address_text(address):
    """The log form of an address: its last id in 8 hex digits."""
    try:
        return '%08x' % (address[-1],)
    except (TypeError, IndexError):
        return '%r' % (address,)
