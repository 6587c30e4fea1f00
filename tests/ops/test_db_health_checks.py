"""On PostgreSQL Django's own backend runs with persistent connections and its health checks:
a connection that died while it sat idle is replaced before the request uses it."""

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql import base as pg_base

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
def pings(monkeypatch):
    calls = []
    check = pg_base.DatabaseWrapper.is_usable

    def counted(self):
        calls.append(self.connection.info.backend_pid)
        return check(self)

    monkeypatch.setattr(pg_base.DatabaseWrapper, "is_usable", counted)
    return calls


def a_request() -> None:
    """What Django does around a request (close_old_connections at its start and end)."""
    connection.close_if_unusable_or_obsolete()
    try:
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


def test_postgresql_runs_on_django_s_own_backend():
    assert connection.settings_dict["ENGINE"] == "django.db.backends.postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_connection_that_died_while_idle_is_replaced_without_an_error(persistent, pings):
    a_request()
    dead = terminate_backend()
    a_request()  # the check finds it dead and the request runs on a new connection
    assert dead in pings
    assert connection.connection.info.backend_pid != dead
