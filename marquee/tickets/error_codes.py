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
    # The door (marquee/tickets/door_api.py)
    WRONG_SHOWTIME = "wrong_showtime"
    WRONG_SCREEN = "wrong_screen"
    NOT_CHECKED_IN = "not_checked_in"
    REENTRY_NOT_ALLOWED = "reentry_not_allowed"
    NONCE_REUSED = "nonce_reused"
    SCAN_NOT_FOUND = "scan_not_found"
    UNDO_WINDOW_PASSED = "undo_window_passed"
    UNDO_NOT_LATEST = "undo_not_latest"
    SCAN_NOT_UNDOABLE = "scan_not_undoable"
    SHOWTIME_NOT_FOUND = "showtime_not_found"
    INVALID_CURSOR = "invalid_cursor"
