"""A Redis that hangs or stops costs this process one short timeout, not one per call: the
breaker skips Redis for a moment, requests degrade as with Redis down (the database decides),
what could not reach Redis is sent when it answers, and nothing kept from before the outage is
served after it. Each test runs its own redis-server, which it freezes (SIGSTOP) or stops."""

import logging
import time

import pytest
from django.core.cache import cache
from redis.connection import AbstractConnection
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from marquee.booking import availability, services
from marquee.booking.models import Ticket, TicketStatus
from marquee.catalog.models import Showtime
from marquee.common import redis_guard
from marquee.live.broker import broker_reset
from tests import factories
from tests.queries import assert_max_data_queries

pytestmark = pytest.mark.django_db


class BreakerClock:
    """The breaker's clock, moved by hand: an open period ends only when a test says so
    (the socket timeouts stay real)."""

    def __init__(self) -> None:
        self.now = time.monotonic()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def breaker_clock(monkeypatch):
    clock = BreakerClock()
    monkeypatch.setattr(redis_guard.breaker, "clock", clock)
    return clock


@pytest.fixture
def redis_cache_on(own_redis, settings, breaker_clock):
    """This process's cache on the test's own Redis, as production configures it, with the
    catalog caches on, and the live seat map publishing through it (REDIS_URL)."""
    settings.CACHES = own_redis.cache_settings()
    settings.CATALOG_CACHE_SECONDS = 60
    settings.REDIS_URL = own_redis.url
    broker_reset()  # the next publish goes to this Redis (conftest forgets it afterwards)
    return own_redis


@pytest.fixture
def sent(monkeypatch):
    """Every Redis command sent from here on (the connection's handshake included)."""
    commands: list[str] = []
    send = AbstractConnection.send_command

    def counting(self, *args, **options):
        commands.append(str(args[0]).upper())
        return send(self, *args, **options)

    monkeypatch.setattr(AbstractConnection, "send_command", counting)
    return commands


def trip(redis_server) -> float:
    """Freeze the server and make one cache call run into it; the seconds that call took."""
    redis_server.freeze()
    started = time.monotonic()
    assert cache.get("anything") is None
    assert not redis_guard.breaker.closed
    return time.monotonic() - started


def thaw_and_wait(redis_server) -> None:
    """Thaw the server and let the open period pass: the next call probes Redis."""
    from django.conf import settings

    redis_server.thaw()
    redis_guard.breaker.clock.advance(settings.REDIS_BREAKER_SECONDS)


def seat_map(client, showtime) -> dict:
    response = client.get(f"/api/showtimes/{showtime.pk}/seats/")
    assert response.status_code == 200
    return response.json()


def status_of(body, seat) -> str:
    return next(s["status"] for s in body["seats"] if s["id"] == seat.pk)


# --- bounded calls and the breaker ----------------------------------------------------------


def test_a_frozen_redis_costs_one_short_timeout_then_is_not_called(redis_cache_on, settings, sent):
    cache.set("k", "v")
    assert cache.get("k") == "v"
    waited = trip(redis_cache_on)
    assert waited < settings.REDIS_TIMEOUT_SECONDS + 0.5  # one bounded wait, not one per call
    sent.clear()
    started = time.monotonic()
    for _ in range(50):
        assert cache.get("k") is None
        cache.set("k", "w")
        assert cache.get_many(["k", "l"]) == {}
    assert sent == []  # nothing waits on the frozen server: nothing is even sent
    assert time.monotonic() - started < 1.0


def test_redis_is_used_again_after_one_probe_once_it_answers(redis_cache_on, sent):
    cache.set("k", "v")
    trip(redis_cache_on)
    assert cache.get("k") is None  # still within the open period: skipped
    thaw_and_wait(redis_cache_on)
    assert cache.get("k") == "v"  # the probe
    assert redis_guard.breaker.closed
    assert cache.get("k") == "v"


def test_a_stopped_redis_is_skipped_after_one_refused_connection(redis_cache_on, sent):
    cache.set("k", "v")
    redis_cache_on.stop()
    cache.client.get_client().connection_pool.disconnect()  # as a restart drops them
    assert cache.get("k") is None
    assert not redis_guard.breaker.closed
    sent.clear()
    assert [cache.get("k") for _ in range(20)] == [None] * 20
    assert sent == []


def test_redis_closing_an_idle_connection_is_not_an_outage(redis_cache_on):
    cache.set("k", "v")
    redis_cache_on.client().client_kill_filter(_type="normal", skipme=True)
    # The pool notices the closed connection and reconnects: no failure to count.
    assert cache.get("k") == "v"
    assert redis_guard.breaker.closed


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(redis_cache_on, caplog):
    caplog.set_level(logging.WARNING, logger="marquee.common.redis_guard")
    trip(redis_cache_on)
    for _ in range(20):
        cache.get("k")
    assert [r.message for r in caplog.records] == [caplog.records[0].message]
    assert "not called for 5.0 s" in caplog.records[0].message
    thaw_and_wait(redis_cache_on)
    cache.get("k")
    assert caplog.records[-1].message == "Redis answers again: back in use"
    assert len(caplog.records) == 2


