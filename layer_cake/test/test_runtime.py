"""The actor runtime: creation, ending, sending, dispatch, receiving, timers
(runtime.md §19 items 1-20)."""

import uuid

import layer_cake as lc
from layer_cake.runtime import engine, point
from layer_cake.test import runtime_types as T
from layer_cake.test.support import RuntimeTestCase


class EndingTests(RuntimeTestCase):
    log_level = lc.USER_LOG.DEBUG

    def returned(self, object_type, *args, **kw):
        ch = self.channel()
        a = ch.create(object_type, *args, **kw)
        m, _ = self.receive(ch, lc.Returned)
        self.assertEqual(ch.return_address, a)
        return m

    def test_int_return_is_wrapped(self):
        """Item 1: `-> int` returning 42 delivers (42, Integer8()) from the created address."""
        m = self.returned(T.answer)
        self.assertEqual(m.message[0], 42)
        self.assertIs(m.message[1], lc.def_type(int))
        self.assertEqual(lc.cast_back(m.message), (42, lc.Integer8()))

    def test_untyped_return_of_message(self):
        """Item 2: no return type and an Ack delivers the Ack itself."""
        m = self.returned(T.give_ack)
        self.assertIsInstance(m.message, lc.Ack)

    def test_fault_passes_unwrapped(self):
        """Item 2: `-> list[int]` returning a Faulted delivers the Faulted unwrapped."""
        m = self.returned(T.give_fault)
        self.assertIsInstance(m.message, lc.Faulted)
        self.assertEqual(str(m.message), 'plain fault')

    def test_none_is_wrapped(self):
        """Item 2: `-> list[int]` returning None delivers (None, VectorOf(Integer8()))."""
        m = self.returned(T.give_none)
        self.assertEqual(m.message, (None, lc.VectorOf(lc.Integer8())))

    def test_exception_becomes_fault(self):
        """Item 3: ValueError('boom') delivers the object-faulted Faulted and a `!` log line."""
        m = self.returned(T.boom)
        self.assertIsInstance(m.message, lc.Faulted)
        self.assertEqual(m.message.condition, 'object faulted')
        self.assertEqual(m.message.explanation, 'unhandled exception (boom)')
        faults = [r for r in self.logs.records if r.tag == lc.USER_TAG.FAULT]
        self.assertEqual([r.text for r in faults], ['unhandled exception (boom)'])

    def test_complete_ends_function(self):
        """Item 4: self.complete(v) ends a function with v (the rest of the body never runs)."""
        m = self.returned(T.completes, value=7)
        self.assertEqual(m.message, (7, lc.Integer8()))

    def test_complete_ends_machine(self):
        """Item 4: a machine ending with complete() delivers that value."""
        ch = self.channel()
        a = ch.create(T.Strict)
        ch.send(lc.Stop(), a)
        r = ch.create(T.Recorder)
        self.receive(ch, lc.Ack)
        ch.send(lc.Stop(), r)
        m, _ = self.receive(ch, lc.Returned)
        self.assertEqual(ch.return_address, r)
        self.assertIsInstance(m.message, lc.Aborted)

    def test_abort_overrides_complete(self):
        """Item 4: after self.abort(m), complete(v) ends with m."""
        m = self.returned(T.aborts_then_completes)
        self.assertIsInstance(m.message, lc.Aborted)

    def test_threaded_machine_return_type(self):
        """Item 6: a Threaded machine with return_type=list[int] delivers ([1,2,3], VectorOf(Integer8()))."""
        m = self.returned(T.ListMaker)
        self.assertEqual(m.message, ([1, 2, 3], lc.VectorOf(lc.Integer8())))

    def test_logs_created_and_destroyed(self):
        """Created by and Destroyed lines name the new object and its parent."""
        ch = self.channel()
        a = ch.create(T.answer)
        self.receive(ch, lc.Returned)
        mine = [r for r in self.logs.records if r.address == a]
        self.assertEqual(mine[0].text, 'Created by <%08x>' % (ch.object_address[-1],))
        self.assertEqual(mine[0].tag, lc.USER_TAG.CREATED)
        self.assertEqual(mine[-1].text, 'Destroyed')

    def test_unregistered_type_cannot_be_created(self):
        """create() of an unbound function raises PointConstructionError naming it."""
        def loose(self):
            pass
        ch = self.channel()
        e = self.assertRaises(lc.PointConstructionError, ch.create, loose)
        self.assertEqual(str(e), 'loose is not registered')


