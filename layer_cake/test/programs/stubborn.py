"""A child that ignores Stop (and so SIGTERM, which becomes a Stop); it answers
WhoAreYou so that a parent knows when it is up."""

import os

import layer_cake as lc
from layer_cake.test.process_types import IAm, WhoAreYou


def stubborn(self):
    while True:
        m = self.input()
        if isinstance(m, WhoAreYou):
            self.reply(IAm(pid=os.getpid()))


lc.bind(stubborn, entry_point=[WhoAreYou])

if __name__ == '__main__':
    lc.create(stubborn)
