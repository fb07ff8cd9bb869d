"""The command line of a layer-cake process (runtime.md §15.2-§15.3, network.md §11.1).

Arguments are *words* (anything not starting with ``-``) and *flags*:
``--long-name[=value]`` or ``-initials[=value]``.  Flags are matched against
schemas, in turn: first the framework flags (:class:`CommandLine`), then the
main object's parameters (then, in sub-command mode, the selected function's).
A long name maps dashes to underscores; a short name is the initial letters of
the underscore-separated words of a name, computed per schema.

Values are decoded by the declared type of the parameter: text-like types
take the raw text, enums a member name, times/UUIDs/Types their text forms,
a flag without a value is True for a boolean (None otherwise), types holding
pointers or Any take a full codec shipment, and everything else is a JSON
fragment of the type's word form.  The inverse, :func:`encode_argument`,
writes a value the way the decoding reads it (for parents starting children).
"""

import enum
import inspect
import os

from ..types import portable as P
from ..types import registry
from ..types.argument import decode_argument, encode_argument  # noqa: F401 (re-exported)
from ..runtime.log import USER_LOG
from ..net.ipp import HostPort, ScopeOfDirectory

__all__ = ['CommandLine', 'CL', 'ProcessOrigin']


class ProcessOrigin(enum.Enum):
    """Where a process stands in a chain of processes (network.md §11)."""
    SHELL = 1
    RUN = 2
    RUN_CHILD = 3
    START = 4
    START_CHILD = 5


registry.register_enum(ProcessOrigin)


class CommandLine(object):
    """The framework flags every layer-cake process accepts (runtime.md §15.3)."""

    def __init__(self, debug_level: USER_LOG = None, full_output: bool = False,
                 child_process: bool = False, origin: ProcessOrigin = None,
                 home_path: str = None, role_name: str = None,
                 resource_path: str = None, model_path: str = None,
                 create_role: bool = False, update_role: bool = False,
                 dump_role: bool = False, factory_reset: bool = False,
                 delete_role: bool = False, edit_role: bool = False,
                 dump_types: bool = False, output_file: str = None, keep_logs: bool = False,
                 help: bool = False, role_file: str = None,
                 directory_scope: ScopeOfDirectory = None,
                 connect_to_directory: HostPort = None, accept_directories_at: HostPort = None,
                 encrypted_process: bool = False):
        self.debug_level = debug_level
        self.full_output = full_output
        self.child_process = child_process
        self.origin = origin
        self.home_path = home_path
        self.role_name = role_name
        self.resource_path = resource_path
        self.model_path = model_path
        self.create_role = create_role
        self.update_role = update_role
        self.dump_role = dump_role
        self.factory_reset = factory_reset
        self.delete_role = delete_role
        self.edit_role = edit_role
        self.dump_types = dump_types
        self.output_file = output_file
        self.keep_logs = keep_logs
        self.help = help
        self.role_file = role_file
        self.directory_scope = directory_scope
        self.connect_to_directory = connect_to_directory
        self.accept_directories_at = accept_directories_at
        self.encrypted_process = encrypted_process


registry.bind_message(CommandLine)

# The framework flags of this process, filled in by lc.create.
CL = CommandLine()


class ArgumentError(Exception):
    """The command line cannot be used; ``condition``/``explanation`` make the Faulted."""

    def __init__(self, condition, explanation=None):
        Exception.__init__(self, condition if explanation is None else '%s (%s)' % (
            condition, explanation))
        self.condition = condition
        self.explanation = explanation


# Breaking the arguments up.

class Flag(object):
    """One ``--name[=value]`` or ``-initials[=value]`` argument."""

    def __init__(self, typed, key, value, long, position):
        self.typed = typed          # the name as written, without the dashes
        self.key = key              # long: dashes mapped to underscores; short: as written
        self.value = value          # the text after '=', or None
        self.long = long
        self.position = position


def break_arguments(arguments):
    """Words (in order) and flags (in order) of a list of arguments."""
    words, flags = [], []
    for i, a in enumerate(arguments):
        if not a.startswith('-') or a == '-':
            words.append(a)
            continue
        long = a.startswith('--')
        body = a[2:] if long else a[1:]
        name, equals, value = body.partition('=')
        if not equals:
            value = None
        key = name.replace('-', '_') if long else name
        flags.append(Flag(name, key, value, long, i))
    return words, flags


def initials(name):
    """The short form of a name: the first letter of each underscore-separated word."""
    return ''.join(w[0] for w in name.split('_') if w)


# Schemas.

def _parameters(function, skip_first):
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []
    if skip_first and parameters:
        parameters = parameters[1:]
    return [p for p in parameters
            if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]


def schema_of(object_type):
    """{name: portable} of what a registered function or machine takes as settings.

    Hinted parameters have their declared types; a parameter with a default
    but without a usable hint takes the raw text (Unicode), the way a parent
    passes an untyped argument (``str(value)``).  Parameters without hint and
    default are left to the words.
    """
    r = P.registration_of(object_type)
    if r is None:
        raise ArgumentError('cannot run "%s"' % (getattr(object_type, '__name__', object_type),),
                            'not registered')
    if r.kind == 'message':
        return dict(r.schema)
    schema = {}
    if r.kind == 'routine':
        parameters = _parameters(object_type, True)
    else:
        init = object_type.__dict__.get('__init__') if isinstance(object_type, type) else None
        parameters = _parameters(init, True) if inspect.isfunction(init) else []
    for p in parameters:
        portable = r.schema.get(p.name)
        if portable is None and p.default is inspect.Parameter.empty:
            continue
        schema[p.name] = portable or registry.str_type
    for name, portable in r.schema.items():
        schema.setdefault(name, portable)
    return schema


