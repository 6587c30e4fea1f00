"""Cached catalog reads. Every response is keyed by a catalog-wide version number that any
catalog write bumps (after commit), so a change is visible on the next read everywhere; the
short lifetime bounds how long "upcoming" lists can lag the clock. Seat maps are not cached.

With local-memory caches each process would keep its own copy, so the cache is only on when
the cache is shared (Redis) or explicitly enabled (CATALOG_CACHE_SECONDS).

A response is keyed by the request's absolute URL, scheme and host included: DRF builds the
pagination links and poster URLs from the request's host, so a request with another `Host`
header gets entries of its own and never stores its links for everyone else. Storing host-free
bodies would save one miss per host, but would mean rewriting links inside the cached data on
every hit, and the hosts a deployment answers to are few (`ALLOWED_HOSTS`).

Each process also keeps the responses it last read or stored, for at most `LOCAL_SECONDS`:
the key holds the catalog version, which the view reads on every request (along with its
throttle's count, one Redis round trip for both), so a write is still seen at once
everywhere; only the shared cache's GET of the response is saved.
"""

from __future__ import annotations

import hashlib
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from marquee.catalog.models import (
    Genre,
    Movie,
    PriceCard,
    PriceCardEntry,
    PriceCardFormatSurcharge,
    Screen,
    Seat,
    Showtime,
    Theater,
    TicketType,
    WeekdayPriceRule,
)
from marquee.common import redis_guard

VERSION_KEY = "catalog-cache-version"
LOCAL_SECONDS = 5.0  # at most this long a process serves its own copy of a cached response
LOCAL_KEPT = 256  # responses each process keeps, the oldest dropped first
# response key -> (monotonic time kept, data, `redis_guard.epoch()` when kept)
_local: dict[str, tuple[float, object, int]] = {}
_local_lock = threading.Lock()  # for the threads of one process (gthread, runserver)


def fresh_version() -> int:
    """A starting value for a version key that no earlier incarnation of the key has used:
    a key lost to eviction or a flush must not come back at a number some process still
    holds a copy for."""
    return time.time_ns()


def catalog_version() -> int | None:
    """The shared catalog version, or None when the cache is down."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def version_keys() -> list[str] | None:
    """The cache keys `response_key` needs, for the view to have them read along with its
    throttle's count (`marquee.common.throttling`); None when caching is off."""
    return [VERSION_KEY] if settings.CATALOG_CACHE_SECONDS > 0 else None


def response_key(url: str, known: dict | None = None) -> str | None:
    """The cache key for a GET of `url`, or None when caching is off or the cache is down.

    `url` is absolute (scheme, host, path and query): a body holds links built from the
    request's own host (pagination, posters), so a request with another `Host` must never
    store links that everyone else would then be served. `known`: the values of
    `version_keys()` if this request has read them already."""
    if settings.CATALOG_CACHE_SECONDS <= 0:
        return None
    version = (known or {}).get(VERSION_KEY)
    if version is None:  # not read along, or never set (catalog_version sets it)
        version = catalog_version()
    if version is None:
        return None
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    return f"catalog-response:{version}:{digest}"


def cached_response(key: str):
    """The response data cached under `key`, or None: this process's copy while it is under
    `LOCAL_SECONDS` old, else the shared cache's (then kept here)."""
    now = time.monotonic()
    entry = _local.get(key)
    if (
        entry is not None
        and now - entry[0] < min(LOCAL_SECONDS, settings.CATALOG_CACHE_SECONDS)
        and entry[2] == redis_guard.epoch()  # not kept from before an outage
    ):
        return entry[1]
    data = cache.get(key)
    if data is not None:
        _keep(key, now, data)
    return data


def store_response(key: str, data) -> None:
    cache.set(key, data, settings.CATALOG_CACHE_SECONDS)
    _keep(key, time.monotonic(), data)


def _keep(key: str, now: float, data) -> None:
    epoch = redis_guard.epoch()
    if epoch is None:
        return  # Redis is being skipped: nothing is kept under its versions
    with _local_lock:
        _local.pop(key, None)  # re-kept: now the newest
        while len(_local) >= LOCAL_KEPT:
            _local.pop(next(iter(_local)))  # the oldest kept
        _local[key] = (now, data, epoch)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new value retires the old keys
        cache.set(VERSION_KEY, fresh_version(), timeout=None)


def _bump_now_or_later() -> None:
    """Bump, or keep the bump for when Redis answers again (`redis_guard.run_or_owe`)."""
    redis_guard.run_or_owe(VERSION_KEY, _bump)


def catalog_changed() -> None:
    """Call after any catalog write that bypasses model signals (bulk_create, update())."""
    _bump_now_or_later()
    # And again once committed, so no reader re-caches the old.
    transaction.on_commit(_bump_now_or_later)


@receiver([post_save, post_delete], dispatch_uid="catalog-cache-bump")
def _model_changed(sender, **kwargs) -> None:
    if sender in (
        Genre,
        Movie,
        Screen,
        Seat,
        Showtime,
        Theater,
        WeekdayPriceRule,
        TicketType,
        PriceCard,
        PriceCardEntry,
        PriceCardFormatSurcharge,
    ):
        catalog_changed()


@receiver(m2m_changed, sender=Movie.genres.through, dispatch_uid="catalog-cache-bump-genres")
def _genres_changed(sender, **kwargs) -> None:
    catalog_changed()
