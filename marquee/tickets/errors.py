"""The tickets app's error codes: stable strings a door scanner or an app can act on."""

from __future__ import annotations

from datetime import datetime

from rest_framework import status

from marquee.common.errors import ApplicationError
from marquee.common.time import api_datetime, iso_with_offset


class TicketError(ApplicationError):
    default_code = "ticket_error"


def invalid_ticket_code() -> TicketError:
    return TicketError("This is not a valid ticket code.", code="invalid_ticket_code")


def ticket_not_found() -> TicketError:
    return TicketError(
        "No such ticket.", code="ticket_not_found", status_code=status.HTTP_404_NOT_FOUND
    )


def ticket_not_valid(ticket_status: str) -> TicketError:
    return TicketError(
        f"This ticket is {ticket_status}, not valid for entry.",
        code="ticket_not_valid",
        status_code=status.HTTP_409_CONFLICT,
        details={"status": ticket_status},
    )


def showtime_cancelled() -> TicketError:
    return TicketError(
        "This showtime was cancelled.",
        code="showtime_cancelled",
        status_code=status.HTTP_409_CONFLICT,
    )


def wrong_day(local_starts_at: datetime) -> TicketError:
    return TicketError(
        "This ticket is for a showtime on another day.",
        code="wrong_day",
        status_code=status.HTTP_409_CONFLICT,
        details={"local_starts_at": iso_with_offset(local_starts_at)},
    )


def already_checked_in(checked_in_at: datetime) -> TicketError:
    return TicketError(
        "This ticket was already checked in.",
        code="already_checked_in",
        status_code=status.HTTP_409_CONFLICT,
        details={"checked_in_at": api_datetime(checked_in_at)},
    )


def booking_not_confirmed(booking_status: str) -> TicketError:
    return TicketError(
        f"This booking is {booking_status}; only a confirmed booking has e-tickets to send.",
        code="booking_not_confirmed",
        status_code=status.HTTP_409_CONFLICT,
        details={"status": booking_status},
    )
