"""The dashboard's figures (marquee/reports/dashboard.py) equal the reports' and the database's
for the same period: the scripted sale of tests/reports/conftest.py, plus a box-office sale."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db.models import Count
from django.utils import timezone

from marquee.booking.models import Ticket, TicketStatus
from marquee.catalog.models import Seat, Showtime
from marquee.common.errors import DomainError
from marquee.payments.models import CAPTURED_PAYMENT_STATUSES, Payment, Till
from marquee.reports import dashboard, selectors
from marquee.reports.selectors import ReportPeriod
from marquee.staff.boxoffice import box_office_sell
from tests import factories


@pytest.fixture
def world(sale):
    """The scripted sale, and three seats of s2 sold at a till for cash."""
    staff = factories.UserFactory(role="staff")
    till = Till.objects.create(name="Till 1", theater=sale.new_york)
    seats = Seat.objects.filter(screen=sale.s2.screen_id, row_label="B", number__gte=3)
    box_office_sell(
        staff=staff,
        showtime_id=sale.s2.pk,
        seat_ids=list(seats.values_list("pk", flat=True)),
        method="cash",
        till_id=till.pk,
    )
    return sale


@pytest.fixture
def period(world) -> ReportPeriod:
    return ReportPeriod(start=world.first_day, end=world.last_day)


def by_currency(rows, metric):
    totals = defaultdict(lambda: 0)
    for row in rows:
        totals[row["currency"]] += row[metric]
    return dict(totals)


@pytest.mark.parametrize("bucket", ["day", "hour"])
def test_sales_over_time_add_up_to_the_sales_report(period, bucket):
    report = selectors.sales_report(period=period, group_by="day")
    over_time = dashboard.sales_over_time(period=period, bucket=bucket, zone_name="Asia/Tokyo")

    totals = {row["currency"]: row for row in report["totals"]}
    assert by_currency(over_time["rows"], "tickets_sold") == {
        currency: row["tickets_sold"] for currency, row in totals.items()
    }
    assert by_currency(over_time["rows"], "gross") == {
        currency: row["gross"] for currency, row in totals.items()
    }


def test_sales_over_time_equal_the_database(world, period):
    over_time = dashboard.sales_over_time(period=period, bucket="day")
    in_period = [world.s1, world.s2, world.s3, world.s4]
    sold = Ticket.objects.filter(status=TicketStatus.SOLD, showtime__in=in_period).count()
    taken = Payment.objects.filter(
        status__in=CAPTURED_PAYMENT_STATUSES, booking__showtime__in=in_period
    )
    assert sum(row["tickets_sold"] for row in over_time["rows"]) == sold
    assert by_currency(over_time["rows"], "gross") == {
        currency: sum(p.amount for p in taken if p.currency == currency)
        for currency in {p.currency for p in taken}
    }
    # Sold today (the sale ran just now), in the day of the sale's clock.
    today = timezone.now().astimezone(timezone.get_fixed_timezone(0)).date()
    assert {row["bucket"].date() for row in over_time["rows"]} <= {today, today - timedelta(1)}


def test_the_hourly_window_keeps_only_the_sales_inside_it(period):
    start, end = dashboard.day_window(date(2001, 1, 1), "UTC")
    empty = dashboard.sales_over_time(period=period, bucket="hour", since=start, until=end)
    assert empty["rows"] == []


def test_occupancy_per_screen_equals_the_report_and_the_database(world, period):
    occupancy = selectors.occupancy_report(period=period)
    screens = dashboard.occupancy_by_screen(occupancy=occupancy)

    assert sum(s["sold"] for s in screens) == sum(r["sold"] for r in occupancy["showtimes"])
    for screen in screens:
        rows = [
            r
            for r in occupancy["showtimes"]
            if (r["theater_id"], r["screen"]) == (screen["theater_id"], screen["screen"])
        ]
        assert screen["showtimes"] == len(rows)
        expected = sum(Fraction(r["sold"], r["capacity"]) for r in rows) / len(rows)
        assert screen["average_occupancy_percent"] == selectors._percent(expected)
        db_sold = Ticket.objects.filter(
            status=TicketStatus.SOLD,
            showtime_id__in=[r["showtime_id"] for r in rows],
        ).count()
        assert screen["sold"] == db_sold


def test_the_heatmap_counts_each_seats_sales_as_the_database_does(world, period):
    screen_id = world.s1.screen_id  # New York: s1 and s2 in the period
    heatmap = dashboard.seat_heatmap(screen_id=screen_id, period=period)

    expected = dict(
        Ticket.objects.filter(status=TicketStatus.SOLD, showtime__in=[world.s1, world.s2])
        .values("seat_id")
        .annotate(n=Count("id"))
        .values_list("seat_id", "n")
    )
    assert {s.seat_id: s.sold for s in heatmap["seats"] if s.sold} == expected
    assert len(heatmap["seats"]) == Seat.objects.filter(screen_id=screen_id).count()
    assert heatmap["showtimes"] == 2
    occupancy = selectors.occupancy_report(period=period)["showtimes"]
    assert sum(s.sold for s in heatmap["seats"]) == sum(
        r["sold"] for r in occupancy if r["showtime_id"] in (world.s1.pk, world.s2.pk)
    )


def test_revenue_per_seat_hour_is_the_reports_net_over_the_screens_seat_hours(world, period):
    rows = dashboard.revenue_per_seat_hour(period=period)
    report = selectors.sales_report(period=period, group_by="day")

    assert by_currency(rows, "net") == {t["currency"]: t["net"] for t in report["totals"]}
    for row in rows:
        shows = Showtime.objects.filter(
            pk__in=[world.s1.pk, world.s2.pk, world.s3.pk, world.s4.pk],
            screen__name=row["screen"],
            screen__theater__name=row["theater"],
        )
        seat_hours = sum(
            Fraction(Seat.objects.filter(screen_id=s.screen_id).count())
            * Fraction(int((s.ends_at - s.starts_at).total_seconds()), 3600)
            for s in shows
        )
        assert row["seat_hours"] == (
            Decimal(seat_hours.numerator) / Decimal(seat_hours.denominator)
        ).quantize(Decimal("0.01"))
        expected = Decimal(row["net"]) * seat_hours.denominator / seat_hours.numerator
        assert row["revenue_per_seat_hour"] == expected.quantize(Decimal("0.0001"))


def test_tonight_and_this_week_show_the_occupancy_reports_counts(world):
    now = timezone.now()
    shows = dashboard.showtimes_on_sale(now=now, days=14)
    by_id = {row["showtime_id"]: row for row in shows}
    assert set(by_id) == {world.s1.pk, world.s2.pk, world.s3.pk, world.s4.pk, world.s5.pk}
    s2 = by_id[world.s2.pk]
    assert (s2["sold"], s2["sold_box_office"], s2["held"]) == (5, 3, 0)
    assert s2["free"] == s2["capacity"] - 5
    assert s2["time_left"] == world.s2.starts_at - now
    s1 = by_id[world.s1.pk]
    assert (s1["sold"], s1["held"], s1["free"]) == (3, 1, 6)
    assert not any(row["tonight"] for row in shows)  # the sale's shows are ten days away
    assert dashboard.showtimes_on_sale(now=now, days=7) == []


def test_an_unknown_bucket_is_invalid_with_a_field_error():
    period = ReportPeriod(start=date(2026, 3, 1), end=date(2026, 3, 2))

    with pytest.raises(DomainError) as refused:
        dashboard.sales_over_time(period=period, bucket="week")

    assert refused.value.code == "invalid"
    assert refused.value.details == {
        "bucket": [
            {"code": "invalid_choice", "message": '"week" is not a bucket; use "day" or "hour".'}
        ]
    }


def test_a_day_at_the_edge_of_the_calendar_is_out_of_range():
    with pytest.raises(DomainError) as refused:
        dashboard.day_window(date.max, "Pacific/Kiritimati")

    assert refused.value.details == {
        "day": [{"code": "out_of_range", "message": "9999-12-31 is out of range."}]
    }
