"""The waiting list of a sold-out showtime: who asked for how many seats, in order."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from marquee.booking.models import Booking
from marquee.catalog.models import Showtime
from marquee.common.constraints import ConditionalUniqueConstraint


class EntryStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    # Seats are held for them (`booking`, a pending hold) until the offer runs out.
    OFFERED = "offered", "Offered (seats held)"
    BOOKED = "booked", "Booked (paid the offer)"
    LAPSED = "lapsed", "Lapsed (the offer ran out)"
    LEFT = "left", "Left the list"


OPEN_STATUSES = (EntryStatus.WAITING, EntryStatus.OFFERED)


class WaitlistEntry(models.Model):
    """One customer waiting for `seats` seats of a showtime; first come, first offered."""

    showtime = models.ForeignKey(Showtime, on_delete=models.CASCADE, related_name="waitlist")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    seats = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(
        max_length=8, choices=EntryStatus.choices, default=EntryStatus.WAITING
    )
    booking = models.OneToOneField(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="waitlist_entry"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waiting list entries"
        indexes = [models.Index(fields=["showtime", "status", "created_at"])]
        constraints = [
            # Joining twice is one place in the line, on every database.
            ConditionalUniqueConstraint(
                fields=["showtime", "user"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_one_open_entry_per_user",
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="waitlist_seats_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} waits for {self.seats} at {self.showtime_id} ({self.status})"
