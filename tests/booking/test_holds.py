from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from marquee.booking.models import Booking, BookingEvent, Ticket
from marquee.catalog.models import ShowtimeStatus
from tests import factories
from tests.queries import assert_max_data_queries

pytestmark = pytest.mark.django_db
URL = "/api/bookings/"


def ids(seats, *labels):
    return [seats[label].id for label in labels]


def test_hold_creates_a_pending_booking_with_priced_tickets(customer_client, showtime, seats):
    response = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1", "D1", "E1")}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["currency"] == "EUR"
    # standard 10, premium (row D) +2, vip (row E) +5, evening show
    assert sorted(t["price"] for t in body["tickets"]) == ["10.00", "12.00", "15.00"]
    assert body["total"] == "37.00"
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(minutes=9) < expires - timezone.now() <= timedelta(minutes=10)
    booking = Booking.objects.get(public_id=body["id"])
    assert booking.tickets.filter(status="held").count() == 3
    assert list(booking.events.values_list("to_status", flat=True)) == ["pending"]


def test_hold_length_is_configurable(settings, customer_client, showtime, seats):
    settings.BOOKING_HOLD_MINUTES = 3
    body = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json"
    ).json()
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert expires - timezone.now() <= timedelta(minutes=3)


def test_taken_seats_answer_409_listing_exactly_those_and_hold_nothing(
    customer_client, other_client, showtime, seats
):
    first = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "B2", "B3")}, format="json"
    )
    assert first.status_code == 201
    response = other_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "B1", "B2", "B3", "B4")}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "seats_unavailable"
    assert error["details"]["seat_ids"] == sorted(ids(seats, "B2", "B3"))
    assert Booking.objects.count() == 1
    assert Ticket.objects.filter(seat__in=ids(seats, "B1", "B4")).count() == 0


def test_seats_of_an_expired_hold_are_free_at_once(hold, other_customer, showtime, seats):
    earlier = timezone.now() - timedelta(minutes=11)
    stale = hold(["C1", "C2"], now=earlier)
    fresh = hold(["C2", "C3"], user=other_customer)
    assert fresh.status == "pending"
    assert stale.tickets.get(seat=seats["C2"]).status == "expired"
    # Only the requested seat was freed: C1 stays held (stale) until someone wants it.
    assert stale.tickets.get(seat=seats["C1"]).status == "held"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({}, 400, "invalid"),
        ({"showtime": "x", "seats": [1]}, 400, "invalid"),
        ({"showtime": 1, "seats": "1,2"}, 400, "invalid"),
        ({"showtime": 1, "seats": [1], "quantity": 1}, 400, "invalid"),
        ({"showtime": 1}, 400, "invalid"),
        ({"showtime": 1, "seats": [-1]}, 400, "invalid"),
        ({"showtime": 1, "seats": list(range(1, 2000))}, 400, "invalid"),
        ({"showtime": 1, "quantity": 0}, 400, "invalid"),
        ({"showtime": 1, "quantity": 2, "tier": "balcony"}, 400, "invalid"),
        ({"showtime": 2**40, "seats": [1]}, 404, "showtime_not_found"),
    ],
)
def test_malformed_requests_are_refused_with_a_code(customer_client, payload, status, code):
    response = customer_client.post(URL, payload, format="json")
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert Booking.objects.count() == 0


def test_non_object_and_broken_json_bodies_are_400(customer_client):
    assert customer_client.post(URL, [1, 2], format="json").status_code == 400
    response = customer_client.generic("POST", URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_too_many_seats_duplicates_and_foreign_seats_have_their_own_codes(
    settings, customer_client, showtime, seats
):
    settings.BOOKING_MAX_SEATS = 2
    cases = [
        (ids(seats, "A1", "A2", "A3"), "too_many_seats"),
        (ids(seats, "A1", "A1"), "duplicate_seats"),
    ]
    other_screen = factories.screen_with_seats(rows=1, per_row=2)
    foreign = other_screen.seats.first().id
    cases.append(([seats["A1"].id, foreign], "seats_not_in_screen"))
    for seat_ids, code in cases:
        response = customer_client.post(
            URL, {"showtime": showtime.pk, "seats": seat_ids}, format="json"
        )
        assert response.status_code == 400, code
        assert response.json()["error"]["code"] == code
    assert Booking.objects.count() == 0


def test_cancelled_and_started_showtimes_cannot_be_booked(customer_client, showtime, seats):
    showtime.status = ShowtimeStatus.CANCELLED
    showtime.save()
    response = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "showtime_cancelled")
    showtime.status = ShowtimeStatus.SCHEDULED
    showtime.starts_at = timezone.now() - timedelta(minutes=1)
    showtime.save()
    response = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "showtime_started")


def test_anonymous_callers_cannot_hold(api_client, showtime, seats):
    response = api_client.post(URL, {"showtime": showtime.pk, "seats": [1]}, format="json")
    assert response.status_code == 401


