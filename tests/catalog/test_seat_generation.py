from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from marquee.catalog.models import Seat
from marquee.catalog.seat_generation import parse_rows, row_index, row_label
from tests import factories
from tests.catalog.conftest import hold_ticket
from tests.errors import field_codes

LAYOUT = {
    "rows": 10,
    "per_row": 14,
    "aisles_after": [3, 11],
    "premium_rows": "H-I",
    "vip_rows": ["J"],
    "wheelchair": ["A1", "A2"],
    "companion": "A3",
}


def generate_url(screen) -> str:
    return f"/api/screens/{screen.pk}/seats/generate/"


def seats_by_label(screen) -> dict[str, Seat]:
    return {f"{s.row_label}{s.number}": s for s in Seat.objects.filter(screen=screen)}


# --- Labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "label"), [(0, "A"), (7, "H"), (25, "Z"), (26, "AA"), (27, "AB"), (39, "AN")]
)
def test_rows_are_labelled_a_to_z_then_aa(index, label):
    assert row_label(index) == label
    assert row_index(label) == index


def test_row_specs_accept_ranges_lists_and_mixed_case():
    assert parse_rows("E-G", rows=10, field="f") == {"E", "F", "G"}
    assert parse_rows(["h", "J"], rows=10, field="f") == {"H", "J"}
    assert parse_rows("A, C-D", rows=10, field="f") == {"A", "C", "D"}
    assert parse_rows("Z-AB", rows=30, field="f") == {"Z", "AA", "AB"}


# --- Generating through the API -------------------------------------------------------------


def test_generating_seats_builds_the_described_grid(admin_client_api, db):
    screen = factories.ScreenFactory()

    response = admin_client_api.post(generate_url(screen), LAYOUT, format="json")

    assert response.status_code == 201
    assert response.json()["seat_count"] == 140
    assert len(response.json()["seats"]) == 140
    seats = seats_by_label(screen)
    assert len(seats) == 140
    rows = Counter(s.row_label for s in seats.values())
    assert rows == {label: 14 for label in "ABCDEFGHIJ"}
    tiers = Counter(s.tier for s in seats.values())
    assert tiers == {"standard": 98, "premium": 28, "vip": 14}
    assert {s.tier for s in seats.values() if s.row_label in "HI"} == {"premium"}
    assert {s.tier for s in seats.values() if s.row_label == "J"} == {"vip"}
    assert seats["A1"].kind == seats["A2"].kind == "wheelchair"
    assert seats["A3"].kind == "companion"
    assert Counter(s.kind for s in seats.values())["regular"] == 137


def test_an_aisle_is_a_gap_of_two_in_x(admin_client_api, db):
    screen = factories.ScreenFactory()

    admin_client_api.post(generate_url(screen), LAYOUT, format="json")

    row_c = sorted(
        (s for s in Seat.objects.filter(screen=screen, row_label="C")), key=lambda s: s.x
    )
    xs = [s.x for s in row_c]
    steps = {row_c[i].number: xs[i + 1] - xs[i] for i in range(len(xs) - 1)}
    assert steps[3] == 2 and steps[11] == 2
    assert {step for number, step in steps.items() if number not in (3, 11)} == {1}
    assert {s.y for s in row_c} == {2}
    assert [s.number for s in row_c] == list(range(1, 15))


def test_40_rows_of_60_are_the_largest_grid(admin_client_api, db):
    screen = factories.ScreenFactory()

    response = admin_client_api.post(
        generate_url(screen), {"rows": 40, "per_row": 60}, format="json"
    )

    assert response.status_code == 201
    assert Seat.objects.filter(screen=screen).count() == 2400
    assert Seat.objects.filter(screen=screen, row_label="AN", number=60).exists()


@pytest.mark.parametrize(
    ("client_fixture", "expected_status"), [("api_client", 401), ("customer_client", 403)]
)
def test_only_admins_generate_seats(request, db, client_fixture, expected_status):
    screen = factories.ScreenFactory()
    client = request.getfixturevalue(client_fixture)

    response = client.post(generate_url(screen), LAYOUT, format="json")

    assert response.status_code == expected_status
    assert not Seat.objects.filter(screen=screen).exists()


