"""A type that the middle process of the relay test never imports."""

import layer_cake as lc


class Secret(object):
    def __init__(self, text: str = None, reply_to: lc.Address = None):
        self.text = text
        self.reply_to = reply_to


lc.bind(Secret)
