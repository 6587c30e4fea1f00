"""The database, not only Python, keeps showtimes on one screen apart (PostgreSQL)."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from marquee.catalog import services
from marquee.catalog.models import Showtime
from marquee.common.errors import ApplicationError
from tests import factories

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
    assert refused.value.status_code == 409
    assert refused.value.details["conflicting_showtime"] == showtime.pk


@pytest.mark.django_db(transaction=True)
def test_two_admins_scheduling_one_slot_at_once_get_one_showtime(admin_user):
    screen = factories.screen_with_seats(rows=2, per_row=4)
    movies = factories.MovieFactory.create_batch(2)
    starts_at = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def schedule(movie, offset_minutes):
        try:
            client = APIClient()
            client.force_authenticate(admin_user)
            payload = {
                "movie": movie.pk,
                "screen": screen.pk,
                "starts_at": (starts_at + timedelta(minutes=offset_minutes)).isoformat(),
                "base_price": "10.00",
            }
            barrier.wait(timeout=10)
            statuses.append(client.post("/api/showtimes/", payload, format="json").status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=schedule, args=(movies[0], 0)),
        threading.Thread(target=schedule, args=(movies[1], 30)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [201, 409]
    assert Showtime.objects.filter(screen=screen, status="scheduled").count() == 1


def test_an_admin_losing_the_race_for_a_slot_gets_a_message_not_a_500(
    showtime, admin_user, monkeypatch
):
    from django.test import Client

    # The form's check passed (the other showtime "arrived" after it): the constraint decides.
    monkeypatch.setattr(services, "showtime_check_slot", lambda **kwargs: None)
    client = Client()
    client.force_login(admin_user)
    clash = showtime.starts_at + timedelta(minutes=5)
    response = client.post(
        "/admin/catalog/showtime/add/",
        {
            "movie": showtime.movie_id,
            "screen": showtime.screen_id,
            "starts_at_0": clash.strftime("%Y-%m-%d"),
            "starts_at_1": clash.strftime("%H:%M:%S"),
            "base_price": "10.00",
            "currency": "EUR",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert b"overlapping time; nothing was saved" in response.content
    assert Showtime.objects.filter(screen=showtime.screen).count() == 1
