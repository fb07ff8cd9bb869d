"""For test_footprint: encryption in a process whose ``import layer_cake``
brought in no TLS.  Prints one JSON object: which TLS modules were loaded at
each step, and what arrived.

With ``--without-openssl`` it acts as an install without pyOpenSSL
(it cannot be imported), and reports the refusals instead.
"""

import json
import sys

if '--without-openssl' in sys.argv:
    sys.modules['OpenSSL'] = None       # what "not installed" looks like to an import

import layer_cake as lc  # noqa: E402

TLS_MODULES = ('OpenSSL', 'layer_cake.net.tls')

# Never dialled: without TLS the connect is refused before any socket exists.
NOWHERE = lc.HostPort('127.0.0.1', 9)


def loaded():
    return sorted(m for m in TLS_MODULES if sys.modules.get(m) is not None)


def round_trip(ch, listening, seen):
    lc.connect(ch, listening.listening_ipp, encrypted=True)
    ends = {}
    while len(ends) < 2:
        m = ch.input()
        ends[type(m).__name__] = ch.return_address
    ch.send(lc.Ack(), ends['Connected'])
    seen['received'] = type(ch.input()).__name__


def refusals(ch, not_listening, seen):
    seen['listen_error'] = not_listening.error_text
    lc.connect(ch, NOWHERE, encrypted=True)
    m = ch.input()
    seen['connect'] = type(m).__name__
    seen['connect_error'] = m.error_text


def main():
    seen = {'imported': loaded()}
    with lc.channel() as ch:
        seen['started'] = loaded()
        lc.listen(ch, lc.HostPort('127.0.0.1', 0), encrypted=True)
        m = ch.input()
        seen['listen'] = type(m).__name__
        if isinstance(m, lc.Listening):
            round_trip(ch, m, seen)
        else:
            refusals(ch, m, seen)
        seen['used'] = loaded()
    print(json.dumps(seen))


if __name__ == '__main__':
    main()
