"""Offline uploads at once, for real: two devices that admitted one ticket are one admission
and one conflict, and a scan uploaded twice at the same moment is recorded once."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from marquee.tickets.codes import ticket_code
from marquee.tickets.models import DoorScan
from marquee.tickets.services import door_scans_upload
from tests import factories

pytestmark = [
    pytest.mark.server_db,
    pytest.mark.concurrency(without=["confirmed_bookings_without_one_payment"]),
    pytest.mark.django_db(transaction=True),
]

DEVICES = 6
TIMEOUT_SECONDS = 30


def upload_at_once(uploads: list[tuple]) -> list:
    barrier = threading.Barrier(len(uploads))
    outcomes, failures = [], []

    def run(user, device, scans) -> None:
        try:
            barrier.wait(timeout=TIMEOUT_SECONDS)
            outcomes.extend(door_scans_upload(staff_user=user, device=device, scans=scans))
        except Exception as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=upload, daemon=True) for upload in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "an upload hung"
    assert not failures, [repr(error) for error in failures]
    return outcomes


def test_devices_that_admitted_one_ticket_offline_make_one_admission_and_conflicts(book):
    ticket = book(["C3"]).tickets.get()
    at = timezone.now() - timedelta(minutes=5)
    staff = factories.UserFactory.create_batch(DEVICES, role="staff")
    uploads = [
        (
            user,
            f"Door {n}",
            [
                {
                    "nonce": f"device-{n}-scan",
                    "code": ticket_code(ticket),
                    "scanned_at": at + timedelta(seconds=n),
                }
            ],
        )
        for n, user in enumerate(staff)
    ]

    outcomes = upload_at_once(uploads)

    assert sorted(outcome.result for outcome in outcomes) == ["admitted"] + ["conflict"] * (
        DEVICES - 1
    )
    assert {o.code for o in outcomes if o.result == "conflict"} == {"already_checked_in"}
    assert DoorScan.objects.filter(result="admitted").count() == 1
    assert DoorScan.objects.filter(result="conflict").count() == DEVICES - 1


def test_one_scan_uploaded_twice_at_once_is_recorded_once(book):
    ticket = book(["C4"]).tickets.get()
    scan = {"nonce": "the-same-scan", "code": ticket_code(ticket), "scanned_at": timezone.now()}
    user = factories.UserFactory(role="staff")

    outcomes = upload_at_once([(user, "Door 1", [scan])] * 4)

    assert [outcome.result for outcome in outcomes] == ["admitted"] * 4
    assert DoorScan.objects.count() == 1
