"""A movie's new duration moves the end of its upcoming showtimes, or is refused if it would
make two showtimes overlap."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from marquee.catalog.models import Movie, Showtime, ShowtimeStatus
from tests import factories

pytestmark = pytest.mark.django_db


def movie_url(movie) -> str:
    return f"/api/movies/{movie.pk}/"


def end_for(showtime, minutes) -> object:
    return showtime.starts_at + timedelta(minutes=minutes + settings.SHOWTIME_CLEANING_MINUTES)


@pytest.fixture
def schedule(screen):
    """Showtimes of one 100-minute movie: upcoming, started, and cancelled."""
    movie = factories.MovieFactory(duration_minutes=100)
    now = timezone.now()

    def at(starts_at, status=ShowtimeStatus.SCHEDULED, on=screen):
        return factories.ShowtimeFactory(
            movie=movie,
            screen=on,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=100 + settings.SHOWTIME_CLEANING_MINUTES),
            status=status,
        )

    return movie, {
        "upcoming": at(now + timedelta(days=1)),
        "later": at(now + timedelta(days=2)),
        "started": at(now - timedelta(minutes=30)),
        "cancelled": at(now + timedelta(days=3), status=ShowtimeStatus.CANCELLED),
    }


def test_a_longer_movie_moves_the_end_of_its_upcoming_showtimes(admin_client_api, schedule):
    movie, shows = schedule
    before = {name: show.ends_at for name, show in shows.items()}
    response = admin_client_api.patch(movie_url(movie), {"duration_minutes": 130}, format="json")
    assert response.status_code == 200, response.content
    for name, show in shows.items():
        show.refresh_from_db()
        if name in ("upcoming", "later"):
            assert show.ends_at == end_for(show, 130)
        else:  # a started or cancelled showtime keeps its record
            assert show.ends_at == before[name]


def test_a_duration_that_would_overlap_the_next_showtime_changes_nothing(
    admin_client_api, schedule, screen
):
    movie, shows = schedule
    upcoming = shows["upcoming"]
    next_one = factories.ShowtimeFactory(
        screen=screen, starts_at=upcoming.ends_at + timedelta(minutes=5)
    )
    response = admin_client_api.patch(movie_url(movie), {"duration_minutes": 120}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "showtime_overlap"
    assert error["details"]["conflicting_showtime"] == next_one.pk
    assert Movie.objects.get(pk=movie.pk).duration_minutes == 100
    assert Showtime.objects.get(pk=upcoming.pk).ends_at == upcoming.ends_at
    # A few minutes more still fit before it.
    response = admin_client_api.patch(movie_url(movie), {"duration_minutes": 104}, format="json")
    assert response.status_code == 200
    assert Showtime.objects.get(pk=upcoming.pk).ends_at == end_for(upcoming, 104)


def test_a_shorter_movie_frees_the_screen_earlier(admin_client_api, schedule, screen):
    movie, shows = schedule
    assert (
        admin_client_api.patch(
            movie_url(movie), {"duration_minutes": 80}, format="json"
        ).status_code
        == 200
    )
    upcoming = Showtime.objects.get(pk=shows["upcoming"].pk)
    assert upcoming.ends_at == end_for(upcoming, 80)
    response = admin_client_api.post(
        "/api/showtimes/",
        {
            "movie": factories.MovieFactory(duration_minutes=10).pk,
            "screen": screen.pk,
            "starts_at": upcoming.ends_at.isoformat(),
            "base_price": "9.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content


def test_the_admin_moves_the_ends_or_says_what_overlaps(admin_site_client, schedule, screen):
    movie, shows = schedule
    url = reverse("admin:catalog_movie_change", args=[movie.pk])
    form = {
        "title": movie.title,
        "description": movie.description,
        "duration_minutes": 125,
        "release_date": movie.release_date.isoformat() if movie.release_date else "",
        "age_rating": movie.age_rating,
        "language": movie.language,
    }
    response = admin_site_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    upcoming = Showtime.objects.get(pk=shows["upcoming"].pk)
    assert upcoming.ends_at == end_for(upcoming, 125)

    factories.ShowtimeFactory(screen=screen, starts_at=upcoming.ends_at + timedelta(minutes=1))
    response = admin_site_client.post(url, {**form, "duration_minutes": 140})
    assert response.status_code == 200  # the form again, with the error
    assert "would overlap the showtime" in response.content.decode()
    assert Movie.objects.get(pk=movie.pk).duration_minutes == 125
