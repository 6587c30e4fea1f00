"""The refund policy: how much of a ticket's price goes back when it is given back.

A policy is a list of steps, "at least `minutes_before` the show: `percent` back", read from
the theater's `RefundTier` rows or, for a theater without any, from BOOKING_REFUND_POLICY.
Later than the last step nothing goes back. Each ticket's refund is its snapshotted price times
the percentage, rounded *down* to the currency's minor unit, so the refunds of a booking never
add up to more than was paid (a voucher's discount is in the snapshotted price already).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from marquee.common.money import minor_unit, quantize_down

HUNDRED = Decimal(100)


@dataclass(frozen=True, order=True)
class RefundStep:
    minutes_before: int
    percent: int


def parse_policy(text: str) -> tuple[RefundStep, ...]:
    """ "1440:100,120:50" -> steps, latest deadline last. Raises ValueError on bad text."""
    steps = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        minutes, _, percent = part.partition(":")
        step = RefundStep(int(minutes), int(percent))
        if step.minutes_before < 0 or not 0 <= step.percent <= 100:
            raise ValueError(f"not a refund step: {part!r}")
        steps.append(step)
    if len({s.minutes_before for s in steps}) != len(steps):
        raise ValueError("two refund steps at the same time before the show")
    return ordered(steps)


def ordered(steps: Iterable[RefundStep]) -> tuple[RefundStep, ...]:
    return tuple(sorted(steps, reverse=True))


def default_policy() -> tuple[RefundStep, ...]:
    try:
        return parse_policy(settings.BOOKING_REFUND_POLICY)
    except ValueError as error:
        raise ImproperlyConfigured(f"BOOKING_REFUND_POLICY: {error}") from error


def policy_for(theater_id: int) -> tuple[RefundStep, ...]:
    """The theater's own steps, or the default policy when it has none. One query."""
    from marquee.booking.models import RefundTier

    own = RefundTier.objects.filter(theater_id=theater_id).values_list("minutes_before", "percent")
    return ordered(RefundStep(m, p) for m, p in own) or default_policy()


def refund_percent(*, steps: Sequence[RefundStep], starts_at: datetime, now: datetime) -> int:
    """The percentage of the step reached: the first whose deadline has not passed."""
    for step in ordered(steps):
        if now <= starts_at - timedelta(minutes=step.minutes_before):
            return step.percent
    return 0


def ticket_refund(*, price: Decimal, percent: Decimal | int, currency: str) -> Decimal:
    """`percent` of `price`, rounded down to the currency's minor unit (never above the price)."""
    return min(price, quantize_down(price * Decimal(percent) / HUNDRED, currency))


def discount_shares(
    *, prices: dict[int, Decimal], discount: Decimal, currency: str
) -> dict[int, Decimal]:
    """A booking's voucher discount apportioned over its tickets by price (ticket id -> share),
    in whole minor units that add up to the discount exactly (largest remainder: each share is
    rounded down, and the units left over go to the largest remainders, then the lowest ids).
    So the tickets' prices less their shares add up to what was paid: giving back every ticket
    at 100% refunds the payment, never a cent more or less."""
    whole = sum(prices.values(), Decimal(0))
    if not discount or not whole:
        return dict.fromkeys(prices, Decimal(0))
    unit = minor_unit(currency)
    exact = {pk: discount * price / whole for pk, price in prices.items()}
    shares = {pk: quantize_down(value, currency) for pk, value in exact.items()}
    left = int((quantize_down(discount, currency) - sum(shares.values())) / unit)
    for pk in sorted(exact, key=lambda pk: (shares[pk] - exact[pk], pk))[: max(left, 0)]:
        shares[pk] = min(shares[pk] + unit, prices[pk])
    return shares


def refunds_rounded_down(refunds: dict[int, Decimal], *, unit: Decimal) -> dict[int, Decimal]:
    """The refunds of one cancellation (ticket id -> amount) with their sum rounded *down* to
    a whole multiple of `unit` (a payment provider's rule: Stripe refunds KWD, BHD, JOD, OMR
    and TND in whole hundredths). What is cut is taken off the last tickets' refunds, so the
    tickets still add up to the refund and none gets more than the policy gave it."""
    total = sum(refunds.values(), Decimal(0))
    excess = total - (total // unit) * unit
    rounded = dict(refunds)
    for ticket_id in sorted(refunds, reverse=True):
        if not excess:
            break
        cut = min(excess, rounded[ticket_id])
        rounded[ticket_id] -= cut
        excess -= cut
    return rounded


def refund_deadlines(
    *, steps: Sequence[RefundStep], starts_at: datetime
) -> list[tuple[datetime, int]]:
    """(until when, percent) for each step: what a page shows as the policy of a booking."""
    return [(starts_at - timedelta(minutes=s.minutes_before), s.percent) for s in ordered(steps)]
