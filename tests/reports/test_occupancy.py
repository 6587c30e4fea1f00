from datetime import timedelta

import pytest

from marquee.catalog.services import showtime_cancel
from tests import factories
from tests.reports.conftest import hold, pay

pytestmark = pytest.mark.django_db

OCCUPANCY = "/api/reports/occupancy/"


def occupancy(client, params):
    response = client.get(OCCUPANCY, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_each_showtime_shows_capacity_sold_live_holds_and_occupancy(
    admin_client_api, sale, report_range
):
    body = occupancy(admin_client_api, report_range)

    assert [
        (r["showtime_id"], r["capacity"], r["sold"], r["held"], r["occupancy_percent"])
        for r in body["showtimes"]
    ] == [
        (sale.s4.pk, 9, 2, 1, "22.2"),  # the declined card's hold is still live
        (sale.s3.pk, 9, 4, 0, "44.4"),  # a checked-in ticket is still sold
        (sale.s1.pk, 10, 3, 1, "30.0"),  # refunded seats are free again
        (sale.s2.pk, 10, 2, 0, "20.0"),  # a lapsed hold holds nothing, swept or not
    ]


def test_showtime_rows_name_the_movie_theater_and_screen(admin_client_api, sale, report_range):
    row = occupancy(admin_client_api, report_range)["showtimes"][0]

    assert row["movie_id"] == sale.beta.pk
    assert (row["movie"], row["theater_id"], row["theater"], row["screen"]) == (
        "Beta",
        sale.tokyo.pk,
        "Ginza",
        sale.s4.screen.name,
    )
    assert row["local_starts_at"].endswith("+09:00")


def test_a_movie_averages_the_occupancy_of_its_showtimes(admin_client_api, sale, report_range):
    movies = occupancy(admin_client_api, report_range)["movies"]

    assert movies == [
        # (30% + 4/9) / 2 = 37.22...%; (20% + 2/9) / 2 = 21.11...%
        {"movie_id": sale.alpha.pk, "movie": "Alpha", "showtimes": 2, "capacity": 19,
         "sold": 7, "average_occupancy_percent": "37.2"},
        {"movie_id": sale.beta.pk, "movie": "Beta", "showtimes": 2, "capacity": 19,
         "sold": 4, "average_occupancy_percent": "21.1"},
    ]  # fmt: skip


def test_occupancy_agrees_with_the_seat_map(admin_client_api, sale, report_range):
    rows = occupancy(admin_client_api, report_range)["showtimes"]

    for row in rows:
        counts = admin_client_api.get(f"/api/showtimes/{row['showtime_id']}/seats/").json()[
            "counts"
        ]
        assert (row["capacity"], row["sold"], row["held"]) == (
            counts["total"],
            counts["sold"],
            counts["held"],
        )


def test_held_seats_agree_with_the_bookings_listed_as_pending(admin_client_api, sale, report_range):
    """A lapsed hold is expired in the booking list and holds nothing in the report, whether
    or not the sweeper has run (s2's was not swept, s4's was)."""
    rows = occupancy(admin_client_api, report_range)["showtimes"]

    def listed(status: str, showtime_id: int) -> list[dict]:
        query = {"all": "1", "status": status, "showtime": showtime_id, "page_size": 100}
        return admin_client_api.get("/api/bookings/", query).json()["results"]

    for row in rows:
        pending = listed("pending", row["showtime_id"])
        assert row["held"] == sum(len(booking["tickets"]) for booking in pending)
    assert [len(listed("expired", s.pk)) for s in (sale.s2, sale.s4)] == [1, 1]


def test_a_full_house_is_100_percent(admin_client_api, venues, customer, report_range):
    labels = [f"{row}{n}" for row in "ABC" for n in (1, 2, 3)]
    pay(customer, hold(customer, venues.s3, labels))

    rows = occupancy(admin_client_api, report_range)["showtimes"]

    s3 = next(r for r in rows if r["showtime_id"] == venues.s3.pk)
    assert (s3["sold"], s3["occupancy_percent"]) == (9, "100.0")


def test_a_screen_without_seats_has_zero_capacity_and_zero_occupancy(
    admin_client_api, venues, report_range
):
    bare = factories.ShowtimeFactory(
        screen=factories.ScreenFactory(theater=venues.new_york),
        starts_at=venues.s2.starts_at,
        movie=venues.beta,
    )

    rows = occupancy(admin_client_api, report_range)["showtimes"]

    row = next(r for r in rows if r["showtime_id"] == bare.pk)
    assert (row["capacity"], row["sold"], row["occupancy_percent"]) == (0, 0, "0.0")


def test_cancelled_showtimes_are_left_out(admin_client_api, sale, report_range, admin_user):
    showtime_cancel(showtime=sale.s2, cancelled_by=admin_user)

    body = occupancy(admin_client_api, report_range)

    assert sale.s2.pk not in {r["showtime_id"] for r in body["showtimes"]}
    beta = next(m for m in body["movies"] if m["movie"] == "Beta")
    assert (beta["showtimes"], beta["average_occupancy_percent"]) == (1, "22.2")


def test_shows_are_chosen_by_their_local_date(admin_client_api, sale):
    day = sale.first_day.isoformat()

    body = occupancy(admin_client_api, {"from": day, "to": day})

    assert [r["showtime_id"] for r in body["showtimes"]] == [sale.s4.pk, sale.s1.pk]
    assert sale.s5.pk not in {r["showtime_id"] for r in body["showtimes"]}


def test_an_empty_range_has_no_showtimes_and_no_movies(admin_client_api, sale):
    later = (sale.last_day + timedelta(days=30)).isoformat()

    body = occupancy(admin_client_api, {"from": later, "to": later})

    assert (body["showtimes"], body["movies"]) == ([], [])
    assert body["generated_at"]
