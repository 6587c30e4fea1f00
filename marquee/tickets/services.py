"""Writes of the tickets app: scans at the door (in, out, undone, uploaded after an offline
spell), claiming a reminder.

The email outbox has its own module, marquee/tickets/outbox.py."""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from marquee.booking.models import Booking, BookingStatus, Ticket, TicketStatus
from marquee.catalog.models import Showtime, ShowtimeStatus
from marquee.common.locks import lock_rows
from marquee.common.time import iso_with_offset, to_local
from marquee.tickets import errors
from marquee.tickets.codes import parse_ticket_code
from marquee.tickets.error_codes import TicketErrorCode
from marquee.tickets.errors import TicketError
from marquee.tickets.models import DoorPolicy, DoorScan, ScanDirection, ScanResult

if TYPE_CHECKING:
    from marquee.accounts.models import User

logger = logging.getLogger("marquee.tickets")

# Around midnight "today" is ambiguous: a 23:45 show lets people in before midnight and
# latecomers after it, a 00:15 show lets them in the evening before.
DOORS_OPEN_BEFORE = timedelta(hours=1)


def _is_showtime_day(showtime: Showtime, now: datetime) -> bool:
    tz_name = showtime.screen.theater.timezone
    if to_local(now, tz_name).date() == to_local(showtime.starts_at, tz_name).date():
        return True
    return showtime.starts_at - DOORS_OPEN_BEFORE <= now <= showtime.ends_at


def _reentry_allowed(showtime: Showtime) -> bool:
    try:
        return showtime.door_policy.reentry_allowed
    except DoorPolicy.DoesNotExist:
        return False


def _showtime_summary(showtime: Showtime) -> dict:
    tz_name = showtime.screen.theater.timezone
    return {
        "showtime": showtime.pk,
        "movie": showtime.movie.title,
        "local_starts_at": iso_with_offset(to_local(showtime.starts_at, tz_name)),
        "screen": showtime.screen.name,
    }


def _latest_door_scan(ticket: Ticket) -> DoorScan | None:
    """The scan that says whether the ticket is inside: its latest admission or exit."""
    return (
        DoorScan.objects.filter(ticket=ticket, result=ScanResult.ADMITTED, undone_at__isnull=True)
        .order_by("-scanned_at", "-pk")
        .first()
    )


def _scans_shown():
    """Scans with what an answer about them shows: seat, holder, movie, theater."""
    return DoorScan.objects.select_related(
        "ticket__seat", "ticket__booking__user", "showtime__movie", "showtime__screen__theater"
    )


def _replayed(*, nonce: str, ticket_id: int, direction: str) -> DoorScan | None:
    """The scan already recorded under this nonce (a retry), or None; another scan's is refused."""
    scan = _scans_shown().filter(nonce=nonce).first()
    if scan is None:
        return None
    if scan.ticket_id != ticket_id or scan.direction != direction:
        raise errors.nonce_reused()
    scan.replayed = True
    return scan


