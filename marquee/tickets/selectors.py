"""Reads: the tickets a caller may see, bookings rendered into emails, reminders due."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Prefetch, Q

from marquee.booking.models import Booking, BookingStatus, Ticket, TicketStatus
from marquee.catalog.models import Showtime, ShowtimeStatus, TicketType
from marquee.common.permissions import is_staff_member
from marquee.common.time import local_day_bounds, local_iso, to_local
from marquee.tickets import errors
from marquee.tickets.codes import MAX_TICKET_ID, b64url, code_digest, key_ring
from marquee.tickets.models import DoorPolicy, DoorScan, ScanDirection, ScanResult

if TYPE_CHECKING:
    from marquee.accounts.models import User


def ticket_get_for_qr(*, user: User, ticket_id: int) -> Ticket:
    """A sold ticket of the caller's own booking (staff: anyone's); others' are not found."""
    if not 1 <= ticket_id <= MAX_TICKET_ID:
        raise errors.ticket_not_found()
    queryset = Ticket.objects.filter(pk=ticket_id)
    if not is_staff_member(user):
        queryset = queryset.filter(booking__user=user)
    ticket = queryset.only("pk", "secret", "status", "showtime_id").first()
    if ticket is None:
        raise errors.ticket_not_found()
    if ticket.status != TicketStatus.SOLD:
        raise errors.ticket_not_valid(ticket.status)
    return ticket


def _with_what_a_buyer_sees():
    return Booking.objects.select_related(
        "user", "showtime__movie", "showtime__screen__theater"
    ).prefetch_related(
        Prefetch(
            "tickets",
            queryset=Ticket.objects.select_related("seat").order_by("seat__y", "seat__x"),
        )
    )


def booking_get_for_email(*, booking_id: int) -> Booking | None:
    """A booking with everything an email shows: movie, theater, screen, seats, buyer."""
    return _with_what_a_buyer_sees().filter(pk=booking_id).first()


def booking_get_for_page(*, public_id: uuid.UUID) -> Booking | None:
    """The booking a signed booking-page link names, with what the page shows (two queries)."""
    return _with_what_a_buyer_sees().filter(public_id=public_id).first()


def booking_cancellation_event(*, booking: Booking):
    """The event that cancelled the booking (it says from which status), or None."""
    return booking.events.filter(to_status=BookingStatus.CANCELLED).order_by("-pk").first()


