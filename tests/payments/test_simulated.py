from datetime import timedelta

import pytest
from django.utils import timezone

from marquee.booking.models import Booking
from marquee.booking.services import booking_cancel
from marquee.catalog.models import Showtime, ShowtimeStatus
from marquee.payments.models import Payment, Refund

pytestmark = pytest.mark.django_db


def pay(client, booking, card="4242 4242 4242 4242"):
    return client.post(
        f"/api/bookings/{booking.public_id}/pay/", {"card_number": card}, format="json"
    )


def test_paying_with_a_test_card_confirms_the_booking(customer_client, held_booking):
    response = pay(customer_client, held_booking)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["booking"]["status"] == "confirmed"
    assert {t["status"] for t in body["booking"]["tickets"]} == {"sold"}
    payment = Payment.objects.get(booking=held_booking)
    assert (payment.status, payment.amount, payment.provider) == (
        "succeeded",
        held_booking.total,
        "simulated",
    )


@pytest.mark.parametrize(
    ("card", "decline_code"),
    [
        ("4000000000000002", "generic_decline"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000069", "expired_card"),
        ("4000000000000127", "incorrect_cvc"),
    ],
)
def test_decline_cards_answer_402_and_keep_the_hold(
    customer_client, held_booking, card, decline_code
):
    response = pay(customer_client, held_booking, card)
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["details"]["decline_code"]) == ("payment_declined", decline_code)
    held_booking.refresh_from_db()
    assert held_booking.status == "pending"
    assert set(held_booking.tickets.values_list("status", flat=True)) == {"held"}
    assert Payment.objects.get(booking=held_booking).status == "failed"
    # The hold stays: a second card can still pay.
    assert pay(customer_client, held_booking).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"card_number": "1234"},
        {"card_number": "4242424242424241"},
        {"card_number": ["4242"]},
        {"card_number": "4" * 500},
    ],
)
def test_bad_card_input_is_400(customer_client, held_booking, body):
    response = customer_client.post(
        f"/api/bookings/{held_booking.public_id}/pay/", body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"invalid", "invalid_card_number"}
    assert not Payment.objects.filter(status="succeeded").exists()


def test_paying_twice_is_409_already_paid(customer_client, held_booking):
    pay(customer_client, held_booking)
    response = pay(customer_client, held_booking)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "already_paid")
    assert Payment.objects.count() == 1


def test_an_expired_hold_cannot_be_paid(customer_client, held_booking):
    Booking.objects.filter(pk=held_booking.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = pay(customer_client, held_booking)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "hold_expired")


def test_a_hold_whose_showtime_has_started_cannot_be_paid(customer_client, held_booking, showtime):
    # The hold itself is still running (it was taken minutes before the start).
    started = timezone.now() - timedelta(minutes=1)
    Showtime.objects.filter(pk=showtime.pk).update(
        starts_at=started, ends_at=started + (showtime.ends_at - showtime.starts_at)
    )
    response = pay(customer_client, held_booking)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "showtime_started")
    held_booking.refresh_from_db()
    assert held_booking.status == "pending"
    assert Payment.objects.count() == 0


def test_a_hold_on_a_cancelled_showtime_is_not_charged(customer_client, held_booking, showtime):
    # A hold that slipped in just before the cancellation committed (the showtime's bookings
    # were swept before it landed): refused before the card is charged.
    Showtime.objects.filter(pk=showtime.pk).update(status=ShowtimeStatus.CANCELLED)
    response = pay(customer_client, held_booking)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "showtime_cancelled")
    assert Payment.objects.count() == 0


def test_a_capture_the_database_refuses_is_recorded_as_a_duplicate_and_refunded(
    customer_client, held_booking, django_capture_on_commit_callbacks, caplog
):
    # A succeeded payment the booking never settled (written past the services): the next
    # capture cannot also be the booking's payment, so it is refunded at once, not kept.
    Payment.objects.create(
        booking=held_booking,
        provider="simulated",
        provider_reference="sim_written_by_hand",
        amount=held_booking.total,
        currency=held_booking.currency,
        status="succeeded",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = pay(customer_client, held_booking)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "already_paid")
    duplicate = Payment.objects.get(booking=held_booking, status="duplicate")
    assert (duplicate.refund.status, duplicate.refund.amount) == ("succeeded", held_booking.total)
    held_booking.refresh_from_db()
    assert held_booking.status == "pending"
    (logged,) = [r for r in caplog.records if r.getMessage() == "second capture refunded"]
    assert (logged.levelname, logged.booking, logged.payment) == (
        "WARNING",
        str(held_booking.public_id),
        duplicate.provider_reference,
    )


def test_a_cancelled_booking_cannot_be_paid(customer_client, customer, held_booking):
    booking_cancel(booking=held_booking, actor=customer)
    response = pay(customer_client, held_booking)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "booking_not_payable")


def test_others_and_anonymous_cannot_pay(other_client, api_client, held_booking):
    assert pay(other_client, held_booking).status_code == 404
    assert pay(api_client, held_booking).status_code == 401
    assert Payment.objects.count() == 0


def test_cancelling_a_paid_booking_refunds_it_in_full(
    customer_client, held_booking, django_capture_on_commit_callbacks
):
    pay(customer_client, held_booking)
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(f"/api/bookings/{held_booking.public_id}/cancel/")
    assert response.status_code == 200
    refund = Refund.objects.get(payment__booking=held_booking)
    assert (refund.status, refund.amount) == ("succeeded", held_booking.total)
    assert refund.provider_reference.startswith("simre_")
    held_booking.refresh_from_db()
    assert held_booking.status == "refunded"
    assert set(held_booking.tickets.values_list("status", flat=True)) == {"refunded"}
    assert list(held_booking.events.values_list("to_status", flat=True)) == [
        "pending",
        "confirmed",
        "cancelled",
        "refunded",
    ]


def test_cancelling_a_showtime_refunds_every_paid_booking(
    customer_client, held_booking, showtime, admin_user, django_capture_on_commit_callbacks
):
    from marquee.catalog.services import showtime_cancel

    pay(customer_client, held_booking)
    with django_capture_on_commit_callbacks(execute=True):
        showtime_cancel(showtime=showtime, cancelled_by=admin_user)
    held_booking.refresh_from_db()
    assert held_booking.status == "refunded"
    assert Refund.objects.get(payment__booking=held_booking).status == "succeeded"


def test_cancelling_an_unpaid_hold_refunds_nothing(customer, held_booking):
    booking_cancel(booking=held_booking, actor=customer)
    assert Refund.objects.count() == 0
