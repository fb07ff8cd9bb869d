"""The library-mode worker that bench/proc_bench.py runs as child processes.

The same as doc/demos/threads/test_worker.py: a function actor answering
each ``Xy`` with a table, bound with ``entry_point=[Xy]`` so that
``self.create(lc.ProcessObject, worker)`` runs THIS file as a long-lived
child whose ``worker`` receives the messages sent to the ProcessObject.
Public API only; runs on both libraries.
"""

import layer_cake as lc

from proc_api import Xy, table_type
from proc_texture import texture


def worker(self):
    while True:
        m = self.input()
        if isinstance(m, Xy):
            pass
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            return lc.Aborted()
        else:
            continue

        table = texture(self, x=m.x, y=m.y)
        self.send(lc.cast_to(table, table_type), self.return_address)


# entry_point: the messages it takes when it runs as a child process.
lc.bind(worker, entry_point=[Xy])

if __name__ == '__main__':
    lc.create(worker)
