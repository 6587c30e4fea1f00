"""Booking rules: hold, confirm, cancel and expire. Every booking write happens here.

The one-seat-one-buyer promise is the partial unique index on active tickets; these services
only give it friendly answers. A hold is one short transaction that locks nothing
showtime-wide: it expires stale holds on exactly the requested seats, then inserts.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import DecimalField, Exists, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from marquee.booking import (
    accessibility,
    availability,
    errors,
    hooks,
    refund_policy,
    vouchers,
)
from marquee.booking.context import AVAILABLE, HELD, SOLD, ShowtimeContext, showtime_context
from marquee.booking.error_codes import BookingErrorCode
from marquee.booking.models import (
    ACTIVE_TICKET_STATUSES,
    Booking,
    BookingEvent,
    BookingStatus,
    RefundReason,
    SalesChannel,
    Ticket,
    TicketCancellation,
    TicketStatus,
)
from marquee.booking.seating import (
    best_available_seats,
    best_scattered_seats,
    cheapest_best_available_seats,
)
from marquee.booking.selectors import STALE, held_seat_counts, seat_statuses
from marquee.booking.signals import booking_cancelled, booking_confirmed, tickets_cancelled
from marquee.catalog.layout import LayoutSeat
from marquee.catalog.models import (
    DEFAULT_TICKET_TYPE,
    Seat,
    SeatKind,
    SeatTier,
    Showtime,
    ShowtimeStatus,
    TicketType,
)
from marquee.common import fast_insert
from marquee.common.db_errors import is_lock_conflict
from marquee.common.errors import CommonErrorCode
from marquee.common.money import money_text
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


def _check_ticket_types_known(context: ShowtimeContext, codes: Iterable[str]) -> None:
    """400 `ticket_type_unknown` for a code that is no ticket type of this theater at all."""
    unsold = {code for code in codes if code not in context.ticket_prices}
    if not unsold:
        return
    # The error path only: is it a type at all here, or one this show does not sell?
    theater_id = context.showtime.screen.theater_id
    known = set(
        TicketType.objects.filter(Q(theater__isnull=True) | Q(theater_id=theater_id)).values_list(
            "code", flat=True
        )
    )
    unknown = sorted(unsold - known)
    if unknown:
        raise errors.BookingError(
            "Unknown ticket type.",
            code=BookingErrorCode.TICKET_TYPE_UNKNOWN,
            details={"ticket_types": unknown, "known": sorted(known)},
        )


def _check_ticket_counts(
    context: ShowtimeContext, quantity: int, ticket_counts: Mapping[str, int]
) -> None:
    """A best-available party's ticket types: known codes whose counts add up to `quantity`."""
    counted = sum(ticket_counts.values())
    if counted != quantity or any(count < 0 for count in ticket_counts.values()):
        raise errors.BookingError(
            f"The ticket counts add up to {counted}, not to the {quantity} seats asked for.",
            code=BookingErrorCode.TICKET_COUNTS_MISMATCH,
            details={"quantity": quantity, "counted": counted},
        )
    _check_ticket_types_known(context, [code for code, n in ticket_counts.items() if n])


def _types_for_seats(
    context: ShowtimeContext, seat_ids: Sequence[int], ticket_counts: Mapping[str, int] | None
) -> dict[int, str] | None:
    """Hand the party's ticket types to the chosen seats from the left of the front row, in
    the order the counts were given (the counts add up to the number of seats)."""
    if ticket_counts is None:
        return None
    seats = context.seats_by_id
    ordered = sorted(seat_ids, key=lambda seat_id: (seats[seat_id].y, seats[seat_id].x))
    codes = [code for code, count in ticket_counts.items() for _ in range(count)]
    return dict(zip(ordered, codes, strict=True))


