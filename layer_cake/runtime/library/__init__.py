"""Library objects built on the runtime: requests, concurrency, spools, retries."""

__all__ = []
