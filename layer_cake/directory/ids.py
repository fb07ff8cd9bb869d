"""Random UUIDs for listings and routes, without a system call for each.

``uuid.uuid4()`` reads 16 bytes with ``os.urandom``: a system call per id,
and on the way from a publish to its ``Available`` a process that has just
woken pays dearly for each one.  :func:`fresh_id` cuts its ids from a
buffer of the same random bytes, read :data:`BATCH` ids at a time.  A
forked child starts a buffer of its own, so parent and child never share
an id.
"""

import os
import threading
import uuid

__all__ = ['fresh_id', 'BATCH']

# Ids read from the system at once.
BATCH = 256

_lock = threading.Lock()
_buffer = b''
_offset = 0


def _forget():
    global _lock, _buffer, _offset
    _lock, _buffer, _offset = threading.Lock(), b'', 0


os.register_at_fork(after_in_child=_forget)


def fresh_id():
    """A random (version 4) UUID, as ``uuid.uuid4()`` makes."""
    global _buffer, _offset
    with _lock:
        offset = _offset
        if offset >= len(_buffer):
            _buffer, offset = os.urandom(16 * BATCH), 0
        _offset = offset + 16
        data = _buffer[offset:offset + 16]
    return uuid.UUID(bytes=data, version=4)