def test_best_available_holds_adjacent_seats_near_the_sweet_spot(customer_client, showtime):
    response = customer_client.post(URL, {"showtime": showtime.pk, "quantity": 3}, format="json")
    assert response.status_code == 201, response.content
    tickets = response.json()["tickets"]
    rows = {t["seat"]["row"] for t in tickets}
    numbers = sorted(t["seat"]["number"] for t in tickets)
    assert len(rows) == 1
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    # 5 rows A-E: two thirds back is row C (y=2 of 0..4 rounds to 2.67 -> D nearer); never A.
    assert rows <= {"C", "D"}


def test_best_available_without_a_tier_stays_in_the_cheapest_tier(customer_client, showtime):
    # Two thirds back is row D, premium; the customer did not ask to pay for it.
    response = customer_client.post(URL, {"showtime": showtime.pk, "quantity": 2}, format="json")

    assert response.status_code == 201
    tickets = response.json()["tickets"]
    assert {(t["seat"]["row"], t["seat"]["tier"], t["price"]) for t in tickets} == {
        ("C", "standard", "10.00")
    }
    assert response.json()["total"] == "20.00"


def test_best_available_without_a_tier_moves_up_only_when_the_cheapest_is_full(
    hold, other_customer, customer_client, showtime
):
    every_other = [f"{row}{n}" for row in "ABC" for n in (2, 4, 6, 8)]
    hold(every_other[:6], user=other_customer)  # no two standard seats together are left
    hold(every_other[6:], user=factories.UserFactory())

    response = customer_client.post(URL, {"showtime": showtime.pk, "quantity": 2}, format="json")

    assert response.status_code == 201
    assert {(t["seat"]["tier"], t["price"]) for t in response.json()["tickets"]} == {
        ("premium", "12.00")
    }


def test_best_available_by_tier(customer_client, showtime):
    response = customer_client.post(
        URL, {"showtime": showtime.pk, "quantity": 2, "tier": "vip"}, format="json"
    )
    assert response.status_code == 201
    assert {t["seat"]["tier"] for t in response.json()["tickets"]} == {"vip"}
    assert {t["price"] for t in response.json()["tickets"]} == {"15.00"}


def test_best_available_without_adjacent_seats_is_409_unless_split_allowed(
    hold, other_customer, customer_client, showtime
):
    # Others leave only every other seat free in every row.
    hold([f"{row}{n}" for row in "ABCDE" for n in (2, 4, 6, 8)][:10], user=other_customer)
    hold([f"{row}{n}" for row in "ABCDE" for n in (2, 4, 6, 8)][10:], user=factories.UserFactory())
    response = customer_client.post(URL, {"showtime": showtime.pk, "quantity": 2}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "no_adjacent_seats")
    response = customer_client.post(
        URL, {"showtime": showtime.pk, "quantity": 2, "allow_split": True}, format="json"
    )
    assert response.status_code == 201
    response = customer_client.post(URL, {"showtime": showtime.pk, "quantity": 10}, format="json")
    assert response.status_code == 409


def test_sold_out_best_available_says_not_enough_seats(settings, hold, customer_client, showtime):
    settings.BOOKING_MAX_SEATS = 40
    hold([f"{row}{n}" for row in "ABCDE" for n in range(1, 9)])
    response = customer_client.post(URL, {"showtime": showtime.pk, "quantity": 1}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "not_enough_seats")


def test_a_hold_takes_at_most_seven_queries(customer, showtime, seats):
    from marquee.booking.services import booking_hold

    booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=ids(seats, "A1"))  # warm caches
    # The showtime, the pre-check, the customer's lock (PostgreSQL) and count of held seats,
    # then the booking, tickets and event INSERTs.
    with assert_max_data_queries(7):
        booking = booking_hold(
            user=customer, showtime_id=showtime.pk, seat_ids=ids(seats, "B1", "B2")
        )
    assert booking.total == Decimal("20.00")


def test_the_history_records_who_held(customer, hold):
    booking = hold(["A5"])
    event = BookingEvent.objects.get(booking=booking)
    assert (event.from_status, event.to_status, event.actor) == ("", "pending", customer)


def test_a_hold_over_http_with_a_real_token_takes_at_most_eight_queries(customer, showtime, seats):
    # What a buyer's request costs without a shared cache (the SQLite leg): the token's user,
    # the showtime, the pre-check of the seats, the customer's lock (PostgreSQL only: SQLite's
    # BEGIN IMMEDIATE serializes) and count of held seats, then the booking, tickets and event
    # INSERTs (BEGIN/COMMIT aside). With Redis the showtime comes from its context: see
    # test_hot_paths.py for seven queries, and eight with a lapsed hold to free.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(customer)}")
    first = client.post(URL, {"showtime": showtime.pk, "seats": ids(seats, "A1")}, format="json")
    assert first.status_code == 201  # and the layout and price caches are warm
    with assert_max_data_queries(8):
        response = client.post(
            URL, {"showtime": showtime.pk, "seats": ids(seats, "B1", "B2")}, format="json"
        )
    assert response.status_code == 201, response.content
