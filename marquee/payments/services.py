"""Payment rules: collect a booking's total once, confirm it, and refund what cannot be kept.

A booking is charged once: at most one of its payments is `succeeded` (the partial unique index
`payment_one_succeeded_per_booking`), and paying or settling a capture happens under the
booking's row lock, which gives that index friendly answers. A capture the booking cannot keep
(a second one, or one that arrived after the seats went to someone else or the booking was
cancelled) is refunded at once, and a refund that fails is retried by a periodic task until it
goes through. So every captured payment ends as a confirmed booking's one payment or refunded.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, cast

import stripe
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Sum
from django.utils import timezone

from marquee.booking import errors as booking_errors
from marquee.booking import refund_policy
from marquee.booking.error_codes import BookingErrorCode
from marquee.booking.models import (
    Booking,
    BookingStatus,
    RefundReason,
    Ticket,
    TicketCancellation,
)
from marquee.booking.services import (
    ConfirmOutcome,
    booking_confirm,
    booking_mark_refunded,
    booking_voucher_apply,
    booking_voucher_check,
)
from marquee.catalog.models import Showtime, ShowtimeStatus
from marquee.common.db_errors import is_lock_conflict
from marquee.common.money import money_text
from marquee.common.permissions import is_staff_member
from marquee.common.time import api_datetime
from marquee.payments import errors
from marquee.payments.error_codes import PaymentErrorCode
from marquee.payments.models import (
    IN_PERSON_PROVIDERS,
    Payment,
    PaymentStatus,
    Provider,
    Refund,
    RefundKind,
    RefundStatus,
    Till,
    WebhookEvent,
)
from marquee.payments.providers import (
    AmountNotChargeable,
    IntentNotCancellable,
    ProviderError,
    StripeProvider,
    amount_unit,
    get_provider,
    luhn_valid,
    to_minor_units,
)
from marquee.tickets.models import EmailKind
from marquee.tickets.outbox import email_queue

if TYPE_CHECKING:
    from marquee.accounts.models import User

logger = logging.getLogger("marquee.payments")

MAX_REFUND_ATTEMPTS = 10
# What settling a capture answers when the booking already had its payment.
DUPLICATE_CAPTURE_REFUNDED = "duplicate_capture_refunded"


def _booking_locked(booking_id: int) -> Booking:
    """The booking, row-locked until the transaction ends.

    Paying, settling a capture and refunding take this lock before they change any of the
    booking's payments: one order everywhere, so two of them never wait on each other in a cycle.
    """
    return Booking.objects.select_for_update().get(pk=booking_id)


def _check_payable(booking: Booking, now: datetime) -> None:
    """Under the booking's lock: only a running hold for a show still to come may be paid."""
    if booking.status == BookingStatus.CONFIRMED or (
        Payment.objects.filter(booking=booking, status=PaymentStatus.CAPTURED).exists()
    ):
        raise errors.already_paid()
    if booking.status != BookingStatus.PENDING:
        raise errors.not_payable(booking.status)
    starts_at, status = (
        Showtime.objects.filter(pk=booking.showtime_id).values_list("starts_at", "status").get()
    )
    if status != ShowtimeStatus.SCHEDULED:
        raise booking_errors.showtime_cancelled()
    if starts_at <= now:
        raise booking_errors.showtime_started()
    if booking.expires_at <= now:
        raise errors.hold_expired()


def _keep_or_refund(payment: Payment, *, actor: User | None = None) -> str:
    """A capture becomes the booking's one payment and confirms it, or is refunded.

    Call under the booking's lock. Returns the confirmation's outcome, or
    DUPLICATE_CAPTURE_REFUNDED when the booking already had its payment.
    """
    if payment.amount != payment.booking.total or payment.currency != payment.booking.currency:
        # Seats were released from the hold after this payment was started: it is not the
        # booking's total any more, so it cannot be what the booking stands on.
        payment.status = PaymentStatus.DUPLICATE
        payment.save()
        refund_request(
            payment=payment,
            reason="payment for an outdated total",
            reason_code=RefundReason.PAYMENT_PROBLEM,
        )
        return str(ConfirmOutcome.NOT_CONFIRMABLE)
    payment.status = PaymentStatus.SUCCEEDED
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # The booking has its succeeded payment already (payment_one_succeeded_per_booking).
        # Under the booking's lock this is exact; without the lock the index still decides.
        return _refund_duplicate(payment, reason="second capture for one booking")
    outcome = booking_confirm(booking_id=payment.booking_id, actor=actor)
    if outcome == ConfirmOutcome.ALREADY_CONFIRMED:
        # Confirmed without this payment: keeping it would charge the booking twice.
        return _refund_duplicate(payment, reason="booking was already confirmed")
    if outcome in (ConfirmOutcome.SEATS_LOST, ConfirmOutcome.NOT_CONFIRMABLE):
        refund_request(
            payment=payment,
            reason=f"payment could not be kept: {outcome}",
            reason_code=_unkept_payment_reason(payment),
        )
    return str(outcome)


