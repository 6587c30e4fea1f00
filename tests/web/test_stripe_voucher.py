"""A voucher on the web checkout with Stripe: the Payment Intent made for the old total is
cancelled at Stripe before the voucher counts, and the buyer pays the discounted total through
a new one (against the fake Stripe server, as tests/web/test_stripe_checkout.py does)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from marquee.booking import vouchers
from marquee.booking.models import Booking, BookingStatus
from marquee.booking.services import booking_hold
from marquee.catalog.models import Seat
from marquee.payments import reconciliation
from marquee.payments.models import Payment
from marquee.payments.providers import set_stripe_http_client
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.stripe_fake import FakeStripe, intent_event, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_api(settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_marquee"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_marquee"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    api = FakeStripe()
    set_stripe_http_client(api)
    yield api
    set_stripe_http_client(None)


@pytest.fixture
def checkout(site_client, customer, showtime, stripe_api):
    """A hold of A1 and A2 (20.00 EUR) whose checkout page made its Payment Intent."""
    ids = {f"{s.row_label}{s.number}": s.id for s in Seat.objects.filter(screen=showtime.screen_id)}
    booking = booking_hold(user=customer, showtime_id=showtime.pk, seat_ids=[ids["A1"], ids["A2"]])
    html = site_client.get(reverse("web:booking", args=[booking.public_id])).content.decode()
    assert 'id="voucher-form"' in html and 'id="stripe-form"' in html
    return booking


def webhook(client, event: dict):
    payload = __import__("json").dumps(event)
    return client.post(
        "/api/payments/stripe/webhook/",
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, WEBHOOK_SECRET),
    )


def test_a_voucher_cancels_the_old_intent_and_the_buyer_pays_the_discounted_total(
    site_client, client, checkout, stripe_api
):
    vouchers.voucher_create(code="TENOFF", kind="percent", value=Decimal("10"))
    old = Payment.objects.get(booking=checkout)
    assert (old.amount, stripe_api.intents[old.provider_reference]["amount"]) == (
        Decimal("20.00"),
        2000,
    )
    response = site_client.post(
        reverse("web:booking-voucher", args=[checkout.public_id]), {"code": "tenoff"}
    )
    assert response.status_code == 302
    # The old amount can never be charged: Stripe cancelled its intent.
    assert stripe_api.intents[old.provider_reference]["status"] == "canceled"
    old.refresh_from_db()
    assert (old.status, old.failure_code) == ("failed", "intent_cancelled")

    html = site_client.get(response["Location"]).content.decode()
    new = Payment.objects.get(booking=checkout, status="pending")
    assert new.provider_reference != old.provider_reference
    assert new.amount == Decimal("18.00")
    assert stripe_api.intents[new.provider_reference]["amount"] == 1800
    assert f'data-client-secret="{new.client_secret}"' in html
    assert "Pay €18.00" in html and 'id="voucher-form"' not in html

    outcome = webhook(client, intent_event(new.provider_reference, amount=1800))
    assert outcome.json()["outcome"] == "confirmed"
    booking = Booking.objects.get(pk=checkout.pk)
    assert (booking.status, booking.total, booking.discount) == (
        BookingStatus.CONFIRMED,
        Decimal("18.00"),
        Decimal("2.00"),
    )
    assert reconciliation.reconcile() == []


def test_a_buyer_already_paying_keeps_the_old_total_and_gets_no_voucher(
    site_client, checkout, stripe_api
):
    vouchers.voucher_create(code="TENOFF", kind="percent", value=Decimal("10"))
    old = Payment.objects.get(booking=checkout)
    stripe_api.intents[old.provider_reference]["status"] = "processing"  # card submitted
    response = site_client.post(
        reverse("web:booking-voucher", args=[checkout.public_id]), {"code": "TENOFF"}
    )
    assert response.status_code == 409
    assert "A payment for this booking is under way" in response.content.decode()
    booking = Booking.objects.get(pk=checkout.pk)
    assert (booking.total, booking.voucher_code) == (Decimal("20.00"), "")
    assert vouchers.Voucher.objects.get().redeemed == 0
    old.refresh_from_db()
    assert old.status == "pending"


def test_a_wrong_code_leaves_the_intent_alone(site_client, checkout, stripe_api):
    response = site_client.post(
        reverse("web:booking-voucher", args=[checkout.public_id]), {"code": "NOPE"}
    )
    assert response.status_code == 400
    assert "No such voucher code." in response.content.decode()
    assert not [r for r in stripe_api.requests if r.path.endswith("/cancel")]
    assert Payment.objects.get(booking=checkout).status == "pending"


def test_a_voucher_that_runs_out_after_the_cancel_leaves_a_fresh_intent_for_the_old_total(
    site_client, customer, checkout, stripe_api, monkeypatch
):
    """The intent was cancelled but the voucher then refused (its last use taken meanwhile):
    the checkout makes a new intent for the unchanged total, not the cancelled one again."""
    from marquee.booking import errors as booking_errors
    from marquee.booking.error_codes import BookingErrorCode
    from marquee.payments import services as payment_services

    vouchers.voucher_create(code="LAST", kind="percent", value=Decimal("10"))

    def used_up(**kwargs):
        raise booking_errors.BookingError("Used up.", code=BookingErrorCode.VOUCHER_EXHAUSTED)

    monkeypatch.setattr(payment_services, "booking_voucher_apply", used_up)
    old = Payment.objects.get(booking=checkout)
    response = site_client.post(
        reverse("web:booking-voucher", args=[checkout.public_id]), {"code": "LAST"}
    )
    assert response.status_code == 409
    html = site_client.get(reverse("web:booking", args=[checkout.public_id])).content.decode()
    fresh = Payment.objects.get(booking=checkout, status="pending")
    assert fresh.provider_reference != old.provider_reference
    assert stripe_api.intents[fresh.provider_reference]["status"] == "requires_payment_method"
    assert (fresh.amount, re.search(r"Pay €20\.00", html) is not None) == (Decimal("20.00"), True)


def test_the_api_still_refuses_a_voucher_while_its_payment_is_started(customer_client, checkout):
    vouchers.voucher_create(code="TENOFF", kind="percent", value=Decimal("10"))
    response = customer_client.post(
        f"/api/bookings/{checkout.public_id}/voucher/", {"code": "TENOFF"}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (409, "payment_in_progress")
