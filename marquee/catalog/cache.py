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
the key holds the catalog version, which every request reads (along with its throttle's
count, one Redis round trip for both: `shared_reads`), so a write is still seen at once
everywhere; only the shared cache's GET of the response is saved.
"""

from __future__ import annotations

import hashlib
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
from marquee.common import redis_guard, shared_reads
from marquee.common.local_cache import LocalCache

VERSION_KEY = "catalog-cache-version"
CATALOG_ROUTES = {"genre", "movie", "theater", "screen", "showtime"}  # route name prefixes
LOCAL_SECONDS = 5.0  # at most this long a process serves its own copy of a cached response
# response key -> (data, `redis_guard.epoch()` when kept)
_local: LocalCache[str, tuple[object, int]] = LocalCache(
    "catalog_responses", max_size=256, max_age=LOCAL_SECONDS
)


def fresh_version() -> int:
    """A starting value for a version key that no earlier incarnation of the key has used:
    a key lost to eviction or a flush must not come back at a number some process still
    holds a copy for."""
    return time.time_ns()


def catalog_version() -> int | None:
    """The shared catalog version (as this request read it already, if it did), or None when
    the cache is down."""
    version = shared_reads.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, fresh_version(), timeout=None)
        shared_reads.forget(VERSION_KEY)
        version = shared_reads.get(VERSION_KEY)
    return version


def _reads(method: str, route: str, kwargs: dict) -> list[str]:
    """A catalog GET needs the catalog version: the throttle reads it along with its count."""
    if method == "GET" and route.split("-", 1)[0] in CATALOG_ROUTES:
        return [VERSION_KEY] if settings.CATALOG_CACHE_SECONDS > 0 else []
    return []


shared_reads.read_along(_reads)


def response_key(url: str) -> str | None:
    """The cache key for a GET of `url`, or None when caching is off or the cache is down.

    `url` is absolute (scheme, host, path and query): a body holds links built from the
    request's own host (pagination, posters), so a request with another `Host` must never
    store links that everyone else would then be served."""
    if settings.CATALOG_CACHE_SECONDS <= 0:
        return None
    version = catalog_version()
    if version is None:
        return None
    digest = hashlib.sha256(url.encode()).hexdigest()[:32]
    return f"catalog-response:{version}:{digest}"


def cached_response(key: str):
    """The response data cached under `key`, or None: this process's copy while it is under
    `LOCAL_SECONDS` old, else the shared cache's (then kept here)."""
    entry = _local.get(key, max_age=min(LOCAL_SECONDS, settings.CATALOG_CACHE_SECONDS))
    if entry is not None and entry[1] == redis_guard.epoch():  # not kept from before an outage
        return entry[0]
    data = cache.get(key)
    if data is not None:
        _keep(key, data)
    return data


def store_response(key: str, data) -> None:
    cache.set(key, data, settings.CATALOG_CACHE_SECONDS)
    _keep(key, data)


def _keep(key: str, data) -> None:
    epoch = redis_guard.epoch()
    if epoch is not None:  # else Redis is being skipped: nothing is kept under its versions
        _local.set(key, (data, epoch))


def _bump() -> None:
    shared_reads.forget(VERSION_KEY)
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