def ticket_scan(
    *,
    code: str,
    staff_user: User,
    direction: str = ScanDirection.ENTRY,
    device: str = "",
    nonce: str | None = None,
    showtime_ids: Collection[int] = (),
    screen_ids: Collection[int] = (),
    now: datetime | None = None,
    offline: bool = False,
) -> DoorScan:
    """Let a sold ticket in once, on its showtime's day, at the door's showtimes and screens;
    out and in again only where the showtime allows re-entry. A retried nonce is answered again."""
    parsed = parse_ticket_code(code)
    now = now or timezone.now()
    nonce = nonce or uuid.uuid4().hex
    replay = _replayed(nonce=nonce, ticket_id=parsed.ticket_id, direction=direction)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            ticket = (
                lock_rows(Ticket.objects.filter(pk=parsed.ticket_id))
                .select_related(
                    "seat",
                    "showtime__movie",
                    "showtime__screen__theater",
                    "showtime__door_policy",
                    "booking__user",
                )
                .first()
            )
            if ticket is None:
                raise errors.ticket_not_found()
            if not hmac.compare_digest(ticket.secret.encode(), parsed.secret.encode()):
                raise errors.invalid_ticket_code()
            if parsed.showtime_id is not None and parsed.showtime_id != ticket.showtime_id:
                raise errors.invalid_ticket_code()
            if ticket.status != TicketStatus.SOLD:
                raise errors.ticket_not_valid(ticket.status)
            showtime = ticket.showtime
            if showtime.status == ShowtimeStatus.CANCELLED:
                raise errors.showtime_cancelled()
            if showtime_ids and showtime.pk not in showtime_ids:
                raise errors.wrong_showtime(_showtime_summary(showtime))
            if screen_ids and showtime.screen_id not in screen_ids:
                raise errors.wrong_screen(_showtime_summary(showtime))
            reentry = _reentry_allowed(showtime)
            latest = _latest_door_scan(ticket)
            inside = (
                latest.direction == ScanDirection.ENTRY if latest else bool(ticket.checked_in_at)
            )
            if direction == ScanDirection.EXIT:
                if not reentry:
                    raise errors.reentry_not_allowed()
                if not inside:
                    raise errors.not_checked_in()
            else:
                if not _is_showtime_day(showtime, now):
                    raise errors.wrong_day(
                        to_local(showtime.starts_at, showtime.screen.theater.timezone)
                    )
                if inside:
                    raise errors.already_checked_in(
                        latest.scanned_at if latest else ticket.checked_in_at,
                        latest.device if latest else "",
                    )
                if ticket.checked_in_at is not None and not reentry:
                    raise errors.already_checked_in(ticket.checked_in_at)
                if ticket.checked_in_at is None:
                    # The row lock already serializes scans; the condition keeps "once" true
                    # without it.
                    admitted = Ticket.objects.filter(
                        pk=ticket.pk, checked_in_at__isnull=True
                    ).update(checked_in_at=now, checked_in_by=staff_user)
                    if not admitted:
                        first = Ticket.objects.values_list("checked_in_at", flat=True).get(
                            pk=ticket.pk
                        )
                        raise errors.already_checked_in(first or now)  # set, or it would have run
                    ticket.checked_in_at, ticket.checked_in_by = now, staff_user
            scan = DoorScan.objects.create(
                nonce=nonce,
                ticket=ticket,
                showtime=showtime,
                direction=direction,
                result=ScanResult.ADMITTED,
                device=device,
                staff=staff_user,
                offline=offline,
                scanned_at=now,
                recorded_at=timezone.now(),
                changed_at=timezone.now(),
            )
    except IntegrityError:
        # The same nonce, recorded by a concurrent retry a moment ago.
        replay = _replayed(nonce=nonce, ticket_id=parsed.ticket_id, direction=direction)
        if replay is None:
            raise
        return replay
    scan.ticket = ticket
    scan.replayed, scan.reentry = False, reentry  # type: ignore[attr-defined]  # for the answer
    logger.info(
        "ticket scanned",
        extra={
            "ticket": ticket.pk,
            "showtime": showtime.pk,
            "staff": staff_user.pk,
            "direction": direction,
            "device": device,
            "offline": offline,
        },
    )
    return scan


def ticket_check_in(*, code: str, staff_user: User, now: datetime | None = None) -> Ticket:
    """Let a sold ticket in once, on its showtime's day; a second scan is refused."""
    return ticket_scan(code=code, staff_user=staff_user, now=now).ticket


@dataclass(frozen=True)
class UploadedScan:
    """What became of one scan a device made offline."""

    nonce: str
    result: str  # admitted, conflict, or refused (nothing recorded: the code is no ticket)
    scan: DoorScan | None = None
    code: str = ""
    details: dict = field(default_factory=dict)


# Refusals that mean the code names no ticket of ours: nothing happened at the door to keep.
_NOT_A_TICKET = {"invalid_ticket_code", "ticket_not_found", "nonce_reused"}


def door_scans_upload(
    *, staff_user, device: str, scans: list[dict], now: datetime | None = None
) -> list[UploadedScan]:
    """Record the scans a device let through offline, each once by its nonce, in the order they
    happened; one the server would refuse now (another device admitted the ticket first, it was
    cancelled meanwhile) is kept as a conflict, never merged into the ticket's state. The
    answers come in the order of `scans`."""
    now = now or timezone.now()
    outcomes: dict[int, UploadedScan] = {}
    for index, item in sorted(enumerate(scans), key=lambda pair: pair[1]["scanned_at"]):
        scanned_at = min(item["scanned_at"], now)  # a device clock ahead of ours is ours
        options = {
            "direction": item.get("direction", ScanDirection.ENTRY),
            "nonce": item["nonce"],
            "device": device,
            "showtime_ids": item.get("showtimes") or (),
            "screen_ids": item.get("screens") or (),
        }
        try:
            scan = ticket_scan(
                code=item["code"], staff_user=staff_user, now=scanned_at, offline=True, **options
            )
        except TicketError as error:
            if error.code in _NOT_A_TICKET:
                outcomes[index] = UploadedScan(
                    item["nonce"], "refused", code=error.code, details=error.details
                )
                continue
            scan = _conflict_record(
                code=item["code"],
                staff_user=staff_user,
                scanned_at=scanned_at,
                error=error,
                **options,
            )
        outcomes[index] = UploadedScan(item["nonce"], scan.result, scan, scan.reason, scan.details)
    return [outcomes[index] for index in range(len(scans))]


