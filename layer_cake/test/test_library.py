"""Library objects: callbacks on return, GetResponse, Delay, Concurrently,
Sequentially, ObjectSpool and retry schedules (runtime.md §7.2, §13; §19 items
21-25).  Every time-based test drives a fake clock; nothing sleeps."""

import itertools

import layer_cake as lc
from layer_cake.runtime import address as A
from layer_cake.runtime import engine
from layer_cake.runtime.library import concurrent, response, retry, spool
from layer_cake.test.support import RuntimeTestCase
from layer_cake.types import portable as P


# Messages of the tests.

class Job(object):
    """A request for a SpoolWorker: answer after ``seconds`` (fake clock), or act out ``action``."""

    def __init__(self, seconds: float = 0.0, tag: int = 0, action: str = 'reply'):
        self.seconds = seconds
        self.tag = tag
        self.action = action


class Done(object):
    """A SpoolWorker's answer: which job, and which worker did it."""

    def __init__(self, tag: int = 0, worker: lc.Address = None):
        self.tag = tag
        self.worker = worker


lc.bind(Job)
lc.bind(Done)

# (tag, worker address, fake-clock time) of every Job a SpoolWorker received.
ARRIVALS = []


# Workers and servers.

class SpoolWorker(lc.Point, lc.Stateless):
    """Answers a Job with Done after job.seconds; on Stop ends after ``linger`` seconds.

    Actions: 'reply' (default); 'reply-end' answers then ends; 'end' ends
    without answering; 'silent' never answers.
    """

    def __init__(self, linger: float = 0.0):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.linger = linger
        self.job = None
        self.client = None


def SpoolWorker_Start(self, message):
    pass


def SpoolWorker_Job(self, message):
    ARRIVALS.append((message.tag, self.object_address, engine.clock.seconds()))
    if message.action == 'end':
        self.complete(lc.Ack())
    if message.action == 'silent':
        return
    if message.seconds > 0:
        self.job, self.client = message, self.return_address
        self.start(lc.T2, message.seconds)
        return
    self.reply(Done(message.tag, self.object_address))
    if message.action == 'reply-end':
        self.complete(lc.Ack())


def SpoolWorker_T2(self, message):
    self.send(Done(self.job.tag, self.object_address), self.client)


def SpoolWorker_T3(self, message):
    self.complete(lc.Aborted())


def SpoolWorker_Stop(self, message):
    if self.linger:
        self.start(lc.T3, self.linger)
        return
    self.complete(lc.Aborted())


lc.bind(SpoolWorker, (lc.Start, Job, lc.T2, lc.T3, lc.Stop))


class AckServer(lc.Point, lc.Stateless):
    """Answers every Enquiry with an Ack."""

    def __init__(self):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def AckServer_Start(self, message):
    pass


def AckServer_Enquiry(self, message):
    self.reply(lc.Ack())


lc.bind(AckServer, (lc.Start, lc.Enquiry))


def list_worker(self):
    """A function-actor worker: answers a Job with a constructed list[int]."""
    while True:
        m = self.input()
        if isinstance(m, lc.Stop):
            return lc.Aborted()
        if isinstance(m, Job):
            self.reply(lc.cast_to([m.tag, m.tag * 2], list[int]))


lc.bind(list_worker)


def answer(self, value: int = 42) -> int:
    return value


lc.bind(answer)


def refuse(self) -> int:
    return lc.Faulted('refused', 'on purpose')


lc.bind(refuse)


# A stand-in named like the real ProcessObject (issue 4), to check that the
# spool hands such a type a role_name.  It runs SpoolWorker-like jobs itself.

ROLES = []


class ProcessObject(lc.Point, lc.Stateless):
    """Records the role_name it was created with; a Job with action 'end' ends it."""

    def __init__(self, object_type, *args, role_name: str = None, **settings):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.object_type = object_type
        self.role_name = role_name


def ProcessObject_Start(self, message):
    ROLES.append((self.role_name, self.object_type))


def ProcessObject_Job(self, message):
    if message.action == 'end':
        self.complete(lc.Ack())
    self.reply(Done(message.tag, self.object_address))


def ProcessObject_Stop(self, message):
    self.complete(lc.Aborted())


lc.bind(ProcessObject, (lc.Start, Job, lc.Stop))


# A machine using on_return (item 21).

CALLBACKS = []


class Parent(lc.Point, lc.Stateless):
    """Creates one child with on_return and records what its Returned handler sees."""

    def __init__(self, value: int = 7):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)
        self.value = value


def Parent_Start(self, message):
    self.child = self.create(answer, value=self.value)
    self.on_return(self.child, parent_callback, return_address=self.parent_address)
    self.before = self.working()


def Parent_Returned(self, message):
    d = self.debrief()
    CALLBACKS.append(dict(context=d, unknown=self.debrief((987654321,)), before=self.before,
                          after=self.working(), child=self.child, sender=self.return_address))
    d(self, message)
    self.complete(lc.Ack())


def parent_callback(self, value, args):
    CALLBACKS.append(dict(value=value, returned_type=self.returned_type,
                          requester=args.return_address))


lc.bind(Parent, (lc.Start, lc.Returned))


