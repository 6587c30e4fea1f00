"""Data for the door scanner's tests: a show today in a theater where it is about 10:00, and
confirmed bookings made through the services (imported by the door's test modules)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marquee.booking import services
from marquee.booking.models import Booking
from marquee.catalog.models import Seat
from tests import factories
from tests.tickets.conftest import daytime_zone


@pytest.fixture
def door_showtime(db):
    theater = factories.TheaterFactory(name="Kino Lumen", timezone=daytime_zone())
    screen = factories.screen_with_seats(
        rows=5, per_row=8, aisle_after=(4,), premium_rows="D", vip_rows="E", theater=theater
    )
    return factories.ShowtimeFactory(
        screen=screen,
        movie=factories.MovieFactory(title="The Night Usher"),
        starts_at=timezone.now() + timedelta(hours=3),
    )


@pytest.fixture
def door_book(customer, door_showtime):
    """door_book(["A1"]) -> a confirmed booking of today's show, via the services."""

    def _book(labels, *, showtime=door_showtime) -> Booking:
        seat_ids = {
            f"{s.row_label}{s.number}": s.id for s in Seat.objects.filter(screen=showtime.screen_id)
        }
        booking = services.booking_hold(
            user=customer, showtime_id=showtime.pk, seat_ids=[seat_ids[label] for label in labels]
        )
        services.booking_confirm(booking_id=booking.pk)
        return Booking.objects.get(pk=booking.pk)

    return _book
