"""The email outbox: an email is queued with the change that calls for it, then sent and retried.

- `email_queue` writes the row inside the caller's transaction and queues its send for after
  the commit. Neither a broker outage nor a mail server outage loses it: the row is there.
- `email_delivery_send` claims a row with one conditional UPDATE (of two senders exactly one
  wins, on every database), renders the email from the booking as it is now, sends it and
  records what happened. A claim older than `CLAIM_TIMEOUT` is void, so a worker that died
  mid-send strands nothing; that is also the one way an email can go out twice.
- `email_deliveries_send_due` (beat every minute, or `manage.py send_pending_emails`) sends
  the rows that are due, and stops at the first row when the mail server cannot be reached.

Retrying: a server that cannot be reached (refused, timed out, disconnected, 421) is the
server's trouble, not the message's, so the row is due again about a minute later: every
waiting email goes out within a minute or two of the server's return, and while it is down a
run costs one connection attempt. Any other failure (this message refused, a bug) backs off
exponentially with jitter, 30 s doubling to 30 min. A row still unsent at `give_up_at`
(`EMAIL_DELIVERY_RETRY_HOURS` after it was queued) is marked failed with an ERROR log line.
"""

from __future__ import annotations

import enum
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from smtplib import SMTPConnectError, SMTPException, SMTPResponseException, SMTPServerDisconnected

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from marquee.booking.models import Booking, BookingStatus
from marquee.tickets import emails, errors, selectors, services
from marquee.tickets.models import DeliveryStatus, EmailDelivery, EmailKind

logger = logging.getLogger("marquee.tickets")

CLAIM_TIMEOUT = timedelta(minutes=10)  # far beyond any send (EMAIL_TIMEOUT per SMTP step)
SERVER_DOWN_RETRY = timedelta(seconds=60)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)
RUN_BUDGET_SECONDS = 45.0  # a run ends before the next beat tick would start another
BATCH_SIZE = 100


class SendOutcome(enum.StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    RETRYING = "retrying"
    SERVER_DOWN = "server_down"  # retrying too: the mail server could not be reached
    FAILED = "failed"
    NOT_CLAIMED = "not_claimed"  # sent, being sent, or not due: someone else's or nobody's


@dataclass
class RunSummary:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    server_down: bool = False


def retry_window() -> timedelta:
    return timedelta(hours=settings.EMAIL_DELIVERY_RETRY_HOURS)


def retry_delay(*, attempts: int, server_down: bool, rng: random.Random | None = None) -> timedelta:
    """The wait after a failed attempt: between half and all of a minute when the server is
    down, else of 30 s doubling with each attempt up to 30 min (jitter spreads the retries)."""
    if server_down:
        delay = SERVER_DOWN_RETRY
    else:
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(max(attempts - 1, 0), 16))
    return delay * (rng or random).uniform(0.5, 1.0)


def _refund_amount(amount) -> Decimal:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not an amount: {amount!r}") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"not a refundable amount: {amount!r}")
    return value


def email_queue(
    *,
    kind: str,
    booking_id: int,
    dedupe_key: str | None = None,
    amount: Decimal | str | None = None,
    currency: str = "",
    requested_by=None,
    cancellation_id: int | None = None,
    now: datetime | None = None,
) -> EmailDelivery:
    """Put one email in the outbox, in the caller's transaction; it is sent after the commit.
    A second call with the same `dedupe_key` returns the first row and queues nothing."""
    now = now or timezone.now()
    if kind == EmailKind.REFUND:
        amount, currency = _refund_amount(amount), currency.upper()
    try:
        with transaction.atomic():  # a savepoint: a duplicate key must not spoil the caller's
            delivery = EmailDelivery.objects.create(
                kind=kind,
                booking_id=booking_id,
                dedupe_key=dedupe_key,
                amount=amount,
                currency=currency,
                requested_by=requested_by,
                cancellation_id=cancellation_id,
                next_attempt_at=now,
                give_up_at=now + retry_window(),
                created_at=now,
            )
    except IntegrityError:
        existing = dedupe_key and EmailDelivery.objects.filter(dedupe_key=dedupe_key).first()
        if not existing:
            raise
        return existing
    _send_after_commit(delivery.pk)
    return delivery


