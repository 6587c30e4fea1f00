"""The database, not only Python, keeps showtimes on one screen apart (PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from marquee.catalog import services
from marquee.catalog.models import Showtime
from marquee.common.errors import ApplicationError, http_status

pytestmark = pytest.mark.postgres


def insert_raw(*, movie, screen, starts_at, ends_at, status="scheduled") -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO catalog_showtime
                (movie_id, screen_id, starts_at, ends_at, base_price, currency, status, created_at)
            VALUES (%s, %s, %s, %s, 10, 'EUR', %s, now())
            """,
            [movie.pk, screen.pk, starts_at, ends_at, status],
        )


def test_raw_sql_cannot_insert_an_overlapping_showtime(showtime):
    with pytest.raises(IntegrityError, match="showtime_no_overlap"), transaction.atomic():
        insert_raw(
            movie=showtime.movie,
            screen=showtime.screen,
            starts_at=showtime.starts_at + timedelta(minutes=10),
            ends_at=showtime.ends_at + timedelta(minutes=10),
        )

    assert Showtime.objects.count() == 1


def test_raw_sql_may_insert_back_to_back_or_cancelled_showtimes(showtime):
    insert_raw(
        movie=showtime.movie,
        screen=showtime.screen,
        starts_at=showtime.ends_at,
        ends_at=showtime.ends_at + timedelta(hours=2),
    )
    insert_raw(
        movie=showtime.movie,
        screen=showtime.screen,
        starts_at=showtime.starts_at,
        ends_at=showtime.ends_at,
        status="cancelled",
    )

    assert Showtime.objects.count() == 3


def test_the_constraint_backs_the_python_check(showtime, monkeypatch):
    # Pretend the friendly check missed a concurrent insert: the constraint still refuses.
    monkeypatch.setattr(services, "showtime_check_slot", lambda **kwargs: None)

    with pytest.raises(ApplicationError) as refused:
        services.showtime_schedule(
            movie=showtime.movie,
            screen=showtime.screen,
            starts_at=showtime.starts_at + timedelta(minutes=5),
            base_price=showtime.base_price,
        )

    assert refused.value.code == "showtime_overlap"
    assert http_status(refused.value) == 409
    assert refused.value.details["conflicting_showtime"] == showtime.pk
