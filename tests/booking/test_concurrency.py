"""One seat, one buyer under real concurrency: threads and HTTP clients racing for seats.

Every worker runs on its own database connection and a barrier releases them together, so
they meet inside the booking transaction rather than one after another.
"""

from __future__ import annotations

import http.client
import json
import random
import urllib.parse
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from django.db.models import Count
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from marquee.booking import services
from marquee.booking.errors import BookingError, SeatsUnavailable
from marquee.booking.models import (
    ACTIVE_TICKET_STATUSES,
    Booking,
    BookingEvent,
    BookingStatus,
    Ticket,
    TicketStatus,
)
from marquee.booking.services import ConfirmOutcome
from marquee.catalog.models import Seat
from marquee.common.errors import http_status
from tests import factories
from tests.concurrency import WORKER_TIMEOUT_SECONDS, run_together

pytestmark = pytest.mark.django_db(transaction=True)

CONFLICT_CODES = {"seats_unavailable", "seats_busy"}
# These races call booking_confirm on its own, as a payment would: their bookings are confirmed
# without a Payment row, so the check that each confirmed booking has exactly one succeeded
# payment does not apply here (tests/payments/test_pay_concurrency.py races the money).
UNPAID_CONFIRMATIONS = pytest.mark.concurrency(without=["confirmed_bookings_without_one_payment"])


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Dozens of buyers per test: the production hasher would spend the time budget on hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seat_ids(showtime):
    """The showtime's seat ids, front row first, left to right."""
    return list(
        Seat.objects.filter(screen=showtime.screen_id)
        .order_by("y", "x")
        .values_list("id", flat=True)
    )


def assert_only_conflicts(errors: list[Exception]) -> None:
    """Losing a race is a 409 with a retryable code; anything else (a deadlock, a 500) is a bug."""
    unexpected = [
        error
        for error in errors
        if not (
            isinstance(error, BookingError)
            and http_status(error) == 409
            and error.code in CONFLICT_CODES
        )
    ]
    assert not unexpected, [f"{type(e).__name__}: {e!r}" for e in unexpected]


def seats_taken_twice(showtime_id: int) -> list[dict]:
    return list(
        Ticket.objects.filter(showtime_id=showtime_id, status__in=ACTIVE_TICKET_STATUSES)
        .order_by()
        .values("seat_id")
        .annotate(holders=Count("id"))
        .filter(holders__gt=1)
    )


def hold_for(showtime, *, user, seats, now=None) -> Callable[[], Booking]:
    return partial(
        services.booking_hold, user=user, showtime_id=showtime.pk, seat_ids=seats, now=now
    )


@pytest.mark.concurrency
@pytest.mark.server_db
def test_thirty_buyers_racing_for_one_seat_leave_exactly_one_holder(showtime, seat_ids):
    seat = seat_ids[20]
    buyers = factories.UserFactory.create_batch(30)

    outcomes = run_together([hold_for(showtime, user=buyer, seats=[seat]) for buyer in buyers])

    winners = [o.value for o in outcomes if o.error is None]
    losers = [o.error for o in outcomes if o.error is not None]
    assert len(winners) == 1
    assert len(losers) == 29
    assert_only_conflicts(losers)
    assert all(e.seat_ids == [seat] for e in losers if isinstance(e, SeatsUnavailable))
    active = Ticket.objects.filter(showtime=showtime, seat_id=seat, status__in=["held", "sold"])
    assert list(active.values_list("booking_id", flat=True)) == [winners[0].pk]
    # All or nothing: the losers left no booking, ticket or event behind.
    assert Booking.objects.filter(showtime=showtime).count() == 1
    assert Ticket.objects.filter(showtime=showtime).count() == 1
    assert BookingEvent.objects.count() == 1


@pytest.mark.server_db
def test_without_the_active_ticket_index_the_same_race_sells_a_seat_twice(
    showtime, seat_ids, without_constraint
):
    """The negative control: the race above can fail. Without the unique index (dropped and
    committed, as the racers use their own connections; the fixture restores it) only the
    pre-check read stands between thirty buyers and a seat, and it cannot see rows not yet
    committed, so some seat ends up held twice."""
    without_constraint(Ticket, "ticket_one_active_per_seat")
    for seat in seat_ids[20:25]:  # a race is a race: a few rounds, stopping at the first breach
        buyers = factories.UserFactory.create_batch(30)
        run_together([hold_for(showtime, user=buyer, seats=[seat]) for buyer in buyers])
        if seats_taken_twice(showtime.pk):
            break
    doubled = seats_taken_twice(showtime.pk)
    assert doubled, "thirty racers never sold a seat twice without the index"
    assert all(row["holders"] > 1 for row in doubled)


