import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from marquee.catalog.models import DEFAULT_TICKET_TYPE, Seat, Showtime, Theater
from marquee.common.constraints import ConditionalUniqueConstraint


class BookingStatus(models.TextChoices):
    PENDING = "pending", "Pending (seats held)"
    CONFIRMED = "confirmed", "Confirmed (paid)"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    REFUNDED = "refunded", "Refunded"


class TicketStatus(models.TextChoices):
    HELD = "held", "Held"
    SOLD = "sold", "Sold"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


ACTIVE_TICKET_STATUSES = (TicketStatus.HELD, TicketStatus.SOLD)


class SalesChannel(models.TextChoices):
    """Where a booking was sold: online by its buyer, or at a till by a member of staff (the
    booking's `user`, a walk-in being nobody's account)."""

    ONLINE = "online", "Online"
    BOX_OFFICE = "box_office", "Box office"


def new_ticket_secret() -> str:
    return secrets.token_urlsafe(12)


class Booking(models.Model):
    """One buyer's seats for one showtime: all of them or none."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    showtime = models.ForeignKey(Showtime, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(
        max_length=16, choices=BookingStatus.choices, default=BookingStatus.PENDING
    )
    expires_at = models.DateTimeField()
    # Amounts keep three decimal places (the most any accepted currency has, KWD); each is a
    # whole number of its currency's minor units (marquee/common/money.py).
    total = models.DecimalField(max_digits=11, decimal_places=3)  # what is paid: after discount
    currency = models.CharField(max_length=3)
    # A voucher's discount: `total` is the tickets' prices less this (0 without a voucher).
    discount = models.DecimalField(max_digits=11, decimal_places=3, default=0, db_default=0)
    # A snapshot, for receipts.
    voucher_code = models.CharField(max_length=32, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    channel = models.CharField(
        max_length=16,
        choices=SalesChannel.choices,
        default=SalesChannel.ONLINE,
        db_default=SalesChannel.ONLINE,
    )
    # A box-office sale's e-tickets go here (empty: printed only); online, to the account.
    customer_email = models.EmailField(blank=True, default="", db_default="")
    # Set when the "your show starts soon" email is queued (the tickets outbox sends it), so
    # overlapping scheduler runs queue it once.
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["showtime", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="booking_total_not_negative"),
            models.CheckConstraint(
                condition=Q(channel__in=SalesChannel.values), name="booking_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0), name="booking_discount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Booking {self.public_id} ({self.status})"


class Ticket(models.Model):
    """One seat of a booking; the partial unique index is the one-seat-one-buyer promise."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="tickets")
    showtime = models.ForeignKey(Showtime, on_delete=models.PROTECT, related_name="tickets")
    # PROTECT: a screen whose seats have tickets cannot have its seats regenerated.
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="tickets")
    price = models.DecimalField(max_digits=9, decimal_places=3)  # in the booking's currency
    # The ticket type's code when held (a snapshot, like the price: a later card change or a
    # renamed type never reprices or relabels a ticket).
    ticket_type = models.CharField(
        max_length=32, default=DEFAULT_TICKET_TYPE, db_default=DEFAULT_TICKET_TYPE
    )
    status = models.CharField(
        max_length=16, choices=TicketStatus.choices, default=TicketStatus.HELD
    )
    held_until = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The random half of the e-ticket code; the code itself is signed (marquee/tickets/codes.py).
    secret = models.CharField(max_length=32, default=new_ticket_secret, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Given back out of a confirmed booking (a partial cancellation): the ticket is `cancelled`,
    # and `refund_amount` of its price goes back (the rest is kept under the refund policy).
    cancellation = models.ForeignKey(
        "TicketCancellation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    refund_amount = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)

    class Meta:
        # By id only: a default ordering through the seat table would add a join and a sort to
        # every ticket query on the hot path. Screens order their tickets where they show them.
        ordering = ["id"]
        constraints = [
            ConditionalUniqueConstraint(
                fields=["showtime", "seat"],
                condition=Q(status__in=["held", "sold"]),
                name="ticket_one_active_per_seat",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="ticket_price_not_negative"),
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True)
                | Q(refund_amount__gte=0, refund_amount__lte=F("price")),
                name="ticket_refund_within_price",
            ),
            models.CheckConstraint(
                condition=Q(cancellation__isnull=True, refund_amount__isnull=True)
                | Q(
                    cancellation__isnull=False,
                    refund_amount__isnull=False,
                    status__in=["cancelled", "refunded"],
                ),
                name="ticket_cancellation_has_refund_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Ticket {self.pk} {self.seat_id} ({self.status})"


class RefundTier(models.Model):
    """One step of a theater's refund policy: tickets given back at least `minutes_before` the
    show get `percent` of their price back. The steps are ordered by `minutes_before`; later
    than the last step, nothing. A theater without steps follows BOOKING_REFUND_POLICY."""

    theater = models.ForeignKey(Theater, on_delete=models.CASCADE, related_name="refund_tiers")
    minutes_before = models.PositiveIntegerField()
    percent = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])

    class Meta:
        ordering = ["theater", "-minutes_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["theater", "minutes_before"], name="refund_tier_one_per_time"
            ),
            models.CheckConstraint(
                condition=Q(percent__lte=100), name="refund_tier_percent_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.percent}% from {self.minutes_before} min before ({self.theater_id})"


class RefundReason(models.TextChoices):
    """Why money went back, as reports group it: decided by the booking service that caused the
    refund (`payments.Refund.reason_code`); the free-text `reason` stays beside it as a note."""

    CUSTOMER_CANCELLED = "customer_cancelled", _("Customer cancelled the booking")
    TICKETS_RETURNED = "tickets_returned", _("Tickets given back (partial)")
    STAFF_CANCELLED = "staff_cancelled", _("Staff cancelled the booking")
    STAFF_OVERRIDE = "staff_override", _("Staff overrode the refund policy")
    SHOWTIME_CANCELLED = "showtime_cancelled", _("Showtime cancelled by the cinema")
    BOX_OFFICE = "box_office", _("Box-office sale refunded at the till")
    PAYMENT_PROBLEM = "payment_problem", _("Payment could not be kept (duplicate, late, changed)")
    OTHER = "other", _("Other")


class TicketCancellation(models.Model):
    """Some tickets of a confirmed booking given back: what the policy (or staff) refunded."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="cancellations")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # The share of the tickets' prices refunded: the policy's, or the staff override's.
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    refund_amount = models.DecimalField(max_digits=11, decimal_places=3)
    currency = models.CharField(max_length=3)
    overridden = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_amount__gte=0), name="cancellation_refund_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100),
                name="cancellation_percent_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.refund_amount} {self.currency} back ({self.percent}%)"


class BookingEvent(models.Model):
    """The history of a booking: who moved it from which status to which, and when."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.from_status or '-'} -> {self.to_status}"


class IdempotencyKey(models.Model):
    """A client's retry key for POST /bookings/: the first answer is replayed for 24 hours."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    # Empty while the first request is still running; a concurrent retry then waits its turn.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


VOUCHER_CODE_MAX_LENGTH = 32


class VoucherKind(models.TextChoices):
    PERCENT = "percent", "Percent off"
    AMOUNT = "amount", "Amount off (in the voucher's currency)"


class Voucher(models.Model):
    """A promo code: a discount on the tickets it applies to, within its window and limits.

    `redeemed` counts the live redemptions; the CHECK constraint keeps it at most
    `max_redemptions` whatever runs concurrently, and redeeming is one conditional UPDATE
    (`redeemed < max_redemptions`), so the limit holds under any rush."""

    code = models.CharField(
        max_length=VOUCHER_CODE_MAX_LENGTH, unique=True
    )  # upper case (vouchers.normalize_code)
    kind = models.CharField(max_length=8, choices=VoucherKind.choices)
    # Percent (0-100, two decimals) or an amount in `currency`'s minor units.
    value = models.DecimalField(max_digits=9, decimal_places=3)
    currency = models.CharField(max_length=3, blank=True, help_text="Amount vouchers only.")
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    # Scope: every set field must match (none set: any ticket of any show).
    movie = models.ForeignKey(
        "catalog.Movie", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    theater = models.ForeignKey(
        "catalog.Theater", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ticket_type = models.CharField(
        max_length=32, blank=True, help_text="Only tickets of this type are discounted."
    )
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    max_per_user = models.PositiveIntegerField(null=True, blank=True)
    min_seats = models.PositiveSmallIntegerField(default=1)
    redeemed = models.PositiveIntegerField(default=0)
    batch = models.CharField(max_length=60, blank=True, help_text="Set by bulk creation.")
    # Staff may switch a voucher off (and on again): an inactive code applies to nothing.
    is_active = models.BooleanField(default=True, db_default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(redeemed__gte=0)
                & (Q(max_redemptions__isnull=True) | Q(redeemed__lte=models.F("max_redemptions"))),
                name="voucher_redemptions_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(kind="percent", currency="", value__gte=0, value__lte=100)
                | (Q(kind="amount", value__gte=0) & ~Q(currency="")),
                name="voucher_value_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class VoucherRedemption(models.Model):
    """A voucher used by a booking; `released_at` once the booking no longer stands (cancelled,
    expired, refunded) and the voucher's count was given back."""

    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="redemptions")
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="redemption")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    discount = models.DecimalField(max_digits=11, decimal_places=3)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["voucher", "user", "released_at"])]

    def __str__(self) -> str:
        return f"{self.voucher} on {self.booking_id}"
