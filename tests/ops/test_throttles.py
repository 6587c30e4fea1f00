import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    def _set(**scopes):
        monkeypatch.setattr(
            SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **scopes}
        )

    return _set


def test_anonymous_callers_are_throttled_with_retry_after(rates):
    rates(anon="3/min")
    client = APIClient()
    codes = [client.get("/api/movies/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/movies/")
    assert response.json()["error"]["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


def test_booking_creation_has_its_own_burst_rate(rates, customer_client, showtime, seats):
    rates(booking_burst="2/min")
    statuses = [
        customer_client.post(
            "/api/bookings/", {"showtime": showtime.pk, "seats": [seats[label].id]}, format="json"
        ).status_code
        for label in ("A1", "A2", "A3")
    ]
    assert statuses == [201, 201, 429]
    # Reading one's bookings is not held back by the burst limit.
    assert customer_client.get("/api/bookings/").status_code == 200


def test_throttles_are_per_user_not_shared(rates, customer_client, other_client, showtime, seats):
    rates(booking_burst="1/min")
    payload = {"showtime": showtime.pk, "seats": [seats["B1"].id]}
    assert customer_client.post("/api/bookings/", payload, format="json").status_code == 201
    payload = {"showtime": showtime.pk, "seats": [seats["B2"].id]}
    assert other_client.post("/api/bookings/", payload, format="json").status_code == 201
