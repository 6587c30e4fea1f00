"""Shared fixtures. Tests marked `postgres`, `mysql` or `server_db` (either) skip elsewhere, and
fail CI's leg on that database when they are skipped there; `browser` tests skip without
Chromium, and fail CI when skipped for that reason."""

import os
import shutil
from pathlib import Path

import hypothesis
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from marquee.booking import services as booking_services
from marquee.catalog.models import Seat
from marquee.common import local_cache, redis_guard
from marquee.live.broker import broker_reset
from tests import factories
from tests.concurrency import assert_reconciled
from tests.redis_db import CONFIGURED_REDIS_URL, TEST_REDIS_URL
from tests.servers import OwnRedis

# Property tests judge behaviour, not speed: on a loaded machine (CI, a benchmark beside the
# suite) generating inputs may be slow, which must not fail a test that found no bug.
hypothesis.settings.register_profile(
    "marquee", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("marquee")

# CI's server legs: the suite must run on that database, and a skipped test that needs it fails.
REQUIRE_POSTGRES = os.environ.get("MARQUEE_REQUIRE_POSTGRES") == "1"
REQUIRE_MYSQL = os.environ.get("MARQUEE_REQUIRE_MYSQL") == "1"
REQUIRE_SERVER = REQUIRE_POSTGRES or REQUIRE_MYSQL
# marker -> the database vendors its tests run on
DATABASE_MARKERS = {
    "postgres": {"postgresql"},
    "mysql": {"mysql"},
    "server_db": {"postgresql", "mysql"},
}
_skipped_database_tests: list[str] = []
# Browser tests drive Debian's Chromium (`apt-get install chromium`); never a downloaded one.
CHROMIUM = Path(os.environ.get("MARQUEE_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("MARQUEE_REQUIRE_BROWSER") == "1"
NO_CHROMIUM = f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
_skipped_browser_tests: list[str] = []


def _required_markers() -> set[str]:
    vendor = "postgresql" if REQUIRE_POSTGRES else "mysql" if REQUIRE_MYSQL else None
    return {marker for marker, vendors in DATABASE_MARKERS.items() if vendor in vendors}


def pytest_configure(config):
    # Settings were read before this hook; point the cache, and every process a test starts
    # (gunicorn, a Celery worker), at the suite's own Redis database before anything uses it.
    from django.conf import settings
    from django.core.cache import caches

    os.environ["TEST_REDIS_URL"] = TEST_REDIS_URL  # a nested run keeps it, never derives again
    if CONFIGURED_REDIS_URL:
        os.environ["REDIS_URL"] = TEST_REDIS_URL
        settings.REDIS_URL = TEST_REDIS_URL
        settings.CACHES["default"]["LOCATION"] = TEST_REDIS_URL
        caches.close_all()
        for alias in settings.CACHES:
            if hasattr(caches._connections, alias):  # built before this hook: rebuild it
                del caches[alias]


def pytest_report_header(config):
    if CONFIGURED_REDIS_URL:
        return (
            f"redis: the tests use {TEST_REDIS_URL} (REDIS_URL {CONFIGURED_REDIS_URL} is never "
            "touched)"
        )
    return f"redis: local-memory cache; a test that starts a Celery worker uses {TEST_REDIS_URL}"


def pytest_collection_modifyitems(config, items):
    if not CHROMIUM.exists():
        no_browser = pytest.mark.skip(reason=NO_CHROMIUM)
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(no_browser)
    vendor = connection.vendor
    if REQUIRE_POSTGRES and vendor != "postgresql":
        raise pytest.UsageError("MARQUEE_REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL.")
    if REQUIRE_MYSQL and vendor != "mysql":
        raise pytest.UsageError("MARQUEE_REQUIRE_MYSQL=1 but DATABASE_URL is not MySQL/MariaDB.")
    for item in items:
        for marker, vendors in DATABASE_MARKERS.items():
            if item.get_closest_marker(marker) and vendor not in vendors:
                reason = f"needs {' or '.join(sorted(vendors))} (set DATABASE_URL)"
                item.add_marker(pytest.mark.skip(reason=reason))
                break


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and any(item.get_closest_marker(m) for m in _required_markers()):
        _skipped_database_tests.append(item.nodeid)
    # Only a skip for want of Chromium counts: a browser test may skip for a reason of its own.
    if (
        report.skipped
        and item.get_closest_marker("browser")
        and NO_CHROMIUM in str(report.longrepr)
    ):
        _skipped_browser_tests.append(item.nodeid)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After a `concurrency` test passed, its database must pass every reconciliation check."""
    result = yield
    marker = item.get_closest_marker("concurrency")
    if marker is not None:
        assert_reconciled(without=marker.kwargs.get("without", ()))
    return result


def pytest_sessionfinish(session, exitstatus):
    if REQUIRE_SERVER and _skipped_database_tests:
        print(
            "\nTests that need this database were skipped although CI requires them: "
            f"{_skipped_database_tests}"
        )
        session.exitstatus = 1
    if REQUIRE_BROWSER and _skipped_browser_tests:
        print(f"\nBrowser tests were skipped although CI requires them: {_skipped_browser_tests}")
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle counters and cached reads must not leak from one test into the next, nor the
    # per-process memos (marquee.common.local_cache: the catalog version restarts with the
    # cache), nor a Redis outage a test caused (the breaker, the invalidations owed).
    redis_guard.reset()
    cache.clear()
    broker_reset()
    local_cache.clear_all()
    yield
    redis_guard.reset()
    cache.clear()
    broker_reset()
    local_cache.clear_all()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashing costs ~100 ms a user; tests that create hundreds of users need not pay it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def redis_cache(settings):
    """The Redis cache of the PostgreSQL + Redis leg; skipped (failed in CI's leg) elsewhere."""
    if not settings.CACHES["default"]["BACKEND"].startswith("django_redis."):
        if REQUIRE_SERVER:
            pytest.fail("CI runs the server database legs with REDIS_URL; the cache is not Redis.")
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
def own_redis():
    """A redis-server of this test's own (`tests.servers.OwnRedis`), which it may stop or
    freeze; stopped after the test. Skipped where redis-server is not installed (`make test`
    needs only Python), failed in CI's PostgreSQL + Redis leg."""
    if shutil.which("redis-server") is None:
        if REQUIRE_POSTGRES:
            pytest.fail("CI's PostgreSQL + Redis leg needs redis-server on the PATH.")
        pytest.skip("needs redis-server on the PATH")
    server = OwnRedis()
    yield server
    server.stop()


@pytest.fixture
def without_constraint(request):
    """without_constraint(Model, "name"): the database stops enforcing one of the model's
    constraints for the rest of the test, as a database that could not express it would.

    For transactional tests only (DDL commits at once on MySQL/MariaDB): afterwards the tables
    are flushed, so the breach the test wrote goes, and the constraint is created again."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        pytest.fail("without_constraint needs @pytest.mark.django_db(transaction=True)")
    removed = []

    def remove(model, name: str) -> None:
        (constraint,) = [c for c in model._meta.constraints if c.name == name]
        with connection.schema_editor(atomic=False) as editor:
            editor.remove_constraint(model, constraint)
        removed.append((model, constraint))

    yield remove
    if removed:
        call_command("flush", verbosity=0, interactive=False)
        for model, constraint in removed:
            with connection.schema_editor(atomic=False) as editor:
                editor.add_constraint(model, constraint)


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
def default_ticket_types(db):
    """The shared ticket types of migration catalog 0007. A test on a transactional database
    flushes every table, the migration's rows too, so the tests that need them ask for them."""
    from marquee.catalog.services import ticket_types_default_create

    ticket_types_default_create()


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
