"""A free TCP port on 127.0.0.1, for a server that a driver starts.

The stand-alone drivers pick their servers' ports themselves rather than
fixed ones, so that a run does not collide with a server left over from
another run, or with whatever else listens on the host.
"""

import random
import socket


def free_port():
    """A port that nothing had bound a moment ago (the OS's pick for port 0)."""
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
    finally:
        s.close()


def listen_port():
    """A loopback port for a server started later: below the ephemeral range (so no
    outgoing connection takes it meanwhile), free a moment ago, never 54195."""
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    while True:
        port = random.randint(10000, max(low - 1, 10001))
        if port == 54195:
            continue
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', port))
        except OSError:
            continue
        finally:
            s.close()
        return port
