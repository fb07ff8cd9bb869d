"""Command-line parsing of lc.create (runtime.md §15.2-§15.3, network.md §11.1),
tested directly, without processes."""

import datetime
import enum
import os
import sys
import typing
import uuid

from twisted.trial import unittest

import layer_cake as lc
from layer_cake.process import command_line as C


class HostPort(object):
    def __init__(self, host: str = None, port: int = None):
        self.host = host
        self.port = port


lc.bind(HostPort)


class Colour(enum.Enum):
    RED = 1
    GREEN = 2


lc.bind(Colour)


class Settings(object):
    def __init__(self, count: int = 0, name: str = None, ratio: float = 0.0,
                 colour: Colour = None, verbose: bool = False):
        self.count = count
        self.name = name
        self.ratio = ratio
        self.colour = colour
        self.verbose = verbose


lc.bind(Settings)


def server(self, server_address: HostPort = None, adjustment: lc.TimeSpan = None,
           flag: bool = False, x: int = None, ratio: float = None,
           table: dict[str, list[int]] = None,
           colour: Colour = None, when: datetime.datetime = None, delta: datetime.timedelta = None,
           ident: uuid.UUID = None, name: str = None, raw: bytes = None, block: bytearray = None,
           kind: lc.Type = None, thing: typing.Any = None, anything: lc.Any = None,
           untyped=None):
    return None


lc.bind(server)


def clash(self, debug_level: int = 0):
    return None


lc.bind(clash)


def twins(self, dry_run: bool = False, deep_read: bool = False, x: int = 0):
    return None


lc.bind(twins)


class Machine(lc.Point, lc.Stateless):
    def __init__(self, size: int = 1, label: str = None):
        lc.Point.__init__(self)
        lc.Stateless.__init__(self)


def Machine_Start(self, message):
    self.complete(None)


lc.bind(Machine, dispatch=(lc.Start,))


# Sub-commands.

def tool(self, sub, *words, quiet: bool = False):
    return None


lc.bind(tool)


def list_(self, long_listing: bool = False, count: int = 1):
    return None


def add(executable, role_start: int = 0, role_count: int = 1, note=None):
    return None


TABLE = [list_, add]


def parse(arguments, object_type=server, **kw):
    return C.parse(arguments, object_type, **kw)


class BreakingTests(unittest.SynchronousTestCase):

    def test_words_and_flags(self):
        """Words are arguments not starting with '-'; flags split at the first '='."""
        words, flags = C.break_arguments(['a', '--long-name=x=y', '-sa=1', 'b', '--bare', '-'])
        self.assertEqual(words, ['a', 'b', '-'])
        self.assertEqual([(f.key, f.value, f.long) for f in flags],
                         [('long_name', 'x=y', True), ('sa', '1', False), ('bare', None, True)])

    def test_space_separated_value_is_a_word(self):
        """`--name value` is not supported: the value is taken as a word."""
        words, flags = C.break_arguments(['--x', '2'])
        self.assertEqual(words, ['2'])
        self.assertEqual(flags[0].value, None)

    def test_initials(self):
        """Short names are the first letters of the underscore-separated words."""
        self.assertEqual(C.initials('debug_level'), 'dl')
        self.assertEqual(C.initials('server_address'), 'sa')
        self.assertEqual(C.initials('x'), 'x')
        self.assertEqual(C.initials('connect_to_directory'), 'ctd')


