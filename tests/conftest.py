"""Shared fixtures. `pytest.mark.postgres` tests skip on SQLite, and fail CI when skipped there;
`pytest.mark.browser` tests skip without Chromium, and fail CI when skipped for that reason."""

import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from marquee.accounts.authentication import verified_tokens_clear
from marquee.booking import services as booking_services
from marquee.booking.context import showtime_contexts_clear
from marquee.booking.selectors import rendered_seat_maps_clear
from marquee.catalog.models import Seat
from marquee.web.hall import picker_halls_clear
from marquee.web.views.picker import picker_pages_clear
from tests import factories

REQUIRE_POSTGRES = os.environ.get("MARQUEE_REQUIRE_POSTGRES") == "1"
_skipped_postgres_tests: list[str] = []
# Browser tests drive Debian's Chromium (`apt-get install chromium`); never a downloaded one.
CHROMIUM = Path(os.environ.get("MARQUEE_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("MARQUEE_REQUIRE_BROWSER") == "1"
NO_CHROMIUM = f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
_skipped_browser_tests: list[str] = []


def pytest_collection_modifyitems(config, items):
    if not CHROMIUM.exists():
        no_browser = pytest.mark.skip(reason=NO_CHROMIUM)
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(no_browser)
    on_postgres = connection.vendor == "postgresql"
    if REQUIRE_POSTGRES and not on_postgres:
        raise pytest.UsageError("MARQUEE_REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL.")
    if on_postgres:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.get_closest_marker("postgres"):
        _skipped_postgres_tests.append(item.nodeid)
    # Only a skip for want of Chromium counts: a browser test may skip for a reason of its own.
    if (
        report.skipped
        and item.get_closest_marker("browser")
        and NO_CHROMIUM in str(report.longrepr)
    ):
        _skipped_browser_tests.append(item.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if REQUIRE_POSTGRES and _skipped_postgres_tests:
        print(
            f"\nPostgreSQL tests were skipped although CI requires them: {_skipped_postgres_tests}"
        )
        session.exitstatus = 1
    if REQUIRE_BROWSER and _skipped_browser_tests:
        print(f"\nBrowser tests were skipped although CI requires them: {_skipped_browser_tests}")
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters and cached reads must not leak from one test into the next, nor the
    # showtime contexts this process keeps (the catalog version restarts with the cache).
    cache.clear()
    showtime_contexts_clear()
    rendered_seat_maps_clear()
    picker_halls_clear()
    picker_pages_clear()
    verified_tokens_clear()
    yield
    cache.clear()
    showtime_contexts_clear()
    rendered_seat_maps_clear()
    picker_halls_clear()
    picker_pages_clear()
    verified_tokens_clear()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashing costs ~100 ms a user; tests that create hundreds of users need not pay it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def redis_cache(settings):
    """The Redis cache of the PostgreSQL + Redis leg; skipped (failed in CI's leg) elsewhere."""
    if not settings.CACHES["default"]["BACKEND"].startswith("django_redis."):
        if os.environ.get("MARQUEE_REQUIRE_POSTGRES") == "1":
            pytest.fail("CI runs the PostgreSQL leg with REDIS_URL; the cache is not Redis.")
        pytest.skip("needs the Redis cache (set REDIS_URL)")
    return cache


@pytest.fixture
def redis_commands(redis_cache, monkeypatch):
    """The name of every Redis command sent from here on (EVALSHA, MGET, ...), in order.

    Counted where commands leave for the socket, the connection, so that commands sent
    through the client and on a connection of the caller's own (the throttle's) both count;
    the handshake of a new connection (AUTH, HELLO, SELECT, CLIENT) does not."""
    from redis.connection import AbstractConnection

    commands: list[str] = []
    send = AbstractConnection.send_command
    handshake = {"AUTH", "HELLO", "SELECT", "CLIENT"}

    def counting(self, *args, **options):
        name = str(args[0]).upper()
        if name not in handshake:
            commands.append(name)
        return send(self, *args, **options)

    monkeypatch.setattr(AbstractConnection, "send_command", counting)
    return commands


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def customer(db):
    return factories.UserFactory(role="customer")


@pytest.fixture
def other_customer(db):
    return factories.UserFactory(role="customer")


@pytest.fixture
def staff_user(db):
    return factories.UserFactory(role="staff")


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(role="admin")


def _client_for(user):
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def customer_client(customer):
    return _client_for(customer)


@pytest.fixture
def other_client(other_customer):
    return _client_for(other_customer)


@pytest.fixture
def staff_client(staff_user):
    return _client_for(staff_user)


@pytest.fixture
def admin_client_api(admin_user):
    return _client_for(admin_user)


@pytest.fixture
def screen(db):
    """A 5 x 8 screen: rows A-E, an aisle after seat 4, row E is VIP, row D premium."""
    return factories.screen_with_seats(
        rows=5, per_row=8, aisle_after=(4,), premium_rows="D", vip_rows="E"
    )


@pytest.fixture
def showtime(screen):
    """An evening show two days ahead."""
    starts_at = factories.evening_in(2, screen.theater.timezone)
    return factories.ShowtimeFactory(screen=screen, starts_at=starts_at)


@pytest.fixture
def seats(showtime):
    """Seats of the showtime's screen keyed by label, e.g. seats["C5"]."""
    return {f"{s.row_label}{s.number}": s for s in Seat.objects.filter(screen=showtime.screen_id)}


@pytest.fixture
def hold(customer, showtime):
    """Hold seats through the booking service: hold(["A1", "A2"], user=..., now=...)."""

    def _hold(labels, *, user=None, now=None):
        lookup = {
            f"{s.row_label}{s.number}": s.id for s in Seat.objects.filter(screen=showtime.screen_id)
        }
        return booking_services.booking_hold(
            user=user or customer,
            showtime_id=showtime.pk,
            seat_ids=[lookup[label] for label in labels],
            now=now,
        )

    return _hold
