"""The reports app's stable error codes: clients branch on these, so never rename one."""

from enum import StrEnum


class ReportErrorCode(StrEnum):
    INVALID_RANGE = "invalid_range"
    RANGE_TOO_LARGE = "range_too_large"
    SCREEN_NOT_FOUND = "screen_not_found"
    THEATER_NOT_FOUND = "theater_not_found"
