"""Payment rules: collect a booking's total, confirm it, and refund what cannot be kept.

Every captured payment ends attached to a confirmed booking or refunded: a payment that
arrives after its seats went to someone else (or after the booking was cancelled) is refunded
at once, and a refund that fails is retried by a periodic task until it goes through.
"""

from __future__ import annotations

import logging
from datetime import datetime

import stripe
from django.db import IntegrityError, transaction
from django.utils import timezone

from marquee.booking.models import Booking, BookingStatus
from marquee.booking.services import ConfirmOutcome, booking_confirm, booking_mark_refunded
from marquee.common.time import api_datetime
from marquee.payments import errors
from marquee.payments.models import (
    Payment,
    PaymentStatus,
    Provider,
    Refund,
    RefundStatus,
    WebhookEvent,
)
from marquee.payments.providers import (
    ProviderError,
    StripeProvider,
    get_provider,
    luhn_valid,
    to_minor_units,
)

logger = logging.getLogger("marquee.payments")

MAX_REFUND_ATTEMPTS = 10


def _check_payable(booking: Booking, now: datetime) -> None:
    if booking.status == BookingStatus.CONFIRMED:
        raise errors.PaymentError(
            "This booking is already paid.", code="already_paid", status_code=409
        )
    if booking.status != BookingStatus.PENDING:
        raise errors.not_payable(booking.status)
    if booking.expires_at <= now:
        raise errors.PaymentError(
            "The hold on these seats has expired; book them again.",
            code="hold_expired",
            status_code=409,
        )


def _settle(*, payment: Payment, actor=None) -> ConfirmOutcome:
    """A captured payment: confirm its booking, or refund it if the booking cannot be kept."""
    outcome = booking_confirm(booking_id=payment.booking_id, actor=actor)
    if outcome in (ConfirmOutcome.SEATS_LOST, ConfirmOutcome.NOT_CONFIRMABLE):
        refund_request(payment=payment, reason=f"payment could not be kept: {outcome}")
    return outcome


def payment_start(*, booking: Booking, user, card_number: str | None = None) -> dict:
    """Pay for a held booking with the configured provider."""
    now = timezone.now()
    _check_payable(booking, now)
    provider = get_provider()
    if provider.confirms_synchronously:
        return _pay_simulated(
            booking=booking, user=user, card_number=card_number, provider=provider
        )
    return _pay_stripe(booking=booking, provider=provider)


def _pay_simulated(*, booking: Booking, user, card_number: str | None, provider) -> dict:
    card_number = (card_number or "").replace(" ", "")
    if not luhn_valid(card_number):
        raise errors.PaymentError(
            "Give a valid card number (for example Stripe's test card 4242 4242 4242 4242).",
            code="invalid_card_number",
        )
    result = provider.charge(
        amount=booking.total, currency=booking.currency, card_number=card_number
    )
    if not result.succeeded:
        Payment.objects.create(
            booking=booking,
            provider=Provider.SIMULATED,
            provider_reference=result.reference,
            amount=booking.total,
            currency=booking.currency,
            status=PaymentStatus.FAILED,
            failure_code=result.decline_code,
            failure_message=result.message,
        )
        logger.info("payment declined", extra={"booking": str(booking.public_id)})
        raise errors.PaymentError(
            result.message,
            code="payment_declined",
            status_code=402,
            details={
                "decline_code": result.decline_code,
                "expires_at": api_datetime(booking.expires_at),
            },
        )
    with transaction.atomic():
        payment = Payment.objects.create(
            booking=booking,
            provider=Provider.SIMULATED,
            provider_reference=result.reference,
            amount=booking.total,
            currency=booking.currency,
            status=PaymentStatus.SUCCEEDED,
        )
        outcome = _settle(payment=payment, actor=user)
    logger.info("payment succeeded", extra={"booking": str(booking.public_id), "outcome": outcome})
    if outcome in (ConfirmOutcome.SEATS_LOST, ConfirmOutcome.NOT_CONFIRMABLE):
        raise errors.PaymentError(
            "The seats were released before the payment arrived; it is being refunded.",
            code="seats_lost",
            status_code=409,
        )
    return {"provider": Provider.SIMULATED, "payment": result.reference, "status": "succeeded"}


