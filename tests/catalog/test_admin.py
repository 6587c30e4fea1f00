from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marquee.catalog.models import Movie, Showtime, Theater, WeekdayPriceRule
from marquee.common.time import to_local
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
    """The admin form as a person fills it in: the start on the theater's own clock."""
    starts_at = to_local(showtime.starts_at, showtime.screen.theater.timezone)
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
    later = to_local(showtime.ends_at + timedelta(hours=1), showtime.screen.theater.timezone)
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
    past = to_local(timezone.now() - timedelta(days=1), showtime.screen.theater.timezone)
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
    starts_at = showtime.starts_at
    showtime.refresh_from_db()
    assert showtime.base_price == Decimal("12.00")
    assert showtime.starts_at == starts_at


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


# --- The theater's own clock ----------------------------------------------------------------

NEXT_YEAR = timezone.now().year + 1  # within the two-year horizon, always in the future


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def theater_with_a_screen(zone: str):
    theater = factories.TheaterFactory(timezone=zone)
    return factories.screen_with_seats(rows=2, per_row=4, theater=theater)


def schedule_in_admin(client, screen, day: date, clock: str):
    movie = factories.MovieFactory(duration_minutes=100)
    return client.post(
        reverse("admin:catalog_showtime_add"),
        {
            "movie": movie.pk,
            "screen": screen.pk,
            "starts_at_0": day.isoformat(),
            "starts_at_1": clock,
            "base_price": "10.00",
            "currency": "EUR",
        },
    )


@pytest.mark.parametrize(
    ("zone", "day", "stored_utc"),
    [
        ("Europe/Berlin", date(NEXT_YEAR, 1, 15), datetime(NEXT_YEAR, 1, 15, 19, 0, tzinfo=UTC)),
        ("Europe/Berlin", date(NEXT_YEAR, 7, 15), datetime(NEXT_YEAR, 7, 15, 18, 0, tzinfo=UTC)),
        ("America/New_York", date(NEXT_YEAR, 1, 15), datetime(NEXT_YEAR, 1, 16, 1, tzinfo=UTC)),
        ("America/New_York", date(NEXT_YEAR, 7, 15), datetime(NEXT_YEAR, 7, 16, 0, tzinfo=UTC)),
    ],
    ids=["berlin-winter", "berlin-summer", "new-york-winter", "new-york-summer"],
)
def test_20_00_entered_in_the_admin_is_20_00_at_the_theater(
    admin_site_client, zone, day, stored_utc
):
    screen = theater_with_a_screen(zone)

    response = schedule_in_admin(admin_site_client, screen, day, "20:00")

    assert response.status_code == 302
    assert Showtime.objects.get().starts_at == stored_utc


def test_a_time_the_clocks_skip_is_a_form_error_not_a_500(admin_site_client, db):
    screen = theater_with_a_screen("Europe/Berlin")
    spring_forward = last_sunday(NEXT_YEAR, 3)  # 02:00 -> 03:00 in Berlin

    response = schedule_in_admin(admin_site_client, screen, spring_forward, "02:30")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["starts_at"]
    assert "does not exist in Europe/Berlin" in errors[0]
    assert not Showtime.objects.exists()


def test_a_time_the_clocks_repeat_is_a_form_error_not_a_guess(admin_site_client, db):
    screen = theater_with_a_screen("Europe/Berlin")
    fall_back = last_sunday(NEXT_YEAR, 10)  # 03:00 -> 02:00 in Berlin: 02:30 happens twice

    response = schedule_in_admin(admin_site_client, screen, fall_back, "02:30")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["starts_at"]
    assert "happens twice in Europe/Berlin" in errors[0]
    assert not Showtime.objects.exists()


def test_the_change_page_shows_the_start_on_the_theaters_clock(admin_site_client, db):
    screen = theater_with_a_screen("America/New_York")
    starts_at = datetime(NEXT_YEAR, 1, 16, 1, 0, tzinfo=UTC)  # 20:00 the evening before there
    showtime = factories.ShowtimeFactory(screen=screen, starts_at=starts_at)

    response = admin_site_client.get(reverse("admin:catalog_showtime_change", args=[showtime.pk]))

    html = response.content.decode()
    assert 'name="starts_at_0" value="' + f"{NEXT_YEAR}-01-15" in html
    assert 'name="starts_at_1" value="20:00:00"' in html
    assert "in America/New_York, the time zone of the screen" in html


