"""Every supported database keeps the same promises; an unsupported one is refused."""

import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import (
    IntegrityError,
    NotSupportedError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import Q
from django.test.utils import isolate_apps
from django.utils import timezone

from marquee.booking import errors as booking_errors
from marquee.booking import services as booking_services
from marquee.booking.models import Ticket
from marquee.common.constraints import (
    ConditionalUniqueConstraint,
    check_conditional_unique_constraints,
)
from marquee.common.db_errors import is_deadlock, is_lock_conflict
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def settings_with(database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("url", ["oracle://u:p@127.0.0.1/x", "mssql://u:p@127.0.0.1/x"])
def test_a_database_marquee_does_not_support_is_refused_at_start(url):
    result = settings_with(url)
    assert result.returncode != 0
    assert "Marquee runs on SQLite, PostgreSQL 15+, MySQL 8.0.16+ and MariaDB 10.11+" in (
        result.stderr
    )


class DriverError(Exception):
    """Stands in for a driver's exception: what Django wraps as `__cause__`."""

    def __init__(self, *args, sqlstate=None):
        super().__init__(*args)
        self.sqlstate = sqlstate


def wrapped(cause: Exception) -> OperationalError:
    error = OperationalError(*cause.args)
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "cause",
    [
        DriverError("deadlock detected", sqlstate="40P01"),
        DriverError("canceling statement due to lock timeout", sqlstate="55P03"),
        DriverError(1205, "Lock wait timeout exceeded; try restarting transaction"),
        DriverError(1213, "Deadlock found when trying to get lock; try restarting transaction"),
        DriverError(3572, "Statement aborted because lock(s) could not be acquired (NOWAIT)"),
        DriverError(1969, "Query execution was interrupted (max_statement_time exceeded)"),
    ],
)
def test_lock_conflicts_of_every_database_are_recognised(cause):
    assert is_lock_conflict(wrapped(cause))


@pytest.mark.parametrize(
    "cause",
    [DriverError(2006, "MySQL server has gone away"), DriverError("connection refused")],
)
def test_an_outage_is_not_a_lock_conflict(cause):
    assert not is_lock_conflict(wrapped(cause))


def test_deadlocks_are_told_apart_on_postgresql_and_mysql():
    assert is_deadlock(wrapped(DriverError("deadlock detected", sqlstate="40P01")))
    assert is_deadlock(wrapped(DriverError(1213, "Deadlock found")))
    assert not is_deadlock(wrapped(DriverError(1205, "Lock wait timeout exceeded")))


@isolate_apps("tests")
def test_a_plain_conditional_unique_constraint_in_marquee_is_an_error(monkeypatch):
    from django.db import models

    class Plain(models.Model):
        code = models.CharField(max_length=8)
        active = models.BooleanField()

        class Meta:
            app_label = "tests"
            constraints = [
                models.UniqueConstraint(
                    fields=["code"], condition=Q(active=True), name="plain_active_code"
                )
            ]

        def __str__(self) -> str:
            return self.code

    Plain.__module__ = "marquee.fake.models"
    from django.apps import apps

    monkeypatch.setattr(apps, "get_models", lambda: [Plain])
    errors = check_conditional_unique_constraints(None)
    assert [e.id for e in errors] == ["marquee.E010"]


def test_marquee_models_use_constraints_that_every_database_enforces():
    assert check_conditional_unique_constraints(None) == []


def test_a_conditional_unique_constraint_needs_fields_and_a_condition():
    with pytest.raises(ValueError):
        ConditionalUniqueConstraint(fields=["a"], condition=None, name="x")


# --- MySQL and MariaDB ------------------------------------------------------------------------


def insert_ticket(*, booking, seat, status) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO booking_ticket (booking_id, showtime_id, seat_id, price, status, "
            "secret, created_at) VALUES (%s, %s, %s, 10, %s, 'x', %s)",
            [booking.pk, booking.showtime_id, seat.pk, status, timezone.now()],
        )


@pytest.mark.mysql
@pytest.mark.django_db
def test_raw_sql_cannot_insert_a_second_active_ticket_for_a_seat(hold, seats):
    booking = hold(["A2"])
    insert_ticket(booking=booking, seat=seats["A1"], status="held")
    for status in ("held", "sold"):
        with pytest.raises(IntegrityError), transaction.atomic():
            insert_ticket(booking=booking, seat=seats["A1"], status=status)
    # Inactive tickets of the same seat never collide, with each other or an active one.
    for status in ("expired", "cancelled", "refunded", "expired"):
        insert_ticket(booking=booking, seat=seats["A1"], status=status)
    assert Ticket.objects.filter(seat=seats["A1"]).count() == 5
    assert Ticket.objects.filter(seat=seats["A1"], status="held").count() == 1


@pytest.mark.mysql
@pytest.mark.django_db
def test_a_ticket_that_stops_being_active_frees_its_seat_in_the_index(hold, seats, customer):
    first = hold(["B2"])
    Ticket.objects.filter(booking=first).update(status="cancelled")
    second = hold(["B2"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(booking=first).update(status="held")
    assert Ticket.objects.get(booking=second).status == "held"


@pytest.mark.mysql
@pytest.mark.django_db
def test_the_server_runs_strict_utc_read_committed_utf8mb4_with_a_short_lock_wait():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT @@SESSION.sql_mode, @@SESSION.time_zone, @@SESSION.tx_isolation, "
            "@@SESSION.character_set_connection, @@SESSION.innodb_lock_wait_timeout"
            if connection.mysql_is_mariadb
            else "SELECT @@SESSION.sql_mode, @@SESSION.time_zone, "
            "@@SESSION.transaction_isolation, @@SESSION.character_set_connection, "
            "@@SESSION.innodb_lock_wait_timeout"
        )
        sql_mode, time_zone, isolation, charset, lock_wait = cursor.fetchone()
    assert "STRICT_TRANS_TABLES" in sql_mode
    assert time_zone == "+00:00"
    assert isolation == "READ-COMMITTED"
    assert charset == "utf8mb4"
    assert lock_wait <= 10


@pytest.mark.mysql
@pytest.mark.django_db
def test_tables_compare_text_as_postgresql_does(customer):
    from marquee.accounts.models import User

    assert not User.objects.filter(username=customer.username.upper()).exists()
    assert User.objects.filter(username__iexact=customer.username.upper()).exists()
    assert User.objects.filter(username__icontains=customer.username[1:].upper()).exists()


@pytest.mark.mysql
def test_an_old_server_is_refused_with_a_clear_message(monkeypatch):
    wrapper = connections["default"]
    monkeypatch.setitem(wrapper.__dict__, "mysql_version", (10, 6, 1))
    monkeypatch.setitem(wrapper.__dict__, "mysql_is_mariadb", True)
    with pytest.raises(NotSupportedError, match=r"MariaDB 10\.11"):
        wrapper.check_database_version_supported()


@pytest.mark.mysql
def test_a_server_without_time_zone_tables_is_refused(monkeypatch):
    monkeypatch.setitem(connection.features.__dict__, "has_zoneinfo_database", False)
    with pytest.raises(ImproperlyConfigured, match="mysql_tzinfo_to_sql"):
        connection.check_database_version_supported()


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_a_lock_wait_timeout_on_the_seats_is_a_409_seats_busy(showtime, seats, customer):
    # Another transaction holds the seat's index entry (its hold is not committed yet): the
    # hold waits for InnoDB's lock wait timeout (1 s here), then answers "try again".
    locker_ready, release = threading.Event(), threading.Event()
    other = factories.UserFactory()

    def hold_and_wait():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
                booking_services.booking_hold(
                    user=other, showtime_id=showtime.pk, seat_ids=[seats["D4"].pk]
                )
                locker_ready.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    locker = threading.Thread(target=hold_and_wait)
    locker.start()
    assert locker_ready.wait(timeout=30)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
        started = timezone.now()
        with pytest.raises(booking_errors.SeatsBusy):
            booking_services.booking_hold(
                user=customer, showtime_id=showtime.pk, seat_ids=[seats["D4"].pk]
            )
        assert timezone.now() - started < timedelta(seconds=10)
    finally:
        release.set()
        locker.join(timeout=30)
