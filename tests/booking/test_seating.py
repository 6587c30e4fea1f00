import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from marquee.booking.seating import (
    best_available_seats,
    best_scattered_seats,
    cheapest_best_available_seats,
    price_levels,
)
from marquee.catalog.layout import LayoutSeat


def grid(rows=9, per_row=10, aisle_after=(), kinds=None, tiers=None):
    seats, next_id = [], 1
    for y in range(rows):
        label = chr(ord("A") + y)
        x = 0
        for number in range(1, per_row + 1):
            name = f"{label}{number}"
            seats.append(
                LayoutSeat(
                    next_id,
                    label,
                    number,
                    (tiers or {}).get(label, "standard"),
                    (kinds or {}).get(name, "regular"),
                    x,
                    y,
                )
            )
            next_id += 1
            x += 2 if number in aisle_after else 1
    return seats


def labels(layout, ids):
    by_id = {s.id: s for s in layout}
    return [f"{by_id[i].row_label}{by_id[i].number}" for i in ids]


def test_picks_centre_seats_two_thirds_back():
    layout = grid(rows=10, per_row=10)
    best = best_available_seats(layout=layout, taken=[], quantity=2)[0]
    # Rows A..J: two thirds back is y=6 (row G); the centre pair of 10 seats is 5 and 6.
    assert labels(layout, best) == ["G5", "G6"]


def test_never_spans_an_aisle():
    layout = grid(rows=1, per_row=8, aisle_after=(4,))
    for group in best_available_seats(layout=layout, taken=[], quantity=3, limit=50):
        numbers = [int(label[1:]) for label in labels(layout, group)]
        assert not (4 in numbers and 5 in numbers)


def test_avoids_leaving_a_single_isolated_seat():
    layout = grid(rows=1, per_row=6)
    # The centred A2-A5 would strand A1 and A6; an edge group strands nobody.
    best = best_available_seats(layout=layout, taken=[], quantity=4)[0]
    assert labels(layout, best) in (["A1", "A2", "A3", "A4"], ["A3", "A4", "A5", "A6"])
    layout = grid(rows=1, per_row=5)
    taken = [s.id for s in layout if s.number == 1]
    # Free A2..A5: the centred A3-A4 would strand A2 and A5.
    best = best_available_seats(layout=layout, taken=taken, quantity=2)[0]
    assert labels(layout, best) == ["A2", "A3"]


def test_respects_tier_and_skips_accessible_seats():
    layout = grid(rows=3, per_row=4, tiers={"C": "vip"}, kinds={"A2": "wheelchair"})
    vip = best_available_seats(layout=layout, taken=[], quantity=2, tier="vip")
    assert vip and all(label.startswith("C") for group in vip for label in labels(layout, group))
    every = best_available_seats(layout=layout, taken=[], quantity=1, limit=100)
    assert "A2" not in [labels(layout, group)[0] for group in every]


def test_no_adjacent_group_gives_no_candidates_but_split_still_finds_seats():
    layout = grid(rows=2, per_row=3)
    taken = [s.id for s in layout if s.number == 2]
    assert best_available_seats(layout=layout, taken=taken, quantity=2) == []
    assert len(best_scattered_seats(layout=layout, taken=taken, quantity=3)) == 3
    assert best_scattered_seats(layout=layout, taken=taken, quantity=5) == []


@given(
    rows=st.integers(1, 6),
    per_row=st.integers(1, 12),
    quantity=st.integers(1, 6),
    taken_mask=st.lists(st.booleans(), min_size=72, max_size=72),
)
def test_every_candidate_is_free_adjacent_and_in_one_row(rows, per_row, quantity, taken_mask):
    layout = grid(rows=rows, per_row=per_row, aisle_after=(4,))
    taken = {s.id for s, is_taken in zip(layout, taken_mask, strict=False) if is_taken}
    by_id = {s.id: s for s in layout}
    for group in best_available_seats(layout=layout, taken=taken, quantity=quantity, limit=20):
        seats = sorted((by_id[i] for i in group), key=lambda s: s.x)
        assert len(seats) == quantity
        assert not taken & set(group)
        assert len({s.y for s in seats}) == 1
        assert all(b.x - a.x == 1 for a, b in itertools.pairwise(seats))


# --- Without a tier: the cheapest tier that has room -----------------------------------------

PRICES = {"standard": Decimal("10.00"), "premium": Decimal("12.50"), "vip": Decimal("13.75")}
# Rows A-C standard, D-F premium (the sweet spot, two thirds back), G vip.
TIERED = {"D": "premium", "E": "premium", "F": "premium", "G": "vip"}


def tier_of(layout, ids):
    by_id = {s.id: s for s in layout}
    return {by_id[i].tier for i in ids}


def test_price_levels_go_by_price_not_by_name_and_tie_equal_prices():
    prices = {"standard": Decimal("10.00"), "premium": Decimal("14.00"), "vip": Decimal("12.00")}
    assert price_levels(prices) == [{"standard"}, {"vip"}, {"premium"}]
    same = {"standard": Decimal("10.00"), "premium": Decimal("10.00"), "vip": Decimal("15.00")}
    assert price_levels(same) == [{"standard", "premium"}, {"vip"}]


def test_without_a_tier_the_cheapest_tier_wins_over_the_sweet_spot():
    layout = grid(rows=7, per_row=8, tiers=TIERED)

    best = cheapest_best_available_seats(layout=layout, taken=[], quantity=2, prices=PRICES)[0]

    # The sweet spot is row E (premium); the best standard pair is in row C, the nearest.
    assert labels(layout, best) == ["C4", "C5"]


def test_without_a_tier_a_dearer_tier_is_used_only_when_the_cheaper_has_no_room():
    layout = grid(rows=7, per_row=8, tiers=TIERED)
    # Every other standard seat taken: no two adjacent standard seats are left.
    taken = [s.id for s in layout if s.tier == "standard" and s.number % 2 == 0]

    candidates = cheapest_best_available_seats(
        layout=layout, taken=taken, quantity=2, prices=PRICES, limit=50
    )

    assert candidates
    assert all(tier_of(layout, group) == {"premium"} for group in candidates)


def test_without_a_tier_the_next_cheapest_is_the_next_price_not_the_next_name():
    layout = grid(rows=7, per_row=8, tiers=TIERED)
    taken = [s.id for s in layout if s.tier == "standard"]
    cheap_vip = PRICES | {"vip": Decimal("11.00")}

    best = cheapest_best_available_seats(layout=layout, taken=taken, quantity=2, prices=cheap_vip)

    assert tier_of(layout, best[0]) == {"vip"}


def test_tiers_at_the_same_price_compete_on_the_sweet_spot():
    layout = grid(rows=7, per_row=8, tiers=TIERED)
    same = PRICES | {"premium": Decimal("10.00")}

    best = cheapest_best_available_seats(layout=layout, taken=[], quantity=2, prices=same)[0]

    assert labels(layout, best) == ["E4", "E5"]


def test_split_seats_without_a_tier_are_the_cheapest_first():
    layout = grid(rows=7, per_row=8, tiers=TIERED)
    free_standard = {"A1", "C8"}
    taken = [
        s.id
        for s in layout
        if s.tier == "standard" and f"{s.row_label}{s.number}" not in free_standard
    ]

    seats = best_scattered_seats(layout=layout, taken=taken, quantity=3, prices=PRICES)

    assert set(labels(layout, seats[:2])) == free_standard
    assert tier_of(layout, seats[2:]) == {"premium"}
