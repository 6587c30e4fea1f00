"""Accessible seating: a companion seat goes with its wheelchair space, best available finds
such a pair, and both are kept for wheelchair users until shortly before the show."""

from datetime import timedelta

import pytest

from marquee.booking import accessibility
from marquee.booking.errors import BookingError
from marquee.booking.models import Booking
from marquee.booking.services import booking_hold
from marquee.catalog.layout import LayoutSeat
from marquee.catalog.models import Seat
from marquee.catalog.services import seats_generate
from marquee.common.errors import http_status
from marquee.common.time import api_datetime
from tests import factories


def seat(id, x, y=1, kind="regular"):
    return LayoutSeat(id, "A", x, "standard", kind, x, y)


# --- pure rules -------------------------------------------------------------------------------

ROW = [
    seat(1, 1, kind="wheelchair"),
    seat(2, 2, kind="companion"),
    seat(3, 3),
    seat(4, 5, kind="wheelchair"),  # x 4 is an aisle: 5 and 6 are beside each other
    seat(5, 6, kind="companion"),
    seat(6, 8, kind="companion"),  # no wheelchair space beside it
]


def test_a_companions_partners_are_the_wheelchair_spaces_beside_it():
    assert accessibility.wheelchair_partners(ROW) == {
        2: frozenset({1}),
        5: frozenset({4}),
        6: frozenset(),
    }


def test_a_companion_without_its_wheelchair_space_is_alone():
    assert accessibility.lone_companions([2], ROW) == [2]
    assert accessibility.lone_companions([1, 2], ROW) == []
    assert accessibility.lone_companions([4, 2], ROW) == [2]  # another pair's space
    assert accessibility.lone_companions([3], ROW) == []


def test_pairs_are_a_free_wheelchair_space_with_a_free_companion_beside_it():
    assert accessibility.accessible_pairs(layout=ROW, taken=[], companions=1) == [
        [4, 5],
        [1, 2],
    ]
    assert accessibility.accessible_pairs(layout=ROW, taken=[5], companions=1) == [[1, 2]]
    assert accessibility.accessible_pairs(layout=ROW, taken=[2, 5], companions=1) == []
    assert accessibility.accessible_pairs(layout=ROW, taken=[2, 5], companions=0) == [[4], [1]]


# --- holds ------------------------------------------------------------------------------------


@pytest.fixture
def hall(db):
    """Row A: wheelchair spaces A1 and A2, companion A3 (beside A2); the rest regular."""
    screen = factories.ScreenFactory()
    seats_generate(
        screen=screen, rows=3, per_row=6, aisles_after=[], wheelchair=["A1", "A2"], companion=["A3"]
    )
    show = factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(2, screen.theater.timezone)
    )
    show.ids = {f"{s.row_label}{s.number}": s.pk for s in Seat.objects.filter(screen=screen)}
    return show


def hold_ids(user, hall, labels, **kwargs):
    return booking_hold(
        user=user, showtime_id=hall.pk, seat_ids=[hall.ids[x] for x in labels], **kwargs
    )


def labels(hall, booking):
    names = {pk: label for label, pk in hall.ids.items()}
    return sorted(names[t.seat_id] for t in booking.tickets.all())


def test_a_companion_alone_is_refused_before_the_release(hall, customer):
    with pytest.raises(BookingError) as refused:
        hold_ids(customer, hall, ["A3"])
    assert refused.value.code == "companion_requires_wheelchair"
    assert http_status(refused.value) == 409
    assert refused.value.details["seat_ids"] == [hall.ids["A3"]]
    release = accessibility.release_at(hall.starts_at)
    assert refused.value.details["held_back_until"] == api_datetime(release)
    assert release == hall.starts_at - timedelta(hours=2)


def test_a_companion_with_its_wheelchair_space_is_held(hall, customer):
    assert labels(hall, hold_ids(customer, hall, ["A2", "A3"])) == ["A2", "A3"]


def test_staff_may_sell_a_companion_alone(hall, staff_user):
    assert labels(hall, hold_ids(staff_user, hall, ["A3"])) == ["A3"]


def test_after_the_release_a_companion_is_a_seat_like_any_other(hall, customer, settings):
    settings.BOOKING_ACCESSIBLE_RELEASE_MINUTES = 120
    now = hall.starts_at - timedelta(minutes=119)
    assert labels(hall, hold_ids(customer, hall, ["A3"], now=now)) == ["A3"]


