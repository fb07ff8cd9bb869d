"""Message types for the networking tests (every test process imports these)."""

import layer_cake as lc


class Directions(object):
    """Carries an address across a connection."""

    def __init__(self, address: lc.Address = None, note: str = None):
        self.address = address
        self.note = note


class Numbered(object):
    def __init__(self, n: int = 0):
        self.n = n


lc.bind(Directions)
lc.bind(Numbered)
