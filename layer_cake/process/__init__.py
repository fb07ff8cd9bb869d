"""Processes: the process entry point lc.create, its command line, home and role,
and ProcessObject (a child process standing in for a thread)."""

from ..runtime.storage import File, Folder, remove_folder, remove_contents
from .command_line import CommandLine, CL, ProcessOrigin
from .entry import (create, FAULTY_EXIT, DEFAULT_HOME, HomeRole, resource_folder, model_folder,
                    tmp_folder, resource_path, model_path, tmp_path)
from .process_object import ProcessObject
from .utility import Utility

__all__ = [
    'File', 'Folder', 'remove_folder', 'remove_contents',
    'CommandLine', 'CL', 'ProcessOrigin',
    'create', 'FAULTY_EXIT', 'DEFAULT_HOME', 'HomeRole', 'resource_folder', 'model_folder',
    'tmp_folder', 'resource_path', 'model_path', 'tmp_path',
    'ProcessObject', 'Utility',
]
