"""Writes of the tickets app: checking a ticket in at the door, claiming a reminder.

The email outbox has its own module, marquee/tickets/outbox.py."""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from marquee.booking.models import Booking, BookingStatus, Ticket, TicketStatus
from marquee.catalog.models import Showtime, ShowtimeStatus
from marquee.common.locks import lock_rows
from marquee.common.time import to_local
from marquee.tickets import errors
from marquee.tickets.codes import parse_ticket_code

if TYPE_CHECKING:
    from marquee.accounts.models import User

logger = logging.getLogger("marquee.tickets")

# Around midnight "today" is ambiguous: a 23:45 show lets people in before midnight and
# latecomers after it, a 00:15 show lets them in the evening before.
DOORS_OPEN_BEFORE = timedelta(hours=1)


def _is_showtime_day(showtime: Showtime, now: datetime) -> bool:
    tz_name = showtime.screen.theater.timezone
    if to_local(now, tz_name).date() == to_local(showtime.starts_at, tz_name).date():
        return True
    return showtime.starts_at - DOORS_OPEN_BEFORE <= now <= showtime.ends_at


def ticket_check_in(*, code: str, staff_user: User, now: datetime | None = None) -> Ticket:
    """Let a sold ticket in once, on its showtime's day; a second scan is refused."""
    ticket_id, secret = parse_ticket_code(code)
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (
            lock_rows(Ticket.objects.filter(pk=ticket_id))
            .select_related("seat", "showtime__movie", "showtime__screen__theater", "booking__user")
            .first()
        )
        if ticket is None:
            raise errors.ticket_not_found()
        if not hmac.compare_digest(ticket.secret.encode(), secret.encode()):
            raise errors.invalid_ticket_code()
        if ticket.status != TicketStatus.SOLD:
            raise errors.ticket_not_valid(ticket.status)
        showtime = ticket.showtime
        if showtime.status == ShowtimeStatus.CANCELLED:
            raise errors.showtime_cancelled()
        if not _is_showtime_day(showtime, now):
            raise errors.wrong_day(to_local(showtime.starts_at, showtime.screen.theater.timezone))
        if ticket.checked_in_at is not None:
            raise errors.already_checked_in(ticket.checked_in_at)
        # The row lock already serializes scans; the condition keeps "once" true without it.
        admitted = Ticket.objects.filter(pk=ticket.pk, checked_in_at__isnull=True).update(
            checked_in_at=now, checked_in_by=staff_user
        )
        if not admitted:
            first = Ticket.objects.values_list("checked_in_at", flat=True).get(pk=ticket.pk)
            raise errors.already_checked_in(first or now)  # set, or the update would have run
    ticket.checked_in_at, ticket.checked_in_by = now, staff_user
    logger.info(
        "ticket checked in",
        extra={"ticket": ticket.pk, "showtime": showtime.pk, "staff": staff_user.pk},
    )
    return ticket


def booking_reminder_claim(*, booking_id: int, now: datetime) -> bool:
    """Mark the reminder queued; True only for the one caller that marked it first."""
    claimed = Booking.objects.filter(
        pk=booking_id, status=BookingStatus.CONFIRMED, reminded_at__isnull=True
    ).update(reminded_at=now)
    return bool(claimed)
