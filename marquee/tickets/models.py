"""The email outbox: one row per customer email, written in the transaction that calls for it.

A row cannot be lost with a broker outage or a mail server outage: it is committed with the
booking change, sent by a task queued after the commit, and re-driven by the scheduler until
it is sent or `give_up_at` passes (marquee/tickets/outbox.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from marquee.booking.models import Booking, Ticket, TicketCancellation
from marquee.catalog.models import Showtime


class EmailKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Booking confirmation with e-tickets"
    CANCELLATION = "cancellation", "Cancellation notice"
    REFUND = "refund", "Refund notice"
    REMINDER = "reminder", "Showtime reminder"
    TICKETS_RETURNED = "tickets_returned", "Tickets given back (partial cancellation)"
    WAITLIST_OFFER = "waitlist_offer", "Seats offered from the waiting list"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending (to be sent or retried)"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed for good"
    SKIPPED = "skipped", "Skipped (no longer applies)"


class EmailDelivery(models.Model):
    """One email to a booking's buyer. Its content is rendered from the booking when it is sent."""

    kind = models.CharField(max_length=16, choices=EmailKind.choices)
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="email_deliveries")
    # The address of the last attempt (the account's address at that moment).
    recipient = models.EmailField(blank=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # Set while a sender holds the row; a claim older than the outbox's timeout is void.
    claimed_at = models.DateTimeField(null=True, blank=True)
    give_up_at = models.DateTimeField()
    # Why the last attempt failed, or why the email was skipped; never a credential.
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The refund notice's amount; the other kinds read everything from the booking.
    amount = models.DecimalField(max_digits=11, decimal_places=3, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # The partial cancellation a `tickets_returned` email tells of.
    cancellation = models.ForeignKey(
        TicketCancellation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # One automatic email per event ("confirmation:<booking id>", "refund:<refund id>"); resends
    # have none (NULLs never collide, on every database).
    dedupe_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who asked for this email to be sent again (empty: sent automatically).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "email deliveries"
        indexes = [
            # The re-drive's scan: pending rows by due time, sending rows by claim age.
            models.Index(fields=["status", "next_attempt_at"], name="email_delivery_due"),
            models.Index(fields=["status", "claimed_at"], name="email_delivery_claimed"),
            models.Index(fields=["created_at"], name="email_delivery_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="refund") | Q(amount__gt=0),
                name="email_delivery_refund_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for booking {self.booking_id} ({self.status})"


class ScanDirection(models.TextChoices):
    ENTRY = "entry", "Entry"
    EXIT = "exit", "Exit (re-entry allowed)"


class ScanResult(models.TextChoices):
    ADMITTED = "admitted", "Admitted (or let out)"
    # A device admitted the ticket offline, and the server would have refused it (another
    # device admitted it first, it was cancelled meanwhile): kept and shown, never merged.
    CONFLICT = "conflict", "Conflict (admitted offline, refused on upload)"


class DoorScan(models.Model):
    """One scan at the door that let someone in or out, or an offline admission in conflict.

    The ticket's door state is its latest admitted scan not undone (entry: inside); the first
    admission also stays on the ticket (`Ticket.checked_in_at`), as before."""

    # Chosen by the device for each scan: a retried or re-uploaded scan is answered again, not
    # counted twice.
    nonce = models.CharField(max_length=64, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="door_scans")
    showtime = models.ForeignKey(Showtime, on_delete=models.CASCADE, related_name="door_scans")
    direction = models.CharField(max_length=8, choices=ScanDirection.choices)
    result = models.CharField(max_length=16, choices=ScanResult.choices)
    # For a conflict: the code the server refused it with (`already_checked_in`, ...).
    reason = models.CharField(max_length=32, blank=True)
    details = models.JSONField(default=dict, blank=True)
    device = models.CharField(max_length=64, blank=True, help_text="The scanner's own name.")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offline = models.BooleanField(default=False)
    # When the device scanned (its clock for an offline scan), and when the server learnt of it.
    scanned_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Recorded or undone: what the check-in list's delta feed follows.
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scanned_at", "id"]
        indexes = [
            models.Index(fields=["showtime", "changed_at"], name="door_scan_feed"),
            models.Index(fields=["ticket", "scanned_at"], name="door_scan_ticket"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(result="conflict") | Q(reason=""), name="door_scan_reason_on_conflict"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.result} ticket {self.ticket_id} at {self.device or '?'}"


class DoorPolicy(models.Model):
    """How the door treats one showtime: whether a guest may leave and come back in."""

    showtime = models.OneToOneField(
        Showtime, on_delete=models.CASCADE, primary_key=True, related_name="door_policy"
    )
    reentry_allowed = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "door policies"

    def __str__(self) -> str:
        return f"Showtime {self.showtime_id}: re-entry {'on' if self.reentry_allowed else 'off'}"