def booking_ids_due_for_reminder(
    *, now: datetime, within: timedelta, limit: int = 1000
) -> list[int]:
    """Confirmed bookings, not yet reminded, whose scheduled show starts within `within`."""
    return list(
        Booking.objects.filter(
            status=BookingStatus.CONFIRMED,
            reminded_at__isnull=True,
            showtime__status=ShowtimeStatus.SCHEDULED,
            showtime__starts_at__gt=now,
            showtime__starts_at__lte=now + within,
        )
        .order_by("showtime__starts_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


# --- The door ------------------------------------------------------------------------------

# The tickets a door hears about: sold ones, and the ones it must refuse knowing why.
DOOR_TICKET_STATUSES = [TicketStatus.SOLD, TicketStatus.CANCELLED, TicketStatus.REFUNDED]
# A cursor older than this gets the whole list again (cheaper than a long delta to trust).
DOOR_FEED_MAX_AGE = timedelta(hours=12)
CURSOR_PREFIX = "c1-"


def door_public_keys() -> list[dict]:
    """The public keys a door device verifies ticket codes with, the signing one first."""
    keys = sorted(key_ring().public_keys.values(), key=lambda key: not key.signs)
    return [
        {"key_id": k.key_id, "algorithm": "Ed25519", "public_key": b64url(k.raw), "signs": k.signs}
        for k in keys
    ]


def door_cursor(moment: datetime) -> str:
    return f"{CURSOR_PREFIX}{int(moment.timestamp() * 1_000_000)}"


def door_cursor_parse(cursor: str) -> datetime:
    number = cursor.removeprefix(CURSOR_PREFIX)
    if not cursor.startswith(CURSOR_PREFIX) or not (number.isascii() and number.isdigit()):
        raise errors.invalid_cursor()
    if len(number) > 18:
        raise errors.invalid_cursor()
    return datetime.fromtimestamp(int(number) / 1_000_000, tz=UTC)


def door_showtimes(*, showtime_ids: Collection[int]) -> list[Showtime]:
    """The showtimes a door serves, with their theater and policy; an unknown id is not found."""
    showtimes = list(
        Showtime.objects.select_related("movie", "screen__theater", "door_policy")
        .filter(pk__in=showtime_ids)
        .order_by("starts_at", "pk")
    )
    missing = sorted(set(showtime_ids) - {showtime.pk for showtime in showtimes})
    if missing:
        raise errors.showtimes_not_found(missing)
    return showtimes


def door_showtimes_today(*, now: datetime) -> list[Showtime]:
    """Showtimes whose doors open today: from an hour ago until the end of the theater's day."""
    candidates = (
        Showtime.objects.select_related("movie", "screen__theater", "door_policy")
        .filter(
            status=ShowtimeStatus.SCHEDULED,
            ends_at__gte=now,
            starts_at__lte=now + timedelta(hours=36),
        )
        .order_by("starts_at", "pk")
    )
    today = []
    for showtime in candidates:
        tz_name = showtime.screen.theater.timezone
        _, day_end = local_day_bounds(to_local(now, tz_name).date(), tz_name)
        if showtime.starts_at < day_end + timedelta(hours=1):
            today.append(showtime)
    return today


def reentry_allowed(showtime: Showtime) -> bool:
    try:
        return showtime.door_policy.reentry_allowed
    except DoorPolicy.DoesNotExist:
        return False


def ticket_type_names(*, theater_ids: Collection[int]) -> dict[str, str]:
    """What the door calls each ticket type code of these theaters: a theater's own name of a
    type over the default one (types offered by every theater)."""
    names: dict[str, str] = {}
    rows = TicketType.objects.filter(Q(theater__isnull=True) | Q(theater_id__in=theater_ids))
    for theater_id, code, name in rows.values_list("theater_id", "code", "name"):
        if theater_id is not None or code not in names:
            names[code] = name
    return names


def ticket_type_name(ticket: Ticket) -> str | None:
    """The ticket's type (adult, child, ...) where tickets have one."""
    ticket_type = getattr(ticket, "ticket_type", None)
    return str(getattr(ticket_type, "name", ticket_type)) if ticket_type else None


def door_checkin_list(
    *, showtime_ids: Collection[int], since: datetime | None, now: datetime
) -> dict:
    """The check-in list of the door's showtimes: every sold (or cancelled) ticket with its seat
    and door state; from a cursor, only the tickets whose booking or door scans changed since.

    Every change of a ticket's status goes with its booking's `updated_at` (the booking
    services move both together), and every scan or undo sets the scan's `changed_at`."""
    showtimes = door_showtimes(showtime_ids=showtime_ids)
    full = since is None or since > now or now - since > DOOR_FEED_MAX_AGE
    tickets = Ticket.objects.filter(
        showtime_id__in=showtime_ids, status__in=DOOR_TICKET_STATUSES
    ).select_related("seat")
    if since is not None and not full:
        after = since - timedelta(seconds=settings.DOOR_FEED_OVERLAP_SECONDS)
        scanned = DoorScan.objects.filter(showtime_id__in=showtime_ids, changed_at__gt=after)
        tickets = tickets.filter(
            Q(booking__updated_at__gt=after) | Q(pk__in=scanned.values("ticket_id"))
        )
    rows = list(tickets.order_by("pk"))
    states = _door_states(rows)
    return {
        "showtimes": [door_showtime_row(showtime) for showtime in showtimes],
        "tickets": [_door_ticket(ticket, states.get(ticket.pk)) for ticket in rows],
        "full": full,
        "cursor": door_cursor(now),
    }


def _door_states(tickets: list[Ticket]) -> dict[int, DoorScan]:
    """Each ticket's latest admission or exit not undone (the scans in one query)."""
    latest: dict[int, DoorScan] = {}
    scans = DoorScan.objects.filter(
        ticket__in=[ticket.pk for ticket in tickets if ticket.checked_in_at],
        result=ScanResult.ADMITTED,
        undone_at__isnull=True,
    ).order_by("scanned_at", "pk")
    for scan in scans.only("ticket_id", "direction", "scanned_at", "device"):
        latest[scan.ticket_id] = scan
    return latest


def door_showtime_row(showtime: Showtime) -> dict:
    """A showtime as the door sees it: when, where, and whether guests may come back in."""
    tz_name = showtime.screen.theater.timezone
    return {
        "id": showtime.pk,
        "movie": showtime.movie.title,
        "theater": showtime.screen.theater.name,
        "screen": showtime.screen_id,
        "screen_name": showtime.screen.name,
        "starts_at": showtime.starts_at,
        "local_starts_at": local_iso(showtime.starts_at, tz_name),
        "ends_at": showtime.ends_at,
        "timezone": tz_name,
        "status": showtime.status,
        "reentry_allowed": reentry_allowed(showtime),
    }


def _door_ticket(ticket: Ticket, state: DoorScan | None) -> dict:
    inside = state.direction == ScanDirection.ENTRY if state else bool(ticket.checked_in_at)
    return {
        "id": ticket.pk,
        "showtime": ticket.showtime_id,
        "digest": code_digest(ticket.pk, ticket.secret),
        "seat": {
            "row": ticket.seat.row_label,
            "number": ticket.seat.number,
            "tier": ticket.seat.tier,
            "kind": ticket.seat.kind,
        },
        "ticket_type": ticket_type_name(ticket),
        "status": ticket.status,
        "checked_in_at": ticket.checked_in_at,
        "inside": inside,
        "last_scan_at": state.scanned_at if state else ticket.checked_in_at,
        "last_device": state.device if state else "",
    }
