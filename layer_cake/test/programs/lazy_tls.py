"""For test_footprint: one encrypted round trip in a process whose ``import
layer_cake`` brought in no TLS.  Prints one JSON object: which TLS modules
were loaded at each step, and the messages that arrived."""

import json
import sys

import layer_cake as lc

TLS_MODULES = ('OpenSSL', 'layer_cake.net.tls')


def loaded():
    return sorted(m for m in TLS_MODULES if m in sys.modules)


def main():
    seen = {'imported': loaded()}
    with lc.channel() as ch:
        seen['started'] = loaded()
        lc.listen(ch, lc.HostPort('127.0.0.1', 0), encrypted=True)
        listening = ch.input()
        seen['listen'] = type(listening).__name__
        lc.connect(ch, listening.listening_ipp, encrypted=True)
        ends = {}
        while len(ends) < 2:
            m = ch.input()
            ends[type(m).__name__] = ch.return_address
        ch.send(lc.Ack(), ends['Connected'])
        seen['received'] = type(ch.input()).__name__
        seen['used'] = loaded()
    print(json.dumps(seen))


if __name__ == '__main__':
    main()
