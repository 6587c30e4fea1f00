"""Celery tasks: each takes ids, re-reads the database, and is safe to run again.

Mail server trouble (SMTPException, or OSError for refused connections and timeouts) is
retried with exponential backoff; anything else is a bug and fails loudly.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone

from marquee.tickets import emails, selectors

logger = logging.getLogger("marquee.tickets")


class MailTask(Task):
    """Retries only on a worker: in-process (eager, no broker) a retry would run again at
    once, inside the web request; there the error is logged and the email given up."""

    def retry(self, *args, **kwargs):
        if self.request.is_eager and kwargs.get("exc") is not None:
            raise kwargs["exc"]
        return super().retry(*args, **kwargs)


MAIL_RETRY = {
    "base": MailTask,
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": True,  # 1 s, 2 s, 4 s, ... with jitter
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**MAIL_RETRY)
def send_booking_confirmation(booking_id: int) -> bool:
    return emails.send_booking_confirmation(booking_id)


@shared_task(**MAIL_RETRY)
def send_booking_cancellation(booking_id: int) -> bool:
    return emails.send_booking_cancellation(booking_id)


@shared_task(**MAIL_RETRY)
def send_refund_notice(booking_id: int, amount: str, currency: str) -> bool:
    return emails.send_refund_notice(booking_id, amount, currency)


@shared_task(**MAIL_RETRY)
def send_showtime_reminder(booking_id: int) -> bool:
    return emails.send_showtime_reminder(booking_id)


@shared_task
def send_showtime_reminders() -> int:
    """Periodic (beat): queue one reminder per confirmed booking whose show starts soon."""
    booking_ids = selectors.booking_ids_due_for_reminder(
        now=timezone.now(), within=timedelta(minutes=settings.TICKET_REMINDER_MINUTES)
    )
    for booking_id in booking_ids:
        # Queued twice by overlapping runs is harmless: the reminder claims its booking first.
        send_showtime_reminder.delay(booking_id)
    if booking_ids:
        logger.info("showtime reminders queued", extra={"count": len(booking_ids)})
    return len(booking_ids)
