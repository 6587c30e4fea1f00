"""Booking rules: hold, confirm, cancel and expire. Every booking write happens here.

The one-seat-one-buyer promise is the partial unique index on active tickets; these services
only give it friendly answers. A hold is one short transaction that locks nothing
showtime-wide: it expires stale holds on exactly the requested seats, then inserts.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from marquee.booking import availability, errors
from marquee.booking.context import ShowtimeContext, showtime_context
from marquee.booking.error_codes import BookingErrorCode
from marquee.booking.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Ticket,
    TicketStatus,
)
from marquee.booking.seating import (
    best_available_seats,
    best_scattered_seats,
    cheapest_best_available_seats,
)
from marquee.booking.selectors import STALE, held_seat_counts, seat_statuses
from marquee.booking.signals import booking_cancelled, booking_confirmed
from marquee.catalog.layout import LayoutSeat
from marquee.catalog.models import Seat, SeatTier, Showtime, ShowtimeStatus
from marquee.common import fast_insert
from marquee.common.db_errors import is_lock_conflict
from marquee.common.permissions import is_staff_member
from marquee.common.time import api_datetime

if TYPE_CHECKING:
    from marquee.accounts.models import User

logger = logging.getLogger("marquee.booking")

BEST_AVAILABLE_ATTEMPTS = 5
HOLD_ATTEMPTS = 3


class ConfirmOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    # The hold lapsed and a seat went to someone else: the payment must be refunded.
    SEATS_LOST = "seats_lost"
    # Cancelled or refunded before the payment landed: the payment must be refunded.
    NOT_CONFIRMABLE = "not_confirmable"


def _event(
    booking: Booking,
    *,
    from_status: str,
    to_status: str,
    actor: User | None = None,
    reason: str = "",
):
    return BookingEvent(
        booking=booking,
        from_status=from_status,
        to_status=to_status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        reason=reason[:200],
    )


def _move(booking: Booking, to_status: str, *, actor: User | None, reason: str = "") -> str:
    """Set the booking's status, save it and record the change; the previous status back."""
    previous, booking.status = booking.status, to_status
    booking.save(update_fields=["status", "updated_at"])
    _event(booking, from_status=previous, to_status=to_status, actor=actor, reason=reason).save()
    return previous


def active_seat_ids(*, showtime_id: int, now: datetime, among: Iterable[int] | None = None):
    """Seats sold, or held by a hold that has not expired: what nobody else may take."""
    among = None if among is None else list(among)
    return set(seat_statuses(showtime_id=showtime_id, now=now, among=among))


def _check_quantity(count: int) -> None:
    if count < 1:
        raise errors.BookingError(
            "Ask for at least one seat.", code=BookingErrorCode.NO_SEATS_REQUESTED
        )
    if count > settings.BOOKING_MAX_SEATS:
        raise errors.BookingError(
            f"At most {settings.BOOKING_MAX_SEATS} seats per booking.",
            code=BookingErrorCode.TOO_MANY_SEATS,
            details={"max_seats": settings.BOOKING_MAX_SEATS},
        )


def hold_limits() -> tuple[int, int]:
    """The most seats one customer may hold at once: (at one showtime, over all showtimes)."""
    per_showtime = settings.BOOKING_HOLD_LIMIT_PER_SHOWTIME
    if per_showtime is None:
        per_showtime = settings.BOOKING_MAX_SEATS
    total = settings.BOOKING_HOLD_LIMIT_TOTAL
    if total is None:
        total = 3 * settings.BOOKING_MAX_SEATS
    return per_showtime, total


def _lock_holds_of(user: User) -> None:
    """Serialize one customer's holds: each takes the customer's account row until it commits,
    so two holds of one customer never both count the seats held before either inserted.

    FOR NO KEY UPDATE, so rows that only reference the account (a login's token) do not wait.
    Other customers' holds lock other rows. SQLite has no row locks and needs none: its
    `BEGIN IMMEDIATE` already serializes every writer."""
    if connection.features.has_select_for_update:
        no_key = connection.features.has_select_for_no_key_update
        list(
            get_user_model()
            .objects.select_for_update(no_key=no_key)
            .filter(pk=user.pk)
            .values_list("pk", flat=True)
        )


