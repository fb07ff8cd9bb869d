"""The public surface: every name runtime.md §1 lists is exported by
``layer_cake`` and is the very object its module defines."""

import importlib

from twisted.trial import unittest

import layer_cake as lc

# runtime.md §1, row by row.
SPEC_NAMES = """
bind bind_message bind_routine bind_point bind_stateless bind_statemachine def_type
Point Threaded Stateless StateMachine Channel Machine Buffering Dispatching
cast_to cast_back un_cast message_to_tag select_list select_list_adhoc SelectTable OnReturned Gas
bool_type int_type float_type str_type bytes_type bytearray_type datetime_type timedelta_type
uuid_type
Portable Boolean Integer2 Integer4 Integer8 Unsigned2 Unsigned4 Unsigned8 Float4 Float8 Byte
Character Rune Block String Unicode Enumeration ClockTime TimeSpan WorldTime TimeDelta UUID
ArrayOf VectorOf DequeOf SetOf MapOf UserDefined PointerTo Any Address TargetAddress Type Word
portable_to_signature signature_to_portable portable_to_tag
Start Stop Returned Pause Resume Ready NotReady Ping Enquiry Discover Inspect Ack Nak Anything
Faulted Aborted TimedOut TemporarilyUnavailable Busy Overloaded OutOfService ToBeConfirmed
Unknown Incognito T1 T2 T3 T4 SelectTimer StartTimer CancelTimer PointLog JoinSpool LeaveSpool
CommandResponse StartStop TypeNotBound
GetResponse Delay Concurrently Sequentially CreateFrame ObjectSpool RetryIntervals
intervals_only smart_intervals
create channel open_channel drop_channel start_up tear_down PB FAULTY_EXIT CommandLine CL
ProcessOrigin ScopeOfDirectory HomeRole resource_folder model_folder tmp_folder resource_path
model_path tmp_path ProcessObject Utility
USER_LOG USER_TAG log_to_stderr log_to_nowhere select_logs
CodecJson CodecError CodecRuntimeError CodecUsageError make fake equal_to is_message
is_message_class
world_now world_at clock_now text_to_world world_to_text text_to_span span_to_text
text_to_delta delta_to_text text_to_clock clock_to_text spread_out
PointConstructionError MessageRegistrationError PlatformRequirementError ConversionError
NO_SUCH_ADDRESS PEAK_BEFORE_DROPPED DEFAULT_HOME
""".split()

# network.md §1, §2, §5 and §6 (the names of the networking issue).
NETWORK_NAMES = """
HostPort LocalPort LOCAL_HOST equal_ipp ScopeOfDirectory ScopeOfHost local_private_other
EndOfTransport DIRECTORY_PORT DIRECTORY_AT_HOST DIRECTORY_AT_LAN
listen connect stop_listening ListenForStream ConnectStream Listening NotListening Accepted
NotAccepted Connected NotConnected Close Closed
HttpRequest HttpResponse HttpMethod ReForm FormRequest ResourceDispatch decode_resource
decode_body cannot_be_dispatched cannot_be_converted
""".split()


class PublicNamesTests(unittest.SynchronousTestCase):

    def test_every_spec_name_is_exported(self):
        """Every name of runtime.md §1 is an attribute of layer_cake and listed in __all__."""
        missing = [n for n in SPEC_NAMES if not hasattr(lc, n)]
        self.assertEqual(missing, [])
        unlisted = [n for n in SPEC_NAMES if n not in lc.__all__]
        self.assertEqual(unlisted, [])

    def test_every_network_name_is_exported(self):
        """Every public name of network.md §1-§6 is an attribute of layer_cake and in __all__."""
        missing = [n for n in NETWORK_NAMES if not hasattr(lc, n)]
        self.assertEqual(missing, [])
        unlisted = [n for n in NETWORK_NAMES if n not in lc.__all__]
        self.assertEqual(unlisted, [])

    def test_all_names_resolve_to_their_module_objects(self):
        """Each exported name is the same object as in the module that defines it."""
        for name in lc.__all__:
            value = getattr(lc, name)
            module_name = getattr(value, '__module__', None)
            if not module_name or not module_name.startswith('layer_cake.'):
                continue
            module = importlib.import_module(module_name)
            if hasattr(module, name):
                self.assertIs(getattr(module, name), value, name)

    def test_constants(self):
        """The constants have the values the spec gives."""
        self.assertEqual(lc.NO_SUCH_ADDRESS, (0,))
        self.assertEqual(lc.PEAK_BEFORE_DROPPED, 16384)
        self.assertEqual(lc.DEFAULT_HOME, '.layer-cake')
        self.assertEqual(lc.FAULTY_EXIT, 71)
        self.assertEqual(lc.LOCAL_HOST, '127.0.0.1')
        self.assertEqual(lc.DIRECTORY_PORT, 54195)
        self.assertEqual(lc.DIRECTORY_AT_HOST, lc.HostPort('127.0.0.1', 54195))
        self.assertEqual(lc.DIRECTORY_AT_LAN, lc.HostPort('192.168.0.195', 54195))
        self.assertEqual([(m.name, m.value) for m in lc.EndOfTransport],
                         [('ON_REQUEST', 1), ('ABANDONED_BY_REMOTE', 2), ('WENT_STALE', 3),
                          ('OUTBOUND_STREAMING', 4), ('INBOUND_STREAMING', 5)])

    def test_no_register(self):
        """There is no lc.register: messages are registered with lc.bind."""
        self.assertFalse(hasattr(lc, 'register'))
