"""What a step of publish -> Available costs in a process that has just woken.

    python3 bench/cold_calls.py [--sleep 0.02] [--n 60]

Each step on the way (a listing encoded and decoded, a session frame encoded
and read, a host-cake push through a child link, an id) is timed hot (run
back to back) and cold (each call after ``--sleep`` seconds asleep, as every
process on the path is between two publishes); the medians are printed.
"spun" is cold with 1 ms of busy arithmetic before the call: if it is no
faster than cold, the cost of waking is caches and not the clock speed.
"""

import argparse
import datetime
import statistics
import time
import uuid

from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.protocols import amp

from layer_cake.directory import tier_protocol as TP
from layer_cake.directory.listing import Publication, RouteOffer, Subscription, encode_listing
from layer_cake.directory.loop import LoopOpened, OpenLoop
from layer_cake.directory.tier import ChildLink, Tier
from layer_cake.net import frame as F
from layer_cake.net.ipp import HostPort, ScopeOfDirectory as S


class _Quiet(object):
    def warning(self, *words):
        pass
    console = trace = fault = warning


def _host_cake_push():
    """A function that pushes a fresh publication into a HOST tier through a child
    link, where a subscription of another child matches it (and retracts it)."""
    tier = Tier(S.HOST, reactor=MemoryReactorClock(), log=_Quiet(), watch=lambda *a: None)
    links = []
    for _ in range(2):
        link = ChildLink(tier)
        link.makeConnection(StringTransport())
        link.hello(str(uuid.uuid4()), 'PROCESS', 'x', str(uuid.uuid4()))
        links.append(link)
    publisher, subscriber = links
    tier.node.add(Subscription(uuid.uuid4(), 'h-[0-9]+', S.HOST, uuid.uuid4(), uuid.uuid4()),
                  subscriber)
    home, incarnation = uuid.uuid4(), uuid.uuid4()
    count = [0]

    def push():
        count[0] += 1
        p = Publication(uuid.uuid4(), 'h-%d' % count[0], S.HOST, False,
                        HostPort('127.0.0.1', 40000), home, incarnation)
        data = amp.AmpBox(_command=b'Push', listing=encode_listing(p).encode()).serialize()
        t0 = time.perf_counter()
        publisher.dataReceived(data)
        took = time.perf_counter() - t0
        tier.node.remove(p.published_id, publisher)
        publisher.transport.clear()
        subscriber.transport.clear()
        return took
    return push


def _timed(f):
    def run():
        t0 = time.perf_counter()
        f()
        return time.perf_counter() - t0
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sleep', type=float, default=0.02)
    parser.add_argument('--n', type=int, default=60)
    a = parser.parse_args()

    offer = RouteOffer(uuid.uuid4(), S.HOST, uuid.uuid4(), uuid.uuid4(), 'h-12', False,
                       HostPort('127.0.0.1', 40000), uuid.uuid4())
    offer_text = encode_listing(offer)
    open_loop = OpenLoop('h-12', S.HOST, uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), (1, 2, 3))
    opened = LoopOpened(uuid.uuid4(), (5, 6), datetime.datetime.now(datetime.timezone.utc))
    frame = F.encode_frame(open_loop, (7,), (8, 9), 10)
    _, body, book = list(F.FrameParser().feed(frame))[0]
    steps = [
        ('encode a RouteOffer', _timed(lambda: encode_listing(offer))),
        ('decode and check a RouteOffer', _timed(lambda: TP.offer_from(offer_text))),
        ('encode an OpenLoop frame', _timed(lambda: F.encode_frame(open_loop, (7,), (8, 9), 10))),
        ('read an OpenLoop body', _timed(lambda: F.read_body(body, F.read_book(book, 10, (11,))))),
        ('encode a LoopOpened frame', _timed(lambda: F.encode_frame(opened, (7,), (8, 9), 10))),
        ('uuid.uuid4()', _timed(uuid.uuid4)),
        ('host-cake: a Push in, an Offer out', _host_cake_push()),
    ]
    print('%-36s %10s %10s %10s' % ('step (median of %d, us)' % a.n, 'hot', 'cold', 'spun'))
    for name, step in steps:
        for _ in range(20):
            step()
        hot = statistics.median(step() for _ in range(a.n))
        cold, spun = [], []
        for _ in range(a.n):
            time.sleep(a.sleep)
            cold.append(step())
            time.sleep(a.sleep)
            end = time.perf_counter() + 0.001
            x = 0
            while time.perf_counter() < end:
                x += 1
            spun.append(step())
        print('%-36s %10.1f %10.1f %10.1f' % (name, hot * 1e6, statistics.median(cold) * 1e6,
                                              statistics.median(spun) * 1e6))


if __name__ == '__main__':
    main()
