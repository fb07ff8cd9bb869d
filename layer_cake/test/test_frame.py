"""The frame parser and address rewriting (network.md §3.2, §4), without sockets."""

from hypothesis import given, settings, strategies as st
from twisted.trial import unittest

import layer_cake as lc
from layer_cake.net import frame as F
from layer_cake.test import net_types as T


def frames(*messages):
    return b''.join(F.encode_frame(m, (3,), (5,), 9) for m in messages)


def split(data, cuts):
    points = sorted(set(c % (len(data) + 1) for c in cuts))
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


class ParserTests(unittest.SynchronousTestCase):

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.integers(min_value=0, max_value=10 ** 6), max_size=12),
           st.lists(st.integers(min_value=-5, max_value=5), min_size=1, max_size=5))
    def test_split_points_do_not_matter(self, cuts, numbers):
        """Frames fed in arbitrary pieces give the same parts as fed whole."""
        data = frames(*[T.Numbered(n=n) for n in numbers])
        whole = F.FrameParser().feed(data)
        parser = F.FrameParser()
        pieces = []
        for piece in split(data, cuts):
            pieces.extend(parser.feed(piece))
        self.assertEqual(pieces, whole)
        self.assertEqual(len(whole), len(numbers))
        book = {}
        self.assertEqual([F.read_body(b, book).n for _, b, _ in whole], numbers)

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=200), st.lists(st.integers(min_value=0, max_value=400),
                                             max_size=6))
    def test_arbitrary_bytes_decode_or_fail_cleanly(self, data, cuts):
        """Any bytes at any split points either parse, or raise FrameError: never anything else."""
        parser = F.FrameParser()
        try:
            for piece in split(data, cuts):
                for header, body, book in parser.feed(piece):
                    F.read_header(header, 9, (1,))
                    F.read_body(body, F.read_book(book, 9, (1,)))
        except F.FrameError:
            pass

    def test_oversize_refused_before_payload(self):
        """A size line declaring more than 1 MiB fails at once, with no payload buffered."""
        parser = F.FrameParser()
        self.assertRaises(F.FrameError, parser.feed, b'0,0,1048577\n')
        self.assertEqual(F.FrameParser().feed(b'0,0,1048576\n' + b'x' * 10), [])

    def test_encode_refuses_oversize(self):
        """A message whose frame would break the limit cannot be encoded."""
        big = lc.cast_to('x' * (F.FRAME_LIMIT + 1), lc.str_type)
        self.assertRaises(F.FrameError, F.encode_frame, big, (), (1,), 9)

    def test_frame_layout(self):
        """A frame is h,b,t, newline, header+body+book, newline; header names both addresses."""
        data = F.encode_frame(lc.Ack(), (4, 2), (7,), 9)
        line, rest = data.split(b'\n', 1)
        h, b, t = (int(x) for x in line.split(b','))
        self.assertEqual(len(rest), t + 1)
        self.assertTrue(rest.endswith(b'\n'))
        self.assertEqual(rest[:h], b'{"value":{"to_address":[4,2],"return_address":[7],'
                                   b'"tunnel":false}}')
        self.assertEqual(rest[h:h + b], b'{"value":["layer_cake.runtime.messages.Ack",{},[]]}')


    @settings(max_examples=400, deadline=None)
    @given(st.one_of(
        st.lists(st.sampled_from('0123456789,x\n'), max_size=26).map(''.join),
        st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 70),
                  st.integers(0, 12)).map(lambda s: ','.join('0' * s[3] + str(n)
                                                             for n in s[:3]))),
        st.integers(min_value=-2, max_value=2), st.booleans(),
        st.integers(min_value=0, max_value=60))
    def test_one_frame_fed_whole_or_in_pieces(self, line, slack, newline, limit):
        """A read holding one frame (the parser's shortcut) parses exactly as when it comes in
        pieces: the same parts, or a FrameError for both."""
        declared = line.rsplit(',', 1)[-1]
        # Near the declared size, but never huge (a long digit run declares a lot).
        payload = max(0, min((int(declared) if declared.isdigit() else 10), 100) + slack)
        data = line.encode('ascii') + b'\n' + b'p' * payload + (b'\n' if newline else b'.')

        def parse(pieces):
            parser = F.FrameParser(limit=limit)
            try:
                return [part for piece in pieces for part in parser.feed(piece)]
            except F.FrameError:
                return 'error'
        whole = parse([data])
        self.assertEqual(whole, parse([data[:1], data[1:]]))
        self.assertEqual(whole, parse([data[:-1], data[-1:]]))

    def test_header_tables_keep_each_connection_apart(self):
        """The same header read through two proxies (or ends) gives each its own addresses."""
        header = F.FrameParser().feed(F.encode_frame(lc.Ack(), (4,), (7,), 9))[0][0]
        for _ in range(2):
            self.assertEqual(F.read_header(header, 12, (1,)), ((4,), (7, 12)))
            self.assertEqual(F.read_header(header, 13, (1,)), ((4,), (7, 13)))
        home = F.FrameParser().feed(F.encode_frame(lc.Ack(), (4,), (9,), 9))[0][0]
        self.assertEqual(F.read_header(home, 12, (1,)), ((4,), (1,)))
        self.assertEqual(F.read_header(home, 12, (2,)), ((4,), (2,)))
        for _ in range(2):
            self.assertRaises(F.FrameError, F.read_header,
                              b'{"value":{"to_address":[0],"return_address":[],"tunnel":false}}',
                              12, (1,))

    def test_header_written_per_proxy(self):
        """Headers written for different proxies differ where the return address leaves."""
        for _ in range(2):
            a = F.encode_frame(lc.Ack(), (4,), (7, 9), 9)
            b = F.encode_frame(lc.Ack(), (4,), (7, 9), 8)
            self.assertIn(b'"return_address":[7,0]', a)
            self.assertIn(b'"return_address":[7,9]', b)
        self.assertIn(b'"to_address":[4]', F.encode_frame(lc.Ack(), [4], [7], 9))


