"""View layer: the seat map's JSON bytes, kept per process while nothing on the map changed.

The bytes rendered last are served again while the catalog and seat-status versions
(`marquee.booking.availability`) and this process's own change number are those they were
rendered under, no hold shown on them has lapsed, the show has not started, and they are
younger than `availability.MAX_AGE_SECONDS`. Otherwise the selector reads and this renders
afresh. Without a shared cache (or while Redis is skipped) every read renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from marquee.booking import availability, selectors
from marquee.common import redis_guard
from marquee.common.local_cache import LocalCache


@dataclass(frozen=True, slots=True)
class _Rendered:
    catalog_version: int
    seats_version: int
    epoch: int  # redis_guard.epoch() when rendered: nothing from before an outage is reused
    local_change: int  # availability.local_change() when rendered
    valid_until: datetime | None
    body: bytes


# Up to ~55 KB each for a 500-seat hall.
_rendered: LocalCache[int, _Rendered] = LocalCache(
    "seat_map_bytes", max_size=256, max_age=availability.MAX_AGE_SECONDS
)


def seat_map_bytes(
    *, showtime_id: int, render: Callable[[dict], bytes], now: datetime | None = None
) -> bytes:
    """The seat map rendered by `render`: the bytes kept from last time if still true."""
    now = now or timezone.now()
    if settings.CATALOG_CACHE_SECONDS <= 0:
        return render(selectors.showtime_seat_map(showtime_id=showtime_id, now=now))
    epoch = redis_guard.epoch()
    catalog_version, seats_version = availability.versions(showtime_id)
    if epoch is None or catalog_version is None or seats_version is None:  # Redis down, skipped
        return render(selectors.showtime_seat_map(showtime_id=showtime_id, now=now))
    local_change = availability.local_change(showtime_id)
    memo = _rendered.get(showtime_id, max_age=availability.MAX_AGE_SECONDS)
    if (
        memo is not None
        and memo.catalog_version == catalog_version
        and memo.seats_version == seats_version
        and memo.epoch == epoch
        and memo.local_change == local_change
        and (memo.valid_until is None or now < memo.valid_until)
    ):
        return memo.body
    data, valid_until = selectors.showtime_seat_map_until(showtime_id=showtime_id, now=now)
    body = render(data)
    _rendered.set(
        showtime_id,
        _Rendered(catalog_version, seats_version, epoch, local_change, valid_until, body),
    )
    return body