def test_saving_an_unchanged_change_page_keeps_the_moment(admin_site_client, db):
    screen = theater_with_a_screen("America/New_York")
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=datetime(NEXT_YEAR, 7, 16, 0, 0, tzinfo=UTC)
    )

    response = admin_site_client.post(
        reverse("admin:catalog_showtime_change", args=[showtime.pk]),
        showtime_form(showtime, base_price="10.00"),
    )

    assert response.status_code == 302
    showtime.refresh_from_db()
    assert showtime.starts_at == datetime(NEXT_YEAR, 7, 16, 0, 0, tzinfo=UTC)


def test_the_showtime_list_shows_theater_time_and_names_the_zone(admin_site_client, db):
    berlin = theater_with_a_screen("Europe/Berlin")
    new_york = theater_with_a_screen("America/New_York")
    factories.ShowtimeFactory(screen=berlin, starts_at=datetime(NEXT_YEAR, 1, 15, 19, tzinfo=UTC))
    factories.ShowtimeFactory(screen=new_york, starts_at=datetime(NEXT_YEAR, 1, 16, 1, tzinfo=UTC))

    html = admin_site_client.get(reverse("admin:catalog_showtime_changelist")).content.decode()

    assert f"{NEXT_YEAR}-01-15 20:00 (Europe/Berlin)" in html
    assert f"{NEXT_YEAR}-01-15 20:00 (America/New_York)" in html


def test_the_day_filter_counts_days_on_each_theaters_clock(admin_site_client, db):
    tokyo = theater_with_a_screen("Asia/Tokyo")
    local_today = to_local(timezone.now(), "Asia/Tokyo").date()
    late_tonight = datetime.combine(local_today, time(22, 0), tzinfo=ZoneInfo("Asia/Tokyo"))
    tomorrow_morning = late_tonight + timedelta(hours=3)  # 01:00, after the 2h15 slot
    tonight = factories.ShowtimeFactory(screen=tokyo, starts_at=late_tonight)
    factories.ShowtimeFactory(screen=tokyo, starts_at=tomorrow_morning)

    response = admin_site_client.get(reverse("admin:catalog_showtime_changelist"), {"day": "today"})

    assert list(response.context["cl"].result_list) == [tonight]


def test_the_date_and_time_pickers_work_on_the_theaters_clock(admin_site_client, db):
    screen = theater_with_a_screen("America/New_York")
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=datetime(NEXT_YEAR, 1, 16, 1, 0, tzinfo=UTC)
    )

    html = admin_site_client.get(
        reverse("admin:catalog_showtime_change", args=[showtime.pk])
    ).content.decode()

    # The pickers' "Now" reads this offset: New York's, not the server's UTC.
    offset = int(to_local(timezone.now(), "America/New_York").utcoffset().total_seconds())
    assert f'data-admin-utc-offset="{offset}"' in html
    # And the admin's "you are N hours ahead of server time" note is not added under them.
    assert '<span class="timezonewarning" hidden></span>' in html


def test_the_admin_sets_and_clears_a_theaters_accessible_release_time(admin_site_client, db):
    form = {
        "name": "Rex",
        "timezone": "Europe/Paris",
        "surcharge_kind": "percent",
        "premium_surcharge": "20",
        "vip_surcharge": "50",
        "morning_discount_percent": "20",
        "morning_until_hour": "12",
        "weekday_rules-TOTAL_FORMS": "0",
        "weekday_rules-INITIAL_FORMS": "0",
    }
    response = admin_site_client.post(
        reverse("admin:catalog_theater_add"), form | {"accessible_release_minutes": "45"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    theater = Theater.objects.get()
    assert theater.accessible_release_minutes == 45
    change = reverse("admin:catalog_theater_change", args=[theater.pk])
    assert b'name="accessible_release_minutes"' in admin_site_client.get(change).content
    too_long = admin_site_client.post(change, form | {"accessible_release_minutes": "20000"})
    assert too_long.status_code == 200
    assert "accessible_release_minutes" in too_long.context["adminform"].form.errors
    assert admin_site_client.post(
        change, form | {"accessible_release_minutes": ""}
    ).status_code == (302)
    theater.refresh_from_db()
    assert theater.accessible_release_minutes is None  # back to the site's setting
