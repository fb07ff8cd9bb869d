"""Publish a name (HOST scope), print where its listener is, answer Enquiry with Ack.

Prints ``published <published_id> <port>`` once published, ``delivered``
for each subscriber session and ``dropped`` when one ends.
"""

import sys

import layer_cake as lc


def publisher(self, name: str = 'test:publisher'):
    lc.publish(self, name)
    m = self.input()
    if not isinstance(m, lc.Published):
        return m
    print('published %s %d' % (m.published_id, m.listening_ipp.port), flush=True)
    while True:
        m = self.input()
        if isinstance(m, lc.Enquiry):
            self.reply(lc.Ack())
        elif isinstance(m, lc.Delivered):
            print('delivered', flush=True)
        elif isinstance(m, lc.Dropped):
            print('dropped', flush=True)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(publisher)

if __name__ == '__main__':
    sys.stdout.reconfigure(line_buffering=True)
    lc.create(publisher)
