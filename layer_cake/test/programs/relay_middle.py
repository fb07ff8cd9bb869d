"""The middle of the relay test: connects onward and hands out the far address.

It never imports the Secret type, so it must relay without decoding.
"""

import sys

import layer_cake as lc
from layer_cake.test import net_types as T


def relay_middle(self, onward: int = 0):
    lc.connect(self, lc.HostPort('127.0.0.1', onward))
    m = self.input()
    if not isinstance(m, lc.Connected):
        return m
    far = self.return_address
    lc.listen(self, lc.HostPort('127.0.0.1', 0))
    m = self.input()
    print('port %d' % (m.listening_ipp.port,), flush=True)
    while True:
        m = self.input()
        if isinstance(m, lc.Enquiry):
            self.reply(T.Directions(address=far, note='far end'))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        elif isinstance(m, lc.Incognito):
            print('middle saw an Incognito', file=sys.stderr, flush=True)


lc.bind(relay_middle)

if __name__ == '__main__':
    lc.create(relay_middle)
