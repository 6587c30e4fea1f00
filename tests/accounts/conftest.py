"""Fixtures for the auth tests."""

import pytest
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import UserFactory

# 15 s into an hour (so into a minute too): a test's requests all fall in one throttle window.
THROTTLE_NOW = 1_800_000_000 // 3600 * 3600 + 15


@pytest.fixture
def throttle_now(monkeypatch) -> float:
    """Stop the throttles' clock: fixed windows must not roll over in the middle of a test."""
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(lambda: THROTTLE_NOW))
    return THROTTLE_NOW


@pytest.fixture
def throttle_rates(monkeypatch, throttle_now):
    """Override some throttle rates (DRF reads them once into a class attribute), with the
    throttle clock stopped."""

    def set_rates(**rates: str) -> None:
        merged = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", merged)

    return set_rates


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The production hasher is slow on purpose; these tests log in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