def _unkept_payment_reason(payment: Payment) -> RefundReason:
    """A payment that landed after its showtime was cancelled goes back for that reason; any
    other that could not be kept (seats resold, voucher used up, cancelled) is a payment one."""
    status = (
        Showtime.objects.filter(bookings__payments=payment).values_list("status", flat=True).first()
    )
    if status == ShowtimeStatus.CANCELLED:
        return RefundReason.SHOWTIME_CANCELLED
    return RefundReason.PAYMENT_PROBLEM


def _refund_duplicate(payment: Payment, *, reason: str) -> str:
    payment.status = PaymentStatus.DUPLICATE
    payment.save()
    refund_request(payment=payment, reason=reason, reason_code=RefundReason.PAYMENT_PROBLEM)
    logger.warning(
        "second capture refunded",
        extra={"booking": str(payment.booking.public_id), "payment": payment.provider_reference},
    )
    return DUPLICATE_CAPTURE_REFUNDED


SETTLE_ATTEMPTS = 3


def _settle_capture(*, payment_id: int, actor: User | None = None) -> str:
    """Keep or refund a capture that is on record, under the booking's lock.

    A deadlock or lock timeout rolls the attempt back whole and it is tried again; if every
    attempt fails the payment stays `captured` and `payments_settle_captured` (beat) settles
    it later: 503 `payment_processing` for now, and the money is never lost.
    """
    for attempt in range(SETTLE_ATTEMPTS):
        try:
            with transaction.atomic():
                booking_id = Payment.objects.values_list("booking_id", flat=True).get(pk=payment_id)
                _booking_locked(booking_id)
                payment = Payment.objects.select_related("booking").get(pk=payment_id)
                if payment.status != PaymentStatus.CAPTURED:  # settled by someone else
                    return (
                        DUPLICATE_CAPTURE_REFUNDED
                        if payment.status == PaymentStatus.DUPLICATE
                        else str(ConfirmOutcome.CONFIRMED)
                    )
                return _keep_or_refund(payment, actor=actor)
        except (OperationalError, booking_errors.SeatsBusy) as error:
            if isinstance(error, OperationalError) and not is_lock_conflict(error):
                raise
            logger.warning("settling a capture met a lock; retrying", extra={"payment": payment_id})
            if attempt == SETTLE_ATTEMPTS - 1:
                raise errors.payment_processing() from error
    raise AssertionError("unreachable")  # pragma: no cover


