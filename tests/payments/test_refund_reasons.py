"""Every refund records why (a `RefundReason` code) beside its free-text note: the service that
caused it decides, whichever path the money goes back on."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from marquee.booking.models import Booking, RefundReason
from marquee.booking.services import booking_cancel, booking_cancel_tickets
from marquee.catalog.services import showtime_cancel
from marquee.payments.models import Payment, PaymentStatus, Refund, Till
from marquee.payments.services import _settle_capture, payment_start

pytestmark = pytest.mark.django_db

CARD = "4242424242424242"


@pytest.fixture
def paid(hold, customer):
    def _paid(labels, *, user=None):
        booking = hold(labels, user=user)
        payment_start(booking=booking, user=user or customer, card_number=CARD)
        booking.refresh_from_db()
        assert booking.status == "confirmed"
        return booking

    return _paid


def ticket_ids(booking, *labels):
    return [
        t.pk
        for t in booking.tickets.select_related("seat")
        if f"{t.seat.row_label}{t.seat.number}" in labels
    ]


def only_refund() -> Refund:
    (refund,) = Refund.objects.all()
    assert refund.status == "succeeded"
    return refund


def test_a_customer_cancelling_their_paid_booking_is_customer_cancelled(
    paid, customer_client, django_capture_on_commit_callbacks
):
    booking = paid(["A1", "A2"])
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(
            f"/api/bookings/{booking.public_id}/cancel/", {"reason": "ill"}, format="json"
        )
    assert response.status_code == 200, response.content
    refund = only_refund()
    assert refund.reason_code == RefundReason.CUSTOMER_CANCELLED
    assert refund.reason == "booking cancelled: ill"  # the free text stays, as a note


def test_tickets_given_back_under_the_policy_are_tickets_returned(
    paid, customer, showtime, django_capture_on_commit_callbacks
):
    booking = paid(["A1", "A2"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=ticket_ids(booking, "A1"),
            actor=customer,
            now=showtime.starts_at - timedelta(hours=30),
        )
    refund = only_refund()
    assert (refund.kind, refund.reason_code) == ("partial", RefundReason.TICKETS_RETURNED)


def test_staff_overriding_the_policy_is_staff_override(
    paid, staff_user, showtime, django_capture_on_commit_callbacks
):
    booking = paid(["A1", "A2"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=ticket_ids(booking, "A2"),
            actor=staff_user,
            refund_percent=Decimal(100),
            reason="projector broke",
        )
    refund = only_refund()
    assert (refund.kind, refund.reason_code) == ("partial", RefundReason.STAFF_OVERRIDE)
    assert refund.reason == "projector broke"


def test_staff_cancelling_a_customers_booking_is_staff_cancelled(
    paid, staff_client, django_capture_on_commit_callbacks
):
    booking = paid(["A1"])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/api/bookings/{booking.public_id}/cancel/")
    assert response.status_code == 200, response.content
    assert only_refund().reason_code == RefundReason.STAFF_CANCELLED


def test_an_admin_cancelling_as_the_admin_site_does_is_staff_cancelled(
    paid, admin_user, django_capture_on_commit_callbacks
):
    booking = paid(["A1"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=admin_user, reason="cancelled in admin")
    assert only_refund().reason_code == RefundReason.STAFF_CANCELLED


def test_a_cancelled_showtime_refunds_its_buyers_as_showtime_cancelled(
    paid, showtime, admin_user, django_capture_on_commit_callbacks
):
    paid(["A1"])
    paid(["B1", "B2"])
    with django_capture_on_commit_callbacks(execute=True):
        showtime_cancel(showtime=showtime, cancelled_by=admin_user)
    reasons = set(Refund.objects.values_list("reason_code", "status"))
    assert reasons == {(RefundReason.SHOWTIME_CANCELLED, "succeeded")}
    assert Refund.objects.count() == 2


def test_a_payment_landing_after_the_showtime_was_cancelled_is_showtime_cancelled(
    hold, showtime, django_capture_on_commit_callbacks
):
    booking = hold(["A1"])
    showtime_cancel(showtime=showtime)
    payment = Payment.objects.create(
        booking=booking,
        provider="simulated",
        provider_reference="sim_late",
        amount=booking.total,
        currency=booking.currency,
        status=PaymentStatus.CAPTURED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _settle_capture(payment_id=payment.pk)
    assert only_refund().reason_code == RefundReason.SHOWTIME_CANCELLED


def test_a_second_capture_is_refunded_as_a_payment_problem(
    paid, django_capture_on_commit_callbacks
):
    booking = paid(["A1"])
    second = Payment.objects.create(
        booking=booking,
        provider="simulated",
        provider_reference="sim_second",
        amount=booking.total,
        currency=booking.currency,
        status=PaymentStatus.CAPTURED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _settle_capture(payment_id=second.pk)
    refund = only_refund()
    assert (refund.payment_id, refund.reason_code) == (second.pk, RefundReason.PAYMENT_PROBLEM)


def test_a_box_office_sale_cancelled_at_the_till_is_box_office(
    staff_client, showtime, seats, django_capture_on_commit_callbacks
):
    till = Till.objects.create(name="Till 1", theater=showtime.screen.theater)
    body = {
        "showtime": showtime.pk,
        "seats": [seats["A1"].pk],
        "payment_method": "cash",
        "till": till.pk,
    }
    sale = staff_client.post("/api/staff/box-office/sales/", body, format="json").json()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/api/bookings/{sale['id']}/cancel/")
    assert response.status_code == 200, response.content
    assert only_refund().reason_code == RefundReason.BOX_OFFICE


def test_a_staff_member_cancelling_their_own_online_booking_is_a_customer(
    paid, staff_user, django_capture_on_commit_callbacks
):
    booking = paid(["A1"], user=staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=Booking.objects.get(pk=booking.pk), actor=staff_user)
    assert only_refund().reason_code == RefundReason.CUSTOMER_CANCELLED


def test_the_refund_list_shows_and_filters_by_reason(
    paid, customer_client, admin_client_api, django_capture_on_commit_callbacks
):
    booking = paid(["A1"])
    with django_capture_on_commit_callbacks(execute=True):
        customer_client.post(f"/api/bookings/{booking.public_id}/cancel/")
    rows = admin_client_api.get("/api/payments/refunds/?reason_code=customer_cancelled").json()
    assert [r["reason_code"] for r in rows["results"]] == ["customer_cancelled"]
    none = admin_client_api.get("/api/payments/refunds/?reason_code=staff_override").json()
    assert none["results"] == []
    bad = admin_client_api.get("/api/payments/refunds/?reason_code=whim")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"
