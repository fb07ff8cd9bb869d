"""The tutorial HTTP server measured by bench/net_bench.py.

The same logic as doc/demos/threads/test_api.py, test_function.py,
test_worker.py and test_server_2.py, gathered in one module so that the
benchmark does not depend on the demo directory: an ``lc.ObjectSpool`` of 8
``worker`` function actors (threads) behind ``lc.listen(...,
http_server=[Xy])``. ``GET /Xy?x=2&y=2`` answers with a 2x2 table of random
floats. Public API only (``import layer_cake as lc``); runs unchanged on the
original library and on ours.
"""

import random

import layer_cake as lc


# -- test_api.py -------------------------------------------------------------

class Xy(object):
    def __init__(self, x: int = 1, y: int = 1):
        self.x = x
        self.y = y


lc.bind(Xy)

table_type = lc.def_type(list[list[float]])


# -- test_function.py ----------------------------------------------------------

def texture(self, x: int = 8, y: int = 8) -> list[list[float]]:
    table = []
    for r in range(y):
        row = [random.random() for c in range(x)]
        table.append(row)
    return table


lc.bind(texture)


# -- test_worker.py ------------------------------------------------------------

def worker(self):
    while True:
        m = self.input()
        if isinstance(m, Xy):
            pass
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        else:
            continue

        table = texture(self, x=m.x, y=m.y)
        self.send(lc.cast_to(table, table_type), self.return_address)


lc.bind(worker)


# -- test_server_2.py ----------------------------------------------------------

DEFAULT_ADDRESS = lc.HostPort('127.0.0.1', 5050)
SERVER_API = [Xy, ]


def server(self, server_address: lc.HostPort = None):
    server_address = server_address or DEFAULT_ADDRESS

    lc.listen(self, server_address, http_server=SERVER_API)
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m

    # Eight worker threads behind one address.
    worker_spool = self.create(lc.ObjectSpool, worker, object_count=8)

    while True:
        m = self.input()
        if isinstance(m, Xy):
            pass
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
            continue
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        else:
            continue

        # Callback for on_return: pass the answer back to the HTTP client.
        def respond(self, response, args):
            self.send(lc.cast_to(response, self.returned_type), args.return_address)

        a = self.create(lc.GetResponse, m, worker_spool)
        self.on_return(a, respond, return_address=self.return_address)


lc.bind(server)


# -- framed messaging (not part of the tutorial) --------------------------------

class Probe(object):
    """A small registered message sent client -> server over one connection."""

    def __init__(self, seq: int = 0, note: str = None):
        self.seq = seq
        self.note = note


class ProbeReply(object):
    """The server's answer to a Probe."""

    def __init__(self, seq: int = 0, note: str = None):
        self.seq = seq
        self.note = note


lc.bind(Probe)
lc.bind(ProbeReply)


def framed_server(self, port: int = 0):
    """Listen (framed messaging, no HTTP) on 127.0.0.1:port; answer every Probe."""
    lc.listen(self, lc.HostPort('127.0.0.1', port))
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m
    while True:
        m = self.input()
        if isinstance(m, Probe):
            self.send(ProbeReply(m.seq, m.note), self.return_address)
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        # Accepted, Closed and anything else: ignore.


lc.bind(framed_server)


# The same server as a machine (lc.Point + lc.Stateless with a dispatch
# table): messages are handled without a thread of its own.

class FramedServerMachine(lc.Point, lc.Stateless):
    def __init__(self, port: int = 0):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.listen_port = port


def FramedServerMachine_Start(self, message):
    lc.listen(self, lc.HostPort('127.0.0.1', self.listen_port))


def FramedServerMachine_Listening(self, message):
    pass


def FramedServerMachine_NotListening(self, message):
    self.complete(message)


def FramedServerMachine_Accepted(self, message):
    pass


def FramedServerMachine_Closed(self, message):
    pass


def FramedServerMachine_Probe(self, message):
    self.send(ProbeReply(message.seq, message.note), self.return_address)


def FramedServerMachine_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(FramedServerMachine, (lc.Start, lc.Listening, lc.NotListening, lc.Accepted,
                              lc.Closed, Probe, lc.Stop))
