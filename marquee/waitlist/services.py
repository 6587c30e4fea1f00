"""Waiting list rules: join, leave, and offer freed seats to the first in line.

An offer is a hold: the seats are held for the first waiting customer (a pending booking that
lasts WAITLIST_OFFER_MINUTES) and an email links to it; paying it is paying any hold. Offers
for one showtime are made one at a time, under the showtime's row lock, strictly in the order
people joined; the active-ticket unique index still decides every seat against buyers who are
not on the list, so one freed seat is offered to one person at a time. An offer that runs out
frees its seats like any lapsed hold, and the next run offers them to the next in line.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from marquee.booking import errors as booking_errors
from marquee.booking.context import showtime_context
from marquee.booking.models import Booking, BookingStatus, Ticket, TicketStatus
from marquee.booking.services import active_seat_ids, booking_cancel, booking_hold
from marquee.catalog.models import Showtime, ShowtimeStatus
from marquee.common.errors import DomainError
from marquee.tickets.models import EmailKind
from marquee.tickets.outbox import email_queue
from marquee.waitlist.error_codes import WaitlistErrorCode
from marquee.waitlist.models import OPEN_STATUSES, EntryStatus, WaitlistEntry

logger = logging.getLogger("marquee.waitlist")

# What ends a run of offers: the seats that are free do not fit the first in line.
NO_ROOM = {"not_enough_seats", "no_adjacent_seats", "seats_busy", "seats_unavailable"}


class WaitlistError(DomainError):
    default_code = WaitlistErrorCode.WAITLIST_ERROR


def free_seat_count(*, showtime_id: int, now: datetime) -> int:
    context = showtime_context(showtime_id)
    return len(context.layout) - len(active_seat_ids(showtime_id=showtime_id, now=now))


def waitlist_join(
    *, user, showtime_id: int, seats: int, now: datetime | None = None
) -> WaitlistEntry:
    """Join the waiting list of a sold-out showtime for `seats` seats, once."""
    now = now or timezone.now()
    context = showtime_context(showtime_id)  # 404 for an unknown showtime
    context.check_bookable(now)
    if not 1 <= seats <= settings.WAITLIST_MAX_SEATS:
        raise WaitlistError(
            f"Wait for 1 to {settings.WAITLIST_MAX_SEATS} seats.",
            code=WaitlistErrorCode.INVALID_SEAT_COUNT,
            details={"max_seats": settings.WAITLIST_MAX_SEATS},
        )
    free = free_seat_count(showtime_id=showtime_id, now=now)
    if free >= seats:
        raise WaitlistError(
            "Seats are free for this showtime: book them instead.",
            code=WaitlistErrorCode.SEATS_AVAILABLE,
            details={"free_seats": free},
        )
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(showtime_id=showtime_id, user=user, seats=seats)
    except IntegrityError:  # waitlist_one_open_entry_per_user
        raise WaitlistError(
            "You are on this showtime's waiting list already.",
            code=WaitlistErrorCode.ALREADY_ON_WAITLIST,
        ) from None
    logger.info("waitlist joined", extra={"showtime": showtime_id, "entry": entry.pk})
    return entry


def waitlist_leave(*, user, showtime_id: int) -> WaitlistEntry:
    """Leave the list; seats on offer to the customer are released for the next in line."""
    with transaction.atomic():
        entry = (
            WaitlistEntry.objects.select_for_update()
            .filter(showtime_id=showtime_id, user=user, status__in=OPEN_STATUSES)
            .first()
        )
        if entry is None:
            raise WaitlistError(
                "You are not on this showtime's waiting list.",
                code=WaitlistErrorCode.NOT_ON_WAITLIST,
            )
        if entry.status == EntryStatus.OFFERED and entry.booking_id is not None:
            booking = Booking.objects.get(pk=entry.booking_id)
            if booking.status == BookingStatus.PENDING:
                booking_cancel(booking=booking, actor=user, reason="left the waiting list")
        entry.status = EntryStatus.LEFT
        entry.save(update_fields=["status", "updated_at"])
    return entry


def waitlist_position(entry: WaitlistEntry) -> int | None:
    """1 for the first waiting, None when not waiting."""
    if entry.status != EntryStatus.WAITING:
        return None
    return (
        WaitlistEntry.objects.filter(
            showtime_id=entry.showtime_id,
            status=EntryStatus.WAITING,
            created_at__lt=entry.created_at,
        ).count()
        + WaitlistEntry.objects.filter(
            showtime_id=entry.showtime_id,
            status=EntryStatus.WAITING,
            created_at=entry.created_at,
            pk__lt=entry.pk,
        ).count()
        + 1
    )


def _settle_offers(showtime_id: int, now: datetime) -> None:
    """Offers paid are booked; offers whose hold ended (run out, cancelled) have lapsed."""
    for entry in WaitlistEntry.objects.filter(
        showtime_id=showtime_id, status=EntryStatus.OFFERED
    ).select_related("booking"):
        booking = entry.booking
        if booking is not None and booking.status == BookingStatus.CONFIRMED:
            entry.status = EntryStatus.BOOKED
        elif (
            booking is None
            or booking.status != BookingStatus.PENDING
            or (booking.expires_at <= now)
        ):
            entry.status = EntryStatus.LAPSED
        else:
            continue
        entry.save(update_fields=["status", "updated_at"])


def _lock_showtime(showtime_id: int) -> Showtime | None:
    """Offers for one showtime, one run at a time: its row lock until the run commits.
    (SQLite serializes every writer already.)"""
    queryset = Showtime.objects.filter(pk=showtime_id)
    if connection.features.has_select_for_update:
        queryset = queryset.select_for_update()
    return queryset.first()


def waitlist_offer_next(*, showtime_id: int, now: datetime | None = None) -> list[WaitlistEntry]:
    """Offer the free seats to the waiting, first in line first: each offer holds the seats
    for WAITLIST_OFFER_MINUTES and emails a link. Stops when the free seats do not fit the
    first in line. Safe to run any time, twice, or concurrently."""
    now = now or timezone.now()
    offers: list[WaitlistEntry] = []
    with transaction.atomic():
        showtime = _lock_showtime(showtime_id)
        if showtime is None:
            return offers
        _settle_offers(showtime_id, now)
        if showtime.status != ShowtimeStatus.SCHEDULED or showtime.starts_at <= now:
            return offers
        waiting = list(
            WaitlistEntry.objects.filter(showtime_id=showtime_id, status=EntryStatus.WAITING)
            .select_related("user")
            .order_by("created_at", "id")
        )
        for entry in waiting:
            try:
                booking = booking_hold(
                    user=entry.user,
                    showtime_id=showtime_id,
                    quantity=entry.seats,
                    allow_split=True,
                    now=now,
                )
            except booking_errors.BookingError as refused:
                if refused.code in NO_ROOM:
                    break  # first in line first: nobody behind them jumps the queue
                # This customer cannot hold now (their hold limit): the next one may.
                logger.info(
                    "waitlist offer skipped",
                    extra={"entry": entry.pk, "code": refused.code},
                )
                continue
            until = now + timedelta(minutes=settings.WAITLIST_OFFER_MINUTES)
            Booking.objects.filter(pk=booking.pk).update(expires_at=until)
            Ticket.objects.filter(booking=booking, status=TicketStatus.HELD).update(
                held_until=until
            )
            entry.status, entry.booking, entry.offered_at = EntryStatus.OFFERED, booking, now
            entry.save(update_fields=["status", "booking", "offered_at", "updated_at"])
            email_queue(
                kind=EmailKind.WAITLIST_OFFER,
                booking_id=booking.pk,
                dedupe_key=f"waitlist-offer:{entry.pk}",
            )
            offers.append(entry)
    for entry in offers:
        logger.info(
            "waitlist offer made",
            extra={"showtime": showtime_id, "entry": entry.pk, "seats": entry.seats},
        )
    return offers


def waitlist_offer_all(*, now: datetime | None = None) -> int:
    """Every showtime to come with someone waiting (beat: seats freed without an event, a
    hold that simply lapsed, reach the list this way)."""
    now = now or timezone.now()
    showtime_ids = (
        WaitlistEntry.objects.filter(
            status__in=OPEN_STATUSES,
            showtime__status=ShowtimeStatus.SCHEDULED,
            showtime__starts_at__gt=now,
        )
        .values_list("showtime_id", flat=True)
        .distinct()
    )
    offered = 0
    for showtime_id in sorted(set(showtime_ids)):
        offered += len(waitlist_offer_next(showtime_id=showtime_id, now=now))
    return offered


def waitlist_mark_booked(*, booking: Booking) -> None:
    """An offer was paid: the entry is done."""
    WaitlistEntry.objects.filter(booking=booking, status=EntryStatus.OFFERED).update(
        status=EntryStatus.BOOKED, updated_at=timezone.now()
    )
