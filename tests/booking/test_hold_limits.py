"""No seat hoarding: one customer holds at most BOOKING_MAX_SEATS seats at a showtime and three
times that over all showtimes (both configurable), answered 409 `hold_limit_reached`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marquee.booking import services
from marquee.booking.errors import HoldLimitReached
from marquee.booking.models import Ticket, TicketStatus
from marquee.booking.services import booking_confirm
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/bookings/"


def hold_quantity(client, showtime, quantity: int, **extra):
    return client.post(
        URL, {"showtime": showtime.pk, "quantity": quantity, "allow_split": True}, **extra
    )


def held_by(user) -> int:
    return Ticket.objects.filter(booking__user=user, status=TicketStatus.HELD).count()


@pytest.fixture
def big_screen(db):
    """A 200-seat hall: 10 rows of 20."""
    return factories.screen_with_seats(rows=10, per_row=20)


@pytest.fixture
def big_showtime(big_screen):
    return factories.ShowtimeFactory(
        screen=big_screen, starts_at=factories.evening_in(2, big_screen.theater.timezone)
    )


def other_showtime(days: int):
    screen = factories.screen_with_seats(rows=5, per_row=8)
    return factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(days, screen.theater.timezone)
    )


def test_twenty_quantity_holds_cannot_take_a_whole_hall(customer_client, customer, big_showtime):
    codes = [hold_quantity(customer_client, big_showtime, 10).status_code for _ in range(20)]

    assert codes == [201] + [409] * 19
    assert held_by(customer) == 10


def test_the_refusal_has_its_own_code_and_says_what_is_held(customer_client, big_showtime):
    hold_quantity(customer_client, big_showtime, 8)

    response = hold_quantity(customer_client, big_showtime, 3)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "hold_limit_reached"
    assert error["details"] == {"scope": "showtime", "limit": 10, "held": 8, "requested": 3}
    # Up to the limit is fine.
    assert hold_quantity(customer_client, big_showtime, 2).status_code == 201


def test_explicit_seats_count_against_the_same_limit(customer_client, big_showtime):
    seat_ids = list(big_showtime.screen.seats.order_by("id").values_list("id", flat=True))
    first = customer_client.post(URL, {"showtime": big_showtime.pk, "seats": seat_ids[:10]})
    assert first.status_code == 201

    response = customer_client.post(URL, {"showtime": big_showtime.pk, "seats": seat_ids[10:11]})

    assert (response.status_code, response.json()["error"]["code"]) == (409, "hold_limit_reached")


def test_holds_over_all_showtimes_have_their_own_limit(customer_client, settings):
    settings.BOOKING_HOLD_LIMIT_TOTAL = 12
    first, second, third = other_showtime(2), other_showtime(3), other_showtime(4)
    assert hold_quantity(customer_client, first, 10).status_code == 201
    assert hold_quantity(customer_client, second, 2).status_code == 201

    response = hold_quantity(customer_client, third, 1)

    assert response.status_code == 409
    assert response.json()["error"]["details"] == {
        "scope": "all_showtimes",
        "limit": 12,
        "held": 12,
        "requested": 1,
    }


def test_the_default_limit_over_all_showtimes_is_three_times_the_booking_maximum(
    customer_client,
):
    showtimes = [other_showtime(days) for days in range(2, 6)]
    codes = [hold_quantity(customer_client, showtime, 10).status_code for showtime in showtimes]
    assert codes == [201, 201, 201, 409]


def test_both_limits_are_configurable(customer_client, settings, big_showtime):
    settings.BOOKING_HOLD_LIMIT_PER_SHOWTIME = 4
    assert hold_quantity(customer_client, big_showtime, 4).status_code == 201
    refused = hold_quantity(customer_client, big_showtime, 1)
    assert refused.json()["error"]["details"]["limit"] == 4


def test_a_lapsed_hold_no_longer_counts(customer, big_showtime):
    past = timezone.now() - timedelta(minutes=30)
    services.booking_hold(user=customer, showtime_id=big_showtime.pk, quantity=10, now=past)

    booking = services.booking_hold(user=customer, showtime_id=big_showtime.pk, quantity=10)

    assert booking.tickets.count() == 10


def test_paid_and_cancelled_seats_are_not_holds(customer, big_showtime):
    paid = services.booking_hold(user=customer, showtime_id=big_showtime.pk, quantity=10)
    booking_confirm(booking_id=paid.pk)
    cancelled = services.booking_hold(user=customer, showtime_id=big_showtime.pk, quantity=10)
    services.booking_cancel(booking=cancelled, actor=customer)

    again = services.booking_hold(user=customer, showtime_id=big_showtime.pk, quantity=10)

    assert again.tickets.count() == 10
    with pytest.raises(HoldLimitReached):
        services.booking_hold(user=customer, showtime_id=big_showtime.pk, quantity=1)


def test_one_customers_limit_leaves_others_alone(
    customer_client, other_client, customer, other_customer, big_showtime
):
    assert hold_quantity(customer_client, big_showtime, 10).status_code == 201
    assert hold_quantity(customer_client, big_showtime, 1).status_code == 409

    assert hold_quantity(other_client, big_showtime, 10).status_code == 201
    assert (held_by(customer), held_by(other_customer)) == (10, 10)


def test_staff_selling_at_the_box_office_are_not_limited(staff_client, staff_user, big_showtime):
    codes = [hold_quantity(staff_client, big_showtime, 10).status_code for _ in range(5)]

    assert codes == [201] * 5
    assert held_by(staff_user) == 50


def test_a_replayed_hold_is_not_counted_twice(customer_client, customer, big_showtime):
    first = hold_quantity(customer_client, big_showtime, 10, HTTP_IDEMPOTENCY_KEY="hold-1")
    assert first.status_code == 201

    replay = hold_quantity(customer_client, big_showtime, 10, HTTP_IDEMPOTENCY_KEY="hold-1")

    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert held_by(customer) == 10
    # A new request is a new hold, and over the limit.
    fresh = hold_quantity(customer_client, big_showtime, 1, HTTP_IDEMPOTENCY_KEY="hold-2")
    assert fresh.json()["error"]["code"] == "hold_limit_reached"


def test_a_refused_hold_frees_its_idempotency_key(customer_client, customer, big_showtime):
    hold_quantity(customer_client, big_showtime, 10)
    refused = hold_quantity(customer_client, big_showtime, 2, HTTP_IDEMPOTENCY_KEY="later")
    assert refused.status_code == 409
    Ticket.objects.filter(booking__user=customer).update(status=TicketStatus.EXPIRED)

    retried = hold_quantity(customer_client, big_showtime, 2, HTTP_IDEMPOTENCY_KEY="later")

    assert retried.status_code == 201
