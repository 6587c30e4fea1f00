"""Reads: a showtime's waiting list, and a customer's place in it."""

from __future__ import annotations

from marquee.waitlist.models import OPEN_STATUSES, EntryStatus, WaitlistEntry


def waitlist_for_showtime(*, showtime_id: int) -> list[WaitlistEntry]:
    """The open entries (waiting or offered), first in line first."""
    return list(
        WaitlistEntry.objects.filter(showtime_id=showtime_id, status__in=OPEN_STATUSES)
        .select_related("user", "booking")
        .order_by("created_at", "id")
    )


def waiting_positions(entries: list[WaitlistEntry]) -> dict[int, int]:
    """Entry id -> place in line (1 is next) for the waiting ones of an ordered list."""
    waiting = [e for e in entries if e.status == EntryStatus.WAITING]
    return {entry.pk: index for index, entry in enumerate(waiting, start=1)}


def waitlist_entry_of(*, user, showtime_id: int) -> WaitlistEntry | None:
    return (
        WaitlistEntry.objects.filter(showtime_id=showtime_id, user=user, status__in=OPEN_STATUSES)
        .select_related("booking")
        .first()
    )
