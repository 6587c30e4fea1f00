"""A circuit breaker for one dependency of a process, shared by all of its threads.

Closed, every call goes through. One failure opens it: for `open_seconds` nothing is called and
callers take their fallback at once. When that time is up, the next caller's thread is let
through as the probe (half-open) while other threads keep falling back; the probing thread may
make several calls (whatever must go first, then its own) until one of them reports. A success
closes the breaker, a failure opens it for another period. A probe that never reports (its
thread died) is replaced by another thread one period later.

Why not pybreaker: it runs every guarded call while holding the breaker's lock, so the threads
of a process (gthread, runserver) would take turns even while the dependency is healthy, and
its calls wrap a function, where the Redis calls here are reported by the connection they use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    """Thread-safe; the closed path reads one attribute and takes no lock."""

    def __init__(
        self, *, open_seconds: Callable[[], float], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._open_seconds = open_seconds  # read at each opening, so settings can change it
        self.clock = clock  # replaceable: tests move time by hand
        self._lock = threading.Lock()
        self._open = False
        self._retry_at = 0.0  # while open: when the next probe may go
        self._probing = False  # a probe was let through and has not reported yet
        self._prober = 0  # the probing thread's ident
        self.openings = 0  # times it went from closed to open: an epoch for what was cached

    @property
    def closed(self) -> bool:
        return not self._open

    def allow(self) -> bool:
        """May the caller call the dependency now? True for every caller while closed, and
        for one thread (the probe) each time an open period ends."""
        if not self._open:
            return True
        if self._probing and self._prober == threading.get_ident():
            return True  # the probing thread's next call
        now = self.clock()
        if now < self._retry_at:
            return False
        with self._lock:
            if not self._open:
                return True
            if now < self._retry_at:
                return False  # another thread took the probe
            self._probing, self._prober = True, threading.get_ident()
            self._retry_at = now + self._open_seconds()
            return True

    def success(self) -> bool:
        """The dependency answered. Closes the breaker if this was the probe's answer (an
        answer to a call made before it opened says nothing about now); True if it closed."""
        if not self._open:
            return False
        with self._lock:
            if not (self._open and self._probing):
                return False
            self._open = self._probing = False
            return True

    def failure(self) -> bool:
        """The dependency failed or timed out: open (again) for a full period. True if it was
        closed until now."""
        with self._lock:
            opened = not self._open
            if opened:
                self.openings += 1
            self._open, self._probing = True, False
            self._retry_at = self.clock() + self._open_seconds()
            return opened

    def reset(self) -> None:
        """Closed, as new (tests; a forked child)."""
        self._lock = threading.Lock()
        self._open = self._probing = False
        self._retry_at = 0.0
