"""Amounts in a currency's own units: how many decimals each currency has, and rounding to them.

The number of decimals is the currency's ISO 4217 minor unit (List One of the standard, as
published by its maintenance agency), read from the `iso4217` package, which ships that list
and follows its amendments: JPY and KRW have none, EUR and USD two, BHD, KWD, JOD, OMR and
TND three. Nothing here is typed by hand. CLDR's "digits" (what Babel reports) is a display
preference and differs for some currencies (IQD 0 against ISO's 3, HUF and IDR 0 against 2):
prices, stored amounts and payments follow ISO; only formatting for people may follow CLDR.

Accepted: every current ISO 4217 code with a minor unit of at most `MAX_EXPONENT`, in upper
case. Refused: unknown or withdrawn codes, lower case, codes without a minor unit (gold, test
and special drawing rights: XAU, XTS, XDR, ...), and CLF and UYW (four decimals; the money
columns keep three). Pure Python: settings import it to check DEFAULT_CURRENCY.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from iso4217 import Currency

MAX_EXPONENT = 3  # the money columns' decimal places
# Rows written before codes were checked may name a currency that is not accepted now: their
# amounts are shown and priced with the two decimals they were written with, never a crash.
LEGACY_EXPONENT = 2


class UnknownCurrency(ValueError):
    """Not an ISO 4217 code this service can keep amounts in."""


@lru_cache(maxsize=512)
def _exponent(code: str) -> int | None:
    try:
        exponent = Currency(code).exponent
    except ValueError:
        return None
    if exponent is None or exponent > MAX_EXPONENT:
        return None
    return exponent


def is_currency(code: object) -> bool:
    """Whether `code` is an upper-case ISO 4217 code with a usable minor unit."""
    return isinstance(code, str) and len(code) == 3 and _exponent(code) is not None


def currency_exponent(code: str) -> int:
    """The currency's ISO 4217 minor unit: 0 for JPY, 2 for EUR, 3 for KWD."""
    exponent = _exponent(code) if isinstance(code, str) and len(code) == 3 else None
    if exponent is None:
        raise UnknownCurrency(code)
    return exponent


@lru_cache(maxsize=8)
def _unit(exponent: int) -> Decimal:
    return Decimal(1).scaleb(-exponent)


def minor_unit(code: str) -> Decimal:
    """The smallest amount of the currency: Decimal('1') for JPY, Decimal('0.01') for EUR."""
    return _unit(currency_exponent(code))


def quantize(amount: Decimal, code: str) -> Decimal:
    """`amount` rounded half up to the currency's minor unit (the one rounding of a price)."""
    exponent = _exponent(code) if isinstance(code, str) and len(code) == 3 else None
    unit = _unit(LEGACY_EXPONENT if exponent is None else exponent)
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


def quantize_down(amount: Decimal, code: str) -> Decimal:
    """`amount` rounded down to the currency's minor unit: a share of a price that must never
    come to more than the exact share (a refund)."""
    exponent = _exponent(code) if isinstance(code, str) and len(code) == 3 else None
    unit = _unit(LEGACY_EXPONENT if exponent is None else exponent)
    return amount.quantize(unit, rounding=ROUND_DOWN)


def fits_currency(amount: Decimal, code: str) -> bool:
    """Whether `amount` is a whole number of the currency's minor units (1500 JPY, not 1500.5)."""
    try:
        return amount.is_finite() and amount == amount.quantize(minor_unit(code))
    except InvalidOperation:  # too many digits to quantize: certainly not a price
        return False


def money_text(amount: Decimal, code: str) -> str:
    """The amount as the API writes it: exactly the currency's decimals ("1531", "12.50")."""
    return str(quantize(amount, code))


def to_minor_units(amount: Decimal, code: str, *, exponent: int | None = None) -> int:
    """The amount as an integer count of minor units (JPY 1531 -> 1531, EUR 12.50 -> 1250).

    Refuses an amount that is not a whole number of them instead of rounding it: a charge must
    be exactly the total. `exponent` overrides the ISO one (a provider's own convention).
    """
    places = currency_exponent(code) if exponent is None else exponent
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {code} is not a whole number of 10^-{places} units")
    return int(scaled)
