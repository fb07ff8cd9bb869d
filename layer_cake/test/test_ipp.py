"""HostPort and friends (network.md §1)."""

from twisted.trial import unittest

import layer_cake as lc


class HostPortTests(unittest.SynchronousTestCase):

    def test_text_and_tuple(self):
        """str() gives host:port or (not set); inet() the socket tuple; LocalPort is loopback."""
        self.assertEqual(str(lc.HostPort('10.1.2.3', 80)), '10.1.2.3:80')
        self.assertEqual(str(lc.HostPort()), '(not set)')
        self.assertEqual(lc.HostPort('h', 1).inet(), ('h', 1))
        self.assertEqual(lc.LocalPort(5050).inet(), ('127.0.0.1', 5050))
        self.assertTrue(lc.equal_ipp(lc.LocalPort(1), lc.HostPort('127.0.0.1', 1)))
        self.assertFalse(lc.equal_ipp(lc.LocalPort(1), lc.HostPort('127.0.0.1', 2)))

    def test_portable(self):
        """A HostPort is a registered message that round-trips through the codec."""
        c = lc.CodecJson()
        text = c.encode(lc.HostPort('h', 7), lc.HostPort)
        self.assertEqual(c.decode(text, lc.HostPort), lc.HostPort('h', 7))

    def test_local_private_other(self):
        """Dotted IPv4 texts are classified as loopback, private range or other."""
        S = lc.ScopeOfHost
        cases = {'127.0.0.1': S.LOCAL, '10.9.8.7': S.PRIVATE, '192.168.1.37': S.PRIVATE,
                 '172.16.0.1': S.PRIVATE, '172.31.255.1': S.PRIVATE, '172.32.0.1': S.OTHER,
                 '172.15.0.1': S.OTHER, '8.8.8.8': S.OTHER, None: S.OTHER, 'host': S.OTHER,
                 '1.2.3': S.OTHER, '300.1.1.1': S.OTHER}
        for ip, scope in cases.items():
            self.assertEqual(lc.local_private_other(ip), scope, ip)

    def test_scope_of_directory(self):
        """ScopeOfDirectory has the values of the spec; a smaller value is wider."""
        self.assertEqual([(m.name, m.value) for m in lc.ScopeOfDirectory],
                         [('WAN', 1), ('LAN', 2), ('HOST', 3), ('GROUP', 4), ('PROCESS', 5),
                          ('LIBRARY', 6)])
