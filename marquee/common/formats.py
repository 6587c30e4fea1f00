"""Money and moments as a person reads them: in their language (Babel's CLDR data), a moment on
the theater's clock, an amount in the showtime's currency. Used by the site and the emails;
the API keeps its machine formats (ISO 8601, decimal strings)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
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


@lru_cache(maxsize=64)
def _without_year(locale: Locale) -> str:
    # The language's full date pattern less the year: "EEEE, MMMM d" / "EEEE, d. MMMM".
    return re.sub(r"[,\s]*y+[.\s]*", "", locale.date_formats["full"].pattern).strip()


def local_date(moment: datetime | date, tz_name: str | None = None, language=None) -> str:
    """E.g. "Saturday, March 14" / "Samstag, 14. März"."""
    day = to_local(moment, tz_name).date() if isinstance(moment, datetime) else moment
    locale = locale_for(language)
    return format_date(day, _without_year(locale), locale=locale)


def full_date(day: date, language: str | None = None) -> str:
    """E.g. "January 1, 2026" / "1. Januar 2026"."""
    return format_date(day, "long", locale=locale_for(language))


def short_date(day: date, language: str | None = None) -> str:
    """E.g. "Sat, Mar 14" / "Sa., 14. März": a day tab."""
    return format_skeleton("MMMEd", day, locale=locale_for(language))


def local_datetime(moment: datetime, tz_name: str, language: str | None = None) -> str:
    """E.g. "Saturday, March 14, 2026, 8:00 PM" / "Samstag, 14. März 2026, 20:00": the
    theater's clock, in full."""
    local = to_local(moment, tz_name)
    locale = locale_for(language)
    return (
        f"{format_date(local, 'full', locale=locale)}, {format_time(local, 'short', locale=locale)}"
    )
