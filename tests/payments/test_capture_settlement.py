"""Money taken is on record before anything else can fail: a synchronous capture is committed
first and settled (kept or refunded) after, so a failure while settling loses no payment."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from rest_framework.test import APIClient

from marquee.booking.models import Booking, BookingStatus
from marquee.payments import services
from marquee.payments.models import Payment, PaymentStatus
from marquee.payments.reconciliation import reconcile
from marquee.payments.tasks import retry_failed_refunds

pytestmark = pytest.mark.django_db

CARD = "4242 4242 4242 4242"


class DeadlockCause(Exception):
    sqlstate = "40P01"


def deadlock() -> OperationalError:
    error = OperationalError("deadlock detected")
    error.__cause__ = DeadlockCause("deadlock detected")
    return error


def pay(user, booking):
    client = APIClient()
    client.force_authenticate(user=user)
    return client.post(f"/api/bookings/{booking.public_id}/pay/", {"card_number": CARD})


@pytest.fixture
def settling_meets_locks(monkeypatch):
    """Every attempt to settle meets a deadlock until `.clear()`."""
    keep_or_refund = services._keep_or_refund
    state = {"on": True, "attempts": 0}

    def locked(payment, **kwargs):
        if state["on"]:
            state["attempts"] += 1
            raise deadlock()
        return keep_or_refund(payment, **kwargs)

    monkeypatch.setattr(services, "_keep_or_refund", locked)
    state["clear"] = lambda: state.update(on=False)
    return state


def test_a_capture_that_cannot_be_settled_stays_on_record_and_is_settled_later(
    customer, held_booking, settling_meets_locks
):
    response = pay(customer, held_booking)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "payment_processing"
    assert response["Retry-After"] == "5"
    assert settling_meets_locks["attempts"] == services.SETTLE_ATTEMPTS
    (payment,) = Payment.objects.filter(booking=held_booking)
    assert payment.status == PaymentStatus.CAPTURED  # the money taken is not forgotten

    settling_meets_locks["clear"]()
    Payment.objects.filter(pk=payment.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    retry_failed_refunds()  # beat's periodic task settles what a request could not

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Booking.objects.get(pk=held_booking.pk).status == BookingStatus.CONFIRMED
    assert reconcile() == []


def test_a_lock_met_once_while_settling_is_retried_within_the_request(
    customer, held_booking, monkeypatch
):
    keep_or_refund = services._keep_or_refund
    calls = []

    def once_locked(payment, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise deadlock()
        return keep_or_refund(payment, **kwargs)

    monkeypatch.setattr(services, "_keep_or_refund", once_locked)

    response = pay(customer, held_booking)

    assert response.status_code == 200, response.json()
    assert len(calls) == 2
    assert Payment.objects.get(booking=held_booking).status == PaymentStatus.SUCCEEDED


def test_a_second_payer_while_a_capture_is_unsettled_is_not_charged(
    customer, held_booking, settling_meets_locks, monkeypatch
):
    pay(customer, held_booking)  # captured, unsettled
    charges = []
    monkeypatch.setattr(
        services.get_provider().__class__,
        "charge",
        lambda self, **kwargs: charges.append(kwargs),
    )

    response = pay(customer, held_booking)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_paid"
    assert charges == []
    assert Payment.objects.filter(booking=held_booking).count() == 1


def test_the_reconciliation_reports_a_capture_left_unsettled(
    customer, held_booking, settling_meets_locks
):
    pay(customer, held_booking)
    assert reconcile() == []  # being settled: a moment, not a breach

    Payment.objects.update(created_at=timezone.now() - timedelta(minutes=16))

    (breach,) = reconcile()
    assert breach.check.name == "captured_payments_neither_kept_nor_refunded"
    assert breach.ids == [Payment.objects.get().pk]
