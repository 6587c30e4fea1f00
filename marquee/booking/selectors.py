"""Reads: the seat map of a showtime, the bookings a caller may see, and vouchers (staff)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connections, router
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Min, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from marquee.booking import accessibility, errors
from marquee.booking.context import AVAILABLE, HELD, SOLD, ShowtimeContext, showtime_context
from marquee.booking.error_codes import BookingErrorCode
from marquee.booking.models import (
    Booking,
    BookingStatus,
    SalesChannel,
    Ticket,
    TicketStatus,
    Voucher,
)
from marquee.common.permissions import is_staff_member
from marquee.common.time import api_datetime

if TYPE_CHECKING:
    from marquee.accounts.models import User

STALE = "stale"  # a `held` ticket whose hold has lapsed: free for the next buyer

_ACTIVE_SQL = (
    "SELECT seat_id, status, held_until FROM {table} WHERE showtime_id = %s"
    " AND status IN (%s, %s) AND (status = %s OR held_until > %s)"
)
_CURRENT_SQL = (
    "SELECT seat_id, CASE WHEN status = %s AND held_until <= %s THEN %s ELSE status END"
    " FROM {table} WHERE showtime_id = %s AND status IN (%s, %s)"
)


def hold_next_lapse(*, showtime_id: int) -> datetime | None:
    """When the showtime's next unpaid hold lapses (None: it has none); the live processes sweep
    it then (marquee/live/lapses.py). One query, on the (showtime, status) index."""
    return Booking.objects.filter(showtime_id=showtime_id, status=BookingStatus.PENDING).aggregate(
        first=Min("expires_at")
    )["first"]


def held_seat_counts(*, user_id: int, showtime_id: int, now: datetime) -> tuple[int, int]:
    """Seats one customer holds right now (unexpired holds of pending bookings; paid seats are
    not holds): (at this showtime, over all showtimes). One query."""
    counts = Ticket.objects.filter(
        booking__user_id=user_id,
        booking__status=BookingStatus.PENDING,
        status=TicketStatus.HELD,
        held_until__gt=now,
    ).aggregate(here=Count("pk", filter=Q(showtime_id=showtime_id)), total=Count("pk"))
    return counts["here"], counts["total"]


def seat_statuses(
    *, showtime_id: int, now: datetime, among: Sequence[int] | None = None, stale: bool = False
) -> dict[int, str]:
    """Seat id -> `sold` or `held` for every seat nobody else may take (optionally only `among`);
    with `stale=True` also the lapsed holds, as `stale`.

    Hand-written SQL because the seat map and every hold run it and compiling the ORM filter
    cost more than answering it (docs/benchmarks.md, "Seat statuses in plain SQL"). Plain
    SQL, the same on SQLite and PostgreSQL, on the partial index of active tickets.
    """
    rows = _ticket_rows(showtime_id=showtime_id, now=now, among=among, stale=stale)
    return {row[0]: row[1] for row in rows}


def _ticket_rows(
    *, showtime_id: int, now: datetime, among: Sequence[int] | None, stale: bool
) -> list[tuple]:
    """(seat id, status, held until) of the active tickets; with `stale`, (seat id, status or
    `stale`) of the active and lapsed ones."""
    database = connections[router.db_for_read(Ticket)]
    table = database.ops.quote_name(Ticket._meta.db_table)
    when = database.ops.adapt_datetimefield_value(now)
    held, sold = TicketStatus.HELD.value, TicketStatus.SOLD.value
    if stale:
        sql = _CURRENT_SQL.format(table=table)
        params = [held, when, STALE, showtime_id, held, sold]
    else:
        sql = _ACTIVE_SQL.format(table=table)
        params = [showtime_id, held, sold, sold, when]
    if among is not None:
        ids = [int(seat_id) for seat_id in among]
        if not ids:
            return []
        sql += f" AND seat_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    with database.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _seat_map(context: ShowtimeContext, now: datetime) -> tuple[dict, datetime | None]:
    """The seat map, and until when it stays true if no booking write happens: the first
    lapse of a hold shown on it, or the start of the show (when it goes off sale)."""
    taken = _ticket_rows(showtime_id=context.showtime.pk, now=now, among=None, stale=False)
    # Start from "all available" and change only the taken seats: O(taken), not O(seats).
    seats = list(context.all_available)
    counts = {AVAILABLE: len(seats), HELD: 0, SOLD: 0}
    valid_until = context.showtime.starts_at if context.on_sale(now) else None
    for seat_id, status, held_until in taken:
        index = context.index_by_id.get(seat_id)
        if index is not None:
            seats[index] = context.seat_entries[index][status]
            counts[status] += 1
            counts[AVAILABLE] -= 1
        if status == HELD:
            lapses = _as_datetime(held_until)
            valid_until = lapses if valid_until is None else min(valid_until, lapses)
    release = accessibility.showtime_release_at(context.showtime)
    held_back = now < release
    if held_back and valid_until is not None:
        valid_until = min(valid_until, release)  # the map changes when they are released
    body = {
        "showtime": {**context.summary, "on_sale": context.on_sale(now)},
        "accessible_seats": {
            "held_back": held_back,
            "held_back_until": api_datetime(release),
        },
        "currency": context.showtime.currency,
        "prices": context.price_text,
        "ticket_types": context.ticket_types,
        "counts": {**counts, "total": len(context.layout)},
        "seats": seats,
    }
    return body, valid_until


def showtime_seat_statuses(
    *, showtime_id: int, now: datetime
) -> tuple[dict[int, str], datetime | None]:
    """Seat id -> `held` or `sold` for every seat nobody else may take, and until when that
    stays true if no booking write happens (the first lapse of a hold on it; None: no hold)."""
    taken = _ticket_rows(showtime_id=showtime_id, now=now, among=None, stale=False)
    lapses = [_as_datetime(held_until) for _, status, held_until in taken if status == HELD]
    return {seat_id: status for seat_id, status, _ in taken}, min(lapses, default=None)


_OWN_HOLD_SQL = (
    "SELECT b.public_id, t.seat_id FROM {booking} b JOIN {ticket} t ON t.booking_id = b.id"
    " WHERE b.user_id = %s AND b.showtime_id = %s AND b.status = %s AND b.expires_at > %s"
    " AND b.channel = %s AND t.status = %s ORDER BY b.created_at DESC, b.id DESC, t.seat_id"
)


def own_hold_seats(
    *, user_id: int, showtime_id: int, now: datetime
) -> tuple[uuid.UUID | None, list[int]]:
    """The caller's running online hold on this showtime: (its public id, its held seat ids),
    or (None, []). A box-office sale's hold is a walk-in's, not its cashier's (the booking's
    user): to the cashier on the public picker its seats are held, as to everyone. Hand-written
    SQL, like `seat_statuses`: the seat picker asks it on every page of a logged-in buyer."""
    database = connections[router.db_for_read(Booking)]
    sql = _OWN_HOLD_SQL.format(
        booking=database.ops.quote_name(Booking._meta.db_table),
        ticket=database.ops.quote_name(Ticket._meta.db_table),
    )
    params: list[Any] = [
        user_id,
        showtime_id,
        BookingStatus.PENDING.value,
        database.ops.adapt_datetimefield_value(now),
        SalesChannel.ONLINE.value,
        TicketStatus.HELD.value,
    ]
    with database.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None, []
    first = rows[0][0]
    seat_ids = [seat_id for public_id, seat_id in rows if public_id == first]
    return uuid.UUID(str(first)), seat_ids  # SQLite answers hex text, PostgreSQL a UUID


def _as_datetime(value) -> datetime:
    """A datetime column read with a raw cursor: SQLite hands back naive UTC (or its text)."""
    parsed = value if isinstance(value, datetime) else parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def showtime_seat_map(*, showtime_id: int, now: datetime | None = None) -> dict:
    """Every seat with its status and price: one query for the statuses, the rest from the
    showtime's context (`marquee.booking.context`, rebuilt when the catalog changes).

    Built from ready dicts: a 500-seat hall must not cost 500 serializer objects.
    """
    return showtime_seat_map_until(showtime_id=showtime_id, now=now or timezone.now())[0]


def showtime_seat_map_until(*, showtime_id: int, now: datetime) -> tuple[dict, datetime | None]:
    """The seat map, and until when it stays true if no booking write happens: the first
    lapse of a hold shown on it, or the start of the show (when it goes off sale)."""
    return _seat_map(showtime_context(showtime_id), now)


def _with_details(queryset: QuerySet[Booking]) -> QuerySet[Booking]:
    return queryset.select_related(
        "user", "showtime__movie", "showtime__screen__theater"
    ).prefetch_related(
        Prefetch(
            "tickets", queryset=Ticket.objects.select_related("seat").order_by("seat__y", "seat__x")
        )
    )


# --- Statuses as read: a lapsed hold is expired whether or not the sweeper has run ---------
# The one definition behind every status the API and the admin show, filter or count.


def booking_status_q(status: str, *, now: datetime, prefix: str = "") -> Q:
    """Bookings whose status reads `status`: a pending booking whose `expires_at` has passed
    reads `expired`, not `pending`. `prefix`: the path to the booking (e.g. `booking__`)."""
    pending_until = {f"{prefix}status": BookingStatus.PENDING}
    if status == BookingStatus.PENDING:
        return Q(**pending_until, **{f"{prefix}expires_at__gt": now})
    if status == BookingStatus.EXPIRED:
        return Q(**{f"{prefix}status": status}) | Q(
            **pending_until, **{f"{prefix}expires_at__lte": now}
        )
    return Q(**{f"{prefix}status": status})


def ticket_status_q(status: str, *, now: datetime, prefix: str = "") -> Q:
    """Tickets whose status reads `status`: a held ticket whose `held_until` has passed reads
    `expired` (its seat is free). `prefix`: the path to the ticket (e.g. `tickets__`)."""
    held = {f"{prefix}status": TicketStatus.HELD}
    if status == TicketStatus.HELD:
        return Q(**held, **{f"{prefix}held_until__gt": now})
    if status == TicketStatus.EXPIRED:
        return Q(**{f"{prefix}status": status}) | Q(**held, **{f"{prefix}held_until__lte": now})
    return Q(**{f"{prefix}status": status})


def booking_display_status(booking: Booking, now: datetime | None = None) -> str:
    """A pending booking whose hold lapsed reads `expired` before any sweeper has run."""
    now = now or timezone.now()
    if booking.status == BookingStatus.PENDING and booking.expires_at <= now:
        return BookingStatus.EXPIRED
    return booking.status


def ticket_display_status(ticket: Ticket, now: datetime | None = None) -> str:
    """A held ticket whose hold lapsed reads `expired` before any sweeper has run."""
    held_until = ticket.held_until if ticket.status == TicketStatus.HELD else None
    if held_until is not None and held_until <= (now or timezone.now()):
        return TicketStatus.EXPIRED
    return ticket.status


def booking_refunded_amount(booking: Booking, tickets: Iterable[Ticket] | None = None) -> Decimal:
    """What went (or is going) back of a booking: the refunds of the tickets given back, plus,
    once the booking is refunded, the prices of the tickets it still stood on. Reads the
    booking's (prefetched) tickets unless given them."""
    amount = Decimal(0)
    for ticket in booking.tickets.all() if tickets is None else tickets:
        if ticket.cancellation_id is not None:
            amount += ticket.refund_amount or 0
        elif booking.status == BookingStatus.REFUNDED and ticket.status == TicketStatus.REFUNDED:
            amount += ticket.price
    return amount