VECTOR_OF_ANY = lc.def_type(lc.VectorOf(lc.Any()))


class LibraryTestCase(RuntimeTestCase):
    fake_clock = True

    def setUp(self):
        RuntimeTestCase.setUp(self)
        del ARRIVALS[:]
        del CALLBACKS[:]
        del ROLES[:]

    def nothing_queued(self, ch):
        self.settle()
        self.assertEqual(ch._inbox.qsize(), 0)

    def returned(self, ch, address):
        """The next message on ``ch``: a Returned from ``address``; its message."""
        m, _ = self.receive(ch, lc.Returned)
        self.assertEqual(ch.return_address, address)
        return m.message

    def replies(self, ch, n):
        """The next ``n`` messages on ``ch`` with their return addresses."""
        got = []
        for _ in range(n):
            m = self.input(ch)
            got.append((m, ch.return_address))
        return got

    def create_settled(self, ch, *args, **kw):
        a = ch.create(*args, **kw)
        self.settle()
        return a


# Item 21.

class OnReturnTests(LibraryTestCase):

    def test_on_return_in_a_machine(self):
        """Item 21: in a Returned handler debrief() yields an OnReturned; calling it runs f with the un-cast value, args and returned_type; working() drops; unknown debrief is None."""
        ch = self.channel()
        p = ch.create(Parent, value=9)
        self.assertIsInstance(self.returned(ch, p), lc.Ack)
        handler, callback = CALLBACKS
        self.assertIsInstance(handler['context'], lc.OnReturned)
        self.assertIsNone(handler['unknown'])
        self.assertEqual((handler['before'], handler['after']), (1, 0))
        self.assertEqual(handler['sender'], handler['child'])
        self.assertEqual(callback['value'], 9)
        self.assertIs(callback['returned_type'], lc.def_type(int))
        self.assertEqual(callback['requester'], ch.object_address)

    def test_on_return_in_a_channel(self):
        """Item 21: the same with a channel: f gets the un-cast value and args.return_address, working() drops by one."""
        ch = self.channel()
        a = ch.create(answer, value=5)
        b = ch.create(answer, value=6)
        seen = []

        def f(self, value, args):
            seen.append((value, self.returned_type, args.return_address, self.return_address))
        ch.on_return(a, f, return_address=(1001,))
        ch.on_return(b, f, return_address=(1002,))
        self.assertEqual(ch.working(), 2)
        m, _ = self.receive(ch, lc.Returned)
        d = ch.debrief()
        self.assertIsInstance(d, lc.OnReturned)
        self.assertEqual(ch.working(), 1)
        d(ch, m)
        expected = {a: (5, (1001,)), b: (6, (1002,))}[ch.return_address]
        value, returned_type, requester, child = seen[0]
        self.assertEqual((value, requester), expected)
        self.assertIs(returned_type, lc.def_type(int))
        self.assertIn(child, (a, b))
        self.assertIsNone(ch.debrief((987654321,)))
        self.assertEqual(ch.working(), 1)


# Item 22 and Delay.

class GetResponseTests(LibraryTestCase):

    def test_sends_from_its_own_address(self):
        """Item 22: GetResponse(Enquiry(), server) sends from its own address; the server's Ack comes back as Returned(message=Ack)."""
        ch, server = self.channel(), self.channel()
        a = ch.create(lc.GetResponse, lc.Enquiry(), server.object_address)
        m, _ = self.receive(server, lc.Enquiry)
        self.assertEqual(server.return_address, a)
        self.assertNotEqual(a, ch.object_address)
        server.reply(lc.Ack())
        self.assertIsInstance(self.returned(ch, a), lc.Ack)

    def test_constructed_response_keeps_its_type(self):
        """§13.1: a constructed reply is delivered as cast_to(value, received_type)."""
        ch, server = self.channel(), self.channel()
        a = ch.create(lc.GetResponse, lc.Enquiry(), server.object_address, seconds=5.0)
        self.receive(server, lc.Enquiry)
        server.reply(lc.cast_to([1, 2], list[int]))
        self.assertEqual(self.returned(ch, a), ([1, 2], lc.def_type(list[int])))

    def test_timeout(self):
        """Item 22: with seconds=0.5 and no reply it ends with TimedOut(T1), not before 0.5 s."""
        ch, server = self.channel(), self.channel()
        a = self.create_settled(ch, lc.GetResponse, lc.Enquiry(), server.object_address,
                                seconds=0.5)
        self.advance(0.49)
        self.nothing_queued(ch)
        self.advance(0.01)
        m = self.returned(ch, a)
        self.assertIsInstance(m, lc.TimedOut)
        self.assertIsInstance(m.timer, lc.T1)
        self.assertEqual(str(m), 'timed out ("T1" exceeded)')

    def test_stop(self):
        """Item 22: Stop ends a waiting GetResponse with Aborted."""
        ch, server = self.channel(), self.channel()
        a = ch.create(lc.GetResponse, lc.Enquiry(), server.object_address)
        self.receive(server, lc.Enquiry)
        ch.send(lc.Stop(), a)
        self.assertIsInstance(self.returned(ch, a), lc.Aborted)

    def test_delay(self):
        """§13.2: Delay(1.0) ends with TimedOut(T1) after 1.0 s and not before."""
        ch = self.channel()
        a = self.create_settled(ch, lc.Delay, 1.0)
        self.advance(0.99)
        self.nothing_queued(ch)
        self.advance(0.01)
        m = self.returned(ch, a)
        self.assertIsInstance(m, lc.TimedOut)
        self.assertIsInstance(m.timer, lc.T1)

    def test_delay_stop(self):
        """§13.2: Stop ends a Delay with Aborted."""
        ch = self.channel()
        a = self.create_settled(ch, lc.Delay, 10.0)
        ch.send(lc.Stop(), a)
        self.assertIsInstance(self.returned(ch, a), lc.Aborted)

    def test_thread_hints(self):
        """§4.2: the library machines are bound with their upstream thread names."""
        names = {lc.GetResponse: 'get-response', lc.Delay: 'delay',
                 lc.Concurrently: 'concurrently', lc.Sequentially: 'sequentially',
                 lc.ObjectSpool: 'object-spool'}
        for cls, name in names.items():
            self.assertEqual(P.registration_of(cls).thread, name)