def _send_after_commit(delivery_id: int) -> None:
    from marquee.tickets import tasks

    # robust: a broker that cannot take the task is logged; the scheduler sends the row.
    transaction.on_commit(lambda: tasks.send_email_delivery.delay(delivery_id), robust=True)


def _claim(*, delivery_id: int, now: datetime, due_only: bool) -> bool:
    """Take the row for sending; True for exactly one of any number of concurrent callers."""
    waiting = Q(status=DeliveryStatus.PENDING)
    if due_only:
        waiting &= Q(next_attempt_at__lte=now)
    abandoned = Q(status=DeliveryStatus.SENDING, claimed_at__lte=now - CLAIM_TIMEOUT)
    # The condition is re-checked on the row as it is when the UPDATE gets it (PostgreSQL
    # re-reads a row another transaction just changed), so a second claimer updates nothing.
    claimed = EmailDelivery.objects.filter(waiting | abandoned, pk=delivery_id).update(
        status=DeliveryStatus.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=timezone.now(),
    )
    return bool(claimed)


def _record(delivery: EmailDelivery, **fields) -> bool:
    """Write an attempt's outcome, unless our claim was voided and the row taken over."""
    return bool(
        EmailDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=delivery.claimed_at
        ).update(claimed_at=None, updated_at=timezone.now(), **fields)
    )


def _log_extra(delivery: EmailDelivery, **more) -> dict:
    return {
        "delivery": delivery.pk,
        "kind": delivery.kind,
        "booking": delivery.booking_id,
        "attempts": delivery.attempts,
        **more,
    }


def email_delivery_send(
    *, delivery_id: int, now: datetime | None = None, due_only: bool = False
) -> SendOutcome:
    """Send one outbox row unless someone else is sending it (or, with `due_only`, it is not
    due yet), and record the outcome: sent, skipped, retrying, or failed for good."""
    now = now or timezone.now()
    if not _claim(delivery_id=delivery_id, now=now, due_only=due_only):
        return SendOutcome.NOT_CLAIMED
    delivery = EmailDelivery.objects.get(pk=delivery_id)
    try:
        message = emails.delivery_message(delivery, now=now)
    except emails.NothingToSend as reason:
        _record(delivery, status=DeliveryStatus.SKIPPED, last_error=str(reason)[:500])
        logger.info("email skipped", extra=_log_extra(delivery, reason=str(reason)))
        return SendOutcome.SKIPPED
    except Exception as error:  # a rendering bug: retried, so a fix still sends it
        logger.exception("email could not be rendered", extra=_log_extra(delivery))
        return _record_failure(delivery, error, now=now, recipient=delivery.recipient)
    recipient = message.to[0]
    try:
        message.send()
    except Exception as error:  # every failure is recorded and retried, none escapes
        return _record_failure(delivery, error, now=now, recipient=recipient)
    sent = {"status": DeliveryStatus.SENT, "sent_at": now, "recipient": recipient}
    if not _record(delivery, last_error="", **sent):
        # Our claim was voided as abandoned while we sent: mark it sent all the same.
        EmailDelivery.objects.filter(pk=delivery.pk).exclude(status=DeliveryStatus.SENT).update(
            claimed_at=None, updated_at=timezone.now(), **sent
        )
        logger.warning("email sent after its claim had lapsed", extra=_log_extra(delivery))
    logger.info("email sent", extra=_log_extra(delivery))
    return SendOutcome.SENT


