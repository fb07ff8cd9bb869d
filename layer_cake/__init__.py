"""layer-cake on Twisted: actors exchanging typed messages across threads,
processes and hosts.  This module is the public ``lc.*`` surface only; the
implementation lives in the layers below (types, runtime, net, process, ...).
"""

from .types.errors import (PointConstructionError, MessageRegistrationError,
                           PlatformRequirementError, ConversionError, ConversionDecodeFailed,
                           ConversionEncodeFailed, CodecError, CodecRuntimeError,
                           CodecUsageError)
from .types.portable import (Portable, Boolean, Integer2, Integer4, Integer8, Unsigned2,
                             Unsigned4, Unsigned8, Float4, Float8, Byte, Character, Rune, Block,
                             String, Unicode, Enumeration, ClockTime, TimeSpan, WorldTime,
                             TimeDelta, UUID, ArrayOf, VectorOf, DequeOf, SetOf, MapOf,
                             UserDefined, PointerTo, Any, Address, TargetAddress, Type, Word)
from .types.registry import (def_type, cast_to, cast_back, un_cast, message_to_tag, make, fake,
                             equal_to, is_message, is_message_class, signature_to_portable,
                             portable_to_signature, portable_to_tag,
                             bool_type, int_type, float_type, str_type, bytes_type,
                             bytearray_type, datetime_type, timedelta_type, uuid_type)
from .types.timetext import (world_now, world_at, clock_now, text_to_world, world_to_text,
                             text_to_span, span_to_text, text_to_delta, delta_to_text,
                             text_to_clock, clock_to_text)
from .types.incognito import Incognito, TypeNotBound
from .types.codec import CodecJson
from .runtime.address import NO_SUCH_ADDRESS
from .runtime.engine import PEAK_BEFORE_DROPPED
from .runtime.log import USER_LOG, USER_TAG, PointLog, log_to_stderr, log_to_nowhere, select_logs
from .runtime.messages import (Start, Stop, Returned, Pause, Resume, Ready, NotReady, Ping,
                               Enquiry, Discover, Inspect, Ack, Nak, Anything, Faulted, Aborted,
                               TimedOut, TemporarilyUnavailable, Busy, Overloaded, OutOfService,
                               ToBeConfirmed, Unknown, T1, T2, T3, T4, SelectTimer, StartTimer,
                               CancelTimer, JoinSpool, LeaveSpool, CommandResponse, StartStop)
from .runtime.point import (Point, Threaded, Stateless, StateMachine, Channel, Machine,
                            Buffering, Dispatching, SelectTable, OnReturned, Gas, select_list,
                            select_list_adhoc, no_ending)
from .runtime.bind import (bind, bind_message, bind_routine, bind_point, bind_stateless,
                           bind_statemachine)
from .runtime.start import PB, start_up, tear_down, channel, open_channel, drop_channel
from .runtime.library import *          # noqa: F401,F403 (names listed in its __all__)
from .runtime import library as _library
from .net import *                      # noqa: F401,F403
from . import net as _net
from .process import *                  # noqa: F401,F403
from . import process as _process
from .directory import *                # noqa: F401,F403
from . import directory as _directory

__all__ = [
    'PointConstructionError', 'MessageRegistrationError', 'PlatformRequirementError',
    'ConversionError', 'ConversionDecodeFailed', 'ConversionEncodeFailed', 'CodecError',
    'CodecRuntimeError', 'CodecUsageError',
    'Portable', 'Boolean', 'Integer2', 'Integer4', 'Integer8', 'Unsigned2', 'Unsigned4',
    'Unsigned8', 'Float4', 'Float8', 'Byte', 'Character', 'Rune', 'Block', 'String', 'Unicode',
    'Enumeration', 'ClockTime', 'TimeSpan', 'WorldTime', 'TimeDelta', 'UUID', 'ArrayOf',
    'VectorOf', 'DequeOf', 'SetOf', 'MapOf', 'UserDefined', 'PointerTo', 'Any', 'Address',
    'TargetAddress', 'Type', 'Word',
    'def_type', 'cast_to', 'cast_back', 'un_cast', 'message_to_tag', 'make', 'fake', 'equal_to',
    'is_message', 'is_message_class', 'signature_to_portable', 'portable_to_signature',
    'portable_to_tag', 'bool_type', 'int_type',
    'float_type', 'str_type', 'bytes_type', 'bytearray_type', 'datetime_type', 'timedelta_type',
    'uuid_type',
    'world_now', 'world_at', 'clock_now', 'text_to_world', 'world_to_text', 'text_to_span',
    'span_to_text', 'text_to_delta', 'delta_to_text', 'text_to_clock', 'clock_to_text',
    'Incognito', 'TypeNotBound', 'CodecJson',
    'NO_SUCH_ADDRESS', 'PEAK_BEFORE_DROPPED',
    'USER_LOG', 'USER_TAG', 'PointLog', 'log_to_stderr', 'log_to_nowhere', 'select_logs',
    'Start', 'Stop', 'Returned', 'Pause', 'Resume', 'Ready', 'NotReady', 'Ping', 'Enquiry',
    'Discover', 'Inspect', 'Ack', 'Nak', 'Anything', 'Faulted', 'Aborted', 'TimedOut',
    'TemporarilyUnavailable', 'Busy', 'Overloaded', 'OutOfService', 'ToBeConfirmed', 'Unknown',
    'T1', 'T2', 'T3', 'T4', 'SelectTimer', 'StartTimer', 'CancelTimer', 'JoinSpool',
    'LeaveSpool', 'CommandResponse', 'StartStop',
    'Point', 'Threaded', 'Stateless', 'StateMachine', 'Channel', 'Machine', 'Buffering',
    'Dispatching', 'SelectTable', 'OnReturned', 'Gas', 'select_list', 'select_list_adhoc',
    'no_ending',
    'bind', 'bind_message', 'bind_routine', 'bind_point', 'bind_stateless', 'bind_statemachine',
    'PB', 'start_up', 'tear_down', 'channel', 'open_channel', 'drop_channel',
] + list(_library.__all__) + list(_net.__all__) + list(_process.__all__) + list(_directory.__all__)
