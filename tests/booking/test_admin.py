from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def lapsed_and_live(hold):
    """A hold whose time ran out a minute ago (no sweeper has run) and one still running."""
    lapsed = hold(["A1", "A2"], now=timezone.now() - timedelta(minutes=11))
    live = hold(["B1"])
    return lapsed, live


def listed(client, model: str, query: dict) -> list:
    response = client.get(reverse(f"admin:booking_{model}_changelist"), query)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_the_admin_status_filter_finds_a_lapsed_hold_as_expired(admin_site, lapsed_and_live):
    lapsed, live = lapsed_and_live

    assert listed(admin_site, "booking", {"status": "expired"}) == [lapsed]
    assert listed(admin_site, "booking", {"status": "pending"}) == [live]
    assert len(listed(admin_site, "ticket", {"status": "expired"})) == 2
    assert len(listed(admin_site, "ticket", {"status": "held"})) == 1


def test_the_admin_shows_and_counts_a_lapsed_hold_as_expired(admin_site, lapsed_and_live):
    lapsed, _ = lapsed_and_live

    page = admin_site.get(reverse("admin:booking_booking_changelist"), {"_facets": "1"})
    detail = admin_site.get(reverse("admin:booking_booking_change", args=[lapsed.pk]))

    html = page.content.decode()
    assert "Expired (1)" in html
    assert "Pending (seats held) (1)" in html
    assert detail.status_code == 200
    assert "Expired" in detail.content.decode()
