"""Two showtimes on one screen never overlap, even when they are scheduled at the same instant:
scheduling takes the screen's row lock on every database (the only guarantee on MySQL and
MariaDB, which have no exclusion constraint)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from marquee.catalog import services
from marquee.catalog.admin import ShowtimeAdminForm
from marquee.catalog.models import Showtime, ShowtimeStatus
from tests import factories


def overlapping_pairs(screen) -> int:
    scheduled = list(Showtime.objects.filter(screen=screen, status="scheduled"))
    return sum(
        1
        for i, a in enumerate(scheduled)
        for b in scheduled[i + 1 :]
        if a.starts_at < b.ends_at and b.starts_at < a.ends_at
    )


def run_at_once(jobs) -> list:
    """Run each job in its own thread (own database connection), released together."""
    barrier = threading.Barrier(len(jobs))
    results: list = []

    def run(job):
        try:
            barrier.wait(timeout=10)
            results.append(job())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def slow_check(monkeypatch, seconds=0.2):
    """Widen the window between the overlap check and the insert, so a race would bite."""
    check = services.showtime_check_slot

    def checked_then_pause(**kwargs):
        check(**kwargs)
        time.sleep(seconds)

    monkeypatch.setattr(services, "showtime_check_slot", checked_then_pause)


def post_showtime(admin_user, payload):
    def job():
        client = APIClient()
        client.force_authenticate(admin_user)
        return client.post("/api/showtimes/", payload, format="json").status_code

    return job


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_six_admins_scheduling_overlapping_slots_at_once_get_one_showtime(admin_user, monkeypatch):
    slow_check(monkeypatch)
    screen = factories.screen_with_seats(rows=2, per_row=4)
    movies = factories.MovieFactory.create_batch(6)
    starts_at = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    jobs = [
        post_showtime(
            admin_user,
            {
                "movie": movie.pk,
                "screen": screen.pk,
                "starts_at": (starts_at + timedelta(minutes=10 * i)).isoformat(),
                "base_price": "10.00",
            },
        )
        for i, movie in enumerate(movies)
    ]

    statuses = run_at_once(jobs)

    assert sorted(statuses) == [201] + [409] * 5
    assert Showtime.objects.filter(screen=screen, status="scheduled").count() == 1


@pytest.mark.server_db
@pytest.mark.django_db(transaction=True)
def test_two_showtimes_moved_into_one_slot_at_once_keep_apart(admin_user, monkeypatch):
    slow_check(monkeypatch)
    screen = factories.screen_with_seats(rows=2, per_row=4)
    day = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    first = factories.ShowtimeFactory(screen=screen, starts_at=day)
    second = factories.ShowtimeFactory(screen=screen, starts_at=day + timedelta(hours=5))
    target = day + timedelta(hours=10)

    def move(showtime, offset):
        def job():
            client = APIClient()
            client.force_authenticate(admin_user)
            return client.patch(
                f"/api/showtimes/{showtime.pk}/",
                {"starts_at": (target + timedelta(minutes=offset)).isoformat()},
                format="json",
            ).status_code

        return job

    statuses = run_at_once([move(first, 0), move(second, 20)])

    assert sorted(statuses) == [200, 409]
    assert overlapping_pairs(screen) == 0


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_without_the_screen_lock_mysql_would_schedule_an_overlap(admin_user, monkeypatch):
    # The negative control: it shows the tests above can fail, and that on MySQL/MariaDB the
    # screen lock (not a constraint) is what keeps showtimes apart.
    monkeypatch.setattr(services, "screens_schedule_lock", lambda screen_ids: None)
    both_checked = threading.Barrier(2)
    check = services.showtime_check_slot

    def check_then_wait_for_the_other(**kwargs):
        check(**kwargs)
        both_checked.wait(timeout=10)

    monkeypatch.setattr(services, "showtime_check_slot", check_then_wait_for_the_other)
    screen = factories.screen_with_seats(rows=2, per_row=4)
    movies = factories.MovieFactory.create_batch(2)
    starts_at = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    jobs = [
        post_showtime(
            admin_user,
            {
                "movie": movie.pk,
                "screen": screen.pk,
                "starts_at": (starts_at + timedelta(minutes=30 * i)).isoformat(),
                "base_price": "10.00",
            },
        )
        for i, movie in enumerate(movies)
    ]

    assert sorted(run_at_once(jobs)) == [201, 201]
    assert overlapping_pairs(screen) == 1


@pytest.mark.django_db
def test_an_admin_losing_the_race_for_a_slot_gets_a_message_not_a_500(
    showtime, admin_user, monkeypatch
):
    # The form's check passes; the other showtime "arrives" right after it: the check under
    # the screen's lock at save time (the same service as the API's) decides.
    Showtime.objects.filter(pk=showtime.pk).update(status=ShowtimeStatus.CANCELLED)
    form_clean = ShowtimeAdminForm.clean

    def clean_then_the_other_arrives(form):
        cleaned = form_clean(form)
        Showtime.objects.filter(pk=showtime.pk).update(status=ShowtimeStatus.SCHEDULED)
        return cleaned

    monkeypatch.setattr(ShowtimeAdminForm, "clean", clean_then_the_other_arrives)
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
