"""Catalog reads. Each returns rows with what its callers render already joined (no N+1)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from marquee.catalog.models import Genre, Movie, Screen, Seat, Showtime, ShowtimeStatus, Theater
from marquee.common.errors import CommonErrorCode, DomainError
from marquee.common.time import is_valid_timezone, local_day_bounds, to_local


def _seat_count(screen_ref: str) -> Coalesce:
    seats = (
        Seat.objects.filter(screen_id=OuterRef(screen_ref))
        .order_by()
        .values("screen_id")
        .annotate(total=Count("id"))
        .values("total")
    )
    return Coalesce(Subquery(seats, output_field=IntegerField()), Value(0))


def _get(queryset: QuerySet, pk, what: str):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise DomainError(
            f"{what} not found.", code=CommonErrorCode.NOT_FOUND, details={"id": str(pk)}
        ) from None


def genre_list() -> QuerySet[Genre]:
    return Genre.objects.all()


def movie_list() -> QuerySet[Movie]:
    """Movies with their genres prefetched (one extra query for any number of movies)."""
    return Movie.objects.prefetch_related("genres")


def movie_get(*, movie_id) -> Movie:
    return _get(movie_list(), movie_id, "Movie")


def theater_list() -> QuerySet[Theater]:
    # An aggregate drops Meta.ordering, so the order is explicit.
    return Theater.objects.annotate(screen_count=Count("screens")).order_by("name", "id")


def theater_get(*, theater_id) -> Theater:
    return _get(theater_list(), theater_id, "Theater")


def screen_list() -> QuerySet[Screen]:
    """Screens with their theater and seat count."""
    return Screen.objects.select_related("theater").annotate(seat_count=_seat_count("pk"))


def screen_get(*, screen_id) -> Screen:
    return _get(screen_list(), screen_id, "Screen")


def seat_list(*, screen_id: int) -> QuerySet[Seat]:
    """The seats of one screen, front row first, left to right."""
    return Seat.objects.filter(screen_id=screen_id).order_by("y", "x")


def showtime_list(*, include_past: bool = True, now: datetime | None = None) -> QuerySet[Showtime]:
    """Showtimes with movie, screen, theater and capacity loaded, earliest first."""
    queryset = Showtime.objects.select_related("movie", "screen__theater").annotate(
        capacity=_seat_count("screen_id")
    )
    if not include_past:
        queryset = queryset.filter(starts_at__gte=now or timezone.now())
    return queryset.order_by("starts_at", "id")


def showtime_get(*, showtime_id) -> Showtime:
    """One showtime with movie, screen, theater and capacity loaded; else `not_found`."""
    return _get(showtime_list(), showtime_id, "Showtime")


def showtime_upcoming_for_movie(*, movie_id: int, now: datetime | None = None):
    """The movie's scheduled showtimes that have not started yet."""
    return showtime_list(include_past=False, now=now).filter(
        movie_id=movie_id, status=ShowtimeStatus.SCHEDULED
    )


def showtime_overlapping(
    *, screen_id: int, starts_at: datetime, ends_at: datetime, exclude_id: int | None = None
) -> Showtime | None:
    """The first scheduled showtime on the screen whose [start, end) meets [starts_at, ends_at)."""
    queryset = Showtime.objects.filter(
        screen_id=screen_id,
        status=ShowtimeStatus.SCHEDULED,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.order_by("starts_at").first()


def starts_on_local_day_q(day: date, *, prefix: str = "") -> Q:
    """Showtimes starting on `day` in their own theater's timezone (one query for the zones)."""
    condition = Q(pk__in=[])
    zones = Theater.objects.order_by().values_list("timezone", flat=True).distinct()
    for zone in zones:
        if not is_valid_timezone(zone):
            continue
        try:
            start, end = local_day_bounds(day, zone)
        except OverflowError:  # the first or last representable day: nothing starts then
            continue
        condition |= Q(
            **{
                f"{prefix}screen__theater__timezone": zone,
                f"{prefix}starts_at__gte": start,
                f"{prefix}starts_at__lt": end,
            }
        )
    return condition


def starts_within_local_days_q(*, first: int, last: int, now: datetime | None = None) -> Q:
    """Showtimes starting from `first` to `last` days after today (0: today, inclusive), each
    counted in its own theater's timezone."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    zones = Theater.objects.order_by().values_list("timezone", flat=True).distinct()
    for zone in zones:
        if not is_valid_timezone(zone):
            continue
        today = to_local(now, zone).date()
        try:
            start = local_day_bounds(today + timedelta(days=first), zone)[0]
            end = local_day_bounds(today + timedelta(days=last), zone)[1]
        except OverflowError:
            continue
        condition |= Q(screen__theater__timezone=zone, starts_at__gte=start, starts_at__lt=end)
    return condition


def movie_ids_showing(
    *, day: date | None = None, theater_id: int | None = None, now: datetime | None = None
) -> QuerySet:
    """Ids of movies with a scheduled showtime on `day` (local) and/or at the theater.

    Both conditions hold for the *same* showtime. Without a day, only upcoming showtimes count.
    """
    showtimes = Showtime.objects.filter(status=ShowtimeStatus.SCHEDULED)
    if day is not None:
        showtimes = showtimes.filter(starts_on_local_day_q(day))
    else:
        showtimes = showtimes.filter(starts_at__gte=now or timezone.now())
    if theater_id is not None:
        showtimes = showtimes.filter(screen__theater_id=theater_id)
    return showtimes.order_by().values("movie_id")
