from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marquee.booking.pricing import (
    PriceRules,
    showtime_price_table,
    showtime_ticket_prices,
    ticket_price,
)
from marquee.catalog.models import WeekdayPriceRule
from marquee.common.money import currency_exponent
from tests import factories

RULES = PriceRules(
    surcharge_kind="amount",
    surcharge_currency="EUR",
    premium_surcharge=Decimal("2.00"),
    vip_surcharge=Decimal("5.00"),
    morning_discount_percent=Decimal("20"),
    morning_until_hour=12,
    weekday_adjustments={1: Decimal("-50"), 5: Decimal("10")},
)


def price(tier="standard", hour=20, weekday=3, base="10.00", currency="EUR", rules=RULES):
    return ticket_price(
        base_price=Decimal(base),
        currency=currency,
        tier=tier,
        rules=rules,
        local_hour=hour,
        local_weekday=weekday,
    )


def test_standard_seat_costs_the_base_price():
    assert price() == Decimal("10.00")


def test_tier_surcharges_are_added():
    assert price("premium") == Decimal("12.00")
    assert price("vip") == Decimal("15.00")


def test_shows_before_noon_are_twenty_percent_off_surcharge_included():
    assert price("vip", hour=11) == Decimal("12.00")
    assert price("standard", hour=12) == Decimal("10.00")


def test_weekday_rules_adjust_by_percent_and_stack_with_morning_discount():
    assert price(weekday=1) == Decimal("5.00")
    assert price(weekday=5) == Decimal("11.00")
    assert price(weekday=5, hour=9) == Decimal("8.80")


def test_price_is_rounded_once_half_up_to_the_cent():
    # 9.99 * 0.8 * 1.1 = 8.7912 -> 8.79 (rounding each step would differ on other inputs)
    assert price(base="9.99", hour=9, weekday=5) == Decimal("8.79")
    assert price(base="0.05", hour=9, weekday=1) == Decimal("0.02")


def test_price_never_goes_negative():
    rules = PriceRules(weekday_adjustments={0: Decimal("-100")})
    assert str(price(base="10", weekday=0, rules=rules)) == "0.00"
    assert str(price(base="1500", weekday=0, rules=rules, currency="JPY")) == "0"


@pytest.mark.django_db
def test_showtime_prices_use_the_theaters_local_time_and_rules():
    theater = factories.TheaterFactory(timezone="America/New_York")
    WeekdayPriceRule.objects.create(theater=theater, weekday=5, adjustment_percent=Decimal("10"))
    screen = factories.ScreenFactory(theater=theater)
    # 15:30 UTC on a Saturday is 10:30 in New York: a morning show on a Saturday.
    starts = datetime(2031, 3, 1, 15, 30, tzinfo=ZoneInfo("UTC"))
    showtime = factories.ShowtimeFactory(screen=screen, starts_at=starts, base_price=Decimal("10"))
    assert showtime_price_table(showtime) == {
        "standard": Decimal("8.80"),
        "premium": Decimal("10.56"),
        "vip": Decimal("13.20"),
    }


@pytest.mark.django_db
def test_changing_a_weekday_rule_changes_prices_at_once():
    theater = factories.TheaterFactory(timezone="UTC")
    screen = factories.ScreenFactory(theater=theater)
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=datetime(2031, 3, 3, 20, 0, tzinfo=ZoneInfo("UTC"))
    )  # a Monday evening
    assert showtime_price_table(showtime)["standard"] == Decimal("10.00")
    rule = WeekdayPriceRule.objects.create(theater=theater, weekday=0, adjustment_percent=-30)
    assert showtime_price_table(showtime)["standard"] == Decimal("7.00")
    rule.delete()
    assert showtime_price_table(showtime)["standard"] == Decimal("10.00")


# --- Currencies -----------------------------------------------------------------------------


def test_prices_round_once_to_whole_yen_and_won():
    percent = PriceRules(
        premium_surcharge=Decimal("20"),
        vip_surcharge=Decimal("50"),
        morning_discount_percent=Decimal("20"),
        morning_until_hour=12,
    )
    # 1531 x 1.2 x 0.8 = 1469.76; a yen has no cents.
    assert str(price("premium", hour=9, base="1531", currency="JPY", rules=percent)) == "1470"
    assert str(price("vip", base="15000", currency="KRW", rules=percent)) == "22500"


def test_an_amount_surcharge_is_added_only_in_its_own_currency():
    yen = PriceRules(
        surcharge_kind="amount",
        surcharge_currency="JPY",
        premium_surcharge=Decimal("300"),
        vip_surcharge=Decimal("800"),
    )
    assert str(price("vip", base="1500", currency="JPY", rules=yen)) == "2300"
    # Never 800 "somethings" on a euro price: a showtime older than the rule pays the base.
    assert str(price("vip", base="12.50", currency="EUR", rules=yen)) == "12.50"


ACCEPTED = ["JPY", "KRW", "EUR", "USD", "GBP", "CHF", "KWD", "BHD", "TND", "ISK", "CLP", "IQD"]


