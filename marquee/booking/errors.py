"""The booking engine's error codes: stable strings clients can act on."""

from rest_framework import status

from marquee.common.errors import ApplicationError


class BookingError(ApplicationError):
    default_code = "booking_error"


def showtime_not_found() -> BookingError:
    return BookingError("No such showtime.", code="showtime_not_found", status_code=404)


def showtime_cancelled() -> BookingError:
    return BookingError("This showtime was cancelled.", code="showtime_cancelled", status_code=409)


def showtime_started() -> BookingError:
    return BookingError(
        "This showtime has already started.", code="showtime_started", status_code=409
    )


class SeatsUnavailable(BookingError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "seats_unavailable"

    def __init__(self, seat_ids):
        self.seat_ids = sorted(seat_ids)
        super().__init__(
            "Some of these seats are already taken.",
            code="seats_unavailable",
            details={"seat_ids": self.seat_ids},
        )


class SeatsBusy(BookingError):
    """A lock wait or deadlock on the seats: the answer is 'try again', never a 500."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "seats_busy"

    def __init__(self):
        super().__init__(
            "These seats are being booked by someone else right now; try again.",
            code="seats_busy",
            details={"retry_after_seconds": 1},
        )


class HoldLimitReached(BookingError):
    """One customer may hold only so many seats at once (at a showtime, and in all)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "hold_limit_reached"

    def __init__(self, *, scope: str, limit: int, held: int, requested: int):
        where = "at this showtime" if scope == "showtime" else "over all showtimes"
        super().__init__(
            f"You may hold at most {limit} seats at once {where}; you hold {held}. Pay for or "
            "cancel a held booking first.",
            code="hold_limit_reached",
            details={"scope": scope, "limit": limit, "held": held, "requested": requested},
        )