def _ticket_prices(
    context: ShowtimeContext, seat_ids: Sequence[int], ticket_types: dict[int, str] | None
) -> tuple[list[str], list[Decimal]]:
    """The ticket type and price of each seat (`ticket_types`: seat id -> type code; a seat
    left out is the default type), or 400 `ticket_type_unknown` / `ticket_type_not_offered`."""
    types = [(ticket_types or {}).get(seat_id) or DEFAULT_TICKET_TYPE for seat_id in seat_ids]
    _check_ticket_types_known(context, types)
    prices = [
        context.ticket_price(code, context.seats_by_id[seat_id].tier)
        for seat_id, code in zip(seat_ids, types, strict=True)
    ]
    refused = [seat_id for seat_id, price in zip(seat_ids, prices, strict=True) if price is None]
    if refused:
        raise errors.BookingError(
            "This showtime does not sell that ticket type for these seats.",
            code=BookingErrorCode.TICKET_TYPE_NOT_OFFERED,
            details={"seat_ids": refused},
        )
    return types, prices  # type: ignore[return-value]


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
    channel: str = SalesChannel.ONLINE,
    ticket_types: dict[int, str] | None = None,
    voucher_code: str | None = None,
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
    types, ticket_prices = _ticket_prices(context, seat_ids, ticket_types)
    quote = None
    if voucher_code is not None:
        quote = vouchers.voucher_quote(
            code=voucher_code,
            showtime=showtime,
            tickets=list(zip(types, ticket_prices, strict=True)),
            now=now,
        )
    discount = quote.discount if quote is not None else Decimal(0)
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
            elif quote is not None:
                _lock_holds_of(user)  # the voucher's per-user count, as for a customer
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
                total=sum(ticket_prices, Decimal(0)) - discount,
                currency=showtime.currency,
                channel=channel,
                discount=discount,
                voucher_code=quote.voucher.code if quote is not None else "",
            )
            fast_insert.insert([booking])
            tickets = [
                Ticket(
                    booking=booking,
                    showtime_id=showtime.pk,
                    seat_id=seat_id,
                    price=price,
                    ticket_type=code,
                    status=TicketStatus.HELD,
                    held_until=expires_at,
                )
                for seat_id, price, code in zip(seat_ids, ticket_prices, types, strict=True)
            ]
            fast_insert.insert(tickets)
            fast_insert.insert(
                [_event(booking, from_status="", to_status=BookingStatus.PENDING, actor=user)]
            )
            if quote is not None:
                # After the tickets: a seat conflict answers 409 before the voucher is counted.
                vouchers.voucher_redeem(quote=quote, booking=booking, user=user)
            availability.seats_changed(showtime.pk, dict.fromkeys(seat_ids, HELD))
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
    accessible: bool = False,
    now: datetime | None = None,
    ticket_types: dict[int, str] | None = None,
    ticket_counts: Mapping[str, int] | None = None,
    voucher_code: str | None = None,
    channel: str = SalesChannel.ONLINE,
) -> Booking:
    """Hold all the requested seats (or the best `quantity` seats) for one buyer, or none.

    `ticket_types`: seat id -> ticket type code for `seat_ids` (a seat left out is the
    default type). `ticket_counts`: ticket type code -> how many, for `quantity` (they add up
    to it; without them best available holds the default type). `voucher_code`: a promo code
    applied in the same transaction (`marquee.booking.vouchers`): the hold fails whole if it
    does not apply or is used up. `channel`: `box_office` for a sale at a till; only staff
    sell there (the booking is theirs). `accessible` with `quantity` 1 or 2: the best free
    wheelchair space, with a companion seat beside it for 2.
    """
    return booking_hold_with_tickets(
        user=user,
        showtime_id=showtime_id,
        seat_ids=seat_ids,
        quantity=quantity,
        tier=tier,
        allow_split=allow_split,
        accessible=accessible,
        now=now,
        ticket_types=ticket_types,
        ticket_counts=ticket_counts,
        voucher_code=voucher_code,
        channel=channel,
    ).booking


def booking_hold_with_tickets(
    *,
    user: User,
    showtime_id: int,
    seat_ids: Sequence[int] | None = None,
    quantity: int | None = None,
    tier: str | None = None,
    allow_split: bool = False,
    accessible: bool = False,
    now: datetime | None = None,
    ticket_types: dict[int, str] | None = None,
    ticket_counts: Mapping[str, int] | None = None,
    voucher_code: str | None = None,
    channel: str = SalesChannel.ONLINE,
) -> HeldBooking:
    """`booking_hold`, returning the tickets it inserted too (with their seats)."""
    if channel != SalesChannel.ONLINE:
        _check_channel(user, channel)
    now = now or timezone.now()
    context = showtime_context(showtime_id)
    context.check_bookable(now)

    if seat_ids is not None:
        if ticket_counts is not None:
            raise errors.BookingError(
                "Ticket counts go with a quantity; name picked seats' types per seat.",
                code=BookingErrorCode.TICKET_COUNTS_MISMATCH,
            )
        wanted = _validate_seat_ids(list(seat_ids), context.seats_by_id)
        _check_companions(user=user, context=context, seat_ids=wanted, now=now)
        for attempt in range(HOLD_ATTEMPTS):
            try:
                return _insert_hold(
                    user=user,
                    context=context,
                    seat_ids=wanted,
                    now=now,
                    ticket_types=ticket_types,
                    voucher_code=voucher_code,
                    channel=channel,
                )
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
    if ticket_counts is not None:
        _check_ticket_counts(context, quantity, ticket_counts)
    if accessible:
        return _hold_accessible(
            user=user,
            context=context,
            quantity=quantity,
            now=now,
            channel=channel,
            voucher_code=voucher_code,
            ticket_counts=ticket_counts,
        )
    if tier is not None and tier not in SeatTier.values:
        raise errors.BookingError("Unknown seat tier.", code=BookingErrorCode.INVALID_TIER)
    return _hold_best_available(
        user=user,
        context=context,
        quantity=quantity,
        tier=tier,
        allow_split=allow_split,
        now=now,
        channel=channel,
        voucher_code=voucher_code,
        ticket_counts=ticket_counts,
    )