def _check_hold_limits(*, user: User, showtime_id: int, adding: int, now: datetime) -> None:
    """Refuse a hold that would take the customer past `hold_limits()`. Counts the unexpired
    held seats of their pending bookings (paid seats are not holds); call it under
    `_lock_holds_of`, inside the hold's transaction."""
    _lock_holds_of(user)
    held_here, held_in_all = held_seat_counts(user_id=user.pk, showtime_id=showtime_id, now=now)
    per_showtime, total = hold_limits()
    if held_here + adding > per_showtime:
        raise errors.HoldLimitReached(
            scope="showtime", limit=per_showtime, held=held_here, requested=adding
        )
    if held_in_all + adding > total:
        raise errors.HoldLimitReached(
            scope="all_showtimes", limit=total, held=held_in_all, requested=adding
        )


def _validate_seat_ids(seat_ids: Sequence[int], seats_by_id: dict[int, LayoutSeat]) -> list[int]:
    _check_quantity(len(seat_ids))
    if len(set(seat_ids)) != len(seat_ids):
        duplicates = sorted({i for i in seat_ids if seat_ids.count(i) > 1})
        raise errors.BookingError(
            "A seat is listed more than once.",
            code=BookingErrorCode.DUPLICATE_SEATS,
            details={"seat_ids": duplicates},
        )
    foreign = sorted(set(seat_ids) - seats_by_id.keys())
    if foreign:
        raise errors.BookingError(
            "These seats are not in this showtime's screen.",
            code=BookingErrorCode.SEATS_NOT_IN_SCREEN,
            details={"seat_ids": foreign},
        )
    return sorted(seat_ids)


@dataclass(frozen=True, slots=True)
class HeldBooking:
    booking: Booking
    tickets: list[Ticket]  # in seat order, each with its seat


def _insert_hold(
    *,
    user: User,
    context: ShowtimeContext,
    seat_ids: list[int],
    now: datetime,
    precheck: bool = True,
) -> HeldBooking:
    """The hot path: one short transaction, rows inserted in seat order (no deadlock cycles).

    With `precheck`, one read first looks at the requested seats: a seat someone holds or
    bought answers 409 without a write transaction (most POSTs of an on-sale rush are such
    conflicts), and the stale-hold UPDATE runs only when a lapsed hold is in the way. The
    unique index still decides every race the read cannot see.

    A customer's holds are capped (`_check_hold_limits`: the account row's lock, then one
    count); staff selling at the box office are not.
    """
    showtime = context.showtime
    expires_at = now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES)
    ticket_prices = [context.prices[context.seats_by_id[seat_id].tier] for seat_id in seat_ids]
    free_stale = True
    if precheck:
        current = seat_statuses(showtime_id=showtime.pk, now=now, among=seat_ids, stale=True)
        taken = [seat_id for seat_id, status in current.items() if status != STALE]
        if taken:
            raise errors.SeatsUnavailable(taken)
        free_stale = bool(current)
    limited = not is_staff_member(user)
    try:
        with transaction.atomic():
            # First, so that the customer's lock is taken before any ticket row's.
            if limited:
                _check_hold_limits(
                    user=user, showtime_id=showtime.pk, adding=len(seat_ids), now=now
                )
            if free_stale:
                Ticket.objects.filter(
                    showtime_id=showtime.pk,
                    seat_id__in=seat_ids,
                    status=TicketStatus.HELD,
                    held_until__lte=now,
                ).update(status=TicketStatus.EXPIRED)
            booking = Booking(
                user=user,
                showtime=showtime,
                status=BookingStatus.PENDING,
                expires_at=expires_at,
                total=sum(ticket_prices, Decimal(0)),
                currency=showtime.currency,
            )
            fast_insert.insert([booking])
            tickets = [
                Ticket(
                    booking=booking,
                    showtime_id=showtime.pk,
                    seat_id=seat_id,
                    price=price,
                    status=TicketStatus.HELD,
                    held_until=expires_at,
                )
                for seat_id, price in zip(seat_ids, ticket_prices, strict=True)
            ]
            fast_insert.insert(tickets)
            fast_insert.insert(
                [_event(booking, from_status="", to_status=BookingStatus.PENDING, actor=user)]
            )
            availability.seats_changed(showtime.pk)
    except IntegrityError:
        raise errors.SeatsUnavailable(
            active_seat_ids(showtime_id=showtime.pk, now=now, among=seat_ids)
        ) from None
    except OperationalError as error:
        if is_lock_conflict(error):
            raise errors.SeatsBusy() from error
        raise
    # The tickets come back with their seats from the layout: the 201 renders without a query.
    for ticket in tickets:
        seat = context.seats_by_id[ticket.seat_id]
        ticket.seat = Seat(screen_id=showtime.screen_id, **seat._asdict())
    tickets.sort(key=lambda t: (t.seat.y, t.seat.x))
    logger.info(
        "booking held",
        extra={"booking": str(booking.public_id), "showtime": showtime.pk, "seats": seat_ids},
    )
    return HeldBooking(booking, tickets)


