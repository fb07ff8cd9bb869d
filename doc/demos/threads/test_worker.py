# test_worker.py
import layer_cake as lc
from test_api import Xy, table_type
from test_function import texture


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
