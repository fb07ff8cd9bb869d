"""Processes: the process entry point lc.create, its command line, home and role,
and (later) ProcessObject."""

from ..runtime.storage import File, Folder, remove_folder, remove_contents
from .command_line import CommandLine, CL, ProcessOrigin
from .entry import (create, FAULTY_EXIT, DEFAULT_HOME, HomeRole, resource_folder, model_folder,
                    tmp_folder, resource_path, model_path, tmp_path)

__all__ = [
    'File', 'Folder', 'remove_folder', 'remove_contents',
    'CommandLine', 'CL', 'ProcessOrigin',
    'create', 'FAULTY_EXIT', 'DEFAULT_HOME', 'HomeRole', 'resource_folder', 'model_folder',
    'tmp_folder', 'resource_path', 'model_path', 'tmp_path',
]
