"""Fixtures for the auth tests."""

import pytest
from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import UserFactory


@pytest.fixture
def throttle_rates(monkeypatch):
    """Override some throttle rates; DRF reads them once into a class attribute."""

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
