"""A walk-in family is sold seats while online buyers rush the same show: real threads, each
on its own database connection, released together (tests/concurrency.py)."""

from __future__ import annotations

import pytest

from marquee.booking.errors import BookingError
from marquee.booking.models import ACTIVE_TICKET_STATUSES, Booking, SalesChannel, Ticket
from marquee.booking.services import booking_hold
from marquee.catalog.models import Seat
from marquee.payments.models import Payment, Till
from marquee.payments.services import payment_start
from marquee.staff.boxoffice import box_office_sell
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)

RETRYABLE = {"seats_unavailable", "seats_busy"}


@pytest.mark.concurrency
@pytest.mark.server_db
def test_a_walk_in_family_and_an_online_rush_never_share_a_seat(showtime, staff_user):
    seats = list(
        Seat.objects.filter(screen=showtime.screen_id)
        .order_by("y", "x")
        .values_list("id", flat=True)
    )
    family = seats[10:14]  # four seats side by side
    till = Till.objects.create(name="Till 1")
    buyers = factories.UserFactory.create_batch(12)

    def walk_in():
        return box_office_sell(
            staff=staff_user,
            showtime_id=showtime.pk,
            seat_ids=family,
            method="cash",
            till_id=till.pk,
        )

    def online(buyer, wanted):
        def call():
            booking = booking_hold(user=buyer, showtime_id=showtime.pk, seat_ids=wanted)
            payment_start(booking=booking, user=buyer, card_number="4242424242424242")
            return booking

        return call

    # Each online buyer wants two seats overlapping the family's (or each other's).
    calls = [walk_in] + [
        online(buyer, [family[i % 4], seats[14 + i % 3]]) for i, buyer in enumerate(buyers)
    ]
    outcomes = run_together(calls)

    errors = [o.error for o in outcomes if o.error is not None]
    assert all(isinstance(e, BookingError) and e.code in RETRYABLE for e in errors), errors
    active = Ticket.objects.filter(showtime=showtime, status__in=ACTIVE_TICKET_STATUSES)
    seat_ids = list(active.values_list("seat_id", flat=True))
    assert len(seat_ids) == len(set(seat_ids)), "a seat was held or sold twice"
    # All or nothing, on both channels: every booking that exists has all its seats.
    for booking in Booking.objects.filter(showtime=showtime, status="confirmed"):
        assert booking.tickets.filter(status="sold").count() in (2, 4)
    walk_in_outcome = outcomes[0]
    sold_at_till = Booking.objects.filter(channel=SalesChannel.BOX_OFFICE, status="confirmed")
    if walk_in_outcome.error is None:
        (booking,) = sold_at_till
        assert set(booking.tickets.values_list("seat_id", flat=True)) == set(family)
        assert Payment.objects.get(booking=booking).till == till
    else:
        assert not sold_at_till.exists()
        # Nothing of the walk-in's hold is left behind.
        assert not Booking.objects.filter(channel=SalesChannel.BOX_OFFICE).exists()


@pytest.mark.concurrency
@pytest.mark.server_db
def test_the_walk_in_gets_the_seats_nobody_online_holds_while_the_rush_goes_on(
    showtime, staff_user
):
    seats = list(
        Seat.objects.filter(screen=showtime.screen_id)
        .order_by("y", "x")
        .values_list("id", flat=True)
    )
    family, rush = seats[:4], seats[4:]
    till = Till.objects.create(name="Till 1")
    buyers = factories.UserFactory.create_batch(10)

    def walk_in():
        return box_office_sell(
            staff=staff_user,
            showtime_id=showtime.pk,
            seat_ids=family,
            method="card_present",
            till_id=till.pk,
        )

    calls = [walk_in] + [
        (
            lambda buyer=buyer, i=i: booking_hold(
                user=buyer, showtime_id=showtime.pk, seat_ids=[rush[i % len(rush)]]
            )
        )
        for i, buyer in enumerate(buyers)
    ]
    outcomes = run_together(calls)

    assert outcomes[0].error is None, outcomes[0].error
    booking, payment = outcomes[0].value
    assert booking.status == "confirmed" and payment.provider == "card_present"
    assert sorted(booking.tickets.values_list("seat_id", flat=True)) == sorted(family)
