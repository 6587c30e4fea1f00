from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from marquee.catalog import services
from marquee.catalog.models import Showtime
from marquee.catalog.signals import showtime_cancelled
from marquee.common.errors import ApplicationError, http_status
from tests import factories
from tests.catalog.conftest import local_datetime, local_today
from tests.errors import field_codes

SHOWTIMES = "/api/showtimes/"


def showtime_url(showtime_id, suffix="") -> str:
    return f"{SHOWTIMES}{showtime_id}/{suffix}"


@pytest.fixture
def movie(db):
    return factories.MovieFactory(title="Heat", duration_minutes=120)


@pytest.fixture
def start():
    """A future start on a round minute."""
    return (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)


def schedule_payload(movie, screen, starts_at, **overrides) -> dict:
    return {
        "movie": movie.pk,
        "screen": screen.pk,
        "starts_at": starts_at.isoformat(),
        "base_price": "11.50",
        "currency": "EUR",
    } | overrides


def schedule(movie, screen, starts_at) -> Showtime:
    return services.showtime_schedule(
        movie=movie, screen=screen, starts_at=starts_at, base_price=Decimal("10.00")
    )


# --- Scheduling -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client_fixture", "expected_status"),
    [("api_client", 401), ("customer_client", 403), ("admin_client_api", 201)],
)
def test_only_admins_schedule_showtimes(
    request, movie, screen, start, client_fixture, expected_status
):
    client = request.getfixturevalue(client_fixture)

    response = client.post(SHOWTIMES, schedule_payload(movie, screen, start), format="json")

    assert response.status_code == expected_status


def test_a_showtime_ends_after_the_movie_and_the_cleaning_time(
    admin_client_api, movie, screen, start, settings
):
    settings.SHOWTIME_CLEANING_MINUTES = 15

    response = admin_client_api.post(
        SHOWTIMES, schedule_payload(movie, screen, start), format="json"
    )

    assert response.status_code == 201
    showtime = Showtime.objects.get()
    assert showtime.ends_at - showtime.starts_at == timedelta(minutes=135)
    assert response.json()["base_price"] == "11.50"
    assert response.json()["status"] == "scheduled"


