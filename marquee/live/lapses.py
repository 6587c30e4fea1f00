"""Lapsed holds shown to the live seat map's viewers at the moment they lapse.

A hold that lapses frees its seats at once for the next buyer and for every read of the map
(promise 3), but the open seat pickers hear of it only when a sweep marks it expired and
publishes the change. Beat's sweep runs every minute; on top of it, a live process with viewers
of a showtime sweeps that showtime itself when its next hold lapses, so the pickers see the seats
free within about a second of the lapse, beat or not.

The live app never imports the booking engine: booking registers, from its `AppConfig.ready`,
when a showtime's next hold lapses and the sweep of one showtime (`register_lapse_sweep`); the
sweep publishes through `seats_changed` as every other change. Several live processes may sweep
the same showtime at once: the sweep is safe to run concurrently and twice.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import datetime
from typing import Protocol

from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection
from django.utils import timezone
from redis import RedisError

from marquee.live.broker import Viewer

logger = logging.getLogger("marquee.live")

# The longest a showtime's next lapse goes unread while it has viewers: a hold taken meanwhile
# lapses minutes later (BOOKING_HOLD_MINUTES), long after this.
LOOK_AGAIN_SECONDS = 30.0
RETRY_SECONDS = 1.0  # a lapse still pending after its sweep (its row busy): look again then


class NextLapse(Protocol):
    def __call__(self, *, showtime_id: int) -> datetime | None:
        """When the showtime's next unpaid hold lapses (None: it has none)."""


class LapseSweep(Protocol):
    def __call__(self, *, showtime_id: int) -> int:
        """Mark the showtime's lapsed holds expired and publish their seats; how many."""


_registered: tuple[NextLapse, LapseSweep] | None = None
# Per event loop's hub: the showtime -> its sweeping task.
_sweeping: weakref.WeakKeyDictionary[object, dict[int, asyncio.Task]] = weakref.WeakKeyDictionary()


def register_lapse_sweep(*, next_lapse: NextLapse, sweep: LapseSweep) -> None:
    """Have the live processes sweep each watched showtime when its next hold lapses."""
    global _registered
    _registered = (next_lapse, sweep)


def lapses_follow(viewer: Viewer) -> None:
    """While the viewer's event loop has viewers of its showtime, sweep the showtime's holds as
    they lapse (one task per showtime and event loop, whatever the number of viewers)."""
    if _registered is None:
        return
    tasks = _sweeping.setdefault(viewer.hub, {})
    task = tasks.get(viewer.showtime_id)
    if task is None or task.done():
        tasks[viewer.showtime_id] = viewer.loop.create_task(
            _sweep_at_lapses(viewer.hub, viewer.showtime_id, *_registered)
        )


def _in_pool(function, **kwargs):
    """Run a database function in a pool thread that closes its connection (no request does)."""

    def run():
        try:
            return function(**kwargs)
        finally:
            connection.close()

    return sync_to_async(run, thread_sensitive=False)()


async def _sweep_at_lapses(hub, showtime_id: int, next_lapse: NextLapse, sweep: LapseSweep):
    swept_for: datetime | None = None
    try:
        while showtime_id in hub.viewers:
            try:
                lapse = await _in_pool(next_lapse, showtime_id=showtime_id)
            except DatabaseError as error:
                logger.warning("live: next lapse of showtime %s not read: %s", showtime_id, error)
                lapse = None
            wait = LOOK_AGAIN_SECONDS
            if lapse is not None:
                wait = min(wait, max(0.0, (lapse - timezone.now()).total_seconds()))
                if swept_for is not None and lapse <= swept_for:
                    wait = max(wait, RETRY_SECONDS)  # swept already and still pending
            await asyncio.sleep(wait)
            if lapse is None or lapse > timezone.now() or showtime_id not in hub.viewers:
                continue
            try:
                await _in_pool(sweep, showtime_id=showtime_id)
            except (DatabaseError, RedisError) as error:
                logger.warning("live: lapses of showtime %s not swept: %s", showtime_id, error)
            swept_for = lapse
    finally:
        tasks = _sweeping.get(hub, {})
        if tasks.get(showtime_id) is asyncio.current_task():
            del tasks[showtime_id]
