"""The booking engine publishes every seat change to the live seat map once its transaction has
committed, with the seats' new states on the map; nothing for a change rolled back, and a
Redis that is down never fails the booking (its viewers are owed a reset)."""

from datetime import timedelta

import orjson
import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from marquee.booking import errors, services
from marquee.booking.models import Ticket, TicketStatus
from marquee.common import redis_guard
from marquee.live.broker import broker, broker_reset
from tests.ops.test_redis_outage import BreakerClock

pytestmark = pytest.mark.django_db


def logged(showtime_id: int) -> list[dict]:
    """The changes the broker logged for the showtime, oldest first."""

    async def joined():
        viewer, _, log = await broker().join(showtime_id)
        viewer.leave()
        return log

    return [orjson.loads(entry.data) for entry in async_to_sync(joined)()]


def seat_states(showtime_id: int) -> list[dict[int, str]]:
    return [
        {seat["id"]: seat["status"] for seat in change["seats"]}
        for change in logged(showtime_id)
        if "seats" in change
    ]


def test_a_hold_publishes_its_seats_held_once_committed(
    local_broker, hold, showtime, seats, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        hold(["A1", "A2"])
        assert local_broker.version(showtime.pk) == 0  # not before the commit
    for callback in callbacks:
        callback()
    assert seat_states(showtime.pk) == [{seats["A1"].pk: "held", seats["A2"].pk: "held"}]


@pytest.mark.django_db(transaction=True)
def test_a_hold_rolled_back_publishes_nothing(local_broker, customer, showtime, seats):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=[seats["B1"].pk])
        raise RuntimeError("the caller's transaction fails after the hold")
    assert not Ticket.objects.exists()
    assert local_broker.version(showtime.pk) == 0


@pytest.mark.django_db(transaction=True)
def test_a_refused_hold_publishes_nothing(local_broker, customer, other_customer, showtime, seats):
    services.booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=[seats["B1"].pk])
    assert local_broker.version(showtime.pk) == 1
    with pytest.raises(errors.SeatsUnavailable):
        services.booking_hold(
            user=other_customer, showtime_id=showtime.pk, seat_ids=[seats["B1"].pk]
        )
    assert local_broker.version(showtime.pk) == 1