# Item 23.

class ConcurrentlyTests(LibraryTestCase):

    def test_four_requests(self):
        """Item 23: four (Enquiry(), s) items deliver (list of 4 Acks, VectorOf(Any()))."""
        ch = self.channel()
        s = ch.create(AckServer)
        a = ch.create(lc.Concurrently, *[(lc.Enquiry(), s) for _ in range(4)])
        value, portable = self.returned(ch, a)
        self.assertIs(portable, VECTOR_OF_ANY)
        self.assertEqual(len(value), 4)
        for v in value:
            self.assertIsInstance(v, lc.Ack)

    def test_results_in_request_order(self):
        """Item 23: results are in item order although the answers arrive in reverse; all items start at once."""
        ch = self.channel()
        workers = [ch.create(SpoolWorker) for _ in range(4)]
        a = self.create_settled(ch, lc.Concurrently,
                                *[(Job(seconds=4.0 - i, tag=i), w) for i, w in enumerate(workers)])
        self.assertEqual(sorted((t, w, s) for t, w, s in ARRIVALS),
                         [(i, workers[i], 0.0) for i in range(4)])
        self.advance(4.0)
        value, portable = self.returned(ch, a)
        self.assertEqual([d.tag for d in value], [0, 1, 2, 3])
        self.assertEqual([d.worker for d in value], workers)

    def test_frames_and_requests_mixed(self):
        """§13.3: CreateFrame results are stored as cast_to(value, returned_type); faults are kept in place."""
        ch = self.channel()
        s = ch.create(AckServer)
        a = ch.create(lc.Concurrently, lc.CreateFrame(answer, value=3), (lc.Enquiry(), s),
                      lc.CreateFrame(refuse))
        value, portable = self.returned(ch, a)
        self.assertEqual(value[0], (3, lc.def_type(int)))
        self.assertIsInstance(value[1], lc.Ack)
        self.assertEqual(str(value[2]), 'refused (on purpose)')

    def test_timeout_after_children_end(self):
        """Item 23: with seconds and a silent server it ends with TimedOut, only after every child has ended."""
        ch, silent = self.channel(), self.channel()
        a = self.create_settled(ch, lc.Concurrently, lc.CreateFrame(SpoolWorker, linger=1.0),
                                (lc.Enquiry(), silent.object_address), seconds=2.0)
        self.receive(silent, lc.Enquiry)
        self.advance(1.99)
        self.nothing_queued(ch)
        self.advance(0.01)
        self.nothing_queued(ch)             # the lingering child has not ended yet
        self.advance(1.0)
        m = self.returned(ch, a)
        self.assertIsInstance(m, lc.TimedOut)
        self.assertIsInstance(m.timer, lc.T1)

    def test_zero_items(self):
        """Item 23: zero items deliver ([], VectorOf(Any())) at once (no clock movement)."""
        ch = self.channel()
        a = ch.create(lc.Concurrently)
        value, portable = self.returned(ch, a)
        self.assertEqual(value, [])
        self.assertIs(portable, VECTOR_OF_ANY)

    def test_stop(self):
        """§13.3: Stop aborts the children and ends with Aborted once they have ended."""
        ch, silent = self.channel(), self.channel()
        a = ch.create(lc.Concurrently, (lc.Enquiry(), silent.object_address),
                      lc.CreateFrame(SpoolWorker, linger=1.0))
        self.receive(silent, lc.Enquiry)
        ch.send(lc.Stop(), a)
        self.nothing_queued(ch)
        self.advance(1.0)
        self.assertIsInstance(self.returned(ch, a), lc.Aborted)

    def test_bad_item(self):
        """§13.3: an item that is neither form ends it with Faulted('unexpected frame/request [i]'), creating nothing."""
        ch, silent = self.channel(), self.channel()
        a = ch.create(lc.Concurrently, (lc.Enquiry(), silent.object_address), 'nonsense')
        m = self.returned(ch, a)
        self.assertEqual(type(m), lc.Faulted)
        self.assertEqual(str(m), 'unexpected frame/request [1]')
        self.nothing_queued(silent)


