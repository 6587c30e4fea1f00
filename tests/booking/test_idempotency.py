from datetime import timedelta

import pytest
from django.utils import timezone

from marquee.booking.idempotency import idempotency_keys_purge
from marquee.booking.models import Booking, IdempotencyKey

pytestmark = pytest.mark.django_db
URL = "/api/bookings/"


def post(client, payload, key):
    return client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_returns_the_first_booking(customer_client, showtime, seats):
    payload = {"showtime": showtime.pk, "seats": [seats["A1"].id]}
    first = post(customer_client, payload, "key-1")
    again = post(customer_client, payload, "key-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Booking.objects.count() == 1


def test_same_key_with_another_body_is_422(customer_client, showtime, seats):
    post(customer_client, {"showtime": showtime.pk, "seats": [seats["A1"].id]}, "key-2")
    response = post(customer_client, {"showtime": showtime.pk, "seats": [seats["A2"].id]}, "key-2")
    assert (response.status_code, response.json()["error"]["code"]) == (
        422,
        "idempotency_key_reused",
    )
    assert Booking.objects.count() == 1


def test_keys_are_per_user(customer_client, other_client, showtime, seats):
    post(customer_client, {"showtime": showtime.pk, "seats": [seats["A1"].id]}, "shared")
    response = post(other_client, {"showtime": showtime.pk, "seats": [seats["A2"].id]}, "shared")
    assert response.status_code == 201
    assert Booking.objects.count() == 2


def test_a_failed_attempt_does_not_burn_the_key(
    customer_client, hold, showtime, seats, other_customer
):
    taken = hold(["A1"], user=other_customer)
    payload = {"showtime": showtime.pk, "seats": [seats["A1"].id]}
    assert post(customer_client, payload, "retry-me").status_code == 409
    from marquee.booking.services import booking_cancel

    booking_cancel(booking=taken, actor=other_customer)
    assert post(customer_client, payload, "retry-me").status_code == 201


def test_keys_expire_after_a_day(customer_client, showtime, seats):
    payload = {"showtime": showtime.pk, "seats": [seats["A1"].id]}
    post(customer_client, payload, "old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    # The old answer is forgotten: the retry runs again (and finds its own seat taken).
    response = post(customer_client, payload, "old")
    assert response.status_code == 409
    assert idempotency_keys_purge() == 0  # the failed retry released its fresh claim
    post(customer_client, {"showtime": showtime.pk, "seats": [seats["A2"].id]}, "old2")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_purge() == 1


def test_a_claim_still_running_answers_409(customer_client, customer, showtime, seats):
    from marquee.booking.idempotency import request_fingerprint

    payload = {"showtime": showtime.pk, "seats": [seats["A1"].id]}
    IdempotencyKey.objects.create(
        user=customer, key="busy", request_fingerprint=request_fingerprint(payload)
    )
    response = post(customer_client, payload, "busy")
    assert (response.status_code, response.json()["error"]["code"]) == (
        409,
        "idempotency_in_progress",
    )


def test_an_oversized_key_is_400(customer_client, showtime, seats):
    response = post(
        customer_client, {"showtime": showtime.pk, "seats": [seats["A1"].id]}, "k" * 300
    )
    assert (response.status_code, response.json()["error"]["code"]) == (
        400,
        "invalid_idempotency_key",
    )


@pytest.mark.parametrize("key", ["a\x00b", "tab\there", "\x7f", "bell\x07", "\x85next-line"])
def test_a_key_with_control_characters_is_400(customer_client, showtime, seats, key):
    # A NUL reached PostgreSQL (a 500); no client sends control characters in a key.
    response = post(customer_client, {"showtime": showtime.pk, "seats": [seats["A1"].id]}, key)
    assert (response.status_code, response.json()["error"]["code"]) == (
        400,
        "invalid_idempotency_key",
    )
    assert Booking.objects.count() == 0
