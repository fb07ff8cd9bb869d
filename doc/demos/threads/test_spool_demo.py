# test_spool_demo.py
import layer_cake as lc
from test_api import Xy
from test_worker import worker

shape_type = lc.def_type(list[list[int]])


def demo(self, requests: int=16, processes: bool=False):
    # Eight workers behind the one address of the spool: threads, or child
    # processes with --processes.
    if processes:
        spool = self.create(lc.ObjectSpool, lc.ProcessObject, worker, object_count=8)
    else:
        spool = self.create(lc.ObjectSpool, worker, object_count=8)

    answers = [None] * requests

    # Callback for on_return.
    def respond(self, response, args):
        answers[args.index] = response

    for i in range(requests):
        m = Xy(x=2 + i % 3, y=2 + i % 2)
        a = self.create(lc.GetResponse, m, spool)
        self.on_return(a, respond, index=i)

    ending = None
    while self.working() > 0:
        m = self.input()
        if isinstance(m, lc.Returned):
            d = self.debrief()
            if isinstance(d, lc.OnReturned):
                d(self, m)
            elif self.return_address == spool:
                # The spool ended on its own; no more answers will come.
                spool = None
                ending = ending or m.message or lc.Faulted('spool ended early')
                self.abort()
        elif isinstance(m, lc.Stop):
            ending = ending or lc.Aborted()
            self.abort()

    # Stop the spool and wait until it has ended.
    if spool is not None:
        self.send(lc.Stop(), spool)
        while True:
            m = self.input()
            if isinstance(m, lc.Returned) and self.return_address == spool:
                break

    if ending is not None:
        return ending
    for a in answers:
        if isinstance(a, lc.Faulted):
            return a

    # One [rows, columns] pair per answer, in request order.
    shapes = [[len(t), len(t[0])] for t in answers]
    return lc.cast_to(shapes, shape_type)

lc.bind(demo)

if __name__ == '__main__':
    lc.create(demo)
