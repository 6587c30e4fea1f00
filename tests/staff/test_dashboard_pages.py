"""The dashboard page and its CSV files: every chart is an SVG with a text alternative and
its numbers one click away, and the numbers are the reports'."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client

from marquee.booking.models import Booking
from marquee.booking.services import booking_cancel
from marquee.reports import selectors
from marquee.reports.selectors import ReportPeriod
from marquee.staff.boxoffice import box_office_sell

CHARTS = [
    "chart-daily",
    "chart-hourly",
    "chart-movies",
    "chart-screens",
    "chart-heatmap",
    "chart-seat-hours",
]
TABLES = [
    "table-daily",
    "table-hourly",
    "table-movies",
    "table-screens",
    "table-heatmap",
    "table-seat-hours",
    "table-refunds",
]
CSV_NAMES = [
    "showtimes",
    "sales-daily",
    "sales-hourly",
    "occupancy-movies",
    "occupancy-screens",
    "heatmap",
    "seat-hours",
    "refunds-reasons",
]


@pytest.fixture
def sold(staff_user, showtime, seats, till, hold):
    hold(["A1"])  # a live online hold
    box_office_sell(
        staff=staff_user,
        showtime_id=showtime.pk,
        seat_ids=[seats["C4"].pk, seats["C5"].pk],
        method="cash",
        till_id=till.pk,
    )
    return showtime


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_the_dashboard_draws_every_chart_with_a_text_alternative_and_its_numbers(
    role, sold, admin_user, staff_user
):
    client = Client()
    client.force_login(staff_user if role == "staff" else admin_user)
    response = client.get("/staff/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    for chart in CHARTS:
        svg = re.search(rf'<svg [^>]*id="{chart}"[^>]*>', html)
        assert svg, chart
        assert 'role="img"' in svg.group(0)
        assert f'<title id="{chart}-title">' in html
        desc = re.search(rf'<desc id="{chart}-desc">([^<]+)</desc>', html)
        assert desc and desc.group(1).strip(), chart
    for table in TABLES:
        assert f'id="{table}"' in html
    for name in CSV_NAMES:
        assert f"/staff/dashboard/{name}.csv?" in html
    # Tonight's and the week's shows: the show (two days ahead) with its counts.
    assert f'data-showtime="{sold.pk}"' in html


def test_the_csv_files_carry_the_reports_numbers(staff_site_client, sold):
    today = sold.starts_at.date()
    period = {"from": str(today - timedelta(days=3)), "to": str(today)}
    movies = staff_site_client.get("/staff/dashboard/occupancy-movies.csv", period)
    assert movies["Content-Type"].startswith("text/csv")
    report = selectors.occupancy_report(
        period=ReportPeriod(
            start=date.fromisoformat(period["from"]),
            end=date.fromisoformat(period["to"]),
        )
    )
    assert [(r["movie"], int(r["sold"])) for r in csv_rows(movies)] == [
        (m["movie"], m["sold"]) for m in report["movies"]
    ]
    daily = csv_rows(staff_site_client.get("/staff/dashboard/sales-daily.csv", period))
    assert sum(int(r["tickets_sold"]) for r in daily) == 2
    heat = csv_rows(staff_site_client.get("/staff/dashboard/heatmap.csv", period))
    assert sorted(r["seat"] for r in heat if r["sold"] == "1") == ["C4", "C5"]
    shows = csv_rows(staff_site_client.get("/staff/dashboard/showtimes.csv"))
    (row,) = [r for r in shows if r["showtime_id"] == str(sold.pk)]
    assert (row["sold"], row["sold_box_office"], row["held"]) == ("2", "2", "1")
    assert int(row["free"]) == int(row["capacity"]) - 3


def test_the_refunds_table_shows_refunds_by_reason_as_the_report_does(
    staff_site_client, sold, django_capture_on_commit_callbacks
):
    sale = Booking.objects.get(showtime=sold, channel="box_office")
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=sale, actor=sale.user)
    day = sold.starts_at.date()
    period = {"from": str(day - timedelta(days=3)), "to": str(day + timedelta(days=1))}
    html = staff_site_client.get("/staff/dashboard/", period).content.decode()
    table = html[html.index('id="table-refunds"') :]
    table = table[: table.index("</table>")]
    assert 'data-reason="box_office"' in table
    assert "Box-office sale refunded at the till" in table
    rows = csv_rows(staff_site_client.get("/staff/dashboard/refunds-reasons.csv", period))
    assert [(r["reason"], r["currency"], r["refunds"], r["tickets"]) for r in rows] == [
        ("box_office", sale.currency, "1", "2")
    ]
    assert Decimal(rows[0]["amount"]) == sale.total
    theater = sold.screen.theater_id
    same = csv_rows(
        staff_site_client.get(
            "/staff/dashboard/refunds-reasons.csv", {**period, "theater": theater}
        )
    )
    assert same == rows
    assert staff_site_client.get("/staff/dashboard/", {"theater": "999999"}).status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"theater": "x"},
        {"from": "yesterday"},
        {"from": "2026-05-02", "to": "2026-05-01"},
        {"screen": "x"},
        {"screen": "999999"},
        {"day": "13/13/2026"},
    ],
)
def test_bad_parameters_are_a_400(staff_site_client, sold, query):
    assert staff_site_client.get("/staff/dashboard/", query).status_code == 400
    assert staff_site_client.get("/staff/dashboard/heatmap.csv", query).status_code == 400


def test_an_unknown_csv_is_a_404(staff_site_client):
    assert staff_site_client.get("/staff/dashboard/nothing.csv").status_code == 404


def test_customers_may_not_see_the_dashboard_or_its_files(customer):
    client = Client()
    client.force_login(customer)
    assert client.get("/staff/dashboard/").status_code == 403
    assert client.get("/staff/dashboard/showtimes.csv").status_code == 403


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_edges_of_the_calendar_are_a_400_not_a_500(staff_site_client, day):
    assert staff_site_client.get("/staff/dashboard/", {"day": day}).status_code in (200, 400)
    assert staff_site_client.get("/staff/dashboard/", {"from": day, "to": day}).status_code in (
        200,
        400,
    )
