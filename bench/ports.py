"""A free TCP port on 127.0.0.1, for a server that a driver starts.

The stand-alone drivers pick their servers' ports themselves rather than
fixed ones, so that a run does not collide with a server left over from
another run, or with whatever else listens on the host.
"""

import socket


def free_port():
    """A port that nothing had bound a moment ago (the OS's pick for port 0)."""
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
    finally:
        s.close()