def test_an_overlapping_showtime_is_refused_with_the_conflict(
    admin_client_api, movie, screen, start
):
    existing = schedule(movie, screen, start)

    response = admin_client_api.post(
        SHOWTIMES, schedule_payload(movie, screen, start + timedelta(minutes=60)), format="json"
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "showtime_overlap"
    assert error["details"]["conflicting_showtime"] == existing.pk
    # Written as every response body writes a moment: ISO 8601 with Z for UTC.
    assert error["details"]["starts_at"] == existing.starts_at.isoformat().replace("+00:00", "Z")
    film_ends_at = existing.starts_at + timedelta(minutes=existing.movie.duration_minutes)
    assert error["details"]["ends_at"] == film_ends_at.isoformat().replace("+00:00", "Z")
    free_at = existing.ends_at.isoformat().replace("+00:00", "Z")
    assert error["details"]["screen_free_at"] == free_at
    assert Showtime.objects.count() == 1


def test_starting_inside_the_cleaning_time_is_an_overlap(movie, screen, start):
    schedule(movie, screen, start)
    during_cleaning = start + timedelta(minutes=120 + 14)

    with pytest.raises(ApplicationError) as refused:
        schedule(movie, screen, during_cleaning)

    assert refused.value.code == "showtime_overlap"
    assert http_status(refused.value) == 409


def test_ending_inside_the_next_showtime_is_an_overlap(movie, screen, start):
    schedule(movie, screen, start)

    with pytest.raises(ApplicationError) as refused:
        schedule(movie, screen, start - timedelta(minutes=134))

    assert refused.value.code == "showtime_overlap"


def test_back_to_back_after_the_cleaning_time_is_allowed(movie, screen, start):
    first = schedule(movie, screen, start)
    before = schedule(movie, screen, start - timedelta(minutes=135))

    after = schedule(movie, screen, first.ends_at)

    assert after.starts_at == first.ends_at
    assert before.ends_at == first.starts_at


def test_the_same_time_on_another_screen_is_allowed(movie, screen, start):
    schedule(movie, screen, start)
    other_screen = factories.screen_with_seats(theater=screen.theater)

    assert schedule(movie, other_screen, start).pk


def test_a_cancelled_showtime_does_not_block_its_slot(movie, screen, start):
    cancelled = schedule(movie, screen, start)
    services.showtime_cancel(showtime=cancelled)

    assert schedule(movie, screen, start).status == "scheduled"


def test_a_showtime_cannot_start_in_the_past(admin_client_api, movie, screen):
    past = timezone.now() - timedelta(minutes=1)

    response = admin_client_api.post(SHOWTIMES, schedule_payload(movie, screen, past))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "showtime_in_past"


def test_a_showtime_is_scheduled_at_most_two_years_ahead(admin_client_api, movie, screen):
    for far in ("2999-01-01T20:00:00Z", "9999-12-31T23:59:59Z"):
        response = admin_client_api.post(
            SHOWTIMES, schedule_payload(movie, screen, timezone.now()) | {"starts_at": far}
        )

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "showtime_too_far_ahead"


def test_a_screen_without_seats_cannot_be_scheduled(admin_client_api, movie, start):
    bare = factories.ScreenFactory()

    response = admin_client_api.post(SHOWTIMES, schedule_payload(movie, bare, start))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "screen_has_no_seats"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"base_price": "-1.00"}, "base_price", "min_value"),
        ({"base_price": "10.1234"}, "base_price", "max_decimal_places"),
        ({"base_price": "1000000.00"}, "base_price", "max_whole_digits"),
        ({"base_price": "NaN"}, "base_price", "invalid"),
        ({"base_price": "ten"}, "base_price", "invalid"),
        ({"currency": ""}, "currency", "blank"),
        ({"currency": ["EUR"]}, "currency", "invalid"),
        ({"movie": 4242}, "movie", "does_not_exist"),
        ({"screen": "x"}, "screen", "incorrect_type"),
        ({"starts_at": "next friday"}, "starts_at", "invalid"),
        ({"starts_at": None}, "starts_at", "null"),
    ],
)
def test_invalid_showtime_input_is_400_with_the_field_s_code(
    admin_client_api, movie, screen, start, changes, field, code
):
    response = admin_client_api.post(
        SHOWTIMES, schedule_payload(movie, screen, start) | changes, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert field_codes(response) == {field: [code]}


@pytest.mark.parametrize(
    "currency", ["eur", "Eur", "EURO", "E1R", "XYZ", "DEM", "XAU", "XTS", "CLF", "€", 978]
)
def test_a_currency_that_is_not_an_iso_4217_code_is_refused(
    admin_client_api, movie, screen, start, currency
):
    """Lower case, unknown, withdrawn (DEM), no minor unit (gold, test), four decimals (CLF)."""
    response = admin_client_api.post(
        SHOWTIMES, schedule_payload(movie, screen, start, currency=currency), format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_currency"
    assert field_codes(response) == {"currency": ["invalid_currency"]}
    assert not Showtime.objects.exists()


@pytest.mark.parametrize(
    ("currency", "price"),
    [("EUR", "10.123"), ("USD", "9.999"), ("JPY", "1500.5"), ("KRW", "15000.01")],
)
def test_a_price_with_more_decimals_than_its_currency_has_is_refused(
    admin_client_api, movie, screen, start, currency, price
):
    response = admin_client_api.post(
        SHOWTIMES,
        schedule_payload(movie, screen, start, currency=currency, base_price=price),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_decimals"
    places = "no decimals" if price.endswith((".5", ".01")) else "at most 2 decimals"
    assert response.json()["error"]["details"] == {
        "base_price": [
            {"code": "too_many_decimals", "message": f"{currency} amounts have {places}."}
        ]
    }
    assert not Showtime.objects.exists()


@pytest.mark.parametrize(
    ("currency", "price", "shown"),
    [
        ("JPY", "1500", "1500"),
        ("JPY", "1500.000", "1500"),
        ("KRW", "15000", "15000"),
        ("EUR", "12.5", "12.50"),
        ("USD", "9", "9.00"),
        ("KWD", "3.25", "3.250"),
    ],
)
def test_a_showtime_price_is_written_in_its_currencys_own_units(
    admin_client_api, api_client, movie, screen, start, currency, price, shown
):
    created = admin_client_api.post(
        SHOWTIMES,
        schedule_payload(movie, screen, start, currency=currency, base_price=price),
        format="json",
    )

    assert created.status_code == 201, created.content
    assert (created.json()["base_price"], created.json()["currency"]) == (shown, currency)
    read = api_client.get(showtime_url(created.json()["id"]))
    assert (read.json()["base_price"], read.json()["currency"]) == (shown, currency)


def test_a_showtime_without_a_currency_gets_the_default_currency(
    admin_client_api, movie, screen, start, settings
):
    settings.DEFAULT_CURRENCY = "USD"
    payload = schedule_payload(movie, screen, start)
    del payload["currency"]

    response = admin_client_api.post(SHOWTIMES, payload, format="json")

    assert response.status_code == 201
    assert response.json()["currency"] == "USD"


def test_changing_the_currency_rechecks_the_code_and_the_price(admin_client_api, showtime):
    showtime.base_price = Decimal("12.50")
    showtime.save()
    unknown = admin_client_api.patch(showtime_url(showtime.pk), {"currency": "jpy"})
    # 12.50 EUR has cents; the yen has none.
    cents = admin_client_api.patch(showtime_url(showtime.pk), {"currency": "JPY"})
    both = admin_client_api.patch(
        showtime_url(showtime.pk), {"currency": "JPY", "base_price": "1500"}
    )

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "invalid_currency")
    assert (cents.status_code, cents.json()["error"]["code"]) == (400, "too_many_decimals")
    assert both.status_code == 200
    assert (both.json()["base_price"], both.json()["currency"]) == ("1500", "JPY")


def test_a_free_showtime_is_allowed(movie, screen, start):
    showtime = services.showtime_schedule(
        movie=movie, screen=screen, starts_at=start, base_price=Decimal("0"), currency="USD"
    )

    assert (showtime.base_price, showtime.currency) == (Decimal("0"), "USD")


# --- Reading --------------------------------------------------------------------------------


def test_showtime_detail_shows_the_local_start_in_the_theater_timezone(api_client, movie, db):
    theater = factories.TheaterFactory(name="Odeon", timezone="America/New_York")
    screen = factories.screen_with_seats(rows=3, per_row=4, theater=theater)
    day = local_today("America/New_York") + timedelta(days=5)
    starts_at = local_datetime(day, 19, 45, tz="America/New_York")
    showtime = factories.ShowtimeFactory(movie=movie, screen=screen, starts_at=starts_at)

    response = api_client.get(showtime_url(showtime.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["local_starts_at"] == starts_at.isoformat()
    assert body["local_starts_at"].startswith(f"{day.isoformat()}T19:45:00")
    assert body["movie"]["title"] == "Heat"
    assert body["movie"]["duration_minutes"] == 120
    assert body["theater"] == {"id": theater.pk, "name": "Odeon", "timezone": "America/New_York"}
    assert body["screen"] == {"id": screen.pk, "name": screen.name}
    assert body["base_price"] == "10.00"
    assert body["currency"] == "EUR"
    assert body["status"] == "scheduled"
    assert body["capacity"] == 12


def test_a_showtime_ends_when_the_film_ends_and_frees_its_screen_after_cleaning(
    api_client, movie, db, settings
):
    settings.SHOWTIME_CLEANING_MINUTES = 15
    theater = factories.TheaterFactory(timezone="Europe/Berlin")
    screen = factories.screen_with_seats(rows=2, per_row=4, theater=theater)
    starts_at = local_datetime(local_today() + timedelta(days=5), 20, 0)
    showtime = services.showtime_schedule(
        movie=movie, screen=screen, starts_at=starts_at, base_price=Decimal("10.00")
    )

    body = api_client.get(showtime_url(showtime.pk)).json()

    # Heat runs 120 minutes: the film ends at 22:00, the screen is free at 22:15.
    assert parse_datetime(body["ends_at"]) == starts_at + timedelta(minutes=120)
    assert body["local_ends_at"] == (starts_at + timedelta(minutes=120)).isoformat()
    assert body["local_ends_at"].endswith(("T22:00:00+01:00", "T22:00:00+02:00"))
    assert parse_datetime(body["screen_free_at"]) == starts_at + timedelta(minutes=135)


def test_unknown_showtime_is_404(api_client, admin_client_api, db):
    for response in (
        api_client.get(showtime_url(4242)),
        admin_client_api.patch(showtime_url(4242), {"base_price": "1.00"}),
        admin_client_api.post(showtime_url(4242, "cancel/")),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_a_past_showtime_can_still_be_read(api_client, screen):
    past = factories.ShowtimeFactory(screen=screen, starts_at=timezone.now() - timedelta(days=1))

    assert api_client.get(showtime_url(past.pk)).status_code == 200


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["results"]]


def test_the_list_shows_upcoming_scheduled_showtimes_by_start(api_client, screen):
    now = timezone.now()
    later = factories.ShowtimeFactory(screen=screen, starts_at=now + timedelta(days=2))
    sooner = factories.ShowtimeFactory(screen=screen, starts_at=now + timedelta(days=1))
    past = factories.ShowtimeFactory(screen=screen, starts_at=now - timedelta(days=1))
    cancelled = factories.ShowtimeFactory(
        screen=screen, starts_at=now + timedelta(days=3), status="cancelled"
    )

    assert ids(api_client.get(SHOWTIMES)) == [sooner.pk, later.pk]
    assert ids(api_client.get(SHOWTIMES, {"include_past": 1})) == [past.pk, sooner.pk, later.pk]
    assert ids(api_client.get(SHOWTIMES, {"include_past": "true"}))[0] == past.pk
    assert ids(api_client.get(SHOWTIMES, {"status": "cancelled"})) == [cancelled.pk]


def test_the_list_filters_by_movie_theater_and_screen(api_client, screen, movie):
    other_screen = factories.screen_with_seats()
    soon = timezone.now() + timedelta(days=1)
    mine = factories.ShowtimeFactory(movie=movie, screen=screen, starts_at=soon)
    elsewhere = factories.ShowtimeFactory(screen=other_screen, starts_at=soon)

    assert ids(api_client.get(SHOWTIMES, {"movie": movie.pk})) == [mine.pk]
    assert ids(api_client.get(SHOWTIMES, {"theater": other_screen.theater_id})) == [elsewhere.pk]
    assert ids(api_client.get(SHOWTIMES, {"screen": screen.pk})) == [mine.pk]


def test_the_date_filter_uses_the_theater_local_day_near_midnight(api_client, screen):
    day = local_today() + timedelta(days=4)
    short = factories.MovieFactory(duration_minutes=30)
    before_midnight = factories.ShowtimeFactory(
        movie=short, screen=screen, starts_at=local_datetime(day, 23, 30)
    )
    after_midnight = factories.ShowtimeFactory(
        movie=short, screen=screen, starts_at=local_datetime(day + timedelta(days=1), 0, 30)
    )

    assert ids(api_client.get(SHOWTIMES, {"date": day.isoformat()})) == [before_midnight.pk]
    next_day = (day + timedelta(days=1)).isoformat()
    assert ids(api_client.get(SHOWTIMES, {"date": next_day})) == [after_midnight.pk]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_first_and_last_calendar_days_are_simply_empty(api_client, showtime, day):
    for url in (SHOWTIMES, "/api/movies/"):
        response = api_client.get(url, {"date": day, "include_past": 1})

        assert response.status_code == 200
        assert response.json()["count"] == 0


@pytest.mark.parametrize(
    "query", [{"date": "2026-02-30"}, {"status": "sold_out"}, {"movie": "x"}, {"screen": -1}]
)
def test_malformed_showtime_filters_are_400(api_client, db, query):
    response = api_client.get(SHOWTIMES, query)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_the_showtime_list_runs_a_fixed_number_of_queries(
    api_client, db, django_assert_max_num_queries
):
    for n in range(15):
        screen = factories.screen_with_seats(rows=1, per_row=3)
        factories.ShowtimeFactory(screen=screen, starts_at=timezone.now() + timedelta(hours=n + 1))

    with django_assert_max_num_queries(2):
        response = api_client.get(SHOWTIMES)
    with django_assert_max_num_queries(3):
        api_client.get(SHOWTIMES, {"date": local_today().isoformat()})

    assert len(response.json()["results"]) == 15
    assert {s["capacity"] for s in response.json()["results"]} == {3}


# --- Changing and cancelling ----------------------------------------------------------------


def test_admin_changes_the_price(admin_client_api, customer_client, showtime):
    refused = customer_client.patch(showtime_url(showtime.pk), {"base_price": "7.00"})
    changed = admin_client_api.patch(showtime_url(showtime.pk), {"base_price": "7.00"})

    assert refused.status_code == 403
    assert changed.status_code == 200
    assert changed.json()["base_price"] == "7.00"


def test_rescheduling_recomputes_the_end_and_ignores_itself(admin_client_api, movie, screen, start):
    showtime = schedule(movie, screen, start)

    response = admin_client_api.patch(
        showtime_url(showtime.pk),
        {"starts_at": (start + timedelta(minutes=30)).isoformat()},
        format="json",
    )

    assert response.status_code == 200
    showtime.refresh_from_db()
    assert showtime.starts_at == start + timedelta(minutes=30)
    assert showtime.ends_at == start + timedelta(minutes=30 + 135)


def test_rescheduling_onto_another_showtime_is_refused(admin_client_api, movie, screen, start):
    first = schedule(movie, screen, start)
    second = schedule(movie, screen, start + timedelta(hours=4))

    response = admin_client_api.patch(
        showtime_url(second.pk), {"starts_at": (start + timedelta(hours=1)).isoformat()}
    )

    assert response.status_code == 409
    assert response.json()["error"]["details"]["conflicting_showtime"] == first.pk
    second.refresh_from_db()
    assert second.starts_at == start + timedelta(hours=4)


def test_a_longer_movie_is_checked_against_the_next_showtime(
    admin_client_api, movie, screen, start
):
    first = schedule(movie, screen, start)
    schedule(movie, screen, first.ends_at)
    epic = factories.MovieFactory(duration_minutes=200)

    response = admin_client_api.patch(showtime_url(first.pk), {"movie": epic.pk})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "showtime_overlap"


def test_rescheduling_into_the_past_is_refused(admin_client_api, showtime):
    response = admin_client_api.patch(
        showtime_url(showtime.pk), {"starts_at": "2020-01-01T10:00:00Z"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "showtime_in_past"


@pytest.fixture
def cancellations():
    received = []

    def receiver(sender, showtime, cancelled_by=None, **kwargs):
        received.append((showtime.pk, showtime.status, cancelled_by, connection.in_atomic_block))

    showtime_cancelled.connect(receiver, dispatch_uid="test-catalog-cancellations")
    yield received
    showtime_cancelled.disconnect(dispatch_uid="test-catalog-cancellations")


@pytest.mark.parametrize(
    ("client_fixture", "expected_status"), [("api_client", 401), ("customer_client", 403)]
)
def test_only_admins_cancel_showtimes(request, showtime, client_fixture, expected_status):
    client = request.getfixturevalue(client_fixture)

    response = client.post(showtime_url(showtime.pk, "cancel/"))

    assert response.status_code == expected_status
    showtime.refresh_from_db()
    assert showtime.status == "scheduled"


@pytest.mark.django_db(transaction=True)
def test_cancelling_signals_once_inside_the_transaction(
    admin_client_api, admin_user, showtime, cancellations
):
    first = admin_client_api.post(showtime_url(showtime.pk, "cancel/"))
    again = admin_client_api.post(showtime_url(showtime.pk, "cancel/"))

    assert first.status_code == 200
    assert first.json()["status"] == "cancelled"
    assert again.status_code == 200
    assert cancellations == [(showtime.pk, "cancelled", admin_user, True)]


def test_a_failing_receiver_undoes_the_cancellation(showtime):
    def broken_receiver(sender, **kwargs):
        raise RuntimeError("booking engine down")

    showtime_cancelled.connect(broken_receiver, dispatch_uid="test-broken-receiver")
    try:
        with pytest.raises(RuntimeError):
            services.showtime_cancel(showtime=showtime)
    finally:
        showtime_cancelled.disconnect(dispatch_uid="test-broken-receiver")

    showtime.refresh_from_db()
    assert showtime.status == "scheduled"


def test_patching_the_status_to_cancelled_also_signals(admin_client_api, showtime, cancellations):
    response = admin_client_api.patch(showtime_url(showtime.pk), {"status": "cancelled"})

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert len(cancellations) == 1


def test_reinstating_a_cancelled_showtime_rechecks_its_slot(admin_client_api, movie, screen, start):
    cancelled = schedule(movie, screen, start)
    services.showtime_cancel(showtime=cancelled)
    replacement = schedule(movie, screen, start + timedelta(minutes=30))

    refused = admin_client_api.patch(showtime_url(cancelled.pk), {"status": "scheduled"})
    services.showtime_cancel(showtime=replacement)
    reinstated = admin_client_api.patch(showtime_url(cancelled.pk), {"status": "scheduled"})

    assert refused.status_code == 409
    assert refused.json()["error"]["details"]["conflicting_showtime"] == replacement.pk
    assert reinstated.status_code == 200
    assert reinstated.json()["status"] == "scheduled"


def failing_save(sqlstate: str, message: str):
    """A Showtime.save that fails as psycopg would, with this SQLSTATE."""

    class DatabaseCause(Exception):
        pass

    def save(self, *args, **kwargs):
        cause = DatabaseCause(message)
        cause.sqlstate = sqlstate
        raise OperationalError(message) from cause

    return save


def test_a_deadlock_between_two_overlapping_inserts_is_a_409_overlap(showtime, monkeypatch):
    # On PostgreSQL two overlapping showtimes inserted at the same instant can each wait for
    # the other through the exclusion constraint; the one PostgreSQL aborts overlapped.
    monkeypatch.setattr(Showtime, "save", failing_save("40P01", "deadlock detected"))
    with pytest.raises(ApplicationError) as refused:
        services.showtime_schedule(
            movie=showtime.movie,
            screen=showtime.screen,
            starts_at=showtime.ends_at + timedelta(hours=1),
            base_price=showtime.base_price,
        )
    assert (http_status(refused.value), refused.value.code) == (409, "showtime_overlap")


def test_other_database_errors_while_scheduling_are_not_called_overlaps(showtime, monkeypatch):
    monkeypatch.setattr(Showtime, "save", failing_save("08006", "connection lost"))
    with pytest.raises(OperationalError):
        services.showtime_schedule(
            movie=showtime.movie,
            screen=showtime.screen,
            starts_at=showtime.ends_at + timedelta(hours=1),
            base_price=showtime.base_price,
        )
