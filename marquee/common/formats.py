"""Money and moments as a person reads them: in their language (Babel's CLDR data), a moment on
the theater's clock, an amount in the showtime's currency. Used by the site and the emails;
the API keeps its machine formats (ISO 8601, decimal strings)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency
from django.utils import translation

from marquee.common.time import to_local


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def locale_for(language: str | None = None) -> Locale:
    """The Babel locale of a language code (default: the active language)."""
    return _locale(language or translation.get_language() or "en")


def money(amount: Decimal | str, currency: str, language: str | None = None) -> str:
    """E.g. "€12.50" in English, "12,50 €" in German."""
    return format_currency(Decimal(amount), currency.upper(), locale=locale_for(language))


def local_time(moment: datetime, tz_name: str, language: str | None = None) -> str:
    """The clock time at the theater, e.g. "20:00" (or "8:00 PM" where the language says so)."""
    return format_time(to_local(moment, tz_name), "short", locale=locale_for(language))


def local_date(moment: datetime | date, tz_name: str | None = None, language=None) -> str:
    """E.g. "Saturday, 14 March" / "Samstag, 14. März"."""
    day = to_local(moment, tz_name).date() if isinstance(moment, datetime) else moment
    return format_date(day, "EEEE, d MMMM", locale=locale_for(language))


def short_date(day: date, language: str | None = None) -> str:
    """E.g. "Sat 14 Mar" / "Sa. 14. März": a day tab."""
    return format_date(day, "EEE d MMM", locale=locale_for(language))


def local_datetime(moment: datetime, tz_name: str, language: str | None = None) -> str:
    """E.g. "Saturday, 14 March 2026, 20:00": the theater's clock, in full."""
    return format_datetime(
        to_local(moment, tz_name), "EEEE, d MMMM y, HH:mm", locale=locale_for(language)
    )
