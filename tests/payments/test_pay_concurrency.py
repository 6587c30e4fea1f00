"""One charge per booking under real concurrency: payers racing on one held booking, through the
API, through two gunicorn servers, and Stripe captures racing through the webhook.

After each test the reconciliation checks run on the test database (`concurrency` marker)."""

from __future__ import annotations

import threading
from collections import Counter
from functools import partial

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from marquee.booking.models import Booking, BookingStatus, TicketStatus
from marquee.payments import services
from marquee.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from marquee.payments.providers import SimulatedProvider
from tests.concurrency import WORKER_TIMEOUT_SECONDS, run_together
from tests.ops.test_scale_out import post, start_server, wait_ready
from tests.payments.stripe_fake import intent_event
from tests.servers import free_port

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

PAYERS = 10
TEST_CARD = "4242 4242 4242 4242"


def pay_as(user, booking) -> tuple[int, dict]:
    client = APIClient()
    client.force_authenticate(user=user)
    response = client.post(
        f"/api/bookings/{booking.public_id}/pay/", {"card_number": TEST_CARD}, format="json"
    )
    return response.status_code, response.json()


@pytest.fixture
def charges(monkeypatch) -> list:
    """Every charge the simulated provider makes, in order."""
    made: list = []
    charge = SimulatedProvider.charge

    def recording(self, **kwargs):
        result = charge(self, **kwargs)
        made.append(result)
        return result

    monkeypatch.setattr(SimulatedProvider, "charge", recording)
    return made


def assert_paid_once(booking: Booking) -> None:
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert set(booking.tickets.values_list("status", flat=True)) == {TicketStatus.SOLD}
    assert Payment.objects.filter(booking=booking, status=PaymentStatus.SUCCEEDED).count() == 1


def test_ten_simultaneous_pays_charge_the_booking_once(customer, held_booking, charges):
    outcomes = run_together([partial(pay_as, customer, held_booking) for _ in range(PAYERS)])

    assert [o.error for o in outcomes if o.error] == []
    answers = [o.value for o in outcomes]
    assert sorted(status for status, _ in answers) == [200] + [409] * (PAYERS - 1), answers
    assert {body["error"]["code"] for status, body in answers if status == 409} == {"already_paid"}
    # The booking is locked while it is paid: the losers never reached the provider.
    assert len(charges) == 1
    assert Payment.objects.count() == 1
    assert_paid_once(held_booking)


@pytest.mark.server_db
def test_without_the_lock_the_database_still_keeps_one_payment_and_refunds_the_rest(
    customer, held_booking, charges, monkeypatch, django_capture_on_commit_callbacks
):
    # Proof that the constraint bites on its own: the booking is read without a lock and every
    # payer charges the card before anyone records the payment.
    monkeypatch.setattr(
        services, "_booking_locked", lambda booking_id: Booking.objects.get(pk=booking_id)
    )
    all_charged = threading.Barrier(PAYERS)
    charge = SimulatedProvider.charge

    def charge_together(self, **kwargs):
        result = charge(self, **kwargs)
        all_charged.wait(timeout=WORKER_TIMEOUT_SECONDS)
        return result

    monkeypatch.setattr(SimulatedProvider, "charge", charge_together)

    outcomes = run_together([partial(pay_as, customer, held_booking) for _ in range(PAYERS)])

    assert [o.error for o in outcomes if o.error] == []
    answers = [o.value for o in outcomes]
    assert sorted(status for status, _ in answers) == [200] + [409] * (PAYERS - 1), answers
    assert {body["error"]["code"] for status, body in answers if status == 409} == {"already_paid"}
    assert len(charges) == PAYERS  # the race happened: ten captures at the provider
    assert_paid_once(held_booking)
    duplicates = Payment.objects.filter(booking=held_booking, status=PaymentStatus.DUPLICATE)
    assert duplicates.count() == PAYERS - 1
    refunds = Refund.objects.filter(payment__in=duplicates)
    assert refunds.count() == PAYERS - 1
    assert set(refunds.values_list("status", flat=True)) == {RefundStatus.SUCCEEDED}
    assert {r.amount for r in refunds} == {held_booking.total}


@pytest.mark.server_db
def test_two_app_servers_paying_one_booking_at_once_charge_it_once(customer, held_booking):
    token = str(AccessToken.for_user(customer))
    ports = [free_port(), free_port()]
    servers = [start_server(port) for port in ports]
    payers = 20
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_ready(port, server)
        path = f"/api/bookings/{held_booking.public_id}/pay/"
        outcomes = run_together(
            [
                partial(post, ports[index % 2], token, {"card_number": TEST_CARD}, path)
                for index in range(payers)
            ]
        )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)

    assert [o.error for o in outcomes if o.error] == []
    statuses = Counter(o.value[0] for o in outcomes)
    assert statuses == {200: 1, 409: payers - 1}, [o.value for o in outcomes]
    assert {o.value[1]["error"]["code"] for o in outcomes if o.value[0] == 409} == {"already_paid"}
    assert Payment.objects.count() == 1
    assert_paid_once(held_booking)


@pytest.mark.server_db
def test_two_stripe_captures_delivered_at_once_keep_one_and_refund_the_other(
    customer_client, held_booking, fake_stripe, deliver, second_intent
):
    first, second = second_intent()

    outcomes = run_together(
        [
            partial(deliver, intent_event(first, amount=2000)),
            partial(deliver, intent_event(second, amount=2000)),
        ]
    )

    assert [o.error for o in outcomes if o.error] == []
    assert [o.value.status_code for o in outcomes] == [200, 200]
    assert sorted(o.value.json()["outcome"] for o in outcomes) == [
        "confirmed",
        "duplicate_capture_refunded",
    ]
    assert_paid_once(held_booking)
    (duplicate,) = Payment.objects.filter(booking=held_booking, status=PaymentStatus.DUPLICATE)
    assert duplicate.refund.status == RefundStatus.SUCCEEDED
    (refund_call,) = fake_stripe.calls("/v1/refunds")
    assert refund_call.params == {
        "payment_intent": duplicate.provider_reference,
        "amount": "2000",
    }
