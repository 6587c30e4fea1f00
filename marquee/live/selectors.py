"""Reads of the live channel's state for the pages."""

from __future__ import annotations

from redis import RedisError

from marquee.live.broker import broker


def seat_version(*, showtime_id: int) -> int | None:
    """The showtime's seat-change version now (None: unknown, Redis unreachable). A page that
    reads it before the seat statuses may stream from it without missing a change."""
    try:
        return broker().version(showtime_id)
    except RedisError:
        return None
