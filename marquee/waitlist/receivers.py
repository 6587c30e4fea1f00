"""Seats freed by a cancellation go to the waiting list after the commit; a paid offer is
booked. (A hold that lapses frees seats without an event: beat's `offer_all` covers it.)"""

from django.db import transaction
from django.dispatch import receiver

from marquee.booking.signals import booking_cancelled, booking_confirmed, tickets_cancelled
from marquee.waitlist.models import EntryStatus, WaitlistEntry
from marquee.waitlist.services import waitlist_mark_booked


def _offer_after_commit(showtime_id: int) -> None:
    if not WaitlistEntry.objects.filter(
        showtime_id=showtime_id, status=EntryStatus.WAITING
    ).exists():
        return
    from marquee.waitlist.tasks import offer_freed_seats

    transaction.on_commit(lambda: offer_freed_seats.delay(showtime_id), robust=True)


@receiver(booking_cancelled, dispatch_uid="waitlist-offer-after-cancellation")
def _after_cancellation(sender, booking, **kwargs) -> None:
    _offer_after_commit(booking.showtime_id)


@receiver(tickets_cancelled, dispatch_uid="waitlist-offer-after-tickets-given-back")
def _after_tickets_given_back(sender, booking, **kwargs) -> None:
    _offer_after_commit(booking.showtime_id)


@receiver(booking_confirmed, dispatch_uid="waitlist-offer-paid")
def _after_confirmation(sender, booking, **kwargs) -> None:
    waitlist_mark_booked(booking=booking)
