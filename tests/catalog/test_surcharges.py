"""A theater's surcharges are percentages (any currency) or amounts in a stated currency, and a
showtime is never priced in another currency than its theater's amount surcharges."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from marquee.catalog.models import Showtime, Theater
from tests import factories
from tests.errors import field_codes

THEATERS = "/api/theaters/"
SHOWTIMES = "/api/showtimes/"

pytestmark = pytest.mark.django_db


def yen_theater(**overrides) -> Theater:
    fields = {
        "name": "Ginza",
        "timezone": "Asia/Tokyo",
        "surcharge_kind": "amount",
        "surcharge_currency": "JPY",
        "premium_surcharge": Decimal("300"),
        "vip_surcharge": Decimal("800"),
    }
    return Theater.objects.create(**(fields | overrides))


def schedule(client, screen, *, currency, base_price, days=3):
    movie = factories.MovieFactory()
    starts_at = factories.evening_in(days, screen.theater.timezone)
    return client.post(
        SHOWTIMES,
        {
            "movie": movie.pk,
            "screen": screen.pk,
            "starts_at": starts_at.isoformat(),
            "base_price": base_price,
            "currency": currency,
        },
        format="json",
    )


# --- The API ----------------------------------------------------------------------------------


def test_amount_surcharges_are_stated_and_written_in_their_currency(admin_client_api, api_client):
    created = admin_client_api.post(
        THEATERS,
        {
            "name": "Ginza",
            "timezone": "Asia/Tokyo",
            "surcharge_kind": "amount",
            "surcharge_currency": "JPY",
            "premium_surcharge": "300",
            "vip_surcharge": "800",
        },
        format="json",
    )
    percent = admin_client_api.post(
        THEATERS,
        {"name": "Rex", "surcharge_kind": "percent", "premium_surcharge": "12.5"},
        format="json",
    )

    assert created.status_code == 201, created.content
    body = api_client.get(f"{THEATERS}{created.json()['id']}/").json()
    assert (body["surcharge_kind"], body["surcharge_currency"]) == ("amount", "JPY")
    assert (body["premium_surcharge"], body["vip_surcharge"]) == ("300", "800")
    assert percent.status_code == 201, percent.content
    assert (percent.json()["surcharge_currency"], percent.json()["premium_surcharge"]) == (
        "",
        "12.50",
    )


@pytest.mark.parametrize(
    ("payload", "code", "field_errors"),
    [
        (
            {"surcharge_kind": "amount"},
            "invalid_surcharge",
            {"surcharge_currency": ["invalid_surcharge"]},
        ),
        (
            {"surcharge_kind": "percent", "surcharge_currency": "EUR"},
            "invalid_surcharge",
            {"surcharge_currency": ["invalid_surcharge"]},
        ),
        (
            {"surcharge_kind": "amount", "surcharge_currency": "yen"},
            "invalid_currency",
            {"surcharge_currency": ["invalid_currency"]},
        ),
        (
            {"surcharge_kind": "amount", "surcharge_currency": "XYZ"},
            "invalid_currency",
            {"surcharge_currency": ["invalid_currency"]},
        ),
        (
            {"surcharge_kind": "amount", "surcharge_currency": "JPY", "vip_surcharge": "800.5"},
            "too_many_decimals",
            {"vip_surcharge": ["too_many_decimals"]},
        ),
        (
            {"surcharge_kind": "amount", "surcharge_currency": "EUR", "vip_surcharge": "2.505"},
            "too_many_decimals",
            {"vip_surcharge": ["too_many_decimals"]},
        ),
        (
            {"surcharge_kind": "percent", "premium_surcharge": "12.345"},
            "invalid_surcharge",
            {"premium_surcharge": ["invalid_surcharge"]},
        ),
        (
            {"surcharge_kind": "percent", "vip_surcharge": "1000.01"},
            "invalid_surcharge",
            {"vip_surcharge": ["invalid_surcharge"]},
        ),
        ({"surcharge_kind": "euros"}, "invalid", {"surcharge_kind": ["invalid_choice"]}),
        ({"premium_surcharge": "-1"}, "invalid", {"premium_surcharge": ["min_value"]}),
    ],
)
def test_a_surcharge_that_is_not_a_percentage_or_an_amount_in_a_currency_is_400(
    admin_client_api, payload, code, field_errors
):
    response = admin_client_api.post(THEATERS, {"name": "Rex"} | payload, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert field_codes(response) == field_errors
    assert not Theater.objects.exists()


def test_a_showtime_must_be_in_the_currency_of_its_theaters_amount_surcharges(admin_client_api):
    screen = factories.screen_with_seats(theater=yen_theater())

    euros = schedule(admin_client_api, screen, currency="EUR", base_price="12.50")
    yen = schedule(admin_client_api, screen, currency="JPY", base_price="1500")

    assert euros.status_code == 409
    error = euros.json()["error"]
    assert error["code"] == "surcharge_currency_mismatch"
    assert (error["details"]["surcharge_currency"], error["details"]["currencies"]) == (
        "JPY",
        ["EUR"],
    )
    assert yen.status_code == 201
    assert Showtime.objects.get().currency == "JPY"


def test_a_theater_with_percentages_schedules_any_currency(admin_client_api):
    screen = factories.screen_with_seats(theater=factories.TheaterFactory())  # 20% / 50%

    answers = [
        schedule(admin_client_api, screen, currency=currency, base_price=price, days=days)
        for days, (currency, price) in enumerate(
            [("JPY", "1500"), ("KRW", "15000"), ("EUR", "12.50"), ("USD", "11")], start=2
        )
    ]

    assert [answer.status_code for answer in answers] == [201] * 4


def test_changing_a_showtimes_currency_away_from_its_surcharges_is_409(admin_client_api):
    screen = factories.screen_with_seats(theater=yen_theater())
    showtime = schedule(admin_client_api, screen, currency="JPY", base_price="1500").json()

    response = admin_client_api.patch(
        f"{SHOWTIMES}{showtime['id']}/", {"currency": "USD"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "surcharge_currency_mismatch"
    assert Showtime.objects.get().currency == "JPY"


def test_amounts_in_a_currency_its_upcoming_showtimes_are_not_in_are_409(admin_client_api):
    theater = factories.TheaterFactory()
    screen = factories.screen_with_seats(theater=theater)
    euros = schedule(admin_client_api, screen, currency="EUR", base_price="12.50").json()

    response = admin_client_api.patch(
        f"{THEATERS}{theater.pk}/",
        {"surcharge_kind": "amount", "surcharge_currency": "USD"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["details"]["showtimes"] == [euros["id"]]
    theater.refresh_from_db()
    assert theater.surcharge_kind == "percent"


def test_switching_to_percentages_drops_the_currency(admin_client_api):
    theater = yen_theater()

    response = admin_client_api.patch(
        f"{THEATERS}{theater.pk}/",
        {"surcharge_kind": "percent", "premium_surcharge": "10", "vip_surcharge": "25"},
        format="json",
    )

    assert response.status_code == 200, response.content
    theater.refresh_from_db()
    assert (theater.surcharge_kind, theater.surcharge_currency) == ("percent", "")


def test_moving_a_screen_into_a_theater_with_other_surcharges_is_409(admin_client_api):
    screen = factories.screen_with_seats(theater=factories.TheaterFactory())
    schedule(admin_client_api, screen, currency="EUR", base_price="12.50")
    yen = yen_theater()

    response = admin_client_api.patch(
        f"/api/screens/{screen.pk}/", {"theater": yen.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "surcharge_currency_mismatch"


# --- The admin --------------------------------------------------------------------------------


def theater_form(**overrides) -> dict:
    return {
        "name": "Rex",
        "timezone": "Europe/Paris",
        "surcharge_kind": "amount",
        "surcharge_currency": "EUR",
        "premium_surcharge": "2.00",
        "vip_surcharge": "5.00",
        "morning_discount_percent": "20",
        "morning_until_hour": "12",
        "weekday_rules-TOTAL_FORMS": "0",
        "weekday_rules-INITIAL_FORMS": "0",
    } | overrides


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"surcharge_currency": ""}, "surcharge_currency"),
        ({"surcharge_currency": "XYZ"}, "surcharge_currency"),
        ({"surcharge_currency": "JPY", "premium_surcharge": "300.50"}, "premium_surcharge"),
    ],
)
def test_the_admin_refuses_an_amount_surcharge_without_a_real_currency(
    admin_site_client, overrides, field
):
    response = admin_site_client.post(
        reverse("admin:catalog_theater_add"), theater_form(**overrides)
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Theater.objects.exists()


def test_the_admin_saves_amount_surcharges_in_their_currency(admin_site_client):
    response = admin_site_client.post(
        reverse("admin:catalog_theater_add"),
        theater_form(surcharge_currency="KRW", premium_surcharge="3000", vip_surcharge="5000"),
    )

    assert response.status_code == 302
    theater = Theater.objects.get()
    assert (theater.surcharge_currency, theater.vip_surcharge) == ("KRW", Decimal("5000"))


def showtime_form(screen, **overrides) -> dict:
    starts_at = factories.evening_in(3, screen.theater.timezone)
    return {
        "movie": factories.MovieFactory().pk,
        "screen": screen.pk,
        "starts_at_0": starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": starts_at.strftime("%H:%M:%S"),
        "base_price": "1500",
        "currency": "JPY",
    } | overrides


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "jpy"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "XAU"}, "currency"),
        ({"base_price": "1500.5"}, "base_price"),
    ],
)
def test_the_admin_refuses_unknown_currencies_and_fractions_of_a_yen(
    admin_site_client, overrides, field
):
    screen = factories.screen_with_seats(theater=factories.TheaterFactory())

    response = admin_site_client.post(
        reverse("admin:catalog_showtime_add"), showtime_form(screen, **overrides)
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Showtime.objects.exists()


def test_the_admin_schedules_yen_and_refuses_them_beside_euro_surcharges(admin_site_client):
    yen_screen = factories.screen_with_seats(theater=yen_theater())
    euro_screen = factories.screen_with_seats(
        theater=yen_theater(name="Odeon", surcharge_currency="EUR", vip_surcharge=Decimal("5"))
    )

    scheduled = admin_site_client.post(
        reverse("admin:catalog_showtime_add"), showtime_form(yen_screen)
    )
    refused = admin_site_client.post(
        reverse("admin:catalog_showtime_add"), showtime_form(euro_screen)
    )

    assert scheduled.status_code == 302
    assert Showtime.objects.get().base_price == Decimal("1500")
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.non_field_errors()
    assert any("amounts in EUR" in error for error in errors)
    # The change page shows the price as the yen has it, not as the column stores it.
    page = admin_site_client.get(
        reverse("admin:catalog_showtime_change", args=[Showtime.objects.get().pk])
    )
    assert b'value="1500"' in page.content
    assert b"1500.000" not in page.content


def test_a_showtime_is_refused_in_the_past_before_the_surcharge_currency_is_read(
    admin_client_api,
):
    """The order of refusals: the input first (400), the catalog's state after (409)."""
    screen = factories.screen_with_seats(theater=yen_theater())
    movie = factories.MovieFactory()

    response = admin_client_api.post(
        SHOWTIMES,
        {
            "movie": movie.pk,
            "screen": screen.pk,
            "starts_at": (factories.evening_in(3, "UTC") + timedelta(days=3000)).isoformat(),
            "base_price": "12.50",
            "currency": "EUR",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "showtime_too_far_ahead"
