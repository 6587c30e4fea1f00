import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone

from marquee.booking.models import Booking, BookingEvent
from marquee.booking.services import booking_confirm, booking_hold
from marquee.payments.models import Payment, Refund, WebhookEvent
from marquee.payments.providers import set_stripe_http_client
from marquee.payments.services import refunds_retry_failed
from tests.payments.stripe_fake import intent_event
from tests.servers import free_port

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def pay(client, booking):
    return client.post(f"/api/bookings/{booking.public_id}/pay/", {}, format="json")


@pytest.fixture
def intent(customer_client, held_booking, fake_stripe):
    body = pay(customer_client, held_booking).json()
    return body["payment"]


def test_pay_creates_a_payment_intent_through_the_stripe_library(
    customer_client, held_booking, fake_stripe
):
    response = pay(customer_client, held_booking)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["client_secret"].startswith(body["payment"] + "_secret_")
    assert body["booking"]["status"] == "pending"
    (sent,) = fake_stripe.calls("/v1/payment_intents")
    assert sent.params["amount"] == "2000"  # 20.00 EUR in cents
    assert sent.params["currency"] == "eur"
    assert sent.params["metadata[booking_id]"] == str(held_booking.public_id)
    assert sent.headers["Idempotency-Key"].startswith("marquee-intent-")
    assert sent.headers["Authorization"] == "Bearer sk_test_marquee"


def test_paying_again_returns_the_same_intent_without_a_second_call(
    customer_client, held_booking, fake_stripe
):
    first = pay(customer_client, held_booking).json()
    second = pay(customer_client, held_booking).json()
    assert first["payment"] == second["payment"]
    assert first["client_secret"] == second["client_secret"]
    assert len(fake_stripe.calls("/v1/payment_intents")) == 1


