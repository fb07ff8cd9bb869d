"""The process collector: no child process outlives the runtime that started it.

Every running ProcessObject is entered here.  When the process ends --
``lc.create``'s reactor shutting down, or ``tear_down`` in a program that
runs the runtime in the background -- each one is sent ``Stop`` (and so is
any that starts while clearing), and the end waits until all have ended or
``GRACE`` seconds have passed.  A child still running after that is killed.
"""

import threading

from ..runtime import engine
from ..runtime import start
from ..runtime.messages import Stop
from ..runtime import point

# Seconds the end of a process waits for its children.
GRACE = 10.0


class Collector(object):
    """The running ProcessObjects of this process (a runtime add-on)."""

    def __init__(self):
        self.running = {}           # address -> ProcessObject
        self.clearing = False
        self._address = None
        self._trigger = None
        self._reactor = None
        self._emptied = []          # callables run when the last one leaves

    # The add-on protocol (runtime/start.py).

    def start(self):
        self.clearing = False
        self._address = start.enter_quiet('process-collector').object_address
        reactor = engine.reactor
        if hasattr(reactor, 'addSystemEventTrigger'):
            self._reactor = reactor
            self._trigger = reactor.addSystemEventTrigger('before', 'shutdown',
                                                          self._before_shutdown)

    def stop(self):
        if self._trigger is not None:
            try:
                self._reactor.removeSystemEventTrigger(self._trigger)
            except (ValueError, KeyError):
                pass
            self._trigger = None
        reactor = engine.reactor
        if self.running and reactor is not None and getattr(reactor, 'running', False):
            if engine.on_reactor_thread():
                self._clear()                   # cannot wait here; kill after the grace
                reactor.callLater(GRACE, self._kill_remaining)
            else:
                done = threading.Event()
                engine.call_and_wait(self._clear_then, done.set)
                done.wait(GRACE)
                engine.call_and_wait(self._kill_remaining)
        self.running.clear()
        self._emptied = []

    # ProcessObjects come and go.

    def enter(self, process_object):
        self.running[process_object.object_address] = process_object
        if self.clearing:
            self._stop(process_object.object_address)

    def leave(self, process_object):
        self.running.pop(process_object.object_address, None)
        if not self.running and self._emptied:
            emptied, self._emptied = self._emptied, []
            for f in emptied:
                f()

    # Clearing (reactor thread).

    def _stop(self, address):
        point.send(Stop(), address, self._address)

    def _clear(self):
        self.clearing = True
        for address in list(self.running):
            self._stop(address)

    def _clear_then(self, f):
        """Stop everything; call ``f`` once all have ended (at once if none run)."""
        self._clear()
        if self.running:
            self._emptied.append(f)
        else:
            f()

    def _kill_remaining(self):
        for process_object in list(self.running.values()):
            process_object.kill_now()

    def _before_shutdown(self):
        if not self.running:
            return None
        from twisted.internet import defer
        d = defer.Deferred()
        timer = self._reactor.callLater(GRACE, self._give_up, d)

        def emptied():
            if timer.active():
                timer.cancel()
            if not d.called:
                d.callback(None)
        self._clear_then(emptied)
        return d

    def _give_up(self, d):
        self._kill_remaining()
        if not d.called:
            d.callback(None)


collector = Collector()
start.add_on(collector)