class SequentiallyTests(LibraryTestCase):

    def test_one_at_a_time(self):
        """§13.4: items run in order, each after the previous one ended; the list is typed VectorOf(Any())."""
        ch = self.channel()
        w1, w2 = ch.create(SpoolWorker), ch.create(SpoolWorker)
        a = self.create_settled(ch, lc.Sequentially, (Job(1.0, 0), w1), (Job(1.0, 1), w2),
                                lc.CreateFrame(answer, value=4))
        self.assertEqual(ARRIVALS, [(0, w1, 0.0)])
        self.advance(1.0)
        self.settle()
        self.assertEqual(ARRIVALS, [(0, w1, 0.0), (1, w2, 1.0)])
        self.advance(1.0)
        value, portable = self.returned(ch, a)
        self.assertIs(portable, VECTOR_OF_ANY)
        self.assertEqual([(d.tag, d.worker) for d in value[:2]], [(0, w1), (1, w2)])
        self.assertEqual(value[2], (4, lc.def_type(int)))

    def test_fault_ends_it(self):
        """§13.4: a Faulted result ends it with that fault; later items never run."""
        ch = self.channel()
        w = ch.create(SpoolWorker)
        a = ch.create(lc.Sequentially, lc.CreateFrame(answer), lc.CreateFrame(refuse),
                      (Job(tag=9), w))
        m = self.returned(ch, a)
        self.assertEqual(str(m), 'refused (on purpose)')
        self.settle()
        self.assertEqual(ARRIVALS, [])

    def test_zero_items(self):
        """§13.4: zero items deliver ([], VectorOf(Any())) at once."""
        ch = self.channel()
        a = ch.create(lc.Sequentially)
        self.assertEqual(self.returned(ch, a), ([], VECTOR_OF_ANY))

    def test_timeout(self):
        """§13.4: with seconds the running child is stopped, it ends with TimedOut, and later items never run."""
        ch, silent = self.channel(), self.channel()
        w = ch.create(SpoolWorker)
        a = self.create_settled(ch, lc.Sequentially, (lc.Enquiry(), silent.object_address),
                                (Job(tag=1), w), seconds=1.0)
        self.receive(silent, lc.Enquiry)
        self.advance(0.99)
        self.nothing_queued(ch)
        self.advance(0.01)
        self.assertIsInstance(self.returned(ch, a), lc.TimedOut)
        self.assertEqual(ARRIVALS, [])

    def test_stop(self):
        """§13.4: Stop ends it with Aborted after the running child has ended."""
        ch = self.channel()
        a = self.create_settled(ch, lc.Sequentially, lc.CreateFrame(SpoolWorker, linger=1.0))
        ch.send(lc.Stop(), a)
        self.nothing_queued(ch)
        self.advance(1.0)
        self.assertIsInstance(self.returned(ch, a), lc.Aborted)

    def test_bad_item(self):
        """§13.4: a bad item (an unregistered CreateFrame) gives Faulted('unexpected frame/request [0]')."""
        ch = self.channel()
        a = ch.create(lc.Sequentially, lc.CreateFrame(lambda self: None), lc.CreateFrame(answer))
        self.assertEqual(str(self.returned(ch, a)), 'unexpected frame/request [0]')


# Items 24 and 25.

BUSY_1 = 'message rejected by spool (average response time 1.00)'


