"""The waiting list's stable error codes: clients branch on these, so never rename one."""

from enum import StrEnum


class WaitlistErrorCode(StrEnum):
    WAITLIST_ERROR = "waitlist_error"
    INVALID_SEAT_COUNT = "invalid_seat_count"
    SEATS_AVAILABLE = "seats_available"
    ALREADY_ON_WAITLIST = "already_on_waitlist"
    NOT_ON_WAITLIST = "not_on_waitlist"
