"""Best available seats: n adjacent seats in one row, no aisle between them, nearest the
sweet spot (the centre, about two thirds of the way back), avoiding single isolated seats."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from marquee.catalog.layout import LayoutSeat
from marquee.catalog.models import SeatKind

SWEET_SPOT_DEPTH = 2 / 3
# A lone seat left between a group and an aisle or a taken seat rarely sells: avoid it unless
# no other choice remains.
ISOLATED_SEAT_PENALTY = 1000.0
ROW_WEIGHT = 1.0


def _eligible(seat: LayoutSeat, tier: str | None) -> bool:
    # Wheelchair spaces and companion seats are only sold when asked for by id.
    return seat.kind == SeatKind.REGULAR and (tier is None or seat.tier == tier)


def _sweet_spot(layout: Sequence[LayoutSeat]) -> tuple[float, float]:
    xs = [s.x for s in layout]
    ys = [s.y for s in layout]
    centre_x = (min(xs) + max(xs)) / 2
    target_y = min(ys) + (max(ys) - min(ys)) * SWEET_SPOT_DEPTH
    return centre_x, target_y


def best_available_seats(
    *,
    layout: Sequence[LayoutSeat],
    taken: Iterable[int],
    quantity: int,
    tier: str | None = None,
    limit: int = 5,
) -> list[list[int]]:
    """Up to `limit` candidate groups of adjacent seat ids, best first."""
    if not layout or quantity < 1:
        return []
    taken_ids = set(taken)
    centre_x, target_y = _sweet_spot(layout)
    rows: dict[int, list[LayoutSeat]] = defaultdict(list)
    for seat in layout:
        rows[seat.y].append(seat)

    candidates: list[tuple[float, list[int]]] = []
    for y, seats in rows.items():
        seats.sort(key=lambda s: s.x)
        # Runs of free, eligible seats with consecutive x: a gap in x is an aisle.
        runs: list[list[LayoutSeat]] = []
        current: list[LayoutSeat] = []
        for seat in seats:
            free = seat.id not in taken_ids and _eligible(seat, tier)
            if free and current and seat.x == current[-1].x + 1:
                current.append(seat)
            else:
                if current:
                    runs.append(current)
                current = [seat] if free else []
        if current:
            runs.append(current)

        for run in runs:
            for start in range(len(run) - quantity + 1):
                group = run[start : start + quantity]
                left, right = start, len(run) - start - quantity
                group_centre = (group[0].x + group[-1].x) / 2
                score = abs(group_centre - centre_x) + ROW_WEIGHT * abs(y - target_y)
                if left == 1 or right == 1:
                    score += ISOLATED_SEAT_PENALTY
                candidates.append((score, [s.id for s in group]))

    candidates.sort(key=lambda item: (item[0], item[1]))
    return [ids for _, ids in candidates[:limit]]


def best_scattered_seats(
    *, layout: Sequence[LayoutSeat], taken: Iterable[int], quantity: int, tier: str | None = None
) -> list[int]:
    """When splitting is allowed: the `quantity` free seats nearest the sweet spot."""
    taken_ids = set(taken)
    free = [s for s in layout if s.id not in taken_ids and _eligible(s, tier)]
    if len(free) < quantity or not free:
        return []
    centre_x, target_y = _sweet_spot(layout)
    free.sort(key=lambda s: (abs(s.x - centre_x) + ROW_WEIGHT * abs(s.y - target_y), s.y, s.x))
    return [s.id for s in free[:quantity]]
