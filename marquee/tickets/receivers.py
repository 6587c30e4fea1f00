"""Emails in answer to booking signals, queued only once the booking's transaction commits."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from marquee.booking.models import BookingStatus
from marquee.booking.signals import booking_cancelled, booking_confirmed
from marquee.tickets import tasks

CANCELLATION_NOTICE_FROM = {BookingStatus.PENDING, BookingStatus.CONFIRMED}


@receiver(booking_confirmed, dispatch_uid="tickets-email-booking-confirmed")
def _email_confirmation(sender, booking, **kwargs) -> None:
    booking_id = booking.pk
    # robust: a broker outage after the commit is logged; the booking stays confirmed.
    transaction.on_commit(lambda: tasks.send_booking_confirmation.delay(booking_id), robust=True)


@receiver(booking_cancelled, dispatch_uid="tickets-email-booking-cancelled")
def _email_cancellation(sender, booking, previous_status=None, **kwargs) -> None:
    if previous_status not in CANCELLATION_NOTICE_FROM:
        return
    booking_id = booking.pk
    transaction.on_commit(lambda: tasks.send_booking_cancellation.delay(booking_id), robust=True)
