"""The pipes between a parent process and a child it runs as a ProcessObject.

Besides stdin (inherited), stdout (the child's result, read by the parent)
and stderr (inherited, so the child's log lines join the parent's), a child
gets two extra pipes that carry frames in the one wire format of
:mod:`layer_cake.net.frame`: ``TO_CHILD`` (the parent writes, the child
reads) and ``FROM_CHILD`` (the child writes, the parent reads).  The child
learns their numbers from the ``LC_PARENT_PIPES`` environment variable,
which it removes so that its own children do not see it.

``TO_CHILD`` doubles as the child's lifeline: the parent never closes it, so
when it reports end-of-file the parent has gone (ended or killed), and the
child stops.
"""

import os

TO_CHILD = 3
FROM_CHILD = 4
PIPES_VARIABLE = 'LC_PARENT_PIPES'


def child_file_descriptors():
    """The ``childFDs`` of ``reactor.spawnProcess`` for a child with control pipes."""
    return {0: 0, 1: 'r', 2: 2, TO_CHILD: 'w', FROM_CHILD: 'r'}


def child_environment(environ=None):
    """The environment for a child: this one plus the pipes variable."""
    env = dict(os.environ if environ is None else environ)
    env[PIPES_VARIABLE] = '%d,%d' % (TO_CHILD, FROM_CHILD)
    return env


def take_parent_pipes(environ=None):
    """(read fd, write fd) of the pipes to the parent, or None when there are none.

    The variable is removed either way; descriptors that are not open are
    treated as no pipes at all.
    """
    environ = os.environ if environ is None else environ
    text = environ.pop(PIPES_VARIABLE, None)
    if not text:
        return None
    try:
        read_fd, write_fd = (int(t) for t in text.split(','))
        os.fstat(read_fd)
        os.fstat(write_fd)
    except (ValueError, OSError):
        return None
    return read_fd, write_fd
