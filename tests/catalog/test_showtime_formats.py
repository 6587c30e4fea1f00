"""Showtime formats and language versions: on the showtime, filterable, priced by the card."""

from decimal import Decimal

import pytest

from marquee.catalog import services
from marquee.catalog.models import Showtime
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_ticket_types")]


@pytest.fixture
def shows(screen):
    zone = screen.theater.timezone
    imax = factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(2, zone, hour=14), format="imax"
    )
    dubbed = factories.ShowtimeFactory(
        screen=screen,
        starts_at=factories.evening_in(2, zone, hour=19),
        language_version="dubbed",
    )
    return imax, dubbed


def test_showtimes_carry_their_format_and_language_version(api_client, shows):
    imax, dubbed = shows
    body = api_client.get(f"/api/showtimes/{imax.pk}/").json()
    assert (body["format"], body["language_version"]) == ("imax", "original")
    body = api_client.get(f"/api/showtimes/{dubbed.pk}/").json()
    assert (body["format"], body["language_version"]) == ("2d", "dubbed")


def test_the_list_filters_by_format_and_language_version(api_client, shows):
    imax, dubbed = shows
    by_format = api_client.get("/api/showtimes/", {"format": "imax"}).json()["results"]
    assert [s["id"] for s in by_format] == [imax.pk]
    by_language = api_client.get("/api/showtimes/", {"language_version": "dubbed"}).json()
    assert [s["id"] for s in by_language["results"]] == [dubbed.pk]
    both = api_client.get("/api/showtimes/", {"format": "2d", "language_version": "dubbed"})
    assert [s["id"] for s in both.json()["results"]] == [dubbed.pk]


@pytest.mark.parametrize("params", [{"format": "8k"}, {"language_version": "klingon"}])
def test_an_unknown_format_or_language_filter_is_400(api_client, shows, params):
    response = api_client.get("/api/showtimes/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_admins_schedule_and_change_the_format(admin_client_api, screen):
    movie = factories.MovieFactory()
    response = admin_client_api.post(
        "/api/showtimes/",
        {
            "movie": movie.pk,
            "screen": screen.pk,
            "starts_at": factories.evening_in(5, screen.theater.timezone).isoformat(),
            "base_price": "10.00",
            "currency": "EUR",
            "format": "3d",
            "language_version": "subtitled",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["format"], response.json()["language_version"]) == ("3d", "subtitled")
    patched = admin_client_api.patch(
        f"/api/showtimes/{response.json()['id']}/", {"format": "dolby_atmos"}, format="json"
    )
    assert patched.json()["format"] == "dolby_atmos"
    bad = admin_client_api.patch(
        f"/api/showtimes/{response.json()['id']}/", {"format": "8k"}, format="json"
    )
    assert bad.status_code == 400


def test_a_price_card_adds_its_format_surcharge(api_client, screen, shows):
    imax, dubbed = shows
    card = services.price_card_create(
        theater=screen.theater,
        name="Premium formats",
        currency="EUR",
        entries=[
            {"ticket_type": "adult", "tier": "standard", "price": Decimal("12.00")},
            {"ticket_type": "child", "tier": "standard", "price": Decimal("8.00")},
        ],
        format_surcharges=[{"format": "imax", "amount": Decimal("4.50")}],
    )
    for show in (imax, dubbed):
        services.showtime_update(showtime=show, price_card=card)
    imax_map = api_client.get(f"/api/showtimes/{imax.pk}/seats/").json()
    plain_map = api_client.get(f"/api/showtimes/{dubbed.pk}/seats/").json()
    child = {t["code"]: t["prices"] for t in imax_map["ticket_types"]}["child"]
    assert child["standard"] == "12.50"  # 8.00 + 4.50
    assert imax_map["prices"]["standard"] == "16.50"
    assert plain_map["prices"]["standard"] == "12.00"


def test_a_surcharge_with_too_many_decimals_is_refused(staff_client, screen):
    response = staff_client.post(
        "/api/price-cards/",
        {
            "theater": screen.theater_id,
            "name": "Yen",
            "currency": "JPY",
            "format_surcharges": [{"format": "3d", "amount": "300.5"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_decimals"


def test_the_json_format_override_still_works_elsewhere(api_client, shows):
    assert api_client.get("/api/movies/", {"format": "json"}).status_code == 200
    assert Showtime.objects.count() == 2
