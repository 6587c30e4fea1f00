"""Reads for the site's pages, grouped the way a moviegoer looks for a show: by day on the
theater's own clock, then by theater, then by movie. Built on the catalog's selectors; no rule
lives here (what is bookable is the booking service's question)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Min, Q
from django.utils import timezone

from marquee.booking.models import Booking, BookingStatus, SalesChannel
from marquee.catalog import selectors as catalog
from marquee.catalog.models import Movie, Showtime, ShowtimeStatus, Theater
from marquee.common.time import to_local

if TYPE_CHECKING:
    from marquee.accounts.models import User

LISTING_DAYS = 7


@dataclass
class MovieShowtimes:
    movie: Movie
    showtimes: list[Showtime] = field(default_factory=list)


@dataclass
class TheaterDay:
    theater: Theater
    movies: list[MovieShowtimes] = field(default_factory=list)


@dataclass
class Listing:
    days: list[date]  # days (theater-local) with at least one show, in order
    day: date | None  # the day shown
    theaters: list[TheaterDay]
    coming_soon: list[Movie]
    theater_choices: list[Theater]
    theater: Theater | None


def _local_day(showtime: Showtime) -> date:
    return to_local(showtime.starts_at, showtime.screen.theater.timezone).date()


def _upcoming(now: datetime, theater_id: int | None):
    showtimes = (
        catalog.showtime_list(include_past=False, now=now)
        .filter(status=ShowtimeStatus.SCHEDULED, starts_at__lt=now + timedelta(days=31))
        .select_related("movie")
        .prefetch_related("movie__genres")
    )
    if theater_id is not None:
        showtimes = showtimes.filter(screen__theater_id=theater_id)
    return showtimes


def home_listing(
    *, day: date | None = None, theater_id: int | None = None, now: datetime | None = None
) -> Listing:
    """What is on: the first `LISTING_DAYS` days with shows from today on, the shows of `day`
    (default: the first of them) by theater and movie, and the movies coming later."""
    now = now or timezone.now()
    theaters = list(Theater.objects.order_by("name"))
    theater = next((t for t in theaters if t.pk == theater_id), None)
    by_day: dict[date, list[Showtime]] = defaultdict(list)
    later_movies: dict[int, Movie] = {}
    for showtime in _upcoming(now, theater.pk if theater else None):
        by_day[_local_day(showtime)].append(showtime)
    days = sorted(by_day)[:LISTING_DAYS]
    for listed_day in sorted(by_day)[LISTING_DAYS:]:
        for showtime in by_day[listed_day]:
            later_movies.setdefault(showtime.movie_id, showtime.movie)
    chosen = day if day in by_day else (days[0] if days else None)
    grouped: dict[int, TheaterDay] = {}
    for showtime in by_day[chosen] if chosen is not None else []:
        screen_theater = showtime.screen.theater
        theater_day = grouped.setdefault(screen_theater.pk, TheaterDay(screen_theater))
        entry = next((m for m in theater_day.movies if m.movie.pk == showtime.movie_id), None)
        if entry is None:
            entry = MovieShowtimes(showtime.movie)
            theater_day.movies.append(entry)
        entry.showtimes.append(showtime)
    for theater_day in grouped.values():
        theater_day.movies.sort(key=lambda m: m.movie.title)
    showing = {m.movie.pk for t in grouped.values() for m in t.movies}
    showing |= {s.movie_id for d in days for s in by_day[d]}
    today = timezone.localdate(now)
    coming = [m for m in later_movies.values() if m.pk not in showing]
    coming += list(
        catalog.movie_list()
        .filter(release_date__gt=today)
        .exclude(pk__in=showing | {m.pk for m in coming})
        .order_by("release_date", "title")[:12]
    )
    return Listing(
        days=days,
        day=chosen,
        theaters=sorted(grouped.values(), key=lambda t: t.theater.name),
        coming_soon=coming[:12],
        theater_choices=theaters,
        theater=theater,
    )


@dataclass
class ShowtimeDay:
    day: date
    theaters: list[tuple[Theater, list[Showtime]]]


def movie_showtimes(*, movie_id: int, now: datetime | None = None) -> list[ShowtimeDay]:
    """The movie's bookable shows by theater-local day, then theater, earliest first."""
    now = now or timezone.now()
    days: dict[date, dict[int, tuple[Theater, list[Showtime]]]] = defaultdict(dict)
    for showtime in catalog.showtime_upcoming_for_movie(movie_id=movie_id, now=now):
        theater = showtime.screen.theater
        days[_local_day(showtime)].setdefault(theater.pk, (theater, []))[1].append(showtime)
    return [
        ShowtimeDay(day, sorted(days[day].values(), key=lambda entry: entry[0].name))
        for day in sorted(days)
    ]


def movie_next_show(*, movie_id: int, now: datetime | None = None):
    return (
        Showtime.objects.filter(
            movie_id=movie_id, status=ShowtimeStatus.SCHEDULED, starts_at__gt=now or timezone.now()
        )
        .aggregate(first=Min("starts_at"))
        .get("first")
    )


def bookings_for_page(*, user: User, upcoming: bool, now: datetime | None = None):
    """The caller's bookings, upcoming (shows not started) or past, soonest or latest first
    (a cashier's walk-in sales are the box office's, not theirs)."""
    now = now or timezone.now()
    queryset = Booking.objects.filter(user=user, channel=SalesChannel.ONLINE).select_related(
        "showtime__movie", "showtime__screen__theater"
    )
    # Abandoned holds are noise in a list of one's tickets; the history stays in the admin.
    queryset = queryset.exclude(
        Q(status=BookingStatus.EXPIRED)
        | Q(status=BookingStatus.PENDING, expires_at__lte=now)
        | Q(status=BookingStatus.CANCELLED, payments__isnull=True)
    ).prefetch_related("tickets__seat")
    if upcoming:
        return queryset.filter(showtime__starts_at__gt=now).order_by("showtime__starts_at", "pk")
    return queryset.filter(showtime__starts_at__lte=now).order_by("-showtime__starts_at", "-pk")
