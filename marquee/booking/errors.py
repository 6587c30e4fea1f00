"""The booking engine's refusals: plain exceptions with a code from `BookingErrorCode`."""

from marquee.booking.error_codes import BookingErrorCode
from marquee.common.errors import DomainError


class BookingError(DomainError):
    default_code = BookingErrorCode.BOOKING_ERROR


def showtime_not_found() -> BookingError:
    return BookingError("No such showtime.", code=BookingErrorCode.SHOWTIME_NOT_FOUND)


def showtime_cancelled() -> BookingError:
    return BookingError("This showtime was cancelled.", code=BookingErrorCode.SHOWTIME_CANCELLED)


def showtime_started() -> BookingError:
    return BookingError(
        "This showtime has already started.", code=BookingErrorCode.SHOWTIME_STARTED
    )


def booking_not_found() -> BookingError:
    return BookingError("No such booking.", code=BookingErrorCode.BOOKING_NOT_FOUND)


class SeatsUnavailable(BookingError):
    default_code = BookingErrorCode.SEATS_UNAVAILABLE

    def __init__(self, seat_ids):
        self.seat_ids = sorted(seat_ids)
        super().__init__(
            "Some of these seats are already taken.",
            code=BookingErrorCode.SEATS_UNAVAILABLE,
            details={"seat_ids": self.seat_ids},
        )


class SeatsBusy(BookingError):
    """A lock wait or deadlock on the seats: the answer is 'try again', never a 500."""

    default_code = BookingErrorCode.SEATS_BUSY

    def __init__(self):
        super().__init__(
            "These seats are being booked by someone else right now; try again.",
            code=BookingErrorCode.SEATS_BUSY,
            details={"retry_after_seconds": 1},
        )


class HoldLimitReached(BookingError):
    """One customer may hold only so many seats at once (at a showtime, and in all)."""

    default_code = BookingErrorCode.HOLD_LIMIT_REACHED

    def __init__(self, *, scope: str, limit: int, held: int, requested: int):
        where = "at this showtime" if scope == "showtime" else "over all showtimes"
        super().__init__(
            f"You may hold at most {limit} seats at once {where}; you hold {held}. Pay for or "
            "cancel a held booking first.",
            code=BookingErrorCode.HOLD_LIMIT_REACHED,
            details={"scope": scope, "limit": limit, "held": held, "requested": requested},
        )