def server_unreachable(error: BaseException) -> bool:
    """The mail server could not be reached or refused service: no fault of this message."""
    if isinstance(error, (SMTPConnectError, SMTPServerDisconnected)):
        return True
    if isinstance(error, SMTPResponseException):
        return error.smtp_code == 421  # "service not available, closing channel"
    if isinstance(error, SMTPException):
        return False  # recipients refused and the like: this message's own trouble
    return isinstance(error, OSError)  # refused, timed out, no route, unknown host


def error_text(error: BaseException) -> str:
    """What went wrong, for the admin: the exception, never the SMTP password."""
    text = f"{type(error).__name__}: {error}"
    if settings.EMAIL_HOST_PASSWORD:
        text = text.replace(settings.EMAIL_HOST_PASSWORD, "***")
    return text[:500]


def _record_failure(
    delivery: EmailDelivery, error: Exception, *, now: datetime, recipient: str
) -> SendOutcome:
    down = server_unreachable(error)
    failure = {"last_error": error_text(error), "recipient": recipient}
    if now >= delivery.give_up_at:
        _record(delivery, status=DeliveryStatus.FAILED, **failure)
        logger.error(
            "email delivery failed for good",
            extra=_log_extra(delivery, error=failure["last_error"]),
        )
        return SendOutcome.FAILED
    next_attempt_at = now + retry_delay(attempts=delivery.attempts, server_down=down)
    _record(delivery, status=DeliveryStatus.PENDING, next_attempt_at=next_attempt_at, **failure)
    logger.warning(
        "email delivery failed; will retry",
        extra=_log_extra(
            delivery, error=failure["last_error"], next_attempt_at=next_attempt_at.isoformat()
        ),
    )
    return SendOutcome.SERVER_DOWN if down else SendOutcome.RETRYING


def _due(now: datetime):
    return EmailDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, give_up_at__gt=now)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lte=now - CLAIM_TIMEOUT)
    )


def _give_up_overdue(*, now: datetime) -> int:
    """Pending rows past `give_up_at` are failed for good, each with an ERROR line."""
    failed = 0
    overdue = EmailDelivery.objects.filter(status=DeliveryStatus.PENDING, give_up_at__lte=now)
    for delivery in overdue.order_by("pk")[: BATCH_SIZE * 10]:
        gave_up = EmailDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.PENDING, give_up_at__lte=now
        ).update(status=DeliveryStatus.FAILED, updated_at=timezone.now())
        if gave_up:
            failed += 1
            logger.error(
                "email delivery failed for good",
                extra=_log_extra(delivery, error=delivery.last_error),
            )
    return failed


