"""The far end of the relay test: answers a Secret, knows its type."""

import layer_cake as lc
from layer_cake.test import secret_types as S


def relay_end(self):
    lc.listen(self, lc.HostPort('127.0.0.1', 0))
    m = self.input()
    print('port %d' % (m.listening_ipp.port,), flush=True)
    while True:
        m = self.input()
        if isinstance(m, S.Secret):
            self.send(S.Secret(text=m.text + ' and back', reply_to=self.object_address),
                      m.reply_to or self.return_address)
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(relay_end)

if __name__ == '__main__':
    lc.create(relay_end)
