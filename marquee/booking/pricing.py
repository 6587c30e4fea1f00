"""The one place ticket prices are computed: price card or base price, tier surcharge, format
surcharge, time of day, weekday.

Order: a showtime with a price card starts from the card's price for the ticket type and seat
tier plus the card's surcharge for the showtime's format (3D, IMAX); one without starts from
the base price plus the tier surcharge (an amount in the theater's surcharge currency, or a
percentage of the base price) and sells the default ticket type only. The morning discount and
the weekday adjustment then multiply the sum; the result is rounded once, half up, to the
minor unit of the showtime's currency (ISO 4217: whole yen and won, euro and dollar cents,
fils). Voucher discounts are computed here too (`voucher_discount`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from marquee.catalog.models import (
    DEFAULT_TICKET_TYPE,
    PriceCardEntry,
    PriceCardFormatSurcharge,
    SeatTier,
    Showtime,
    SurchargeKind,
    Theater,
    WeekdayPriceRule,
)
from marquee.common import redis_guard
from marquee.common.money import quantize
from marquee.common.time import to_local

HUNDRED = Decimal("100")
ZERO = Decimal("0")
RULES_CACHE_SECONDS = 300


@dataclass(frozen=True)
class PriceRules:
    surcharge_kind: str = SurchargeKind.PERCENT
    surcharge_currency: str = ""  # the amounts' currency; empty for percentages
    premium_surcharge: Decimal = Decimal("0")
    vip_surcharge: Decimal = Decimal("0")
    morning_discount_percent: Decimal = Decimal("0")
    morning_until_hour: int = 0
    weekday_adjustments: dict[int, Decimal] = field(default_factory=dict)


def _weekday_key(theater_id: int) -> str:
    return f"weekday-price-rules:v1:{theater_id}"


def price_rules_for(theater: Theater) -> PriceRules:
    """The theater's rules; weekday rules come from the cache (one query on a miss)."""
    cached = cache.get(_weekday_key(theater.pk))
    if cached is None:
        cached = {
            weekday: str(adjustment)
            for weekday, adjustment in WeekdayPriceRule.objects.filter(
                theater_id=theater.pk
            ).values_list("weekday", "adjustment_percent")
        }
        cache.set(_weekday_key(theater.pk), cached, RULES_CACHE_SECONDS)
    return PriceRules(
        surcharge_kind=theater.surcharge_kind,
        surcharge_currency=theater.surcharge_currency,
        premium_surcharge=theater.premium_surcharge,
        vip_surcharge=theater.vip_surcharge,
        morning_discount_percent=theater.morning_discount_percent,
        morning_until_hour=theater.morning_until_hour,
        weekday_adjustments={int(day): Decimal(value) for day, value in cached.items()},
    )


def ticket_price(
    *,
    base_price: Decimal,
    currency: str,
    tier: str,
    rules: PriceRules,
    local_hour: int,
    local_weekday: int,
    card_price: Decimal | None = None,
    format_surcharge: Decimal = ZERO,
) -> Decimal:
    """The price of one seat, in whole minor units of `currency`, never negative.

    `card_price`: the price card's price for the ticket type and tier (in `currency`); it
    replaces the base price and the tier surcharge. `format_surcharge`: the card's amount for
    the showtime's format (3D, IMAX), added before the time-of-day and weekday rules."""
    surcharge = {
        SeatTier.PREMIUM: rules.premium_surcharge,
        SeatTier.VIP: rules.vip_surcharge,
    }.get(tier, ZERO)
    if card_price is not None:
        price = card_price + format_surcharge
    elif rules.surcharge_kind == SurchargeKind.PERCENT:
        price = base_price * (1 + surcharge / HUNDRED)
    elif rules.surcharge_currency == currency:
        price = base_price + surcharge
    else:
        # Never an amount in another currency: scheduling refuses such a showtime, so only a
        # showtime older than the rule gets here, and it is sold without the surcharge.
        price = base_price
    if local_hour < rules.morning_until_hour:
        price *= 1 - rules.morning_discount_percent / HUNDRED
    adjustment = rules.weekday_adjustments.get(local_weekday)
    if adjustment:
        price *= 1 + adjustment / HUNDRED
    return quantize(price if price > ZERO else ZERO, currency)  # no -0 either


def showtime_price_table(showtime: Showtime) -> dict[str, Decimal]:
    """The price of each seat tier for this showtime (needs screen__theater loaded)."""
    theater = showtime.screen.theater
    rules = price_rules_for(theater)
    local = to_local(showtime.starts_at, theater.timezone)
    return {
        tier: ticket_price(
            base_price=showtime.base_price,
            currency=showtime.currency,
            tier=tier,
            rules=rules,
            local_hour=local.hour,
            local_weekday=local.weekday(),
        )
        for tier in SeatTier.values
    }


def showtime_ticket_prices(showtime: Showtime) -> dict[str, dict[str, Decimal]]:
    """Ticket type code -> seat tier -> price for this showtime (needs screen__theater loaded).

    Without a price card: the default ticket type at the tier prices. With one: each type and
    tier the card prices; any other combination is not sold at this showtime, except that the
    default type is always sold, at the tier price where the card leaves it out (a plain seat
    id books every seat). A card in another currency than the showtime's prices nothing (the
    services refuse to assign one)."""
    base = showtime_price_table(showtime)
    if showtime.price_card_id is None:
        return {DEFAULT_TICKET_TYPE: base}
    theater = showtime.screen.theater
    rules = price_rules_for(theater)
    local = to_local(showtime.starts_at, theater.timezone)
    table: dict[str, dict[str, Decimal]] = {DEFAULT_TICKET_TYPE: dict(base)}
    surcharge = (
        PriceCardFormatSurcharge.objects.filter(
            price_card_id=showtime.price_card_id,
            price_card__currency=showtime.currency,
            format=showtime.format,
        )
        .values_list("amount", flat=True)
        .first()
    ) or ZERO
    entries = PriceCardEntry.objects.filter(
        price_card_id=showtime.price_card_id, price_card__currency=showtime.currency
    ).values_list("ticket_type__code", "tier", "price")
    for code, tier, price in entries:
        table.setdefault(code, {})[tier] = ticket_price(
            base_price=showtime.base_price,
            currency=showtime.currency,
            tier=tier,
            rules=rules,
            local_hour=local.hour,
            local_weekday=local.weekday(),
            card_price=price,
            format_surcharge=surcharge,
        )
    return table


@receiver([post_save, post_delete], sender=WeekdayPriceRule, dispatch_uid="weekday-rules-cache")
def _weekday_rules_changed(sender, instance: WeekdayPriceRule, **kwargs) -> None:
    key = _weekday_key(instance.theater_id)
    redis_guard.run_or_owe(key, lambda: cache.delete(key))


def voucher_discount(
    *, kind: str, value: Decimal, currency: str, eligible_total: Decimal
) -> Decimal:
    """What a voucher takes off `eligible_total` (the prices of the tickets it applies to, in
    `currency`): a percentage of it rounded once, half up, to the currency's minor unit, or a
    fixed amount; never negative and never more than `eligible_total`."""
    if eligible_total <= ZERO or value <= ZERO:
        return quantize(ZERO, currency)
    if kind == "percent":
        discount = quantize(eligible_total * min(value, HUNDRED) / HUNDRED, currency)
    else:
        discount = quantize(value, currency)
    return min(discount, quantize(eligible_total, currency))
