"""A library-mode worker: answers Xy with a table and WhoAreYou with its pid."""

import os
import time

import layer_cake as lc
from layer_cake.test.process_types import IAm, SlowXy, WhoAreYou, Xy, make_table, table_type


def xy_worker(self):
    while True:
        m = self.input()
        if isinstance(m, Xy):
            self.send(lc.cast_to(make_table(m.x, m.y), table_type), self.return_address)
        elif isinstance(m, SlowXy):
            time.sleep(m.seconds)
            self.send(lc.cast_to(make_table(m.x, m.y), table_type), self.return_address)
        elif isinstance(m, WhoAreYou):
            self.reply(IAm(pid=os.getpid()))
        elif isinstance(m, lc.Stop):
            return lc.Aborted()


lc.bind(xy_worker, entry_point=[Xy, SlowXy, WhoAreYou])

if __name__ == '__main__':
    lc.create(xy_worker)