def test_readiness_says_the_cache_failed_while_redis_is_skipped(redis_cache_on, sent):
    trip(redis_cache_on)
    sent.clear()
    response = APIClient().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["error"] == (
        "Redis is skipped for a moment after a failure"
    )
    assert sent == []
    thaw_and_wait(redis_cache_on)
    assert APIClient().get("/readyz").json()["failed"] == []


# --- requests while Redis hangs --------------------------------------------------------------


@pytest.fixture
def rates(monkeypatch):
    def _set(**scopes):
        monkeypatch.setattr(
            SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **scopes}
        )

    return _set


def test_requests_are_admitted_at_once_while_redis_is_skipped(redis_cache_on, rates, sent):
    rates(anon="2/min")
    factories.MovieFactory(title="Alpha")
    client = APIClient()
    redis_cache_on.freeze()
    started = time.monotonic()
    assert client.get("/api/movies/").status_code == 200  # runs into the frozen Redis once
    sent.clear()
    assert [client.get("/api/movies/").status_code for _ in range(5)] == [200] * 5
    assert sent == []
    assert time.monotonic() - started < 3.0
    thaw_and_wait(redis_cache_on)
    # Back on Redis the window counts again (the requests while it was skipped were not).
    statuses = [client.get("/api/movies/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_holds_and_seat_maps_work_while_redis_hangs(redis_cache_on, customer, showtime, seats):
    client = APIClient()
    client.force_authenticate(customer)
    before = seat_map(client, showtime)
    trip(redis_cache_on)
    response = client.post(
        "/api/bookings/", {"showtime": showtime.pk, "seats": [seats["A1"].pk]}, format="json"
    )
    assert response.status_code == 201
    taken = client.post(
        "/api/bookings/", {"showtime": showtime.pk, "seats": [seats["A1"].pk]}, format="json"
    )
    assert taken.status_code == 409  # the database decides
    # Read from the database as with Redis stopped: the showtime, its layout, its price rules
    # and the seat statuses.
    with assert_max_data_queries(4):
        during = seat_map(client, showtime)
    assert status_of(before, seats["A1"]) == "available"
    assert status_of(during, seats["A1"]) == "held"


# --- nothing stale after the outage ----------------------------------------------------------


def test_a_seat_status_bump_lost_to_an_outage_is_sent_before_anything_is_read(
    redis_cache_on, hold, showtime, api_client, django_capture_on_commit_callbacks
):
    seat_map(api_client, showtime)  # the versions exist in Redis
    before = cache.get(availability._key(showtime.pk))
    trip(redis_cache_on)
    with django_capture_on_commit_callbacks(execute=True):
        hold(["B2"])
    # With the live seat map's reset (tests/live/test_publish.py).
    assert set(redis_guard.owed()) == {availability._key(showtime.pk), f"live-reset:{showtime.pk}"}
    thaw_and_wait(redis_cache_on)
    # The very first call after the outage, a read of that version, finds it bumped: the
    # probe sends what is owed before its own command.
    assert cache.get(availability._key(showtime.pk)) == before + 1
    assert redis_guard.owed() == []


def test_a_seat_sold_elsewhere_during_an_outage_is_never_shown_available_after(
    redis_cache_on, hold, showtime, seats, api_client
):
    # A1 had a ticket that was cancelled: the map shows it available, and is kept.
    booking = hold(["A1"])
    services.booking_cancel(booking=booking, actor=booking.user)
    assert status_of(seat_map(api_client, showtime), seats["A1"]) == "available"
    assert status_of(seat_map(api_client, showtime), seats["A1"]) == "available"  # reused
    trip(redis_cache_on)
    # Another process sells A1 meanwhile; its bump never reached Redis (nor this process).
    Ticket.objects.filter(booking=booking).update(status=TicketStatus.SOLD)
    thaw_and_wait(redis_cache_on)
    # Redis still holds the versions the kept map was rendered under; this process lost
    # Redis since, so it renders afresh.
    assert status_of(seat_map(api_client, showtime), seats["A1"]) == "sold"


def test_a_showtime_context_from_before_an_outage_is_not_reused_after(
    redis_cache_on, showtime, api_client
):
    assert seat_map(api_client, showtime)["prices"]["standard"] == "10.00"
    trip(redis_cache_on)
    # A price change whose catalog bump another process could not send.
    Showtime.objects.filter(pk=showtime.pk).update(base_price="12.00")
    thaw_and_wait(redis_cache_on)
    assert seat_map(api_client, showtime)["prices"]["standard"] == "12.00"


def test_a_catalog_write_during_an_outage_is_seen_after_it(redis_cache_on, admin_client_api):
    movie = factories.MovieFactory(title="Alpha")
    reader = APIClient()
    assert reader.get("/api/movies/").json()["results"][0]["title"] == "Alpha"  # cached
    trip(redis_cache_on)
    response = admin_client_api.patch(f"/api/movies/{movie.pk}/", {"title": "Beta"})
    assert response.status_code == 200
    assert reader.get("/api/movies/").json()["results"][0]["title"] == "Beta"  # uncached
    thaw_and_wait(redis_cache_on)
    # The shared copy under the old version is still in Redis; the catalog bump owed is sent
    # before the first read, so that copy is never served again.
    assert reader.get("/api/movies/").json()["results"][0]["title"] == "Beta"
    assert reader.get("/api/movies/").json()["results"][0]["title"] == "Beta"
