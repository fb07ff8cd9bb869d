"""Object types used by the runtime tests, bound at import like application code."""

import uuid

import layer_cake as lc


class Person(object):
    def __init__(self, given_name: str = None, age: int = 0):
        self.given_name = given_name
        self.age = age


lc.bind(Person)


class Mutable(object):
    def __init__(self, values: list[int] = None):
        self.values = values if values is not None else []


lc.bind(Mutable)


class Numbered(object):
    def __init__(self, n: int = 0):
        self.n = n


lc.bind(Numbered)


class Check(object):
    pass


lc.bind(Check)


def answer(self) -> int:
    return 42


lc.bind(answer)


def give_ack(self):
    return lc.Ack()


lc.bind(give_ack)


def give_fault(self) -> list[int]:
    return lc.Faulted('plain fault')


lc.bind(give_fault)


def give_none(self) -> list[int]:
    return None


lc.bind(give_none)


def boom(self):
    raise ValueError('boom')


lc.bind(boom)


def completes(self, value: int = 0):
    self.complete(value)
    return -1


lc.bind(completes, return_type=int)


def aborts_then_completes(self):
    self.abort(lc.Aborted())
    self.complete(lc.Ack())


lc.bind(aborts_then_completes)


def echo(self):
    """Reply to every message with itself until Stop."""
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
        self.send(lc.cast_to(m, self.received_type), self.return_address)


lc.bind(echo)


def counter(self, count: int = 1000):
    """Send ``count`` numbered messages to the parent, then end."""
    for i in range(count):
        self.send(Numbered(i), self.parent_address)
    return lc.Ack()


lc.bind(counter)


def sleeper(self):
    """Block until released by an Ack, then read everything that queued up."""
    first = self.input()
    received = [first]
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            break
        received.append(m)
    return lc.cast_to(len(received), lc.int_type)


lc.bind(sleeper)


# Machines.

class Recorder(lc.Point, lc.Stateless):
    """Records the first message it receives and reports it to the parent."""

    def __init__(self):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Recorder_Start(self, message):
    self.send(lc.Ack(), self.return_address)


def Recorder_Nak(self, message):
    self.send(lc.Nak(), self.return_address)


def Recorder_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(Recorder, (lc.Start, lc.Nak, lc.Stop))


class Passer(lc.Point, lc.Stateless):
    """Passes every Numbered on to ``onward`` (an address)."""

    def __init__(self, onward=None):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.onward = onward


def Passer_Start(self, message):
    pass


def Passer_Numbered(self, message):
    self.send(message, self.onward)


def Passer_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(Passer, (lc.Start, Numbered, lc.Stop))


class ThreadedRecorder(lc.Threaded, lc.Stateless):
    def __init__(self):
        lc.Threaded.__init__(self)
        lc.Stateless.__init__(self)


def ThreadedRecorder_Start(self, message):
    self.send(lc.Ack(), self.return_address)


def ThreadedRecorder_Nak(self, message):
    self.send(lc.Nak(), self.return_address)


def ThreadedRecorder_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(ThreadedRecorder, (lc.Start, lc.Nak, lc.Stop))


class ListMaker(lc.Threaded, lc.Stateless):
    def __init__(self):
        lc.Threaded.__init__(self)
        lc.Stateless.__init__(self)


def ListMaker_Start(self, message):
    self.complete([1, 2, 3])


lc.bind(ListMaker, (lc.Start,), return_type=list[int])


class Sorter(lc.Point, lc.Stateless):
    """Reports which handler got each message, by name."""

    def __init__(self):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def _report(self, name):
    self.send(lc.cast_to(name, lc.str_type), self.parent_address)


def Sorter_Start(self, message):
    _report(self, 'Start')


def Sorter_int(self, message):
    _report(self, 'int')


def Sorter_list_int(self, message):
    _report(self, 'list_int')


def Sorter_Person(self, message):
    _report(self, 'Person')


def Sorter_dict_UUID_Person(self, message):
    _report(self, 'dict_UUID_Person')


def Sorter_Faulted(self, message):
    _report(self, 'Faulted:' + type(message).__name__)


def Sorter_Unknown(self, message):
    _report(self, 'Unknown:' + type(message).__name__)


def Sorter_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(Sorter, (lc.Start, int, list[int], Person, dict[uuid.UUID, Person], lc.Faulted,
                 lc.Unknown, lc.Stop))


class Strict(lc.Point, lc.Stateless):
    """No Unknown entry: anything else is dropped."""

    def __init__(self):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Strict_Start(self, message):
    pass


def Strict_Enquiry(self, message):
    self.reply(lc.Ack())


lc.bind(Strict, (lc.Start, lc.Enquiry))


class IDLE(object):
    pass


class BUSY(object):
    pass


class Worker(lc.Point, lc.StateMachine):
    """IDLE takes Check; BUSY saves Check until an Ack returns it to IDLE."""

    def __init__(self):
        lc.Point.__init__(self)
        lc.StateMachine.__init__(self, IDLE)


def Worker_IDLE_Start(self, message):
    return IDLE


def Worker_IDLE_Check(self, message):
    self.send(lc.cast_to('check', lc.str_type), self.parent_address)
    return IDLE


def Worker_IDLE_Enquiry(self, message):
    self.send(lc.cast_to('busy', lc.str_type), self.parent_address)
    return BUSY


def Worker_BUSY_Ack(self, message):
    self.send(lc.cast_to('idle', lc.str_type), self.parent_address)
    return IDLE


def Worker_BUSY_Nak(self, message):
    self.send(lc.cast_to('nak', lc.str_type), self.parent_address)
    return BUSY


def Worker_IDLE_Nak(self, message):
    return None


lc.bind(Worker, {IDLE: ((lc.Start, Check, lc.Enquiry, lc.Nak), ()),
                 BUSY: ((lc.Ack, lc.Nak), (Check,))})


class Ticker(lc.Point, lc.Stateless):
    """Starts T1 at creation; reports every T1 to its parent."""

    def __init__(self, seconds: float = 1.0, repeating: bool = False):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.seconds = seconds
        self.repeating = repeating


def Ticker_Start(self, message):
    self.start(lc.T1, self.seconds, repeating=self.repeating)


def Ticker_T1(self, message):
    self.send(lc.T1(), self.parent_address)


def Ticker_Stop(self, message):
    self.complete(lc.Aborted())


def Ticker_Nak(self, message):
    self.cancel(lc.T1)


lc.bind(Ticker, (lc.Start, lc.T1, lc.Stop, lc.Nak))
