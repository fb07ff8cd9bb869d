"""A function child: computes a table from its arguments and ends."""

import layer_cake as lc
from layer_cake.test.process_types import make_table


def texture(self, x: int = 8, y: int = 8) -> list[list[float]]:
    if x < 1 or y < 1 or x > 1000 or y > 1000:
        return lc.Faulted('out of bounds', 'x=%d, y=%d' % (x, y))
    return make_table(x, y)


lc.bind(texture)

if __name__ == '__main__':
    lc.create(texture)
