"""A peer process for connection tests: listens, echoes what it receives."""

import layer_cake as lc


def echo_peer(self):
    lc.listen(self, lc.HostPort('127.0.0.1', 0))
    m = self.input()
    print('port %d' % (m.listening_ipp.port,), flush=True)
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
        if isinstance(m, (lc.Accepted, lc.Closed)):
            continue
        if not lc.is_message(m):
            m = lc.cast_to(m, self.received_type)
        self.reply(m)


lc.bind(echo_peer)

if __name__ == '__main__':
    lc.create(echo_peer)
