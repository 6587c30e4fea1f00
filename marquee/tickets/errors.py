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


def already_checked_in(checked_in_at: datetime, device: str = "") -> TicketError:
    details = {"checked_in_at": api_datetime(checked_in_at)}
    if device:
        details["device"] = device
    return TicketError(
        "This ticket was already checked in.",
        code=TicketErrorCode.ALREADY_CHECKED_IN,
        details=details,
    )


def wrong_showtime(details: dict) -> TicketError:
    return TicketError(
        "This ticket is for another showtime.", code=TicketErrorCode.WRONG_SHOWTIME, details=details
    )


def wrong_screen(details: dict) -> TicketError:
    return TicketError(
        "This ticket is for another screen.", code=TicketErrorCode.WRONG_SCREEN, details=details
    )


def not_checked_in() -> TicketError:
    return TicketError(
        "This ticket is not checked in, so it cannot go out.", code=TicketErrorCode.NOT_CHECKED_IN
    )


def reentry_not_allowed() -> TicketError:
    return TicketError(
        "This showtime does not allow leaving and coming back in.",
        code=TicketErrorCode.REENTRY_NOT_ALLOWED,
    )


def scan_not_found() -> TicketError:
    return TicketError("No such scan.", code=TicketErrorCode.SCAN_NOT_FOUND)


UNDO_REFUSALS = {
    TicketErrorCode.UNDO_WINDOW_PASSED: "This scan is too old to be undone.",
    TicketErrorCode.UNDO_NOT_LATEST: "A later scan of this ticket must be undone first.",
    TicketErrorCode.SCAN_NOT_UNDOABLE: "Only an admission or an exit can be undone.",
}


def scan_not_undoable(code: TicketErrorCode) -> TicketError:
    return TicketError(UNDO_REFUSALS[code], code=code)


def nonce_reused() -> TicketError:
    return TicketError(
        "This scan nonce was already used for another scan.", code=TicketErrorCode.NONCE_REUSED
    )


def showtimes_not_found(showtime_ids: list[int]) -> TicketError:
    return TicketError(
        "No such showtime.",
        code=TicketErrorCode.SHOWTIME_NOT_FOUND,
        details={"showtimes": showtime_ids},
    )


def invalid_cursor() -> TicketError:
    return TicketError(
        "This is not a cursor of the check-in list.", code=TicketErrorCode.INVALID_CURSOR
    )


def booking_not_confirmed(booking_status: str) -> TicketError:
    return TicketError(
        f"This booking is {booking_status}; only a confirmed booking has e-tickets to send.",
        code=TicketErrorCode.BOOKING_NOT_CONFIRMED,
        details={"status": booking_status},
    )
