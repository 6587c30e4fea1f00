"""Time at the edges: store UTC, show and reason in the theater's own timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rest_framework.fields import DateTimeField

_API_DATETIME = DateTimeField()


def is_valid_timezone(name: str) -> bool:
    if not name or name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """The UTC instants where `day` starts and ends in timezone `tz_name`."""
    tz = ZoneInfo(tz_name)
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def api_datetime(moment: datetime) -> str:
    """A moment as every response body writes it (DRF's format: ISO 8601, `Z` for UTC), for
    the places that build JSON by hand, such as error details."""
    return _API_DATETIME.to_representation(moment)


def to_local(moment: datetime, tz_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz_name))


class NonexistentLocalTime(ValueError):
    """A wall-clock time the clocks skip (summer time begins)."""


class AmbiguousLocalTime(ValueError):
    """A wall-clock time the clocks show twice (summer time ends)."""


def from_local(wall_clock: datetime, tz_name: str) -> datetime:
    """The UTC moment a naive wall-clock time in timezone `tz_name` names. Refuses a time that
    does not exist there (`NonexistentLocalTime`) or happens twice (`AmbiguousLocalTime`)
    rather than guess."""
    tz = ZoneInfo(tz_name)
    first, second = wall_clock.replace(tzinfo=tz, fold=0), wall_clock.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall_clock:
        raise NonexistentLocalTime(wall_clock)
    raise AmbiguousLocalTime(wall_clock)


def local_iso(moment: datetime, tz_name: str) -> str:
    """`moment` in the theater's timezone, as an RFC 3339 date-time with that UTC offset
    (what responses call `local_...`)."""
    return iso_with_offset(to_local(moment, tz_name))


def iso_with_offset(moment: datetime) -> str:
    """An aware moment as RFC 3339 with its own offset. RFC 3339 offsets are whole minutes:
    the seconds of a zone's old local mean time (Berlin before 1893: +00:53:28) are rounded
    away from the offset, and the instant is kept."""
    offset = moment.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        rounded = timedelta(minutes=round(offset.total_seconds() / 60))
        moment = moment.astimezone(timezone(rounded))
    return moment.isoformat()
