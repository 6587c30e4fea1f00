"""Reads: the tickets a caller may see, bookings rendered into emails, reminders due."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Prefetch

from marquee.booking.models import Booking, BookingStatus, Ticket, TicketStatus
from marquee.catalog.models import ShowtimeStatus
from marquee.common.permissions import is_staff_member
from marquee.tickets import errors
from marquee.tickets.codes import MAX_TICKET_ID

if TYPE_CHECKING:
    from marquee.accounts.models import User


def ticket_get_for_qr(*, user: User, ticket_id: int) -> Ticket:
    """A sold ticket of the caller's own booking (staff: anyone's); others' are not found."""
    if not 1 <= ticket_id <= MAX_TICKET_ID:
        raise errors.ticket_not_found()
    queryset = Ticket.objects.filter(pk=ticket_id)
    if not is_staff_member(user):
        queryset = queryset.filter(booking__user=user)
    ticket = queryset.only("pk", "secret", "status").first()
    if ticket is None:
        raise errors.ticket_not_found()
    if ticket.status != TicketStatus.SOLD:
        raise errors.ticket_not_valid(ticket.status)
    return ticket


def _with_what_a_buyer_sees():
    return Booking.objects.select_related(
        "user", "showtime__movie", "showtime__screen__theater"
    ).prefetch_related(
        Prefetch(
            "tickets",
            queryset=Ticket.objects.select_related("seat").order_by("seat__y", "seat__x"),
        )
    )


def booking_get_for_email(*, booking_id: int) -> Booking | None:
    """A booking with everything an email shows: movie, theater, screen, seats, buyer."""
    return _with_what_a_buyer_sees().filter(pk=booking_id).first()


def booking_get_for_page(*, public_id: uuid.UUID) -> Booking | None:
    """The booking a signed booking-page link names, with what the page shows (two queries)."""
    return _with_what_a_buyer_sees().filter(public_id=public_id).first()


def booking_cancellation_event(*, booking: Booking):
    """The event that cancelled the booking (it says from which status), or None."""
    return booking.events.filter(to_status=BookingStatus.CANCELLED).order_by("-pk").first()


def booking_ids_due_for_reminder(
    *, now: datetime, within: timedelta, limit: int = 1000
) -> list[int]:
    """Confirmed bookings, not yet reminded, whose scheduled show starts within `within`."""
    return list(
        Booking.objects.filter(
            status=BookingStatus.CONFIRMED,
            reminded_at__isnull=True,
            showtime__status=ShowtimeStatus.SCHEDULED,
            showtime__starts_at__gt=now,
            showtime__starts_at__lte=now + within,
        )
        .order_by("showtime__starts_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
