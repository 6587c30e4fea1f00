"""The one per-process memo: bounded, with a maximum age, thread-safe, least recently used out.

Every copy a process keeps of something it could read or build again (showtime contexts,
rendered seat maps and picker pages, catalog responses, verified tokens, built layouts) lives
in a `LocalCache`. The shared cache (Redis) or the database stays the source of truth: a
caller keeps with each value whatever proves it still current (a version, an epoch) and
checks it on `get`. The registry lets tests and operators forget them all with one call:
`clear_all()`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_registry: dict[str, LocalCache] = {}
_registry_lock = threading.Lock()


class LocalCache(Generic[K, V]):
    """At most `max_size` entries, each for at most `max_age` seconds (None: no age limit);
    a full cache drops its least recently used entry."""

    def __init__(self, name: str, *, max_size: int, max_age: float | None = None) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.name = name
        self.max_size = max_size
        self.max_age = max_age
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()  # the threads of one process (gthread, runserver)
        with _registry_lock:
            _registry[name] = self  # a reloaded module's cache replaces its old one

    def get(self, key: K, *, max_age: float | None = None) -> V | None:
        """The value kept under `key`, or None when absent or older than the cache's
        `max_age` (or this call's, when smaller)."""
        limit = self.max_age if max_age is None else min(max_age, self.max_age or max_age)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if limit is not None and time.monotonic() - entry[0] >= limit:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def set(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def pop(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"LocalCache({self.name!r}, max_size={self.max_size}, max_age={self.max_age})"


def local_caches() -> list[LocalCache]:
    """Every local cache of this process (`manage.py`-style tools list and clear them)."""
    with _registry_lock:
        return list(_registry.values())


def clear_all() -> None:
    """Forget every local copy this process keeps (tests; an operator after surgery in SQL)."""
    for cache in local_caches():
        cache.clear()
