"""Sending e-tickets again: the buyer through the API, staff through the API or the admin."""

import uuid

import pytest
from django.urls import include, path, reverse
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.throttling import SimpleRateThrottle

from marquee.booking.services import booking_cancel
from marquee.tickets import outbox
from marquee.tickets.models import EmailDelivery
from tests.tickets.conftest import as_email, qr_image_parts, queued

pytestmark = pytest.mark.django_db


def resend(client, booking):
    return client.post(f"/api/bookings/{booking.public_id}/resend-tickets/")


def test_the_owner_gets_the_e_tickets_again(
    customer, customer_client, book, django_capture_on_commit_callbacks, mailoutbox
):
    booking = book(["A1", "A2"])
    assert outbox.email_delivery_send(delivery_id=queued(booking).pk) == "sent"

    with django_capture_on_commit_callbacks(execute=True):
        response = resend(customer_client, booking)

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["booking"] == str(booking.public_id)
    assert (body["kind"], body["status"], body["recipient"]) == (
        "confirmation",
        "pending",  # as it was queued; it goes out after the response
        customer.email,
    )
    first, again = mailoutbox
    assert again.subject == first.subject
    assert len(qr_image_parts(as_email(again))) == 2
    resent = EmailDelivery.objects.get(pk=body["id"])
    assert (resent.status, resent.requested_by, resent.dedupe_key) == ("sent", customer, None)


def test_a_copy_still_waiting_is_sent_now_instead_of_a_second(
    customer_client, book, django_capture_on_commit_callbacks, mailoutbox
):
    booking = book(["A3"])  # its confirmation never went out (the mail server was down)
    waiting = queued(booking)

    with django_capture_on_commit_callbacks(execute=True):
        response = resend(customer_client, booking)
        again = resend(customer_client, booking)

    assert (response.status_code, again.status_code) == (202, 202)
    assert response.json()["id"] == again.json()["id"] == waiting.pk
    assert len(mailoutbox) == 1
    assert EmailDelivery.objects.filter(booking=booking).count() == 1


def test_staff_may_resend_anyones_e_tickets(
    staff_user, staff_client, book, django_capture_on_commit_callbacks, mailoutbox
):
    booking = book(["A4"])
    queued(booking).delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = resend(staff_client, booking)
    assert response.status_code == 202
    assert mailoutbox[0].to == [booking.user.email]  # the buyer's inbox, not staff's
    assert EmailDelivery.objects.get(booking=booking).requested_by == staff_user


def test_another_customers_booking_is_not_found(other_client, book, mailoutbox):
    booking = book(["A5"])
    for target in (booking.public_id, uuid.uuid4()):
        response = other_client.post(f"/api/bookings/{target}/resend-tickets/")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "booking_not_found"
    assert EmailDelivery.objects.filter(booking=booking).count() == 1  # only the original


def test_anonymous_callers_are_refused(api_client, book):
    response = resend(api_client, book(["A6"]))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("state", ["pending", "cancelled"])
def test_only_a_confirmed_booking_has_tickets_to_resend(customer, customer_client, book, state):
    booking = book(["A7"], confirm=state != "pending")
    if state == "cancelled":
        booking_cancel(booking=booking, actor=customer)
    before = EmailDelivery.objects.count()

    response = resend(customer_client, booking)

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "booking_not_confirmed",
        "message": f"This booking is {state}; only a confirmed booking has e-tickets to send.",
        "details": {"status": state},
    }
    assert EmailDelivery.objects.count() == before


def test_resending_is_rate_limited_per_account(monkeypatch, customer_client, other_client, book):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "resend_tickets": "2/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 3600 * 500_000 + 60.0)
    booking = book(["B1"])

    statuses = [resend(customer_client, booking).status_code for _ in range(2)]
    refused = resend(customer_client, booking)

    assert statuses == [202, 202]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) == 3600 - 60  # the end of the clock's hour
    assert EmailDelivery.objects.filter(booking=booking).count() == 1  # and never a flood
    assert resend(other_client, booking).status_code == 404  # another account: its own count


def test_the_resend_endpoint_is_in_the_schema_with_the_error_shape():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include("marquee.tickets.urls"))])

    schema = generator.get_schema(request=None, public=True)

    validate_schema(schema)
    assert not GENERATOR_STATS, "drf-spectacular reported warnings or errors for the tickets"
    operation = schema["paths"]["/api/bookings/{public_id}/resend-tickets/"]["post"]
    assert operation["operationId"] == "bookings_resend_tickets"
    # Its own answers, and those every operation documents (bad body, too big, outage).
    assert {"202", "401", "404", "409", "429"} <= set(operation["responses"])
    for status in ("401", "404", "409", "429"):
        reference = operation["responses"][status]["content"]["application/json"]["schema"]
        assert reference == {"$ref": "#/components/schemas/Error"}
    assert "booking_not_confirmed" in operation["responses"]["409"]["description"]


@pytest.fixture
def admin_site_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_admin_lists_deliveries_with_filters_and_search(admin_site_client, book, customer):
    booking = book(["C1"])
    changelist = reverse("admin:tickets_emaildelivery_changelist")

    for query in ({}, {"status": "pending"}, {"kind": "confirmation"}, {"q": customer.email}):
        response = admin_site_client.get(changelist, query)
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1
    found = admin_site_client.get(changelist, {"q": str(booking.public_id)})
    assert found.context["cl"].result_count == 1
    nobody = admin_site_client.get(changelist, {"q": "nobody@example.org"})
    assert nobody.context["cl"].result_count == 0
    detail = reverse("admin:tickets_emaildelivery_change", args=[queued(booking).pk])
    assert admin_site_client.get(detail).status_code == 200


def test_the_admin_action_sends_again(
    admin_site_client, admin_user, smtp_server, book, django_capture_on_commit_callbacks
):
    sent, failed = queued(book(["C2"])), queued(book(["C3"]))
    assert outbox.email_delivery_send(delivery_id=sent.pk) == "sent"
    EmailDelivery.objects.filter(pk=failed.pk).update(status="failed", attempts=40)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site_client.post(
            reverse("admin:tickets_emaildelivery_changelist"),
            {"action": "send_again", "_selected_action": [sent.pk, failed.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert "Queued 2 email(s) to send now." in response.content.decode()
    assert len(smtp_server.inbox.envelopes) == 3  # the first, its copy, and the failed one
    copy = EmailDelivery.objects.filter(booking=sent.booking).exclude(pk=sent.pk).get()
    assert (copy.kind, copy.status, copy.requested_by) == ("confirmation", "sent", admin_user)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 41)