def _check_channel(user: User, channel: str) -> None:
    if channel not in SalesChannel.values:
        raise errors.BookingError("Unknown sales channel.", code=BookingErrorCode.INVALID_CHANNEL)
    if channel == SalesChannel.BOX_OFFICE and not is_staff_member(user):
        raise errors.BookingError(
            "Only staff sell at the box office.", code=CommonErrorCode.PERMISSION_DENIED
        )


def _check_companions(*, user: User, context: ShowtimeContext, seat_ids: list[int], now) -> None:
    """Until the release, a companion seat is held only with a wheelchair space beside it
    (staff at the box office may sell one alone)."""
    seats = context.seats_by_id
    if not any(seats[i].kind == SeatKind.COMPANION for i in seat_ids):
        return
    release = accessibility.showtime_release_at(context.showtime)
    if now >= release or is_staff_member(user):
        return
    lone = accessibility.lone_companions(seat_ids, context.layout)
    if lone:
        raise errors.BookingError(
            "A companion seat is sold together with the wheelchair space beside it until "
            "shortly before the show.",
            code=BookingErrorCode.COMPANION_REQUIRES_WHEELCHAIR,
            details={
                "seat_ids": lone,
                "held_back_until": api_datetime(release),
            },
        )


def _hold_accessible(
    *,
    user: User,
    context: ShowtimeContext,
    quantity: int,
    now,
    channel=SalesChannel.ONLINE,
    voucher_code=None,
    ticket_counts: Mapping[str, int] | None = None,
) -> HeldBooking:
    """The best free wheelchair space, with a free companion seat beside it for two."""
    if quantity > 2:
        raise errors.BookingError(
            "An accessible booking is one wheelchair space, or one with its companion seat.",
            code=BookingErrorCode.ACCESSIBLE_QUANTITY,
            details={"max_seats": 2},
        )
    taken = active_seat_ids(showtime_id=context.showtime.pk, now=now)
    attempts = 0
    while attempts < BEST_AVAILABLE_ATTEMPTS:
        candidates = accessibility.accessible_pairs(
            layout=context.layout, taken=taken, companions=quantity - 1
        )
        if not candidates:
            raise errors.BookingError(
                "No wheelchair space is free"
                + (" with a companion seat beside it." if quantity == 2 else "."),
                code=BookingErrorCode.NO_ACCESSIBLE_SEATS,
            )
        for candidate in candidates[: BEST_AVAILABLE_ATTEMPTS - attempts]:
            attempts += 1
            try:
                return _insert_hold(
                    user=user,
                    context=context,
                    seat_ids=sorted(candidate),
                    now=now,
                    precheck=False,
                    channel=channel,
                    ticket_types=_types_for_seats(context, candidate, ticket_counts),
                    voucher_code=voucher_code,
                )
            except errors.SeatsUnavailable as conflict:
                taken |= set(conflict.seat_ids) or set(candidate)
    raise errors.SeatsBusy()


