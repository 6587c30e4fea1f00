from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from marquee.payments.models import Payment, Refund
from marquee.payments.services import refund_request
from tests import factories
from tests.reports.conftest import NEW_YORK, cancel, hold, local_moment, pay
from tests.reports.ledger import as_tally, ledger, local_show_date

pytestmark = pytest.mark.django_db

SALES = "/api/reports/sales/"


def sales(client, report_range, **params):
    response = client.get(SALES, {**report_range, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_days_are_the_theaters_local_show_dates_not_utc_dates(admin_client_api, sale, report_range):
    body = sales(admin_client_api, report_range, group_by="day")

    day, next_day = sale.first_day.isoformat(), sale.last_day.isoformat()
    assert body["rows"] == [
        # s4 (Tokyo, local D, UTC D) and s1 (New York, local D 23:30, UTC D+1).
        {"date": day, "currency": "JPY", "tickets_sold": 2, "gross": "5400",
         "refunds": "1800", "net": "3600"},
        {"date": day, "currency": "USD", "tickets_sold": 3, "gross": "60.00",
         "refunds": "24.00", "net": "36.00"},
        # s3 (Tokyo, local D+1 00:30, UTC D) and s2 (New York, local D+1).
        {"date": next_day, "currency": "JPY", "tickets_sold": 4, "gross": "7200",
         "refunds": "0", "net": "7200"},
        {"date": next_day, "currency": "USD", "tickets_sold": 2, "gross": "24.00",
         "refunds": "0.00", "net": "24.00"},
    ]  # fmt: skip
    assert (body["from"], body["to"], body["group_by"]) == (day, next_day, "day")


def test_totals_are_one_row_per_currency_and_never_add_currencies(
    admin_client_api, sale, report_range
):
    body = sales(admin_client_api, report_range)

    assert body["totals"] == [
        {"currency": "JPY", "tickets_sold": 6, "gross": "12600", "refunds": "1800",
         "net": "10800"},
        {"currency": "USD", "tickets_sold": 5, "gross": "84.00", "refunds": "24.00",
         "net": "60.00"},
    ]  # fmt: skip


def test_totals_equal_a_direct_sum_of_payments_refunds_and_sold_tickets(
    admin_client_api, sale, report_range
):
    body = sales(admin_client_api, report_range)

    tally = ledger(first_day=sale.first_day, last_day=sale.last_day, group=lambda s: "all")
    assert as_tally(body["totals"], "currency") == {
        (currency, currency): values for (_, currency), values in tally.items()
    }


@pytest.mark.parametrize(
    ("group_by", "identity", "group"),
    [
        ("day", "date", lambda showtime: local_show_date(showtime).isoformat()),
        ("movie", "movie_id", lambda showtime: showtime.movie_id),
        ("theater", "theater_id", lambda showtime: showtime.screen.theater_id),
        ("showtime", "showtime_id", lambda showtime: showtime.pk),
    ],
)
def test_every_grouping_agrees_with_an_independent_tally(
    admin_client_api, sale, report_range, group_by, identity, group
):
    body = sales(admin_client_api, report_range, group_by=group_by)

    expected = ledger(first_day=sale.first_day, last_day=sale.last_day, group=group)
    assert as_tally(body["rows"], identity) == expected


def test_a_movie_sold_in_two_currencies_has_a_row_per_currency(
    admin_client_api, sale, report_range
):
    rows = sales(admin_client_api, report_range, group_by="movie")["rows"]

    assert [(r["movie"], r["currency"], r["tickets_sold"], r["net"]) for r in rows] == [
        ("Alpha", "JPY", 4, "7200"),
        ("Alpha", "USD", 3, "36.00"),
        ("Beta", "JPY", 2, "3600"),
        ("Beta", "USD", 2, "24.00"),
    ]
    assert {r["movie_id"] for r in rows} == {sale.alpha.pk, sale.beta.pk}


def test_theater_rows_name_the_theater_and_its_timezone(admin_client_api, sale, report_range):
    rows = sales(admin_client_api, report_range, group_by="theater")["rows"]

    assert [(r["theater_id"], r["theater"], r["timezone"], r["tickets_sold"]) for r in rows] == [
        (sale.tokyo.pk, "Ginza", "Asia/Tokyo", 6),
        (sale.new_york.pk, "Hudson", "America/New_York", 5),
    ]


def test_showtime_rows_give_the_start_in_utc_and_in_theater_time(
    admin_client_api, sale, report_range
):
    rows = sales(admin_client_api, report_range, group_by="showtime")["rows"]

    assert [r["showtime_id"] for r in rows] == [sale.s4.pk, sale.s3.pk, sale.s1.pk, sale.s2.pk]
    s1 = rows[2]
    assert datetime.fromisoformat(s1["starts_at"]) == sale.s1.starts_at
    local = datetime.fromisoformat(s1["local_starts_at"])
    assert (local.date(), local.hour, local.minute) == (sale.first_day, 23, 30)
    assert local.utcoffset() in {timedelta(hours=-4), timedelta(hours=-5)}
    assert (s1["movie"], s1["theater"], s1["screen"]) == (
        "Alpha",
        "Hudson",
        sale.s1.screen.name,
    )


def test_a_one_day_range_takes_the_shows_of_that_local_day_only(admin_client_api, sale):
    day = sale.first_day.isoformat()
    rows = sales(admin_client_api, {"from": day, "to": day}, group_by="showtime")["rows"]

    # s3's UTC date is D but it plays on D+1 in Tokyo; s1 plays on D in New York.
    assert sale.s3.starts_at.astimezone(UTC).date() == sale.first_day
    assert sale.s1.starts_at.astimezone(UTC).date() == sale.last_day
    assert [r["showtime_id"] for r in rows] == [sale.s4.pk, sale.s1.pk]


def test_a_refund_not_yet_through_counts_in_gross_but_not_in_refunds(
    admin_client_api, venues, customer, report_range, django_capture_on_commit_callbacks
):
    booking = hold(customer, venues.s2, ["A1"])
    pay(customer, booking)
    # The cancellation commits, but the provider has not answered the refund yet.
    with django_capture_on_commit_callbacks(execute=False):
        assert (
            admin_client_api.post(f"/api/bookings/{booking.public_id}/cancel/").status_code == 200
        )
    assert Refund.objects.get().status == "pending"

    (row,) = sales(admin_client_api, report_range)["rows"]

    assert (row["tickets_sold"], row["gross"], row["refunds"], row["net"]) == (
        0,
        "12.00",
        "0.00",
        "12.00",
    )


def test_declined_and_unpaid_bookings_bring_no_money_and_no_sold_tickets(
    admin_client_api, venues, customer, report_range, django_capture_on_commit_callbacks
):
    pay(customer, hold(customer, venues.s1, ["A1"]), card="4000000000000002")
    hold(customer, venues.s1, ["A2"])
    refunded = hold(customer, venues.s1, ["A3"])
    pay(customer, refunded)
    cancel(customer, refunded, django_capture_on_commit_callbacks)
    assert Payment.objects.filter(status="failed").count() == 1

    (row,) = sales(admin_client_api, report_range)["rows"]

    assert (row["tickets_sold"], row["gross"], row["refunds"], row["net"]) == (
        0,
        "12.00",
        "12.00",
        "0.00",
    )


def test_a_second_capture_counts_in_gross_and_in_refunds_so_net_is_one_payment(
    admin_client_api, venues, customer, report_range, django_capture_on_commit_callbacks
):
    booking = hold(customer, venues.s2, ["A1"])
    pay(customer, booking)
    # A second capture for the paid booking (as two racing pays could once make): it is
    # recorded as a duplicate and refunded.
    duplicate = Payment.objects.create(
        booking=booking,
        provider="simulated",
        provider_reference="sim_second_capture",
        amount=booking.total,
        currency=booking.currency,
        status="duplicate",
    )
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(payment=duplicate, reason="second capture for one booking")
    assert Refund.objects.get().status == "succeeded"

    (row,) = sales(admin_client_api, report_range)["rows"]

    assert (row["tickets_sold"], row["gross"], row["refunds"], row["net"]) == (
        1,
        "24.00",
        "12.00",
        "12.00",
    )


def test_a_range_without_shows_has_no_rows_and_no_totals(admin_client_api, sale):
    later = sale.last_day + timedelta(days=30)
    body = sales(admin_client_api, {"from": later.isoformat(), "to": later.isoformat()})

    assert (body["rows"], body["totals"]) == ([], [])


def test_without_dates_the_report_covers_the_last_30_days_and_the_coming_week(admin_client_api, db):
    today = timezone.now().astimezone(UTC).date()

    body = sales(admin_client_api, {})

    assert body["to"] == (today + timedelta(days=7)).isoformat()
    assert body["from"] == (today - timedelta(days=29)).isoformat()
    assert body["group_by"] == "day"


def test_only_from_runs_through_the_coming_week_and_only_to_starts_29_days_earlier(
    admin_client_api, db
):
    today = timezone.now().astimezone(UTC).date()
    week_ago = (today - timedelta(days=7)).isoformat()

    assert (
        sales(admin_client_api, {"from": week_ago})["to"] == (today + timedelta(days=7)).isoformat()
    )
    assert sales(admin_client_api, {"to": "2026-03-31"})["from"] == "2026-03-02"


def test_the_default_window_includes_sales_for_shows_later_this_week(
    admin_client_api, venues, customer
):
    """Advance sales for the coming days are in a report without dates (they were not)."""
    in_three_days = timezone.now().astimezone(UTC).date() + timedelta(days=3)
    soon = factories.ShowtimeFactory(
        movie=venues.alpha,
        screen=venues.s1.screen,
        starts_at=local_moment(in_three_days, 18, 0, NEW_YORK),
        currency="USD",
    )
    pay(customer, hold(customer, soon, ["A1", "A2"]))

    body = sales(admin_client_api, {})

    assert [(row["currency"], row["tickets_sold"]) for row in body["totals"]] == [("USD", 2)]


def test_tickets_given_back_leave_the_sold_count_and_their_refund_counts(
    admin_client_api, venues, customer, report_range, django_capture_on_commit_callbacks
):
    from tests.reports.conftest import client_for

    booking = hold(customer, venues.s1, ["A1", "A2", "A3"])
    pay(customer, booking)
    given = [t.pk for t in booking.tickets.all()][:1]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(customer).post(
            f"/api/bookings/{booking.public_id}/cancel/", {"tickets": given}, format="json"
        )
    assert response.status_code == 200, response.content
    refund = Refund.objects.get(kind="partial")
    assert refund.status == "succeeded"

    (row,) = sales(admin_client_api, report_range)["rows"]

    assert (row["tickets_sold"], row["gross"], row["refunds"]) == (
        2,
        "36.00",
        f"{refund.amount:.2f}",
    )
    assert row["net"] == f"{36 - refund.amount:.2f}"
