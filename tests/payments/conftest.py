import json

import pytest
from rest_framework.test import APIClient

from marquee.booking.services import booking_hold
from marquee.catalog.models import Seat
from marquee.payments.providers import set_stripe_http_client
from tests.payments.stripe_fake import FakeStripe, intent_event, sign

WEBHOOK_SECRET = "whsec_test_secret"
WEBHOOK_URL = "/api/payments/stripe/webhook/"


@pytest.fixture
def held_booking(customer, showtime):
    """A pending booking of two standard seats (20.00 EUR)."""
    seat_ids = list(
        Seat.objects.filter(
            screen=showtime.screen_id, row_label="A", number__in=[1, 2]
        ).values_list("id", flat=True)
    )
    return booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=seat_ids)


@pytest.fixture
def fake_stripe(settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_marquee"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    fake = FakeStripe()
    set_stripe_http_client(fake)
    yield fake
    set_stripe_http_client(None)


@pytest.fixture
def deliver():
    """POST an event to the webhook, signed as Stripe signs it (or not, or wrongly)."""

    def _deliver(event: dict | str, *, secret=WEBHOOK_SECRET, timestamp=None, signature=None):
        """`event` as JSON, or a string sent as it is (signed all the same)."""
        payload = event if isinstance(event, str) else json.dumps(event)
        headers = {}
        if signature is None and secret is not None:
            signature = sign(payload, secret, timestamp=timestamp)
        if signature is not None:
            headers["HTTP_STRIPE_SIGNATURE"] = signature
        client = APIClient(raise_request_exception=False)
        return client.post(
            WEBHOOK_URL,
            payload.encode("utf-8", "surrogatepass"),
            content_type="application/json",
            **headers,
        )

    return _deliver


@pytest.fixture
def second_intent(customer_client, held_booking, fake_stripe, deliver):
    """second_intent() -> two open Payment Intents for the held booking (20.00 EUR each).

    How a booking gets a second intent: the first payment failed, and by the time the customer
    paid again Stripe had forgotten the idempotency key (it keeps them 24 hours). The first
    intent can still be confirmed with another card, so both may capture."""

    def _second_intent() -> tuple[str, str]:
        url = f"/api/bookings/{held_booking.public_id}/pay/"
        first = customer_client.post(url, {}, format="json").json()["payment"]
        failed = intent_event(first, amount=2000, event_type="payment_intent.payment_failed")
        assert deliver(failed).json()["outcome"] == "payment_failed_recorded"
        fake_stripe.forget_idempotency_keys()
        second = customer_client.post(url, {}, format="json").json()["payment"]
        assert second != first
        return first, second

    return _second_intent