def payments_settle_captured(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Settle captures left unsettled (their request failed after the money was taken)."""
    ids = list(
        Payment.objects.filter(
            status=PaymentStatus.CAPTURED, created_at__lte=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
    for payment_id in ids:
        try:
            _settle_capture(payment_id=payment_id)
        except errors.PaymentError:
            logger.warning("capture still unsettled", extra={"payment": payment_id})
    return len(ids)


def payment_start(*, booking: Booking, user: User, card_number: str | None = None) -> dict:
    """Pay for a held booking with the configured provider; the booking is charged once."""
    provider = get_provider()
    if provider.confirms_synchronously:
        return _pay_now(booking=booking, user=user, card_number=card_number, provider=provider)
    return _pay_stripe(booking=booking, provider=provider)


def _pay_now(*, booking: Booking, user: User, card_number: str | None, provider) -> dict:
    card_number = (card_number or "").replace(" ", "")
    if not luhn_valid(card_number):
        raise errors.PaymentError(
            "Give a valid card number (for example Stripe's test card 4242 4242 4242 4242).",
            code=PaymentErrorCode.INVALID_CARD_NUMBER,
        )
    with transaction.atomic():
        booking = _booking_locked(booking.pk)
        _check_payable(booking, timezone.now())
        # A synchronous charge is the capture: made under the booking's lock, a second payer
        # waits here, then finds the capture on record and is never charged.
        result = provider.charge(
            amount=booking.total, currency=booking.currency, card_number=card_number
        )
        payment = Payment.objects.create(
            booking=booking,
            provider=provider.name,
            provider_reference=result.reference,
            amount=booking.total,
            currency=booking.currency,
            status=PaymentStatus.CAPTURED if result.succeeded else PaymentStatus.FAILED,
            failure_code="" if result.succeeded else result.decline_code,
            failure_message="" if result.succeeded else result.message,
        )
    # Committed: the money taken is on record whatever happens to the settling below.
    outcome = _settle_capture(payment_id=payment.pk, actor=user) if result.succeeded else "declined"
    if outcome == "declined":
        logger.info("payment declined", extra={"booking": str(booking.public_id)})
        raise errors.PaymentError(
            result.message,
            code=PaymentErrorCode.PAYMENT_DECLINED,
            details={
                "decline_code": result.decline_code,
                "expires_at": api_datetime(booking.expires_at),
            },
        )
    logger.info("payment succeeded", extra={"booking": str(booking.public_id), "outcome": outcome})
    if outcome == DUPLICATE_CAPTURE_REFUNDED:
        raise errors.already_paid("This booking is already paid; this charge is being refunded.")
    if outcome in (ConfirmOutcome.SEATS_LOST, ConfirmOutcome.NOT_CONFIRMABLE):
        raise errors.PaymentError(
            "The seats were released before the payment arrived; it is being refunded.",
            code=PaymentErrorCode.SEATS_LOST,
        )
    return {"provider": provider.name, "payment": result.reference, "status": "succeeded"}


def till_for_sale(*, till_id: int) -> Till:
    """The till a sale is taken at: it must exist (404 `till_not_found`) and be open."""
    till = Till.objects.filter(pk=till_id).first()
    if till is None:
        raise errors.till_not_found()
    if not till.is_active:
        raise errors.till_closed()
    return till


def payment_take_in_person(*, booking: Booking, method: str, till_id: int, staff) -> Payment:
    """Record money a cashier took for a held booking (cash, or the card terminal's approval),
    at a till, and confirm the booking: the same capture, settling and confirmation as an
    online payment, so a hold that lapsed or lost its seats is refunded the same way."""
    if not is_staff_member(staff):
        raise errors.not_staff()
    if method not in IN_PERSON_PROVIDERS:
        raise errors.not_a_till_method(method)
    till = till_for_sale(till_id=till_id)
    provider = get_provider(method)
    with transaction.atomic():
        booking = _booking_locked(booking.pk)
        _check_payable(booking, timezone.now())
        result = provider.charge(amount=booking.total, currency=booking.currency)
        payment = Payment.objects.create(
            booking=booking,
            provider=provider.name,
            provider_reference=result.reference,
            amount=booking.total,
            currency=booking.currency,
            status=PaymentStatus.CAPTURED,
            till=till,
            taken_by=staff,
        )
    outcome = _settle_capture(payment_id=payment.pk, actor=staff)
    logger.info(
        "payment taken at a till",
        extra={"booking": str(booking.public_id), "till": till.pk, "outcome": outcome},
    )
    if outcome == DUPLICATE_CAPTURE_REFUNDED:
        raise errors.already_paid("This booking is already paid; give this money back.")
    if outcome in (ConfirmOutcome.SEATS_LOST, ConfirmOutcome.NOT_CONFIRMABLE):
        raise errors.PaymentError(
            "The seats were released before the payment was recorded; give the money back.",
            code=PaymentErrorCode.SEATS_LOST,
        )
    payment.refresh_from_db()
    return payment


def _provider_unavailable(booking: Booking, error: ProviderError) -> errors.PaymentError:
    """The refusal a provider outage gets; what went wrong is logged, not shown."""
    logger.warning(
        "payment provider unavailable",
        extra={"booking": str(booking.public_id), "error": str(error)},
    )
    return errors.provider_unavailable()


def _pay_stripe(*, booking: Booking, provider: StripeProvider) -> dict:
    with transaction.atomic():
        booking = _booking_locked(booking.pk)
        _check_payable(booking, timezone.now())
        payment = Payment.objects.filter(
            booking=booking,
            provider=Provider.STRIPE,
            status=PaymentStatus.PENDING,
            amount=booking.total,
            currency=booking.currency,
        ).first()
    total_text = money_text(booking.total, booking.currency)  # "12.50", as the key always had
    if payment is None:
        cancelled = Payment.objects.filter(
            booking=booking, provider=Provider.STRIPE, failure_code=CANCELLED_INTENT
        ).count()
        # Outside any transaction: a slow provider must not keep the booking's row locked.
        try:
            intent = provider.create_intent(
                amount=booking.total,
                currency=booking.currency,
                booking_public_id=str(booking.public_id),
                # Same booking, same amount: Stripe returns the same intent on a retry (but
                # not one Marquee cancelled for a voucher: those count in the key).
                key=f"marquee-intent-{booking.public_id}-{total_text}-{booking.currency}"
                + (f"-{cancelled}" if cancelled else ""),
            )
        except AmountNotChargeable as error:
            logger.error(
                "amount not chargeable by the provider",
                extra={"booking": str(booking.public_id), "error": str(error)},
            )
            raise errors.amount_not_chargeable(
                amount=total_text, currency=booking.currency
            ) from error
        except ProviderError as error:
            raise _provider_unavailable(booking, error) from error
        with transaction.atomic():
            # Paid, cancelled or lapsed while the intent was being made: not handed out.
            booking = _booking_locked(booking.pk)
            _check_payable(booking, timezone.now())
            # A concurrent pay may have recorded the same intent (same idempotency key) first.
            payment, _ = Payment.objects.get_or_create(
                provider=Provider.STRIPE,
                provider_reference=intent.reference,
                defaults={
                    "booking": booking,
                    "amount": booking.total,
                    "currency": booking.currency,
                    "client_secret": intent.client_secret,
                },
            )
    return {
        "provider": Provider.STRIPE,
        "payment": payment.provider_reference,
        "status": "requires_payment",
        "client_secret": payment.client_secret,
        "amount": money_text(payment.amount, payment.currency),
        "currency": payment.currency,
    }


CANCELLED_INTENT = "intent_cancelled"  # Payment.failure_code of an intent Marquee cancelled


def payment_voucher_apply(*, booking: Booking, code: str, actor: User) -> Booking:
    """Apply a voucher to a held booking whose Stripe checkout already made a Payment Intent
    for the old total: the intent is cancelled at Stripe first, so the old amount can never
    be charged, and the next checkout makes one for the discounted total. Refused with 409
    `payment_in_progress` (and nothing changed) when the buyer is paying it already."""
    booking_voucher_check(booking=booking, code=code)  # a wrong code cancels nothing
    pending = list(
        Payment.objects.filter(
            booking_id=booking.pk, provider=Provider.STRIPE, status=PaymentStatus.PENDING
        )
    )
    for payment in pending:
        try:
            StripeProvider().cancel_intent(payment_reference=payment.provider_reference)
        except IntentNotCancellable as error:
            raise booking_errors.BookingError(
                "A payment for this booking is under way; a voucher can no longer be added.",
                code=BookingErrorCode.PAYMENT_IN_PROGRESS,
            ) from error
        except ProviderError as error:
            raise _provider_unavailable(booking, error) from error
        with transaction.atomic():
            _booking_locked(booking.pk)
            # Conditional: a webhook may have settled it meanwhile (then it is not ours to
            # mark, and the voucher below is refused: the booking is paid).
            Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
                status=PaymentStatus.FAILED,
                failure_code=CANCELLED_INTENT,
                failure_message="cancelled for a voucher: a new total",
                updated_at=timezone.now(),
            )
    return booking_voucher_apply(booking=booking, code=code, actor=actor)


INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed")


def stripe_webhook_handle(*, payload: bytes, signature: str | None) -> str:
    """Verify, store once, apply. Returns what happened (for the response and the log)."""
    try:
        event = StripeProvider.verify_webhook(payload=payload, signature=signature or "")
    except stripe.SignatureVerificationError:
        raise errors.PaymentError(
            "The Stripe-Signature header does not verify.", code=PaymentErrorCode.INVALID_SIGNATURE
        ) from None
    except ValueError:
        raise errors.invalid_payload() from None
    # Signed is not the same as well-formed: check every field used before anything is stored.
    try:
        event_id = _required_text(event, "id", limit=255)
        event_type = _required_text(event, "type", limit=100)
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


def _required_text(data, path: str, *, limit: int) -> str:
    return cast(str, _text(data, path, limit=limit))  # required: None was refused


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
    found = (
        Payment.objects.filter(provider=Provider.STRIPE, provider_reference=intent["id"])
        .values_list("pk", "booking_id")
        .first()
    )
    if found is None:
        logger.error("webhook for an unknown payment intent", extra={"intent": intent["id"]})
        return "unknown_payment"
    payment_id, booking_id = found
    _booking_locked(booking_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)

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
    if payment.status in (
        PaymentStatus.SUCCEEDED,
        PaymentStatus.REFUNDED,
        PaymentStatus.DUPLICATE,
    ):
        return "already_applied"
    return _keep_or_refund(payment)


def _queue_refund(refund: Refund) -> None:
    from marquee.payments.tasks import process_refund

    # robust: a broker hiccup is logged, and the periodic retry picks the refund up.
    transaction.on_commit(lambda: process_refund.delay(refund.pk), robust=True)


def _given_back_value(payment: Payment) -> Decimal:
    """What tickets given back out of this payment's booking were paid (each one's price less
    its share of a voucher discount; refunded or kept under the policy): no longer part of what
    a full refund gives back."""
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return Decimal(0)  # a duplicate or unkept capture goes back whole
    tickets = list(
        Ticket.objects.filter(booking_id=payment.booking_id).values_list(
            "pk", "price", "cancellation_id", "booking__discount"
        )
    )
    given_back = [(pk, price) for pk, price, cancelled, _ in tickets if cancelled is not None]
    if not given_back:
        return Decimal(0)
    discount = tickets[0][3]
    shares = refund_policy.discount_shares(
        prices={pk: price for pk, price, _, _ in tickets} if discount else {},
        discount=discount,
        currency=payment.currency,
    )
    return sum((price - shares.get(pk, Decimal(0)) for pk, price in given_back), Decimal(0))


def refund_unit_of_booking(*, booking: Booking) -> Decimal | None:
    """Registered as booking's refund unit: what the provider of the payment a paid booking
    stands on refunds in (Stripe: whole hundredths of a three-decimal currency)."""
    paid = (
        Payment.objects.filter(booking_id=booking.pk, status=PaymentStatus.SUCCEEDED)
        .values_list("provider", "currency")
        .first()
    )
    return None if paid is None else amount_unit(*paid)


def _refunded_so_far(payment: Payment) -> Decimal:
    """What the payment's refunds (partial ones: tickets given back) give back already."""
    total = Refund.objects.filter(payment=payment).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


def cancellation_refund_of_booking(*, booking: Booking) -> Decimal | None:
    """Registered as booking's cancellation refund: the full refund of the payment a cancelled
    booking stood on (None when none was asked: nothing was paid, or nothing was left)."""
    return (
        Refund.objects.filter(
            payment__booking_id=booking.pk,
            payment__status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED],
            kind=RefundKind.FULL,
        )
        .values_list("amount", flat=True)
        .first()
    )


