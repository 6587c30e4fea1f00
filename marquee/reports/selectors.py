"""Admin reads: sales and occupancy of the shows whose theater-local date is in a range.

Every number is aggregated by the database (GROUP BY with COUNT and SUM); Python only merges
and totals the handful of aggregate rows, so the number of queries and the work done here do
not grow with the number of bookings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from marquee.booking.models import (
    Booking,
    BookingStatus,
    RefundReason,
    SalesChannel,
    Ticket,
    TicketStatus,
)
from marquee.booking.selectors import ticket_status_q
from marquee.catalog.models import Seat, Showtime, ShowtimeStatus, Theater
from marquee.common.errors import CommonErrorCode, DomainError, field_errors
from marquee.common.money import quantize
from marquee.payments.error_codes import PaymentErrorCode
from marquee.payments.models import (
    CAPTURED_PAYMENT_STATUSES,
    Payment,
    PaymentStatus,
    Refund,
    RefundKind,
    RefundStatus,
    Till,
)
from marquee.reports.error_codes import ReportErrorCode

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30  # back from `to` when only `to` is given; back from today otherwise
DEFAULT_DAYS_AHEAD = 7  # the default `to`: the coming week's shows (and their advance sales)
TENTH = Decimal("0.1")
ZERO = Decimal("0.00")

# The columns that name a group, per `group_by`; the first one is the group's identity.
SALES_GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "day": ("date",),
    "movie": ("movie_id", "movie"),
    "theater": ("theater_id", "theater", "timezone"),
    "showtime": ("showtime_id", "starts_at", "local_starts_at", "movie", "theater", "screen"),
}
SALES_METRIC_COLUMNS = ("currency", "tickets_sold", "gross", "refunds", "net")
OCCUPANCY_COLUMNS = (
    "showtime_id",
    "starts_at",
    "local_starts_at",
    "movie_id",
    "movie",
    "theater_id",
    "theater",
    "screen",
    "capacity",
    "sold",
    "held",
    "occupancy_percent",
    # Added with the box office: last, so the columns before keep their places.
    "sold_online",
    "sold_box_office",
)


@dataclass(frozen=True)
class ReportPeriod:
    """An inclusive range of theater-local show dates."""

    start: date
    end: date


def report_period(
    *, start: date | None, end: date | None, today: date | None = None
) -> ReportPeriod:
    """Without dates, the last 30 days through the next 7 (today in UTC); `to` defaults to 7
    days after today, and `from` to 29 days before `to` if `to` is given, else before today.
    At most 366 days."""
    today = today or timezone.now().astimezone(UTC).date()
    if start is None:
        start = _shift(end or today, -(DEFAULT_RANGE_DAYS - 1))
    if end is None:
        end = _shift(today, DEFAULT_DAYS_AHEAD)
    span = {"from": start.isoformat(), "to": end.isoformat()}
    if start > end:
        raise DomainError(
            "`from` must be on or before `to`.", code=ReportErrorCode.INVALID_RANGE, details=span
        )
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise DomainError(
            f"A report covers at most {MAX_RANGE_DAYS} days.",
            code=ReportErrorCode.RANGE_TOO_LARGE,
            details={**span, "max_days": MAX_RANGE_DAYS},
        )
    return ReportPeriod(start=start, end=end)


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.min if days < 0 else date.max


def _path(prefix: str, field: str) -> str:
    return f"{prefix}__{field}" if prefix else field


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def _theater_timezones() -> list[str]:
    return sorted(Theater.objects.order_by().values_list("timezone", flat=True).distinct())


def _local_date(showtime: str, timezones: list[str]) -> Case:
    """The showtime's start as a date in its own theater's timezone, computed in SQL.

    Theaters differ in timezone, so one CASE branch per timezone in use converts each row
    with its own zone: still one query however many theaters and bookings there are.
    """
    starts_at = _path(showtime, "starts_at")
    return Case(
        *(
            When(
                **{_path(showtime, "screen__theater__timezone"): name},
                then=TruncDate(starts_at, tzinfo=_zone(name)),
            )
            for name in timezones
        ),
        default=TruncDate(starts_at, tzinfo=UTC),
        output_field=DateField(),
    )


def _in_period(queryset: QuerySet, *, showtime: str, period: ReportPeriod, timezones: list[str]):
    """Rows whose showtime's local date is in the period.

    Any timezone's local day lies within the UTC day before and the UTC day after it (offsets
    run from -12 to +14 hours), so a plain range on the indexed `starts_at` narrows the rows
    before the exact local-date test.
    """
    lowest = datetime.combine(_shift(period.start, -1), time.min, tzinfo=UTC)
    highest = datetime.combine(_shift(period.end, 2), time.min, tzinfo=UTC)
    starts_at = _path(showtime, "starts_at")
    return (
        queryset.filter(**{f"{starts_at}__gte": lowest, f"{starts_at}__lt": highest})
        .annotate(report_local_date=_local_date(showtime, timezones))
        .filter(report_local_date__gte=period.start, report_local_date__lte=period.end)
    )


def _group_expressions(group_by: str, showtime: str) -> dict[str, Any]:
    def field(name: str) -> F:
        return F(_path(showtime, name))

    if group_by == "day":
        return {"date": F("report_local_date")}
    if group_by == "movie":
        return {"movie_id": field("movie_id"), "movie": field("movie__title")}
    if group_by == "theater":
        return {
            "theater_id": field("screen__theater_id"),
            "theater": field("screen__theater__name"),
            "timezone": field("screen__theater__timezone"),
        }
    return {
        "showtime_id": field("id"),
        "starts_at": field("starts_at"),
        "timezone": field("screen__theater__timezone"),
        "movie": field("movie__title"),
        "theater": field("screen__theater__name"),
        "screen": field("screen__name"),
    }


# What each source table contributes: (model, path to the showtime, path to the currency,
# which rows count, the metric's name, its aggregate). The sales channel is the booking's,
# `booking__channel` (a refund's: `payment__booking__channel`).
_SALES_SOURCES = (
    (
        Ticket,
        "showtime",
        "booking__currency",
        Q(status=TicketStatus.SOLD),
        "tickets_sold",
        Count("id"),
    ),
    (
        Payment,
        "booking__showtime",
        "currency",
        Q(status__in=CAPTURED_PAYMENT_STATUSES),
        "gross",
        Sum("amount"),
    ),
    (
        Refund,
        "payment__booking__showtime",
        "currency",
        Q(status=RefundStatus.SUCCEEDED),
        "refunds",
        Sum("amount"),
    ),
)


def sales_report(
    *, period: ReportPeriod, group_by: str, by_channel: bool = False
) -> dict[str, Any]:
    """Tickets sold, money captured, refunded and kept, per group and currency (and, with
    `by_channel`, per sales channel: `online` or `box_office`).

    Three aggregate queries (tickets, payments, refunds) plus one for the timezones in use.
    Money is attributed to the show it paid for, not to the day it moved.
    """
    if group_by not in SALES_GROUP_COLUMNS:
        known = ", ".join(SALES_GROUP_COLUMNS)
        message = f'"{group_by}" is not a grouping; use one of: {known}.'
        raise DomainError(
            "Unknown grouping.",
            code=CommonErrorCode.INVALID,
            details=field_errors("group_by", message, code="invalid_choice"),
        )
    timezones = _theater_timezones()
    identity = SALES_GROUP_COLUMNS[group_by][0]
    groups: dict[tuple, dict[str, Any]] = {}
    for model, showtime, currency, counted, metric, aggregate in _SALES_SOURCES:
        expressions = _group_expressions(group_by, showtime)
        if by_channel:
            channel_path = "payment__booking__channel" if model is Refund else "booking__channel"
            expressions["channel"] = F(channel_path)
        rows = (
            _in_period(
                model.objects.filter(counted),
                showtime=showtime,
                period=period,
                timezones=timezones,
            )
            .values(
                **{f"group_{name}": expression for name, expression in expressions.items()},
                group_currency=F(currency),
            )
            .annotate(value=aggregate)
            .order_by()
        )
        for row in rows:
            labels = {name: row[f"group_{name}"] for name in expressions}
            key = (labels[identity], labels.get("channel"), row["group_currency"])
            group = groups.setdefault(
                key,
                {
                    **labels,
                    "currency": row["group_currency"],
                    "tickets_sold": 0,
                    "gross": _money(ZERO, row["group_currency"]),
                    "refunds": _money(ZERO, row["group_currency"]),
                },
            )
            value = row["value"] or 0
            if metric == "tickets_sold":
                group[metric] = value
            else:
                group[metric] = _money(value, row["group_currency"])

    rows = [_finish_sales_row(group, group_by) for group in groups.values()]
    order = _sales_sort_key(group_by)
    rows.sort(key=lambda row: (order(row), row.get("channel") or ""))
    return {
        "from": period.start,
        "to": period.end,
        "group_by": group_by,
        "rows": rows,
        "totals": _sales_totals(rows),
    }


def _money(value, currency: str) -> Decimal:
    """A sum of amounts in the currency's own units (an exact sum: quantize only trims the
    zeros the columns' three places add, and SQLite's float sums)."""
    return quantize(Decimal(value), currency)


def _finish_sales_row(group: dict[str, Any], group_by: str) -> dict[str, Any]:
    group["net"] = group["gross"] - group["refunds"]
    if group_by == "showtime":
        group["local_starts_at"] = group["starts_at"].astimezone(_zone(group.pop("timezone")))
    return group


def _sales_sort_key(group_by: str):
    if group_by == "day":
        return lambda row: (row["date"], row["currency"])
    if group_by == "showtime":
        return lambda row: (row["starts_at"], row["showtime_id"], row["currency"])
    name, identity = SALES_GROUP_COLUMNS[group_by][1], SALES_GROUP_COLUMNS[group_by][0]
    return lambda row: (row[name], row[identity], row["currency"])


def _sales_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One totals row per currency: amounts in different currencies are never added."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = totals.setdefault(
            row["currency"],
            {
                "currency": row["currency"],
                "tickets_sold": 0,
                "gross": _money(ZERO, row["currency"]),
                "refunds": _money(ZERO, row["currency"]),
            },
        )
        for metric in ("tickets_sold", "gross", "refunds"):
            total[metric] += row[metric]
    for total in totals.values():
        total["net"] = total["gross"] - total["refunds"]
    return [totals[currency] for currency in sorted(totals)]


TICKET_TYPE_COLUMNS = ("ticket_type", "currency", "tickets_sold", "revenue")
VOUCHER_COLUMNS = ("voucher", "currency", "bookings", "tickets_sold", "discount", "revenue")


def sales_by_ticket_type(*, period: ReportPeriod) -> dict[str, Any]:
    """Sold tickets and their prices (what the tickets were sold for, before any voucher
    discount) per ticket type and currency, for shows in the period. One aggregate query."""
    timezones = _theater_timezones()
    rows = (
        _in_period(
            Ticket.objects.filter(status=TicketStatus.SOLD),
            showtime="showtime",
            period=period,
            timezones=timezones,
        )
        .values("ticket_type", currency=F("booking__currency"))
        .annotate(tickets_sold=Count("id"), revenue=Sum("price"))
        .order_by()
    )
    result = [
        {
            "ticket_type": row["ticket_type"],
            "currency": row["currency"],
            "tickets_sold": row["tickets_sold"],
            "revenue": _money(row["revenue"] or 0, row["currency"]),
        }
        for row in rows
    ]
    result.sort(key=lambda row: (row["ticket_type"], row["currency"]))
    return {"from": period.start, "to": period.end, "rows": result}


def sales_by_voucher(*, period: ReportPeriod) -> dict[str, Any]:
    """Per voucher code and currency, the confirmed bookings that used it, their tickets, the
    discount given and what was paid, for shows in the period. One aggregate query."""
    timezones = _theater_timezones()
    sold = Ticket.objects.filter(booking_id=OuterRef("pk"), status=TicketStatus.SOLD)
    rows = (
        _in_period(
            Booking.objects.filter(status=BookingStatus.CONFIRMED).exclude(voucher_code=""),
            showtime="showtime",
            period=period,
            timezones=timezones,
        )
        .annotate(
            sold=Coalesce(
                Subquery(sold.order_by().values("booking_id").annotate(n=Count("id")).values("n")),
                0,
                output_field=IntegerField(),
            )
        )
        .values(voucher=F("voucher_code"), group_currency=F("currency"))
        .annotate(
            bookings=Count("id"),
            tickets_sold=Sum("sold"),
            discount=Sum("discount"),
            revenue=Sum("total"),
        )
        .order_by()
    )
    result = [
        {
            "voucher": row["voucher"],
            "currency": row["group_currency"],
            "bookings": row["bookings"],
            "tickets_sold": row["tickets_sold"] or 0,
            "discount": _money(row["discount"] or 0, row["group_currency"]),
            "revenue": _money(row["revenue"] or 0, row["group_currency"]),
        }
        for row in rows
    ]
    result.sort(key=lambda row: (row["voucher"], row["currency"]))
    return {"from": period.start, "to": period.end, "rows": result}


REFUND_REASON_COLUMNS = ("reason", "currency", "refunds", "tickets", "amount")


def refunds_by_reason(*, period: ReportPeriod, theater_id: int | None = None) -> dict[str, Any]:
    """Refunds that went through, per reason code and currency, for shows in the period (of
    one theater, if given): how many, the tickets they gave back and the amount. Attributed
    like the sales report's `refunds` (to the show paid for), so per currency the rows add up
    to its totals. One aggregate query (and one for the theater, if given)."""
    theater = None
    if theater_id is not None:
        theater = Theater.objects.filter(pk=theater_id).values("pk", "name").first()
        if theater is None:
            raise DomainError(
                "No such theater.",
                code=ReportErrorCode.THEATER_NOT_FOUND,
                details={"theater": theater_id},
            )
    refunds = Refund.objects.filter(status=RefundStatus.SUCCEEDED)
    if theater is not None:
        refunds = refunds.filter(payment__booking__showtime__screen__theater_id=theater["pk"])
    # A partial refund gave back its cancellation's tickets; a full one of the booking's own
    # payment the tickets it marked refunded; a duplicate capture's refund gave back none.
    partial_tickets = (
        Ticket.objects.filter(cancellation_id=OuterRef("cancellation_id"))
        .order_by()
        .values("cancellation_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    full_tickets = (
        Ticket.objects.filter(
            booking_id=OuterRef("payment__booking_id"),
            status=TicketStatus.REFUNDED,
            cancellation__isnull=True,
        )
        .order_by()
        .values("booking_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    rows = (
        _in_period(
            refunds,
            showtime="payment__booking__showtime",
            period=period,
            timezones=_theater_timezones(),
        )
        .annotate(
            tickets_back=Case(
                When(
                    kind=RefundKind.PARTIAL,
                    then=Coalesce(Subquery(partial_tickets), 0),
                ),
                When(
                    payment__status=PaymentStatus.REFUNDED,
                    then=Coalesce(Subquery(full_tickets), 0),
                ),
                default=0,
                output_field=IntegerField(),
            )
        )
        .values("reason_code", "currency")
        .annotate(refunds=Count("id"), tickets=Sum("tickets_back"), amount=Sum("amount"))
        .order_by()
    )
    labels = dict(RefundReason.choices)
    result = [
        {
            "reason": row["reason_code"],
            "label": str(labels.get(row["reason_code"], row["reason_code"])),
            "currency": row["currency"],
            "refunds": row["refunds"],
            "tickets": row["tickets"] or 0,
            "amount": _money(row["amount"] or 0, row["currency"]),
        }
        for row in rows
    ]
    order = {reason: index for index, reason in enumerate(RefundReason.values)}
    result.sort(key=lambda row: (order.get(row["reason"], len(order)), row["currency"]))
    totals: dict[str, dict[str, Any]] = {}
    for row in result:
        total = totals.setdefault(
            row["currency"],
            {
                "currency": row["currency"],
                "refunds": 0,
                "tickets": 0,
                "amount": _money(ZERO, row["currency"]),
            },
        )
        for metric in ("refunds", "tickets", "amount"):
            total[metric] += row[metric]
    return {
        "from": period.start,
        "to": period.end,
        "theater": theater["pk"] if theater else None,
        "rows": result,
        "totals": [totals[currency] for currency in sorted(totals)],
    }


def occupancy_report(*, period: ReportPeriod, now: datetime | None = None) -> dict[str, Any]:
    """Seats sold and actively held per scheduled showtime, and each movie's average.

    Two queries: the timezones in use, then the showtimes with their counts. A hold counts
    while `held_until` is in the future, as everywhere else; cancelled showtimes are left out.
    """
    now = now or timezone.now()
    capacity = (
        Seat.objects.filter(screen_id=OuterRef("screen_id"))
        .order_by()
        .values("screen_id")
        .annotate(seats=Count("id"))
        .values("seats")
    )
    showtimes = (
        _in_period(
            Showtime.objects.filter(status=ShowtimeStatus.SCHEDULED),
            showtime="",
            period=period,
            timezones=_theater_timezones(),
        )
        .annotate(
            capacity=Coalesce(Subquery(capacity, output_field=IntegerField()), 0),
            sold=Count("tickets", filter=Q(tickets__status=TicketStatus.SOLD)),
            sold_box_office=Count(
                "tickets",
                filter=Q(
                    tickets__status=TicketStatus.SOLD,
                    tickets__booking__channel=SalesChannel.BOX_OFFICE,
                ),
            ),
            # A lapsed hold holds nothing, swept or not: the statuses as the API shows them.
            held=Count(
                "tickets", filter=ticket_status_q(TicketStatus.HELD, now=now, prefix="tickets__")
            ),
        )
        .values(
            "id",
            "starts_at",
            "movie_id",
            "movie__title",
            "screen__theater_id",
            "screen__theater__name",
            "screen__theater__timezone",
            "screen__name",
            "capacity",
            "sold",
            "sold_box_office",
            "held",
        )
        .order_by("starts_at", "id")
    )
    rows = [
        {
            "showtime_id": showtime["id"],
            "starts_at": showtime["starts_at"],
            "local_starts_at": showtime["starts_at"].astimezone(
                _zone(showtime["screen__theater__timezone"])
            ),
            "movie_id": showtime["movie_id"],
            "movie": showtime["movie__title"],
            "theater_id": showtime["screen__theater_id"],
            "theater": showtime["screen__theater__name"],
            "screen": showtime["screen__name"],
            "capacity": showtime["capacity"],
            "sold": showtime["sold"],
            "sold_online": showtime["sold"] - showtime["sold_box_office"],
            "sold_box_office": showtime["sold_box_office"],
            "held": showtime["held"],
            "occupancy_percent": _percent(_share(showtime["sold"], showtime["capacity"])),
        }
        for showtime in showtimes
    ]
    return {
        "from": period.start,
        "to": period.end,
        "generated_at": now,
        "showtimes": rows,
        "movies": _movie_averages(rows),
    }


def _share(part: int, whole: int) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


def _percent(share: Fraction) -> Decimal:
    """A share as a percentage rounded half up to one place, from exact integers."""
    return (Decimal(share.numerator * 100) / Decimal(share.denominator)).quantize(
        TENTH, rounding=ROUND_HALF_UP
    )


def _movie_averages(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each movie's mean occupancy over its showtimes (every showtime weighs the same)."""
    movies: dict[int, dict[str, Any]] = {}
    for row in rows:
        movie = movies.setdefault(
            row["movie_id"],
            {
                "movie_id": row["movie_id"],
                "movie": row["movie"],
                "showtimes": 0,
                "capacity": 0,
                "sold": 0,
                "share_sum": Fraction(0),
            },
        )
        movie["showtimes"] += 1
        movie["capacity"] += row["capacity"]
        movie["sold"] += row["sold"]
        movie["share_sum"] += _share(row["sold"], row["capacity"])
    for movie in movies.values():
        movie["average_occupancy_percent"] = _percent(movie.pop("share_sum") / movie["showtimes"])
    return sorted(movies.values(), key=lambda movie: (movie["movie"], movie["movie_id"]))


