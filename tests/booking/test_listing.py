from datetime import timedelta

import pytest
from django.utils import timezone

from marquee.booking.services import booking_hold, bookings_expire
from tests import factories
from tests.queries import assert_max_data_queries

pytestmark = pytest.mark.django_db
URL = "/api/bookings/"


def ids_of(response):
    return {b["id"] for b in response.json()["results"]}


@pytest.fixture
def two_users_bookings(hold, customer, other_customer):
    mine = [hold(["A1"]), hold(["A2"])]
    theirs = [hold(["B1"], user=other_customer)]
    return mine, theirs


def test_customers_list_only_their_own_bookings(customer_client, two_users_bookings):
    mine, _ = two_users_bookings
    response = customer_client.get(URL)
    assert response.status_code == 200
    assert ids_of(response) == {str(b.public_id) for b in mine}
    assert response.json()["count"] == 2


def test_customers_may_not_list_everyones(customer_client, two_users_bookings):
    response = customer_client.get(URL, {"all": "1"})
    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")


def test_staff_list_all_with_filters(staff_client, two_users_bookings, other_customer, showtime):
    _, theirs = two_users_bookings
    assert len(ids_of(staff_client.get(URL, {"all": "1"}))) == 3
    only_theirs = staff_client.get(URL, {"all": "1", "user": other_customer.pk})
    assert ids_of(only_theirs) == {str(theirs[0].public_id)}
    assert len(ids_of(staff_client.get(URL, {"all": "1", "showtime": showtime.pk}))) == 3
    assert ids_of(staff_client.get(URL, {"all": "1", "status": "confirmed"})) == set()


def test_filter_by_status_and_upcoming_or_past(customer_client, customer, hold, screen):
    hold(["C1"])
    past_show = factories.ShowtimeFactory(
        screen=screen, starts_at=timezone.now() + timedelta(hours=1)
    )
    booking = booking_hold(user=customer, showtime_id=past_show.pk, quantity=1)
    past_show.starts_at = timezone.now() - timedelta(hours=3)
    past_show.ends_at = past_show.starts_at + timedelta(hours=2)
    past_show.save()
    assert len(ids_of(customer_client.get(URL, {"when": "upcoming"}))) == 1
    assert ids_of(customer_client.get(URL, {"when": "past"})) == {str(booking.public_id)}
    assert len(ids_of(customer_client.get(URL, {"status": "pending"}))) == 2


@pytest.mark.parametrize(
    "params", [{"status": "nope"}, {"when": "tomorrow"}, {"showtime": "x"}, {"all": "maybe"}]
)
def test_bad_filters_are_400(customer_client, params):
    response = customer_client.get(URL, params)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")


def test_list_is_paginated(customer_client, hold):
    for label in ["A1", "A2", "A3"]:
        hold([label])
    body = customer_client.get(URL, {"page_size": 2}).json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"]


def test_list_costs_a_constant_number_of_queries(staff_client, hold, other_customer):
    for label in ["A1", "A2", "A3", "A4", "A5", "A6"]:
        hold([label], user=other_customer)
    with assert_max_data_queries(4):
        response = staff_client.get(URL, {"all": "1"})
    assert len(response.json()["results"]) == 6


def test_anonymous_cannot_list(api_client):
    assert api_client.get(URL).status_code == 401


# --- Statuses as shown: a lapsed hold is expired, swept or not --------------------------------


@pytest.fixture
def lapsed_and_live(hold):
    """A hold whose time ran out a minute ago (no sweeper has run) and one still running."""
    lapsed = hold(["A1", "A2"], now=timezone.now() - timedelta(minutes=11))
    live = hold(["B1"])
    return lapsed, live


def test_a_lapsed_hold_is_found_as_expired_and_not_as_pending(customer_client, lapsed_and_live):
    lapsed, live = lapsed_and_live

    expired = customer_client.get(URL, {"status": "expired"}).json()
    pending = customer_client.get(URL, {"status": "pending"}).json()

    assert (expired["count"], ids_of_body(expired)) == (1, {str(lapsed.public_id)})
    assert (pending["count"], ids_of_body(pending)) == (1, {str(live.public_id)})
    shown = expired["results"][0]
    assert shown["status"] == "expired"
    assert {ticket["status"] for ticket in shown["tickets"]} == {"expired"}
    assert {t["status"] for t in pending["results"][0]["tickets"]} == {"held"}


def test_staff_filters_read_a_lapsed_hold_as_expired_too(staff_client, lapsed_and_live):
    lapsed, _ = lapsed_and_live

    response = staff_client.get(URL, {"all": "1", "status": "expired"})

    assert ids_of(response) == {str(lapsed.public_id)}


def test_a_swept_hold_is_found_as_expired_as_before(customer_client, lapsed_and_live):
    lapsed, _ = lapsed_and_live
    bookings_expire(now=timezone.now())

    response = customer_client.get(URL, {"status": "expired"})

    assert ids_of(response) == {str(lapsed.public_id)}


def ids_of_body(body) -> set[str]:
    return {b["id"] for b in body["results"]}
