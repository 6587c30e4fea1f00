from datetime import timedelta

import pytest
from django.utils import timezone

from marquee.booking import services
from marquee.catalog.models import Seat


@pytest.fixture
def seats(showtime):
    """Seats of the showtime's screen keyed by label, e.g. seats["C5"]."""
    return {f"{s.row_label}{s.number}": s for s in Seat.objects.filter(screen=showtime.screen_id)}


@pytest.fixture
def hold(customer, showtime):
    """Hold seats for a user through the service: hold(["A1", "A2"], user=..., now=...)."""

    def _hold(labels, *, user=None, now=None):
        lookup = {
            f"{s.row_label}{s.number}": s.id for s in Seat.objects.filter(screen=showtime.screen_id)
        }
        return services.booking_hold(
            user=user or customer,
            showtime_id=showtime.pk,
            seat_ids=[lookup[label] for label in labels],
            now=now,
        )

    return _hold


def minutes_from_now(minutes: int):
    return timezone.now() + timedelta(minutes=minutes)