def test_confirm_publishes_sold_and_cancel_publishes_available(
    local_broker, hold, showtime, seats, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = hold(["C1", "C2"])
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_confirm(booking_id=booking.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking=booking, actor=customer)
    c1, c2 = seats["C1"].pk, seats["C2"].pk
    assert seat_states(showtime.pk) == [
        {c1: "held", c2: "held"},
        {c1: "sold", c2: "sold"},
        {c1: "available", c2: "available"},
    ]


def test_a_refused_cancel_publishes_nothing(
    local_broker, hold, showtime, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = hold(["C3"])
        services.booking_cancel(booking=booking, actor=customer)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(errors.BookingError):
        services.booking_cancel(booking=booking, actor=customer)
    assert len(seat_states(showtime.pk)) == 2


def test_expiring_lapsed_holds_publishes_their_seats_available(
    local_broker, hold, showtime, seats, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        hold(["D1"], now=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.bookings_expire() == 1
    assert seat_states(showtime.pk)[-1] == {seats["D1"].pk: "available"}


def test_a_cancelled_showtime_publishes_every_seat_it_freed(
    local_broker, hold, showtime, seats, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        hold(["E1", "E2"])
    with django_capture_on_commit_callbacks(execute=True):
        services.bookings_cancel_for_showtime(showtime=showtime)
    assert seat_states(showtime.pk)[-1] == {
        seats["E1"].pk: "available",
        seats["E2"].pk: "available",
    }


def test_a_refund_publishes_the_seats_available(
    local_broker, hold, showtime, seats, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = hold(["A5"])
        services.booking_confirm(booking_id=booking.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_mark_refunded(booking_id=booking.pk)
    assert seat_states(showtime.pk)[-1] == {seats["A5"].pk: "available"}


def test_a_ticket_saved_one_by_one_as_the_admin_does_publishes_its_seat(
    local_broker, hold, showtime, seats, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = hold(["B5"])
    ticket = booking.tickets.get()
    with django_capture_on_commit_callbacks(execute=True):
        ticket.status = TicketStatus.CANCELLED
        ticket.save()
    assert seat_states(showtime.pk)[-1] == {seats["B5"].pk: "available"}
    with django_capture_on_commit_callbacks(execute=True):
        ticket.status = TicketStatus.SOLD
        ticket.save()
    assert seat_states(showtime.pk)[-1] == {seats["B5"].pk: "sold"}
    with django_capture_on_commit_callbacks(execute=True):
        ticket.delete()
    assert seat_states(showtime.pk)[-1] == {seats["B5"].pk: "available"}


def test_an_inactive_ticket_saved_leaves_the_seat_of_another_buyer_taken(
    local_broker, hold, showtime, seats, other_customer, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        lapsed = hold(["B6"], now=long_ago)
        hold(["B6"], user=other_customer)  # frees the lapsed hold, then holds the seat
    old = lapsed.tickets.get()
    with django_capture_on_commit_callbacks(execute=True):
        old.save()  # e.g. the admin edits the expired ticket
    assert seat_states(showtime.pk)[-1] == {seats["B6"].pk: "held"}


# --- Redis down -----------------------------------------------------------------------------


@pytest.fixture
def redis_on_own_server(own_redis, settings):
    """The cache and the broker on the test's own Redis, which it may stop."""
    settings.CACHES = own_redis.cache_settings()
    settings.REDIS_URL = own_redis.url
    broker_reset()
    yield own_redis
    broker_reset()


def test_a_hold_while_redis_is_down_succeeds_and_its_viewers_are_owed_a_reset(
    redis_on_own_server, hold, showtime, seats, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        hold(["A3"])
    assert broker().version(showtime.pk) == 1
    redis_on_own_server.stop()

    with django_capture_on_commit_callbacks(execute=True):
        booking = hold(["A4"])  # no error: the database decided, Redis only missed an event
    assert booking.tickets.count() == 1
    assert f"live-reset:{showtime.pk}" in redis_guard.owed()


def test_the_reset_owed_is_published_when_redis_answers_again(
    redis_on_own_server, hold, showtime, django_capture_on_commit_callbacks, settings, monkeypatch
):
    clock = BreakerClock()
    monkeypatch.setattr(redis_guard.breaker, "clock", clock)
    with django_capture_on_commit_callbacks(execute=True):
        hold(["A3"])
    redis_on_own_server.freeze()
    with django_capture_on_commit_callbacks(execute=True):
        hold(["A4"])
    assert f"live-reset:{showtime.pk}" in redis_guard.owed()
    redis_on_own_server.thaw()
    clock.advance(settings.REDIS_BREAKER_SECONDS)
    cache.get("anything")  # the first call to Redis again sends what is owed first
    assert redis_guard.owed() == []
    assert logged(showtime.pk)[-1] == {"version": 2, "reset": True}


def test_with_redis_one_script_publishes_and_bumps_the_seat_map_version(
    redis_broker, hold, showtime, django_capture_on_commit_callbacks
):
    from marquee.booking import availability

    before = availability.versions(showtime.pk)[1]
    with django_capture_on_commit_callbacks(execute=True):
        hold(["A1"])
    assert availability.versions(showtime.pk)[1] == before + 1
    assert redis_broker.version(showtime.pk) == 1
    cache.delete(availability._key(showtime.pk))  # evicted: a fresh value, never an old one
    with django_capture_on_commit_callbacks(execute=True):
        hold(["A2"])
    assert cache.get(availability._key(showtime.pk)) > before + 1
    assert redis_broker.version(showtime.pk) == 2
