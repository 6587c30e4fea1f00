import pytest

from marquee.catalog.models import Screen, Theater
from tests import factories
from tests.errors import field_codes

THEATERS = "/api/theaters/"
SCREENS = "/api/screens/"


# --- Theaters -------------------------------------------------------------------------------


def test_anyone_can_read_theaters(api_client, db):
    theater = factories.TheaterFactory(name="Odeon", timezone="Europe/Berlin")
    factories.ScreenFactory(theater=theater)

    listing = api_client.get(THEATERS)
    detail = api_client.get(f"{THEATERS}{theater.pk}/")

    assert listing.status_code == 200
    assert listing.json()["results"][0]["name"] == "Odeon"
    assert detail.json()["timezone"] == "Europe/Berlin"
    assert detail.json()["screen_count"] == 1
    # New theaters' surcharges are percentages of the base price: valid in any currency.
    assert detail.json()["surcharge_kind"] == "percent"
    assert detail.json()["surcharge_currency"] == ""
    assert detail.json()["premium_surcharge"] == "20.00"
    assert detail.json()["vip_surcharge"] == "50.00"


@pytest.mark.parametrize(
    ("client_fixture", "expected_status"),
    [("api_client", 401), ("customer_client", 403), ("admin_client_api", 201)],
)
def test_only_admins_create_theaters(request, db, client_fixture, expected_status):
    client = request.getfixturevalue(client_fixture)

    response = client.post(THEATERS, {"name": "Rex", "timezone": "Europe/Paris"}, format="json")

    assert response.status_code == expected_status


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "europe/berlin", "+02:00", "Local"])
def test_a_theater_timezone_must_be_an_iana_name(admin_client_api, db, zone):
    response = admin_client_api.post(THEATERS, {"name": "Rex", "timezone": zone}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_timezone"
    assert response.json()["error"]["details"] == {
        "timezone": [
            {
                "code": "invalid_timezone",
                "message": f"'{zone}' is not an IANA timezone such as 'Europe/Berlin'.",
            }
        ]
    }
    assert not Theater.objects.exists()


def test_changing_a_theater_timezone_is_checked_too(admin_client_api, db):
    theater = factories.TheaterFactory(timezone="UTC")

    bad = admin_client_api.patch(f"{THEATERS}{theater.pk}/", {"timezone": "Nowhere/Land"})
    good = admin_client_api.patch(f"{THEATERS}{theater.pk}/", {"timezone": "Asia/Tokyo"})

    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_timezone"
    assert good.status_code == 200
    assert good.json()["timezone"] == "Asia/Tokyo"


def test_theater_names_are_unique(admin_client_api, db):
    factories.TheaterFactory(name="Rex")

    response = admin_client_api.post(THEATERS, {"name": "Rex", "timezone": "UTC"})

    assert response.status_code == 400
    assert field_codes(response) == {"name": ["unique"]}


def test_a_theater_with_screens_cannot_be_deleted(admin_client_api, db):
    screen = factories.ScreenFactory()
    empty = factories.TheaterFactory()

    refused = admin_client_api.delete(f"{THEATERS}{screen.theater_id}/")
    deleted = admin_client_api.delete(f"{THEATERS}{empty.pk}/")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "theater_in_use"
    assert deleted.status_code == 204


def test_unknown_theater_is_404(api_client, db):
    response = api_client.get(f"{THEATERS}4242/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- Screens --------------------------------------------------------------------------------


def test_screens_are_listed_with_theater_and_seat_count(api_client, screen):
    response = api_client.get(SCREENS)

    assert response.status_code == 200
    [listed] = response.json()["results"]
    assert listed["id"] == screen.pk
    assert listed["seat_count"] == 40
    assert listed["theater"] == {
        "id": screen.theater.pk,
        "name": screen.theater.name,
        "timezone": "Europe/Berlin",
    }


def test_screens_filter_by_theater(api_client, db):
    one = factories.ScreenFactory(name="One")
    factories.ScreenFactory(name="Two")

    response = api_client.get(SCREENS, {"theater": one.theater_id})

    assert [s["name"] for s in response.json()["results"]] == ["One"]


def test_screen_list_runs_a_fixed_number_of_queries(api_client, db, django_assert_max_num_queries):
    for _ in range(12):
        factories.screen_with_seats(rows=2, per_row=3)

    with django_assert_max_num_queries(2):
        response = api_client.get(SCREENS)

    assert len(response.json()["results"]) == 12


@pytest.mark.parametrize(
    ("client_fixture", "expected_status"),
    [("api_client", 401), ("customer_client", 403), ("admin_client_api", 201)],
)
def test_only_admins_create_screens(request, db, client_fixture, expected_status):
    theater = factories.TheaterFactory()
    client = request.getfixturevalue(client_fixture)

    response = client.post(SCREENS, {"theater": theater.pk, "name": "Hall 1"}, format="json")

    assert response.status_code == expected_status
    if expected_status == 201:
        assert response.json()["seat_count"] == 0


def test_screen_names_are_unique_within_a_theater(admin_client_api, db):
    screen = factories.ScreenFactory(name="Hall 1")
    other_theater = factories.TheaterFactory()

    clash = admin_client_api.post(SCREENS, {"theater": screen.theater_id, "name": "Hall 1"})
    elsewhere = admin_client_api.post(SCREENS, {"theater": other_theater.pk, "name": "Hall 1"})

    assert clash.status_code == 400
    assert elsewhere.status_code == 201


def test_a_screen_needs_an_existing_theater(admin_client_api, db):
    response = admin_client_api.post(SCREENS, {"theater": 4242, "name": "Hall"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "theater": [
            {"code": "does_not_exist", "message": 'Invalid pk "4242" - object does not exist.'}
        ]
    }


def test_a_screen_can_be_renamed(admin_client_api, db):
    screen = factories.ScreenFactory(name="Hall 1")

    response = admin_client_api.patch(f"{SCREENS}{screen.pk}/", {"name": "Grand Hall"})

    assert response.status_code == 200
    assert response.json()["name"] == "Grand Hall"


def test_a_screen_with_showtimes_cannot_be_deleted(admin_client_api, showtime):
    unused = factories.screen_with_seats()

    refused = admin_client_api.delete(f"{SCREENS}{showtime.screen_id}/")
    deleted = admin_client_api.delete(f"{SCREENS}{unused.pk}/")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "screen_in_use"
    assert deleted.status_code == 204
    assert not Screen.objects.filter(pk=unused.pk).exists()


def test_screen_seats_are_a_compact_unpaginated_list(api_client, screen):
    response = api_client.get(f"{SCREENS}{screen.pk}/seats/")

    assert response.status_code == 200
    seats = response.json()
    assert isinstance(seats, list)
    assert len(seats) == 40
    assert set(seats[0]) == {"id", "row_label", "number", "tier", "kind", "x", "y"}
    assert [(s["row_label"], s["number"]) for s in seats[:2]] == [("A", 1), ("A", 2)]
    assert seats[-1]["row_label"] == "E"
    assert seats[-1]["tier"] == "vip"


def test_seats_of_an_unknown_screen_are_404(api_client, db):
    response = api_client.get(f"{SCREENS}4242/seats/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_theater_has_its_own_accessible_release_time_or_none(admin_client_api, db):
    theater = factories.TheaterFactory()
    assert (
        admin_client_api.get(f"{THEATERS}{theater.pk}/").json()["accessible_release_minutes"]
        is None
    )  # the site's BOOKING_ACCESSIBLE_RELEASE_MINUTES

    response = admin_client_api.patch(
        f"{THEATERS}{theater.pk}/", {"accessible_release_minutes": 30}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["accessible_release_minutes"] == 30
    cleared = admin_client_api.patch(
        f"{THEATERS}{theater.pk}/", {"accessible_release_minutes": None}, format="json"
    )
    assert cleared.json()["accessible_release_minutes"] is None
    theater.refresh_from_db()
    assert theater.accessible_release_minutes is None


@pytest.mark.parametrize("minutes", [-1, 7 * 24 * 60 + 1, "soon", 1.5, True])
def test_an_accessible_release_time_out_of_range_is_400(admin_client_api, db, minutes):
    theater = factories.TheaterFactory()
    response = admin_client_api.patch(
        f"{THEATERS}{theater.pk}/", {"accessible_release_minutes": minutes}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "accessible_release_minutes" in response.json()["error"]["details"]


def test_only_admins_change_the_accessible_release_time(customer_client, staff_client, db):
    theater = factories.TheaterFactory()
    for client in (customer_client, staff_client):
        response = client.patch(
            f"{THEATERS}{theater.pk}/", {"accessible_release_minutes": 5}, format="json"
        )
        assert response.status_code == 403
    theater.refresh_from_db()
    assert theater.accessible_release_minutes is None


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_a_negative_or_too_long_release_time(db):
    from django.db import DataError, IntegrityError, transaction

    theater = factories.TheaterFactory()
    for minutes in (-5, 7 * 24 * 60 + 1):
        # The CHECK constraint; on MySQL/MariaDB the column is UNSIGNED and a negative value is
        # refused before the constraint is read (a DataError in strict mode).
        refused = (IntegrityError, DataError) if minutes < 0 else IntegrityError
        with pytest.raises(refused), transaction.atomic():
            Theater.objects.filter(pk=theater.pk).update(accessible_release_minutes=minutes)