def function_schema(function):
    """The schema of a sub-command function (bound or not); a leading ``self`` is skipped."""
    r = P.registration_of(function)
    if r is not None and r.kind in ('routine', 'point'):
        return schema_of(function)
    parameters = _parameters(function, False)
    if parameters and parameters[0].name == 'self':
        parameters = parameters[1:]
    try:
        hints = dict(getattr(function, '__annotations__', {}) or {})
    except Exception:
        hints = {}
    schema = {}
    for p in parameters:
        portable = None
        if p.name in hints:
            portable = registry.parameter_type(registry._resolve(hints[p.name], function))
        if portable is None and p.default is inspect.Parameter.empty:
            continue
        schema[p.name] = portable or registry.str_type
    return schema


FRAMEWORK = P.registration_of(CommandLine).schema


# Applying a schema to the flags.

def extract(schema, flags):
    """Decode the flags that belong to ``schema``; returns (settings, remaining flags)."""
    by_initials = {}
    for name in schema:
        by_initials.setdefault(initials(name), []).append(name)
    texts, used, remaining = {}, {}, []
    ambiguous = []
    for f in flags:
        if f.long:
            if f.key in schema:
                name = f.key
            else:
                remaining.append(f)
                continue
        else:
            names = by_initials.get(f.key)
            if not names:
                remaining.append(f)
                continue
            if len(names) > 1:
                ambiguous.append(f.key)
                continue
            name = names[0]
        forms = used.setdefault(name, set())
        forms.add(f.long)
        if len(forms) > 1:
            raise ArgumentError('cannot decode value for "%s"' % (name,),
                                'use of both long and short forms')
        texts[name] = f.value
    if ambiguous:
        raise ArgumentError('ambiguous short settings (%s), use long form --<name>=<value>' % (
            ', '.join(ambiguous),))
    settings = {}
    for name, text in texts.items():
        try:
            settings[name] = decode_argument(text, schema[name])
        except ValueError as e:
            raise ArgumentError('cannot decode value for "%s"' % (name,), str(e))
    return settings, remaining


def check_collisions(*schemas):
    """Raise when a name appears in more than one schema."""
    seen, both = set(), set()
    for s in schemas:
        for name in s:
            if name in seen:
                both.add(name)
        seen.update(s)
    if both:
        raise ArgumentError('collision in settings names - %s' % (', '.join(sorted(both)),))


def unknown(flags):
    """Raise naming the flags (as written) that no schema took."""
    if flags:
        raise ArgumentError('unknown arguments', ', '.join(f.typed for f in flags))


def sub_command_name(function):
    """The word that selects a function of an object table (trailing '_' stripped)."""
    return function.__name__.rstrip('_')


class Arguments(object):
    """The outcome of parsing one command line."""

    def __init__(self):
        self.words = []                 # positional arguments for the main object
        self.framework = CommandLine()  # the framework flags
        self.given = {}                 # framework flags that were actually given
        self.settings = {}              # keyword arguments for the main object
        self.schema = {}                # the main object's schema
        self.sub_command = None         # (name, function, kwargs, remainder) in sub-command mode


def parse(arguments, object_type, object_table=None, strict=True):
    """Parse ``arguments`` (``sys.argv[1:]``) for a main object of ``object_type``.

    Raises ArgumentError.
    """
    result = Arguments()
    words, flags = break_arguments(arguments)
    schema = schema_of(object_type)
    result.schema = schema
    check_collisions(FRAMEWORK, schema)
    given, flags = extract(FRAMEWORK, flags)
    result.given = given
    for name, value in given.items():
        setattr(result.framework, name, value)
    settings, flags = extract(schema, flags)
    result.settings = settings
    if object_table is None:
        unknown(flags)
        result.words = words
        return result
    table = {sub_command_name(f): f for f in object_table}
    if not words:
        if strict:
            unknown(flags)
        result.sub_command = (None, None, {}, remainder_of(flags))
        return result
    name = words[0]
    function = table.get(name)
    if function is None:
        raise ArgumentError('unknown sub-command "%s"' % (name,))
    command_schema = function_schema(function)
    check_collisions(FRAMEWORK, schema, command_schema)
    kwargs, flags = extract(command_schema, flags)
    if strict:
        unknown(flags)
    result.sub_command = (name, function, kwargs, remainder_of(flags))
    result.words = words[1:]
    return result


def remainder_of(flags):
    """Flags no schema took: {long name with underscores, or short initials: text or None}."""
    return {f.key: f.value for f in flags}


def environment_variables(instance, environ=None):
    """Fill the members of a registered message from ``LC_V_<MEMBER>`` variables.

    Raises ArgumentError when a value cannot be decoded.
    """
    environ = os.environ if environ is None else environ
    r = P.registration_of(type(instance))
    if r is None or r.kind != 'message':
        raise ArgumentError('cannot read environment variables', 'not a registered message')
    for name, portable in r.schema.items():
        variable = 'LC_V_%s' % (name.upper(),)
        text = environ.get(variable)
        if text is None:
            continue
        try:
            setattr(instance, name, decode_argument(text, portable))
        except ValueError as e:
            raise ArgumentError('cannot decode value for "%s"' % (variable,), str(e))
    return instance


def flag_given(arguments, name):
    """Whether a boolean framework flag appears (long or short form) in raw arguments,
    for use when parsing failed.  A value other than true/empty counts as absent."""
    short = initials(name)
    for a in arguments:
        if not a.startswith('-'):
            continue
        long = a.startswith('--')
        body = a[2:] if long else a[1:]
        key, equals, value = body.partition('=')
        key = key.replace('-', '_') if long else key
        if (long and key == name) or (not long and key == short):
            if not equals or value == 'true':
                return True
    return False