class AddressTests(unittest.SynchronousTestCase):

    def test_rewriting(self):
        """Out through p: a trailing p becomes 0; in through q: 0 is removed, else q appended."""
        self.assertEqual(F.address_out((5,), 9), [5])
        self.assertEqual(F.address_out((5, 9), 9), [5, 0])
        self.assertEqual(F.address_out((9,), 9), [0])
        self.assertEqual(F.address_out((0,), 9), [])
        self.assertEqual(F.address_in([5], 12, (1,)), (5, 12))
        self.assertEqual(F.address_in([5, 0], 12, (1,)), (5,))
        self.assertEqual(F.address_in([0], 12, (1,)), (1,))
        self.assertEqual(F.address_in([], 12, (1,)), (0,))
        self.assertRaises(F.FrameError, F.address_in, ['x'], 12, (1,))

    def test_body_addresses_travel_in_the_book(self):
        """An address inside a body becomes a placeholder whose book entry is rewritten per hop."""
        data = F.encode_frame(T.Directions(address=(5, 9)), (3,), (5,), 9)
        header, body, book = F.FrameParser().feed(data)[0]
        self.assertNotIn(b'[5,0]', body)
        table = F.read_book(book, 12, (1,))
        self.assertEqual(list(table.values()), [(5,)])
        self.assertEqual(F.read_body(body, table).address, (5,))

    def test_incognito_keeps_its_addresses(self):
        """An unknown type's addresses are kept with the Incognito and written again on relay."""
        data = F.encode_frame(T.Directions(address=(5,)), (), (5,), 9)
        header, body, book = F.FrameParser().feed(data)[0]
        body = body.replace(b'layer_cake.test.net_types.Directions', b'elsewhere.Directions')
        table = F.read_book(book, 12, (1,))
        incognito = F.read_body(body, table)
        self.assertIsInstance(incognito, lc.Incognito)
        self.assertEqual(list(incognito.address_book.values()), [[5, 12]])
        again = F.encode_frame(incognito, (), (1,), 12)
        _, body2, book2 = F.FrameParser().feed(again)[0]
        self.assertEqual(list(F.read_book(book2, 20, (1,)).values()), [(5,)])
