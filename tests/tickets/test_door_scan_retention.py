"""Door scans are kept DOOR_SCAN_RETENTION_DAYS after their show ended, then deleted by a daily
beat task (or `manage.py prune_door_scans`); the tickets keep their first admission."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from celery.schedules import crontab
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from marquee.booking.models import Ticket
from marquee.catalog.models import Showtime
from marquee.tickets import services, tasks
from marquee.tickets.codes import ticket_code
from marquee.tickets.models import DoorScan
from tests import factories
from tests.staff import door_fixtures

door_showtime, door_book = door_fixtures.door_showtime, door_fixtures.door_book


@pytest.fixture
def usher(db):
    return factories.UserFactory(role="staff")


def admit(ticket, usher) -> DoorScan:
    return services.ticket_scan(code=ticket_code(ticket), staff_user=usher)


def ended_days_ago(showtime, days: float) -> None:
    """Move the show back in time so that it ended `days` days ago."""
    shift = timezone.now() - timedelta(days=days) - showtime.ends_at
    Showtime.objects.filter(pk=showtime.pk).update(
        starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift
    )


@pytest.fixture
def old_and_recent_scans(door_showtime, door_book, usher):
    """Three admitted tickets of a show that ended 31 days ago (two bookings), one of a show
    that ended 29 days ago and one of a show starting within the hour."""
    old_tickets = [*door_book(["A1", "A2"]).tickets.all(), door_book(["B1"]).tickets.get()]
    for ticket in old_tickets:
        admit(ticket, usher)
    ended_days_ago(door_showtime, 31)

    recent_show = factories.ShowtimeFactory(
        screen=door_showtime.screen, starts_at=timezone.now() + timedelta(hours=5)
    )
    recent = door_book(["C1"], showtime=recent_show).tickets.get()
    admit(recent, usher)
    ended_days_ago(recent_show, 29)

    tonight_show = factories.ShowtimeFactory(
        screen=door_showtime.screen, starts_at=timezone.now() + timedelta(hours=1)
    )
    current = door_book(["D1"], showtime=tonight_show).tickets.get()
    admit(current, usher)
    return {"old": old_tickets, "recent": recent, "current": current}


def test_scans_of_shows_over_longer_than_the_retention_are_deleted(old_and_recent_scans):
    assert DoorScan.objects.count() == 5

    assert services.door_scans_prune(retention_days=30) == 3

    kept = set(DoorScan.objects.values_list("ticket_id", flat=True))
    assert kept == {old_and_recent_scans["recent"].pk, old_and_recent_scans["current"].pk}
    # The tickets keep their first admission.
    old_ids = [ticket.pk for ticket in old_and_recent_scans["old"]]
    assert not Ticket.objects.filter(pk__in=old_ids, checked_in_at__isnull=True).exists()
    assert services.door_scans_prune(retention_days=30) == 0  # safe to run twice


def test_pruning_deletes_in_batches(old_and_recent_scans, monkeypatch):
    monkeypatch.setattr(services, "PRUNE_BATCH", 1)
    assert services.door_scans_prune(retention_days=1) == 4
    assert list(DoorScan.objects.values_list("ticket_id", flat=True)) == [
        old_and_recent_scans["current"].pk
    ]


def test_the_task_reads_the_retention_setting(old_and_recent_scans, settings):
    settings.DOOR_SCAN_RETENTION_DAYS = 28
    assert tasks.prune_door_scans.delay().get() == 4
    assert DoorScan.objects.count() == 1


def test_beat_prunes_the_door_scans_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prune-door-scans"]
    assert entry["task"] == tasks.prune_door_scans.name == "marquee.tickets.tasks.prune_door_scans"
    assert entry["schedule"] == crontab(hour=3, minute=45)


def test_the_command_prunes_with_the_setting_or_its_days(old_and_recent_scans, settings):
    settings.DOOR_SCAN_RETENTION_DAYS = 30
    out = StringIO()
    call_command("prune_door_scans", stdout=out)
    assert "deleted 3 door scans" in out.getvalue()
    call_command("prune_door_scans", "--days", "1", stdout=out)
    assert "deleted 1 door scans of shows over for 1+ days" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("prune_door_scans", "--days", "0")


def test_a_retention_under_a_day_is_refused(db):
    with pytest.raises(ValueError):
        services.door_scans_prune(retention_days=0)
