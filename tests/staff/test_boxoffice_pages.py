"""The box office's pages: a cashier sells to a walk-in with the site's seat picker, takes the
money at this device's till, and prints or emails the tickets; customers may not."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from marquee.booking.models import Booking, BookingStatus, SalesChannel, Ticket
from marquee.payments.models import Payment
from marquee.staff.boxoffice_views import TILL_COOKIE
from marquee.tickets.codes import ticket_code


def sale_url(booking) -> str:
    return f"/staff/box-office/sales/{booking.public_id}/"


def test_the_box_office_lists_tonight_and_this_week(staff_site_client, showtime, till):
    response = staff_site_client.get("/staff/box-office/")
    assert response.status_code == 200
    html = response.content.decode()
    assert showtime.movie.title in html
    assert f"/staff/box-office/showtimes/{showtime.pk}/" in html
    assert "Till 1" in html


def test_choosing_a_till_is_remembered_by_the_device(staff_site_client, till, closed_till):
    response = staff_site_client.post("/staff/box-office/till/", {"till": till.pk})
    assert response.status_code == 302
    assert response.cookies[TILL_COOKIE].value == str(till.pk)
    refused = staff_site_client.post("/staff/box-office/till/", {"till": closed_till.pk})
    assert TILL_COOKIE not in refused.cookies


def test_the_picker_is_the_sites_hall_posting_to_the_box_office(staff_site_client, showtime, seats):
    response = staff_site_client.get(f"/staff/box-office/showtimes/{showtime.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="/staff/box-office/showtimes/{showtime.pk}/hold/"' in html
    assert f'value="{seats["C4"].pk}"' in html
    assert "web/js/seatpicker.js" in html


def test_a_walk_in_sale_from_picker_to_printed_tickets(
    staff_site_client, staff_user, showtime, seats, till, django_capture_on_commit_callbacks
):
    staff_site_client.cookies[TILL_COOKIE] = str(till.pk)
    held = staff_site_client.post(
        f"/staff/box-office/showtimes/{showtime.pk}/hold/",
        {"seat": [seats["C4"].pk, seats["C5"].pk]},
    )
    assert held.status_code == 302
    booking = Booking.objects.get()
    assert booking.channel == SalesChannel.BOX_OFFICE and booking.user == staff_user
    assert held["Location"] == sale_url(booking)
    page = staff_site_client.get(sale_url(booking)).content.decode()
    assert 'name="method"' in page and f'<option value="{till.pk}" selected>' in page

    with django_capture_on_commit_callbacks(execute=True):
        paid = staff_site_client.post(
            f"{sale_url(booking)}pay/",
            {"method": "card_present", "till": till.pk, "email": "fam@ily.example"},
        )
    assert paid.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    payment = Payment.objects.get(booking=booking)
    assert (payment.provider, payment.till, payment.taken_by) == ("card_present", till, staff_user)
    assert [m.to for m in mail.outbox] == [["fam@ily.example"]]

    tickets_page = staff_site_client.get(sale_url(booking)).content.decode()
    codes = [ticket_code(t) for t in Ticket.objects.filter(booking=booking)]
    assert all(code in tickets_page for code in codes)
    pdf = staff_site_client.get(f"{sale_url(booking)}tickets.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(
        "".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.content)).pages
    )
    assert all(code in text for code in codes)


def test_best_available_and_release(staff_site_client, showtime):
    held = staff_site_client.post(
        f"/staff/box-office/showtimes/{showtime.pk}/hold/", {"mode": "best", "quantity": "3"}
    )
    booking = Booking.objects.get()
    assert booking.tickets.count() == 3
    released = staff_site_client.post(f"{sale_url(booking)}cancel/")
    assert released.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert held["Location"] == sale_url(booking)


def test_a_seat_taken_online_shows_the_picker_again_with_409(
    staff_site_client, hold, showtime, seats
):
    hold(["C4"])
    response = staff_site_client.post(
        f"/staff/box-office/showtimes/{showtime.pk}/hold/", {"seat": [seats["C4"].pk]}
    )
    assert response.status_code == 409
    assert 'id="picker-error"' in response.content.decode()
    fetched = staff_site_client.post(
        f"/staff/box-office/showtimes/{showtime.pk}/hold/",
        {"seat": [seats["C4"].pk]},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert fetched.status_code == 409
    assert fetched.json()["error"]["code"] == "seats_unavailable"


def test_paying_at_no_till_is_refused_with_the_reason(staff_site_client, showtime, seats):
    staff_site_client.post(
        f"/staff/box-office/showtimes/{showtime.pk}/hold/", {"seat": [seats["A1"].pk]}
    )
    booking = Booking.objects.get()
    response = staff_site_client.post(f"{sale_url(booking)}pay/", {"method": "cash", "till": ""})
    assert response.status_code == 404
    assert "Choose a till" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PENDING


def test_the_till_summary_page(staff_site_client, staff_user, showtime, seats, till):
    from marquee.staff.boxoffice import box_office_sell

    box_office_sell(
        staff=staff_user,
        showtime_id=showtime.pk,
        seat_ids=[seats["A1"].pk],
        method="cash",
        till_id=till.pk,
    )
    html = staff_site_client.get(f"/staff/tills/{till.pk}/summary/").content.decode()
    assert 'id="till-methods"' in html and "Cash" in html
    assert staff_site_client.get("/staff/tills/999999/summary/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/staff/box-office/",
        "/staff/dashboard/",
        "/staff/box-office/showtimes/1/",
    ],
)
def test_customers_get_403_and_visitors_the_login(customer, path):
    visitor = Client()
    response = visitor.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client = Client()
    client.force_login(customer)
    assert client.get(path).status_code == 403


def test_a_customer_cannot_post_a_box_office_hold(customer, showtime, seats):
    client = Client()
    client.force_login(customer)
    response = client.post(
        f"/staff/box-office/showtimes/{showtime.pk}/hold/", {"seat": [seats["A1"].pk]}
    )
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_an_online_booking_has_no_box_office_page(staff_site_client, hold):
    booking = hold(["A1"])
    assert staff_site_client.get(sale_url(booking)).status_code == 404
    assert re.match(r"^/staff/", sale_url(booking))