@pytest.mark.concurrency
@pytest.mark.server_db
def test_overlapping_seat_sets_are_all_or_nothing_and_never_double_sold(showtime, seat_ids):
    rng = random.Random(f"overlap-{showtime.pk}")
    region = seat_ids[:12]
    # Lapsed holds on part of the region: racing buyers must free them, not trip over them.
    lapsed = timezone.now() - timedelta(minutes=30)
    for seats in (region[0:2], region[5:7], region[10:12]):
        services.booking_hold(
            user=factories.UserFactory(), showtime_id=showtime.pk, seat_ids=seats, now=lapsed
        )
    requests = [rng.sample(region, k=rng.randint(1, 4)) for _ in range(24)]
    buyers = factories.UserFactory.create_batch(len(requests))

    outcomes = run_together(
        [hold_for(showtime, user=b, seats=s) for b, s in zip(buyers, requests, strict=True)]
    )

    won = [(o.value, seats) for o, seats in zip(outcomes, requests, strict=True) if not o.error]
    lost = [(o.error, seats) for o, seats in zip(outcomes, requests, strict=True) if o.error]
    assert won, "somebody must get seats"
    assert_only_conflicts([error for error, _ in lost])
    assert seats_taken_twice(showtime.pk) == []
    for booking, seats in won:
        tickets = Ticket.objects.filter(booking=booking)
        assert sorted(tickets.values_list("seat_id", flat=True)) == sorted(seats)
        assert set(tickets.values_list("status", flat=True)) == {TicketStatus.HELD}
    held_by_winners = {seat for _, seats in won for seat in seats}
    assert services.active_seat_ids(showtime_id=showtime.pk, now=timezone.now()) == (
        held_by_winners
    )
    for error, seats in lost:
        if isinstance(error, SeatsUnavailable):
            # Refused only for seats a winner really holds.
            assert error.seat_ids
            assert set(error.seat_ids) <= set(seats) & held_by_winners
    assert Booking.objects.filter(showtime=showtime).count() == 3 + len(won)
    assert Ticket.objects.filter(showtime=showtime).count() == 6 + sum(len(s) for _, s in won)


@UNPAID_CONFIRMATIONS
@pytest.mark.server_db
def test_sell_out_rush_sells_every_seat_exactly_once(showtime, seat_ids):
    capacity = len(seat_ids)
    assert capacity == 40
    buyers = factories.UserFactory.create_batch(16)

    def rush(buyer, rng: random.Random) -> list[tuple]:
        log: list[tuple] = []
        for _ in range(60):
            free = sorted(
                set(seat_ids)
                - services.active_seat_ids(showtime_id=showtime.pk, now=timezone.now())
            )
            if not free:
                return log
            quantity = min(len(free), rng.randint(1, 3))
            try:
                if rng.random() < 0.25:
                    booking = services.booking_hold(
                        user=buyer, showtime_id=showtime.pk, quantity=quantity, allow_split=True
                    )
                else:
                    booking = services.booking_hold(
                        user=buyer, showtime_id=showtime.pk, seat_ids=rng.sample(free, quantity)
                    )
            except BookingError as error:
                assert http_status(error) == 409, error.code
                log.append(("refused", error.code))
                continue
            assert Ticket.objects.filter(booking_id=booking.pk).count() == quantity
            log.append(("held", booking.pk, quantity))
            if rng.random() < 0.5:
                outcome = services.booking_confirm(booking_id=booking.pk, actor=buyer)
                log.append(("confirmed", booking.pk, outcome))
        raise AssertionError("the hall never sold out")

    outcomes = run_together(
        [partial(rush, buyer, random.Random(f"rush-{i}")) for i, buyer in enumerate(buyers)]
    )

    assert [o.error for o in outcomes if o.error] == []
    log = [entry for o in outcomes for entry in o.value]
    held = {entry[1]: entry[2] for entry in log if entry[0] == "held"}
    confirmed = {entry[1] for entry in log if entry[0] == "confirmed"}
    assert {entry[2] for entry in log if entry[0] == "confirmed"} <= {ConfirmOutcome.CONFIRMED}
    assert seats_taken_twice(showtime.pk) == []
    active = Ticket.objects.filter(showtime=showtime, status__in=ACTIVE_TICKET_STATUSES)
    assert active.count() == capacity
    # Refused holds left nothing behind: every ticket row is an active one.
    assert Ticket.objects.filter(showtime=showtime).count() == capacity
    assert set(active.values_list("seat_id", flat=True)) == set(seat_ids)
    assert active.filter(status=TicketStatus.SOLD).count() == sum(held[b] for b in confirmed)
    assert set(Booking.objects.filter(showtime=showtime).values_list("pk", flat=True)) == set(held)
    assert set(
        Booking.objects.filter(status=BookingStatus.CONFIRMED).values_list("pk", flat=True)
    ) == set(confirmed)
    assert not Ticket.objects.filter(
        booking__status=BookingStatus.CONFIRMED, status=TicketStatus.HELD
    ).exists()