class SpoolTests(LibraryTestCase):

    def test_overloaded(self):
        """Item 24: object_count=1, size_of_queue=1 and 4 slow requests: two Overloaded at once, two results, all from the spool."""
        ch = self.channel()
        s = self.create_settled(ch, lc.ObjectSpool, SpoolWorker, object_count=1,
                                size_of_queue=1)
        for i in range(4):
            ch.send(Job(seconds=1.0, tag=i), s)
        got = self.replies(ch, 2)
        for m, sender in got:
            self.assertIsInstance(m, lc.Overloaded)
            self.assertEqual(str(m), 'message rejected by spool (overloaded, 1 pending)')
            self.assertEqual(sender, s)
        self.nothing_queued(ch)
        self.advance(1.0)
        self.settle()
        self.advance(1.0)
        got = self.replies(ch, 2)
        self.assertEqual([(m.tag, sender) for m, sender in got], [(0, s), (1, s)])
        self.nothing_queued(ch)

    def test_stop_after_workers_end(self):
        """Item 24: Stop yields Returned(Aborted) only after the workers (which linger 1 s) have ended."""
        ch = self.channel()
        s = ch.create(lc.ObjectSpool, SpoolWorker, object_count=2, linger=1.0)
        ch.send(Job(tag=0), s)
        ch.send(Job(tag=1), s)
        workers = [m.worker for m, _ in self.replies(ch, 2)]
        self.assertEqual(len(set(workers)), 2)
        ch.send(lc.Stop(), s)
        self.nothing_queued(ch)
        self.assertTrue(all(A.lookup(w) is not None for w in workers))
        self.advance(1.0)
        self.assertIsInstance(self.returned(ch, s), lc.Aborted)
        self.assertTrue(all(A.lookup(w) is None for w in workers))

    def test_invalid_parameters(self):
        """Item 24: object_count=0 (and each other bad parameter) yields a Faulted with the parameters."""
        ch = self.channel()
        s = ch.create(lc.ObjectSpool, SpoolWorker, object_count=0)
        m = self.returned(ch, s)
        self.assertIsInstance(m, lc.Faulted)
        self.assertEqual(str(m), 'unexpected parameters (count=0, size=None, '
                                 'responsiveness=5.0), stand_down=30.0)')
        for kw in (dict(size_of_queue=0), dict(responsiveness=0.4), dict(stand_down=1.0)):
            s = ch.create(lc.ObjectSpool, SpoolWorker, **kw)
            m = self.returned(ch, s)
            self.assertTrue(str(m).startswith('unexpected parameters (count=8, '), str(m))
        self.settle()
        self.assertEqual(ARRIVALS, [])

    def test_round_robin(self):
        """§13.5: idle workers are used in turn (oldest idle first)."""
        ch = self.channel()
        s = ch.create(lc.ObjectSpool, SpoolWorker, object_count=3)
        order = []
        for i in range(6):
            ch.send(Job(tag=i), s)
            m, sender = self.replies(ch, 1)[0]
            self.assertEqual((m.tag, sender), (i, s))
            order.append(m.worker)
        self.assertEqual(len(set(order)), 3)
        self.assertEqual(order[3:], order[:3])

    def test_function_workers_and_cast_replies(self):
        """§13.5: function-actor workers; the reply reaches the requester from the spool as cast_to(value, returned_type)."""
        ch = self.channel()
        s = ch.create(lc.ObjectSpool, list_worker, object_count=2)
        for i in range(3):
            ch.send(Job(tag=i), s)
        got = sorted(self.receive(ch, list[int])[0] for _ in range(3))
        self.assertEqual(got, [[0, 0], [1, 2], [2, 4]])
        self.assertEqual(ch.return_address, s)
        self.assertIs(ch.received_type, lc.def_type(list[int]))
        ch.send(lc.Stop(), s)
        self.assertIsInstance(self.returned(ch, s), lc.Aborted)

    def test_busy_mode(self):
        """Item 25: with the mean response time >= responsiveness, 9 of 10 requests get Busy; passed requests let the mean recover."""
        ch = self.channel()
        s = self.create_settled(ch, lc.ObjectSpool, SpoolWorker, object_count=1,
                                responsiveness=0.5, busy_pass_rate=10)
        ch.send(Job(seconds=1.0, tag=0), s)
        self.settle()
        self.advance(1.0)
        self.assertEqual(self.replies(ch, 1)[0][0].tag, 0)
        # Mean 1.00: every 10th request passes.
        for text, first in ((BUSY_1, 1),
                            ('message rejected by spool (average response time 0.50)', 11)):
            for i in range(first, first + 10):
                ch.send(Job(tag=i), s)
            got = self.replies(ch, 10)
            busy = [m for m, sender in got if isinstance(m, lc.Busy)]
            done = [m.tag for m, sender in got if isinstance(m, Done)]
            self.assertEqual(len(busy), 9)
            self.assertEqual(set(str(m) for m in busy), {text})
            self.assertEqual(done, [first + 9])
            self.assertTrue(all(sender == s for _, sender in got))
        # Mean (1 + 0 + 0) / 3 < 0.5: everything passes again.
        for i in range(21, 31):
            ch.send(Job(tag=i), s)
        self.assertEqual(sorted(m.tag for m, _ in self.replies(ch, 10)), list(range(21, 31)))

    def test_mean_of_last_32(self):
        """Item 25: busy mode follows the mean of exactly the last 32 response times."""
        ch = self.channel()
        s = self.create_settled(ch, lc.ObjectSpool, SpoolWorker, object_count=1,
                                responsiveness=0.5)
        for i in range(24):
            ch.send(Job(tag=i), s)
        self.replies(ch, 24)
        # Slow answers (each under the 2.5 s time-out): 7 x 2.0 + 1.5 = 15.5 s.
        for i, seconds in enumerate([2.0] * 7 + [1.5], 24):
            ch.send(Job(seconds=seconds, tag=i), s)
            self.settle()
            self.advance(seconds)
            self.assertEqual(self.replies(ch, 1)[0][0].tag, i)
        # 15.5 / 32 < 0.5, so this passes (over the last 31 the mean would be 0.5).
        ch.send(Job(seconds=0.5, tag=32), s)
        self.settle()
        self.advance(0.5)
        self.assertEqual(self.replies(ch, 1)[0][0].tag, 32)
        # (15.5 + 0.5) / 32 == 0.5: busy (over all 33 answers it would not be).
        for i in range(33, 43):
            ch.send(Job(tag=i), s)
        got = self.replies(ch, 10)
        self.assertEqual(sum(isinstance(m, lc.Busy) for m, _ in got), 9)
        self.assertEqual(str(got[0][0]), 'message rejected by spool (average response time 0.50)')

    def test_timeouts_not_counted(self):
        """Item 25: a request that times out (responsiveness x 5) is answered TimedOut and does not count in the mean."""
        ch = self.channel()
        s = self.create_settled(ch, lc.ObjectSpool, SpoolWorker, object_count=1,
                                responsiveness=0.5)
        ch.send(Job(seconds=100.0, tag=0), s)
        self.settle()
        self.advance(2.49)
        self.nothing_queued(ch)
        self.advance(0.01)
        m, sender = self.replies(ch, 1)[0]
        self.assertIsInstance(m, lc.TimedOut)
        self.assertEqual(sender, s)
        for i in range(1, 11):
            ch.send(Job(tag=i), s)
        self.assertEqual(sorted(m.tag for m, _ in self.replies(ch, 10)), list(range(1, 11)))

    def test_ended_worker_replaced_and_never_reused(self):
        """Item 25: a worker that ends is replaced after the stand-down delay (spread 1.5-2.5 s) and never gets another request."""
        ch = self.channel()
        s = ch.create(lc.ObjectSpool, SpoolWorker, object_count=2, stand_down=2.0,
                      responsiveness=None)
        ch.send(Job(tag=0), s)
        ch.send(Job(tag=1), s)
        a, b = [m.worker for m, _ in self.replies(ch, 2)]
        ch.send(Job(tag=2, action='reply-end'), s)          # idle order a, b: a takes it
        m, _ = self.replies(ch, 1)[0]
        self.assertEqual((m.tag, m.worker), (2, a))
        self.settle()
        self.assertIsNone(A.lookup(a))
        ch.send(Job(seconds=10.0, tag=3), s)                # to b, the only live worker
        self.settle()
        ch.send(Job(tag=4), s)                              # waits: no live idle worker
        self.advance(1.49)
        self.nothing_queued(ch)
        self.advance(1.01)
        m, sender = self.replies(ch, 1)[0]
        self.assertEqual((m.tag, sender), (4, s))
        self.assertNotIn(m.worker, (a, b))
        self.assertEqual([(t, w) for t, w, _ in ARRIVALS],
                         [(0, a), (1, b), (2, a), (3, b), (4, m.worker)])
        self.assertGreaterEqual(ARRIVALS[-1][2], 1.5)

    def test_worker_ending_mid_request(self):
        """§13.5: a worker that ends while holding a request: its requester gets Aborted, later requests go to live workers."""
        ch = self.channel()
        s = ch.create(lc.ObjectSpool, SpoolWorker, object_count=2, responsiveness=None)
        ch.send(Job(tag=0, action='end'), s)
        m, sender = self.replies(ch, 1)[0]
        self.assertIsInstance(m, lc.Aborted)
        self.assertEqual(sender, s)
        dead = ARRIVALS[0][1]
        for i in range(1, 4):
            ch.send(Job(tag=i), s)
            m, _ = self.replies(ch, 1)[0]
            self.assertEqual(m.tag, i)
            self.assertNotEqual(m.worker, dead)

    def test_no_stand_down(self):
        """§13.5: with stand_down=None a worker that ends makes the spool stop everything and end with Aborted."""
        ch = self.channel()
        s = ch.create(lc.ObjectSpool, SpoolWorker, object_count=2, stand_down=None)
        ch.send(Job(tag=0), s)
        ch.send(Job(tag=1), s)
        workers = [m.worker for m, _ in self.replies(ch, 2)]
        ch.send(Job(tag=2, action='reply-end'), s)
        m, sender = self.replies(ch, 1)[0]
        self.assertEqual((m.tag, sender), (2, s))
        self.assertIsInstance(self.returned(ch, s), lc.Aborted)
        self.assertEqual([A.lookup(w) for w in workers], [None, None])

    def test_stop_answers_everyone(self):
        """§13.5: on Stop queued, in-flight and later requests are all answered Aborted from the spool."""
        ch = self.channel()
        s = self.create_settled(ch, lc.ObjectSpool, SpoolWorker, object_count=1, linger=1.0)
        ch.send(Job(seconds=5.0, tag=0), s)
        ch.send(Job(tag=1), s)
        ch.send(lc.Stop(), s)
        ch.send(Job(tag=2), s)
        got = self.replies(ch, 3)
        self.assertTrue(all(isinstance(m, lc.Aborted) and sender == s for m, sender in got))
        self.nothing_queued(ch)
        self.advance(1.0)
        self.assertIsInstance(self.returned(ch, s), lc.Aborted)
        self.assertEqual([t for t, _, _ in ARRIVALS], [0])


