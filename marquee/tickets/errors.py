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


def already_checked_in(checked_in_at: datetime, device: str = "") -> TicketError:
    details = {"checked_in_at": api_datetime(checked_in_at)}
    if device:
        details["device"] = device
    return TicketError(
        "This ticket was already checked in.",
        code="already_checked_in",
        status_code=status.HTTP_409_CONFLICT,
        details=details,
    )


def wrong_showtime(details: dict) -> TicketError:
    return TicketError(
        "This ticket is for another showtime.",
        code="wrong_showtime",
        status_code=status.HTTP_409_CONFLICT,
        details=details,
    )


def wrong_screen(details: dict) -> TicketError:
    return TicketError(
        "This ticket is for another screen.",
        code="wrong_screen",
        status_code=status.HTTP_409_CONFLICT,
        details=details,
    )


def not_checked_in() -> TicketError:
    return TicketError(
        "This ticket is not checked in, so it cannot go out.",
        code="not_checked_in",
        status_code=status.HTTP_409_CONFLICT,
    )


def reentry_not_allowed() -> TicketError:
    return TicketError(
        "This showtime does not allow leaving and coming back in.",
        code="reentry_not_allowed",
        status_code=status.HTTP_409_CONFLICT,
    )


def scan_not_found() -> TicketError:
    return TicketError(
        "No such scan.", code="scan_not_found", status_code=status.HTTP_404_NOT_FOUND
    )


def scan_not_undoable(reason: str) -> TicketError:
    messages = {
        "undo_window_passed": "This scan is too old to be undone.",
        "undo_not_latest": "A later scan of this ticket must be undone first.",
        "scan_not_undoable": "Only an admission or an exit can be undone.",
    }
    return TicketError(messages[reason], code=reason, status_code=status.HTTP_409_CONFLICT)


def nonce_reused() -> TicketError:
    return TicketError(
        "This scan nonce was already used for another scan.",
        code="nonce_reused",
        status_code=status.HTTP_409_CONFLICT,
    )


def showtimes_not_found(showtime_ids: list[int]) -> TicketError:
    return TicketError(
        "No such showtime.",
        code="showtime_not_found",
        status_code=status.HTTP_404_NOT_FOUND,
        details={"showtimes": showtime_ids},
    )


def invalid_cursor() -> TicketError:
    return TicketError("This is not a cursor of the check-in list.", code="invalid_cursor")


def booking_not_confirmed(booking_status: str) -> TicketError:
    return TicketError(
        f"This booking is {booking_status}; only a confirmed booking has e-tickets to send.",
        code="booking_not_confirmed",
        status_code=status.HTTP_409_CONFLICT,
        details={"status": booking_status},
    )