def test_best_available_finds_a_wheelchair_space_with_its_companion(hall, customer):
    booking = booking_hold(user=customer, showtime_id=hall.pk, quantity=2, accessible=True)
    assert labels(hall, booking) == ["A2", "A3"]
    single = booking_hold(user=customer, showtime_id=hall.pk, quantity=1, accessible=True)
    assert labels(hall, single) == ["A1"]


def test_no_free_pair_is_409(hall, customer, other_customer):
    hold_ids(other_customer, hall, ["A2", "A3"])
    with pytest.raises(BookingError) as refused:
        booking_hold(user=customer, showtime_id=hall.pk, quantity=2, accessible=True)
    assert (refused.value.code, http_status(refused.value)) == ("no_accessible_seats", 409)
    with pytest.raises(BookingError) as refused:
        booking_hold(user=customer, showtime_id=hall.pk, quantity=3, accessible=True)
    assert (refused.value.code, http_status(refused.value)) == ("accessible_quantity", 400)


def test_general_best_available_leaves_them_out_until_the_release(hall, customer, settings):
    settings.BOOKING_ACCESSIBLE_RELEASE_MINUTES = 120
    # Rows B and C full: only row A has room, and only its regular seats count before.
    for row in "BC":
        hold_ids(factories.UserFactory(), hall, [f"{row}{n}" for n in range(1, 7)])
    with pytest.raises(BookingError) as refused:
        booking_hold(user=customer, showtime_id=hall.pk, quantity=4)
    assert refused.value.code == "not_enough_seats"
    after = hall.starts_at - timedelta(minutes=60)
    booking = booking_hold(user=customer, showtime_id=hall.pk, quantity=4, now=after)
    assert len(booking.tickets.all()) == 4


# --- the seat map and the API -----------------------------------------------------------------


def test_the_seat_map_says_which_seats_are_held_back_and_until_when(hall, api_client, settings):
    body = api_client.get(f"/api/showtimes/{hall.pk}/seats/").json()
    release = body["accessible_seats"]["held_back_until"]
    assert body["accessible_seats"]["held_back"] is True
    by_label = {f"{s['row']}{s['number']}": s for s in body["seats"]}
    assert {label: by_label[label]["held_back_until"] for label in ("A1", "A3", "A4")} == {
        "A1": release,
        "A3": release,
        "A4": None,
    }