def _pay_stripe(*, booking: Booking, provider: StripeProvider) -> dict:
    existing = Payment.objects.filter(
        booking=booking,
        provider=Provider.STRIPE,
        status=PaymentStatus.PENDING,
        amount=booking.total,
        currency=booking.currency,
    ).first()
    if existing is None:
        try:
            intent = provider.create_intent(
                amount=booking.total,
                currency=booking.currency,
                booking_public_id=str(booking.public_id),
                # Same booking, same amount: Stripe returns the same intent on a retry.
                key=f"marquee-intent-{booking.public_id}-{booking.total}-{booking.currency}",
            )
        except ProviderError as error:
            raise errors.PaymentError(
                "The payment provider is unavailable; try again.",
                code="provider_unavailable",
                status_code=503,
                details={"reason": str(error)},
            ) from error
        try:
            with transaction.atomic():
                existing = Payment.objects.create(
                    booking=booking,
                    provider=Provider.STRIPE,
                    provider_reference=intent.reference,
                    amount=booking.total,
                    currency=booking.currency,
                    client_secret=intent.client_secret,
                )
        except IntegrityError:  # a concurrent pay call recorded the same intent first
            existing = Payment.objects.get(
                provider=Provider.STRIPE, provider_reference=intent.reference
            )
    return {
        "provider": Provider.STRIPE,
        "payment": existing.provider_reference,
        "status": "requires_payment",
        "client_secret": existing.client_secret,
        "amount": str(existing.amount),
        "currency": existing.currency,
    }


INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")


def stripe_webhook_handle(*, payload: bytes, signature: str | None) -> str:
    """Verify, store once, apply. Returns what happened (for the response and the log)."""
    try:
        event = StripeProvider.verify_webhook(payload=payload, signature=signature or "")
    except stripe.SignatureVerificationError:
        raise errors.PaymentError(
            "The Stripe-Signature header does not verify.", code="invalid_signature"
        ) from None
    except ValueError:
        raise errors.invalid_payload() from None
    # Signed is not the same as well-formed: check every field used before anything is stored.
    try:
        event_id = _text(event, "id", limit=255)
        event_type = _text(event, "type", limit=100)
        intent = _stripe_intent(event, event_type) if event_type in INTENT_EVENTS else None
    except errors.PaymentError as error:
        # Signed by Stripe (or by whoever holds the secret) yet malformed: worth a look.
        logger.warning("signed webhook event refused as malformed", extra=error.details)
        raise

    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    provider=Provider.STRIPE, event_id=event_id, type=event_type, payload=event
                )
        except IntegrityError:
            logger.info("duplicate webhook event", extra={"event": event_id})
            return "duplicate"
        outcome = _apply_stripe_event(event_type, intent) if intent is not None else "ignored"
        record.outcome = outcome
        record.save(update_fields=["outcome"])
    logger.info(
        "webhook applied", extra={"event": event_id, "type": event_type, "outcome": outcome}
    )
    return outcome


def _field(data, path: str):
    """`data` at the dotted `path` (`data.object.id`), or None where any step is missing."""
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(data, path: str, *, limit: int, required: bool = True) -> str | None:
    value = _field(data, path)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise errors.invalid_payload(field=path)
    return value


def _stripe_intent(event: dict, event_type: str) -> dict:
    """The event's Payment Intent, with every field the settlement reads of the right type."""
    intent = _field(event, "data.object")
    if not isinstance(intent, dict):
        raise errors.invalid_payload(field="data.object")
    _text(event, "data.object.id", limit=255)
    if event_type == "payment_intent.succeeded":
        for name, required in (("amount", True), ("amount_received", False)):
            amount = intent.get(name)
            if amount is None and not required:
                continue
            # bool is an int in Python; a minor-unit amount is a non-negative 64-bit integer.
            if type(amount) is not int or not 0 <= amount < 2**63:
                raise errors.invalid_payload(field=f"data.object.{name}")
        _text(event, "data.object.currency", limit=3)
    else:
        error = intent.get("last_payment_error")
        if error is not None and not isinstance(error, dict):
            raise errors.invalid_payload(field="data.object.last_payment_error")
        for name in ("decline_code", "code", "message"):
            _text(event, f"data.object.last_payment_error.{name}", limit=5000, required=False)
    return intent