class SpoolTraceTests(LibraryTestCase):
    log_level = lc.USER_LOG.TRACE

    def test_termination_is_traced(self):
        """§13.5: a worker ending is logged at trace level as "Spool process termination"."""
        ch = self.channel()
        s = ch.create(lc.ObjectSpool, SpoolWorker, object_count=1, stand_down=2.0)
        ch.send(Job(tag=0, action='reply-end'), s)
        self.replies(ch, 1)
        self.settle()
        lines = [r for r in self.logs.records if r.text == 'Spool process termination']
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0].address, s)


class ExternalWorkerTests(LibraryTestCase):

    def spool(self, ch):
        return self.create_settled(ch, lc.ObjectSpool, None, responsiveness=None)

    def join(self, ch, s, *workers):
        for w in workers:
            ch.send(lc.JoinSpool(w.object_address), s)

    def serve(self, worker):
        """Receive one Job at ``worker`` and answer it."""
        m, _ = self.receive(worker, Job)
        worker.reply(Done(m.tag, worker.object_address))
        return m.tag

    def test_no_worker(self):
        """§13.5: with object_type None and no worker a request is answered TemporarilyUnavailable."""
        ch = self.channel()
        s = self.spool(ch)
        ch.send(Job(tag=0), s)
        m, sender = self.replies(ch, 1)[0]
        self.assertIsInstance(m, lc.TemporarilyUnavailable)
        self.assertEqual(str(m), 'Service temporarily unavailable (no worker and no immediate '
                                 'prospects of one)')
        self.assertEqual(sender, s)

    def test_join_round_robin_and_leave_idle(self):
        """§13.5: joined workers take requests in turn; one that left while idle never gets another."""
        ch, w1, w2 = self.channel(), self.channel(), self.channel()
        s = self.spool(ch)
        self.join(ch, s, w1, w2)
        ch.send(Job(tag=1), s)
        self.assertEqual(self.serve(w1), 1)
        self.assertNotEqual(w1.return_address, s)           # it came from a GetResponse
        m, sender = self.replies(ch, 1)[0]
        self.assertEqual((m.tag, m.worker, sender), (1, w1.object_address, s))
        ch.send(Job(tag=2), s)
        self.assertEqual(self.serve(w2), 2)
        self.replies(ch, 1)
        ch.send(lc.LeaveSpool(w1.object_address), s)
        for i in (3, 4, 5):
            ch.send(Job(tag=i), s)
            self.assertEqual(self.serve(w2), i)
            m, _ = self.replies(ch, 1)[0]
            self.assertEqual(m.worker, w2.object_address)
        self.nothing_queued(w1)

    def test_leave_while_busy(self):
        """§13.5: LeaveSpool of a busy worker stops its request (requester gets Aborted); the worker never gets another."""
        ch, w1, w2 = self.channel(), self.channel(), self.channel()
        s = self.spool(ch)
        self.join(ch, s, w1)
        ch.send(Job(tag=1), s)
        self.receive(w1, Job)
        ch.send(lc.LeaveSpool(w1.object_address), s)
        m, sender = self.replies(ch, 1)[0]
        self.assertIsInstance(m, lc.Aborted)
        self.assertEqual(sender, s)
        w1.reply(Done(1, w1.object_address))                # too late: goes nowhere
        self.nothing_queued(ch)
        self.join(ch, s, w2)
        ch.send(Job(tag=2), s)
        self.assertEqual(self.serve(w2), 2)
        self.assertEqual(self.replies(ch, 1)[0][0].worker, w2.object_address)
        self.nothing_queued(w1)

    def test_last_worker_leaving(self):
        """§13.5: when the last worker leaves, its request gets Aborted and queued ones TemporarilyUnavailable."""
        ch, w1 = self.channel(), self.channel()
        s = self.spool(ch)
        self.join(ch, s, w1)
        ch.send(Job(tag=1), s)
        self.receive(w1, Job)
        ch.send(Job(tag=2), s)
        ch.send(lc.LeaveSpool(w1.object_address), s)
        got = self.replies(ch, 2)
        self.assertEqual(sorted(type(m).__name__ for m, _ in got),
                         ['Aborted', 'TemporarilyUnavailable'])
        self.assertTrue(all(sender == s for _, sender in got))
        self.nothing_queued(w1)

    def test_join_without_address(self):
        """§13.5: JoinSpool/LeaveSpool without worker_address apply to the sender."""
        ch, w1 = self.channel(), self.channel()
        s = self.spool(ch)
        w1.send(lc.JoinSpool(), s)
        ch.send(Job(tag=1), s)
        self.assertEqual(self.serve(w1), 1)
        self.replies(ch, 1)
        w1.send(lc.LeaveSpool(), s)
        ch.send(Job(tag=2), s)
        self.assertIsInstance(self.replies(ch, 1)[0][0], lc.TemporarilyUnavailable)

    def test_process_object_role_names(self):
        """§13.5: a ProcessObject type gets role_name spool-{i} (or the given pattern) and a restarted one keeps it."""
        ch = self.channel()
        s = ch.create(lc.ObjectSpool, ProcessObject, SpoolWorker, object_count=3, stand_down=2.0)
        t = ch.create(lc.ObjectSpool, ProcessObject, SpoolWorker, object_count=2,
                      role_name='worker-{i}')
        u = ch.create(lc.ObjectSpool, SpoolWorker, object_count=1)
        self.settle()
        self.assertEqual(sorted(r for r, _ in ROLES),
                         ['spool-0', 'spool-1', 'spool-2', 'worker-0', 'worker-1'])
        self.assertTrue(all(o is SpoolWorker for _, o in ROLES))
        ch.send(Job(tag=0, action='end'), s)                # spool-0 ends ...
        self.assertIsInstance(self.replies(ch, 1)[0][0], lc.Aborted)
        self.settle()
        self.advance(2.5)                                   # ... and comes back as spool-0
        self.settle()
        self.assertEqual(ROLES[-1], ('spool-0', SpoolWorker))
        self.assertEqual(len(ROLES), 6)
        ch.send(Job(tag=1), u)
        self.assertEqual(self.replies(ch, 1)[0][0].tag, 1)   # plain workers get no role_name


