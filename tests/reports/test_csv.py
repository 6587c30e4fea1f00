import csv
import io

import pytest

from tests.reports.conftest import hold, pay

pytestmark = pytest.mark.django_db


def csv_rows(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_sales_csv_is_a_header_and_one_line_per_group(admin_client_api, sale, report_range):
    response = admin_client_api.get(
        "/api/reports/sales/", {**report_range, "group_by": "day", "format": "csv"}
    )

    day, next_day = sale.first_day.isoformat(), sale.last_day.isoformat()
    assert csv_rows(response) == [
        ["date", "currency", "tickets_sold", "gross", "refunds", "net"],
        [day, "JPY", "2", "5400", "1800", "3600"],
        [day, "USD", "3", "60.00", "24.00", "36.00"],
        [next_day, "JPY", "4", "7200", "0", "7200"],
        [next_day, "USD", "2", "24.00", "0.00", "24.00"],
    ]
    assert response["Content-Disposition"] == (
        f'attachment; filename="sales_{day}_{next_day}_by_day.csv"'
    )


@pytest.mark.parametrize(
    ("group_by", "header"),
    [
        ("movie", ["movie_id", "movie"]),
        ("theater", ["theater_id", "theater", "timezone"]),
        (
            "showtime",
            ["showtime_id", "starts_at", "local_starts_at", "movie", "theater", "screen"],
        ),
    ],
)
def test_sales_csv_columns_name_the_group_first(
    admin_client_api, sale, report_range, group_by, header
):
    response = admin_client_api.get(
        "/api/reports/sales/", {**report_range, "group_by": group_by, "format": "csv"}
    )
    json_rows = admin_client_api.get(
        "/api/reports/sales/", {**report_range, "group_by": group_by}
    ).json()["rows"]

    lines = csv_rows(response)
    assert lines[0] == [*header, "currency", "tickets_sold", "gross", "refunds", "net"]
    assert lines[1:] == [[str(row[column]) for column in lines[0]] for row in json_rows]


def test_occupancy_csv_has_one_line_per_showtime(admin_client_api, sale, report_range):
    response = admin_client_api.get("/api/reports/occupancy/", {**report_range, "format": "csv"})

    lines = csv_rows(response)
    assert lines[0] == [
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
        "sold_online",
        "sold_box_office",
    ]
    assert [line[:1] + line[4:5] + line[8:] for line in lines[1:]] == [
        [str(sale.s4.pk), "Beta", "9", "2", "1", "22.2", "2", "0"],
        [str(sale.s3.pk), "Alpha", "9", "4", "0", "44.4", "4", "0"],
        [str(sale.s1.pk), "Alpha", "10", "3", "1", "30.0", "3", "0"],
        [str(sale.s2.pk), "Beta", "10", "2", "0", "20.0", "2", "0"],
    ]
    assert response["Content-Disposition"] == (
        f'attachment; filename="occupancy_{report_range["from"]}_{report_range["to"]}.csv"'
    )


def test_an_accept_header_of_text_csv_also_downloads_csv(admin_client_api, sale, report_range):
    response = admin_client_api.get("/api/reports/occupancy/", report_range, HTTP_ACCEPT="text/csv")

    assert csv_rows(response)[0][0] == "showtime_id"


def test_an_empty_report_is_just_the_header(admin_client_api, db):
    response = admin_client_api.get(
        "/api/reports/sales/", {"from": "2020-01-01", "to": "2020-01-31", "format": "csv"}
    )

    assert csv_rows(response) == [["date", "currency", "tickets_sold", "gross", "refunds", "net"]]


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_quoted(
    admin_client_api, venues, customer, report_range
):
    venues.alpha.title = "=HYPERLINK(1)"
    venues.alpha.save()
    pay(customer, hold(customer, venues.s1, ["A1"]))

    response = admin_client_api.get(
        "/api/reports/sales/", {**report_range, "group_by": "movie", "format": "csv"}
    )

    assert csv_rows(response)[1][:2] == [str(venues.alpha.pk), "'=HYPERLINK(1)"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"from": "2026-02-01", "to": "2026-01-01"}, 400, "invalid_range"),
        ({"from": "not-a-date"}, 400, "invalid"),
    ],
)
def test_errors_stay_json_when_csv_was_asked_for(admin_client_api, db, params, status, code):
    response = admin_client_api.get("/api/reports/sales/", {**params, "format": "csv"})

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code