def refund_request(
    *,
    payment: Payment,
    reason: str = "",
    reason_code: RefundReason = RefundReason.OTHER,
    whole_payment: bool = False,
) -> Refund | None:
    """Ask for a full refund once (inside the caller's transaction); the task does the call.

    Full means what the booking still stands on: tickets given back earlier were settled by
    their own (partial) refunds. With `whole_payment` (the cinema cancelled the show) it is
    everything the payment collected that no refund gave back yet: what the policy kept of
    tickets given back goes back too. None when nothing is left to give back. `reason_code`
    says why for the reports, `reason` is a note."""
    existing = Refund.objects.filter(payment=payment, kind=RefundKind.FULL).first()
    if existing is not None:
        return existing
    # The whole payment: what its refunds gave back already is all that is not owed. (Each
    # partial refund was rounded to the provider's unit, and so is the payment.)
    given_back = _refunded_so_far(payment) if whole_payment else _given_back_value(payment)
    amount = payment.amount - given_back
    unit = amount_unit(payment.provider, payment.currency)
    if unit is not None:  # what is left after tickets given back, in the provider's units
        amount = (amount // unit) * unit
    if given_back and amount <= 0:
        return None
    refund, created = Refund.objects.get_or_create(
        payment=payment,
        kind=RefundKind.FULL,
        defaults={
            "amount": amount,
            "currency": payment.currency,
            "reason": reason[:200],
            "reason_code": reason_code,
        },
    )
    if created:
        _queue_refund(refund)
    return refund


def refund_request_partial(
    *, cancellation: TicketCancellation, reason_code: RefundReason | None = None
) -> Refund | None:
    """Refund the tickets of a cancellation through the payment the booking stands on, for
    exactly the amount the policy decided. Call under the booking's lock (booking services do);
    refuses to take the payment's refunds past what it collected. Without a `reason_code`:
    `staff_override` when staff overrode the policy, else `tickets_returned`."""
    if cancellation.refund_amount <= 0:
        return None
    payment = Payment.objects.get(
        booking_id=cancellation.booking_id, status=PaymentStatus.SUCCEEDED
    )
    refunded = Refund.objects.filter(payment=payment).aggregate(total=Sum("amount"))["total"] or 0
    if refunded + cancellation.refund_amount > payment.amount:
        raise errors.PaymentError(
            "This would refund more than was paid.",
            code=PaymentErrorCode.REFUND_EXCEEDS_PAYMENT,
        )
    refund = Refund.objects.create(
        payment=payment,
        kind=RefundKind.PARTIAL,
        cancellation=cancellation,
        amount=cancellation.refund_amount,
        currency=cancellation.currency,
        reason=(cancellation.reason or "tickets given back")[:200],
        reason_code=reason_code
        or (
            RefundReason.STAFF_OVERRIDE
            if cancellation.overridden
            else RefundReason.TICKETS_RETURNED
        ),
    )
    _queue_refund(refund)
    return refund


def refund_process(*, refund_id: int) -> Refund:
    """Call the provider for a pending or failed refund. Safe to run twice or concurrently."""
    with transaction.atomic():
        # The refund's row only: a join would lock the payment too, and a booking change that
        # holds the booking's lock and adds a refund to that payment would then wait for us
        # while we wait for the booking (our email's row names it): a deadlock.
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status == RefundStatus.SUCCEEDED:
            return refund
        payment = Payment.objects.get(pk=refund.payment_id)
        refund.payment = payment
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
        if payment.status == PaymentStatus.SUCCEEDED and refund.kind == RefundKind.FULL:
            # The booking's own payment went back, and the booking with it.
            _booking_locked(payment.booking_id)
            payment.status = PaymentStatus.REFUNDED
            payment.save(update_fields=["status", "updated_at"])
            booking_mark_refunded(booking_id=payment.booking_id, reason=refund.reason)
        # A duplicate capture stays `duplicate`: its booking keeps the payment it stands on.
        email_queue(
            kind=EmailKind.REFUND,
            booking_id=payment.booking_id,
            dedupe_key=f"refund:{refund.pk}",
            amount=refund.amount,
            currency=refund.currency,
        )
    logger.info("refund succeeded", extra={"refund": refund.pk, "booking": payment.booking_id})
    return refund


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


def refunds_for_cancelled_booking(
    *,
    booking: Booking,
    previous_status: str,
    reason_code: RefundReason = RefundReason.OTHER,
    note: str = "",
) -> list[Refund]:
    """A paid booking that was cancelled gets every captured payment back, for `reason_code`
    (the cancelling service's). When the cinema cancelled the show (`showtime_cancelled`) that
    is every cent not refunded yet, what the refund policy kept of tickets given back too."""
    if previous_status != BookingStatus.CONFIRMED:
        return []
    note = f"booking cancelled: {note}" if note.strip() else "booking cancelled"
    whole_payment = reason_code == RefundReason.SHOWTIME_CANCELLED
    refunds = [
        refund_request(
            payment=payment, reason=note, reason_code=reason_code, whole_payment=whole_payment
        )
        for payment in Payment.objects.filter(booking=booking, status=PaymentStatus.SUCCEEDED)
    ]
    return [refund for refund in refunds if refund is not None]