@UNPAID_CONFIRMATIONS
@pytest.mark.server_db
def test_confirming_twice_at_once_confirms_once(showtime, seat_ids, customer):
    for round_seats in (seat_ids[i : i + 2] for i in range(0, 16, 2)):
        booking = services.booking_hold(
            user=customer, showtime_id=showtime.pk, seat_ids=round_seats
        )
        confirm = partial(services.booking_confirm, booking_id=booking.pk, actor=customer)

        outcomes = run_together([confirm, confirm])

        assert [o.error for o in outcomes] == [None, None]
        assert sorted(o.value for o in outcomes) == [
            ConfirmOutcome.ALREADY_CONFIRMED,
            ConfirmOutcome.CONFIRMED,
        ]
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CONFIRMED
        assert list(booking.events.values_list("to_status", flat=True)) == [
            "pending",
            "confirmed",
        ]
        assert set(booking.tickets.values_list("status", flat=True)) == {TicketStatus.SOLD}


@UNPAID_CONFIRMATIONS
@pytest.mark.server_db
def test_confirm_racing_cancel_ends_in_one_consistent_state(seat_ids, showtime, customer):
    # Inside the cancellation cutoff: a confirmed booking can no longer be cancelled, so the
    # two orders end differently and a mixed ending would show.
    showtime.starts_at = timezone.now() + timedelta(minutes=60)
    showtime.save()
    endings = set()
    for round_seats in (seat_ids[i : i + 2] for i in range(0, 20, 2)):
        booking = services.booking_hold(
            user=customer, showtime_id=showtime.pk, seat_ids=round_seats
        )

        confirmed, cancelled = run_together(
            [
                partial(services.booking_confirm, booking_id=booking.pk, actor=customer),
                partial(services.booking_cancel, booking=booking, actor=customer),
            ]
        )

        booking.refresh_from_db()
        history = list(booking.events.values_list("to_status", flat=True))
        tickets = set(booking.tickets.values_list("status", flat=True))
        if confirmed.value == ConfirmOutcome.CONFIRMED:
            assert isinstance(cancelled.error, BookingError)
            assert cancelled.error.code == "cancellation_closed"
            assert booking.status == BookingStatus.CONFIRMED
            assert history == ["pending", "confirmed"]
            assert tickets == {TicketStatus.SOLD}
        else:
            assert confirmed.error is None
            assert confirmed.value == ConfirmOutcome.NOT_CONFIRMABLE
            assert cancelled.error is None
            assert booking.status == BookingStatus.CANCELLED
            assert history == ["pending", "cancelled"]
            assert tickets == {TicketStatus.CANCELLED}
        endings.add(booking.status)
    assert endings <= {BookingStatus.CONFIRMED, BookingStatus.CANCELLED}


