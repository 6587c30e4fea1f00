"""The reports app's stable error codes: clients branch on these, so never rename one."""

from enum import StrEnum


class ReportErrorCode(StrEnum):
    INVALID_RANGE = "invalid_range"
    RANGE_TOO_LARGE = "range_too_large"
