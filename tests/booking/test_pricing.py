from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from marquee.booking.pricing import PriceRules, showtime_price_table, ticket_price
from marquee.catalog.models import WeekdayPriceRule
from tests import factories

RULES = PriceRules(
    premium_surcharge=Decimal("2.00"),
    vip_surcharge=Decimal("5.00"),
    morning_discount_percent=Decimal("20"),
    morning_until_hour=12,
    weekday_adjustments={1: Decimal("-50"), 5: Decimal("10")},
)


def price(tier="standard", hour=20, weekday=3, base="10.00"):
    return ticket_price(
        base_price=Decimal(base), tier=tier, rules=RULES, local_hour=hour, local_weekday=weekday
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
    assert ticket_price(
        base_price=Decimal("10"), tier="standard", rules=rules, local_hour=20, local_weekday=0
    ) == Decimal("0.00")


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
