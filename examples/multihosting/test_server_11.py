# test_server_11.py
import layer_cake as lc
from test_api import Xy

DEFAULT_ADDRESS = lc.HostPort('127.0.0.1', 5050)
SERVER_API = [Xy,]


def server(self, server_address: lc.HostPort=None):
    server_address = server_address or DEFAULT_ADDRESS

    lc.listen(self, server_address, http_server=SERVER_API)
    m = self.input()
    if not isinstance(m, lc.Listening):
        return m

    # Workers of either release (10 or 11), one session per instance.
    lc.subscribe(self, r'test-multihosting:worker-1[01]:[-a-f0-9]+')
    m = self.input()
    if not isinstance(m, lc.Subscribed):
        return m
    subscribed = m

    worker_spool = self.create(lc.ObjectSpool, None)

    def respond(self, response, args):
        self.send(lc.cast_to(response, self.returned_type), args.return_address)

    while True:
        m = self.input()
        if isinstance(m, Xy):
            a = self.create(lc.GetResponse, m, worker_spool)
            self.on_return(a, respond, return_address=self.return_address)
        elif isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
        elif isinstance(m, lc.Available):
            self.send(lc.JoinSpool(m.publisher_address), worker_spool)
        elif isinstance(m, lc.Dropped):
            self.send(lc.LeaveSpool(m.remote_address), worker_spool)
        elif isinstance(m, (lc.NotListening, lc.Faulted, lc.Stop)):
            break

    # A managed ending: the spool first (requests in flight are answered
    # or failed), then the subscription, then the server's own value.
    ending = m if isinstance(m, lc.Faulted) else lc.Aborted()
    self.send(lc.Stop(), worker_spool)
    while True:
        m = self.input()
        if isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)          # a request that finished while the spool stopped
            elif self.return_address == worker_spool:
                break
    lc.clear_subscribed(self, subscribed)
    self.select(lc.SubscribedCleared)
    return ending


lc.bind(server)

if __name__ == '__main__':
    lc.create(server)