def booking_hold(
    *,
    user: User,
    showtime_id: int,
    seat_ids: Sequence[int] | None = None,
    quantity: int | None = None,
    tier: str | None = None,
    allow_split: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Hold all the requested seats (or the best `quantity` seats) for one buyer, or none."""
    return booking_hold_with_tickets(
        user=user,
        showtime_id=showtime_id,
        seat_ids=seat_ids,
        quantity=quantity,
        tier=tier,
        allow_split=allow_split,
        now=now,
    ).booking


def booking_hold_with_tickets(
    *,
    user: User,
    showtime_id: int,
    seat_ids: Sequence[int] | None = None,
    quantity: int | None = None,
    tier: str | None = None,
    allow_split: bool = False,
    now: datetime | None = None,
) -> HeldBooking:
    """`booking_hold`, returning the tickets it inserted too (with their seats)."""
    now = now or timezone.now()
    context = showtime_context(showtime_id)
    context.check_bookable(now)

    if seat_ids is not None:
        wanted = _validate_seat_ids(list(seat_ids), context.seats_by_id)
        for attempt in range(HOLD_ATTEMPTS):
            try:
                return _insert_hold(user=user, context=context, seat_ids=wanted, now=now)
            except errors.SeatsUnavailable as conflict:
                # An empty list means the holder let go between our insert and our look:
                # try again rather than answer "taken" with nothing taken.
                if conflict.seat_ids or attempt == HOLD_ATTEMPTS - 1:
                    if not conflict.seat_ids:
                        raise errors.SeatsBusy() from None
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    if quantity is None:
        raise errors.BookingError(
            "Give seats or a quantity.", code=BookingErrorCode.NO_SEATS_REQUESTED
        )
    _check_quantity(quantity)
    if tier is not None and tier not in SeatTier.values:
        raise errors.BookingError("Unknown seat tier.", code=BookingErrorCode.INVALID_TIER)
    return _hold_best_available(
        user=user, context=context, quantity=quantity, tier=tier, allow_split=allow_split, now=now
    )


def _hold_best_available(*, user: User, context, quantity, tier, allow_split, now) -> HeldBooking:
    """Adjacent seats near the sweet spot, of the tier asked for; without a tier, in the
    cheapest tier (by this showtime's prices) that has room, then the next cheapest."""
    layout = context.layout
    # Without a tier, the cheapest first: the order of prices, not of tier names.
    prices = None if tier is not None else context.prices
    taken = active_seat_ids(showtime_id=context.showtime.pk, now=now)
    attempts = 0
    while attempts < BEST_AVAILABLE_ATTEMPTS:
        limit = BEST_AVAILABLE_ATTEMPTS - attempts
        if prices is None:
            candidates = best_available_seats(
                layout=layout, taken=taken, quantity=quantity, tier=tier, limit=limit
            )
        else:
            candidates = cheapest_best_available_seats(
                layout=layout, taken=taken, quantity=quantity, prices=prices, limit=limit
            )
        if not candidates and allow_split:
            scattered = best_scattered_seats(
                layout=layout, taken=taken, quantity=quantity, tier=tier, prices=prices
            )
            candidates = [scattered] if scattered else []
        if not candidates:
            free = best_scattered_seats(layout=layout, taken=taken, quantity=quantity, tier=tier)
            if free:
                raise errors.BookingError(
                    f"No row has {quantity} adjacent free seats; ask with allow_split to "
                    "accept seats apart.",
                    code=BookingErrorCode.NO_ADJACENT_SEATS,
                )
            raise errors.BookingError(
                f"Fewer than {quantity} seats are free.", code=BookingErrorCode.NOT_ENOUGH_SEATS
            )
        for candidate in candidates:
            attempts += 1
            try:
                # No pre-check: the candidates come from a fresh read of the whole hall.
                return _insert_hold(
                    user=user,
                    context=context,
                    seat_ids=sorted(candidate),
                    now=now,
                    precheck=False,
                )
            except errors.SeatsUnavailable as conflict:
                # Lost a race: note what is taken and move to the next candidate.
                taken |= set(conflict.seat_ids) or set(candidate)
            if attempts >= BEST_AVAILABLE_ATTEMPTS:
                break
    raise errors.SeatsBusy()


CONFIRM_ATTEMPTS = 3


def booking_confirm(
    *, booking_id: int, actor: User | None = None, now: datetime | None = None
) -> ConfirmOutcome:
    """Mark a paid booking confirmed; tell the caller to refund if its seats are gone.

    A deadlock or lock timeout is retried (the transaction rolled back whole), then answered
    as 409 `seats_busy`: a payment webhook is redelivered, never lost.
    """
    for attempt in range(CONFIRM_ATTEMPTS):
        try:
            return _booking_confirm_once(booking_id=booking_id, actor=actor, now=now)
        except OperationalError as error:
            if not is_lock_conflict(error):
                raise
            if attempt == CONFIRM_ATTEMPTS - 1:
                raise errors.SeatsBusy() from error
    raise AssertionError("unreachable")  # pragma: no cover


def _booking_confirm_once(
    *, booking_id: int, actor: User | None, now: datetime | None
) -> ConfirmOutcome:
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if booking.status == BookingStatus.CONFIRMED:
            return ConfirmOutcome.ALREADY_CONFIRMED
        if booking.status not in (BookingStatus.PENDING, BookingStatus.EXPIRED):
            return ConfirmOutcome.NOT_CONFIRMABLE
        previous = booking.status
        availability.seats_changed(booking.showtime_id)  # every path below changes tickets
        if (
            Showtime.objects.filter(pk=booking.showtime_id).values_list("status", flat=True).first()
            != ShowtimeStatus.SCHEDULED
        ):
            # The hold raced the showtime's cancellation (it read the showtime as scheduled
            # before the cancellation committed): it is never sold; the caller refunds.
            _cancel_for_cancelled_showtime(booking, actor=actor)
            return ConfirmOutcome.NOT_CONFIRMABLE
        seat_ids = list(booking.tickets.values_list("seat_id", flat=True))
        try:
            with transaction.atomic():
                # A lapsed hold of ours may have been freed; stale holds of others on the same
                # seats yield too. Anyone holding them now keeps them: the unique index says so.
                Ticket.objects.filter(
                    showtime_id=booking.showtime_id,
                    seat_id__in=seat_ids,
                    status=TicketStatus.HELD,
                    held_until__lte=now,
                ).exclude(booking=booking).update(status=TicketStatus.EXPIRED)
                Ticket.objects.filter(
                    booking=booking, status__in=[TicketStatus.HELD, TicketStatus.EXPIRED]
                ).update(status=TicketStatus.SOLD, held_until=None)
        except IntegrityError:
            if booking.status == BookingStatus.PENDING:
                booking.status = BookingStatus.EXPIRED
                booking.save(update_fields=["status", "updated_at"])
                Ticket.objects.filter(booking=booking, status=TicketStatus.HELD).update(
                    status=TicketStatus.EXPIRED
                )
            _event(
                booking,
                from_status=previous,
                to_status=booking.status,
                actor=actor,
                reason="payment arrived after the seats were resold",
            ).save()
            logger.warning("late payment lost its seats", extra={"booking": str(booking.public_id)})
            return ConfirmOutcome.SEATS_LOST
        _move(booking, BookingStatus.CONFIRMED, actor=actor)
        booking_confirmed.send(sender=Booking, booking=booking, actor=actor)
    logger.info("booking confirmed", extra={"booking": str(booking.public_id)})
    return ConfirmOutcome.CONFIRMED


def _cancel_for_cancelled_showtime(booking: Booking, *, actor: User | None) -> None:
    Ticket.objects.filter(
        booking=booking, status__in=[TicketStatus.HELD, TicketStatus.EXPIRED]
    ).update(status=TicketStatus.CANCELLED)
    _move(booking, BookingStatus.CANCELLED, actor=actor, reason="showtime cancelled")
    logger.warning("payment for a cancelled showtime", extra={"booking": str(booking.public_id)})


def cancellation_cutoff(starts_at: datetime) -> datetime:
    """The last moment a buyer may cancel a paid booking themselves (staff may go later)."""
    return starts_at - timedelta(minutes=settings.BOOKING_CANCELLATION_CUTOFF_MINUTES)


def booking_cancel(*, booking: Booking, actor: User, now: datetime | None = None, reason: str = ""):
    """Cancel a held booking any time, a confirmed one until the cutoff (staff may override)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        showtime = Showtime.objects.get(pk=booking.showtime_id)
        availability.seats_changed(showtime.pk)
        if booking.status == BookingStatus.CONFIRMED:
            cutoff = cancellation_cutoff(showtime.starts_at)
            if now >= cutoff and not is_staff_member(actor):
                raise errors.BookingError(
                    "This booking can no longer be cancelled.",
                    code=BookingErrorCode.CANCELLATION_CLOSED,
                    details={"cutoff": api_datetime(cutoff)},
                )
        elif booking.status != BookingStatus.PENDING:
            raise errors.BookingError(
                f"A booking that is {booking.status} cannot be cancelled.",
                code=BookingErrorCode.BOOKING_NOT_CANCELLABLE,
            )
        Ticket.objects.filter(
            booking=booking, status__in=[TicketStatus.HELD, TicketStatus.SOLD]
        ).update(status=TicketStatus.CANCELLED)
        previous = _move(booking, BookingStatus.CANCELLED, actor=actor, reason=reason)
        booking_cancelled.send(
            sender=Booking, booking=booking, previous_status=previous, actor=actor, reason=reason
        )
    logger.info("booking cancelled", extra={"booking": str(booking.public_id)})
    booking.showtime = showtime
    return booking


def bookings_cancel_for_showtime(*, showtime: Showtime, actor: User | None = None) -> int:
    """A cancelled showtime takes every held and confirmed booking with it."""
    with transaction.atomic():
        bookings = list(
            Booking.objects.select_for_update()
            .filter(showtime=showtime, status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED])
            .order_by("pk")
        )
        if not bookings:
            return 0
        availability.seats_changed(showtime.pk)
        ids = [b.pk for b in bookings]
        Ticket.objects.filter(
            booking_id__in=ids, status__in=[TicketStatus.HELD, TicketStatus.SOLD]
        ).update(status=TicketStatus.CANCELLED)
        Booking.objects.filter(pk__in=ids).update(
            status=BookingStatus.CANCELLED, updated_at=timezone.now()
        )
        BookingEvent.objects.bulk_create(
            _event(
                b,
                from_status=b.status,
                to_status=BookingStatus.CANCELLED,
                actor=actor,
                reason="showtime cancelled",
            )
            for b in bookings
        )
        for booking in bookings:
            previous, booking.status = booking.status, BookingStatus.CANCELLED
            booking_cancelled.send(
                sender=Booking,
                booking=booking,
                previous_status=previous,
                actor=actor,
                reason="showtime cancelled",
            )
    for booking in bookings:
        logger.info(
            "booking cancelled",
            extra={"booking": str(booking.public_id), "reason": "showtime cancelled"},
        )
    logger.info("showtime cancelled", extra={"showtime": showtime.pk, "bookings": len(ids)})
    return len(ids)


def bookings_expire(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Mark lapsed holds expired in bulk. Safe to run any time, twice, or concurrently."""
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            rows = list(
                Booking.objects.select_for_update(skip_locked=True)
                .filter(status=BookingStatus.PENDING, expires_at__lte=now)
                .order_by("pk")
                .values_list("pk", "public_id")[:batch_size]
            )
            if not rows:
                return expired
            batch = [pk for pk, _ in rows]
            Booking.objects.filter(pk__in=batch).update(
                status=BookingStatus.EXPIRED, updated_at=now
            )
            Ticket.objects.filter(booking_id__in=batch, status=TicketStatus.HELD).update(
                status=TicketStatus.EXPIRED
            )
            BookingEvent.objects.bulk_create(
                BookingEvent(
                    booking_id=pk,
                    from_status=BookingStatus.PENDING,
                    to_status=BookingStatus.EXPIRED,
                    reason="hold expired",
                )
                for pk in batch
            )
        for _, public_id in rows:
            logger.info("booking expired", extra={"booking": str(public_id)})
        expired += len(batch)


def booking_mark_refunded(
    *, booking_id: int, actor: User | None = None, reason: str = ""
) -> Booking:
    """A refund went through: the booking and its tickets read `refunded` (seats stay free)."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if booking.status == BookingStatus.REFUNDED:
            return booking
        availability.seats_changed(booking.showtime_id)
        Ticket.objects.filter(booking=booking).exclude(status=TicketStatus.EXPIRED).update(
            status=TicketStatus.REFUNDED
        )
        _move(booking, BookingStatus.REFUNDED, actor=actor, reason=reason)
    logger.info("booking refunded", extra={"booking": str(booking.public_id)})
    return booking
