"""Publish/subscribe: the directory that connects services by name (network.md §7-§10)."""
