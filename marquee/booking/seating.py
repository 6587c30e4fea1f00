"""Best available seats: n adjacent seats in one row, no aisle between them, nearest the
sweet spot (the centre, about two thirds of the way back), avoiding single isolated seats.
Asked without a tier, the cheapest tier that has room decides before the sweet spot does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal

from marquee.catalog.layout import LayoutSeat
from marquee.catalog.models import SeatKind

SWEET_SPOT_DEPTH = 2 / 3
# A lone seat left between a group and an aisle or a taken seat rarely sells: avoid it unless
# no other choice remains.
ISOLATED_SEAT_PENALTY = 1000.0
ROW_WEIGHT = 1.0


def _eligible(
    seat: LayoutSeat, tiers: Collection[str] | None, include_accessible: bool = False
) -> bool:
    # Wheelchair spaces and companion seats are sold only when asked for (by id, or as an
    # accessible pair) until they are released to everyone (marquee/booking/accessibility.py).
    return (include_accessible or seat.kind == SeatKind.REGULAR) and (
        tiers is None or seat.tier in tiers
    )


def _tiers(tier: str | None, tiers: Collection[str] | None) -> Collection[str] | None:
    return tiers if tiers is not None else (None if tier is None else {tier})


def price_levels(prices: Mapping[str, Decimal]) -> list[frozenset[str]]:
    """The seat tiers grouped by their price for one showtime, cheapest first: tiers that cost
    the same are one level (the better seat at no extra cost)."""
    by_price: dict[Decimal, set[str]] = defaultdict(set)
    for tier, price in prices.items():
        by_price[price].add(tier)
    return [frozenset(by_price[price]) for price in sorted(by_price)]


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
    tiers: Collection[str] | None = None,
    limit: int = 5,
    include_accessible: bool = False,
) -> list[list[int]]:
    """Up to `limit` candidate groups of adjacent seat ids, best first (of one `tier`, or of
    any of `tiers`, or of any tier); wheelchair spaces and companion seats only with
    `include_accessible` (once they are released)."""
    if not layout or quantity < 1:
        return []
    allowed = _tiers(tier, tiers)
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
            free = seat.id not in taken_ids and _eligible(seat, allowed, include_accessible)
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


def cheapest_best_available_seats(
    *,
    layout: Sequence[LayoutSeat],
    taken: Iterable[int],
    quantity: int,
    prices: Mapping[str, Decimal],
    limit: int = 5,
    include_accessible: bool = False,
) -> list[list[int]]:
    """No tier asked for: the best groups within the cheapest price level that has `quantity`
    adjacent free seats, else the next cheapest, and so on. Nobody is moved into a dearer
    seat while a cheaper one fits the party."""
    taken_ids = set(taken)
    for tiers in price_levels(prices):
        candidates = best_available_seats(
            layout=layout,
            taken=taken_ids,
            quantity=quantity,
            tiers=tiers,
            limit=limit,
            include_accessible=include_accessible,
        )
        if candidates:
            return candidates
    return []


def best_scattered_seats(
    *,
    layout: Sequence[LayoutSeat],
    taken: Iterable[int],
    quantity: int,
    tier: str | None = None,
    prices: Mapping[str, Decimal] | None = None,
    include_accessible: bool = False,
) -> list[int]:
    """When splitting is allowed: the `quantity` free seats nearest the sweet spot; with
    `prices` (no tier asked for), the cheapest first."""
    taken_ids = set(taken)
    free = [
        s
        for s in layout
        if s.id not in taken_ids and _eligible(s, _tiers(tier, None), include_accessible)
    ]
    if len(free) < quantity or not free:
        return []
    centre_x, target_y = _sweet_spot(layout)
    free.sort(
        key=lambda s: (
            prices[s.tier] if prices is not None else 0,
            abs(s.x - centre_x) + ROW_WEIGHT * abs(s.y - target_y),
            s.y,
            s.x,
        )
    )
    return [s.id for s in free[:quantity]]