class FrameworkTests(unittest.SynchronousTestCase):

    def test_framework_flags_schema(self):
        """CommandLine is a registered message holding every §15.3 flag with its type."""
        schema = lc.CommandLine.__lc_registration__.schema
        for name in ('debug_level', 'full_output', 'child_process', 'origin', 'home_path',
                     'role_name', 'resource_path', 'model_path', 'create_role', 'update_role',
                     'dump_role', 'factory_reset', 'delete_role', 'edit_role', 'dump_types',
                     'output_file', 'keep_logs', 'help', 'role_file', 'directory_scope',
                     'connect_to_directory', 'accept_directories_at', 'encrypted_process'):
            self.assertIn(name, schema)
        self.assertEqual(schema['debug_level'], lc.def_type(lc.USER_LOG))
        self.assertEqual(schema['origin'], lc.def_type(lc.ProcessOrigin))
        self.assertEqual(schema['directory_scope'], lc.def_type(lc.ScopeOfDirectory))
        self.assertEqual(schema['full_output'], lc.Boolean())
        self.assertIsInstance(lc.CL, lc.CommandLine)

    def test_enums(self):
        """ProcessOrigin and ScopeOfDirectory have the members and values of the spec."""
        self.assertEqual([m.name for m in lc.ProcessOrigin],
                         ['SHELL', 'RUN', 'RUN_CHILD', 'START', 'START_CHILD'])
        self.assertEqual([(m.name, m.value) for m in lc.ScopeOfDirectory],
                         [('WAN', 1), ('LAN', 2), ('HOST', 3), ('GROUP', 4), ('PROCESS', 5),
                          ('LIBRARY', 6)])

    def test_framework_then_main(self):
        """Framework flags are taken first (long and short), the rest by the main schema."""
        a = parse(['-dl=DEBUG', '--full-output', '--origin=RUN_CHILD', '--x=2'])
        self.assertEqual(a.framework.debug_level, lc.USER_LOG.DEBUG)
        self.assertIs(a.framework.full_output, True)
        self.assertEqual(a.framework.origin, lc.ProcessOrigin.RUN_CHILD)
        self.assertEqual(a.settings, {'x': 2})
        self.assertEqual(a.given, {'debug_level': lc.USER_LOG.DEBUG, 'full_output': True,
                                   'origin': lc.ProcessOrigin.RUN_CHILD})

    def test_directory_flags(self):
        """--directory-scope takes a ScopeOfDirectory name; --connect-to-directory a HostPort."""
        a = parse(['--directory-scope=LIBRARY',
                   '--connect-to-directory={"host": "127.0.0.1", "port": 1}'])
        self.assertEqual(a.framework.directory_scope, lc.ScopeOfDirectory.LIBRARY)
        self.assertEqual(a.framework.connect_to_directory, lc.HostPort('127.0.0.1', 1))

    def test_words_are_positional(self):
        """Words are kept in order for the main object's positional arguments."""
        a = parse(['one', '--x=1', 'two'])
        self.assertEqual(a.words, ['one', 'two'])