@UNPAID_CONFIRMATIONS
@pytest.mark.server_db
def test_late_payment_racing_a_new_hold_gives_the_seats_to_exactly_one(
    showtime, seat_ids, customer
):
    lapsed = timezone.now() - timedelta(minutes=30)
    winners = set()
    for round_seats in (seat_ids[i : i + 3] for i in range(0, 30, 3)):
        # A new buyer each round: one buyer winning every round would reach the hold limits.
        newcomer = factories.UserFactory()
        late = services.booking_hold(
            user=customer, showtime_id=showtime.pk, seat_ids=round_seats, now=lapsed
        )

        confirmed, held = run_together(
            [
                partial(services.booking_confirm, booking_id=late.pk, actor=customer),
                hold_for(showtime, user=newcomer, seats=round_seats[1:]),
            ]
        )

        assert confirmed.error is None
        late.refresh_from_db()
        if confirmed.value == ConfirmOutcome.CONFIRMED:
            assert isinstance(held.error, SeatsUnavailable), held.error
            assert held.error.seat_ids == sorted(round_seats[1:])
            assert late.status == BookingStatus.CONFIRMED
            assert set(late.tickets.values_list("status", flat=True)) == {TicketStatus.SOLD}
        else:
            assert confirmed.value == ConfirmOutcome.SEATS_LOST
            assert held.error is None, held.error
            assert late.status == BookingStatus.EXPIRED
            assert not late.tickets.filter(status__in=ACTIVE_TICKET_STATUSES).exists()
            assert set(held.value.tickets.values_list("status", flat=True)) == {"held"}
        winners.add(confirmed.value)
        assert seats_taken_twice(showtime.pk) == []
    assert winners <= {ConfirmOutcome.CONFIRMED, ConfirmOutcome.SEATS_LOST}


@UNPAID_CONFIRMATIONS
@pytest.mark.server_db
def test_late_payment_racing_the_expiry_sweeper_still_confirms_once(showtime, seat_ids, customer):
    lapsed = timezone.now() - timedelta(minutes=30)
    for round_seats in (seat_ids[i : i + 2] for i in range(0, 16, 2)):
        late = services.booking_hold(
            user=customer, showtime_id=showtime.pk, seat_ids=round_seats, now=lapsed
        )

        confirmed, swept = run_together(
            [
                partial(services.booking_confirm, booking_id=late.pk, actor=customer),
                services.bookings_expire,
            ]
        )

        assert (confirmed.error, swept.error) == (None, None)
        assert confirmed.value == ConfirmOutcome.CONFIRMED
        late.refresh_from_db()
        assert late.status == BookingStatus.CONFIRMED
        history = list(late.events.values_list("to_status", flat=True))
        expected = ["pending", "expired", "confirmed"] if swept.value else ["pending", "confirmed"]
        assert history == expected
        assert set(late.tickets.values_list("status", flat=True)) == {TicketStatus.SOLD}


def _connect(base_url: str) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=WORKER_TIMEOUT_SECONDS
    )
    connection.connect()
    return connection


def _post_booking(
    connection: http.client.HTTPConnection, token: str, payload: dict
) -> tuple[int, dict | str]:
    connection.request(
        "POST",
        "/api/bookings/",
        body=json.dumps(payload),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode(errors="replace")


@pytest.mark.concurrency
def test_concurrent_http_holds_one_winner_per_seat_and_no_server_errors(
    live_server, showtime, seat_ids
):
    contested, others = seat_ids[0], seat_ids[1:21]
    buyers = factories.UserFactory.create_batch(40)
    tokens = [str(AccessToken.for_user(buyer)) for buyer in buyers]
    payloads = [{"showtime": showtime.pk, "seats": [contested]}] * 20 + [
        {"showtime": showtime.pk, "seats": [seat]} for seat in others
    ]

    # Connect first, one by one: the test server's listen backlog is 10, and a burst of 40
    # connects would be reset by the kernel before Django ever saw a request. The requests
    # themselves are then sent all at once.
    clients = [_connect(live_server.url) for _ in payloads]

    outcomes = run_together(
        [
            partial(_post_booking, client, token, payload)
            for client, token, payload in zip(clients, tokens, payloads, strict=True)
        ]
    )

    assert [o.error for o in outcomes if o.error] == []
    answers = [o.value for o in outcomes]
    assert not [a for a in answers if a[0] >= 500 or "database is locked" in str(a[1])]
    same_seat, disjoint = answers[:20], answers[20:]
    assert sorted(status for status, _ in same_seat) == [201] + [409] * 19
    assert {body["error"]["code"] for status, body in same_seat if status == 409} <= CONFLICT_CODES
    assert [status for status, _ in disjoint] == [201] * 20, disjoint
    assert seats_taken_twice(showtime.pk) == []
    assert Ticket.objects.filter(showtime=showtime, status=TicketStatus.HELD).count() == 21
    assert Booking.objects.filter(showtime=showtime).count() == 21