def email_deliveries_send_due(
    *, now: datetime | None = None, budget_seconds: float = RUN_BUDGET_SECONDS
) -> RunSummary:
    """Send the due rows, oldest first, until none is left, the time budget is spent, or the
    mail server cannot be reached. Safe to run concurrently: each row is claimed once."""
    due_at = now or timezone.now()
    summary = RunSummary(failed=_give_up_overdue(now=due_at))
    deadline = time.monotonic() + budget_seconds
    tried: set[int] = set()
    while time.monotonic() < deadline:
        batch = list(
            _due(due_at)
            .exclude(pk__in=tried)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not batch:
            break
        for delivery_id in batch:
            tried.add(delivery_id)
            # Without a given `now` each send reads the clock itself, so sent_at is exact.
            outcome = email_delivery_send(delivery_id=delivery_id, now=now, due_only=True)
            if outcome == SendOutcome.SENT:
                summary.sent += 1
            elif outcome == SendOutcome.SKIPPED:
                summary.skipped += 1
            elif outcome == SendOutcome.FAILED:
                summary.failed += 1
            elif outcome in (SendOutcome.RETRYING, SendOutcome.SERVER_DOWN):
                summary.retrying += 1
            if outcome == SendOutcome.SERVER_DOWN:
                summary.server_down = True
                return summary
            if time.monotonic() >= deadline:
                break
    if summary.sent or summary.failed or summary.retrying:
        logger.info("email outbox run", extra=vars(summary))
    return summary


def email_deliveries_prune(*, now: datetime | None = None) -> int:
    """Delete finished rows (sent, skipped, failed) older than EMAIL_DELIVERY_RETENTION_DAYS."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EMAIL_DELIVERY_RETENTION_DAYS)
    deleted, _ = EmailDelivery.objects.filter(
        status__in=[DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.FAILED],
        created_at__lt=cutoff,
    ).delete()
    return deleted


def showtime_reminder_queue(*, booking_id: int, now: datetime) -> bool:
    """Queue a booking's one reminder; False when it was queued before."""
    with transaction.atomic():
        if not services.booking_reminder_claim(booking_id=booking_id, now=now):
            return False
        email_queue(
            kind=EmailKind.REMINDER,
            booking_id=booking_id,
            dedupe_key=f"reminder:{booking_id}",
            now=now,
        )
    return True


def showtime_reminders_queue(*, now: datetime | None = None) -> int:
    """One reminder per confirmed booking whose show starts within TICKET_REMINDER_MINUTES."""
    now = now or timezone.now()
    booking_ids = selectors.booking_ids_due_for_reminder(
        now=now, within=timedelta(minutes=settings.TICKET_REMINDER_MINUTES)
    )
    return sum(showtime_reminder_queue(booking_id=pk, now=now) for pk in booking_ids)


def _rearm(delivery: EmailDelivery, *, now: datetime) -> None:
    """A waiting row is due now; a failed or skipped one waits again for a new retry window."""
    if delivery.status == DeliveryStatus.PENDING:
        EmailDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            next_attempt_at=now,
            give_up_at=max(delivery.give_up_at, now + retry_window()),
            updated_at=timezone.now(),
        )
    elif delivery.status in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED):
        EmailDelivery.objects.filter(pk=delivery.pk, status=delivery.status).update(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            give_up_at=now + retry_window(),
            updated_at=timezone.now(),
        )
    _send_after_commit(delivery.pk)


def booking_tickets_resend(
    *, booking_id: int, requested_by, now: datetime | None = None
) -> EmailDelivery:
    """Email a confirmed booking's e-tickets again; a copy still waiting to go is sent now
    instead of a second one."""
    now = now or timezone.now()
    with transaction.atomic():
        # The booking's lock orders this after a concurrent cancel, and two resends one after
        # the other: the second finds the first's row still waiting.
        status = (
            Booking.objects.select_for_update()
            .filter(pk=booking_id)
            .values_list("status", flat=True)
            .get()
        )
        if status != BookingStatus.CONFIRMED:
            raise errors.booking_not_confirmed(status)
        waiting = (
            EmailDelivery.objects.filter(
                booking_id=booking_id,
                kind=EmailKind.CONFIRMATION,
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
            )
            .order_by("pk")
            .first()
        )
        if waiting is None:
            delivery = email_queue(
                kind=EmailKind.CONFIRMATION,
                booking_id=booking_id,
                requested_by=requested_by,
                now=now,
            )
        else:
            _rearm(waiting, now=now)
            delivery = waiting
    delivery.refresh_from_db()
    logger.info(
        "e-tickets resend requested",
        extra=_log_extra(delivery, requested_by=getattr(requested_by, "pk", None)),
    )
    return delivery


def email_delivery_resend(
    *, delivery_id: int, requested_by, now: datetime | None = None
) -> EmailDelivery:
    """Staff's "send again": a sent email is copied into a new row; a waiting, failed or
    skipped one is made due now (one being sent right now is left alone)."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = EmailDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.status == DeliveryStatus.SENT:
            delivery = email_queue(
                kind=delivery.kind,
                booking_id=delivery.booking_id,
                amount=delivery.amount,
                currency=delivery.currency,
                requested_by=requested_by,
                now=now,
            )
        elif delivery.status != DeliveryStatus.SENDING:
            _rearm(delivery, now=now)
    delivery.refresh_from_db()
    return delivery
