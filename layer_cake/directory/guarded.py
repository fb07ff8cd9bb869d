"""Directory objects outlive their own defects.

A machine whose handler raises is ended by the runtime, which is right for an
application object and wrong for the directory: one bad message or one bug
in a rare path would cut every publication and subscription of the process.
:func:`guarded` wraps a handler (or a callback the tier calls) so that an
exception is logged as a fault and the object carries on.
"""

import functools

from ..runtime import log as L

__all__ = ['guarded']


def guarded(handler):
    @functools.wraps(handler)
    def run(self, *args):
        try:
            return handler(self, *args)
        except Exception as e:
            if L.USER_LOG.FAULT >= L.threshold:
                self.log(L.USER_TAG.FAULT, 'defect in %s (%s: %s)' % (
                    handler.__name__, type(e).__name__, e))
            return None
    return run