class ValueTests(unittest.SynchronousTestCase):
    """Item 31 and the decoding rules of §15.2."""

    def settings(self, *arguments):
        return parse(list(arguments)).settings

    def test_message_from_json(self):
        """Item 31: --server-address='{"host": ..., "port": ...}' gives a HostPort."""
        s = self.settings('--server-address={"host": "127.0.0.1", "port": 5051}')
        self.assertEqual((s['server_address'].host, s['server_address'].port),
                         ('127.0.0.1', 5051))

    def test_short_form_equivalent(self):
        """Item 31: -sa=... is the same as --server-address=..."""
        s = self.settings('-sa={"host": "127.0.0.1", "port": 5051}')
        self.assertTrue(lc.equal_to(s['server_address'], HostPort('127.0.0.1', 5051)))

    def test_timespan_text(self):
        """Item 31: --adjustment=1d2h decodes a TimeSpan to 93600.0."""
        self.assertEqual(self.settings('--adjustment=1d2h')['adjustment'], 93600.0)

    def test_bare_flag(self):
        """Item 31: a bare flag is True for a bool and None for anything else."""
        s = self.settings('--flag', '--x')
        self.assertIs(s['flag'], True)
        self.assertIsNone(s['x'])

    def test_json_fragments(self):
        """Numbers, booleans and pair-list dicts are JSON fragments of the word form."""
        s = self.settings('--x=2', '--ratio=0.5', '--flag=false',
                          '--table=[["recent", [1, 2]]]')
        self.assertEqual(s['x'], 2)
        self.assertEqual(s['ratio'], 0.5)
        self.assertIs(s['flag'], False)
        self.assertEqual(s['table'], {'recent': [1, 2]})

    def test_text_like(self):
        """Text-like types take the raw text: str, bytes, base64 block, enum, times, UUID."""
        u = uuid.UUID('12345678-1234-5678-1234-567812345678')
        s = self.settings('--name={"not": "json"}', '--raw=abc', '--block=YWJj',
                          '--colour=GREEN', '--when=2026-11-28T12:00:00',
                          '--delta=1:00:00:05', '--ident=%s' % (u,))
        self.assertEqual(s['name'], '{"not": "json"}')
        self.assertEqual(s['raw'], b'abc')
        self.assertEqual(s['block'], bytearray(b'abc'))
        self.assertIs(s['colour'], Colour.GREEN)
        self.assertEqual(s['when'], lc.world_at(2026, 11, 28, 12))
        self.assertEqual(s['delta'], datetime.timedelta(days=1, seconds=5))
        self.assertEqual(s['ident'], u)

    def test_type_by_name(self):
        """A Type takes a registered path, importing its module when it is not loaded yet."""
        s = self.settings('--kind=layer_cake.test.test_command_line.HostPort')
        self.assertIs(s['kind'], HostPort)
        folder = self.mktemp()
        os.makedirs(folder)
        module = 'lc_probe_%s' % (uuid.uuid4().hex,)
        with open(os.path.join(folder, module + '.py'), 'w') as f:
            f.write('import layer_cake as lc\n'
                    'class Probe(object):\n'
                    '    pass\n'
                    'lc.bind(Probe)\n')
        sys.path.insert(0, folder)
        self.addCleanup(sys.path.remove, folder)
        self.assertNotIn(module, sys.modules)
        s = self.settings('--kind=%s.Probe' % (module,))
        self.assertIs(s['kind'], sys.modules[module].Probe)

    def test_unknown_type_name(self):
        """A Type naming nothing registered cannot be decoded."""
        e = self.assertRaises(C.ArgumentError, parse, ['--kind=no.such.Thing'])
        self.assertEqual(e.condition, 'cannot decode value for "kind"')

    def test_any_takes_full_shipment(self):
        """An Any parameter takes a full shipment (upstream GAP fixed)."""
        s = self.settings('--anything={"value": ["vector<integer8>", [1, 2], []]}')
        self.assertEqual(s['anything'], ([1, 2], lc.VectorOf(lc.Integer8())))

    def test_pointer_takes_full_shipment(self):
        """A type holding pointers takes a full shipment."""
        text = lc.CodecJson().encode('x', lc.PointerTo(str))
        self.assertEqual(C.decode_argument(text, lc.PointerTo(str)), 'x')

    def test_untyped_parameter_takes_text(self):
        """Unhinted parameters with defaults take raw text; ones without defaults are words."""
        s = self.settings('--thing=[1]', '--untyped=abc')
        self.assertEqual(s, {'thing': '[1]', 'untyped': 'abc'})
        self.assertEqual(C.schema_of(tool), {'quiet': lc.Boolean()})

    def test_machine_schema(self):
        """A machine's settings come from its __init__ parameters."""
        a = C.parse(['--size=3', '-l=big'], Machine)
        self.assertEqual(a.settings, {'size': 3, 'label': 'big'})

    def test_encode_argument_round_trip(self):
        """encode_argument writes what decode_argument reads back, per type."""
        cases = [(2, int), (0.5, float), (True, bool), ('a b', str), (b'ab', bytes),
                 (Colour.RED, Colour), (93600.0, lc.TimeSpan), ({'a': [1]}, dict[str, list[int]]),
                 (HostPort('h', 1), HostPort), (HostPort, lc.Type),
                 (([1], lc.def_type(list[int])), lc.Any)]
        for value, t in cases:
            text = C.encode_argument(value, t)
            self.assertIsInstance(text, str)
            back = C.decode_argument(text, t)
            self.assertTrue(lc.equal_to(back, value, t) if t is not lc.Type else back is value,
                            (value, text, back))
        self.assertEqual(C.encode_argument(HostPort('h', 1), HostPort),
                         '{"host": "h", "port": 1}')

    def test_encode_failure(self):
        """A value that does not fit its type cannot be encoded (ValueError with a reason)."""
        self.assertRaises(ValueError, C.encode_argument, datetime.datetime(2026, 1, 1),
                          dict[str, int])


class ErrorTests(unittest.SynchronousTestCase):
    """Item 32 and the other error texts of §15.2."""

    def error(self, arguments, object_type=server, **kw):
        e = self.assertRaises(C.ArgumentError, C.parse, arguments, object_type, **kw)
        return str(e)

    def test_unknown_arguments(self):
        """Item 32: flags no schema takes are named as written, in order."""
        self.assertEqual(self.error(['--nosuch=1']), 'unknown arguments (nosuch)')
        self.assertEqual(self.error(['--no-such=1', '-zz', '--x=1']),
                         'unknown arguments (no-such, zz)')

    def test_cannot_decode(self):
        """Item 32: --x=abc for an int cannot be decoded, naming the setting."""
        text = self.error(['--x=abc'])
        self.assertTrue(text.startswith('cannot decode value for "x" ('), text)
        self.assertTrue(self.error(['--colour=BLUE']).startswith(
            'cannot decode value for "colour" ('))
        self.assertTrue(self.error(['--adjustment=soon']).startswith(
            'cannot decode value for "adjustment" ('))

    def test_collision(self):
        """A name in both the framework and the main schema is a collision."""
        self.assertEqual(self.error([], clash), 'collision in settings names - debug_level')

    def test_ambiguous_short(self):
        """An initialism matching two names of a schema is ambiguous."""
        self.assertEqual(self.error(['-dr=true'], twins),
                         'ambiguous short settings (dr), use long form --<name>=<value>')
        self.assertEqual(C.parse(['--dry-run', '-x=1'], twins).settings, {'dry_run': True, 'x': 1})

    def test_both_forms(self):
        """The same setting given long and short is an error."""
        self.assertEqual(self.error(['--x=1', '-x=2']),
                         'cannot decode value for "x" (use of both long and short forms)')

    def test_not_registered(self):
        """An unregistered main type cannot run."""
        def plain(self):
            pass
        self.assertTrue(self.error([], plain).startswith('cannot run "plain"'))


