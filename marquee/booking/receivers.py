"""The booking engine's answers to catalog events, and its rule on catalog changes."""

from collections.abc import Sequence

from django.dispatch import receiver
from django.utils import timezone

from marquee.booking.error_codes import BookingErrorCode
from marquee.booking.errors import BookingError
from marquee.booking.services import active_seat_ids, bookings_cancel_for_showtime
from marquee.catalog.models import Showtime
from marquee.catalog.signals import showtime_cancelled


@receiver(showtime_cancelled, dispatch_uid="cancel-bookings-of-cancelled-showtime")
def _cancel_bookings(sender, showtime, cancelled_by=None, **kwargs) -> None:
    bookings_cancel_for_showtime(showtime=showtime, actor=cancelled_by)


def refuse_change_with_buyers(*, showtime: Showtime, fields: Sequence[str]) -> None:
    """Buyers paid for this film, at this place and time, in this currency: registered as a
    showtime change check (`marquee.catalog.hooks`) by BookingConfig.ready."""
    taken = active_seat_ids(showtime_id=showtime.pk, now=timezone.now())
    if taken:
        raise BookingError(
            "Seats of this showtime are held or sold: its movie, start time and currency can "
            "no longer change. Cancel it instead (buyers are refunded).",
            code=BookingErrorCode.SHOWTIME_HAS_BOOKINGS,
            details={"fields": list(fields), "seats_taken": len(taken)},
        )
