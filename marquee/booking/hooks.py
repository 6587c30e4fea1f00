"""Rules other apps add to booking decisions, registered explicitly at start-up.

Booking never imports payments; payments registers here, from its `AppConfig.ready`, what the
booking services must know of the money side, and the services ask at the one point they
decide (as `marquee.catalog.hooks` does for the catalog).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from marquee.booking.models import Booking


class RefundUnit(Protocol):
    def __call__(self, *, booking: Booking) -> Decimal | None:
        """The amount every refund of this paid booking must be a whole multiple of (its
        payment provider's rule for the currency), or None for any minor unit."""


_refund_units: list[RefundUnit] = []


def register_refund_unit(unit: RefundUnit) -> None:
    """Have `unit` asked whenever a paid booking's refund is worked out."""
    if unit not in _refund_units:
        _refund_units.append(unit)


def refund_unit(*, booking: Booking) -> Decimal | None:
    """The coarsest unit any registered rule asks for (None: the currency's minor unit)."""
    units = [unit for ask in _refund_units if (unit := ask(booking=booking)) is not None]
    return max(units) if units else None


class CancellationRefund(Protocol):
    def __call__(self, *, booking: Booking) -> Decimal | None:
        """What the cancellation of this booking refunds (its payment's full refund), or None
        when no refund was asked."""


_cancellation_refunds: list[CancellationRefund] = []


def register_cancellation_refund(amount: CancellationRefund) -> None:
    """Have `amount` asked when a cancelled booking's notice says what goes back."""
    if amount not in _cancellation_refunds:
        _cancellation_refunds.append(amount)


def cancellation_refund(*, booking: Booking) -> Decimal | None:
    """What the registered rules say a cancelled booking's cancellation refunds (None: no
    rule registered, or no refund asked)."""
    amounts = [a for ask in _cancellation_refunds if (a := ask(booking=booking)) is not None]
    return sum(amounts, Decimal(0)) if amounts else None