@st.composite
def pricing_inputs(draw):
    currency = draw(st.sampled_from(ACCEPTED))
    places = currency_exponent(currency)
    minor = st.integers(min_value=0, max_value=10**6 * 10**places)
    base = Decimal(draw(minor)).scaleb(-places)
    percent = st.decimals(min_value=0, max_value=1000, places=2)
    if draw(st.booleans()):
        rules_surcharges = {
            "surcharge_kind": "percent",
            "premium_surcharge": draw(percent),
            "vip_surcharge": draw(percent),
        }
    else:
        rules_surcharges = {
            "surcharge_kind": "amount",
            "surcharge_currency": draw(st.sampled_from([currency, "EUR", "JPY"])),
            "premium_surcharge": Decimal(draw(minor)).scaleb(-places),
            "vip_surcharge": Decimal(draw(minor)).scaleb(-places),
        }
    rules = PriceRules(
        **rules_surcharges,
        morning_discount_percent=draw(st.decimals(min_value=0, max_value=100, places=2)),
        morning_until_hour=draw(st.integers(0, 24)),
        weekday_adjustments={
            day: draw(st.decimals(min_value=-100, max_value=200, places=2)) for day in range(7)
        },
    )
    return {
        "base_price": base,
        "currency": currency,
        "tier": draw(st.sampled_from(["standard", "premium", "vip"])),
        "rules": rules,
        "local_hour": draw(st.integers(0, 23)),
        "local_weekday": draw(st.integers(0, 6)),
    }


@given(pricing_inputs())
@settings(max_examples=300, deadline=None)
def test_every_price_is_a_whole_number_of_minor_units_and_never_negative(inputs):
    computed = ticket_price(**inputs)

    places = currency_exponent(inputs["currency"])
    assert computed >= 0
    assert computed % Decimal(1).scaleb(-places) == 0
    # Written with exactly the currency's decimals: "1531", "12.50", "3.250".
    assert -computed.as_tuple().exponent == places
    assert not computed.is_signed()


def test_a_card_price_replaces_base_and_tier_surcharge_and_takes_the_format_surcharge():
    assert price("vip") == Decimal("15.00")
    card = ticket_price(
        base_price=Decimal("10.00"),
        currency="EUR",
        tier="vip",
        rules=RULES,
        local_hour=20,
        local_weekday=3,
        card_price=Decimal("7.50"),
        format_surcharge=Decimal("3.00"),
    )
    assert card == Decimal("10.50")


def test_card_prices_in_yen_are_rounded_once_half_up_to_whole_yen():
    rules = PriceRules(morning_discount_percent=Decimal("15"), morning_until_hour=12)
    # (1500 + 300) * 0.85 = 1530; 1250 * 0.85 = 1062.5 -> 1063 (half up, whole yen)
    kwargs = {"currency": "JPY", "tier": "standard", "rules": rules, "local_weekday": 3}
    assert ticket_price(
        base_price=Decimal("0"),
        local_hour=10,
        card_price=Decimal("1500"),
        format_surcharge=Decimal("300"),
        **kwargs,
    ) == Decimal("1530")
    assert ticket_price(
        base_price=Decimal("0"), local_hour=10, card_price=Decimal("1250"), **kwargs
    ) == Decimal("1063")


@pytest.mark.django_db
def test_a_best_available_party_pays_each_ticket_types_price_for_its_seat_tier(
    default_ticket_types,
):
    """The price of each ticket of a best-available party comes from the one price table,
    per type and tier, morning discount and weekday rule included, rounded once (yen)."""
    from marquee.booking.services import booking_hold_with_tickets
    from marquee.catalog import services as catalog_services
    from marquee.catalog.models import Seat

    theater = factories.TheaterFactory(timezone="UTC")
    WeekdayPriceRule.objects.create(theater=theater, weekday=0, adjustment_percent=Decimal("-5"))
    screen = factories.screen_with_seats(
        rows=3, per_row=6, premium_rows="B", vip_rows="C", theater=theater
    )
    # A Monday morning: 20 % off before noon and 5 % off on Mondays.
    showtime = factories.ShowtimeFactory(
        screen=screen,
        starts_at=datetime(2031, 3, 3, 10, 0, tzinfo=ZoneInfo("UTC")),
        currency="JPY",
        base_price=Decimal("1800"),
    )
    card = catalog_services.price_card_create(
        theater=theater,
        name="Yen",
        currency="JPY",
        entries=[
            {"ticket_type": "adult", "tier": tier, "price": Decimal("1999")}
            for tier in ("standard", "premium", "vip")
        ]
        + [
            {"ticket_type": "child", "tier": tier, "price": Decimal("1001")}
            for tier in ("standard", "premium", "vip")
        ],
    )
    catalog_services.showtime_update(showtime=showtime, price_card=card)
    showtime.refresh_from_db()
    held = booking_hold_with_tickets(
        user=factories.UserFactory(),
        showtime_id=showtime.pk,
        quantity=3,
        ticket_counts={"child": 2, "adult": 1},
    )
    table = showtime_ticket_prices(showtime)
    tiers = dict(Seat.objects.filter(screen=screen).values_list("pk", "tier"))
    got = sorted((t.ticket_type, t.price) for t in held.tickets)
    expected = [(t.ticket_type, table[t.ticket_type][tiers[t.seat_id]]) for t in held.tickets]
    assert got == sorted(expected)
    assert sorted(code for code, _ in got) == ["adult", "child", "child"]
    assert table["child"]["standard"] == Decimal("761")  # 1001 * 0.8 * 0.95 = 760.76, half up
    assert held.booking.total == sum(price for _, price in got)