def booking_remaining_tickets(
    booking: Booking, now: datetime | None = None, tickets: Iterable[Ticket] | None = None
) -> int:
    """The booking's tickets still held or sold (a lapsed hold holds nothing)."""
    return sum(
        ticket_display_status(t, now) in (TicketStatus.HELD, TicketStatus.SOLD)
        for t in (booking.tickets.all() if tickets is None else tickets)
    )


def booking_list(*, user: User, filters: dict | None = None, all_bookings: bool = False):
    """The caller's bookings; staff with all_bookings=True see everyone's. `status` matches
    the status as shown (a lapsed hold is `expired`). A cashier's own list leaves out the
    walk-ins' bookings they sold at the box office (`all` shows them)."""
    filters = filters or {}
    queryset = Booking.objects.all()
    if not (all_bookings and is_staff_member(user)):
        queryset = queryset.filter(user=user, channel=SalesChannel.ONLINE)
    elif filters.get("user"):
        queryset = queryset.filter(user_id=filters["user"])
    if filters.get("status"):
        queryset = queryset.filter(booking_status_q(filters["status"], now=timezone.now()))
    if filters.get("showtime"):
        queryset = queryset.filter(showtime_id=filters["showtime"])
    when = filters.get("when")
    if when == "upcoming":
        queryset = queryset.filter(showtime__starts_at__gt=timezone.now())
    elif when == "past":
        queryset = queryset.filter(showtime__starts_at__lte=timezone.now())
    return _with_details(queryset).order_by("-created_at", "-pk")


