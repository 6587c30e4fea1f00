"""Accessible seating: a companion seat goes with its wheelchair space, and both are kept for
wheelchair users until shortly before the show.

A companion seat's wheelchair spaces are the wheelchair spaces right beside it in its row (x
one apart). Until `release_at` (the theater's `accessible_release_minutes` before the start,
else BOOKING_ACCESSIBLE_RELEASE_MINUTES) a
companion seat is held only together with one of them, and best available leaves wheelchair
spaces and companion seats out; from then on they are seats like any other. The moment is
computed from the show's start in every hold and seat map: nothing has to run to release them.
Pure functions over the screen's layout, tested without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings

from marquee.catalog.layout import LayoutSeat
from marquee.catalog.models import SeatKind, Showtime

ACCESSIBLE_KINDS = frozenset({SeatKind.WHEELCHAIR, SeatKind.COMPANION})


def release_at(starts_at: datetime, release_minutes: int | None = None) -> datetime:
    """When wheelchair spaces and companion seats go on general sale: `release_minutes`
    (the theater's `accessible_release_minutes`) before the start, by default
    BOOKING_ACCESSIBLE_RELEASE_MINUTES."""
    if release_minutes is None:
        release_minutes = settings.BOOKING_ACCESSIBLE_RELEASE_MINUTES
    return starts_at - timedelta(minutes=release_minutes)


def held_back(starts_at: datetime, now: datetime, release_minutes: int | None = None) -> bool:
    return now < release_at(starts_at, release_minutes)


def showtime_release_at(showtime: Showtime) -> datetime:
    """`release_at` for a showtime, by its theater's own time (needs screen__theater)."""
    return release_at(showtime.starts_at, showtime.screen.theater.accessible_release_minutes)


def wheelchair_partners(layout: Sequence[LayoutSeat]) -> dict[int, frozenset[int]]:
    """Companion seat id -> the ids of the wheelchair spaces right beside it."""
    by_place = {(s.y, s.x): s for s in layout}
    partners = {}
    for seat in layout:
        if seat.kind != SeatKind.COMPANION:
            continue
        beside = (by_place.get((seat.y, seat.x + dx)) for dx in (-1, 1))
        partners[seat.id] = frozenset(
            s.id for s in beside if s is not None and s.kind == SeatKind.WHEELCHAIR
        )
    return partners


def lone_companions(
    seat_ids: Iterable[int], layout: Sequence[LayoutSeat], partners: dict | None = None
) -> list[int]:
    """The companion seats among `seat_ids` held without a wheelchair space beside them."""
    wanted = set(seat_ids)
    partners = wheelchair_partners(layout) if partners is None else partners
    return sorted(
        seat_id for seat_id in wanted if seat_id in partners and not partners[seat_id] & wanted
    )


def accessible_pairs(
    *, layout: Sequence[LayoutSeat], taken: Iterable[int], companions: int
) -> list[list[int]]:
    """Free wheelchair spaces (with `companions` = 1: each with a free companion seat beside
    it) as [wheelchair id] or [wheelchair id, companion id], nearest the screen's centre line
    and about two thirds back first (the same sweet spot as best available)."""
    taken_ids = set(taken)
    if not layout:
        return []
    xs, ys = [s.x for s in layout], [s.y for s in layout]
    centre_x, target_y = (min(xs) + max(xs)) / 2, min(ys) + (max(ys) - min(ys)) * 2 / 3
    partners = wheelchair_partners(layout)
    candidates = []
    for seat in layout:
        if seat.kind != SeatKind.WHEELCHAIR or seat.id in taken_ids:
            continue
        score = abs(seat.x - centre_x) + abs(seat.y - target_y)
        if companions == 0:
            candidates.append((score, [seat.id]))
            continue
        for companion_id, beside in sorted(partners.items()):
            if seat.id in beside and companion_id not in taken_ids:
                candidates.append((score, [seat.id, companion_id]))
    candidates.sort(key=lambda item: (item[0], item[1]))
    return [ids for _, ids in candidates]
