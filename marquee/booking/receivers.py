"""The booking engine's answers to catalog events."""

from django.dispatch import receiver

from marquee.booking.services import bookings_cancel_for_showtime
from marquee.catalog.signals import showtime_cancelled


@receiver(showtime_cancelled, dispatch_uid="cancel-bookings-of-cancelled-showtime")
def _cancel_bookings(sender, showtime, cancelled_by=None, **kwargs) -> None:
    bookings_cancel_for_showtime(showtime=showtime, actor=cancelled_by)