class StartFirstTests(RuntimeTestCase):

    def check_start_first(self, machine):
        ch = self.channel()
        a = ch.create(machine)
        ch.send(lc.Nak(), a)
        first, _ = self.receive(ch, lc.Ack, lc.Nak)
        self.assertIsInstance(first, lc.Ack)
        self.assertEqual(ch.return_address, a)
        second, _ = self.receive(ch, lc.Ack, lc.Nak)
        self.assertIsInstance(second, lc.Nak)

    def test_point_machine_gets_start_first(self):
        """Item 5: a Point machine handles Start (from its creator) before a message sent right after create."""
        self.check_start_first(T.Recorder)

    def test_threaded_machine_gets_start_first(self):
        """Item 5: a Threaded machine handles Start before a message sent right after create."""
        self.check_start_first(T.ThreadedRecorder)


class DispatchTests(RuntimeTestCase):
    log_level = lc.USER_LOG.DEBUG

    def sorted_as(self, a, ch, message):
        ch.send(message, a)
        m, _ = self.receive(ch, str)
        return m

    def test_stateless_dispatch(self):
        """Item 7: int, list[int], Person and dict[UUID, Person] reach their own handlers."""
        ch = self.channel()
        a = ch.create(T.Sorter)
        self.assertEqual(self.receive(ch, str)[0], 'Start')
        self.assertEqual(self.sorted_as(a, ch, lc.cast_to(1, int)), 'int')
        self.assertEqual(self.sorted_as(a, ch, lc.cast_to([1], list[int])), 'list_int')
        self.assertEqual(self.sorted_as(a, ch, T.Person('Ann')), 'Person')
        table = {uuid.uuid4(): T.Person('Bo')}
        self.assertEqual(self.sorted_as(a, ch, lc.cast_to(table, dict[uuid.UUID, T.Person])),
                         'dict_UUID_Person')

    def test_base_class_and_unknown(self):
        """Item 7: a TimedOut goes to the Faulted handler; an Ack goes to the Unknown handler."""
        ch = self.channel()
        a = ch.create(T.Sorter)
        self.receive(ch, str)
        self.assertEqual(self.sorted_as(a, ch, lc.TimedOut()), 'Faulted:TimedOut')
        self.assertEqual(self.sorted_as(a, ch, lc.Ack()), 'Unknown:Ack')

    def test_drop_without_unknown(self):
        """Item 7: without an Unknown entry an Ack is dropped with a log line and the machine goes on."""
        ch = self.channel()
        a = ch.create(T.Strict)
        ch.send(lc.Ack(), a)
        ch.send(lc.Enquiry(), a)
        self.receive(ch, lc.Ack)
        self.assertIn('Dropped Ack from <%08x>' % (ch.object_address[-1],), self.logs.texts())

    def test_missing_handler(self):
        """Item 8: binding a machine whose handler is missing names the expected function."""
        class Lacking(lc.Point, lc.Stateless):
            def __init__(self):
                lc.Point.__init__(self)
                lc.Stateless.__init__(self)
        e = self.assertRaises(lc.PointConstructionError, lc.bind, Lacking, (lc.Start,))
        self.assertIn('function "Lacking_Start" not found', str(e))

    def test_bad_fsm_entry(self):
        """Item 8: an FSM entry that is not a 2-tuple raises PointConstructionError."""
        class Bad(lc.Point, lc.StateMachine):
            def __init__(self):
                lc.Point.__init__(self)
                lc.StateMachine.__init__(self, T.IDLE)
        self.assertRaises(lc.PointConstructionError, lc.bind, Bad, {T.IDLE: (lc.Start,)})

    def test_fsm_states_and_saving(self):
        """Item 9: handlers move states; Check saved in BUSY is handled after the return to IDLE, after fresh messages."""
        ch = self.channel()
        a = ch.create(T.Worker)
        ch.send(lc.Enquiry(), a)
        self.assertEqual(self.receive(ch, str)[0], 'busy')
        ch.send(T.Check(), a)
        ch.send(lc.Nak(), a)
        ch.send(lc.Ack(), a)
        seen = [self.receive(ch, str)[0] for _ in range(3)]
        self.assertEqual(seen, ['nak', 'idle', 'check'])
        states = [r.state for r in self.logs.records if r.address == a and
                  r.text.startswith('Received')]
        self.assertIn('BUSY', states)

    def test_fsm_shifted_to_nowhere(self):
        """Item 10: an FSM handler returning None ends the machine with the shifted-to-nowhere fault."""
        ch = self.channel()
        a = ch.create(T.Worker)
        ch.send(lc.Nak(), a)
        m, _ = self.receive(ch, lc.Returned)
        self.assertEqual(ch.return_address, a)
        self.assertEqual(m.message.condition, 'object faulted')
        self.assertEqual(m.message.explanation, 'unhandled exception (machine '
                         '"layer_cake.test.runtime_types.Worker" shifted to nowhere)')


