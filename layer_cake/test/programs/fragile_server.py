"""An HTTP server whose spool workers die on x=13 (a request in flight)."""

import layer_cake as lc
from layer_cake.test.http_types import Xy, table_type


def fragile_worker(self):
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
        if not isinstance(m, Xy):
            continue
        if m.x == 13:
            raise ValueError('unlucky request')
        table = [[1.0] * m.x for _ in range(m.y)]
        self.send(lc.cast_to(table, table_type), self.return_address)


lc.bind(fragile_worker)


def fragile_server(self):
    lc.listen(self, lc.HostPort('127.0.0.1', 0), http_server=[Xy])
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m
    print('port %d' % (m.listening_ipp.port,), flush=True)
    spool = self.create(lc.ObjectSpool, fragile_worker, object_count=2)
    while True:
        m = self.input()
        if isinstance(m, Xy):
            pass
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
            continue
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        else:
            continue

        def respond(self, response, args):
            self.send(lc.cast_to(response, self.returned_type), args.return_address)
        a = self.create(lc.GetResponse, m, spool)
        self.on_return(a, respond, return_address=self.return_address)


lc.bind(fragile_server)

if __name__ == '__main__':
    lc.create(fragile_server)
