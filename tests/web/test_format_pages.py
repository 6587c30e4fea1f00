"""The movie page and the seat picker say a showtime's format and language version."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_movie_page_and_the_picker_show_format_and_language(screen):
    showtime = factories.ShowtimeFactory(
        screen=screen,
        starts_at=factories.evening_in(2, screen.theater.timezone),
        format="imax",
        language_version="subtitled",
    )
    client = Client()
    movie_page = client.get(reverse("web:movie", args=[showtime.movie_id])).content.decode()
    assert "IMAX · Original with subtitles" in movie_page
    picker = client.get(reverse("web:seat-picker", args=[showtime.pk])).content.decode()
    assert "IMAX, Original with subtitles" in picker


def test_a_plain_2d_original_show_adds_no_format_label(screen):
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(2, screen.theater.timezone)
    )
    page = Client().get(reverse("web:movie", args=[showtime.movie_id])).content.decode()
    assert "time-format" not in page


def test_in_german_the_language_version_is_german(screen):
    showtime = factories.ShowtimeFactory(
        screen=screen,
        starts_at=factories.evening_in(2, screen.theater.timezone),
        format="imax",
        language_version="subtitled",
    )
    german = {"Accept-Language": "de"}
    client = Client()
    movie_page = client.get(reverse("web:movie", args=[showtime.movie_id]), headers=german)
    assert "IMAX · Original mit Untertiteln" in movie_page.content.decode()
    picker = client.get(reverse("web:seat-picker", args=[showtime.pk]), headers=german)
    assert "IMAX, Original mit Untertiteln" in picker.content.decode()
