"""The waiting list: join a sold-out show once, leave, and freed seats offered as timed holds
to the first in line, then the next."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from marquee.booking.models import Booking
from marquee.booking.services import booking_cancel, booking_hold, bookings_expire
from marquee.common.errors import ApplicationError
from marquee.payments.services import payment_start
from marquee.tickets.outbox import email_deliveries_send_due
from marquee.waitlist.services import (
    waitlist_join,
    waitlist_leave,
    waitlist_offer_all,
    waitlist_offer_next,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_show(db):
    """A 1 x 4 hall, two days ahead."""
    screen = factories.screen_with_seats(rows=1, per_row=4)
    return factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(2, screen.theater.timezone)
    )


@pytest.fixture
def sold_out(small_show):
    """Every seat sold to one buyer (a booking per seat, so each can be cancelled alone)."""
    buyer = factories.UserFactory()
    bookings = []
    for seat_id in small_show.screen.seats.order_by("number").values_list("pk", flat=True):
        booking = booking_hold(user=buyer, showtime_id=small_show.pk, seat_ids=[seat_id])
        payment_start(booking=booking, user=buyer, card_number="4242424242424242")
        bookings.append(Booking.objects.get(pk=booking.pk))
    small_show.bookings_sold = bookings
    return small_show


def code_of(call) -> str:
    with pytest.raises(ApplicationError) as refused:
        call()
    return refused.value.code


def test_joining_a_show_with_free_seats_is_refused(small_show, customer):
    assert code_of(lambda: waitlist_join(user=customer, showtime_id=small_show.pk, seats=2)) == (
        "seats_available"
    )


def test_joining_twice_is_refused_and_leaving_lets_one_join_again(sold_out, customer):
    entry = waitlist_join(user=customer, showtime_id=sold_out.pk, seats=2)
    assert entry.status == "waiting"
    assert code_of(lambda: waitlist_join(user=customer, showtime_id=sold_out.pk, seats=1)) == (
        "already_on_waitlist"
    )
    waitlist_leave(user=customer, showtime_id=sold_out.pk)
    assert code_of(lambda: waitlist_leave(user=customer, showtime_id=sold_out.pk)) == (
        "not_on_waitlist"
    )
    assert waitlist_join(user=customer, showtime_id=sold_out.pk, seats=1).status == "waiting"


def test_a_cancellation_offers_the_seat_to_the_first_in_line_by_email(
    sold_out, customer, other_customer, django_capture_on_commit_callbacks, settings
):
    settings.WAITLIST_OFFER_MINUTES = 30
    first = waitlist_join(user=customer, showtime_id=sold_out.pk, seats=1)
    second = waitlist_join(user=other_customer, showtime_id=sold_out.pk, seats=1)
    mail.outbox.clear()
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=sold_out.bookings_sold[0], actor=sold_out.bookings_sold[0].user)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("offered", "waiting")
    offer = first.booking
    assert (offer.user, offer.status, offer.tickets.count()) == (customer, "pending", 1)
    assert offer.expires_at >= before + timedelta(minutes=30)
    email_deliveries_send_due()
    [message] = [m for m in mail.outbox if m.subject.startswith("Seats for you")]
    assert message.to == [customer.email]
    assert f"/bookings/{offer.public_id}/" in message.body


def test_the_first_in_line_waits_for_room_and_nobody_jumps_the_queue(
    sold_out, customer, other_customer
):
    first = waitlist_join(user=customer, showtime_id=sold_out.pk, seats=2)
    second = waitlist_join(user=other_customer, showtime_id=sold_out.pk, seats=1)
    booking_cancel(booking=sold_out.bookings_sold[0], actor=sold_out.bookings_sold[0].user)
    assert waitlist_offer_next(showtime_id=sold_out.pk) == []  # one seat; the first wants two
    second.refresh_from_db()
    assert second.status == "waiting"
    booking_cancel(booking=sold_out.bookings_sold[3], actor=sold_out.bookings_sold[3].user)
    assert [e.pk for e in waitlist_offer_next(showtime_id=sold_out.pk)] == [first.pk]


def test_an_offer_that_runs_out_goes_to_the_next(sold_out, customer, other_customer, settings):
    settings.WAITLIST_OFFER_MINUTES = 30
    first = waitlist_join(user=customer, showtime_id=sold_out.pk, seats=1)
    second = waitlist_join(user=other_customer, showtime_id=sold_out.pk, seats=1)
    booking_cancel(booking=sold_out.bookings_sold[1], actor=sold_out.bookings_sold[1].user)
    waitlist_offer_next(showtime_id=sold_out.pk)
    later = timezone.now() + timedelta(minutes=31)
    bookings_expire(now=later)
    assert waitlist_offer_all(now=later) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("lapsed", "offered")


def test_paying_the_offer_books_it(sold_out, customer):
    entry = waitlist_join(user=customer, showtime_id=sold_out.pk, seats=1)
    booking_cancel(booking=sold_out.bookings_sold[2], actor=sold_out.bookings_sold[2].user)
    waitlist_offer_next(showtime_id=sold_out.pk)
    entry.refresh_from_db()
    payment_start(booking=entry.booking, user=customer, card_number="4242424242424242")
    entry.refresh_from_db()
    assert entry.status == "booked"


def test_leaving_with_an_offer_releases_the_seats_to_the_next(
    sold_out, customer, other_customer, django_capture_on_commit_callbacks
):
    first = waitlist_join(user=customer, showtime_id=sold_out.pk, seats=1)
    second = waitlist_join(user=other_customer, showtime_id=sold_out.pk, seats=1)
    booking_cancel(booking=sold_out.bookings_sold[0], actor=sold_out.bookings_sold[0].user)
    waitlist_offer_next(showtime_id=sold_out.pk)
    with django_capture_on_commit_callbacks(execute=True):
        waitlist_leave(user=customer, showtime_id=sold_out.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.booking.status, second.status) == ("left", "cancelled", "offered")


# --- the API ------------------------------------------------------------------------------


def url(showtime):
    return f"/api/showtimes/{showtime.pk}/waitlist/"


def test_join_and_leave_through_the_api(sold_out, customer_client):
    response = customer_client.post(url(sold_out), {"seats": 2}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["seats"], body["position"], body["booking"]) == (
        "waiting",
        2,
        1,
        None,
    )
    again = customer_client.post(url(sold_out), {"seats": 2}, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_on_waitlist")
    assert customer_client.delete(url(sold_out)).status_code == 204
    gone = customer_client.delete(url(sold_out))
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "not_on_waitlist")


@pytest.mark.parametrize("body", [{}, {"seats": 0}, {"seats": "two"}, {"seats": 1000}, []])
def test_malformed_joins_are_400(sold_out, customer_client, body):
    response = customer_client.post(url(sold_out), body, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")


def test_unknown_showtime_is_404_and_anonymous_401(customer_client, api_client, db):
    response = customer_client.post("/api/showtimes/999999/waitlist/", {"seats": 1}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "showtime_not_found")
    assert api_client.post("/api/showtimes/1/waitlist/", {"seats": 1}).status_code == 401


def test_staff_see_the_list_in_order_customers_do_not(
    sold_out, customer, other_customer, customer_client, staff_client
):
    waitlist_join(user=customer, showtime_id=sold_out.pk, seats=1)
    waitlist_join(user=other_customer, showtime_id=sold_out.pk, seats=3)
    denied = customer_client.get(url(sold_out))
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "permission_denied")
    listing = staff_client.get(url(sold_out)).json()
    assert [(e["user"], e["seats"], e["position"]) for e in listing] == [
        (customer.pk, 1, 1),
        (other_customer.pk, 3, 2),
    ]


def test_the_admin_lists_entries(sold_out, customer, admin_user, client):
    waitlist_join(user=customer, showtime_id=sold_out.pk, seats=1)
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    page = client.get("/admin/waitlist/waitlistentry/")
    assert page.status_code == 200
    assert customer.username in page.content.decode()
