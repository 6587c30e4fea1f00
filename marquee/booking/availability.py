"""A version number per showtime for its seat statuses, so a process may reuse the seat map it
rendered for exactly as long as nothing on it changed.

Every booking write that changes a ticket's status (`marquee.booking.services`, and any
`Ticket` saved one by one, as the admin does) bumps the showtime's version once its
transaction commits. A seat map read fetches the catalog version and this one in one cache
round trip (with the throttle's count: `marquee.common.shared_reads`); the view serves the
bytes this process rendered last when both are unchanged, no hold shown on it has lapsed
since (`valid_until`), the show has not started, and it is younger than `MAX_AGE_SECONDS` (a
bound on a write that might bypass the bump). Otherwise it queries and renders again. An
idle hall is then read without touching the database; during an on-sale rush every hold
bumps the version and reads render afresh, as before.

Without a shared cache (the embedded default) there is nothing to check against and every
read renders; `CATALOG_CACHE_SECONDS` decides, as for the showtime context. The same holds
while this process skips a Redis that failed (`marquee.common.redis_guard`): a bump that could
not reach Redis is sent as soon as it answers, and a map rendered before the outage is not
reused after it.

The same commit publishes the changed seats with their new statuses to the live seat map
(`marquee.live`): every open seat picker of the showtime gets them as an event.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from marquee.booking.context import AVAILABLE, HELD, SOLD
from marquee.booking.models import ACTIVE_TICKET_STATUSES, Ticket, TicketStatus
from marquee.catalog.cache import VERSION_KEY as CATALOG_VERSION_KEY
from marquee.catalog.cache import fresh_version
from marquee.common import redis_guard, shared_reads
from marquee.common.local_cache import LocalCache
from marquee.live.services import publishes_through_cache_redis, seat_changes_publish

MAX_AGE_SECONDS = 5.0


def _key(showtime_id: int) -> str:
    return f"seat-statuses-version:{showtime_id}"


def _bump(showtime_id: int) -> None:
    shared_reads.forget(_key(showtime_id))
    try:
        cache.incr(_key(showtime_id))
    except ValueError:  # never read yet (or evicted): a new value retires every copy
        cache.set(_key(showtime_id), fresh_version(), timeout=None)


def _bump_now_or_later(showtime_id: int) -> None:
    """Bump, or keep the bump for when Redis answers again: a change made while Redis was
    away must still retire the maps other processes rendered before it."""
    redis_guard.run_or_owe(_key(showtime_id), lambda: _bump(showtime_id))


# showtime id -> a number from `_change_numbers`, taken each time this process changes the
# showtime's tickets (in a transaction that may not have committed yet). A forgotten entry
# reads as 0, which no map rendered after a change holds.
_local_changes: LocalCache[int, int] = LocalCache("local_seat_changes", max_size=10_000)
_change_numbers = itertools.count(1)


def seats_changed(showtime_id: int, seats: Mapping[int, str]) -> None:
    """Call inside the transaction that changes ticket statuses of this showtime, with the
    seats whose status on the map changed and their new status (`available`, `held`, `sold`).

    Once the transaction commits, the seats go to the live seat map's viewers and the shared
    version is bumped, in one Redis round trip: every process renders the map afresh from
    then on. A read before the commit still finds the old statuses in the
    database, so it cannot matter that it also finds the old version. The exception is code in
    this process inside the same transaction, which sees the change in the database: for it
    the change is also counted here (`local_change`, no round trip), and a map rendered
    before it is not reused.
    """
    _local_changes.set(showtime_id, next(_change_numbers))
    changed = dict(seats)
    # Robust: nothing after the commit may turn a committed booking into an error (a Redis
    # that fails is owed what it missed: see `_committed`).
    transaction.on_commit(lambda: _committed(showtime_id, changed), robust=True)


def _committed(showtime_id: int, seats: dict[int, str]) -> None:
    shared_reads.forget(_key(showtime_id))  # this request's next read asks Redis again
    counter = _shared_counter(showtime_id) if seats else None
    if counter is None:
        _bump_now_or_later(showtime_id)
        if seats:
            seat_changes_publish(showtime_id=showtime_id, seats=seats)
        return
    # The live publish bumps the version in the same script: one round trip after commit.
    # If Redis did not take it, the publisher owes its viewers a reset; the bump is owed here.
    if not seat_changes_publish(showtime_id=showtime_id, seats=seats, counter=counter):
        _bump_now_or_later(showtime_id)


def _shared_counter(showtime_id: int) -> tuple[str, int] | None:
    """The version's key in Redis and a fresh value for it, when the cache is the Redis the
    live seat map publishes through (its client is the cache's); else None."""
    if not publishes_through_cache_redis():
        return None
    return cache.make_key(_key(showtime_id)), fresh_version()


def local_change(showtime_id: int) -> int:
    """The number of this process's latest change to the showtime's tickets (0: none known):
    equal numbers mean no change made here in between."""
    return _local_changes.get(showtime_id) or 0


def versions(showtime_id: int) -> tuple[int | None, int | None]:
    """(catalog version, seat-status version), as this request read them already or in one
    round trip; None for a dead cache. A key never set (or evicted) is set and read here."""
    keys = [CATALOG_VERSION_KEY, _key(showtime_id)]
    found = shared_reads.get_many(keys)
    if len(found) < len(keys):
        for key in keys:
            if key not in found:
                cache.add(key, fresh_version(), timeout=None)
                shared_reads.forget(key)
        found = shared_reads.get_many(keys)
    return found.get(keys[0]), found.get(keys[1])


def ticket_seat_status(ticket: Ticket, *, gone: bool = False) -> str:
    """The status on the map of the ticket's seat after this ticket was saved (or deleted)."""
    if not gone and ticket.status == TicketStatus.SOLD:
        return SOLD
    if not gone and ticket.status == TicketStatus.HELD:
        return HELD
    # This ticket no longer holds the seat; another active one may (a lapsed hold's seat).
    others = Ticket.objects.filter(
        showtime_id=ticket.showtime_id, seat_id=ticket.seat_id, status__in=ACTIVE_TICKET_STATUSES
    ).exclude(pk=ticket.pk)
    status = others.values_list("status", flat=True).first()
    return SOLD if status == TicketStatus.SOLD else HELD if status is not None else AVAILABLE


def _reads(method: str, route: str, kwargs: dict) -> list[str]:
    """A hold needs the catalog version, the seat map both versions: read along with the
    throttle's count (the catalog registers its own version for showtime routes)."""
    if settings.CATALOG_CACHE_SECONDS <= 0:
        return []
    if route == "showtime-seats" and method == "GET":
        return [CATALOG_VERSION_KEY, _key(kwargs["pk"])]
    if route == "booking-list" and method == "POST":
        return [CATALOG_VERSION_KEY]
    return []


shared_reads.read_along(_reads)


@receiver([post_save, post_delete], sender=Ticket, dispatch_uid="seat-statuses-version")
def _ticket_saved(sender, instance: Ticket, signal, **kwargs) -> None:
    gone = signal is post_delete
    seats_changed(instance.showtime_id, {instance.seat_id: ticket_seat_status(instance, gone=gone)})
