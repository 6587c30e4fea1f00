from django.conf import settings
from django.db import models
from django.db.models import Q

from marquee.booking.models import Booking, RefundReason, TicketCancellation
from marquee.common.constraints import ConditionalUniqueConstraint


class Provider(models.TextChoices):
    """Who took the money: a provider online, or the till's own means at the box office."""

    SIMULATED = "simulated", "Simulated"
    STRIPE = "stripe", "Stripe"
    CASH = "cash", "Cash (box office)"
    CARD_PRESENT = "card_present", "Card present (box office terminal)"


# The payment methods of a till: money taken in person, recorded by the cashier.
IN_PERSON_PROVIDERS = (Provider.CASH, Provider.CARD_PRESENT)


class Till(models.Model):
    """A box-office till (a cash drawer with its card terminal): where a sale was taken."""

    name = models.CharField(max_length=64, unique=True)
    theater = models.ForeignKey(
        "catalog.Theater", null=True, blank=True, on_delete=models.PROTECT, related_name="tills"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending (awaiting the customer)"
    # Taken at the provider and on record, not yet settled (kept or refunded): a moment in the
    # pay request, longer only if settling failed; the periodic retry settles it then.
    CAPTURED = "captured", "Captured (being settled)"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"
    # Captured for a booking that already had its payment: never the booking's, always refunded.
    DUPLICATE = "duplicate", "Duplicate capture (refunded)"


# Money that reached us: what the provider captured, whatever became of it since.
CAPTURED_PAYMENT_STATUSES = (
    PaymentStatus.CAPTURED,
    PaymentStatus.SUCCEEDED,
    PaymentStatus.DUPLICATE,
    PaymentStatus.REFUNDED,
)


class Payment(models.Model):
    """One attempt to collect a booking's total through a provider.

    At most one payment per booking is `succeeded` (the partial unique index
    `payment_one_succeeded_per_booking`): that is the one the booking stands on, so a booking
    is charged once; any other capture is recorded `duplicate` and refunded.
    """

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    provider_reference = models.CharField(max_length=255)
    amount = models.DecimalField(max_digits=11, decimal_places=3)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    client_secret = models.CharField(max_length=255, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    # Box office only (cash, card_present): the till it was taken at and the cashier.
    till = models.ForeignKey(
        Till, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_reference"], name="payment_reference_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            ConditionalUniqueConstraint(
                fields=["booking"],
                condition=Q(status="succeeded"),
                name="payment_one_succeeded_per_booking",
            ),
            # Money taken in person is always taken at a till; online money never is.
            models.CheckConstraint(
                condition=Q(provider__in=IN_PERSON_PROVIDERS, till__isnull=False)
                | (~Q(provider__in=IN_PERSON_PROVIDERS) & Q(till__isnull=True)),
                name="payment_till_iff_in_person",
            ),
        ]
        indexes = [models.Index(fields=["till", "created_at"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_reference} ({self.status})"

    @property
    def refund(self) -> "Refund":
        """The full refund of this payment (Refund.DoesNotExist when there is none)."""
        return self.refunds.get(kind=RefundKind.FULL)


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (will be retried)"


class RefundKind(models.TextChoices):
    FULL = "full", "Full (what the booking still stands on)"
    PARTIAL = "partial", "Partial (tickets given back)"


class Refund(models.Model):
    """Giving money of a payment back: in full (at most once per payment: asking twice cannot
    refund twice), or for some tickets given back (once per `TicketCancellation`). Together
    they never exceed the payment (checked under the booking's lock, and by reconciliation)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    kind = models.CharField(max_length=8, choices=RefundKind.choices, default=RefundKind.FULL)
    cancellation = models.OneToOneField(
        TicketCancellation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refund",
    )
    amount = models.DecimalField(max_digits=11, decimal_places=3)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    # Why, for reports (set by the service that asked for the refund); `reason` is the note.
    reason_code = models.CharField(
        max_length=24, choices=RefundReason.choices, default=RefundReason.OTHER
    )
    reason = models.CharField(max_length=200, blank=True)
    provider_reference = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(reason_code__in=RefundReason.values), name="refund_reason_code_valid"
            ),
            ConditionalUniqueConstraint(
                fields=["payment"], condition=Q(kind="full"), name="refund_one_full_per_payment"
            ),
            models.CheckConstraint(
                condition=Q(kind="full", cancellation__isnull=True)
                | Q(kind="partial", cancellation__isnull=False),
                name="refund_partial_has_cancellation",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="refund_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Refund of {self.payment} ({self.status})"


class WebhookEvent(models.Model):
    """Every provider event id is stored once: a replay or duplicate has no second effect."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    outcome = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"
