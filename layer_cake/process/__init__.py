"""Processes: the process entry point lc.create, its command line, and (later) ProcessObject."""

__all__ = []
