"""The hold limits under concurrency: one customer's holds fired at once are serialized (their
account row's lock), so together they can never pass the limit; other customers never wait."""

from __future__ import annotations

import threading
from functools import partial

import pytest
from django.db import connections, transaction

from marquee.booking import services
from marquee.booking.errors import HoldLimitReached
from marquee.booking.models import Ticket, TicketStatus
from tests import factories
from tests.booking.test_concurrency import WORKER_TIMEOUT_SECONDS, run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def new_showtime(days: int = 2, *, rows: int = 10, per_row: int = 20):
    screen = factories.screen_with_seats(rows=rows, per_row=per_row)
    return factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(days, screen.theater.timezone)
    )


def held_by(user, showtime=None) -> int:
    tickets = Ticket.objects.filter(booking__user=user, status=TicketStatus.HELD)
    if showtime is not None:
        tickets = tickets.filter(showtime=showtime)
    return tickets.count()


def hold_quantity(user, showtime, quantity: int):
    return partial(
        services.booking_hold,
        user=user,
        showtime_id=showtime.pk,
        quantity=quantity,
        allow_split=True,
    )


def test_twenty_concurrent_quantity_holds_from_one_customer_take_ten_seats(customer):
    # The abuse the limit is for: 20 holds of 10 at once on a 200-seat hall.
    showtime = new_showtime()

    outcomes = run_together([hold_quantity(customer, showtime, 10) for _ in range(20)])

    won = [o.value for o in outcomes if o.error is None]
    refused = [o.error for o in outcomes if o.error is not None]
    assert len(won) == 1, refused
    assert all(isinstance(error, HoldLimitReached) for error in refused), refused
    assert held_by(customer) == 10


def test_concurrent_holds_across_showtimes_stop_at_the_overall_limit(customer):
    # Four showtimes, five holds of 10 at each, all at once: one per showtime could pass the
    # per-showtime limit (10), but only three in all fit under the overall one (30).
    showtimes = [new_showtime(days, rows=5, per_row=8) for days in range(2, 6)]

    outcomes = run_together(
        [hold_quantity(customer, showtime, 10) for showtime in showtimes for _ in range(5)]
    )

    refused = [o.error for o in outcomes if o.error is not None]
    assert sum(o.error is None for o in outcomes) == 3, refused
    assert all(isinstance(error, HoldLimitReached) for error in refused), refused
    assert {error.details["scope"] for error in refused} <= {"showtime", "all_showtimes"}
    assert held_by(customer) == 30
    assert all(held_by(customer, showtime) <= 10 for showtime in showtimes)


def test_concurrent_small_holds_fill_the_limit_exactly(customer):
    showtime = new_showtime()
    seat_ids = list(showtime.screen.seats.order_by("id").values_list("id", flat=True))
    pairs = [seat_ids[i : i + 2] for i in range(0, 40, 2)]

    outcomes = run_together(
        [
            partial(services.booking_hold, user=customer, showtime_id=showtime.pk, seat_ids=pair)
            for pair in pairs
        ]
    )

    assert sum(o.error is None for o in outcomes) == 5
    assert all(isinstance(o.error, HoldLimitReached) for o in outcomes if o.error)
    assert held_by(customer) == 10


@pytest.mark.server_db
def test_without_the_customers_lock_concurrent_holds_do_pass_the_limit(customer, monkeypatch):
    """The race the lock closes is real: with the lock taken out and every hold made to count
    before any of them inserts, all of them pass (this is what the tests above would catch)."""
    showtime = new_showtime()
    seat_ids = list(showtime.screen.seats.order_by("id").values_list("id", flat=True))
    pairs = [seat_ids[i : i + 2] for i in range(0, 12, 2)]  # 6 holds of 2: 12 > 10
    counted = threading.Barrier(len(pairs))
    count = services.held_seat_counts

    def count_then_wait_for_the_others(**kwargs):
        result = count(**kwargs)
        counted.wait(timeout=WORKER_TIMEOUT_SECONDS)
        return result

    monkeypatch.setattr(services, "_lock_holds_of", lambda user: None)
    monkeypatch.setattr(services, "held_seat_counts", count_then_wait_for_the_others)

    outcomes = run_together(
        [
            partial(services.booking_hold, user=customer, showtime_id=showtime.pk, seat_ids=pair)
            for pair in pairs
        ]
    )

    assert [o.error for o in outcomes] == [None] * len(pairs)
    assert held_by(customer) == 12


@pytest.mark.server_db
def test_one_customers_lock_does_not_hold_up_another_customer(customer, other_customer):
    showtime = new_showtime()
    locked, release = threading.Event(), threading.Event()

    def hold_the_customers_lock() -> None:
        try:
            with transaction.atomic():
                services._lock_holds_of(customer)
                locked.set()
                release.wait(WORKER_TIMEOUT_SECONDS)
        finally:
            connections.close_all()

    outcome: list = []

    def hold_for_the_locked_customer() -> None:
        try:
            outcome.append(
                services.booking_hold(user=customer, showtime_id=showtime.pk, quantity=2)
            )
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_customers_lock, daemon=True)
    holder.start()
    assert locked.wait(WORKER_TIMEOUT_SECONDS)
    waiting = threading.Thread(target=hold_for_the_locked_customer, daemon=True)
    try:
        # Another customer's hold goes through while the first customer's row is locked ...
        other = services.booking_hold(user=other_customer, showtime_id=showtime.pk, quantity=2)
        assert other.tickets.count() == 2
        # ... while the first customer's own next hold waits for it.
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()
    finally:
        release.set()
        holder.join(WORKER_TIMEOUT_SECONDS)
    waiting.join(WORKER_TIMEOUT_SECONDS)
    assert not waiting.is_alive()
    assert outcome and outcome[0].tickets.count() == 2