def _hold_best_available(
    *,
    user: User,
    context,
    quantity,
    tier,
    allow_split,
    now,
    channel=SalesChannel.ONLINE,
    voucher_code=None,
    ticket_counts: Mapping[str, int] | None = None,
) -> HeldBooking:
    """Adjacent seats near the sweet spot, of the tier asked for; without a tier, in the
    cheapest tier (by this showtime's prices) that has room, then the next cheapest."""
    layout = context.layout
    # Without a tier, the cheapest first: the order of prices, not of tier names.
    prices = None if tier is not None else context.prices
    taken = active_seat_ids(showtime_id=context.showtime.pk, now=now)
    # Released wheelchair spaces and companion seats are seats like any other.
    released = now >= accessibility.showtime_release_at(context.showtime)
    attempts = 0
    while attempts < BEST_AVAILABLE_ATTEMPTS:
        limit = BEST_AVAILABLE_ATTEMPTS - attempts
        if prices is None:
            candidates = best_available_seats(
                layout=layout,
                taken=taken,
                quantity=quantity,
                tier=tier,
                limit=limit,
                include_accessible=released,
            )
        else:
            candidates = cheapest_best_available_seats(
                layout=layout,
                taken=taken,
                quantity=quantity,
                prices=prices,
                limit=limit,
                include_accessible=released,
            )
        if not candidates and allow_split:
            scattered = best_scattered_seats(
                layout=layout,
                taken=taken,
                quantity=quantity,
                tier=tier,
                prices=prices,
                include_accessible=released,
            )
            candidates = [scattered] if scattered else []
        if not candidates:
            free = best_scattered_seats(
                layout=layout,
                taken=taken,
                quantity=quantity,
                tier=tier,
                include_accessible=released,
            )
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
                    channel=channel,
                    ticket_types=_types_for_seats(context, candidate, ticket_counts),
                    voucher_code=voucher_code,
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
        if (
            Showtime.objects.filter(pk=booking.showtime_id).values_list("status", flat=True).first()
            != ShowtimeStatus.SCHEDULED
        ):
            # The hold raced the showtime's cancellation (it read the showtime as scheduled
            # before the cancellation committed): it is never sold; the caller refunds.
            _cancel_for_cancelled_showtime(booking, actor=actor)
            return ConfirmOutcome.NOT_CONFIRMABLE
        if previous == BookingStatus.EXPIRED and not vouchers.voucher_retake(booking=booking):
            # Paid after the sweeper gave its voucher back, and the voucher is used up since:
            # not sold at that price; the caller refunds.
            _event(
                booking,
                from_status=previous,
                to_status=previous,
                actor=actor,
                reason="payment arrived after the voucher was used up",
            ).save()
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
                freed = _active_seat_ids_of([booking.pk])
                Ticket.objects.filter(booking=booking, status=TicketStatus.HELD).update(
                    status=TicketStatus.EXPIRED
                )
                availability.seats_changed(booking.showtime_id, dict.fromkeys(freed, AVAILABLE))
            vouchers.vouchers_release(booking_ids=[booking.pk], now=now)
            _event(
                booking,
                from_status=previous,
                to_status=booking.status,
                actor=actor,
                reason="payment arrived after the seats were resold",
            ).save()
            logger.warning("late payment lost its seats", extra={"booking": str(booking.public_id)})
            return ConfirmOutcome.SEATS_LOST
        availability.seats_changed(booking.showtime_id, dict.fromkeys(seat_ids, SOLD))
        _move(booking, BookingStatus.CONFIRMED, actor=actor)
        booking_confirmed.send(sender=Booking, booking=booking, actor=actor)
    logger.info("booking confirmed", extra={"booking": str(booking.public_id)})
    return ConfirmOutcome.CONFIRMED


def _active_seat_ids_of(booking_ids: list[int]) -> list[int]:
    """The seats these bookings' tickets hold or sold: free on the map once they let go."""
    return list(
        Ticket.objects.filter(
            booking_id__in=booking_ids, status__in=ACTIVE_TICKET_STATUSES
        ).values_list("seat_id", flat=True)
    )


def _cancel_for_cancelled_showtime(booking: Booking, *, actor: User | None) -> None:
    freed = _active_seat_ids_of([booking.pk])
    availability.seats_changed(booking.showtime_id, dict.fromkeys(freed, AVAILABLE))
    Ticket.objects.filter(
        booking=booking, status__in=[TicketStatus.HELD, TicketStatus.EXPIRED]
    ).update(status=TicketStatus.CANCELLED)
    _move(booking, BookingStatus.CANCELLED, actor=actor, reason="showtime cancelled")
    logger.warning("payment for a cancelled showtime", extra={"booking": str(booking.public_id)})


def cancellation_cutoff(starts_at: datetime) -> datetime:
    """The last moment a buyer may cancel a paid booking themselves (staff may go later)."""
    return starts_at - timedelta(minutes=settings.BOOKING_CANCELLATION_CUTOFF_MINUTES)


def cancellation_refund_reason(booking: Booking, actor) -> RefundReason:
    """Why a whole booking's money goes back when `actor` cancels it: its buyer (an online
    booking cancelled by its own account), the box office (a till's sale), or staff."""
    if not is_staff_member(actor) or (
        booking.channel == SalesChannel.ONLINE and actor.pk == booking.user_id
    ):
        return RefundReason.CUSTOMER_CANCELLED
    if booking.channel == SalesChannel.BOX_OFFICE:
        return RefundReason.BOX_OFFICE
    return RefundReason.STAFF_CANCELLED


