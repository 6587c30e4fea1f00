"""The live seat map's stable error codes (its statuses: `marquee.common.errors.HTTP_STATUS`)."""

from enum import StrEnum


class LiveErrorCode(StrEnum):
    SHOWTIME_NOT_FOUND = "showtime_not_found"  # the same code as the booking engine's
    LIVE_FULL = "live_full"  # this process serves LIVE_MAX_VIEWERS streams already
    LIVE_UNAVAILABLE = "live_unavailable"  # Redis (or the database) did not answer
    LIVE_NEEDS_ASGI = "live_needs_asgi"  # a WSGI server, and no LIVE_URL to send it to
    METHOD_NOT_ALLOWED = "method_not_allowed"  # the stream opens with GET only (DRF's code)
