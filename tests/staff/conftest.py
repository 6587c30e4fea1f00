"""Fixtures for the staff pages and the box office: tills, and a staff member's site client."""

import pytest
from django.test import Client

from marquee.payments.models import Till
from tests.web.conftest import chromium, demo_hall, pages  # noqa: F401  (the browser's fixtures)


@pytest.fixture
def till(showtime):
    return Till.objects.create(name="Till 1", theater=showtime.screen.theater)


@pytest.fixture
def closed_till(showtime):
    return Till.objects.create(name="Old till", theater=showtime.screen.theater, is_active=False)


@pytest.fixture
def staff_site_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client