def booking_cancel(
    *,
    booking: Booking,
    actor: User,
    now: datetime | None = None,
    reason: str = "",
    refund_reason: RefundReason | None = None,
):
    """Cancel a held booking any time, a confirmed one until the cutoff (staff may override).

    A paid booking is refunded for `refund_reason` (default: `cancellation_refund_reason`)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        showtime = Showtime.objects.get(pk=booking.showtime_id)
        _check_cancellable(booking, showtime, actor=actor, now=now)
        freed = _active_seat_ids_of([booking.pk])
        if booking.status == BookingStatus.CONFIRMED and not freed:
            raise errors.BookingError(
                "Every ticket of this booking was given back already; the refund policy "
                "settled each of them.",
                code=BookingErrorCode.BOOKING_NOT_CANCELLABLE,
            )
        availability.seats_changed(showtime.pk, dict.fromkeys(freed, AVAILABLE))
        Ticket.objects.filter(
            booking=booking, status__in=[TicketStatus.HELD, TicketStatus.SOLD]
        ).update(status=TicketStatus.CANCELLED)
        vouchers.vouchers_release(booking_ids=[booking.pk], now=now)
        previous = _move(booking, BookingStatus.CANCELLED, actor=actor, reason=reason)
        booking_cancelled.send(
            sender=Booking,
            booking=booking,
            previous_status=previous,
            actor=actor,
            reason=reason,
            refund_reason=refund_reason or cancellation_refund_reason(booking, actor),
        )
    logger.info("booking cancelled", extra={"booking": str(booking.public_id)})
    booking.showtime = showtime
    return booking


@dataclass
class RefundQuote:
    """What giving back some tickets of a booking does: which, how much goes back, and why."""

    booking: Booking
    tickets: list[Ticket]
    # Every ticket still active: a held booking is then released whole; a paid one's tickets
    # are refunded by the policy all the same (and the booking stays confirmed, with none).
    whole_booking: bool
    paid: bool
    percent: Decimal
    overridden: bool
    currency: str
    refunds: dict[int, Decimal] = field(default_factory=dict)  # ticket id -> amount back

    @property
    def amount(self) -> Decimal:
        return sum(self.refunds.values(), Decimal(0))


def _tickets_to_give_back(booking: Booking, ticket_ids: Sequence[int]) -> tuple[list, bool]:
    """The booking's active tickets named in `ticket_ids`, and whether they are all of them."""
    ids = list(ticket_ids)
    if not ids:
        raise errors.BookingError(
            "Name at least one ticket.", code=BookingErrorCode.NO_TICKETS_REQUESTED
        )
    if len(set(ids)) != len(ids):
        raise errors.BookingError(
            "A ticket is listed more than once.",
            code=BookingErrorCode.DUPLICATE_TICKETS,
            details={"ticket_ids": sorted({i for i in ids if ids.count(i) > 1})},
        )
    tickets = {t.pk: t for t in Ticket.objects.filter(booking=booking).select_related("seat")}
    foreign = sorted(set(ids) - tickets.keys())
    if foreign:
        raise errors.BookingError(
            "These tickets are not in this booking.",
            code=BookingErrorCode.TICKETS_NOT_IN_BOOKING,
            details={"ticket_ids": foreign},
        )
    active = {pk for pk, t in tickets.items() if t.status in (TicketStatus.HELD, TicketStatus.SOLD)}
    gone = sorted(set(ids) - active)
    if gone:
        raise errors.BookingError(
            "These tickets were given back already.",
            code=BookingErrorCode.TICKETS_NOT_ACTIVE,
            details={"ticket_ids": gone},
        )
    return [tickets[pk] for pk in sorted(ids)], set(ids) == active


def _check_cancellable(booking: Booking, showtime: Showtime, *, actor, now: datetime) -> None:
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


def _check_companions_kept_with_wheelchair(booking, showtime, given, *, actor, now) -> None:
    """Until the release, giving back a wheelchair space must not leave its companion seat
    alone in the booking (give both back, or neither); staff may."""
    context = showtime_context(showtime.pk)
    release = accessibility.showtime_release_at(context.showtime)
    if is_staff_member(actor) or now >= release:
        return
    given_seats = {t.seat_id for t in given}
    kept_seats = (
        set(
            Ticket.objects.filter(
                booking=booking, status__in=[TicketStatus.HELD, TicketStatus.SOLD]
            ).values_list("seat_id", flat=True)
        )
        - given_seats
    )
    partners = accessibility.wheelchair_partners(context.layout)
    lone = sorted(
        seat_id
        for seat_id in kept_seats
        if partners.get(seat_id)
        and partners[seat_id] & given_seats
        and not partners[seat_id] & kept_seats
    )
    if lone:
        raise errors.BookingError(
            "A companion seat stays with its wheelchair space: give both back, or neither.",
            code=BookingErrorCode.COMPANION_REQUIRES_WHEELCHAIR,
            details={
                "seat_ids": lone,
                "held_back_until": api_datetime(release),
            },
        )