# §13.6.

class RetryTests(RuntimeTestCase):

    def test_registered_message(self):
        """§13.6: RetryIntervals is a registered message with typed members; '{"regular_steps": 30.0}' decodes."""
        r = P.registration_of(lc.RetryIntervals)
        self.assertEqual({k: p.signature() for k, p in r.schema.items()},
                         {'first_steps': 'vector<float8>', 'regular_steps': 'float8',
                          'step_limit': 'integer8', 'randomized': 'float8',
                          'truncated': 'float8'})
        codec = lc.CodecJson()
        d = codec.decode('{"value": {"regular_steps": 30.0}}', lc.UserDefined(lc.RetryIntervals))
        self.assertIsInstance(d, lc.RetryIntervals)
        self.assertEqual((d.first_steps, d.regular_steps, d.step_limit), ([], 30.0, None))
        self.assertEqual(list(itertools.islice(lc.smart_intervals(d), 3)), [30.0] * 3)

    def test_empty(self):
        """§13.6: empty() is true exactly when the schedule produces nothing."""
        self.assertTrue(lc.RetryIntervals().empty())
        self.assertTrue(lc.RetryIntervals(regular_steps=1.0, step_limit=1).empty())
        self.assertFalse(lc.RetryIntervals(first_steps=[1.0]).empty())
        self.assertFalse(lc.RetryIntervals(regular_steps=1.0, step_limit=2).empty())

    def test_intervals_only(self):
        """§13.6: intervals_only yields first_steps then regular_steps, step_limit - 1 values in all; a limit is required."""
        r = lc.RetryIntervals(first_steps=[1.0, 2.0], regular_steps=5.0, step_limit=5)
        self.assertEqual(list(lc.intervals_only(r)), [1.0, 2.0, 5.0, 5.0])
        r = lc.RetryIntervals(first_steps=[1.0, 2.0, 3.0], step_limit=3)
        self.assertEqual(list(lc.intervals_only(r)), [1.0, 2.0])
        self.assertRaises(ValueError, lc.intervals_only, lc.RetryIntervals(regular_steps=1.0))

    def test_smart_intervals_plain(self):
        """§13.6: smart_intervals without randomness: unbounded with no step_limit, N - 1 values with one."""
        r = lc.RetryIntervals(first_steps=[0.5], regular_steps=3.0)
        self.assertEqual(list(itertools.islice(lc.smart_intervals(r), 100)), [0.5] + [3.0] * 99)
        r = lc.RetryIntervals(first_steps=[1.0, 2.0])
        self.assertEqual(list(lc.smart_intervals(r)), [1.0, 2.0])
        r = lc.RetryIntervals(regular_steps=3.0, step_limit=4)
        self.assertEqual(list(lc.smart_intervals(r)), [3.0] * 3)

    def test_smart_intervals_randomized(self):
        """§13.6: each value r gains a random multiple of randomized between 0 and r x truncated."""
        r = lc.RetryIntervals(first_steps=[10.0], regular_steps=4.0, step_limit=401,
                              randomized=0.5, truncated=0.25)
        values = list(lc.smart_intervals(r))
        self.assertEqual(len(values), 400)
        self.assertTrue(10.0 <= values[0] <= 12.5)
        self.assertEqual(set(values[1:]), {4.0, 4.5, 5.0})
        for base, v in zip([10.0] + [4.0] * 399, values):
            extra = (v - base) / 0.5
            self.assertEqual(extra, round(extra))

    def test_smart_intervals_untruncated(self):
        """§13.6: with truncated None the extra goes up to r itself."""
        r = lc.RetryIntervals(regular_steps=2.0, step_limit=1001, randomized=0.5)
        self.assertEqual(set(lc.smart_intervals(r)), {2.0, 2.5, 3.0, 3.5, 4.0})

    def test_spread_out(self):
        """§13.6: spread_out(p) lies in [0.75p, 1.25p) and spreads over it; delta=10 gives [0.9p, 1.1p)."""
        values = [lc.spread_out(10.0) for _ in range(2000)]
        self.assertTrue(all(7.5 <= v < 12.5 for v in values))
        self.assertLess(min(values), 8.0)
        self.assertGreater(max(values), 12.0)
        values = [lc.spread_out(10.0, delta=10) for _ in range(2000)]
        self.assertTrue(all(9.0 <= v < 11.0 for v in values))

    def test_public_names(self):
        """The library's public names are exported by layer_cake as the objects of their modules."""
        self.assertIs(lc.GetResponse, response.GetResponse)
        self.assertIs(lc.Delay, response.Delay)
        self.assertIs(lc.Concurrently, concurrent.Concurrently)
        self.assertIs(lc.Sequentially, concurrent.Sequentially)
        self.assertIs(lc.CreateFrame, concurrent.CreateFrame)
        self.assertIs(lc.ObjectSpool, spool.ObjectSpool)
        for name in ('RetryIntervals', 'intervals_only', 'smart_intervals', 'spread_out'):
            self.assertIs(getattr(lc, name), getattr(retry, name))
            self.assertIn(name, lc.__all__)