def booking_get(*, user: User, public_id) -> Booking:
    """One booking the caller may see; anyone else's is simply not found."""
    queryset = _with_details(Booking.objects.filter(public_id=public_id))
    if not is_staff_member(user):
        queryset = queryset.filter(user=user)
    booking = queryset.prefetch_related("events").first()
    if booking is None:
        raise errors.booking_not_found()
    return booking


def voucher_usable_q(now: datetime) -> Q:
    """A voucher a booking could take now: switched on, within its window, not used up."""
    return (
        Q(is_active=True)
        & (Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        & (Q(max_redemptions__isnull=True) | Q(redeemed__lt=F("max_redemptions")))
    )


def voucher_list(
    *,
    now: datetime | None = None,
    code: str = "",
    active: bool | None = None,
    movie_id: int | None = None,
    theater_id: int | None = None,
    ticket_type: str | None = None,
    batch: str | None = None,
) -> QuerySet[Voucher]:
    """Vouchers, newest first, with `usable` (now) and their redemptions counted:
    `redemptions_total` (every use ever), `redemptions_released` (given back by bookings that
    no longer stand); `redeemed` is the live count the limit holds. `code` matches a part of
    the code, case-insensitively."""
    now = now or timezone.now()
    vouchers = Voucher.objects.annotate(
        usable=ExpressionWrapper(voucher_usable_q(now), output_field=BooleanField()),
        redemptions_total=Count("redemptions"),
        redemptions_released=Count("redemptions", filter=Q(redemptions__released_at__isnull=False)),
    ).order_by("-created_at", "-id")
    if code:
        vouchers = vouchers.filter(code__icontains=code.strip())
    if active is not None:
        usable = voucher_usable_q(now)
        vouchers = vouchers.filter(usable if active else ~usable)
    if movie_id is not None:
        vouchers = vouchers.filter(movie_id=movie_id)
    if theater_id is not None:
        vouchers = vouchers.filter(theater_id=theater_id)
    if ticket_type is not None:
        vouchers = vouchers.filter(ticket_type=ticket_type)
    if batch is not None:
        vouchers = vouchers.filter(batch=batch)
    return vouchers


def voucher_get(*, voucher_id: int, now: datetime | None = None) -> Voucher:
    """One voucher with the counts of `voucher_list`; 404 `voucher_not_found`."""
    voucher = voucher_list(now=now).filter(pk=voucher_id).first()
    if voucher is None:
        raise errors.BookingError("No such voucher.", code=BookingErrorCode.VOUCHER_NOT_FOUND)
    return voucher
