"""Stand-in for the multihosting tutorial's server (test_server_10.py), for bench/cli_run.

The tutorial's server subscribes to its workers through publish/subscribe,
which this repository does not have yet. This program keeps the part of the
tutorial's server that matters to a start-up benchmark -- a process that
listens for HTTP on ``server_address`` with ``lc.listen(..., http_server=...)``
-- and drops the subscription and the spool. It answers ``GET /Xy`` itself.

Once listening, it creates an empty file named by its pid in ``marker_dir``:
that is how bench/cli_bench.py sees that the role is running, the same way
for both libraries. Public API only; runs unchanged on the original and ours.
"""

import os

import layer_cake as lc


class Xy(object):
    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


lc.bind(Xy)

table_type = lc.def_type(list[list[float]])

DEFAULT_ADDRESS = lc.HostPort('127.0.0.1', 5050)
SERVER_API = [Xy, ]


def mark(marker_dir):
    """Create <marker_dir>/<pid>: this process is up."""
    if marker_dir:
        path = os.path.join(marker_dir, str(os.getpid()))
        with open(path, 'w'):
            pass


def server(self, server_address: lc.HostPort = None, marker_dir: str = None):
    server_address = server_address or DEFAULT_ADDRESS

    lc.listen(self, server_address, http_server=SERVER_API)
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m
    mark(marker_dir)

    while True:
        m = self.input()
        if isinstance(m, Xy):
            table = [[float(r * m.x + c) for c in range(m.x)] for r in range(m.y)]
            self.send(lc.cast_to(table, table_type), self.return_address)
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        # Anything else (connection notices): ignore.


lc.bind(server)

if __name__ == '__main__':
    lc.create(server)
