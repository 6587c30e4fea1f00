"""The invariants of seats and money, checked by the database: each check is one SQL query
that returns the ids of the rows breaking its promise (none on a healthy database).

Constraints make most of these impossible on PostgreSQL and SQLite; the checks are there for
what a constraint cannot say (sums, states across tables), for databases that cannot express
a partial unique index, and for rows written past the services (the shell, a bad migration).
Run by `manage.py reconcile`, by beat (`marquee.payments.tasks.reconcile`), and by the test
suite after every concurrency test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from marquee.booking.models import (
    ACTIVE_TICKET_STATUSES,
    Booking,
    BookingStatus,
    RefundReason,
    Ticket,
    TicketCancellation,
    TicketStatus,
    Voucher,
    VoucherRedemption,
)
from marquee.catalog.models import ShowtimeStatus
from marquee.payments.models import Payment, PaymentStatus, Refund, RefundKind

# A report names at most this many rows per check; a systematic breach is clear long before.
DEFAULT_LIMIT = 1000
# A capture is settled in the request that took it; one unsettled for longer lost its request.
UNSETTLED_CAPTURE_GRACE = timedelta(minutes=15)


def _ids(queryset: QuerySet, limit: int | None) -> list[int]:
    ids = queryset.order_by("pk").values_list("pk", flat=True)
    return list(ids if limit is None else ids[:limit])


def seats_in_two_active_tickets(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Tickets whose seat is held or sold by another ticket of the same showtime as well."""
    same_seat = Ticket.objects.filter(
        showtime_id=OuterRef("showtime_id"),
        seat_id=OuterRef("seat_id"),
        status__in=ACTIVE_TICKET_STATUSES,
    ).exclude(pk=OuterRef("pk"))
    return _ids(
        Ticket.objects.filter(status__in=ACTIVE_TICKET_STATUSES).filter(Exists(same_seat)), limit
    )


