"""The booking promises as a state machine: random holds, confirms, cancels, sweeps and clock
jumps on one small showtime, with every invariant checked after every step.

The machine keeps a simulated clock and passes it to every service as `now`, so holds lapse and
the cancellation cutoff and the show's start arrive without sleeping.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import hypothesis
from django.conf import settings as django_settings
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from marquee.booking import services
from marquee.booking.errors import BookingError, SeatsUnavailable
from marquee.booking.models import Booking, BookingEvent, BookingStatus, Ticket, TicketStatus
from marquee.booking.services import ConfirmOutcome
from marquee.catalog.models import Seat
from marquee.common.errors import http_status
from tests import factories

ROWS, SEATS_PER_ROW = 2, 4
SEAT_COUNT = ROWS * SEATS_PER_ROW
HOLD_MINUTES = 5
FINISHED = {BookingStatus.CANCELLED, BookingStatus.EXPIRED}
MACHINE_SETTINGS = hypothesis.settings(
    max_examples=30,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class BookingMachine(RuleBasedStateMachine):
    """Three buyers, one 2 x 4 screen (row B is VIP), one showtime, a clock that only moves on."""

    bookings = Bundle("bookings")

    def __init__(self, users):
        super().__init__()
        self.users = users
        # The sweeper works on every showtime: start each example with no bookings at all.
        Booking.objects.all().delete()
        screen = factories.screen_with_seats(rows=ROWS, per_row=SEATS_PER_ROW, vip_rows="B")
        starts_at = timezone.now().replace(second=0, microsecond=0) + timedelta(days=3)
        self.showtime = factories.ShowtimeFactory(screen=screen, starts_at=starts_at)
        self.seat_ids = list(
            Seat.objects.filter(screen=screen).order_by("y", "x").values_list("id", flat=True)
        )
        self.clock = starts_at - timedelta(hours=3)

    # --- what the model expects ----------------------------------------------------------

    @property
    def started(self) -> bool:
        return self.clock >= self.showtime.starts_at

    def _tickets(self):
        return Ticket.objects.filter(showtime=self.showtime)

    def _active_tickets(self):
        """Sold, or held by a hold that has not lapsed on the machine's clock."""
        return self._tickets().filter(
            Q(status=TicketStatus.SOLD) | Q(status=TicketStatus.HELD, held_until__gt=self.clock)
        )

    def _taken(self, *, excluding_booking: int | None = None) -> set[int]:
        tickets = self._active_tickets()
        if excluding_booking is not None:
            tickets = tickets.exclude(booking_id=excluding_booking)
        return set(tickets.values_list("seat_id", flat=True))

    def _assert_fresh_hold(self, booking: Booking, seat_ids: list[int]) -> None:
        booking.refresh_from_db()
        tickets = list(booking.tickets.all())
        assert booking.status == BookingStatus.PENDING
        assert booking.expires_at == self.clock + timedelta(
            minutes=django_settings.BOOKING_HOLD_MINUTES
        )
        assert sorted(t.seat_id for t in tickets) == sorted(seat_ids)
        assert {(t.status, t.held_until) for t in tickets} == {
            (TicketStatus.HELD, booking.expires_at)
        }

    # --- rules ---------------------------------------------------------------------------

    @initialize(minutes_before_show=st.integers(min_value=1, max_value=200))
    def set_clock(self, minutes_before_show):
        # Sometimes far from the show, sometimes past the cancellation cutoff, sometimes a
        # few clock steps away from the start.
        self.clock = self.showtime.starts_at - timedelta(minutes=minutes_before_show)

    @rule(
        target=bookings,
        buyer=st.integers(0, 2),
        # Mostly valid requests; sometimes empty or with a seat twice.
        picks=st.lists(st.integers(0, SEAT_COUNT - 1), min_size=1, max_size=4, unique=True)
        | st.lists(st.integers(0, SEAT_COUNT - 1), max_size=4),
    )
    def hold_seats(self, buyer, picks):
        seat_ids = [self.seat_ids[i] for i in picks]
        taken = self._taken() & set(seat_ids)
        try:
            booking = services.booking_hold(
                user=self.users[buyer],
                showtime_id=self.showtime.pk,
                seat_ids=seat_ids,
                now=self.clock,
            )
        except BookingError as error:
            hypothesis.event(f"hold refused: {error.code}")
            if self.started:
                assert (http_status(error), error.code) == (409, "showtime_started")
            elif not seat_ids:
                assert (http_status(error), error.code) == (400, "no_seats_requested")
            elif len(set(seat_ids)) < len(seat_ids):
                assert (http_status(error), error.code) == (400, "duplicate_seats")
            else:
                # Refused exactly for the seats someone else really has at this instant.
                assert isinstance(error, SeatsUnavailable), error.code
                assert error.seat_ids == sorted(taken)
                assert taken
            return multiple()
        assert not self.started
        assert not taken, "held seats someone else still had"
        self._assert_fresh_hold(booking, seat_ids)
        return booking.pk

    @rule(target=bookings, buyer=st.integers(0, 2), quantity=st.integers(1, 3))
    def hold_best_available(self, buyer, quantity):
        free = set(self.seat_ids) - self._taken()
        try:
            booking = services.booking_hold(
                user=self.users[buyer],
                showtime_id=self.showtime.pk,
                quantity=quantity,
                allow_split=True,
                now=self.clock,
            )
        except BookingError as error:
            hypothesis.event(f"best available refused: {error.code}")
            if self.started:
                assert (http_status(error), error.code) == (409, "showtime_started")
            else:
                assert (http_status(error), error.code) == (409, "not_enough_seats")
                assert len(free) < quantity
            return multiple()
        seat_ids = list(booking.tickets.values_list("seat_id", flat=True))
        assert len(seat_ids) == quantity
        assert set(seat_ids) <= free
        self._assert_fresh_hold(booking, seat_ids)
        return booking.pk

    @rule(booking_id=bookings)
    def confirm(self, booking_id):
        booking = Booking.objects.get(pk=booking_id)
        before = booking.status
        own_seats = set(booking.tickets.values_list("seat_id", flat=True))
        lost = own_seats & self._taken(excluding_booking=booking_id)

        outcome = services.booking_confirm(
            booking_id=booking_id, actor=booking.user, now=self.clock
        )

        booking.refresh_from_db()
        lapsed = " (lapsed)" if booking.expires_at <= self.clock else ""
        hypothesis.event(f"confirm {before}{lapsed}: {outcome}")
        if before == BookingStatus.CONFIRMED:
            assert outcome == ConfirmOutcome.ALREADY_CONFIRMED
        elif before not in (BookingStatus.PENDING, BookingStatus.EXPIRED):
            assert outcome == ConfirmOutcome.NOT_CONFIRMABLE
        elif lost:
            assert outcome == ConfirmOutcome.SEATS_LOST
            assert booking.status == BookingStatus.EXPIRED
        else:
            assert outcome == ConfirmOutcome.CONFIRMED
            assert booking.status == BookingStatus.CONFIRMED
        if outcome != ConfirmOutcome.CONFIRMED and before != BookingStatus.PENDING:
            assert booking.status == before

    @rule(booking_id=bookings)
    def cancel(self, booking_id):
        booking = Booking.objects.select_related("user").get(pk=booking_id)
        before = booking.status
        cutoff = self.showtime.starts_at - timedelta(
            minutes=django_settings.BOOKING_CANCELLATION_CUTOFF_MINUTES
        )
        try:
            services.booking_cancel(booking=booking, actor=booking.user, now=self.clock)
        except BookingError as error:
            hypothesis.event(f"cancel {before} refused: {error.code}")
            assert http_status(error) == 409
            if before == BookingStatus.CONFIRMED:
                assert error.code == "cancellation_closed"
                assert self.clock >= cutoff
            else:
                assert error.code == "booking_not_cancellable"
                assert before != BookingStatus.PENDING
            assert Booking.objects.get(pk=booking_id).status == before
            return
        hypothesis.event(f"cancel {before}")
        assert before == BookingStatus.PENDING or (
            before == BookingStatus.CONFIRMED and self.clock < cutoff
        )
        assert Booking.objects.get(pk=booking_id).status == BookingStatus.CANCELLED

    @rule()
    def sweep(self):
        due = set(
            Booking.objects.filter(
                status=BookingStatus.PENDING, expires_at__lte=self.clock
            ).values_list("pk", flat=True)
        )
        assert services.bookings_expire(now=self.clock) == len(due)
        assert set(Booking.objects.filter(pk__in=due).values_list("status", flat=True)) <= {
            BookingStatus.EXPIRED
        }
        # Running it again finds nothing: safe to run twice.
        assert services.bookings_expire(now=self.clock) == 0

    # Multiples of the hold length often, so the clock lands exactly on expiry instants.
    @rule(minutes=st.sampled_from([0, HOLD_MINUTES, 2 * HOLD_MINUTES]) | st.integers(0, 15))
    def advance_clock(self, minutes):
        self.clock += timedelta(minutes=minutes)

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def promises_hold(self):
        """Checked after every step, from one snapshot of the showtime's rows."""
        tickets = list(
            self._tickets().values_list("booking_id", "seat_id", "status", "held_until", "price")
        )
        bookings = list(
            Booking.objects.filter(showtime=self.showtime).values_list(
                "pk", "status", "total", "expires_at"
            )
        )
        history = defaultdict(list)
        for booking_id, left, reached in BookingEvent.objects.filter(
            booking__showtime=self.showtime
        ).values_list("booking_id", "from_status", "to_status"):
            history[booking_id].append((left, reached))
        tickets_of = defaultdict(list)
        for ticket in tickets:
            tickets_of[ticket[0]].append(ticket)

        assert_one_buyer_per_seat(tickets, clock=self.clock)
        assert_held_until_set_exactly_on_held_tickets(tickets)
        for booking_id, status, total, expires_at in bookings:
            own = tickets_of[booking_id]
            assert own, "a booking without tickets"
            assert total == sum((price for *_, price in own), Decimal("0.00"))
            assert_ticket_statuses_match(status, own, expires_at=expires_at, clock=self.clock)
            assert_history_explains(status, history[booking_id])


