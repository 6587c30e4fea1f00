"""What this request has already read from the shared cache (Redis), in one request-scoped place.

Code that needs a version number asks `get_many(keys)`: a key this request has read already
comes from here, any other from the cache (and is kept here for the rest of the request).
Services, selectors and views never pass versions around.

The throttle's script call is the one Redis round trip of most requests; it reads, along with
its counts, the keys that the apps registered for the request's route (`read_along`), and
keeps what it read here (`remember`). RequestContextMiddleware gives every request a fresh,
empty place (`begin`/`end`); outside a request (tasks, commands, tests calling services)
nothing is kept and every ask reads the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar, Token
from typing import Any

from django.core.cache import cache

# (method, route name, route kwargs) -> the cache keys worth reading along, or nothing
Reads = Callable[[str, str, dict[str, Any]], Iterable[str]]

_known: ContextVar[dict[str, Any] | None] = ContextVar("shared_reads", default=None)
_providers: list[Reads] = []


def read_along(provider: Reads) -> None:
    """Register a function naming the keys a route's requests will ask for (at import time)."""
    if provider not in _providers:
        _providers.append(provider)


def keys_for(method: str, route: str | None, kwargs: dict[str, Any]) -> list[str]:
    """The keys the registered providers name for a request, each once, none already read."""
    if route is None:
        return []
    known = _known.get() or {}
    keys: list[str] = []
    for provider in _providers:
        for key in provider(method, route, kwargs):
            if key not in keys and key not in known:
                keys.append(key)
    return keys


def begin() -> Token:
    return _known.set({})


def end(token: Token) -> None:
    _known.reset(token)


def remember(values: dict[str, Any]) -> None:
    """Keep values this request read (None: the key is not set)."""
    known = _known.get()
    if known is not None:
        known.update(values)


def forget(key: str) -> None:
    """This request changed or set `key`: the next ask reads it again."""
    known = _known.get()
    if known is not None:
        known.pop(key, None)


def get_many(keys: list[str]) -> dict[str, Any]:
    """The keys' values as this request knows them, reading only the unknown ones (in one
    round trip); a key that is not set is absent."""
    known = _known.get()
    if known is None:
        return cache.get_many(keys)
    missing = [key for key in keys if key not in known]
    if missing:
        read = cache.get_many(missing)
        remember({key: read.get(key) for key in missing})
    return {key: known[key] for key in keys if known.get(key) is not None}


def get(key: str) -> Any:
    """One key's value as this request knows it (None: not set, or the cache is down)."""
    known = _known.get()
    if known is not None and key in known:
        return known[key]
    value = cache.get(key)
    remember({key: value})
    return value
