"""The tickets app's error codes: stable strings a door scanner or an app can act on."""

from __future__ import annotations

from datetime import datetime

from marquee.common.errors import DomainError
from marquee.common.time import api_datetime, iso_with_offset
from marquee.tickets.error_codes import TicketErrorCode


class TicketError(DomainError):
    default_code = TicketErrorCode.TICKET_ERROR


def invalid_ticket_code() -> TicketError:
    return TicketError("This is not a valid ticket code.", code=TicketErrorCode.INVALID_TICKET_CODE)


def ticket_not_found() -> TicketError:
    return TicketError("No such ticket.", code=TicketErrorCode.TICKET_NOT_FOUND)


def ticket_not_valid(ticket_status: str) -> TicketError:
    return TicketError(
        f"This ticket is {ticket_status}, not valid for entry.",
        code=TicketErrorCode.TICKET_NOT_VALID,
        details={"status": ticket_status},
    )


def showtime_cancelled() -> TicketError:
    return TicketError(
        "This showtime was cancelled.",
        code=TicketErrorCode.SHOWTIME_CANCELLED,
    )


def wrong_day(local_starts_at: datetime) -> TicketError:
    return TicketError(
        "This ticket is for a showtime on another day.",
        code=TicketErrorCode.WRONG_DAY,
        details={"local_starts_at": iso_with_offset(local_starts_at)},
    )


def already_checked_in(checked_in_at: datetime) -> TicketError:
    return TicketError(
        "This ticket was already checked in.",
        code=TicketErrorCode.ALREADY_CHECKED_IN,
        details={"checked_in_at": api_datetime(checked_in_at)},
    )


def booking_not_confirmed(booking_status: str) -> TicketError:
    return TicketError(
        f"This booking is {booking_status}; only a confirmed booking has e-tickets to send.",
        code=TicketErrorCode.BOOKING_NOT_CONFIRMED,
        details={"status": booking_status},
    )
