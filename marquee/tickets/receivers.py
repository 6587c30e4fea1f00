"""Emails in answer to booking signals: written to the outbox in the booking's own transaction
(so they commit or roll back with it) and sent once it commits."""

from __future__ import annotations

from django.dispatch import receiver

from marquee.booking.models import BookingStatus
from marquee.booking.signals import booking_cancelled, booking_confirmed, tickets_cancelled
from marquee.tickets import outbox
from marquee.tickets.models import EmailKind

CANCELLATION_NOTICE_FROM = {BookingStatus.PENDING, BookingStatus.CONFIRMED}


@receiver(booking_confirmed, dispatch_uid="tickets-email-booking-confirmed")
def _email_confirmation(sender, booking, **kwargs) -> None:
    outbox.email_queue(
        kind=EmailKind.CONFIRMATION,
        booking_id=booking.pk,
        dedupe_key=f"confirmation:{booking.pk}",
    )


@receiver(booking_cancelled, dispatch_uid="tickets-email-booking-cancelled")
def _email_cancellation(sender, booking, previous_status=None, **kwargs) -> None:
    if previous_status not in CANCELLATION_NOTICE_FROM:
        return
    outbox.email_queue(
        kind=EmailKind.CANCELLATION,
        booking_id=booking.pk,
        dedupe_key=f"cancellation:{booking.pk}",
    )


@receiver(tickets_cancelled, dispatch_uid="tickets-email-tickets-returned")
def _email_tickets_returned(sender, booking, cancellation, **kwargs) -> None:
    outbox.email_queue(
        kind=EmailKind.TICKETS_RETURNED,
        booking_id=booking.pk,
        cancellation_id=cancellation.pk,
        dedupe_key=f"tickets-returned:{cancellation.pk}",
    )
