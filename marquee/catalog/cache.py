"""Cached catalog reads. Every response is keyed by a catalog-wide version number that any
catalog write bumps (after commit), so a change is visible on the next read everywhere; the
short lifetime bounds how long "upcoming" lists can lag the clock. Seat maps are not cached.

With local-memory caches each process would keep its own copy, so the cache is only on when
the cache is shared (Redis) or explicitly enabled (CATALOG_CACHE_SECONDS).
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from marquee.catalog.models import Genre, Movie, Screen, Seat, Showtime, Theater, WeekdayPriceRule

VERSION_KEY = "catalog-cache-version"


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


def response_key(path: str) -> str | None:
    """The cache key for a GET of `path`, or None when caching is off or the cache is down."""
    if settings.CATALOG_CACHE_SECONDS <= 0:
        return None
    version = catalog_version()
    if version is None:
        return None
    digest = hashlib.sha256(path.encode()).hexdigest()[:32]
    return f"catalog-response:{version}:{digest}"


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new value retires the old keys
        cache.set(VERSION_KEY, fresh_version(), timeout=None)


def catalog_changed() -> None:
    """Call after any catalog write that bypasses model signals (bulk_create, update())."""
    _bump()
    transaction.on_commit(_bump)  # and again once committed, so no reader re-caches the old


@receiver([post_save, post_delete], dispatch_uid="catalog-cache-bump")
def _model_changed(sender, **kwargs) -> None:
    if sender in (Genre, Movie, Screen, Seat, Showtime, Theater, WeekdayPriceRule):
        catalog_changed()


@receiver(m2m_changed, sender=Movie.genres.through, dispatch_uid="catalog-cache-bump-genres")
def _genres_changed(sender, **kwargs) -> None:
    catalog_changed()
