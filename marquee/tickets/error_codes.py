"""The tickets app's stable error codes: a door scanner or an app branches on these."""

from enum import StrEnum


class TicketErrorCode(StrEnum):
    TICKET_ERROR = "ticket_error"
    INVALID_TICKET_CODE = "invalid_ticket_code"
    TICKET_NOT_FOUND = "ticket_not_found"
    TICKET_NOT_VALID = "ticket_not_valid"
    SHOWTIME_CANCELLED = "showtime_cancelled"
    WRONG_DAY = "wrong_day"
    ALREADY_CHECKED_IN = "already_checked_in"
    BOOKING_NOT_CONFIRMED = "booking_not_confirmed"
