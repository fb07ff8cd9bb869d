# test_server_2.py
import layer_cake as lc
from test_api import Xy
from test_worker import worker

DEFAULT_ADDRESS = lc.HostPort('127.0.0.1', 5050)
SERVER_API = [Xy,]


def server(self, server_address: lc.HostPort=None, processes: bool=False):
    server_address = server_address or DEFAULT_ADDRESS

    lc.listen(self, server_address, http_server=SERVER_API)
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m

    # Eight workers behind one address: threads, or with --processes,
    # child processes -- the one argument lc.ProcessObject makes the switch.
    if processes:
        worker_spool = self.create(lc.ObjectSpool, lc.ProcessObject, worker, object_count=8)
    else:
        worker_spool = self.create(lc.ObjectSpool, worker, object_count=8)

    while True:
        m = self.input()
        if isinstance(m, Xy):
            pass
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
            continue
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        else:
            continue

        # Callback for on_return: pass the answer back to the HTTP client.
        def respond(self, response, args):
            self.send(lc.cast_to(response, self.returned_type), args.return_address)

        a = self.create(lc.GetResponse, m, worker_spool)
        self.on_return(a, respond, return_address=self.return_address)

lc.bind(server)

if __name__ == '__main__':
    lc.create(server)
