"""Every report splits by sales channel: online (the buyer's own booking) or box office."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marquee.payments.models import Till
from marquee.staff.boxoffice import box_office_sell
from tests.reports.conftest import hold, pay


@pytest.fixture
def both_channels(customer, staff_user, showtime, seats):
    """Online: 2 seats paid by card. Box office: 3 seats for cash."""
    online = hold(customer, showtime, ["A1", "A2"])
    pay(customer, online)
    till = Till.objects.create(name="Till 1")
    box_office, _ = box_office_sell(
        staff=staff_user,
        showtime_id=showtime.pk,
        seat_ids=[seats["C1"].pk, seats["C2"].pk, seats["C3"].pk],
        method="cash",
        till_id=till.pk,
    )
    return online, box_office


@pytest.fixture
def report_range():
    today = timezone.now().date()
    return {"from": str(today), "to": str(today + timedelta(days=5))}


def test_sales_by_channel_split_each_group_and_add_up_to_the_plain_report(
    admin_client_api, both_channels, report_range
):
    online, box_office = both_channels
    split = admin_client_api.get(
        "/api/reports/sales/", {**report_range, "group_by": "showtime", "by_channel": "true"}
    ).json()
    plain = admin_client_api.get(
        "/api/reports/sales/", {**report_range, "group_by": "showtime"}
    ).json()

    rows = {row["channel"]: row for row in split["rows"]}
    assert set(rows) == {"online", "box_office"}
    assert rows["online"]["tickets_sold"] == 2
    assert rows["box_office"]["tickets_sold"] == 3
    assert Decimal(rows["online"]["gross"]) == online.total
    assert Decimal(rows["box_office"]["gross"]) == box_office.total
    (whole,) = plain["rows"]
    assert "channel" not in whole
    assert whole["tickets_sold"] == 5
    assert Decimal(whole["gross"]) == online.total + box_office.total
    assert split["totals"] == plain["totals"]


def test_the_sales_csv_by_channel_has_a_channel_column(
    admin_client_api, both_channels, report_range
):
    response = admin_client_api.get(
        "/api/reports/sales/", {**report_range, "by_channel": "1", "format": "csv"}
    )
    header, *lines = response.content.decode().splitlines()
    assert header.split(",")[:2] == ["date", "channel"]
    assert sorted(line.split(",")[1] for line in lines) == ["box_office", "online"]


def test_occupancy_says_how_many_seats_each_channel_sold(
    admin_client_api, both_channels, report_range, showtime
):
    report = admin_client_api.get("/api/reports/occupancy/", report_range).json()
    (row,) = [r for r in report["showtimes"] if r["showtime_id"] == showtime.pk]
    assert (row["sold"], row["sold_online"], row["sold_box_office"]) == (5, 2, 3)


def test_a_bad_by_channel_value_is_a_400(admin_client_api, report_range):
    response = admin_client_api.get("/api/reports/sales/", {**report_range, "by_channel": "maybe"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