class SendingTests(RuntimeTestCase):
    log_level = lc.USER_LOG.DEBUG

    def test_send_to_nowhere(self):
        """Item 11: sending to NO_SUCH_ADDRESS or an ended object raises nothing and delivers nothing."""
        ch = self.channel()
        ch.send(lc.Ack(), lc.NO_SUCH_ADDRESS)
        a = ch.create(T.answer)
        self.receive(ch, lc.Returned)
        ch.send(lc.Ack(), a)
        self.settle()
        self.assertEqual(ch._inbox.qsize(), 0)

    def test_copy_before_send(self):
        """Item 12: a registered message is copied, a cast list is shared, an Ack is not copied."""
        ch = self.channel()
        other = self.channel()
        m = T.Mutable([1])
        ch.send(m, other.object_address)
        m.values.append(2)
        got = self.input(other)
        self.assertEqual(got.values, [1])
        shared = [1]
        ch.send(lc.cast_to(shared, list[int]), other.object_address)
        self.assertIs(self.input(other), shared)
        ack = lc.Ack()
        ch.send(ack, other.object_address)
        self.assertIs(self.input(other), ack)

    def test_shallow_copy_for_flat_messages(self):
        """Item 12: a message of immutable members still arrives as a separate object."""
        ch = self.channel()
        other = self.channel()
        p = T.Person('Ann', 3)
        ch.send(p, other.object_address)
        p.age = 4
        got = self.input(other)
        self.assertIsNot(got, p)
        self.assertEqual(got.age, 3)

    def test_bare_value_is_dropped_with_warning(self):
        """Item 13: a bare [1, 2] is not delivered, the receiver is unharmed, the sender warns."""
        ch = self.channel()
        a = ch.create(T.echo)
        ch.send([1, 2], a)
        ch.send(lc.Ack(), a)
        m = self.input(ch)
        self.assertIsInstance(m, lc.Ack)
        warnings = [r for r in self.logs.records if r.tag == lc.USER_TAG.WARNING]
        self.assertEqual(warnings[0].address, ch.object_address)
        self.assertIn('list', warnings[0].text)

    def test_per_sender_order(self):
        """Item 14: 1000 numbered messages arrive in order, all before the sender's Returned."""
        ch = self.channel()
        ch.create(T.counter, count=1000)
        seen = []
        while True:
            m = self.input(ch)
            if isinstance(m, lc.Returned):
                break
            seen.append(m.n)
        self.assertEqual(seen, list(range(1000)))

    def test_order_through_a_machine(self):
        """Item 14: messages through a reactor-side machine keep their order."""
        ch = self.channel()
        a = ch.create(T.Strict)
        for _ in range(500):
            ch.send(lc.Enquiry(), a)
        for _ in range(500):
            self.receive(ch, lc.Ack)

    def test_order_when_read_from_a_connection(self):
        """Item 14: a message read from a connection runs at once only when nothing
        is queued ahead of it; what an earlier handler sent still comes first."""
        ch = self.channel()
        last = ch.create(T.Passer, ch.object_address)
        first = ch.create(T.Passer, last)
        self.settle()

        def read_two():
            # As a connection's read does: two messages in one I/O callback.
            held = engine.hold()
            try:
                point.send(T.Numbered(1), first, ch.object_address)
                point.send(T.Numbered(2), last, ch.object_address)
            finally:
                engine.release(held)
        engine.call_and_wait(read_two)
        self.assertEqual([self.input(ch).n, self.input(ch).n], [1, 2])

    def test_reactor_sends_to_a_thread_after_the_callback(self):
        """What the reactor sends to a thread during one callback reaches its inbox
        after the callback, all of it, in sending order."""
        ch = self.channel()

        def send_three():
            for n in (1, 2, 3):
                point.send(T.Numbered(n), ch.object_address, ch.object_address)
            return ch._inbox.qsize()
        self.assertEqual(engine.call_and_wait(send_three), 0)
        self.assertEqual([self.input(ch).n for _ in range(3)], [1, 2, 3])

    def test_queue_limit(self):
        """Item 15: over 16384 messages to a blocked receiver are dropped without blocking; the first 16384 arrive."""
        ch = self.channel()
        blocked = self.channel()
        total = lc.PEAK_BEFORE_DROPPED + 100
        for i in range(total):
            ch.send(T.Numbered(i), blocked.object_address)
        seen = [self.input(blocked).n for _ in range(lc.PEAK_BEFORE_DROPPED)]
        self.assertEqual(seen, list(range(lc.PEAK_BEFORE_DROPPED)))
        self.assertEqual(blocked._inbox.qsize(), 0)
        warnings = [r for r in self.logs.records if r.tag == lc.USER_TAG.WARNING]
        self.assertEqual(len(warnings), 1)

    def test_machine_queue_limit(self):
        """Item 15: a machine's queue is bounded too; the overflow is dropped, not blocking."""
        ch = self.channel()
        a = ch.create(T.Strict)
        total = lc.PEAK_BEFORE_DROPPED + 50

        def flood():
            for _ in range(total):
                ch.send(lc.Enquiry(), a)
        engine.call_and_wait(flood)
        acks = 0
        while acks < lc.PEAK_BEFORE_DROPPED:
            self.receive(ch, lc.Ack)
            acks += 1
        self.settle()
        self.assertEqual(ch._inbox.qsize(), 0)


