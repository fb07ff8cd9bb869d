#!/usr/bin/env python3
"""Reference for the framed figures: a bare Twisted echo, no layer-cake.

    python net_reference.py echo-server --port=N     # until SIGTERM/SIGINT (or --timeout)
    python net_reference.py echo-client --port=N [--count=5000] [--warmup=500]

The client sends a 64-byte block, waits until all 64 bytes have come back,
and repeats: the same sequential request/reply pattern as net_bench.py's
framed-client, over one loopback TCP connection between two processes, with
nothing but Twisted's reactor on either end. It prints one JSON line with
per_second. It gives the ceiling that any library on Twisted can approach on
this machine. Needs Twisted (bench/.venv-ours has it).
"""

import argparse
import json
import os
import sys
import threading
import time

from twisted.internet import protocol, reactor

SIZE = 64


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class Client(protocol.Protocol):
    def __init__(self, count, warmup, done):
        self.total = count + warmup
        self.warmup = warmup
        self.done = done
        self.sent = 0
        self.pending = 0
        self.t0 = None

    def connectionMade(self):
        if self.warmup == 0:
            self.t0 = time.perf_counter()
        self.fire()

    def fire(self):
        self.sent += 1
        self.pending = SIZE
        self.transport.write(b'x' * SIZE)

    def dataReceived(self, data):
        self.pending -= len(data)
        if self.pending > 0:
            return
        if self.sent == self.warmup:
            self.t0 = time.perf_counter()
        if self.sent >= self.total:
            self.done['seconds'] = time.perf_counter() - self.t0
            self.transport.loseConnection()
            reactor.stop()
            return
        self.fire()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('mode', choices=('echo-server', 'echo-client'))
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--count', type=int, default=5000)
    p.add_argument('--warmup', type=int, default=500)
    p.add_argument('--timeout', type=float, default=None)
    a = p.parse_args(argv)
    limit = a.timeout or (60.0 if a.mode == 'echo-client' else 600.0)

    def watchdog():
        time.sleep(limit)
        if a.mode == 'echo-client':
            print(json.dumps({'test': 'reference', 'error': f'timeout after {limit}s'}), flush=True)
        os._exit(3)

    threading.Thread(target=watchdog, daemon=True).start()

    if a.mode == 'echo-server':
        reactor.listenTCP(a.port, protocol.Factory.forProtocol(Echo), interface='127.0.0.1')
        reactor.run()       # SIGINT/SIGTERM stop the reactor
        return 0

    done = {}
    deadline = time.monotonic() + limit / 2

    class Factory(protocol.ClientFactory):
        def buildProtocol(self, addr):
            return Client(a.count, a.warmup, done)

        def clientConnectionFailed(self, connector, reason):
            if time.monotonic() < deadline:      # server not up yet: retry
                reactor.callLater(0.05, connector.connect)
            else:
                done['error'] = str(reason.value)
                reactor.stop()

    reactor.connectTCP('127.0.0.1', a.port, Factory())
    reactor.run()
    if 'seconds' not in done:
        print(json.dumps({'test': 'reference', 'error': done.get('error', 'no result')}))
        return 2
    s = done['seconds']
    print(json.dumps({'test': 'reference', 'what': 'bare Twisted echo, 64 B, sequential',
                      'count': a.count, 'seconds': round(s, 6),
                      'per_second': round(a.count / s, 1)}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
