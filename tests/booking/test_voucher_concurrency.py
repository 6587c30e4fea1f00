"""A voucher's redemption limit under a rush: 50 buyers at once on a code good for 10 uses;
exactly 10 holds get it, the others are refused whole (no seat held, nothing counted). Runs on
the database under test (SQLite locally; PostgreSQL and MariaDB in CI's server legs)."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest

from marquee.booking import services, vouchers
from marquee.booking.models import Booking, Voucher, VoucherRedemption
from tests import factories
from tests.concurrency import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_fifty_buyers_rushing_a_code_limited_to_ten_get_exactly_ten_uses():
    screen = factories.screen_with_seats(rows=5, per_row=10)
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(2, screen.theater.timezone)
    )
    seats = sorted(screen.seats.values_list("pk", flat=True))
    buyers = [factories.UserFactory() for _ in range(50)]
    vouchers.voucher_create(code="RUSH", kind="percent", value=Decimal("20"), max_redemptions=10)

    outcomes = run_together(
        [
            partial(
                services.booking_hold,
                user=buyer,
                showtime_id=showtime.pk,
                seat_ids=[seat],
                voucher_code="RUSH",
            )
            for buyer, seat in zip(buyers, seats, strict=False)
        ]
    )

    won = [o.value for o in outcomes if o.error is None]
    refused = [o.error for o in outcomes if o.error is not None]
    codes = {getattr(error, "code", repr(error)) for error in refused}
    assert len(won) == 10, codes
    # Lost races answer "used up", or on SQLite's single writer possibly "busy, try again".
    assert codes <= {"voucher_exhausted", "seats_busy"}, codes
    assert "voucher_exhausted" in codes
    assert Voucher.objects.get(code="RUSH").redeemed == 10
    assert VoucherRedemption.objects.filter(released_at__isnull=True).count() == 10
    assert Booking.objects.count() == 10
    assert all(booking.discount == Decimal("2.00") for booking in won)


def test_fifty_holds_by_one_buyer_keep_the_per_user_limit():
    screen = factories.screen_with_seats(rows=5, per_row=10)
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(2, screen.theater.timezone)
    )
    seats = sorted(screen.seats.values_list("pk", flat=True))
    buyer = factories.UserFactory(role="staff")  # no hold limit: only the voucher's
    vouchers.voucher_create(code="TWICE", kind="percent", value=Decimal("10"), max_per_user=2)

    outcomes = run_together(
        [
            partial(
                services.booking_hold,
                user=buyer,
                showtime_id=showtime.pk,
                seat_ids=[seat],
                voucher_code="TWICE",
            )
            for seat in seats[:20]
        ]
    )

    won = [o for o in outcomes if o.error is None]
    codes = {getattr(o.error, "code", repr(o.error)) for o in outcomes if o.error is not None}
    assert len(won) == 2, codes
    assert codes <= {"voucher_user_limit", "seats_busy"}, codes
    assert Voucher.objects.get(code="TWICE").redeemed == 2


def test_lowering_the_limit_during_a_rush_never_leaves_more_uses_than_the_limit():
    screen = factories.screen_with_seats(rows=3, per_row=10)
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(2, screen.theater.timezone)
    )
    seats = sorted(screen.seats.values_list("pk", flat=True))
    buyers = [factories.UserFactory() for _ in range(20)]
    voucher = vouchers.voucher_create(
        code="SHRINK", kind="percent", value=Decimal("10"), max_redemptions=20
    )
    holds = [
        partial(
            services.booking_hold,
            user=buyer,
            showtime_id=showtime.pk,
            seat_ids=[seat],
            voucher_code="SHRINK",
        )
        for buyer, seat in zip(buyers, seats, strict=False)
    ]
    lower = partial(vouchers.voucher_update, voucher_id=voucher.pk, max_redemptions=5)

    outcomes = run_together([*holds[:10], lower, *holds[10:]])

    voucher.refresh_from_db()
    lowered = outcomes[10]
    used = VoucherRedemption.objects.filter(released_at__isnull=True).count()
    assert used == voucher.redeemed
    if lowered.error is None:
        # The limit went down before the uses passed it; later buyers found it used up.
        assert voucher.max_redemptions == 5 and voucher.redeemed <= 5
    else:
        # More than five uses were counted first: the limit stays above them.
        assert getattr(lowered.error, "code", None) == "voucher_limit_below_redeemed"
        assert voucher.max_redemptions == 20 and voucher.redeemed > 5
    refused = {getattr(o.error, "code", repr(o.error)) for o in outcomes if o.error is not None}
    assert refused <= {"voucher_exhausted", "seats_busy", "voucher_limit_below_redeemed"}, refused