def _conflict_record(*, code, staff_user, scanned_at, error, **options) -> DoorScan:
    parsed = parse_ticket_code(code)
    ticket = Ticket.objects.select_related(
        "seat", "booking__user", "showtime__movie", "showtime__screen__theater"
    ).get(pk=parsed.ticket_id)
    try:
        with transaction.atomic():
            scan = DoorScan.objects.create(
                nonce=options["nonce"],
                ticket=ticket,
                showtime_id=ticket.showtime_id,
                direction=options["direction"],
                result=ScanResult.CONFLICT,
                reason=error.code,
                details=error.details,
                device=options["device"],
                staff=staff_user,
                offline=True,
                scanned_at=scanned_at,
            )
    except IntegrityError:
        replay = _replayed(
            nonce=options["nonce"], ticket_id=ticket.pk, direction=options["direction"]
        )
        if replay is None:
            raise
        return replay
    logger.warning(
        "offline scan in conflict",
        extra={"ticket": ticket.pk, "device": options["device"], "reason": error.code},
    )
    scan.ticket = ticket
    return scan


def door_scan_undo(*, nonce: str, staff_user, now: datetime | None = None) -> DoorScan:
    """Take back a mistaken admission or exit, shortly after it and only the ticket's latest one;
    undoing the ticket's only admission clears its check-in. Undoing twice is harmless."""
    now = now or timezone.now()
    ticket_id = DoorScan.objects.filter(nonce=nonce).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise errors.scan_not_found()
    with transaction.atomic():
        ticket = lock_rows(Ticket.objects.filter(pk=ticket_id)).get()
        scan = _scans_shown().get(nonce=nonce)
        if scan.undone_at is not None:
            return scan
        if scan.result != ScanResult.ADMITTED:
            raise errors.scan_not_undoable(TicketErrorCode.SCAN_NOT_UNDOABLE)
        if now - scan.recorded_at > timedelta(seconds=settings.DOOR_UNDO_SECONDS):
            raise errors.scan_not_undoable(TicketErrorCode.UNDO_WINDOW_PASSED)
        latest = _latest_door_scan(ticket)
        if latest is None or latest.pk != scan.pk:
            raise errors.scan_not_undoable(TicketErrorCode.UNDO_NOT_LATEST)
        DoorScan.objects.filter(pk=scan.pk).update(
            undone_at=now, undone_by=staff_user, changed_at=timezone.now()
        )
        others = DoorScan.objects.filter(
            ticket=ticket, result=ScanResult.ADMITTED, undone_at__isnull=True
        ).exclude(pk=scan.pk)
        if scan.direction == ScanDirection.ENTRY and not others.exists():
            Ticket.objects.filter(pk=ticket.pk, checked_in_at=ticket.checked_in_at).update(
                checked_in_at=None, checked_in_by=None
            )
            scan.ticket.checked_in_at = scan.ticket.checked_in_by = None
    scan.undone_at, scan.undone_by = now, staff_user
    logger.info("door scan undone", extra={"ticket": ticket_id, "staff": staff_user.pk})
    return scan


def door_policy_set(*, showtime_id: int, reentry_allowed: bool, staff_user) -> DoorPolicy:
    """Allow or stop leaving and coming back in for one showtime."""
    if not Showtime.objects.filter(pk=showtime_id).exists():
        raise errors.showtimes_not_found([showtime_id])
    policy, _ = DoorPolicy.objects.update_or_create(
        showtime_id=showtime_id,
        defaults={"reentry_allowed": reentry_allowed, "updated_by": staff_user},
    )
    return policy


def booking_reminder_claim(*, booking_id: int, now: datetime) -> bool:
    """Mark the reminder queued; True only for the one caller that marked it first."""
    claimed = Booking.objects.filter(
        pk=booking_id, status=BookingStatus.CONFIRMED, reminded_at__isnull=True
    ).update(reminded_at=now)
    return bool(claimed)


PRUNE_BATCH = 2000  # rows per DELETE: a long backlog never holds one huge transaction


def door_scans_prune(*, retention_days: int, now: datetime | None = None) -> int:
    """Delete the door scans of showtimes that ended more than `retention_days` ago.

    A scan decides its ticket's door state only while its show runs; afterwards it is a record
    (who let whom in, conflicts) kept for questions about the evening. The first admission
    stays on the ticket (`checked_in_at`). Safe to run twice, and beside the door."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    cutoff = (now or timezone.now()) - timedelta(days=retention_days)
    old = DoorScan.objects.filter(showtime__ends_at__lt=cutoff).order_by("pk")
    deleted = 0
    while batch := list(old.values_list("pk", flat=True)[:PRUNE_BATCH]):
        count, _ = DoorScan.objects.filter(pk__in=batch).delete()
        deleted += count
    if deleted:
        logger.info("door scans pruned", extra={"count": deleted, "before": cutoff.isoformat()})
    return deleted
