"""Publishing seat changes: called by the booking engine once its transaction has committed."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping

from redis import RedisError

from marquee.common import redis_guard
from marquee.live.broker import RedisBroker, broker, seats_json

logger = logging.getLogger("marquee.live")


def publishes_through_cache_redis() -> bool:
    """Does a publish go to Redis through the cache's own client (so that a counter of the
    cache's can be bumped in the same script)?"""
    return isinstance(broker(), RedisBroker)


def seat_changes_publish(
    *, showtime_id: int, seats: Mapping[int, str], counter: tuple[str, int] | None = None
) -> bool:
    """Tell the showtime's viewers its seats' new states (`{seat id: status}`); False when
    Redis did not take it.

    `counter`: (a key of the cache's Redis, a fresh value) to increment in the same round trip
    (set to the fresh value when missing); a caller's version number, nothing of ours.
    Never fails the caller: a change Redis did not take is owed as a reset
    (`live-reset:<showtime>`), published as soon as this process reaches Redis again, so every
    viewer then fetches the whole map instead of missing the change."""
    if not seats:
        return True
    try:
        broker().publish(showtime_id, seats_json(sorted(seats.items())), counter=counter)
    except RedisError as error:
        logger.warning("seat change of showtime %s not published (%s)", showtime_id, error)
        redis_guard.run_or_owe(f"live-reset:{showtime_id}", lambda: _reset_quietly(showtime_id))
        return False
    return True


def seat_changes_reset(*, showtime_id: int) -> None:
    """Tell the showtime's viewers to fetch the whole map (its changes are not known)."""
    try:
        broker().publish(showtime_id, None)
    except RedisError as error:
        logger.warning("seat reset of showtime %s not published (%s)", showtime_id, error)
        redis_guard.run_or_owe(f"live-reset:{showtime_id}", lambda: _reset_quietly(showtime_id))


def _reset_quietly(showtime_id: int) -> None:
    # Run by `redis_guard` (now, and again once Redis answers): it keeps owing it while the
    # breaker stays open, so a failure here only has to be quiet.
    with contextlib.suppress(RedisError):
        broker().publish(showtime_id, None)
