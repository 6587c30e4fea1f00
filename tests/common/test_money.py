"""Currency data comes from ISO 4217 (the `iso4217` package), not from a table of our own."""

from decimal import Decimal

import pytest

from marquee.common.money import (
    UnknownCurrency,
    currency_exponent,
    fits_currency,
    is_currency,
    money_text,
    quantize,
    to_minor_units,
)
from marquee.payments.providers import to_minor_units as stripe_minor_units


@pytest.mark.parametrize(
    ("code", "exponent"),
    [
        ("JPY", 0),
        ("KRW", 0),
        ("EUR", 2),
        ("USD", 2),
        ("GBP", 2),
        ("CHF", 2),
        ("BHD", 3),
        ("KWD", 3),
        ("JOD", 3),
        ("OMR", 3),
        ("TND", 3),
    ],
)
def test_the_exponent_is_the_iso_4217_minor_unit(code, exponent):
    assert currency_exponent(code) == exponent


@pytest.mark.parametrize(("code", "exponent"), [("IQD", 3), ("HUF", 2), ("IDR", 2)])
def test_iso_4217_decides_where_cldr_display_digits_differ(code, exponent):
    """CLDR (Babel) shows IQD, HUF and IDR without decimals; the standard gives them some."""
    assert currency_exponent(code) == exponent


@pytest.mark.parametrize(
    "code", ["jpy", "Eur", "XYZ", "DEM", "XAU", "XTS", "XXX", "CLF", "UYW", "", "EURO", None, 978]
)
def test_unknown_withdrawn_unitless_and_four_decimal_codes_are_not_currencies(code):
    assert not is_currency(code)
    with pytest.raises(UnknownCurrency):
        currency_exponent(code)


def test_quantize_rounds_half_up_to_the_minor_unit():
    assert str(quantize(Decimal("1530.5"), "JPY")) == "1531"
    assert str(quantize(Decimal("1530.85"), "JPY")) == "1531"
    assert str(quantize(Decimal("12.345"), "EUR")) == "12.35"
    assert str(quantize(Decimal("5.6595"), "KWD")) == "5.660"


def test_amounts_are_written_with_exactly_the_currencys_decimals():
    # As the three-place money columns hand them back.
    assert money_text(Decimal("1531.000"), "JPY") == "1531"
    assert money_text(Decimal("12.500"), "EUR") == "12.50"
    assert money_text(Decimal("3.250"), "KWD") == "3.250"
    # A row written before codes were checked keeps its two decimals instead of failing.
    assert money_text(Decimal("12.500"), "ABC") == "12.50"


def test_an_amount_fits_its_currency_only_in_whole_minor_units():
    assert fits_currency(Decimal("1500.000"), "JPY")
    assert not fits_currency(Decimal("1500.5"), "JPY")
    assert fits_currency(Decimal("12.50"), "EUR")
    assert not fits_currency(Decimal("12.505"), "EUR")
    assert not fits_currency(Decimal("NaN"), "EUR")
    assert not fits_currency(Decimal("1E+40"), "EUR")


def test_minor_units_follow_the_exponent_and_refuse_fractions():
    assert to_minor_units(Decimal("1531"), "JPY") == 1531
    assert to_minor_units(Decimal("12.50"), "EUR") == 1250
    assert to_minor_units(Decimal("3.250"), "KWD") == 3250
    with pytest.raises(ValueError, match="whole number"):
        to_minor_units(Decimal("12.345"), "EUR")


def test_stripe_minor_units_keep_stripes_documented_exceptions():
    assert stripe_minor_units(Decimal("1531"), "JPY") == 1531
    assert stripe_minor_units(Decimal("15000"), "KRW") == 15000
    assert stripe_minor_units(Decimal("12.50"), "eur") == 1250
    # ISK has no decimals in ISO 4217 but stays two-decimal in Stripe's API.
    assert stripe_minor_units(Decimal("1500"), "ISK") == 150000
    # MGA has two in ISO 4217; Stripe counts whole ariary.
    assert stripe_minor_units(Decimal("5000.00"), "MGA") == 5000
    assert stripe_minor_units(Decimal("3.250"), "KWD") == 3250
    with pytest.raises(ValueError):
        stripe_minor_units(Decimal("3.255"), "KWD")  # Stripe wants the last digit 0
