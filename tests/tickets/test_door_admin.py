"""The admin shows the door's scans (the offline conflicts first of all), read-only."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from marquee.tickets.codes import ticket_code
from marquee.tickets.models import DoorScan
from marquee.tickets.services import door_scans_upload
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site_client():
    client = Client()
    client.force_login(factories.UserFactory(role="admin", is_staff=True, is_superuser=True))
    return client


def test_conflicts_are_listed_and_cannot_be_edited(admin_site_client, staff_user, book):
    ticket = book(["A1"]).tickets.get()
    at = timezone.now() - timedelta(minutes=3)
    for device in ("Door 1", "Door 2"):
        door_scans_upload(
            staff_user=staff_user,
            device=device,
            scans=[
                {"nonce": f"{device[-1]}-scan-nonce", "code": ticket_code(ticket), "scanned_at": at}
            ],
        )
    conflict = DoorScan.objects.get(result="conflict")

    listing = admin_site_client.get("/admin/tickets/doorscan/?result__exact=conflict")
    assert listing.status_code == 200
    assert "Door 2" in listing.content.decode() and "already_checked_in" in listing.content.decode()

    detail = admin_site_client.get(f"/admin/tickets/doorscan/{conflict.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_site_client.get("/admin/tickets/doorscan/add/").status_code == 403


def test_the_reentry_policy_is_set_in_the_admin_too(admin_site_client, showtime):
    response = admin_site_client.post(
        "/admin/tickets/doorpolicy/add/", {"showtime": showtime.pk, "reentry_allowed": "on"}
    )
    assert response.status_code == 302
    assert showtime.door_policy.reentry_allowed