def _apply_stripe_event(event_type: str, intent: dict) -> str:
    payment = (
        Payment.objects.select_for_update()
        .filter(provider=Provider.STRIPE, provider_reference=intent["id"])
        .first()
    )
    if payment is None:
        logger.error("webhook for an unknown payment intent", extra={"intent": intent["id"]})
        return "unknown_payment"

    if event_type == "payment_intent.payment_failed":
        if payment.status == PaymentStatus.PENDING:
            error = intent.get("last_payment_error") or {}
            payment.status = PaymentStatus.FAILED
            payment.failure_code = str(error.get("decline_code") or error.get("code") or "")[:64]
            payment.failure_message = str(error.get("message") or "")[:500]
            payment.save(update_fields=["status", "failure_code", "failure_message", "updated_at"])
        return "payment_failed_recorded"

    amount = intent.get("amount_received") or intent.get("amount")
    currency = intent["currency"].upper()
    expected = to_minor_units(payment.amount, payment.currency)
    if amount != expected or currency != payment.currency.upper():
        logger.error(
            "webhook amount or currency mismatch: refused",
            extra={
                "intent": intent["id"],
                "amount": amount,
                "currency": currency,
                "expected_amount": expected,
                "expected_currency": payment.currency,
            },
        )
        return "amount_mismatch"
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return "already_applied"
    payment.status = PaymentStatus.SUCCEEDED
    payment.save(update_fields=["status", "updated_at"])
    return str(_settle(payment=payment))


def refund_request(*, payment: Payment, reason: str = "") -> Refund:
    """Ask for a full refund once (inside the caller's transaction); the task does the call."""
    refund, created = Refund.objects.get_or_create(
        payment=payment,
        defaults={"amount": payment.amount, "currency": payment.currency, "reason": reason[:200]},
    )
    if created:
        from marquee.payments.tasks import process_refund

        # robust: a broker hiccup is logged, and the periodic retry picks the refund up.
        transaction.on_commit(lambda: process_refund.delay(refund.pk), robust=True)
    return refund


def refund_process(*, refund_id: int) -> Refund:
    """Call the provider for a pending or failed refund. Safe to run twice or concurrently."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status == RefundStatus.SUCCEEDED:
            return refund
        payment = refund.payment
        refund.attempts += 1
        try:
            # The idempotency key makes a retried call after a lost answer a no-op at Stripe.
            reference = get_provider(payment.provider).refund(
                payment_reference=payment.provider_reference,
                amount=refund.amount,
                currency=refund.currency,
                key=f"marquee-refund-{refund.pk}",
            )
        except ProviderError as error:
            refund.status = RefundStatus.FAILED
            refund.last_error = str(error)[:500]
            refund.save(update_fields=["status", "attempts", "last_error", "updated_at"])
            logger.warning("refund failed; will retry", extra={"refund": refund.pk})
            return refund
        refund.status = RefundStatus.SUCCEEDED
        refund.provider_reference = reference
        refund.last_error = ""
        refund.save()
        payment.status = PaymentStatus.REFUNDED
        payment.save(update_fields=["status", "updated_at"])
        booking_mark_refunded(booking_id=payment.booking_id, reason=refund.reason)
        transaction.on_commit(lambda: _notify_refund(refund), robust=True)
    logger.info("refund succeeded", extra={"refund": refund.pk, "booking": payment.booking_id})
    return refund


def _notify_refund(refund: Refund) -> None:
    from marquee.tickets.tasks import send_refund_notice

    send_refund_notice.delay(refund.payment.booking_id, str(refund.amount), refund.currency)


def refunds_retry_failed() -> int:
    """Retry refunds that failed (or never ran); each is retried a bounded number of times."""
    ids = list(
        Refund.objects.filter(
            status__in=[RefundStatus.FAILED, RefundStatus.PENDING],
            attempts__lt=MAX_REFUND_ATTEMPTS,
        ).values_list("pk", flat=True)
    )
    for refund_id in ids:
        refund_process(refund_id=refund_id)
    return len(ids)


def refunds_for_cancelled_booking(*, booking: Booking, previous_status: str) -> list[Refund]:
    """A paid booking that was cancelled gets every captured payment back."""
    if previous_status != BookingStatus.CONFIRMED:
        return []
    return [
        refund_request(payment=payment, reason="booking cancelled")
        for payment in Payment.objects.filter(booking=booking, status=PaymentStatus.SUCCEEDED)
    ]