class SelectTests(RuntimeTestCase):
    log_level = lc.USER_LOG.DEBUG

    def test_select_drops_unmatched(self):
        """Item 16: with Nak then Ack queued, select(Ack) returns (Ack, 0) and drops the Nak with a log."""
        ch = self.channel()
        ch.send(lc.Nak(), ch.object_address)
        ch.send(lc.Ack(), ch.object_address)
        m, i = ch.select(lc.Ack)
        self.assertIsInstance(m, lc.Ack)
        self.assertEqual(i, 0)
        self.assertIn('Dropped Nak from <%08x>' % (ch.object_address[-1],), self.logs.texts())

    def test_select_saves(self):
        """Item 16: with saving=(Nak,), the Nak is deferred and the next input() returns it."""
        ch = self.channel()
        ch.send(lc.Nak(), ch.object_address)
        ch.send(lc.Ack(), ch.object_address)
        m, i = ch.select(lc.Ack, saving=(lc.Nak,))
        self.assertIsInstance(m, lc.Ack)
        self.assertIsInstance(self.input(ch), lc.Nak)

    def test_select_constructed_types(self):
        """Item 17: select(list[int], list[str]) tells the two apart and sets received_type."""
        ch = self.channel()
        ch.send(lc.cast_to(['a'], list[str]), ch.object_address)
        ch.send(lc.cast_to([1], list[int]), ch.object_address)
        m, i = ch.select(list[int], list[str])
        self.assertEqual((m, i), (['a'], 1))
        self.assertIs(ch.received_type, lc.def_type(list[str]))
        m, i = ch.select(list[int], list[str])
        self.assertEqual((m, i), ([1], 0))
        self.assertIs(ch.received_type, lc.def_type(list[int]))

    def test_select_unregistered_type(self):
        """Item 17: select of an unregistered constructed type raises PointConstructionError."""
        ch = self.channel()
        e = self.assertRaises(lc.PointConstructionError, ch.select, list[dict[str, bytearray]])
        self.assertIn('was not loaded', str(e))

    def test_select_base_class_reports_own_type(self):
        """select(Faulted) matching a TimedOut reports the TimedOut's own type."""
        ch = self.channel()
        ch.send(lc.TimedOut(), ch.object_address)
        m, i = ch.select(lc.Faulted)
        self.assertIsInstance(m, lc.TimedOut)
        self.assertIs(ch.received_type, lc.def_type(lc.TimedOut))

    def test_save_replay_order(self):
        """Item 19: saving the first Nak of Nak, Ack, Enquiry reads Nak, Ack, Nak, Enquiry."""
        ch = self.channel()
        for m in (lc.Nak(), lc.Ack(), lc.Enquiry()):
            ch.send(m, ch.object_address)
        seen = []
        m = self.input(ch)
        seen.append(type(m).__name__)
        ch.save(m)
        for _ in range(3):
            seen.append(type(self.input(ch)).__name__)
        self.assertEqual(seen, ['Nak', 'Ack', 'Nak', 'Enquiry'])

    def test_save_limit(self):
        """Item 19: a message saved on every presentation is seen 8 times, then gone."""
        ch = self.channel()
        ch.send(lc.Nak(), ch.object_address)
        naks = 0
        for i in range(12):
            ch.send(T.Numbered(i), ch.object_address)
        for _ in range(12 + 8):
            m = self.input(ch)
            if isinstance(m, lc.Nak):
                naks += 1
                ch.save(m)
        self.assertEqual(naks, 8)
        self.settle()
        self.assertEqual(ch._inbox.qsize(), 0)
        self.assertEqual(len(ch._replay) + len(ch._saved_items), 0)

    def test_select_on_reactor_thread_refused(self):
        """input() on the reactor thread raises PlatformRequirementError instead of deadlocking."""
        ch = self.channel()
        e = self.assertRaises(lc.PlatformRequirementError, engine.call_and_wait, ch.input)
        self.assertIn('reactor', str(e))


