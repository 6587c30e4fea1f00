"""The Stripe checkout: the booking page mounts Stripe.js's Payment Element on the Payment
Intent Marquee creates, and the webhook confirms the booking. In the browser, a fake Stripe.js
(STRIPE_JS_URL is a setting) plays Stripe's part: tests/web/fake_stripe_js.py."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from marquee.booking.models import Booking, BookingStatus
from marquee.booking.services import booking_hold
from marquee.catalog.models import Seat
from marquee.payments.models import Payment
from marquee.payments.providers import set_stripe_http_client
from tests import factories
from tests.payments.conftest import WEBHOOK_SECRET, WEBHOOK_URL
from tests.payments.stripe_fake import FakeStripe
from tests.web.conftest import assert_accessible
from tests.web.fake_stripe_js import FakeStripeJs


@pytest.fixture
def stripe_settings(settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_marquee"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_marquee"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    api = FakeStripe()
    set_stripe_http_client(api)
    yield api
    set_stripe_http_client(None)


def _hold(user, showtime, labels):
    ids = {f"{s.row_label}{s.number}": s.id for s in Seat.objects.filter(screen=showtime.screen_id)}
    return booking_hold(user=user, showtime_id=showtime.pk, seat_ids=[ids[x] for x in labels])


@pytest.mark.django_db
def test_the_checkout_page_mounts_the_payment_element_on_marquees_intent(
    stripe_settings, customer, showtime, settings
):
    from django.test import Client

    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    settings.STRIPE_ORIGINS = {
        "script-src": ["https://js.stripe.com"],
        "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
        "connect-src": ["https://js.stripe.com", "https://api.stripe.com"],
    }
    booking = _hold(customer, showtime, ["A1", "A2"])
    client = Client()
    client.force_login(customer)
    response = client.get(reverse("web:booking", args=[booking.public_id]))
    html = response.content.decode()
    payment = Payment.objects.get(booking=booking)
    assert f'data-client-secret="{payment.client_secret}"' in html
    assert 'data-publishable-key="pk_test_marquee"' in html
    assert '<script src="https://js.stripe.com/v3/"></script>' in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in policy
    assert "frame-src https://js.stripe.com https://hooks.stripe.com" in policy
    # One intent however often the page is opened.
    client.get(reverse("web:booking", args=[booking.public_id]))
    assert len(stripe_settings.calls("/v1/payment_intents")) == 1
    # Stripe's origins are allowed on the checkout page only.
    assert "js.stripe.com" not in client.get("/")["Content-Security-Policy"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_paying_through_the_payment_element_confirms_by_webhook(
    pages, stripe_settings, demo_hall, live_server, settings
):
    fake = FakeStripeJs(
        api=stripe_settings,
        webhook_url=live_server.url + WEBHOOK_URL,
        webhook_secret=WEBHOOK_SECRET,
    ).start()
    settings.STRIPE_JS_URL = fake.js_url
    settings.STRIPE_ORIGINS = {
        "script-src": [fake.origin],
        "frame-src": [fake.origin],
        "connect-src": [fake.origin],
    }
    try:
        buyer = factories.UserFactory(username="stripey")
        booking = _hold(buyer, demo_hall, ["F7", "F8"])
        page = pages.new()
        pages.login(page, buyer.username)
        page.goto(reverse("web:booking", args=[booking.public_id]))
        card = page.get_by_label("Card number")
        assert_accessible(page)
        card.fill("4000 0000 0000 0002")
        page.get_by_role("button", name="Pay €25.00").click()
        expect(page.locator("#stripe-error")).to_have_text("Your card was declined.")
        card.fill("4242 4242 4242 4242")
        page.get_by_role("button", name="Pay €25.00").click()
        page.wait_for_url(re.compile(r"\?payment=processing$"))
        expect(page.get_by_role("heading", name="Your 2 tickets")).to_be_visible()
        assert fake.webhooks == [200]
        assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
    finally:
        fake.stop()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_voucher_on_the_stripe_checkout_makes_the_buyer_pay_the_discounted_total(
    pages, stripe_settings, demo_hall, live_server, settings
):
    from decimal import Decimal

    from marquee.booking import vouchers

    fake = FakeStripeJs(
        api=stripe_settings,
        webhook_url=live_server.url + WEBHOOK_URL,
        webhook_secret=WEBHOOK_SECRET,
    ).start()
    settings.STRIPE_JS_URL = fake.js_url
    settings.STRIPE_ORIGINS = {
        "script-src": [fake.origin],
        "frame-src": [fake.origin],
        "connect-src": [fake.origin],
    }
    try:
        vouchers.voucher_create(code="FIVE", kind="amount", value=Decimal("5.00"), currency="EUR")
        buyer = factories.UserFactory(username="vouchery")
        booking = _hold(buyer, demo_hall, ["F7", "F8"])
        page = pages.new()
        pages.login(page, buyer.username)
        page.goto(reverse("web:booking", args=[booking.public_id]))
        expect(page.get_by_role("button", name="Pay €25.00")).to_be_visible()
        page.get_by_label("Voucher code").fill("five")
        page.get_by_role("button", name="Apply").click()
        expect(page.get_by_role("button", name="Pay €20.00")).to_be_visible()
        assert_accessible(page)
        page.get_by_label("Card number").fill("4242 4242 4242 4242")
        page.get_by_role("button", name="Pay €20.00").click()
        page.wait_for_url(re.compile(r"\?payment=processing$"))
        expect(page.get_by_role("heading", name="Your 2 tickets")).to_be_visible()
        assert fake.webhooks == [200]
        paid = Payment.objects.get(booking=booking, status="succeeded")
        assert paid.amount == Decimal("20.00")
        assert stripe_settings.intents[paid.provider_reference]["amount"] == 2000
        assert Booking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
    finally:
        fake.stop()
