"""Refunds by reason: per reason code and currency, and together exactly the refunds the sales
report counts for the same shows."""

from datetime import timedelta
from decimal import Decimal

import pytest

from marquee.booking.models import Booking
from marquee.booking.services import booking_cancel_tickets
from marquee.catalog.services import showtime_cancel
from tests import factories
from tests.reports.conftest import hold, pay

pytestmark = pytest.mark.django_db

URL = "/api/reports/refunds/reasons/"


@pytest.fixture
def more_refunds(sale, staff_user, django_capture_on_commit_callbacks):
    """The scripted sale (two customer cancellations), plus in New York a customer giving back
    one ticket under the policy, staff overriding it for another, and s2 cancelled."""
    dave = factories.UserFactory(role="customer")
    booking = hold(dave, sale.s1, ["B3", "B4", "B5"])
    pay(dave, booking)
    first, second, _ = booking.tickets.order_by("pk").values_list("pk", flat=True)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel_tickets(
            booking=booking,
            ticket_ids=[first],
            actor=dave,
            now=sale.s1.starts_at - timedelta(hours=30),
        )
        booking_cancel_tickets(
            booking=Booking.objects.get(pk=booking.pk),
            ticket_ids=[second],
            actor=staff_user,
            refund_percent=Decimal(25),
            reason="late start",
        )
        showtime_cancel(showtime=sale.s2)
    return sale


def test_refunds_are_counted_per_reason_and_currency(admin_client_api, more_refunds, report_range):
    body = admin_client_api.get(URL, report_range).json()

    rows = [
        (r["reason"], r["currency"], r["refunds"], r["tickets"], r["amount"]) for r in body["rows"]
    ]
    assert rows == [
        ("customer_cancelled", "JPY", 1, 1, "1800"),
        ("customer_cancelled", "USD", 1, 2, "24.00"),
        ("tickets_returned", "USD", 1, 1, "12.00"),
        ("staff_override", "USD", 1, 1, "3.00"),
        ("showtime_cancelled", "USD", 1, 2, "24.00"),
    ]
    assert body["rows"][0]["label"] == "Customer cancelled the booking"
    assert body["totals"] == [
        {"currency": "JPY", "refunds": 1, "tickets": 1, "amount": "1800"},
        {"currency": "USD", "refunds": 4, "tickets": 6, "amount": "63.00"},
    ]
    assert body["theater"] is None


def test_refunds_by_reason_add_up_to_the_sales_reports_refunds(
    admin_client_api, more_refunds, report_range
):
    by_reason = admin_client_api.get(URL, report_range).json()
    sales = admin_client_api.get("/api/reports/sales/", report_range).json()

    summed: dict[str, Decimal] = {}
    for row in by_reason["rows"]:
        summed[row["currency"]] = summed.get(row["currency"], Decimal(0)) + Decimal(row["amount"])
    assert summed == {t["currency"]: Decimal(t["refunds"]) for t in sales["totals"]}
    assert {t["currency"]: t["amount"] for t in by_reason["totals"]} == {
        t["currency"]: t["refunds"] for t in sales["totals"]
    }


def test_one_theaters_refunds(admin_client_api, more_refunds, report_range):
    tokyo = more_refunds.tokyo.pk
    body = admin_client_api.get(URL, {**report_range, "theater": tokyo}).json()

    assert body["theater"] == tokyo
    assert [(r["reason"], r["currency"]) for r in body["rows"]] == [("customer_cancelled", "JPY")]


def test_the_csv_has_a_line_per_reason(admin_client_api, more_refunds, report_range):
    response = admin_client_api.get(URL, {**report_range, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "refunds_" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0] == "reason,currency,refunds,tickets,amount"
    assert lines[1:] == [
        "customer_cancelled,JPY,1,1,1800",
        "customer_cancelled,USD,1,2,24.00",
        "tickets_returned,USD,1,1,12.00",
        "staff_override,USD,1,1,3.00",
        "showtime_cancelled,USD,1,2,24.00",
    ]


def test_a_period_without_refunds_is_empty(admin_client_api, sale):
    body = admin_client_api.get(URL, {"from": "2001-01-01", "to": "2001-01-31"}).json()
    assert (body["rows"], body["totals"]) == ([], [])


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"theater": 999_999}, 404, "theater_not_found"),
        ({"theater": "Ginza"}, 400, "invalid"),
        ({"theater": 0}, 400, "invalid"),
        ({"theater": 10**30}, 400, "invalid"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, 400, "invalid_range"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, 400, "range_too_large"),
        ({"from": "yesterday"}, 400, "invalid"),
        ({"format": "xlsx"}, 400, "invalid"),
    ],
)
def test_bad_input_is_a_4xx_with_a_code(admin_client_api, params, status, code):
    response = admin_client_api.get(URL, params)

    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_the_schema_documents_the_report_and_its_codes(admin_client_api):
    schema = admin_client_api.get("/api/schema/?format=json").json()
    operation = schema["paths"][URL]["get"]
    assert {"400", "401", "403", "404"} <= set(operation["responses"])
    assert "theater_not_found" in operation["responses"]["404"]["description"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "theater", "format"}
