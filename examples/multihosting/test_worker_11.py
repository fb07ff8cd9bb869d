# test_worker_11.py
import uuid
import layer_cake as lc
from test_api import Xy, table_type
from test_function_10 import texture


def worker(self):
    # Every instance gets a name of its own: a UUID as the last field.
    tag = uuid.uuid4()
    lc.publish(self, f'test-multihosting:worker-11:{tag}')
    m = self.input()
    if not isinstance(m, lc.Published):
        return m
    published = m

    while True:
        m = self.input()
        if isinstance(m, Xy):
            pass
        elif isinstance(m, lc.Faulted):
            return m
        elif isinstance(m, lc.Stop):
            # Leave the directory before ending: every session is dropped first.
            lc.clear_published(self, published)
            self.select(lc.PublishedCleared)
            return lc.Aborted()
        else:
            continue        # Delivered, Dropped and anything else

        table = texture(x=m.x, y=m.y)
        self.send(lc.cast_to(table, table_type), self.return_address)


lc.bind(worker)

if __name__ == '__main__':
    lc.create(worker)
