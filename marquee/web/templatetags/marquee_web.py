"""Template filters for the site: money and moments as the visitor reads them."""

from __future__ import annotations

import zlib

from django import template

from marquee.common import formats

register = template.Library()
POSTER_HUES = 8


@register.filter
def money(amount, currency: str) -> str:
    """{{ booking.total|money:booking.currency }} -> "€25.00" / "25,00 €"."""
    return formats.money(amount, currency)


@register.filter
def theater_time(showtime) -> str:
    """{{ showtime|theater_time }} -> "20:00" on the theater's clock."""
    return formats.local_time(showtime.starts_at, showtime.screen.theater.timezone)


@register.filter
def theater_date(showtime) -> str:
    return formats.local_date(showtime.starts_at, showtime.screen.theater.timezone)


@register.filter
def theater_datetime(showtime) -> str:
    return formats.local_datetime(showtime.starts_at, showtime.screen.theater.timezone)


@register.filter
def moment_at(moment, theater) -> str:
    """{{ cutoff|moment_at:theater }}: any moment on a theater's clock, in full."""
    return formats.local_datetime(moment, theater.timezone)


@register.filter
def clock_at(moment, theater) -> str:
    """{{ booking.expires_at|clock_at:theater }}: the time of day on a theater's clock."""
    return formats.local_time(moment, theater.timezone)


@register.filter
def date_full(day) -> str:
    return formats.full_date(day)


@register.filter
def day_long(day) -> str:
    return formats.local_date(day)


@register.filter
def day_short(day) -> str:
    return formats.short_date(day)


@register.filter
def poster_hue(movie) -> int:
    """A stable colour (0-7) for a movie's drawn poster when it has no image."""
    return zlib.crc32(movie.title.encode()) % POSTER_HUES


@register.filter
def minutes(duration) -> int:
    """A timedelta in whole minutes (at least 1)."""
    return max(1, round(duration.total_seconds() / 60)) if duration else 1
