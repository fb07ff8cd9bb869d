"""Utility: a program that is not a layer-cake program, run to its end (runtime.md §14.9)."""

import layer_cake as lc
from layer_cake.test.test_process import DEADLINE, ProcessTestCase, alive, wait_gone


class UtilityTests(ProcessTestCase):
    """Each test also checks, by pid, that no program it started is left running."""

    def run_utility(self, *args, **kw):
        ch = self.channel()
        a = ch.create(lc.Utility, *args, **kw)
        return ch, a

    def returned(self, ch):
        m, _ = self.receive(ch, lc.Returned, seconds=DEADLINE)
        return m.message

    def test_stdout_as_text(self):
        """Exit 0 with stdout=str ends with the captured text as a cast value."""
        ch, _ = self.run_utility('echo', 'hello', ('name', 'v'), ('n', 2), stdout=str)
        value, portable = self.returned(ch)
        self.assertEqual(value, 'hello --name=v -n=2\n')
        self.assertIs(portable, lc.def_type(str))

    def test_stdin_fed(self):
        """Text given as stdin reaches the program."""
        ch, _ = self.run_utility('cat', stdin='abc', stdout=str)
        self.assertEqual(self.returned(ch)[0], 'abc')

    def test_no_capture_is_none(self):
        """Without stdout=str the Utility ends with None."""
        ch, _ = self.run_utility('true')
        self.assertIsNone(self.returned(ch))

    def test_non_zero_exit(self):
        """A non-zero exit is Faulted('child exit code <c>', 'expecting 0 (zero)')."""
        ch, _ = self.run_utility('false')
        m = self.returned(ch)
        self.assertIsInstance(m, lc.Faulted)
        self.assertEqual(str(m), 'child exit code 1 (expecting 0 (zero))')

    def test_not_found(self):
        """A program not on PATH is a Faulted, nothing started."""
        ch, _ = self.run_utility('no-such-program-here')
        m = self.returned(ch)
        self.assertEqual(str(m), 'cannot execute no-such-program-here (not found)')
        self.assertEqual(self.started_pids(), [])

    def test_stop_terminates(self):
        """Stop terminates the program and ends the Utility with Aborted."""
        ch, a = self.run_utility('sleep', '60')
        deadline = DEADLINE
        import time
        end = time.monotonic() + deadline
        while not self.started_pids():
            self.assertLess(time.monotonic(), end)
            time.sleep(0.01)
        pid = self.started_pids()[0]
        self.assertTrue(alive(pid))
        ch.send(lc.Stop(), a)
        self.assertIsInstance(self.returned(ch), lc.Aborted)
        self.assertEqual(wait_gone([pid]), [])
