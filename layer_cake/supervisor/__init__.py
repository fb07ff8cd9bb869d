"""Group supervision: group-cake runs the roles of a home as one composite
process, restarting them per ``RetryIntervals`` (network.md §12)."""

from .supervisor import GroupSupervisor, RoleProtocol, INTENSITY, INTERRUPT_GRACE, \
    TERMINATE_GRACE

__all__ = ['GroupSupervisor', 'RoleProtocol', 'INTENSITY', 'INTERRUPT_GRACE',
           'TERMINATE_GRACE']
