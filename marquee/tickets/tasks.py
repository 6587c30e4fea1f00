"""Celery tasks of the email outbox: each takes ids, re-reads the database, and is safe to run
again. None of them raises on mail server trouble: the outbox records it and retries
(marquee/tickets/outbox.py), so in-process (eager) runs never break a web request.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from marquee.tickets import outbox, services
from marquee.tickets.models import EmailKind

logger = logging.getLogger("marquee.tickets")


@shared_task
def send_email_delivery(delivery_id: int) -> str:
    """Queued after the commit that wrote the row: send it at once."""
    return outbox.email_delivery_send(delivery_id=delivery_id).value


@shared_task
def send_pending_emails() -> dict:
    """Periodic (beat, every minute): send what is due, retries and rows whose task was lost."""
    return asdict(outbox.email_deliveries_send_due())


@shared_task
def send_showtime_reminders() -> int:
    """Periodic (beat): queue one reminder per confirmed booking whose show starts soon."""
    queued = outbox.showtime_reminders_queue()
    if queued:
        logger.info("showtime reminders queued", extra={"count": queued})
    return queued


@shared_task
def prune_email_deliveries() -> int:
    """Periodic (beat, daily): forget finished rows past EMAIL_DELIVERY_RETENTION_DAYS."""
    return outbox.email_deliveries_prune()


@shared_task
def prune_door_scans() -> int:
    """Periodic (beat, daily): forget the scans of shows over for DOOR_SCAN_RETENTION_DAYS."""
    return services.door_scans_prune(retention_days=settings.DOOR_SCAN_RETENTION_DAYS)


# The task names of the release before the outbox. Messages that release's web processes
# queued during a rolling upgrade land here and are put in the outbox, once each (the same
# keys the new code uses). Remove them in the release after.


@shared_task
def send_booking_confirmation(booking_id: int) -> None:
    outbox.email_queue(
        kind=EmailKind.CONFIRMATION,
        booking_id=booking_id,
        dedupe_key=f"confirmation:{booking_id}",
    )


@shared_task
def send_booking_cancellation(booking_id: int) -> None:
    outbox.email_queue(
        kind=EmailKind.CANCELLATION,
        booking_id=booking_id,
        dedupe_key=f"cancellation:{booking_id}",
    )


@shared_task
def send_refund_notice(booking_id: int, amount: str, currency: str) -> None:
    outbox.email_queue(
        kind=EmailKind.REFUND,
        booking_id=booking_id,
        amount=amount,
        currency=currency,
        dedupe_key=f"refund-legacy:{booking_id}:{amount}:{currency}"[:64],
    )


@shared_task
def send_showtime_reminder(booking_id: int) -> None:
    outbox.showtime_reminder_queue(booking_id=booking_id, now=timezone.now())
