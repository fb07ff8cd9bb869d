"""A parent of worker processes: starts ``count`` library-mode workers, prints
``child <pid>`` for each, then waits for Stop -- or, with ``--leave``, ends at
once, leaving the process collector to stop the children."""

import layer_cake as lc
from layer_cake.test.process_types import IAm, WhoAreYou
from layer_cake.test.programs.xy_worker import xy_worker


def process_parent(self, count: int = 2, leave: bool = False):
    workers = [self.create(lc.ProcessObject, xy_worker) for _ in range(count)]
    for w in workers:
        self.send(WhoAreYou(), w)
    seen = 0
    while seen < count:
        m = self.input()
        if isinstance(m, IAm):
            print('child %d' % (m.pid,), flush=True)
            seen += 1
        elif isinstance(m, (lc.Returned, lc.Stop)):
            return lc.Faulted('worker ended early')
    print('ready', flush=True)
    if leave:
        return None
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(process_parent)

if __name__ == '__main__':
    lc.create(process_parent)
