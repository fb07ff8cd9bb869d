"""Publish several names at HOST scope (``--encrypted``: sessions over TLS); clear
and publish again when asked.

Prints ``published <name> <published_id> <port>`` for each publication,
``cleared <name>`` when one is cleared (on ``ClearName`` from anyone) and
``delivered <name>`` / ``dropped <name>`` for its sessions.  ``Republish``
publishes a cleared name again.  ``Enquiry`` gets ``Ack``.
"""

import sys

import layer_cake as lc
from layer_cake.test.programs.publication_requests import ClearName, Republish


def publications(self, names: str = 'a,b', encrypted: bool = False):
    held = {}
    for name in names.split(','):
        lc.publish(self, name, encrypted=encrypted)
    while True:
        m = self.input()
        if isinstance(m, lc.Published):
            held[m.name] = m
            print('published %s %s %d' % (m.name, m.published_id, m.listening_ipp.port),
                  flush=True)
        elif isinstance(m, ClearName) and m.name in held:
            lc.clear_published(self, held.pop(m.name))
        elif isinstance(m, lc.PublishedCleared):
            print('cleared %s' % (m.name,), flush=True)
        elif isinstance(m, Republish):
            lc.publish(self, m.name, encrypted=encrypted)
        elif isinstance(m, lc.Enquiry):
            self.reply(lc.Ack())
        elif isinstance(m, lc.Delivered):
            print('delivered %s' % (m.name,), flush=True)
        elif isinstance(m, lc.Dropped):
            print('dropped %s' % (m.name,), flush=True)
        elif isinstance(m, (lc.Stop, lc.Faulted)):
            return lc.Aborted()


lc.bind(publications)

if __name__ == '__main__':
    sys.stdout.reconfigure(line_buffering=True)
    lc.create(publications)
