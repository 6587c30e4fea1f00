"""The box office's API: a walk-in's sale through the same hold and confirmation as online,
recorded as cash or card present with the cashier and the till, its tickets as a PDF or by
email, and the till's day."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from pypdf import PdfReader

from marquee.booking.models import Booking, BookingEvent, BookingStatus, SalesChannel, Ticket
from marquee.payments.models import Payment, PaymentStatus, Provider
from marquee.tickets.codes import ticket_code

SALES = "/api/staff/box-office/sales/"


def sell(client, showtime, seats, till, method="cash", **extra):
    body = {"showtime": showtime.pk, "seats": seats, "payment_method": method, "till": till.pk}
    return client.post(SALES, body | extra, format="json")


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


@pytest.mark.parametrize("method", [Provider.CASH, Provider.CARD_PRESENT])
def test_a_walk_in_sale_is_confirmed_and_recorded_with_method_cashier_and_till(
    staff_client, staff_user, showtime, seats, till, method
):
    response = sell(staff_client, showtime, [seats["C4"].pk, seats["C5"].pk], till, method)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["channel"] == "box_office"
    booking = Booking.objects.get(public_id=body["id"])
    assert booking.user == staff_user and booking.channel == SalesChannel.BOX_OFFICE
    assert booking.status == BookingStatus.CONFIRMED
    (payment,) = Payment.objects.filter(booking=booking)
    assert payment.provider == method
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.till == till and payment.taken_by == staff_user
    assert payment.amount == booking.total
    assert body["payments"][0]["method"] == method
    assert body["payments"][0]["till"] == till.pk
    # The same confirm service as online: the status history says pending -> confirmed.
    assert list(booking.events.values_list("to_status", flat=True)) == ["pending", "confirmed"]
    tickets = Ticket.objects.filter(booking=booking)
    assert {t.status for t in tickets} == {"sold"}
    assert sorted(c["code"] for c in body["codes"]) == sorted(ticket_code(t) for t in tickets)


def test_best_available_at_the_box_office(staff_client, showtime, till):
    response = staff_client.post(
        SALES,
        {"showtime": showtime.pk, "quantity": 3, "payment_method": "cash", "till": till.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["tickets"]) == 3


def test_a_walk_in_without_an_address_gets_no_email_and_the_cashier_none_either(
    staff_client, showtime, seats, till, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sell(staff_client, showtime, [seats["A1"].pk], till)
    assert response.status_code == 201
    assert mail.outbox == []


def test_the_tickets_go_to_the_address_given_with_the_sale(
    staff_client, showtime, seats, till, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = sell(staff_client, showtime, [seats["A1"].pk], till, email="walk@in.example")
    assert response.status_code == 201
    (message,) = mail.outbox
    assert message.to == ["walk@in.example"]
    ticket = Ticket.objects.get(booking__public_id=response.json()["id"])
    assert ticket_code(ticket) in message.body


def test_email_the_tickets_after_the_sale(
    staff_client, showtime, seats, till, django_capture_on_commit_callbacks
):
    sale = sell(staff_client, showtime, [seats["A1"].pk], till).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"{SALES}{sale['id']}/email/", {"email": "later@in.example"}, format="json"
        )
    assert response.status_code == 202, response.content
    assert [m.to for m in mail.outbox] == [["later@in.example"]]
    bad = staff_client.post(f"{SALES}{sale['id']}/email/", {"email": "nope"}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


def test_the_pdf_has_a_page_per_ticket_with_its_code(staff_client, showtime, seats, till):
    sale = sell(staff_client, showtime, [seats["B2"].pk, seats["B3"].pk], till).json()

    response = staff_client.get(f"{SALES}{sale['id']}/tickets.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(content)).pages) == 2
    text = pdf_text(content)
    for ticket in Ticket.objects.filter(booking__public_id=sale["id"]):
        assert ticket_code(ticket) in text


def test_seats_taken_online_answer_409_and_hold_nothing(staff_client, hold, showtime, seats, till):
    hold(["C4"])
    response = sell(staff_client, showtime, [seats["C4"].pk, seats["C5"].pk], till)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "seats_unavailable"
    assert error["details"]["seat_ids"] == [seats["C4"].pk]
    assert not Booking.objects.filter(channel=SalesChannel.BOX_OFFICE).exists()


DROP = object()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"showtime": 999999}, 404, "showtime_not_found"),
        ({"showtime": DROP}, 400, "invalid"),
        ({"payment_method": "voucher"}, 400, "invalid"),
        ({"payment_method": "stripe"}, 400, "invalid"),
        ({"payment_method": DROP}, 400, "invalid"),
        ({"till": 999999}, 404, "till_not_found"),
        ({"till": "abc"}, 400, "invalid"),
        ({"seats": "A1"}, 400, "invalid"),
        ({"seats": [-1]}, 400, "invalid"),
        ({"seats": [999999]}, 400, "seats_not_in_screen"),
        ({"quantity": 2}, 400, "invalid"),  # both seats and quantity
        ({"seats": DROP}, 400, "invalid"),  # neither
        ({"email": "not-an-address"}, 400, "invalid"),
    ],
)
def test_malformed_or_unknown_input_is_a_4xx_with_a_code(
    staff_client, showtime, seats, till, body, status, code
):
    base = {
        "showtime": showtime.pk,
        "seats": [seats["A1"].pk],
        "payment_method": "cash",
        "till": till.pk,
    }
    data = {key: value for key, value in (base | body).items() if value is not DROP}
    response = staff_client.post(SALES, data, format="json")
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert not Booking.objects.exists()


def test_a_closed_till_takes_no_sale(staff_client, showtime, seats, closed_till):
    response = sell(staff_client, showtime, [seats["A1"].pk], closed_till)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "till_closed"
    assert not Booking.objects.exists()


def test_a_show_that_started_is_not_sold(staff_client, showtime, seats, till):
    from datetime import timedelta

    from django.utils import timezone

    showtime.starts_at = timezone.now() - timedelta(minutes=5)
    showtime.save(update_fields=["starts_at"])
    response = sell(staff_client, showtime, [seats["A1"].pk], till)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "showtime_started"


@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_only_staff_sell_or_see_tills(api_client, customer_client, showtime, seats, till, who):
    client = api_client if who == "anonymous" else customer_client
    expected = 401 if who == "anonymous" else 403
    assert sell(client, showtime, [seats["A1"].pk], till).status_code == expected
    assert client.get("/api/staff/tills/").status_code == expected
    assert client.get(f"/api/staff/tills/{till.pk}/summary/").status_code == expected
    assert not Booking.objects.exists()


def test_a_customer_cannot_hold_on_the_box_office_channel(customer, showtime, seats):
    from marquee.booking.errors import BookingError
    from marquee.booking.services import booking_hold
    from marquee.common.errors import http_status

    with pytest.raises(BookingError) as refused:
        booking_hold(
            user=customer,
            showtime_id=showtime.pk,
            seat_ids=[seats["A1"].pk],
            channel=SalesChannel.BOX_OFFICE,
        )
    assert refused.value.code == "permission_denied"
    assert http_status(refused.value) == 403


def test_an_online_booking_is_not_a_box_office_sale(staff_client, hold):
    booking = hold(["A1"])
    assert staff_client.get(f"{SALES}{booking.public_id}/").status_code == 404
    assert staff_client.get(f"{SALES}{booking.public_id}/tickets.pdf").status_code == 404
    response = staff_client.get(f"{SALES}{booking.public_id}/")
    assert response.json()["error"]["code"] == "sale_not_found"


def test_the_till_summary_counts_the_day_by_method_and_cashier(
    staff_client, staff_user, showtime, seats, till
):
    cash = sell(staff_client, showtime, [seats["A1"].pk, seats["A2"].pk], till, "cash").json()
    card = sell(staff_client, showtime, [seats["B1"].pk], till, "card_present").json()

    response = staff_client.get(f"/api/staff/tills/{till.pk}/summary/")

    assert response.status_code == 200, response.content
    summary = response.json()
    methods = {row["method"]: row for row in summary["by_method"]}
    assert methods["cash"]["payments"] == 1
    assert methods["cash"]["taken"] == cash["total"]
    assert methods["card_present"]["taken"] == card["total"]
    assert summary["tickets_sold"] == 3
    (cashier,) = {row["cashier_id"] for row in summary["by_cashier"]}
    assert cashier == staff_user.pk
    (total,) = summary["totals"]
    expected = Payment.objects.filter(till=till).values_list("amount", flat=True)
    from decimal import Decimal

    assert Decimal(total["taken"]) == sum(expected, Decimal(0))
    # Another day is empty; a bad date and an unknown till are 4xx.
    other = staff_client.get(f"/api/staff/tills/{till.pk}/summary/?date=2001-01-01").json()
    assert other["by_method"] == [] and other["tickets_sold"] == 0
    bad = staff_client.get(f"/api/staff/tills/{till.pk}/summary/?date=yesterday")
    assert bad.status_code == 400
    assert staff_client.get("/api/staff/tills/999999/summary/").status_code == 404


def test_a_cancelled_box_office_sale_gives_the_cash_back(
    staff_client, staff_user, showtime, seats, till, django_capture_on_commit_callbacks
):
    sale = sell(staff_client, showtime, [seats["A1"].pk], till).json()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/api/bookings/{sale['id']}/cancel/")
    assert response.status_code == 200, response.content
    payment = Payment.objects.get(booking__public_id=sale["id"])
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refund.provider_reference.startswith("cash_refund_")
    summary = staff_client.get(f"/api/staff/tills/{till.pk}/summary/").json()
    assert summary["by_method"][0]["net"] == "0.00"
    assert BookingEvent.objects.filter(booking=payment.booking, to_status="refunded").exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_till_summary_at_the_edges_of_the_calendar_is_not_a_500(staff_client, day, showtime):
    from marquee.payments.models import Till

    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        theater = showtime.screen.theater
        theater.timezone = zone
        theater.save(update_fields=["timezone"])
        till = Till.objects.create(name=f"Edge {zone}", theater=theater)
        response = staff_client.get(f"/api/staff/tills/{till.pk}/summary/", {"date": day})
        assert response.status_code in (200, 400), response.content


def test_walk_in_sales_are_not_in_the_cashiers_own_bookings(
    staff_client, staff_user, showtime, seats, till
):
    from django.test import Client

    sale = sell(staff_client, showtime, [seats["A1"].pk], till).json()
    own = staff_client.get("/api/bookings/").json()["results"]
    assert own == []
    everyone = staff_client.get("/api/bookings/", {"all": "true"}).json()["results"]
    assert [b["id"] for b in everyone] == [sale["id"]]
    site = Client()
    site.force_login(staff_user)
    assert sale["id"] not in site.get("/bookings/").content.decode()


def test_a_hold_not_yet_paid_has_no_tickets_to_print(staff_client, staff_user, showtime, seats):
    from marquee.staff.boxoffice import box_office_hold

    booking = box_office_hold(staff=staff_user, showtime_id=showtime.pk, seat_ids=[seats["A1"].pk])
    detail = staff_client.get(f"{SALES}{booking.public_id}/").json()
    assert detail["status"] == "pending" and detail["codes"] == []
    response = staff_client.get(f"{SALES}{booking.public_id}/tickets.pdf")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "sale_not_confirmed"
    emailed = staff_client.post(
        f"{SALES}{booking.public_id}/email/", {"email": "a@b.example"}, format="json"
    )
    assert emailed.status_code == 409