class SubCommandTests(unittest.SynchronousTestCase):

    def test_first_word_selects(self):
        """The first word picks a table function (trailing '_' stripped) decoding the flags."""
        a = C.parse(['list', '--long-listing', '-c=3', '--quiet', 'more'], tool,
                    object_table=TABLE)
        name, function, kwargs, remainder = a.sub_command
        self.assertEqual((name, function, kwargs, remainder),
                         ('list', list_, {'long_listing': True, 'count': 3}, {}))
        self.assertEqual(a.settings, {'quiet': True})
        self.assertEqual(a.words, ['more'])

    def test_unbound_function_schema(self):
        """Unbound table functions: hints make the schema; unhinted defaults take text."""
        a = C.parse(['add', '--role-count=2', '--note=x.py'], tool, object_table=TABLE)
        self.assertEqual(a.sub_command[2], {'role_count': 2, 'note': 'x.py'})
        e = self.assertRaises(C.ArgumentError, C.parse, ['add', '--executable=x'], tool,
                              object_table=TABLE)
        self.assertEqual(str(e), 'unknown arguments (executable)')

    def test_sub_command_collision(self):
        """A sub-command parameter named like a framework flag is a collision."""
        def clashing(role_name: str = None):
            pass
        e = self.assertRaises(C.ArgumentError, C.parse, ['clashing'], tool,
                              object_table=[clashing])
        self.assertEqual(str(e), 'collision in settings names - role_name')

    def test_strict_rejects_unknown(self):
        """With strict (the default) leftover flags are unknown arguments."""
        e = self.assertRaises(C.ArgumentError, C.parse, ['add', '--other=1'], tool,
                              object_table=TABLE)
        self.assertEqual(str(e), 'unknown arguments (other)')

    def test_not_strict_keeps_remainder(self):
        """Without strict, leftover flags are handed over as the remainder."""
        a = C.parse(['add', '--other-thing=1', '-o2', '--bare'], tool, object_table=TABLE,
                    strict=False)
        self.assertEqual(a.sub_command[3], {'other_thing': '1', 'o2': None, 'bare': None})

    def test_unknown_sub_command(self):
        """A first word naming no table function is an error naming it."""
        e = self.assertRaises(C.ArgumentError, C.parse, ['nosuch'], tool, object_table=TABLE)
        self.assertEqual(str(e), 'unknown sub-command "nosuch"')

    def test_no_sub_command(self):
        """Without a word the main object gets (None, None, {}, remainder)."""
        a = C.parse([], tool, object_table=TABLE)
        self.assertEqual(a.sub_command, (None, None, {}, {}))


class EnvironmentTests(unittest.SynchronousTestCase):

    def test_members_from_variables(self):
        """environment_variables fills members from LC_V_<MEMBER> with the same decoding."""
        s = Settings()
        C.environment_variables(s, {'LC_V_COUNT': '4', 'LC_V_NAME': 'bob',
                                    'LC_V_COLOUR': 'RED', 'LC_V_VERBOSE': 'true',
                                    'LC_V_RATIO_X': '9'})
        self.assertEqual((s.count, s.name, s.colour, s.verbose, s.ratio),
                         (4, 'bob', Colour.RED, True, 0.0))

    def test_bad_variable(self):
        """An undecodable variable is an error naming the variable."""
        e = self.assertRaises(C.ArgumentError, C.environment_variables, Settings(),
                              {'LC_V_COUNT': 'many'})
        self.assertEqual(e.condition, 'cannot decode value for "LC_V_COUNT"')

    def test_flag_given(self):
        """flag_given spots a boolean framework flag in raw arguments (long or short)."""
        self.assertTrue(C.flag_given(['--x=y', '--full-output'], 'full_output'))
        self.assertTrue(C.flag_given(['-fo'], 'full_output'))
        self.assertTrue(C.flag_given(['--child-process=true'], 'child_process'))
        self.assertFalse(C.flag_given(['--full-output=false', 'full-output'], 'full_output'))
