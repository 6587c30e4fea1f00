import pytest

from tests import factories
from tests.queries import assert_max_data_queries
from tests.reports.conftest import cancel, hold, pay

pytestmark = pytest.mark.django_db

# The timezones in use, then one aggregate each over tickets, payments and refunds.
SALES_QUERIES = 4
# The timezones in use, then the showtimes with their counts.
OCCUPANCY_QUERIES = 2
FREE_ON_S2 = ["A3", "A4", "A5", "B3", "B4"]


def sell_more(showtime, labels):
    for label in labels:
        customer = factories.UserFactory(role="customer")
        pay(customer, hold(customer, showtime, [label]))


def usd_tickets(body):
    return next(t["tickets_sold"] for t in body["totals"] if t["currency"] == "USD")


@pytest.mark.parametrize("group_by", ["day", "movie", "theater", "showtime"])
def test_the_sales_report_costs_the_same_queries_however_many_bookings(
    admin_client_api, sale, report_range, group_by
):
    params = {**report_range, "group_by": group_by}
    with assert_max_data_queries(SALES_QUERIES):
        before = admin_client_api.get("/api/reports/sales/", params).json()

    sell_more(sale.s2, FREE_ON_S2)

    with assert_max_data_queries(SALES_QUERIES):
        after = admin_client_api.get("/api/reports/sales/", params).json()
    assert usd_tickets(after) == usd_tickets(before) + len(FREE_ON_S2)


def test_the_occupancy_report_costs_the_same_queries_however_many_bookings(
    admin_client_api, sale, report_range
):
    with assert_max_data_queries(OCCUPANCY_QUERIES):
        admin_client_api.get("/api/reports/occupancy/", report_range)

    sell_more(sale.s2, FREE_ON_S2)
    for label in ["C1", "C2", "C3"]:
        hold(factories.UserFactory(role="customer"), sale.s3, [label])

    with assert_max_data_queries(OCCUPANCY_QUERIES):
        body = admin_client_api.get("/api/reports/occupancy/", report_range).json()
    by_id = {row["showtime_id"]: row for row in body["showtimes"]}
    assert (by_id[sale.s2.pk]["sold"], by_id[sale.s3.pk]["held"]) == (7, 3)


# The theater (when asked for), the timezones in use, then one aggregate over the refunds.
REFUND_REASON_QUERIES = 3


def test_refunds_by_reason_cost_the_same_queries_however_many_refunds(
    admin_client_api, sale, report_range, django_capture_on_commit_callbacks
):
    params = {**report_range, "theater": sale.new_york.pk}
    with assert_max_data_queries(REFUND_REASON_QUERIES):
        before = admin_client_api.get("/api/reports/refunds/reasons/", params).json()

    for label in FREE_ON_S2:
        customer = factories.UserFactory(role="customer")
        booking = hold(customer, sale.s2, [label])
        pay(customer, booking)
        cancel(customer, booking, django_capture_on_commit_callbacks)

    with assert_max_data_queries(REFUND_REASON_QUERIES):
        after = admin_client_api.get("/api/reports/refunds/reasons/", params).json()
    assert after["totals"][0]["refunds"] == before["totals"][0]["refunds"] + len(FREE_ON_S2)
