import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from marquee.catalog.models import DEFAULT_TICKET_TYPE, Seat, Showtime
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
    total = models.DecimalField(max_digits=11, decimal_places=3)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
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
    ticket_type = models.CharField(max_length=32, default=DEFAULT_TICKET_TYPE)
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
        ]

    def __str__(self) -> str:
        return f"Ticket {self.pk} {self.seat_id} ({self.status})"


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
