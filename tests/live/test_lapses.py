"""A hold that lapses reaches the open seat pickers near its expiry, without beat's sweep: a live
process sweeps each showtime it has viewers of when its next hold lapses (marquee/live/lapses.py,
the sweep and the lapse time registered by the booking engine)."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings as django_settings
from django.utils import timezone

from marquee.booking import selectors, services
from marquee.booking.models import Booking, BookingStatus
from marquee.live import lapses
from marquee.live.asgi import live_routed
from tests.live.sse import Stream

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/live/showtimes/{}/seats/"


def run(scenario):
    return async_to_sync(scenario)()


def lapsing_in(seconds: float):
    """A hold's `now` such that it lapses `seconds` from now."""
    return timezone.now() - timedelta(
        minutes=django_settings.BOOKING_HOLD_MINUTES, seconds=-seconds
    )


@pytest.fixture
def plain_app(asgi_app):
    return live_routed(asgi_app)


def test_a_lapsing_hold_reaches_a_viewer_as_available_within_a_second_without_beat(
    plain_app, local_broker, showtime, seats, hold
):
    booking = hold(["A1", "A2"], now=lapsing_in(1.0))
    lapse = booking.expires_at

    async def scenario():
        async with Stream(plain_app, URL.format(showtime.pk)) as stream:
            [event] = await stream.events(1, timeout=5)
            return event, timezone.now()

    event, arrived = run(scenario)
    assert event["json"]["seats"] == [
        {"id": seats["A1"].pk, "status": "available"},
        {"id": seats["A2"].pk, "status": "available"},
    ]
    assert timedelta(0) <= arrived - lapse < timedelta(seconds=1)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED


def test_a_hold_taken_while_watching_is_swept_when_it_lapses(
    plain_app, local_broker, showtime, seats, hold, monkeypatch
):
    monkeypatch.setattr(lapses, "LOOK_AGAIN_SECONDS", 0.2)
    held = sync_to_async(hold)

    async def scenario():
        async with Stream(plain_app, URL.format(showtime.pk)) as stream:
            await stream.blocks(1)
            await asyncio.sleep(0.1)  # the sweeper has looked: nothing lapses yet
            await held(["B1"], now=lapsing_in(0.5))
            return await stream.events(2, timeout=5)

    held_event, lapsed_event = run(scenario)
    assert held_event["json"]["seats"] == [{"id": seats["B1"].pk, "status": "held"}]
    assert lapsed_event["json"]["seats"] == [{"id": seats["B1"].pk, "status": "available"}]


def test_one_sweeper_per_showtime_and_it_stops_when_the_last_viewer_leaves(
    plain_app, local_broker, showtime, monkeypatch
):
    monkeypatch.setattr(lapses, "LOOK_AGAIN_SECONDS", 0.05)

    async def scenario():
        loop = asyncio.get_running_loop()
        async with (
            Stream(plain_app, URL.format(showtime.pk)) as first,
            Stream(plain_app, URL.format(showtime.pk)) as second,
        ):
            await first.blocks(1)
            await second.blocks(1)
            hub = local_broker._hubs[loop]
            sweepers = dict(lapses._sweeping[hub])
        await asyncio.sleep(0.3)
        return sweepers, dict(lapses._sweeping.get(hub, {}))

    watching, after = run(scenario)
    assert list(watching) == [showtime.pk]
    assert after == {}


def test_nothing_is_swept_where_the_booking_engine_registered_nothing(
    plain_app, local_broker, showtime, hold, monkeypatch
):
    monkeypatch.setattr(lapses, "_registered", None)
    booking = hold(["A1"], now=lapsing_in(0.2))

    async def scenario():
        async with Stream(plain_app, URL.format(showtime.pk)) as stream:
            return await stream.events(1, timeout=0.8)

    assert run(scenario) == []
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING  # the seats are free all the same (promise 3)


def test_the_next_lapse_is_the_earliest_unpaid_hold_of_that_showtime(
    showtime, hold, other_customer
):
    assert selectors.hold_next_lapse(showtime_id=showtime.pk) is None
    later = hold(["A1"], now=lapsing_in(60))
    sooner = hold(["A2"], user=other_customer, now=lapsing_in(30))
    assert selectors.hold_next_lapse(showtime_id=showtime.pk) == sooner.expires_at
    Booking.objects.filter(pk=sooner.pk).update(status=BookingStatus.CANCELLED)
    assert selectors.hold_next_lapse(showtime_id=showtime.pk) == later.expires_at


def test_the_sweep_of_one_showtime_leaves_the_others_lapsed_holds_to_beat(
    showtime, hold, other_customer
):
    from tests import factories

    other = factories.ShowtimeFactory(
        screen=showtime.screen, starts_at=showtime.starts_at + timedelta(days=1)
    )
    mine = hold(["A1"], now=lapsing_in(-1))
    theirs = services.booking_hold(
        user=other_customer,
        showtime_id=other.pk,
        seat_ids=[mine.tickets.get().seat_id],
        now=lapsing_in(-1),
    )
    assert services.bookings_expire(showtime_id=showtime.pk) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (BookingStatus.EXPIRED, BookingStatus.PENDING)


def test_through_redis_the_lapse_reaches_the_viewer_as_well(
    plain_app, redis_broker, showtime, seats, hold
):
    booking = hold(["C3"], now=lapsing_in(1.0))

    async def scenario():
        async with Stream(plain_app, URL.format(showtime.pk)) as stream:
            events = await stream.events(1, timeout=5)
        await redis_broker.aclose()
        return events, timezone.now()

    [event], arrived = run(scenario)
    assert event["json"]["seats"] == [{"id": seats["C3"].pk, "status": "available"}]
    assert arrived - booking.expires_at < timedelta(seconds=1.5)