def test_the_api_refuses_a_lone_companion_and_books_a_pair(hall, customer_client):
    response = customer_client.post(
        "/api/bookings/", {"showtime": hall.pk, "seats": [hall.ids["A3"]]}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        409,
        "companion_requires_wheelchair",
    )
    response = customer_client.post(
        "/api/bookings/", {"showtime": hall.pk, "quantity": 2, "accessible": True}, format="json"
    )
    assert response.status_code == 201, response.content
    assert sorted(t["seat"]["kind"] for t in response.json()["tickets"]) == [
        "companion",
        "wheelchair",
    ]
    response = customer_client.post(
        "/api/bookings/", {"showtime": hall.pk, "quantity": 2, "accessible": "maybe"}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")


def test_the_picker_page_says_until_when_they_are_kept(hall, customer, client):
    from django.urls import reverse

    client.force_login(customer)
    page = client.get(reverse("web:seat-picker", args=[hall.pk])).content.decode()
    assert "Wheelchair spaces and companion seats are kept for wheelchair users until" in page
    response = client.post(reverse("web:hold", args=[hall.pk]), {"seat": [hall.ids["A3"]]})
    assert response.status_code == 409
    assert "booked together with the wheelchair space beside it" in response.content.decode()


def test_giving_back_the_wheelchair_space_alone_leaves_no_lone_companion(
    hall, customer, staff_user
):
    from marquee.booking.services import booking_cancel_tickets

    booking = hold_ids(customer, hall, ["A2", "A3", "A4"])
    space = booking.tickets.get(seat_id=hall.ids["A2"]).pk
    with pytest.raises(BookingError) as refused:
        booking_cancel_tickets(booking=booking, ticket_ids=[space], actor=customer)
    assert refused.value.code == "companion_requires_wheelchair"
    assert refused.value.details["seat_ids"] == [hall.ids["A3"]]
    companion = booking.tickets.get(seat_id=hall.ids["A3"]).pk
    booking_cancel_tickets(booking=booking, ticket_ids=[space, companion], actor=customer)
    # A held booking's released seats leave it.
    assert list(Booking.objects.get(pk=booking.pk).tickets.values_list("seat_id", flat=True)) == [
        hall.ids["A4"]
    ]


# --- the theater's own release time -----------------------------------------------------------


def release_minutes(hall, minutes):
    from marquee.catalog.services import theater_update

    theater_update(theater=hall.screen.theater, accessible_release_minutes=minutes)


def test_a_theaters_own_release_time_replaces_the_setting(hall, customer, settings):
    settings.BOOKING_ACCESSIBLE_RELEASE_MINUTES = 120
    release_minutes(hall, 30)
    an_hour_before = hall.starts_at - timedelta(minutes=60)  # released by the setting
    with pytest.raises(BookingError) as refused:
        hold_ids(customer, hall, ["A3"], now=an_hour_before)
    assert refused.value.code == "companion_requires_wheelchair"
    assert refused.value.details["held_back_until"] == api_datetime(
        hall.starts_at - timedelta(minutes=30)
    )
    for row in "BC":
        seats = [f"{row}{n}" for n in range(1, 7)]
        hold_ids(factories.UserFactory(), hall, seats, now=an_hour_before)
    with pytest.raises(BookingError) as refused:
        booking_hold(user=customer, showtime_id=hall.pk, quantity=4, now=an_hour_before)
    assert refused.value.code == "not_enough_seats"  # best available leaves A1-A3 out
    after = hall.starts_at - timedelta(minutes=29)
    assert labels(hall, hold_ids(customer, hall, ["A3"], now=after)) == ["A3"]


def test_a_theater_may_release_them_earlier_than_the_setting(hall, customer, settings):
    settings.BOOKING_ACCESSIBLE_RELEASE_MINUTES = 120
    release_minutes(hall, 3 * 24 * 60)  # three days before: the show is two days ahead
    assert labels(hall, hold_ids(customer, hall, ["A3"])) == ["A3"]


def test_an_empty_release_time_falls_back_to_the_setting(hall, customer, settings):
    settings.BOOKING_ACCESSIBLE_RELEASE_MINUTES = 3 * 24 * 60
    release_minutes(hall, 30)
    with pytest.raises(BookingError):
        hold_ids(customer, hall, ["A3"])
    release_minutes(hall, None)
    assert labels(hall, hold_ids(customer, hall, ["A3"])) == ["A3"]


def test_giving_back_follows_the_theaters_release_time(hall, customer, settings):
    from marquee.booking.services import booking_cancel_tickets

    settings.BOOKING_ACCESSIBLE_RELEASE_MINUTES = 120
    booking = hold_ids(customer, hall, ["A2", "A3"])
    space = booking.tickets.get(seat_id=hall.ids["A2"]).pk
    release_minutes(hall, 30)
    with pytest.raises(BookingError) as refused:
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=[space],
            actor=customer,
            now=hall.starts_at - timedelta(minutes=60),
        )
    assert refused.value.details["held_back_until"] == api_datetime(
        hall.starts_at - timedelta(minutes=30)
    )


def test_the_seat_map_and_the_picker_show_the_theaters_release_time(
    hall, api_client, client, customer
):
    from django.urls import reverse
    from django.utils import translation
    from django.utils.html import escape

    from marquee.common import formats

    api_client.get(f"/api/showtimes/{hall.pk}/seats/")  # the map of the setting, cached
    release_minutes(hall, 45)
    body = api_client.get(f"/api/showtimes/{hall.pk}/seats/").json()
    release = api_datetime(hall.starts_at - timedelta(minutes=45))
    assert body["accessible_seats"]["held_back_until"] == release
    by_label = {f"{s['row']}{s['number']}": s for s in body["seats"]}
    assert by_label["A3"]["held_back_until"] == release
    client.force_login(customer)
    page = client.get(reverse("web:seat-picker", args=[hall.pk])).content.decode()
    zone = hall.screen.theater.timezone
    with translation.override("en"):
        until = formats.local_datetime(hall.starts_at - timedelta(minutes=45), zone)
        by_setting = formats.local_datetime(hall.starts_at - timedelta(minutes=120), zone)
    assert f"kept for wheelchair users until {escape(until)} (cinema time)" in page
    assert escape(by_setting) not in page