def test_webhook_success_confirms_the_booking(
    deliver, intent, held_booking, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(intent_event(intent, amount=2000))
    assert response.status_code == 200
    assert response.json()["outcome"] == "confirmed"
    held_booking.refresh_from_db()
    assert held_booking.status == "confirmed"
    assert Payment.objects.get(provider_reference=intent).status == "succeeded"


def test_a_replayed_event_has_no_second_effect(deliver, intent, held_booking):
    event = intent_event(intent, amount=2000)
    assert deliver(event).json()["outcome"] == "confirmed"
    again = deliver(event)
    assert (again.status_code, again.json()["outcome"]) == (200, "duplicate")
    assert WebhookEvent.objects.count() == 1
    assert BookingEvent.objects.filter(booking=held_booking, to_status="confirmed").count() == 1


@pytest.mark.parametrize(
    "delivery",
    [
        {"secret": None},  # unsigned
        {"secret": "whsec_forged"},  # signed with the wrong secret
        {"timestamp": int(time.time()) - 3600},  # stale: outside the tolerance
        {"timestamp": int(time.time()) + 3600},  # from the future: outside it as well
        {"signature": "t=1,v1=deadbeef"},  # garbage
    ],
)
def test_unsigned_forged_or_stale_webhooks_are_400_and_change_nothing(
    deliver, intent, held_booking, delivery
):
    response = deliver(intent_event(intent, amount=2000), **delivery)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    held_booking.refresh_from_db()
    assert held_booking.status == "pending"
    assert WebhookEvent.objects.count() == 0


def test_a_timestamp_a_little_ahead_of_our_clock_is_accepted(deliver, intent, held_booking):
    # Clocks drift: within the tolerance, ahead is as good as behind.
    response = deliver(intent_event(intent, amount=2000), timestamp=int(time.time()) + 120)
    assert (response.status_code, response.json()["outcome"]) == (200, "confirmed")


def test_a_signed_body_that_is_not_an_event_is_400(deliver, fake_stripe):
    from django.test import Client

    from tests.payments.conftest import WEBHOOK_SECRET, WEBHOOK_URL
    from tests.payments.stripe_fake import sign

    response = Client().post(
        WEBHOOK_URL,
        "not json",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign("not json", WEBHOOK_SECRET),
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_payload")


def _malformed(intent_id: str) -> dict[str, dict | str]:
    """Events that carry a valid signature but not the shape Stripe gives them."""
    good = intent_event(intent_id, amount=2000)
    failed = intent_event(intent_id, amount=2000, event_type="payment_intent.payment_failed")

    def with_intent(base, **fields):
        intent = {**base["data"]["object"], **fields}
        return {**base, "data": {"object": {k: v for k, v in intent.items() if v is not ...}}}

    return {
        "no id": {k: v for k, v in good.items() if k != "id"},
        "numeric id": {**good, "id": 42},
        "no type": {k: v for k, v in good.items() if k != "type"},
        "type is a list": {**good, "type": ["payment_intent.succeeded"]},
        "no data": {k: v for k, v in good.items() if k != "data"},
        "data is a list": {**good, "data": [good["data"]]},
        "no data.object": {**good, "data": {}},
        "data.object is text": {**good, "data": {"object": "pi"}},
        "intent without id": with_intent(good, id=...),
        "intent id is a number": with_intent(good, id=7),
        "intent id is an object": with_intent(good, id={"id": intent_id}),
        "amount is text": with_intent(good, amount="2000", amount_received="2000"),
        "amount is a boolean": with_intent(good, amount=True, amount_received=True),
        "amount is a float": with_intent(good, amount=2000.5, amount_received=2000.5),
        "amount is negative": with_intent(good, amount=-2000, amount_received=-2000),
        "no amount": with_intent(good, amount=..., amount_received=...),
        "amount beyond 64 bits": with_intent(good, amount=2**70, amount_received=2**70),
        "currency is a number": with_intent(good, currency=978),
        "no currency": with_intent(good, currency=...),
        "last_payment_error is text": with_intent(failed, last_payment_error="card declined"),
        "decline_code is a list": with_intent(failed, last_payment_error={"decline_code": [1]}),
        "an array": [good],
        "a string": "payment_intent.succeeded",
        "null": None,
    } | {
        # Raw bodies: what the JSON may not hold.
        "NUL in a string": json.dumps(good).replace(intent_id, intent_id + "\\u0000"),
        "lone surrogate": json.dumps(good).replace('"event"', '"\\ud800"'),
        "nested 10,000 deep": json.dumps(good)[:-1] + ', "x": ' + "[" * 10_000 + "]" * 10_000 + "}",
        "NaN amount": json.dumps(good).replace('"amount": 2000', '"amount": NaN'),
    }


MALFORMED_NAMES = list(_malformed("pi_x"))


@pytest.mark.parametrize("name", MALFORMED_NAMES)
def test_a_signed_but_malformed_event_is_400_and_changes_nothing(
    deliver, intent, held_booking, name
):
    event = _malformed(intent)[name]

    response = deliver(event if isinstance(event, str) else json.dumps(event))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_payload")
    held_booking.refresh_from_db()
    assert held_booking.status == "pending"
    assert Payment.objects.get(provider_reference=intent).status == "pending"
    assert WebhookEvent.objects.count() == 0


def test_the_malformed_field_is_named_in_the_details(deliver, intent):
    response = deliver(_malformed(intent)["amount is text"])

    assert response.json()["error"]["details"] == {"field": "data.object.amount"}


def test_an_event_of_another_type_needs_no_payment_intent(deliver, fake_stripe):
    response = deliver({"id": "evt_other", "object": "event", "type": "customer.created"})

    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")


@pytest.mark.parametrize(
    "signature", ["t=1,v1=\xe9", "t=\xe9,v1=abc", "t=99999999999999999999,v1=0"]
)
def test_a_signature_header_that_cannot_be_read_is_invalid_signature(deliver, intent, signature):
    response = deliver(intent_event(intent, amount=2000), signature=signature)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_signature")


@pytest.mark.parametrize(("amount", "currency"), [(1999, "eur"), (2000, "usd")])
def test_amount_or_currency_mismatch_is_refused(deliver, intent, held_booking, amount, currency):
    response = deliver(intent_event(intent, amount=amount, currency=currency))
    assert response.json()["outcome"] == "amount_mismatch"
    held_booking.refresh_from_db()
    assert held_booking.status == "pending"
    assert Payment.objects.get(provider_reference=intent).status == "pending"


def test_payment_failure_is_recorded_and_the_hold_kept(deliver, intent, held_booking):
    event = intent_event(
        intent,
        amount=2000,
        event_type="payment_intent.payment_failed",
        last_payment_error={
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        },
    )
    assert deliver(event).json()["outcome"] == "payment_failed_recorded"
    payment = Payment.objects.get(provider_reference=intent)
    assert (payment.status, payment.failure_code) == ("failed", "insufficient_funds")
    held_booking.refresh_from_db()
    assert held_booking.status == "pending"


def test_unknown_intents_and_other_events_are_acknowledged_without_effect(deliver, fake_stripe):
    assert deliver(intent_event("pi_unknown", amount=100)).json()["outcome"] == "unknown_payment"
    other = intent_event("pi_x", amount=1, event_type="customer.created")
    assert deliver(other).json()["outcome"] == "ignored"


def test_a_late_payment_for_resold_seats_is_refunded_at_once(
    deliver,
    intent,
    held_booking,
    other_customer,
    showtime,
    fake_stripe,
    django_capture_on_commit_callbacks,
):
    Booking.objects.filter(pk=held_booking.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    held_booking.tickets.update(held_until=timezone.now() - timedelta(minutes=1))
    seat_ids = list(held_booking.tickets.values_list("seat_id", flat=True))
    booking_hold(user=other_customer, showtime_id=showtime.pk, seat_ids=seat_ids[:1])
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(intent_event(intent, amount=2000))
    assert response.json()["outcome"] == "seats_lost"
    (refund_call,) = fake_stripe.calls("/v1/refunds")
    assert refund_call.params == {"payment_intent": intent, "amount": "2000"}
    assert refund_call.headers["Idempotency-Key"].startswith("marquee-refund-")
    held_booking.refresh_from_db()
    assert held_booking.status == "refunded"
    assert Refund.objects.get(payment__provider_reference=intent).status == "succeeded"


def test_a_failed_refund_is_retried_until_it_goes_through(
    deliver,
    intent,
    held_booking,
    customer_client,
    fake_stripe,
    admin_client_api,
    django_capture_on_commit_callbacks,
):
    deliver(intent_event(intent, amount=2000))
    fake_stripe.refund_failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        customer_client.post(f"/api/bookings/{held_booking.public_id}/cancel/")
    refund = Refund.objects.get()
    assert (refund.status, refund.attempts) == ("failed", 1)
    assert "Try again later" in refund.last_error
    failed = admin_client_api.get("/api/payments/refunds/", {"status": "failed"}).json()
    assert [r["id"] for r in failed["results"]] == [refund.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert refunds_retry_failed() == 1
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("succeeded", 2)
    assert refunds_retry_failed() == 0
    held_booking.refresh_from_db()
    assert held_booking.status == "refunded"
    # Both calls carried the same idempotency key: Stripe refunds once whatever happened.
    keys = {c.headers["Idempotency-Key"] for c in fake_stripe.calls("/v1/refunds")}
    assert len(keys) == 1


def test_refund_list_is_admin_only(customer_client, staff_client, api_client):
    assert customer_client.get("/api/payments/refunds/").status_code == 403
    assert staff_client.get("/api/payments/refunds/").status_code == 403
    assert api_client.get("/api/payments/refunds/").status_code == 401


def test_provider_outage_on_pay_is_503_not_500(
    customer_client, held_booking, fake_stripe, monkeypatch
):
    def down(*args, **kwargs):
        return (
            '{"error": {"type": "api_error", "message": "down"}}',
            500,
            {"stripe-should-retry": "false"},
        )

    monkeypatch.setattr(fake_stripe, "request", down)
    response = pay(customer_client, held_booking)
    assert (response.status_code, response.json()["error"]["code"]) == (503, "provider_unavailable")
    assert response.json()["error"]["details"] == {}
    assert Payment.objects.count() == 0


def test_an_unreachable_provider_is_logged_and_the_customer_sees_no_internals(
    customer_client, held_booking, settings, caplog
):
    # The real library over a real socket: nothing listens on this port.
    port = free_port()
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_marquee"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    with caplog.at_level(logging.WARNING, logger="marquee.payments"):
        response = pay(customer_client, held_booking)
    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "provider_unavailable",
        "message": "The payment provider is unavailable; try again.",
        "details": {},
    }
    assert response["Retry-After"]
    body = response.content.decode()
    for internal in ("127.0.0.1", str(port), "Errno", "onnection"):
        assert internal not in body
    (record,) = [r for r in caplog.records if r.getMessage() == "payment provider unavailable"]
    assert record.booking == str(held_booking.public_id)
    assert str(port) in record.error
    assert Payment.objects.count() == 0


def test_stripe_api_base_points_the_stripe_client_at_another_server(
    customer_client, held_booking, fake_stripe, settings
):
    # The fake served over HTTP, reached through the library's own HTTP client (as a local
    # Stripe mock would be), not installed beneath it.
    set_stripe_http_client(None)
    with fake_stripe.serving() as base_url:
        settings.STRIPE_API_BASE = base_url
        response = pay(customer_client, held_booking)
    assert response.status_code == 200, response.content
    (sent,) = fake_stripe.calls("/v1/payment_intents")
    assert sent.params["amount"] == "2000"
    assert response.json()["payment"].startswith("pi_")


def test_a_live_key_with_another_api_base_is_refused_at_start():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PAYMENT_PROVIDER": "stripe",
            "STRIPE_SECRET_KEY": "sk_live_marquee",
            "STRIPE_WEBHOOK_SECRET": "whsec_marquee",
            "STRIPE_API_BASE": "http://127.0.0.1:12111",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "STRIPE_API_BASE" in result.stderr


def test_a_second_capture_for_a_paid_booking_is_refunded_automatically(
    deliver, second_intent, held_booking, fake_stripe, django_capture_on_commit_callbacks
):
    first, second = second_intent()
    assert deliver(intent_event(first, amount=2000)).json()["outcome"] == "confirmed"
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(intent_event(second, amount=2000))
    assert (response.status_code, response.json()["outcome"]) == (
        200,
        "duplicate_capture_refunded",
    )
    held_booking.refresh_from_db()
    assert held_booking.status == "confirmed"  # the booking keeps its seats and its payment
    assert set(held_booking.tickets.values_list("status", flat=True)) == {"sold"}
    kept = Payment.objects.get(provider_reference=first)
    duplicate = Payment.objects.get(provider_reference=second)
    assert (kept.status, duplicate.status) == ("succeeded", "duplicate")
    assert not Refund.objects.filter(payment=kept).exists()
    assert (duplicate.refund.status, duplicate.refund.amount) == ("succeeded", Decimal("20.00"))
    (refund_call,) = fake_stripe.calls("/v1/refunds")
    assert refund_call.params == {"payment_intent": second, "amount": "2000"}
    # Replayed, the second capture changes nothing more.
    again = deliver(intent_event(second, amount=2000))
    assert again.json()["outcome"] == "already_applied"
    assert Refund.objects.count() == 1


def test_a_capture_for_a_booking_confirmed_without_it_is_refunded(
    deliver, intent, held_booking, fake_stripe, django_capture_on_commit_callbacks
):
    # Whatever confirmed the booking first, a payment whose confirmation answers "already
    # confirmed" is not kept.
    booking_confirm(booking_id=held_booking.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(intent_event(intent, amount=2000))
    assert response.json()["outcome"] == "duplicate_capture_refunded"
    payment = Payment.objects.get(provider_reference=intent)
    assert (payment.status, payment.refund.status) == ("duplicate", "succeeded")
    held_booking.refresh_from_db()
    assert held_booking.status == "confirmed"


@pytest.mark.server_db
@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_twice_at_once_confirms_once(deliver, intent, held_booking):
    event = intent_event(intent, amount=2000)
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        barrier.wait()
        try:
            outcomes.append(deliver(event).json()["outcome"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["confirmed", "duplicate"]
    assert BookingEvent.objects.filter(booking=held_booking, to_status="confirmed").count() == 1