class TimerTests(RuntimeTestCase):
    fake_clock = True

    def nothing_queued(self, ch):
        self.settle()
        self.assertEqual(ch._inbox.qsize(), 0)

    def test_select_seconds_times_out(self):
        """Item 18: select(Ack, seconds=1) with nothing arriving returns (SelectTimer, 1) after 1 s."""
        ch = self.channel()
        result = []
        import threading
        t = threading.Thread(target=lambda: result.append(ch.select(lc.Ack, seconds=1)))
        t.start()
        while not ch._timers:
            self.settle()
        self.advance(0.9)
        self.settle()
        self.assertEqual(result, [])
        self.advance(0.2)
        t.join(10)
        m, i = result[0]
        self.assertIsInstance(m, lc.SelectTimer)
        self.assertEqual(i, 1)

    def test_select_seconds_cancelled_by_arrival(self):
        """Item 18: if Ack arrives first, the select timer is cancelled."""
        ch = self.channel()
        ch.send(lc.Ack(), ch.object_address)
        m, i = ch.select(lc.Ack, seconds=1)
        self.assertIsInstance(m, lc.Ack)
        self.settle()
        self.assertFalse(ch._timers)
        self.advance(2)
        self.nothing_queued(ch)

    def test_timer_fires_once(self):
        """Item 20: start(T1, 1.0) delivers one T1, no earlier than 1.0 s."""
        ch = self.channel()
        ch.start(lc.T1, 1.0)
        self.settle()
        self.advance(0.99)
        self.nothing_queued(ch)
        self.advance(0.01)
        self.assertIsInstance(self.input(ch), lc.T1)
        self.advance(5)
        self.nothing_queued(ch)

    def test_restart(self):
        """Item 20: restarting at 0.5 s with 2.0 delivers only at 2.5 s."""
        ch = self.channel()
        ch.start(lc.T1, 1.0)
        self.settle()
        self.advance(0.5)
        ch.start(lc.T1, 2.0)
        self.settle()
        self.advance(1.9)
        self.nothing_queued(ch)
        self.advance(0.1)
        self.assertIsInstance(self.input(ch), lc.T1)

    def test_cancel(self):
        """Item 20: cancel before expiry delivers nothing."""
        ch = self.channel()
        ch.start(lc.T1, 1.0)
        ch.cancel(lc.T1)
        self.settle()
        self.advance(2)
        self.nothing_queued(ch)

    def test_repeating(self):
        """Item 20: repeating=True delivers every period until cancelled."""
        ch = self.channel()
        ch.start(lc.T2, 1.0, repeating=True)
        self.settle()
        for _ in range(3):
            self.advance(1.0)
            self.assertIsInstance(self.input(ch), lc.T2)
        ch.cancel(lc.T2)
        self.settle()
        self.advance(3)
        self.nothing_queued(ch)

    def test_independent_objects(self):
        """Item 20: two objects with the same timer class are independent."""
        ch = self.channel()
        other = self.channel()
        ch.start(lc.T1, 1.0)
        other.start(lc.T1, 2.0)
        self.settle()
        self.advance(1.0)
        self.assertIsInstance(self.input(ch), lc.T1)
        self.nothing_queued(other)
        self.advance(1.0)
        self.assertIsInstance(self.input(other), lc.T1)

    def test_ended_object_timer_never_fires(self):
        """Item 20: the timer of an ended machine never fires."""
        ch = self.channel()
        a = ch.create(T.Ticker, seconds=1.0)
        self.settle()
        ch.send(lc.Stop(), a)
        m, _ = self.receive(ch, lc.Returned)
        self.settle()
        self.assertIsNone(lc.runtime.address.objects.get(a[-1]))
        self.advance(2)
        self.nothing_queued(ch)

    def test_machine_timer(self):
        """Item 20: a machine's repeating timer reaches its handler each period; timer return address is not the object."""
        ch = self.channel()
        a = ch.create(T.Ticker, seconds=0.5, repeating=True)
        self.settle()
        for _ in range(2):
            self.advance(0.5)
            self.receive(ch, lc.T1)
        ch.send(lc.Nak(), a)
        self.settle()
        self.advance(1.0)
        self.nothing_queued(ch)
