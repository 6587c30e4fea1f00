from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from marquee.booking.selectors import showtime_seat_map
from marquee.booking.services import booking_confirm
from tests import factories
from tests.queries import assert_max_data_queries

pytestmark = pytest.mark.django_db


def url(showtime):
    return f"/api/showtimes/{showtime.pk}/seats/"


def by_label(body):
    return {f"{s['row']}{s['number']}": s for s in body["seats"]}


def test_seat_map_shows_every_seat_with_status_and_price(api_client, showtime, hold):
    held = hold(["A1", "A2"])
    sold = hold(["E1"])
    booking_confirm(booking_id=sold.pk)
    response = api_client.get(url(showtime))
    assert response.status_code == 200
    body = response.json()
    seats = by_label(body)
    assert len(seats) == 40
    assert seats["A1"]["status"] == seats["A2"]["status"] == "held"
    assert seats["E1"]["status"] == "sold"
    assert seats["A3"]["status"] == "available"
    assert body["counts"] == {"available": 37, "held": 2, "sold": 1, "total": 40}
    assert {k: seats["A3"][k] for k in ("tier", "kind", "x", "y")} == {
        "tier": "standard",
        "kind": "regular",
        "x": 2,
        "y": 0,
    }
    assert seats["A5"]["x"] == 5  # the aisle after seat 4 is a gap in x
    assert held.pk != sold.pk


def test_an_expired_hold_reads_available(api_client, showtime, hold):
    hold(["B1"], now=timezone.now() - timedelta(minutes=30))
    assert by_label(api_client.get(url(showtime)).json())["B1"]["status"] == "available"


def test_seat_map_prices_are_what_the_booking_charges(api_client, customer_client, showtime):
    seat_map = by_label(api_client.get(url(showtime)).json())
    wanted = ["A1", "D1", "E1"]
    response = customer_client.post(
        "/api/bookings/",
        {"showtime": showtime.pk, "seats": [seat_map[label]["id"] for label in wanted]},
        format="json",
    )
    charged = {
        f"{t['seat']['row']}{t['seat']['number']}": t["price"] for t in response.json()["tickets"]
    }
    assert charged == {label: seat_map[label]["price"] for label in wanted}


def test_unknown_showtime_is_404(api_client):
    response = api_client.get("/api/showtimes/999999/seats/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "showtime_not_found"


@pytest.mark.parametrize("rows,per_row", [(2, 5), (20, 25)])
def test_seat_map_costs_the_same_few_queries_whatever_the_hall_size(
    api_client, rows, per_row, hold
):
    screen = factories.screen_with_seats(rows=rows, per_row=per_row)
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=timezone.now() + timedelta(days=1)
    )
    api_client.get(url(showtime))  # first read fills the layout and price-rule caches
    with assert_max_data_queries(2):
        response = api_client.get(url(showtime))
    assert len(response.json()["seats"]) == rows * per_row
    from django.core.cache import cache

    cache.clear()
    with assert_max_data_queries(4):  # cold: layout and weekday rules on top
        api_client.get(url(showtime))


def test_a_logged_in_buyer_reads_a_big_seat_map_in_at_most_three_queries(customer):
    # The rush: every buyer sends a real token, so the user is looked up on top of the two.
    screen = factories.screen_with_seats(rows=20, per_row=25)
    showtime = factories.ShowtimeFactory(
        screen=screen, starts_at=timezone.now() + timedelta(days=1)
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(customer)}")
    client.get(url(showtime))  # warm the layout and price-rule caches
    with assert_max_data_queries(3):
        response = client.get(url(showtime))
    assert response.status_code == 200
    assert len(response.json()["seats"]) == 500


def test_seat_map_json_is_byte_for_byte_what_drf_would_render(api_client, showtime, hold):
    hold(["A1", "B2"])
    response = api_client.get(url(showtime))
    assert response["Content-Type"] == "application/json"
    drf = JSONRenderer().render(showtime_seat_map(showtime_id=showtime.pk))
    assert response.content == drf


def test_seat_map_can_still_be_asked_for_indented(api_client, showtime):
    response = api_client.get(url(showtime), HTTP_ACCEPT="application/json; indent=2")
    assert response.status_code == 200
    assert response.content.startswith(b'{\n  "showtime"')


def test_seat_map_follows_regenerated_seats_at_once(api_client, showtime):
    # The process-local layout memo must never outlive the shared cache's invalidation.
    from marquee.catalog.services import seats_generate

    assert len(api_client.get(url(showtime)).json()["seats"]) == 40
    seats_generate(screen=showtime.screen, rows=3, per_row=4)
    body = api_client.get(url(showtime)).json()
    assert len(body["seats"]) == 12
    assert body["counts"]["total"] == 12


def test_the_seat_map_writes_the_start_as_the_showtime_endpoint_does(api_client, showtime):
    seat_map = api_client.get(url(showtime)).json()["showtime"]
    detail = api_client.get(f"/api/showtimes/{showtime.pk}/").json()
    assert seat_map["starts_at"] == detail["starts_at"]
    assert seat_map["starts_at"].endswith("Z")
