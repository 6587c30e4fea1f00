"""Reads: the seat map of a showtime and the bookings a caller may see."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from marquee.booking import errors
from marquee.booking.models import Booking, BookingStatus, Ticket, TicketStatus
from marquee.booking.pricing import showtime_price_table
from marquee.catalog.layout import screen_layout
from marquee.catalog.models import Showtime
from marquee.common.permissions import is_staff_member
from marquee.common.time import to_local

AVAILABLE, HELD, SOLD = "available", "held", "sold"


def showtime_seat_map(*, showtime_id: int, now: datetime | None = None) -> dict:
    """Every seat with its status and price, in two queries once the layout is cached.

    Built as plain dicts: a 500-seat hall must not cost 500 serializer objects.
    """
    now = now or timezone.now()
    showtime = (
        Showtime.objects.select_related("screen__theater", "movie").filter(pk=showtime_id).first()
    )
    if showtime is None:
        raise errors.showtime_not_found()
    layout = screen_layout(showtime.screen_id)
    prices = showtime_price_table(showtime)
    taken = dict(
        Ticket.objects.filter(showtime_id=showtime_id)
        .filter(Q(status=TicketStatus.SOLD) | Q(status=TicketStatus.HELD, held_until__gt=now))
        .order_by()  # a dict is built: no sort needed
        .values_list("seat_id", "status")
    )
    price_text = {tier: str(price) for tier, price in prices.items()}
    counts = {AVAILABLE: 0, HELD: 0, SOLD: 0}
    seats = []
    for seat in layout:
        status = taken.get(seat.id, AVAILABLE)
        counts[status] += 1
        seats.append(
            {
                "id": seat.id,
                "row": seat.row_label,
                "number": seat.number,
                "tier": seat.tier,
                "kind": seat.kind,
                "x": seat.x,
                "y": seat.y,
                "status": status,
                "price": price_text[seat.tier],
            }
        )
    theater = showtime.screen.theater
    return {
        "showtime": {
            "id": showtime.pk,
            "movie": {"id": showtime.movie_id, "title": showtime.movie.title},
            "theater": {"id": theater.pk, "name": theater.name, "timezone": theater.timezone},
            "screen": {"id": showtime.screen_id, "name": showtime.screen.name},
            "starts_at": showtime.starts_at.isoformat(),
            "local_starts_at": to_local(showtime.starts_at, theater.timezone).isoformat(),
            "status": showtime.status,
            "on_sale": showtime.is_scheduled and showtime.starts_at > now,
        },
        "currency": showtime.currency,
        "prices": price_text,
        "counts": {**counts, "total": len(layout)},
        "seats": seats,
    }


def _with_details(queryset: QuerySet[Booking]) -> QuerySet[Booking]:
    return queryset.select_related(
        "user", "showtime__movie", "showtime__screen__theater"
    ).prefetch_related(
        Prefetch(
            "tickets", queryset=Ticket.objects.select_related("seat").order_by("seat__y", "seat__x")
        )
    )


def booking_list(*, user, filters: dict | None = None, all_bookings: bool = False):
    """The caller's bookings; staff with all_bookings=True see everyone's."""
    filters = filters or {}
    queryset = Booking.objects.all()
    if not (all_bookings and is_staff_member(user)):
        queryset = queryset.filter(user=user)
    elif filters.get("user"):
        queryset = queryset.filter(user_id=filters["user"])
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("showtime"):
        queryset = queryset.filter(showtime_id=filters["showtime"])
    when = filters.get("when")
    if when == "upcoming":
        queryset = queryset.filter(showtime__starts_at__gt=timezone.now())
    elif when == "past":
        queryset = queryset.filter(showtime__starts_at__lte=timezone.now())
    return _with_details(queryset).order_by("-created_at", "-pk")


def booking_get(*, user, public_id) -> Booking:
    """One booking the caller may see; anyone else's is simply not found."""
    queryset = _with_details(Booking.objects.filter(public_id=public_id))
    if not is_staff_member(user):
        queryset = queryset.filter(user=user)
    booking = queryset.prefetch_related("events").first()
    if booking is None:
        raise errors.BookingError("No such booking.", code="booking_not_found", status_code=404)
    return booking


def booking_display_status(booking: Booking, now: datetime | None = None) -> str:
    """A pending booking whose hold lapsed reads `expired` before any sweeper has run."""
    now = now or timezone.now()
    if booking.status == BookingStatus.PENDING and booking.expires_at <= now:
        return BookingStatus.EXPIRED
    return booking.status