# --- The box office: a till's day -----------------------------------------------------------


def till_day_summary(
    *, till_id: int, day: date | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The money taken at one till on one local day (its theater's time zone; UTC for a till
    of no theater): per payment method and currency, per cashier, and per currency in all.

    Unlike the sales report, money counts on the day it was taken (what is in the drawer),
    not on its show's day. `refunded`: what of it went back since (refunds that went through).
    Four aggregate queries, whatever the day's sales."""
    till = Till.objects.select_related("theater").filter(pk=till_id).first()
    if till is None:
        raise DomainError("No such till.", code=PaymentErrorCode.TILL_NOT_FOUND)
    zone_name = till.theater.timezone if till.theater is not None else "UTC"
    zone = _zone(zone_name)
    now = now or timezone.now()
    day = day or now.astimezone(zone).date()
    try:
        start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(_shift(day, 1), time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:  # the first or last day a datetime can hold, in a far zone
        raise DomainError(
            "No such day.",
            code=CommonErrorCode.INVALID,
            details=field_errors("date", f"{day} is out of range.", code="out_of_range"),
        ) from None
    taken = Payment.objects.filter(
        till_id=till.pk,
        created_at__gte=start,
        created_at__lt=end,
        status__in=CAPTURED_PAYMENT_STATUSES,
    )
    methods: dict[tuple[str, str], dict[str, Any]] = {}
    for row in (
        taken.values("provider", "currency")
        .annotate(payments=Count("id"), amount=Sum("amount"))
        .order_by()
    ):
        methods[(row["provider"], row["currency"])] = {
            "method": row["provider"],
            "currency": row["currency"],
            "payments": row["payments"],
            "taken": _money(row["amount"] or 0, row["currency"]),
            "refunded": _money(ZERO, row["currency"]),
        }
    for row in (
        Refund.objects.filter(payment__in=taken, status=RefundStatus.SUCCEEDED)
        .values("payment__provider", "currency")
        .annotate(amount=Sum("amount"))
        .order_by()
    ):
        method = methods.get((row["payment__provider"], row["currency"]))
        if method is not None:
            method["refunded"] = _money(row["amount"] or 0, row["currency"])
    by_method = sorted(methods.values(), key=lambda m: (m["method"], m["currency"]))
    totals: dict[str, dict[str, Any]] = {}
    for method in by_method:
        method["net"] = method["taken"] - method["refunded"]
        total = totals.setdefault(
            method["currency"],
            {
                "method": "all",
                "currency": method["currency"],
                "payments": 0,
                "taken": _money(ZERO, method["currency"]),
                "refunded": _money(ZERO, method["currency"]),
                "net": _money(ZERO, method["currency"]),
            },
        )
        for metric in ("payments", "taken", "refunded", "net"):
            total[metric] += method[metric]
    by_cashier = [
        {
            "cashier_id": row["taken_by"],
            "cashier": row["taken_by__username"] or "",
            "method": row["provider"],
            "currency": row["currency"],
            "payments": row["payments"],
            "taken": _money(row["amount"] or 0, row["currency"]),
        }
        for row in taken.values("taken_by", "taken_by__username", "provider", "currency")
        .annotate(payments=Count("id"), amount=Sum("amount"))
        .order_by("taken_by__username", "taken_by", "provider", "currency")
    ]
    tickets_sold = Ticket.objects.filter(
        status=TicketStatus.SOLD,
        booking__payments__in=taken.filter(status=PaymentStatus.SUCCEEDED),
    ).count()
    return {
        "till": till,
        "date": day,
        "timezone": zone_name,
        "tickets_sold": tickets_sold,
        "by_method": by_method,
        "by_cashier": by_cashier,
        "totals": [totals[currency] for currency in sorted(totals)],
    }
