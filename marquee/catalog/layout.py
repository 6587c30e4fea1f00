"""The seat layout of a screen, cached: it changes only when an admin regenerates seats."""

from __future__ import annotations

from typing import NamedTuple

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from marquee.catalog.models import Seat
from marquee.common import redis_guard
from marquee.common.local_cache import LocalCache

LAYOUT_CACHE_SECONDS = 600


class LayoutSeat(NamedTuple):
    id: int
    row_label: str
    number: int
    tier: str
    kind: str
    x: int
    y: int


def _key(screen_id: int) -> str:
    return f"screen-layout:v1:{screen_id}"


# The last layout this process built per screen, with the rows it was built from: reused only
# when the cached rows are equal, so it saves rebuilding the tuples, never an invalidation.
_built: LocalCache[int, tuple[list, tuple[LayoutSeat, ...]]] = LocalCache(
    "screen_layouts", max_size=1024
)


def _as_layout(screen_id: int, rows: list) -> tuple[LayoutSeat, ...]:
    memo = _built.get(screen_id)
    if memo is not None and memo[0] == rows:
        return memo[1]
    layout = tuple(LayoutSeat(*row) for row in rows)
    _built.set(screen_id, (rows, layout))
    return layout


def screen_layout(screen_id: int) -> tuple[LayoutSeat, ...]:
    """Every seat of the screen ordered by row then position; one query on a cache miss."""
    cached = cache.get(_key(screen_id))
    if cached is not None:
        return _as_layout(screen_id, cached)
    rows = list(
        Seat.objects.filter(screen_id=screen_id)
        .order_by("y", "x")
        .values_list("id", "row_label", "number", "tier", "kind", "x", "y")
    )
    cache.set(_key(screen_id), rows, LAYOUT_CACHE_SECONDS)
    return _as_layout(screen_id, rows)


def screen_layout_invalidate(screen_id: int) -> None:
    """Drop the cached layout once the change is committed (and right away, for this process)."""

    def forget() -> None:
        redis_guard.run_or_owe(_key(screen_id), lambda: cache.delete(_key(screen_id)))

    forget()
    transaction.on_commit(forget)


@receiver([post_save, post_delete], sender=Seat, dispatch_uid="seat-layout-invalidate")
def _seat_changed(sender, instance: Seat, **kwargs) -> None:
    screen_layout_invalidate(instance.screen_id)