@pytest.mark.parametrize(
    ("changes", "code", "field_errors"),
    [
        ({"rows": 0}, "invalid", {"rows": ["min_value"]}),
        ({"rows": 41}, "invalid", {"rows": ["max_value"]}),
        ({"rows": "ten"}, "invalid", {"rows": ["invalid"]}),
        ({"per_row": 61}, "invalid", {"per_row": ["max_value"]}),
        ({"per_row": None}, "invalid", {"per_row": ["null"]}),
        ({"aisles_after": "3"}, "invalid", {"aisles_after": ["not_a_list"]}),
        ({"aisles_after": [0]}, "invalid", {"aisles_after": {"0": ["min_value"]}}),
        ({"aisles_after": [14]}, "invalid_seat_layout", {"aisles_after": ["invalid_seat_layout"]}),
        ({"premium_rows": "K"}, "invalid_seat_layout", {"premium_rows": ["invalid_seat_layout"]}),
        ({"premium_rows": "G-E"}, "invalid_seat_layout", {"premium_rows": ["invalid_seat_layout"]}),
        ({"premium_rows": "E-"}, "invalid_seat_layout", {"premium_rows": ["invalid_seat_layout"]}),
        ({"premium_rows": 5}, "invalid", {"premium_rows": ["invalid"]}),
        ({"vip_rows": "I-J"}, "invalid_seat_layout", {"vip_rows": ["invalid_seat_layout"]}),
        ({"wheelchair": ["A15"]}, "invalid_seat_layout", {"wheelchair": ["invalid_seat_layout"]}),
        ({"wheelchair": ["1A"]}, "invalid_seat_layout", {"wheelchair": ["invalid_seat_layout"]}),
        ({"wheelchair": [{"row": "A"}]}, "invalid", {"wheelchair": ["invalid"]}),
        ({"companion": ["A2"]}, "invalid_seat_layout", {"companion": ["invalid_seat_layout"]}),
    ],
)
def test_an_invalid_layout_is_refused_and_keeps_the_old_seats(
    admin_client_api, screen, changes, code, field_errors
):
    before = Seat.objects.filter(screen=screen).count()

    response = admin_client_api.post(generate_url(screen), LAYOUT | changes, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert field_codes(response) == field_errors
    assert Seat.objects.filter(screen=screen).count() == before


def test_regenerating_replaces_every_seat(admin_client_api, screen):
    old_ids = set(Seat.objects.filter(screen=screen).values_list("id", flat=True))

    response = admin_client_api.post(generate_url(screen), {"rows": 3, "per_row": 4}, format="json")

    assert response.status_code == 201
    new_ids = set(Seat.objects.filter(screen=screen).values_list("id", flat=True))
    assert len(new_ids) == 12
    assert not old_ids & new_ids


def test_regenerating_is_refused_when_a_seat_has_a_ticket(admin_client_api, showtime, customer):
    seat = Seat.objects.filter(screen=showtime.screen).first()
    hold_ticket(seat=seat, showtime=showtime, user=customer)
    before = set(Seat.objects.filter(screen=showtime.screen).values_list("id", flat=True))

    response = admin_client_api.post(generate_url(showtime.screen), LAYOUT, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "seats_in_use"
    assert set(Seat.objects.filter(screen=showtime.screen).values_list("id", flat=True)) == before


def test_generating_seats_of_an_unknown_screen_is_404(admin_client_api, db):
    response = admin_client_api.post("/api/screens/4242/seats/generate/", LAYOUT, format="json")

    assert response.status_code == 404


# --- The management command -----------------------------------------------------------------


def command_args(reference: str) -> list[str]:
    return [
        reference,
        "--rows=10",
        "--per-row=14",
        "--aisles-after=3,11",
        "--premium-rows=H-I",
        "--vip-rows=J",
        "--wheelchair=A1,A2",
        "--companion=A3",
    ]


def test_generate_seats_command_finds_a_screen_by_theater_and_name(db):
    theater = factories.TheaterFactory(name="Marquee Uptown")
    screen = factories.ScreenFactory(theater=theater, name="Screen 7")

    call_command("generate_seats", *command_args("Marquee Uptown/Screen 7"))

    seats = seats_by_label(screen)
    assert len(seats) == 140
    assert seats["J5"].tier == "vip"
    assert seats["A3"].kind == "companion"
    assert seats["A4"].x - seats["A3"].x == 2


def test_generate_seats_command_finds_a_screen_by_name_or_id(db):
    screen = factories.ScreenFactory(name="Only one")

    call_command("generate_seats", "Only one", "--rows=2", "--per-row=3")
    assert Seat.objects.filter(screen=screen).count() == 6

    call_command("generate_seats", str(screen.pk), "--rows=3", "--per-row=3")
    assert Seat.objects.filter(screen=screen).count() == 9


def test_generate_seats_command_refuses_ambiguous_or_unknown_screens(db):
    factories.ScreenFactory(name="Hall")
    factories.ScreenFactory(name="Hall")

    with pytest.raises(CommandError, match="Several screens"):
        call_command("generate_seats", "Hall", "--rows=2", "--per-row=3")
    with pytest.raises(CommandError, match="No screen"):
        call_command("generate_seats", "Nowhere/Hall", "--rows=2", "--per-row=3")


def test_generate_seats_command_refuses_a_bad_layout_or_sold_seats(showtime, customer):
    hold_ticket(seat=showtime.screen.seats.first(), showtime=showtime, user=customer)
    reference = str(showtime.screen_id)

    with pytest.raises(CommandError, match="per_row"):
        call_command("generate_seats", reference, "--rows=2", "--per-row=99")
    with pytest.raises(CommandError, match="invalid_seat_layout"):
        call_command("generate_seats", reference, "--rows=2", "--per-row=3", "--vip-rows=Q")
    with pytest.raises(CommandError, match="seats_in_use"):
        call_command("generate_seats", reference, "--rows=2", "--per-row=3")