def assert_one_buyer_per_seat(tickets, *, clock) -> None:
    """At most one ticket per seat is sold or held (unlapsed); the index allows one held/sold."""
    recorded = Counter(seat for _, seat, status, *_ in tickets if status in ("held", "sold"))
    assert max(recorded.values(), default=0) <= 1, recorded
    active = Counter(
        seat
        for _, seat, status, held_until, _ in tickets
        if status == TicketStatus.SOLD or (status == TicketStatus.HELD and held_until > clock)
    )
    assert max(active.values(), default=0) <= 1, active


def assert_held_until_set_exactly_on_held_tickets(tickets) -> None:
    for _, _, status, held_until, _ in tickets:
        if status == TicketStatus.HELD:
            assert held_until is not None
        elif status == TicketStatus.SOLD:
            assert held_until is None


def assert_ticket_statuses_match(status, tickets, *, expires_at, clock) -> None:
    statuses = {ticket_status for _, _, ticket_status, *_ in tickets}
    if status == BookingStatus.CONFIRMED:
        assert statuses == {TicketStatus.SOLD}
    elif status in FINISHED:
        assert not statuses & {TicketStatus.HELD, TicketStatus.SOLD}
    else:
        assert status == BookingStatus.PENDING
        # A pending booking loses a seat only to a newer buyer once its hold has lapsed.
        assert statuses <= {TicketStatus.HELD, TicketStatus.EXPIRED}
        if expires_at > clock:
            assert statuses == {TicketStatus.HELD}
    for _, _, ticket_status, held_until, _ in tickets:
        if ticket_status == TicketStatus.HELD:
            assert held_until == expires_at


def assert_history_explains(status, steps) -> None:
    """Traceable: the events chain from creation to the booking's current status."""
    assert steps[0] == ("", BookingStatus.PENDING), steps
    for (_, reached), (left, _) in pairwise(steps):
        assert left == reached, steps
    assert steps[-1][1] == status, steps


def test_booking_state_machine(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Short holds against 0-15 minute clock steps: holds lapse often, but not always.
    settings.BOOKING_HOLD_MINUTES = HOLD_MINUTES
    buyers = factories.UserFactory.create_batch(3)
    run_state_machine_as_test(lambda: BookingMachine(buyers), settings=MACHINE_SETTINGS)
