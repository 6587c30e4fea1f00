"""The staff dashboard's figures: the reports' selectors (`marquee.reports.selectors`) cut the
way the dashboard shows them, and the few reads only it needs (sales by the moment of sale,
each seat's sales, seat-hours). One place: the page, its CSV files and the tests read these.

Every count of tickets sold and every sum of money here covers the same rows as the sales and
occupancy reports for the same period (tests/reports/test_dashboard.py holds them to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from marquee.booking.models import BookingEvent, BookingStatus, Ticket, TicketStatus
from marquee.catalog.models import Screen, Seat, Showtime, ShowtimeStatus
from marquee.common.errors import CommonErrorCode, DomainError, field_errors
from marquee.payments.models import CAPTURED_PAYMENT_STATUSES, Payment
from marquee.reports import selectors
from marquee.reports.error_codes import ReportErrorCode
from marquee.reports.selectors import ReportPeriod

SECONDS_PER_HOUR = 3600


# --- Tonight and this week ------------------------------------------------------------------


def showtimes_on_sale(*, now: datetime | None = None, days: int = 7) -> list[dict[str, Any]]:
    """Scheduled showtimes still to start, from now through the next `days` local days, with
    capacity, sold, held (unexpired holds) and free seats, and the time left until each starts:
    the occupancy report's rows. `tonight`: on the theater's today."""
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    # Local dates run a day either side of UTC's: take a day more each way, then cut exactly.
    period = ReportPeriod(start=today - timedelta(days=1), end=today + timedelta(days=days))
    rows = []
    for row in selectors.occupancy_report(period=period, now=now)["showtimes"]:
        local_today = now.astimezone(row["local_starts_at"].tzinfo).date()
        local_day = row["local_starts_at"].date()
        if row["starts_at"] <= now or local_day >= local_today + timedelta(days=days):
            continue
        rows.append(
            {
                **row,
                "free": row["capacity"] - row["sold"] - row["held"],
                "time_left": row["starts_at"] - now,
                "tonight": local_day == local_today,
            }
        )
    return rows


# --- Sales over time ------------------------------------------------------------------------


def _confirmed_at():
    """When a booking was confirmed (sold): its first `confirmed` event."""
    return Subquery(
        BookingEvent.objects.filter(
            booking_id=OuterRef("booking_id"), to_status=BookingStatus.CONFIRMED
        )
        .order_by("created_at", "pk")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )


def sales_over_time(
    *,
    period: ReportPeriod,
    bucket: str = "day",
    zone_name: str = "UTC",
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Tickets sold and money taken for the shows of `period` (as the sales report counts
    them), by the day or hour they were sold in `zone_name`: a ticket at its booking's
    confirmation, money at its capture. `since`/`until` narrow to sales in that window (an
    on-sale's hours). Rows per (bucket, currency), in order; buckets with no sale are absent."""
    if bucket not in ("day", "hour"):
        message = f'"{bucket}" is not a bucket; use "day" or "hour".'
        raise DomainError(
            "Unknown bucket.",
            code=CommonErrorCode.INVALID,
            details=field_errors("bucket", message, code="invalid_choice"),
        )
    zone = selectors._zone(zone_name)
    trunc = TruncDay if bucket == "day" else TruncHour
    timezones = selectors._theater_timezones()

    tickets = selectors._in_period(
        Ticket.objects.filter(status=TicketStatus.SOLD),
        showtime="showtime",
        period=period,
        timezones=timezones,
    ).annotate(sold_at=_confirmed_at())
    money = selectors._in_period(
        Payment.objects.filter(status__in=CAPTURED_PAYMENT_STATUSES),
        showtime="booking__showtime",
        period=period,
        timezones=timezones,
    ).annotate(sold_at=F("created_at"))
    if since is not None:
        tickets, money = tickets.filter(sold_at__gte=since), money.filter(sold_at__gte=since)
    if until is not None:
        tickets, money = tickets.filter(sold_at__lt=until), money.filter(sold_at__lt=until)

    rows: dict[tuple, dict[str, Any]] = {}

    def row_for(moment: datetime, currency: str) -> dict[str, Any]:
        moment = moment.astimezone(zone)
        key = (moment, currency)
        return rows.setdefault(
            key,
            {
                "bucket": moment,
                "currency": currency,
                "tickets_sold": 0,
                "gross": selectors._money(selectors.ZERO, currency),
            },
        )

    for row in (
        tickets.values(moment=trunc("sold_at", tzinfo=zone), currency=F("booking__currency"))
        .annotate(count=Count("id"))
        .order_by()
    ):
        if row["moment"] is not None:
            row_for(row["moment"], row["currency"])["tickets_sold"] += row["count"]
    for row in (
        money.values(moment=trunc("sold_at", tzinfo=zone), money_currency=F("currency"))
        .annotate(amount=Sum("amount"))
        .order_by()
    ):
        target = row_for(row["moment"], row["money_currency"])
        target["gross"] = selectors._money(row["amount"] or 0, row["money_currency"])
    ordered = sorted(rows.values(), key=lambda r: (r["bucket"], r["currency"]))
    return {"bucket": bucket, "timezone": zone_name, "rows": ordered}


def busiest_sale_day(*, period: ReportPeriod, zone_name: str = "UTC") -> date | None:
    """The day the most tickets of the period's shows were sold: an on-sale, as a default."""
    days = sales_over_time(period=period, bucket="day", zone_name=zone_name)["rows"]
    if not days:
        return None
    return max(days, key=lambda r: (r["tickets_sold"], r["bucket"]))["bucket"].date()


