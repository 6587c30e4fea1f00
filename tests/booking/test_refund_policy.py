"""The refund policy: steps, the percentage at a moment, and rounding that never refunds more
than the exact share (zero-decimal currencies included)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from marquee.booking.models import RefundTier
from marquee.booking.refund_policy import (
    RefundStep,
    default_policy,
    discount_shares,
    parse_policy,
    policy_for,
    refund_percent,
    refunds_rounded_down,
    ticket_refund,
)

SHOW = datetime(2026, 12, 24, 19, 0, tzinfo=UTC)
POLICY = parse_policy("1440:100,120:50")


def test_a_policy_is_read_latest_deadline_last():
    assert parse_policy("120:50, 1440:100") == (RefundStep(1440, 100), RefundStep(120, 50))
    assert parse_policy("") == ()


@pytest.mark.parametrize("text", ["abc", "60:101", "-1:50", "60:50,60:40", "60"])
def test_a_malformed_policy_is_refused(text):
    with pytest.raises(ValueError):
        parse_policy(text)


def test_a_malformed_default_policy_is_a_configuration_error(settings):
    settings.BOOKING_REFUND_POLICY = "soon:all"
    with pytest.raises(ImproperlyConfigured):
        default_policy()


@pytest.mark.parametrize(
    ("before_show", "percent"),
    [
        (timedelta(days=3), 100),
        (timedelta(hours=24), 100),  # on the deadline itself: still the earlier step
        (timedelta(hours=24) - timedelta(seconds=1), 50),
        (timedelta(hours=2), 50),
        (timedelta(hours=2) - timedelta(seconds=1), 0),
        (timedelta(0), 0),
        (-timedelta(hours=1), 0),
    ],
)
def test_the_percentage_is_the_step_whose_deadline_has_not_passed(before_show, percent):
    assert refund_percent(steps=POLICY, starts_at=SHOW, now=SHOW - before_show) == percent


def test_an_empty_policy_refunds_nothing():
    assert refund_percent(steps=(), starts_at=SHOW, now=SHOW - timedelta(days=30)) == 0


@pytest.mark.parametrize(
    ("price", "percent", "currency", "refund"),
    [
        (Decimal("10.00"), 50, "EUR", Decimal("5.00")),
        (Decimal("10.01"), 50, "EUR", Decimal("5.00")),  # 5.005 rounds down, never up
        (Decimal("1531"), 50, "JPY", Decimal("765")),  # 765.5 yen: no half yen, rounded down
        (Decimal("999"), 33, "JPY", Decimal("329")),  # 329.67 -> 329
        (Decimal("1"), 50, "JPY", Decimal("0")),
        (Decimal("3.255"), 50, "KWD", Decimal("1.627")),
        (Decimal("1531"), 100, "JPY", Decimal("1531")),
        (Decimal("1531"), 0, "JPY", Decimal("0")),
        (Decimal("12.50"), Decimal("12.5"), "USD", Decimal("1.56")),
    ],
)
def test_a_ticket_refund_is_rounded_down_to_the_minor_unit(price, percent, currency, refund):
    assert ticket_refund(price=price, percent=percent, currency=currency) == refund


@given(
    price=st.integers(min_value=0, max_value=10**7),
    percent=st.integers(min_value=0, max_value=100),
    currency=st.sampled_from(["JPY", "EUR", "KWD"]),
)
def test_a_ticket_refund_never_exceeds_the_exact_share(price, percent, currency):
    exponent = {"JPY": 0, "EUR": 2, "KWD": 3}[currency]
    amount = Decimal(price).scaleb(-exponent)
    refund = ticket_refund(price=amount, percent=percent, currency=currency)
    exact = amount * percent / 100
    assert refund <= exact < refund + Decimal(1).scaleb(-exponent)
    assert refund == refund.quantize(Decimal(1).scaleb(-exponent))


HUNDREDTHS = Decimal("0.010")


def test_refunds_in_a_providers_coarser_unit_are_rounded_down_off_the_last_tickets():
    # 1.627 + 1.627 = 3.254 -> 3.250: the 4 thousandths come off the last ticket.
    assert refunds_rounded_down({7: Decimal("1.627"), 9: Decimal("1.627")}, unit=HUNDREDTHS) == {
        7: Decimal("1.627"),
        9: Decimal("1.623"),
    }
    assert refunds_rounded_down({1: Decimal("1.620")}, unit=HUNDREDTHS) == {1: Decimal("1.620")}
    # A ticket with less than the cut gives what it has; the one before gives the rest.
    assert refunds_rounded_down({1: Decimal("0.015"), 2: Decimal("0.002")}, unit=HUNDREDTHS) == {
        1: Decimal("0.010"),
        2: Decimal("0.000"),
    }


@given(
    refunds=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
    step=st.sampled_from([1, 10, 100]),
)
def test_rounded_refunds_are_a_whole_number_of_units_and_never_more(refunds, step):
    exact = {pk: Decimal(minor).scaleb(-3) for pk, minor in enumerate(refunds, start=1)}
    unit = Decimal(step).scaleb(-3)
    rounded = refunds_rounded_down(exact, unit=unit)
    total, before = sum(rounded.values()), sum(exact.values())
    assert total % unit == 0
    assert before - unit < total <= before
    assert all(Decimal(0) <= rounded[pk] <= exact[pk] for pk in exact)


@pytest.mark.django_db
def test_a_theater_with_its_own_steps_follows_them(screen, settings):
    settings.BOOKING_REFUND_POLICY = "1440:100,120:50"
    theater = screen.theater
    assert policy_for(theater.pk) == POLICY
    RefundTier.objects.create(theater=theater, minutes_before=60, percent=80)
    RefundTier.objects.create(theater=theater, minutes_before=10080, percent=100)
    assert policy_for(theater.pk) == (RefundStep(10080, 100), RefundStep(60, 80))


@pytest.mark.django_db
def test_admins_set_a_theaters_refund_steps_in_the_admin(screen, admin_user, client):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    response = client.post(
        "/admin/booking/refundtier/add/",
        {"theater": screen.theater.pk, "minutes_before": "2880", "percent": "90"},
    )
    assert response.status_code == 302, response.content
    assert policy_for(screen.theater.pk) == (RefundStep(2880, 90),)
    refused = client.post(
        "/admin/booking/refundtier/add/",
        {"theater": screen.theater.pk, "minutes_before": "60", "percent": "101"},
    )
    assert refused.status_code == 200  # the form shows the error
    assert RefundTier.objects.count() == 1
    assert client.get("/admin/booking/ticketcancellation/").status_code == 200


def test_voucher_shares_add_up_to_the_discount_exactly():
    # 3.00 over 10, 10 and 15: each rounded down (0.85, 0.85, 1.28) would leave 0.02 unshared,
    # and giving back every ticket at 100% would refund 32.02 of the 32.00 paid.
    shares = discount_shares(
        prices={1: Decimal("10"), 2: Decimal("10"), 3: Decimal("15")},
        discount=Decimal("3.00"),
        currency="EUR",
    )
    assert shares == {1: Decimal("0.86"), 2: Decimal("0.86"), 3: Decimal("1.28")}


@given(
    prices=st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=12),
    discount_percent=st.integers(min_value=1, max_value=100),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_voucher_shares_never_pass_a_price_and_always_add_up(prices, discount_percent, currency):
    from marquee.common.money import minor_unit

    unit = minor_unit(currency)
    priced = {pk: Decimal(p) * unit for pk, p in enumerate(prices, 1)}
    whole = sum(priced.values())
    discount = (whole * discount_percent / 100).quantize(unit, rounding="ROUND_DOWN")
    shares = discount_shares(prices=priced, discount=discount, currency=currency)
    assert sum(shares.values()) == discount
    assert all(Decimal(0) <= shares[pk] <= priced[pk] for pk in priced)
    assert all(share % unit == 0 for share in shares.values())