def _quote(
    booking: Booking,
    showtime: Showtime,
    *,
    ticket_ids: Sequence[int],
    actor,
    now: datetime,
    refund_percent: Decimal | None,
    reason: str,
) -> RefundQuote:
    _check_cancellable(booking, showtime, actor=actor, now=now)
    tickets, whole = _tickets_to_give_back(booking, ticket_ids)
    if not whole:
        _check_companions_kept_with_wheelchair(booking, showtime, tickets, actor=actor, now=now)
    paid = booking.status == BookingStatus.CONFIRMED
    if refund_percent is not None:
        if not is_staff_member(actor):
            raise errors.BookingError(
                "Only staff may override the refund policy.",
                code=BookingErrorCode.REFUND_OVERRIDE_NOT_ALLOWED,
            )
        if not reason.strip():
            raise errors.BookingError(
                "Say why the refund policy is overridden.",
                code=BookingErrorCode.REFUND_OVERRIDE_NEEDS_REASON,
            )
        if not paid:
            raise errors.BookingError(
                "Only tickets of a paid booking have a refund policy to override.",
                code=BookingErrorCode.REFUND_OVERRIDE_NOT_APPLICABLE,
            )
    # Tickets named by id follow the policy whichever they are, every remaining one included:
    # only `booking_cancel` (no list) gives a paid booking back in full.
    if not paid:
        percent = Decimal(0)
    elif refund_percent is not None:
        percent = Decimal(refund_percent)
    else:
        steps = refund_policy.policy_for(showtime.screen.theater_id)
        percent = Decimal(
            refund_policy.refund_percent(steps=steps, starts_at=showtime.starts_at, now=now)
        )
    # A voucher's discount is apportioned over every ticket the booking was paid for.
    shares = refund_policy.discount_shares(
        prices=dict(booking.tickets.values_list("pk", "price")) if booking.discount else {},
        discount=booking.discount,
        currency=booking.currency,
    )
    refunds = {
        t.pk: refund_policy.ticket_refund(
            price=t.price - shares.get(t.pk, Decimal(0)),
            percent=percent,
            currency=booking.currency,
        )
        if paid
        else Decimal(0)
        for t in tickets
    }
    # The payment provider may refund only whole multiples of a unit in this currency
    # (Stripe: hundredths of KWD, BHD, JOD, OMR, TND): then less, never more, goes back.
    unit = hooks.refund_unit(booking=booking) if paid else None
    if unit is not None:
        refunds = refund_policy.refunds_rounded_down(refunds, unit=unit)
    return RefundQuote(
        booking=booking,
        tickets=tickets,
        whole_booking=whole,
        paid=paid,
        percent=percent,
        overridden=refund_percent is not None,
        currency=booking.currency,
        refunds=refunds,
    )


def booking_refund_quote(
    *,
    booking: Booking,
    ticket_ids: Sequence[int],
    actor,
    now: datetime | None = None,
    refund_percent: Decimal | None = None,
    reason: str = "",
) -> RefundQuote:
    """What `booking_cancel_tickets` would do now, without doing it (the page's preview)."""
    now = now or timezone.now()
    booking = Booking.objects.get(pk=booking.pk)
    showtime = Showtime.objects.select_related("screen").get(pk=booking.showtime_id)
    return _quote(
        booking,
        showtime,
        ticket_ids=ticket_ids,
        actor=actor,
        now=now,
        refund_percent=refund_percent,
        reason=reason,
    )


def booking_cancel_tickets(
    *,
    booking: Booking,
    ticket_ids: Sequence[int],
    actor,
    now: datetime | None = None,
    refund_percent: Decimal | None = None,
    reason: str = "",
) -> RefundQuote:
    """Give back some tickets of a held or paid booking; their seats are free at once.

    A paid booking's tickets are refunded by the theater's policy (staff may override it with
    a reason) through the payments receiver of `tickets_cancelled`; a held booking's tickets
    are released and its total shrinks. Naming every remaining ticket of a held booking
    cancels it whole; of a paid booking, the policy refunds each of them like any other list
    (the booking stays confirmed, settled ticket by ticket; only `booking_cancel` refunds it
    in full).
    """
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        showtime = Showtime.objects.select_related("screen").get(pk=booking.showtime_id)
        quote = _quote(
            booking,
            showtime,
            ticket_ids=ticket_ids,
            actor=actor,
            now=now,
            refund_percent=refund_percent,
            reason=reason,
        )
        if quote.whole_booking and not quote.paid:
            booking_cancel(booking=booking, actor=actor, now=now, reason=reason)
            return quote
        availability.seats_changed(showtime.pk, {t.seat_id: AVAILABLE for t in quote.tickets})
        ids = [t.pk for t in quote.tickets]
        seats = ", ".join(f"{t.seat.row_label}{t.seat.number}" for t in quote.tickets)
        if not quote.paid:
            # Nothing was paid: the released seats simply leave the hold, and its total.
            released = sum((t.price for t in quote.tickets), Decimal(0))
            Ticket.objects.filter(pk__in=ids).delete()
            booking.total -= released
            booking.save(update_fields=["total", "updated_at"])
            _event(
                booking,
                from_status=booking.status,
                to_status=booking.status,
                actor=actor,
                reason=f"seats released: {seats}",
            ).save()
        else:
            cancellation = TicketCancellation.objects.create(
                booking=booking,
                actor=actor if actor is not None and actor.is_authenticated else None,
                percent=quote.percent,
                refund_amount=quote.amount,
                currency=booking.currency,
                overridden=quote.overridden,
                reason=reason[:200],
            )
            for ticket in quote.tickets:
                Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.SOLD).update(
                    status=TicketStatus.CANCELLED,
                    cancellation=cancellation,
                    refund_amount=quote.refunds[ticket.pk],
                )
            why = f"; {reason}" if reason.strip() else ""
            _event(
                booking,
                from_status=booking.status,
                to_status=booking.status,
                actor=actor,
                reason=f"tickets given back: {seats}; "
                f"{money_text(quote.amount, booking.currency)} {booking.currency} refunded "
                f"({quote.percent.normalize():f}%){why}",
            ).save()
            tickets_cancelled.send(
                sender=Booking,
                booking=booking,
                cancellation=cancellation,
                actor=actor,
                refund_reason=RefundReason.STAFF_OVERRIDE
                if quote.overridden
                else RefundReason.TICKETS_RETURNED,
            )
    logger.info(
        "tickets given back",
        extra={"booking": str(booking.public_id), "tickets": ids, "refund": str(quote.amount)},
    )
    return quote