def bookings_not_totalling_their_tickets(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Bookings whose total is not the sum of their tickets' prices less their discount."""
    total_field = Booking._meta.get_field("total")
    money = DecimalField(
        max_digits=total_field.max_digits, decimal_places=total_field.decimal_places
    )
    ticket_sum = (
        Ticket.objects.filter(booking_id=OuterRef("pk"))
        .order_by()
        .values("booking_id")
        .annotate(sum=Sum("price"))
        .values("sum")
    )
    # Rounded to the field's places on both sides: SQLite adds decimals as binary floats.
    places = total_field.decimal_places
    return _ids(
        Booking.objects.annotate(
            tickets_sum=Round(
                Coalesce(Subquery(ticket_sum), Value(Decimal(0)), output_field=money), places
            ),
            rounded_total=Round(F("total") + F("discount"), places, output_field=money),
        ).exclude(rounded_total=F("tickets_sum")),
        limit,
    )


def tickets_disagreeing_with_their_booking(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Held tickets of a booking that is not pending, sold tickets of one that is not
    confirmed, and tickets of a confirmed booking that are neither sold nor given back."""
    return _ids(
        Ticket.objects.filter(
            Q(status=TicketStatus.HELD) & ~Q(booking__status=BookingStatus.PENDING)
            | Q(status=TicketStatus.SOLD) & ~Q(booking__status=BookingStatus.CONFIRMED)
            | ~Q(status=TicketStatus.SOLD)
            & Q(booking__status=BookingStatus.CONFIRMED)
            # Given back out of a confirmed booking: cancelled, with its cancellation.
            & ~Q(status=TicketStatus.CANCELLED, cancellation__isnull=False)
        ),
        limit,
    )


def confirmed_bookings_without_one_payment(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Confirmed bookings with no succeeded payment, or with more than one."""
    succeeded = (
        Payment.objects.filter(booking_id=OuterRef("pk"), status=PaymentStatus.SUCCEEDED)
        .order_by()
        .values("booking_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return _ids(
        Booking.objects.filter(status=BookingStatus.CONFIRMED)
        .annotate(succeeded=Coalesce(Subquery(succeeded), Value(0), output_field=IntegerField()))
        .exclude(succeeded=1),
        limit,
    )


def kept_payments_not_the_booking_total(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Succeeded payments of confirmed bookings that did not collect the booking's total."""
    return _ids(
        Payment.objects.filter(
            status=PaymentStatus.SUCCEEDED, booking__status=BookingStatus.CONFIRMED
        ).filter(~Q(amount=F("booking__total")) | ~Q(currency=F("booking__currency"))),
        limit,
    )


def captured_payments_neither_kept_nor_refunded(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Captured payments without a refund that are not what a confirmed booking stands on:
    a succeeded payment of a booking that is not confirmed, a duplicate capture, or a capture
    still unsettled after `UNSETTLED_CAPTURE_GRACE` (settling takes a moment in the request)."""
    refund = Refund.objects.filter(payment_id=OuterRef("pk"), kind=RefundKind.FULL)
    stuck = timezone.now() - UNSETTLED_CAPTURE_GRACE
    return _ids(
        Payment.objects.filter(
            Q(status=PaymentStatus.DUPLICATE)
            | Q(status=PaymentStatus.SUCCEEDED) & ~Q(booking__status=BookingStatus.CONFIRMED)
            | Q(status=PaymentStatus.CAPTURED, created_at__lte=stuck)
        ).exclude(Exists(refund)),
        limit,
    )


def kept_payments_refunded(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Succeeded payments of confirmed bookings that are being (or were) refunded: the money
    goes back while the seats stay sold. (Refunds for tickets given back are partial.)"""
    refund = Refund.objects.filter(payment_id=OuterRef("pk"), kind=RefundKind.FULL)
    return _ids(
        Payment.objects.filter(
            status=PaymentStatus.SUCCEEDED, booking__status=BookingStatus.CONFIRMED
        ).filter(Exists(refund)),
        limit,
    )


def vouchers_miscounted(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Vouchers whose count of uses is not the number of their live redemptions."""
    live = (
        VoucherRedemption.objects.filter(voucher_id=OuterRef("pk"), released_at__isnull=True)
        .order_by()
        .values("voucher_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return _ids(
        Voucher.objects.annotate(
            live=Coalesce(Subquery(live), Value(0), output_field=IntegerField())
        ).exclude(redeemed=F("live")),
        limit,
    )


def _money_field(model, name: str) -> DecimalField:
    source = model._meta.get_field(name)
    return DecimalField(max_digits=source.max_digits, decimal_places=source.decimal_places)


def _rounded_sum(queryset: QuerySet, column: str, *, by: str, output: DecimalField) -> Round:
    """The sum of `column` over `queryset` (tied to the outer row through the column `by`), 0
    when empty, rounded to the money columns' places (SQLite adds decimals as binary floats)."""
    summed = queryset.order_by().values(by).annotate(sum=Sum(column)).values("sum")
    return Round(
        Coalesce(Subquery(summed), Value(Decimal(0)), output_field=output),
        output.decimal_places,
    )


def payments_refunded_beyond_captured(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Payments whose refunds (full and partial, whatever their state) add up to more than
    they collected."""
    money = _money_field(Payment, "amount")
    refunds = Refund.objects.filter(payment_id=OuterRef("pk"))
    return _ids(
        Payment.objects.annotate(
            refunded=_rounded_sum(refunds, "amount", by="payment_id", output=money),
            paid=Round(F("amount"), money.decimal_places, output_field=money),
        ).filter(refunded__gt=F("paid")),
        limit,
    )


def redemptions_of_bookings_gone(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Live voucher redemptions of bookings that were cancelled, expired or refunded."""
    return _ids(
        VoucherRedemption.objects.filter(released_at__isnull=True).exclude(
            booking__status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED]
        ),
        limit,
    )


def kept_payments_not_accounted_by_tickets(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Payments a confirmed booking stands on where what was paid is not the active tickets'
    prices + the partial refunds asked for + what the policy kept of the tickets given back,
    less the booking's voucher discount."""
    money = _money_field(Payment, "amount")
    tickets = Ticket.objects.filter(booking_id=OuterRef("booking_id"))
    active = tickets.filter(status=TicketStatus.SOLD)
    given_back = tickets.filter(cancellation__isnull=False).annotate(
        kept=F("price") - F("refund_amount")
    )
    partial = Refund.objects.filter(payment_id=OuterRef("pk"), kind=RefundKind.PARTIAL)
    return _ids(
        Payment.objects.filter(
            status=PaymentStatus.SUCCEEDED, booking__status=BookingStatus.CONFIRMED
        )
        .annotate(
            active=_rounded_sum(active, "price", by="booking_id", output=money),
            refunded=_rounded_sum(partial, "amount", by="payment_id", output=money),
            kept=_rounded_sum(given_back, "kept", by="booking_id", output=money),
            paid=Round(F("amount"), money.decimal_places, output_field=money),
        )
        # The sum rounded again: SQLite adds the three as binary floats.
        .annotate(
            accounted=Round(
                F("active") + F("refunded") + F("kept") - F("booking__discount"),
                money.decimal_places,
                output_field=money,
            )
        )
        .exclude(paid=F("accounted")),
        limit,
    )


def cancelled_showtime_payments_not_refunded_whole(
    *, limit: int | None = DEFAULT_LIMIT
) -> list[int]:
    """Payments of bookings of a showtime the cinema cancelled whose refunds do not add up to
    what they collected: the show's refund (`showtime_cancelled`) left money behind, or a
    booking of the show is still confirmed while the refund policy keeps part of its payment.
    (A booking its buyer cancelled before the show was called off was settled by their own
    cancellation, and is not looked at.)"""
    money = _money_field(Payment, "amount")
    refunds = Refund.objects.filter(payment_id=OuterRef("pk"))
    show_refund = refunds.filter(kind=RefundKind.FULL, reason_code=RefundReason.SHOWTIME_CANCELLED)
    return _ids(
        Payment.objects.filter(
            status__in=[PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED],
            booking__showtime__status=ShowtimeStatus.CANCELLED,
        )
        .filter(Exists(show_refund) | Q(booking__status=BookingStatus.CONFIRMED))
        .annotate(
            refunded=_rounded_sum(refunds, "amount", by="payment_id", output=money),
            paid=Round(F("amount"), money.decimal_places, output_field=money),
        )
        .exclude(refunded=F("paid")),
        limit,
    )


def cancellations_not_their_tickets_refunds(*, limit: int | None = DEFAULT_LIMIT) -> list[int]:
    """Partial cancellations whose refund is not the sum of their tickets' refunds, or that
    have no tickets."""
    money = _money_field(TicketCancellation, "refund_amount")
    tickets = Ticket.objects.filter(cancellation_id=OuterRef("pk"))
    return _ids(
        TicketCancellation.objects.annotate(
            tickets_refund=_rounded_sum(
                tickets, "refund_amount", by="cancellation_id", output=money
            ),
            rounded=Round(F("refund_amount"), money.decimal_places, output_field=money),
        ).filter(~Q(rounded=F("tickets_refund")) | ~Exists(tickets)),
        limit,
    )


@dataclass(frozen=True)
class Check:
    name: str
    promise: str
    rows: str  # what the ids are ids of
    find: Callable[..., list[int]] = field(repr=False)


CHECKS: tuple[Check, ...] = (
    Check(
        "seats_in_two_active_tickets",
        "no seat is held or sold twice for one showtime",
        "ticket",
        seats_in_two_active_tickets,
    ),
    Check(
        "bookings_not_totalling_their_tickets",
        "each booking's total is the sum of its tickets' prices less its voucher discount",
        "booking",
        bookings_not_totalling_their_tickets,
    ),
    Check(
        "tickets_disagreeing_with_their_booking",
        "held tickets belong to pending bookings, sold tickets to confirmed ones, and a "
        "confirmed booking's tickets are all sold",
        "ticket",
        tickets_disagreeing_with_their_booking,
    ),
    Check(
        "confirmed_bookings_without_one_payment",
        "each confirmed booking has exactly one succeeded payment",
        "booking",
        confirmed_bookings_without_one_payment,
    ),
    Check(
        "kept_payments_not_the_booking_total",
        "the payment a confirmed booking stands on collected its total, in its currency",
        "payment",
        kept_payments_not_the_booking_total,
    ),
    Check(
        "captured_payments_neither_kept_nor_refunded",
        "every captured payment is a confirmed booking's one payment or has a refund",
        "payment",
        captured_payments_neither_kept_nor_refunded,
    ),
    Check(
        "payments_refunded_beyond_captured",
        "the refunds of a payment never add up to more than it collected",
        "payment",
        payments_refunded_beyond_captured,
    ),
    Check(
        "kept_payments_not_accounted_by_tickets",
        "what a confirmed booking paid is its active tickets' prices + the partial refunds + "
        "what the refund policy kept of the tickets given back",
        "payment",
        kept_payments_not_accounted_by_tickets,
    ),
    Check(
        "cancelled_showtime_payments_not_refunded_whole",
        "when the cinema cancels a showtime, the payments its bookings stood on are refunded "
        "whole, what the refund policy kept of tickets given back included",
        "payment",
        cancelled_showtime_payments_not_refunded_whole,
    ),
    Check(
        "cancellations_not_their_tickets_refunds",
        "a partial cancellation refunds exactly its tickets' refunds",
        "cancellation",
        cancellations_not_their_tickets_refunds,
    ),
    Check(
        "kept_payments_refunded",
        "no refund is asked for the payment a confirmed booking stands on",
        "payment",
        kept_payments_refunded,
    ),
    Check(
        "vouchers_miscounted",
        "each voucher's count of uses is the number of its live redemptions",
        "voucher",
        vouchers_miscounted,
    ),
    Check(
        "redemptions_of_bookings_gone",
        "a cancelled, expired or refunded booking has given its voucher back",
        "voucher redemption",
        redemptions_of_bookings_gone,
    ),
)
CHECK_NAMES = tuple(check.name for check in CHECKS)


@dataclass(frozen=True)
class Breach:
    check: Check
    ids: list[int]

    def as_dict(self) -> dict:
        return {
            "check": self.check.name,
            "promise": self.check.promise,
            "rows": self.check.rows,
            "ids": self.ids,
        }

    def __str__(self) -> str:
        shown = ", ".join(str(i) for i in self.ids)
        return f"{self.check.name}: {self.check.promise}; breached by {self.check.rows} {shown}"


def reconcile(*, without: Iterable[str] = (), limit: int | None = DEFAULT_LIMIT) -> list[Breach]:
    """Run every check (but those named in `without`); the breached ones, in check order."""
    without = set(without)
    unknown = without - set(CHECK_NAMES)
    if unknown:
        raise ValueError(f"Unknown reconciliation checks: {sorted(unknown)}")
    breaches = []
    for check in CHECKS:
        if check.name in without:
            continue
        ids = check.find(limit=limit)
        if ids:
            breaches.append(Breach(check, ids))
    return breaches
