"""One freed seat is offered to one person at a time, the first in line, however many offer
runs meet (threads on PostgreSQL and MariaDB, each with its own connection).

No control without the showtime lock is kept: with it taken out these runs still came out
fair, because the first run's uncommitted holds make the others wait on the active-ticket
unique index and then find the seats taken. The lock keeps the line's order in the cases the
index cannot see (a run reading the line before another's offers commit)."""

import time

import pytest

from marquee.booking.models import Booking, Ticket
from marquee.booking.services import booking_cancel, booking_hold
from marquee.payments.services import payment_start
from marquee.waitlist import services
from marquee.waitlist.models import WaitlistEntry
from marquee.waitlist.services import waitlist_join, waitlist_offer_next
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)
RUNS = 6


@pytest.fixture(autouse=True)
def slow_holds(monkeypatch):
    """Each offer's hold starts a moment after the run read the line, so runs that start
    together overlap for sure (in the tests with the lock as in the control without it)."""
    hold = services.booking_hold

    def slow_hold(**kwargs):
        time.sleep(0.05)
        return hold(**kwargs)

    monkeypatch.setattr(services, "booking_hold", slow_hold)


def _sold_out_with_line(line: int):
    screen = factories.screen_with_seats(rows=1, per_row=3)
    show = factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(2, screen.theater.timezone)
    )
    buyer = factories.UserFactory()
    bookings = []
    for seat_id in screen.seats.order_by("number").values_list("pk", flat=True):
        booking = booking_hold(user=buyer, showtime_id=show.pk, seat_ids=[seat_id])
        payment_start(booking=booking, user=buyer, card_number="4242424242424242")
        bookings.append(Booking.objects.get(pk=booking.pk))
    entries = [
        waitlist_join(user=factories.UserFactory(), showtime_id=show.pk, seats=1)
        for _ in range(line)
    ]
    return show, bookings, entries


def _offered(show):
    return list(
        WaitlistEntry.objects.filter(showtime=show, status="offered")
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )


@pytest.mark.concurrency
@pytest.mark.server_db
def test_concurrent_offer_runs_offer_one_freed_seat_once_to_the_first(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # only the runs below make offers
    show, bookings, entries = _sold_out_with_line(4)
    booking_cancel(booking=bookings[1], actor=bookings[1].user)
    outcomes = run_together([lambda: waitlist_offer_next(showtime_id=show.pk)] * RUNS)
    assert [o.error for o in outcomes] == [None] * RUNS
    assert sum(len(o.value) for o in outcomes) == 1
    assert _offered(show) == [entries[0].pk]
    assert _held_by(show) == [entries[0].user_id]


@pytest.mark.concurrency
@pytest.mark.server_db
def test_two_freed_seats_go_to_the_first_two_in_line(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    show, bookings, entries = _sold_out_with_line(4)
    for booking in bookings[:2]:
        booking_cancel(booking=booking, actor=booking.user)
    outcomes = run_together([lambda: waitlist_offer_next(showtime_id=show.pk)] * RUNS)
    assert [o.error for o in outcomes] == [None] * RUNS
    assert _offered(show) == [entries[0].pk, entries[1].pk]
    assert _held_by(show) == sorted([entries[0].user_id, entries[1].user_id])


def _held_by(show):
    return sorted(
        Ticket.objects.filter(showtime=show, status="held").values_list(
            "booking__user_id", flat=True
        )
    )