def _still_owed_back_q() -> Q:
    """A confirmed booking the cinema owes money back if its show is off: it has an active
    ticket, or the policy kept part of what its given-back tickets cost (the booking's total
    is more than their refunds: a voucher's share of them was never paid, so it is not kept)."""
    active = Ticket.objects.filter(booking_id=OuterRef("pk"), status__in=ACTIVE_TICKET_STATUSES)
    total_field = Booking._meta.get_field("total")
    money: DecimalField = DecimalField(
        max_digits=total_field.max_digits, decimal_places=total_field.decimal_places
    )
    refunded = (
        Ticket.objects.filter(booking_id=OuterRef("pk"), cancellation__isnull=False)
        .order_by()
        .values("booking_id")
        .annotate(sum=Sum("refund_amount"))
        .values("sum")
    )
    # Rounded to the money columns' places: SQLite adds decimals as binary floats.
    given_back_refunds = Round(
        Coalesce(Subquery(refunded), Value(Decimal(0)), output_field=money),
        total_field.decimal_places,
    )
    return Exists(active) | Q(total__gt=given_back_refunds)


def bookings_cancel_for_showtime(*, showtime: Showtime, actor: User | None = None) -> int:
    """A cancelled showtime takes every held and confirmed booking with it, and every cent
    paid goes back (payments' `showtime_cancelled` refund): a booking whose every ticket was
    given back by list is cancelled too when the policy kept part of their price. Only a
    booking the policy gave back in full stays as it was (nothing is owed)."""
    owed_q = Q(status=BookingStatus.PENDING) | Q(status=BookingStatus.CONFIRMED) & (
        _still_owed_back_q()
    )
    with transaction.atomic():
        bookings = list(
            Booking.objects.select_for_update()
            .filter(showtime=showtime)
            .filter(owed_q)
            .order_by("pk")
        )
        if bookings:
            # On PostgreSQL the locking read waits for a booking whose tickets are being given
            # back, then judges its tickets from the statement's older snapshot: ask again, in
            # a new statement, which of them are still owed (locking, so MySQL reads the latest
            # committed tickets too).
            owed = set(
                Booking.objects.select_for_update()
                .filter(pk__in=[b.pk for b in bookings])
                .filter(owed_q)
                .values_list("pk", flat=True)
            )
            bookings = [b for b in bookings if b.pk in owed]
        if not bookings:
            return 0
        ids = [b.pk for b in bookings]
        availability.seats_changed(showtime.pk, dict.fromkeys(_active_seat_ids_of(ids), AVAILABLE))
        Ticket.objects.filter(
            booking_id__in=ids, status__in=[TicketStatus.HELD, TicketStatus.SOLD]
        ).update(status=TicketStatus.CANCELLED)
        Booking.objects.filter(pk__in=ids).update(
            status=BookingStatus.CANCELLED, updated_at=timezone.now()
        )
        vouchers.vouchers_release(booking_ids=ids)
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
                refund_reason=RefundReason.SHOWTIME_CANCELLED,
            )
    for booking in bookings:
        logger.info(
            "booking cancelled",
            extra={"booking": str(booking.public_id), "reason": "showtime cancelled"},
        )
    logger.info("showtime cancelled", extra={"showtime": showtime.pk, "bookings": len(ids)})
    return len(ids)