def day_window(day: date, zone_name: str) -> tuple[datetime, datetime]:
    """The UTC moments a local day starts and ends at; 400 `invalid` for a day at the very
    edge of the calendar (no datetime holds its end)."""
    zone = selectors._zone(zone_name)
    try:
        start = datetime.combine(day, time.min, tzinfo=zone)
        return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
    except OverflowError:
        raise DomainError(
            "No such day.",
            code=CommonErrorCode.INVALID,
            details=field_errors("day", f"{day} is out of range.", code="out_of_range"),
        ) from None


# --- Occupancy per movie and per screen -----------------------------------------------------


def occupancy_by_screen(*, occupancy: dict[str, Any]) -> list[dict[str, Any]]:
    """Each screen's mean occupancy over its showtimes in an occupancy report (every showtime
    weighs the same, as the report's per-movie figure)."""
    screens: dict[tuple, dict[str, Any]] = {}
    for row in occupancy["showtimes"]:
        key = (row["theater_id"], row["screen"])
        screen = screens.setdefault(
            key,
            {
                "theater_id": row["theater_id"],
                "theater": row["theater"],
                "screen": row["screen"],
                "showtimes": 0,
                "capacity": 0,
                "sold": 0,
                "share_sum": Fraction(0),
            },
        )
        screen["showtimes"] += 1
        screen["capacity"] += row["capacity"]
        screen["sold"] += row["sold"]
        screen["share_sum"] += selectors._share(row["sold"], row["capacity"])
    for screen in screens.values():
        screen["average_occupancy_percent"] = selectors._percent(
            screen.pop("share_sum") / screen["showtimes"]
        )
    return sorted(screens.values(), key=lambda s: (s["theater"], s["screen"]))


# --- Seat heatmap ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HeatSeat:
    seat_id: int
    label: str
    x: int
    y: int
    tier: str
    kind: str
    sold: int


def seat_heatmap(*, screen_id: int, period: ReportPeriod) -> dict[str, Any]:
    """How often each seat of a screen sold over the period's scheduled showtimes: the seats
    with their x/y (to draw the hall) and their count of sold tickets."""
    screen = Screen.objects.select_related("theater").filter(pk=screen_id).first()
    if screen is None:
        raise DomainError("No such screen.", code=ReportErrorCode.SCREEN_NOT_FOUND)
    timezones = selectors._theater_timezones()
    sold = dict(
        selectors._in_period(
            Ticket.objects.filter(
                status=TicketStatus.SOLD,
                showtime__screen_id=screen_id,
                showtime__status=ShowtimeStatus.SCHEDULED,
            ),
            showtime="showtime",
            period=period,
            timezones=timezones,
        )
        .values("seat_id")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("seat_id", "count")
    )
    showtimes = (
        selectors._in_period(
            Showtime.objects.filter(screen_id=screen_id, status=ShowtimeStatus.SCHEDULED),
            showtime="",
            period=period,
            timezones=timezones,
        )
        .order_by()
        .count()
    )
    seats = [
        HeatSeat(
            seat_id=seat.pk,
            label=f"{seat.row_label}{seat.number}",
            x=seat.x,
            y=seat.y,
            tier=seat.tier,
            kind=seat.kind,
            sold=sold.get(seat.pk, 0),
        )
        for seat in Seat.objects.filter(screen_id=screen_id).order_by("y", "x")
    ]
    return {
        "screen": screen,
        "showtimes": showtimes,
        "seats": seats,
        "most": max((seat.sold for seat in seats), default=0),
    }


# --- Revenue per seat-hour ------------------------------------------------------------------


def revenue_per_seat_hour(*, period: ReportPeriod) -> list[dict[str, Any]]:
    """Per screen and currency: the net takings of its shows in the period (the sales report,
    by showtime) over its seat-hours (capacity x the hours each scheduled show holds the
    screen, cleaning included)."""
    occupancy = selectors.occupancy_report(period=period)["showtimes"]
    hours = dict(
        Showtime.objects.filter(pk__in=[row["showtime_id"] for row in occupancy])
        .annotate(
            length=ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
        )
        .values_list("pk", "length")
    )
    screens: dict[tuple, dict[str, Any]] = {}
    screen_of: dict[int, tuple] = {}
    for row in occupancy:
        key = (row["theater_id"], row["screen"])
        screen_of[row["showtime_id"]] = key
        screen = screens.setdefault(
            key,
            {
                "theater": row["theater"],
                "screen": row["screen"],
                "seat_hours": Fraction(0),
                "net": {},
            },
        )
        length = hours[row["showtime_id"]]
        screen["seat_hours"] += Fraction(row["capacity"]) * Fraction(
            int(length.total_seconds()), SECONDS_PER_HOUR
        )
    sales = selectors.sales_report(period=period, group_by="showtime")["rows"]
    for row in sales:
        key = screen_of.get(row["showtime_id"])
        if key is None:  # a cancelled show's money (refunded): no seat-hours to share it
            continue
        net = screens[key]["net"]
        net[row["currency"]] = net.get(row["currency"], Decimal(0)) + row["net"]
    result = []
    for screen in screens.values():
        seat_hours = screen["seat_hours"]
        currencies = screen["net"] or {}
        for currency in sorted(currencies) or [None]:
            net = currencies.get(currency, Decimal(0)) if currency else Decimal(0)
            per = (
                (net * Decimal(seat_hours.denominator) / Decimal(seat_hours.numerator)).quantize(
                    Decimal("0.0001")
                )
                if seat_hours
                else Decimal(0)
            )
            result.append(
                {
                    "theater": screen["theater"],
                    "screen": screen["screen"],
                    "currency": currency or "",
                    "net": net,
                    "seat_hours": _decimal(seat_hours, Decimal("0.01")),
                    "revenue_per_seat_hour": per,
                }
            )
    return sorted(result, key=lambda r: (r["theater"], r["screen"], r["currency"]))


def _decimal(value: Fraction, places: Decimal) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(places)
