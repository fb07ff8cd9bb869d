"""What the parent's end of a child process tells its owner.

Three internal messages, sent by :class:`.child_protocol.ChildProtocol` to
its ProcessObject (and ``ChildEnded`` by a Utility's program): ``ChildReady``
(the child's first frame arrived: it can take messages), ``ChildBroken``
(the child wrote something that is not a frame) and ``ChildEnded`` (the
process has exited and every pipe is drained).  They live apart from the
protocols so that the objects dispatching on them import no Twisted until a
child is started.
"""

from ..types import registry

__all__ = ['ChildReady', 'ChildBroken', 'ChildEnded', 'exit_code']


def exit_code(code, signal):
    """One figure for an end: the exit code, or ``-N`` for a child ended by signal N."""
    return code if code is not None else -(signal or 0)


class ChildReady(object):
    """The child has opened its end of the control pipes."""


class ChildBroken(object):
    """The child wrote bytes that are not frames; the link is unusable."""

    def __init__(self, note: str = None):
        self.note = note


class ChildEnded(object):
    """The child process is gone: its exit code, or the signal that ended it."""

    def __init__(self, exit_code: int = None, signal: int = None):
        self.exit_code = exit_code
        self.signal = signal

    def code(self):
        """The exit code, or ``-N`` for signal N."""
        return exit_code(self.exit_code, self.signal)


for _m in (ChildReady, ChildBroken, ChildEnded):
    registry.bind_message(_m, copy_before_sending=False, message_trail=False,
                          execution_trace=False)