def bookings_expire(
    *, now: datetime | None = None, batch_size: int = 500, showtime_id: int | None = None
) -> int:
    """Mark lapsed holds expired in bulk (of one showtime, or all). Safe to run any time, twice,
    or concurrently."""
    now = now or timezone.now()
    expired = 0
    lapsed = Booking.objects.filter(status=BookingStatus.PENDING, expires_at__lte=now)
    if showtime_id is not None:
        lapsed = lapsed.filter(showtime_id=showtime_id)
    while True:
        with transaction.atomic():
            rows = list(
                lapsed.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", "public_id")[:batch_size]
            )
            if not rows:
                return expired
            batch = [pk for pk, _ in rows]
            freed: dict[int, dict[int, str]] = {}
            for showtime_id, seat_id in Ticket.objects.filter(
                booking_id__in=batch, status=TicketStatus.HELD
            ).values_list("showtime_id", "seat_id"):
                freed.setdefault(showtime_id, {})[seat_id] = AVAILABLE
            for showtime_id, seats in freed.items():
                availability.seats_changed(showtime_id, seats)
            Booking.objects.filter(pk__in=batch).update(
                status=BookingStatus.EXPIRED, updated_at=now
            )
            Ticket.objects.filter(booking_id__in=batch, status=TicketStatus.HELD).update(
                status=TicketStatus.EXPIRED
            )
            vouchers.vouchers_release(booking_ids=batch, now=now)
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


def _voucher_quote_for(booking: Booking, code: str, now: datetime):
    """The voucher's quote for a held booking's tickets, or why the booking takes none."""
    if booking.status != BookingStatus.PENDING or booking.expires_at <= now:
        raise errors.BookingError(
            "Only a held booking that is not paid yet takes a voucher.",
            code=BookingErrorCode.BOOKING_NOT_PENDING,
        )
    if booking.voucher_code:
        raise errors.BookingError(
            "This booking already has a voucher.",
            code=BookingErrorCode.VOUCHER_ALREADY_APPLIED,
        )
    showtime = Showtime.objects.select_related("screen").get(pk=booking.showtime_id)
    tickets = list(
        booking.tickets.filter(status=TicketStatus.HELD).values_list("ticket_type", "price")
    )
    quote = vouchers.voucher_quote(code=code, showtime=showtime, tickets=tickets, now=now)
    return quote, tickets


def booking_voucher_check(*, booking: Booking, code: str, now: datetime | None = None) -> Decimal:
    """The total a held booking would have with this voucher, or the coded refusal
    `booking_voucher_apply` would give (but the limits, checked where they hold); changes
    nothing. Payments asks it before letting go of a payment started for the old total."""
    booking = Booking.objects.get(pk=booking.pk)
    quote, tickets = _voucher_quote_for(booking, code, now or timezone.now())
    return sum((price for _, price in tickets), Decimal(0)) - quote.discount


def booking_voucher_apply(
    *, booking: Booking, code: str, actor, now: datetime | None = None
) -> Booking:
    """Apply a promo code to a held booking before it is paid (one voucher per booking)."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock_holds_of(booking.user)  # the account row first, as a hold takes it
        booking = Booking.objects.select_for_update().get(pk=booking.pk)
        quote, tickets = _voucher_quote_for(booking, code, now)
        if booking.payments.filter(status="pending").exists():
            # A payment was started for the old total: the customer pays that, or cancels
            # it first (`payments.services.payment_voucher_apply` does, for a Stripe intent).
            raise errors.BookingError(
                "A payment for this booking is under way; a voucher can no longer be added.",
                code=BookingErrorCode.PAYMENT_IN_PROGRESS,
            )
        vouchers.voucher_redeem(quote=quote, booking=booking, user=booking.user)
        booking.discount = quote.discount
        booking.total = sum((price for _, price in tickets), Decimal(0)) - quote.discount
        booking.voucher_code = quote.voucher.code
        booking.save(update_fields=["discount", "total", "voucher_code", "updated_at"])
    logger.info(
        "voucher applied",
        extra={"booking": str(booking.public_id), "voucher": booking.voucher_code},
    )
    return booking


def booking_mark_refunded(
    *, booking_id: int, actor: User | None = None, reason: str = ""
) -> Booking:
    """A refund went through: the booking and its tickets read `refunded` (seats stay free)."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(pk=booking_id)
        if booking.status == BookingStatus.REFUNDED:
            return booking
        freed = _active_seat_ids_of([booking.pk])
        availability.seats_changed(booking.showtime_id, dict.fromkeys(freed, AVAILABLE))
        Ticket.objects.filter(booking=booking).exclude(status=TicketStatus.EXPIRED).update(
            status=TicketStatus.REFUNDED
        )
        vouchers.vouchers_release(booking_ids=[booking.pk])
        _move(booking, BookingStatus.REFUNDED, actor=actor, reason=reason)
    logger.info("booking refunded", extra={"booking": str(booking.public_id)})
    return booking
