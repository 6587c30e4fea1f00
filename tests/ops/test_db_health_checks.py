"""The PostgreSQL backend skips Django's per-request `SELECT 1` on a connection that answered
within the last second, and checks (and replaces) one that sat idle for longer."""

import psycopg
import pytest
from django.db import OperationalError, connection, connections

from marquee.common.postgresql import base as pg_base

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def persistent(monkeypatch):
    """The connection as production runs it: persistent (CONN_MAX_AGE), health checks on."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", None)
    connection.close()
    connection.connect()
    assert connection.health_check_enabled
    yield connection
    connection.close()


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(pg_base, "_clock", lambda: now[0])
    return now


@pytest.fixture
def pings(monkeypatch):
    calls = []
    check = pg_base.DatabaseWrapper.is_usable

    def counted(self):
        calls.append(self.connection.info.backend_pid)
        return check(self)

    monkeypatch.setattr(pg_base.DatabaseWrapper, "is_usable", counted)
    return calls


def a_request(*, uses_the_database: bool = True) -> None:
    """What Django does around a request (close_old_connections at its start and end)."""
    connection.close_if_unusable_or_obsolete()
    try:
        if uses_the_database:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 42")
                assert cursor.fetchone() == (42,)
    finally:
        connection.close_if_unusable_or_obsolete()


def terminate_backend() -> int:
    """Kill the connection's server process from another session, as a restart would."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    return pid


def test_postgresql_runs_on_the_project_backend():
    assert connection.settings_dict["ENGINE"] == "marquee.common.postgresql"
    assert isinstance(connections["default"], pg_base.DatabaseWrapper)
    assert connection.vendor == "postgresql"


def test_a_connection_in_steady_use_is_not_pinged(persistent, clock, pings):
    for _ in range(5):
        a_request()
        clock[0] += 0.5
    assert pings == []


def test_a_connection_idle_past_the_window_is_checked(persistent, clock, pings):
    a_request()
    clock[0] += pg_base.HEALTH_CHECK_BYPASS_SECONDS + 0.1
    a_request()
    assert len(pings) == 1


def test_a_request_that_did_not_use_the_database_does_not_vouch_for_it(persistent, clock, pings):
    a_request()
    clock[0] += 5
    a_request(uses_the_database=False)  # a seat map served from its cached copy
    a_request()
    assert len(pings) == 1


def test_a_connection_that_died_while_idle_is_replaced_without_an_error(persistent, clock, pings):
    a_request()
    dead = terminate_backend()
    clock[0] += pg_base.HEALTH_CHECK_BYPASS_SECONDS + 0.1
    a_request()  # the check finds it dead and the request runs on a new connection
    assert pings == [dead]
    assert connection.connection.info.backend_pid != dead


def test_one_that_died_within_the_window_fails_one_request_and_is_replaced(persistent, clock):
    a_request()
    dead = terminate_backend()
    with pytest.raises(OperationalError):  # answered as 503 database_unavailable by the API
        a_request()
    a_request()
    assert connection.connection.info.backend_pid != dead
