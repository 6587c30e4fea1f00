from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marquee.catalog.models import Movie, Showtime, Theater, WeekdayPriceRule
from tests import factories
from tests.catalog.conftest import image_upload

CATALOG_MODELS = ["genre", "movie", "theater", "screen", "seat", "showtime"]


@pytest.fixture
def catalog(showtime):
    """One of everything, so changelists render real rows."""
    factories.GenreFactory().movies.add(showtime.movie)
    WeekdayPriceRule.objects.create(
        theater=showtime.screen.theater, weekday=1, adjustment_percent=-10
    )
    return showtime


@pytest.mark.parametrize("model", CATALOG_MODELS)
def test_every_catalog_changelist_loads(admin_site_client, catalog, model):
    response = admin_site_client.get(reverse(f"admin:catalog_{model}_changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", CATALOG_MODELS)
def test_every_catalog_add_page_loads(admin_site_client, db, model):
    response = admin_site_client.get(reverse(f"admin:catalog_{model}_add"))

    assert response.status_code == 200


def test_the_screen_page_shows_its_seats_inline(admin_site_client, screen):
    response = admin_site_client.get(reverse("admin:catalog_screen_change", args=[screen.pk]))

    assert response.status_code == 200
    assert b"seats-TOTAL_FORMS" in response.content
    assert response.context["inline_admin_formsets"][0].formset.total_form_count() == 40


def test_the_theater_page_shows_its_weekday_rules_inline(admin_site_client, catalog):
    theater = catalog.screen.theater

    response = admin_site_client.get(reverse("admin:catalog_theater_change", args=[theater.pk]))

    assert response.status_code == 200
    assert b"weekday_rules-TOTAL_FORMS" in response.content


def test_the_admin_refuses_an_unknown_timezone(admin_site_client, db):
    response = admin_site_client.post(
        reverse("admin:catalog_theater_add"),
        {
            "name": "Rex",
            "timezone": "Mars/Olympus",
            "premium_surcharge": "2.00",
            "vip_surcharge": "5.00",
            "morning_discount_percent": "20",
            "morning_until_hour": "12",
            "weekday_rules-TOTAL_FORMS": "0",
            "weekday_rules-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "timezone" in response.context["adminform"].form.errors
    assert not Theater.objects.exists()


def movie_form(**overrides) -> dict:
    return {"title": "Heat", "duration_minutes": "170", "age_rating": "R"} | overrides


def test_the_admin_stores_a_real_poster(admin_site_client, db):
    response = admin_site_client.post(
        reverse("admin:catalog_movie_add"), movie_form(poster=image_upload())
    )

    assert response.status_code == 302
    assert Movie.objects.get().poster.name.endswith(".png")


def test_the_admin_refuses_a_fake_or_oversized_poster(admin_site_client, db, settings):
    fake = SimpleUploadedFile("poster.png", b"not an image", content_type="image/png")
    fake_response = admin_site_client.post(
        reverse("admin:catalog_movie_add"), movie_form(poster=fake)
    )
    settings.POSTER_MAX_BYTES = 100
    big_response = admin_site_client.post(
        reverse("admin:catalog_movie_add"), movie_form(poster=image_upload(size=(200, 200)))
    )

    assert fake_response.status_code == 200
    assert "poster" in fake_response.context["adminform"].form.errors
    assert big_response.status_code == 200
    assert "poster" in big_response.context["adminform"].form.errors
    assert not Movie.objects.exists()


def showtime_form(showtime, **overrides) -> dict:
    starts_at = showtime.starts_at
    return {
        "movie": showtime.movie_id,
        "screen": showtime.screen_id,
        "starts_at_0": starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": starts_at.strftime("%H:%M:%S"),
        "base_price": "9.00",
        "currency": "EUR",
    } | overrides


def test_an_overlapping_showtime_is_a_form_error_in_the_admin(admin_site_client, showtime):
    response = admin_site_client.post(
        reverse("admin:catalog_showtime_add"), showtime_form(showtime)
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any("overlaps" in error for error in errors)
    assert Showtime.objects.count() == 1


def test_the_admin_schedules_a_free_slot_with_its_end(admin_site_client, showtime, settings):
    later = showtime.ends_at + timedelta(hours=1)
    form = showtime_form(
        showtime,
        starts_at_0=later.strftime("%Y-%m-%d"),
        starts_at_1=later.strftime("%H:%M:%S"),
    )

    response = admin_site_client.post(reverse("admin:catalog_showtime_add"), form)

    assert response.status_code == 302
    added = Showtime.objects.exclude(pk=showtime.pk).get()
    duration = showtime.movie.duration_minutes + settings.SHOWTIME_CLEANING_MINUTES
    assert added.ends_at - added.starts_at == timedelta(minutes=duration)


def test_the_admin_refuses_a_past_showtime(admin_site_client, showtime):
    past = timezone.now() - timedelta(days=1)
    form = showtime_form(
        showtime, starts_at_0=past.strftime("%Y-%m-%d"), starts_at_1=past.strftime("%H:%M:%S")
    )

    response = admin_site_client.post(reverse("admin:catalog_showtime_add"), form)

    assert response.status_code == 200
    assert Showtime.objects.count() == 1


def test_editing_the_price_in_the_admin_keeps_the_slot(admin_site_client, showtime):
    response = admin_site_client.post(
        reverse("admin:catalog_showtime_change", args=[showtime.pk]),
        showtime_form(showtime, base_price="12.00"),
    )

    assert response.status_code == 302
    showtime.refresh_from_db()
    assert showtime.base_price == Decimal("12.00")


def test_the_cancel_action_cancels_the_selected_showtimes(admin_site_client, showtime):
    other = factories.ShowtimeFactory(
        screen=showtime.screen, starts_at=showtime.starts_at + timedelta(days=1)
    )

    response = admin_site_client.post(
        reverse("admin:catalog_showtime_changelist"),
        {"action": "cancel_showtimes", "_selected_action": [showtime.pk]},
    )

    assert response.status_code == 302
    showtime.refresh_from_db()
    other.refresh_from_db()
    assert (showtime.status, other.status) == ("cancelled", "scheduled")


def test_admin_messages_reach_the_next_page(admin_site_client, showtime):
    # Messages are kept in the session (settings.MESSAGE_STORAGE): they must survive the
    # redirect and show once.
    response = admin_site_client.post(
        reverse("admin:catalog_showtime_changelist"),
        {"action": "cancel_showtimes", "_selected_action": [showtime.pk]},
        follow=True,
    )
    assert "1 showtime(s) cancelled." in response.content.decode()
    again = admin_site_client.get(reverse("admin:catalog_showtime_changelist"))
    assert "showtime(s) cancelled." not in again.content.decode()
