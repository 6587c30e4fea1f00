"""Ticket types and price cards: what a hold charges per seat, and what the seat map shows."""

from decimal import Decimal

import pytest

from marquee.booking.models import Booking
from marquee.catalog import services as catalog_services
from marquee.catalog.models import PriceCard, TicketType
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_ticket_types")]
URL = "/api/bookings/"

CARD = [
    {"ticket_type": "adult", "tier": "standard", "price": Decimal("12.00")},
    {"ticket_type": "adult", "tier": "vip", "price": Decimal("20.00")},
    {"ticket_type": "child", "tier": "standard", "price": Decimal("7.50")},
    {"ticket_type": "senior", "tier": "standard", "price": Decimal("9.00")},
]


@pytest.fixture
def card(showtime):
    price_card = catalog_services.price_card_create(
        theater=showtime.screen.theater, name="Regular", currency="EUR", entries=CARD
    )
    catalog_services.showtime_update(showtime=showtime, price_card=price_card)
    return price_card


def test_the_default_ticket_types_are_shared_by_every_theater():
    codes = set(TicketType.objects.filter(theater=None).values_list("code", flat=True))
    assert {"adult", "child", "senior", "student"} <= codes


def test_the_data_migration_creates_the_defaults_once():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("marquee.catalog.migrations.0007_default_ticket_types")
    TicketType.objects.all().delete()
    migration.create(apps, None)
    migration.create(apps, None)
    assert sorted(TicketType.objects.values_list("code", flat=True)) == [
        "adult",
        "child",
        "senior",
        "student",
    ]


def test_plain_seat_ids_still_buy_the_default_type_at_the_tier_price(
    customer_client, showtime, seats
):
    body = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": [seats["A1"].id]}, format="json"
    ).json()
    assert [(t["ticket_type"], t["price"]) for t in body["tickets"]] == [("adult", "10.00")]


def test_a_hold_names_a_ticket_type_per_seat_and_each_ticket_snapshots_type_and_price(
    customer_client, showtime, seats, card
):
    response = customer_client.post(
        URL,
        {
            "showtime": showtime.pk,
            "seats": [
                {"id": seats["A1"].id, "ticket_type": "child"},
                {"id": seats["A2"].id, "ticket_type": "senior"},
                seats["A3"].id,
                {"id": seats["E1"].id},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    got = {t["seat"]["id"]: (t["ticket_type"], t["price"]) for t in body["tickets"]}
    assert got == {
        seats["A1"].id: ("child", "7.50"),
        seats["A2"].id: ("senior", "9.00"),
        seats["A3"].id: ("adult", "12.00"),
        seats["E1"].id: ("adult", "20.00"),
    }
    assert body["total"] == "48.50"
    # A later change of the card never reprices what was held.
    catalog_services.price_card_update(price_card=card, entries=[])
    booking = Booking.objects.get(public_id=body["id"])
    assert sorted(booking.tickets.values_list("ticket_type", "price")) == sorted(
        [
            ("adult", Decimal("12.000")),
            ("adult", Decimal("20.000")),
            ("child", Decimal("7.500")),
            ("senior", Decimal("9.000")),
        ]
    )


def test_the_default_type_falls_back_to_the_tier_price_where_the_card_leaves_it_out(
    customer_client, showtime, seats, card
):
    body = customer_client.post(
        URL, {"showtime": showtime.pk, "seats": [seats["D1"].id]}, format="json"
    ).json()
    assert body["tickets"][0]["price"] == "12.00"  # base 10 + 20 % premium surcharge


def test_an_unknown_ticket_type_is_400_ticket_type_unknown_and_holds_nothing(
    customer_client, showtime, seats, card
):
    response = customer_client.post(
        URL,
        {"showtime": showtime.pk, "seats": [{"id": seats["A1"].id, "ticket_type": "pirate"}]},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "ticket_type_unknown"
    assert error["details"]["ticket_types"] == ["pirate"]
    assert not Booking.objects.exists()


def test_a_type_the_card_does_not_price_for_that_tier_is_400_ticket_type_not_offered(
    customer_client, showtime, seats, card
):
    response = customer_client.post(
        URL,
        {"showtime": showtime.pk, "seats": [{"id": seats["E1"].id, "ticket_type": "child"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ticket_type_not_offered"
    assert response.json()["error"]["details"]["seat_ids"] == [seats["E1"].id]


def test_without_a_price_card_only_the_default_type_is_sold(customer_client, showtime, seats):
    response = customer_client.post(
        URL,
        {"showtime": showtime.pk, "seats": [{"id": seats["A1"].id, "ticket_type": "child"}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ticket_type_not_offered"


@pytest.mark.parametrize(
    "seat",
    [
        {"ticket_type": "child"},
        {"id": "x", "ticket_type": "child"},
        {"id": 1, "ticket_type": "no spaces allowed"},
        {"id": 1, "ticket_type": 5.5},
        "A1",
        True,
        None,
        [1],
    ],
)
def test_malformed_seat_entries_are_400_invalid(customer_client, showtime, seat):
    response = customer_client.post(URL, {"showtime": showtime.pk, "seats": [seat]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_the_seat_map_shows_the_price_per_tier_and_ticket_type(api_client, showtime, card):
    body = api_client.get(f"/api/showtimes/{showtime.pk}/seats/").json()
    types = {t["code"]: t for t in body["ticket_types"]}
    assert types["adult"]["prices"] == {"standard": "12.00", "premium": "12.00", "vip": "20.00"}
    assert types["child"]["prices"] == {"standard": "7.50"}
    assert types["child"]["name"] == "Child"
    assert "student" not in types  # the card sells none
    assert body["prices"]["standard"] == "12.00"  # the default type's, as each seat's price


def test_the_time_of_day_and_weekday_rules_apply_to_card_prices(customer_client, screen):
    morning = factories.ShowtimeFactory(
        screen=screen, starts_at=factories.evening_in(3, screen.theater.timezone, hour=10)
    )
    price_card = catalog_services.price_card_create(
        theater=screen.theater, name="Morning", currency="EUR", entries=CARD
    )
    catalog_services.showtime_update(showtime=morning, price_card=price_card)
    body = customer_client.get(f"/api/showtimes/{morning.pk}/seats/").json()
    child = next(t for t in body["ticket_types"] if t["code"] == "child")
    assert child["prices"]["standard"] == "6.00"  # 7.50 less the 20 % morning discount


def test_a_theater_adds_its_own_ticket_type(staff_client, showtime, seats, customer_client):
    theater = showtime.screen.theater
    response = staff_client.post(
        "/api/ticket-types/",
        {"code": "family", "name": "Family", "theater": theater.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    again = staff_client.post(
        "/api/ticket-types/", {"code": "family", "name": "Twice", "theater": theater.pk}
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ticket_type_exists"
    card = staff_client.post(
        "/api/price-cards/",
        {
            "theater": theater.pk,
            "name": "Family day",
            "currency": "EUR",
            "entries": [{"ticket_type": "family", "tier": "standard", "price": "8.00"}],
        },
        format="json",
    )
    assert card.status_code == 201, card.content
    assert card.json()["entries"] == [
        {"ticket_type": "family", "tier": "standard", "price": "8.00"}
    ]
    patched = staff_client.patch(
        f"/api/showtimes/{showtime.pk}/", {"price_card": card.json()["id"]}, format="json"
    )
    assert patched.status_code in (200, 403), patched.content  # showtime writes are admin's


def test_price_card_writes_need_staff(api_client, customer_client, showtime):
    payload = {"theater": showtime.screen.theater_id, "name": "X", "currency": "EUR"}
    assert api_client.post("/api/price-cards/", payload).status_code == 401
    response = customer_client.post("/api/price-cards/", payload)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert customer_client.get("/api/price-cards/").status_code == 200
    assert not PriceCard.objects.exists()


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([{"ticket_type": "pirate", "tier": "standard", "price": "1.00"}], "ticket_type_unknown"),
        ([{"ticket_type": "adult", "tier": "standard", "price": "1.005"}], "too_many_decimals"),
        ([{"ticket_type": "adult", "tier": "balcony", "price": "1.00"}], "invalid"),
        ([{"ticket_type": "adult", "tier": "standard", "price": "-1"}], "invalid"),
        ([{"tier": "standard", "price": "1"}], "invalid"),
    ],
)
def test_malformed_price_cards_are_400(staff_client, showtime, entries, code):
    response = staff_client.post(
        "/api/price-cards/",
        {"theater": showtime.screen.theater_id, "name": "X", "currency": "EUR", "entries": entries},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not PriceCard.objects.exists()


def test_a_card_of_another_theater_or_currency_cannot_be_assigned(admin_client_api, showtime):
    other = catalog_services.price_card_create(
        theater=factories.TheaterFactory(), name="Elsewhere", currency="EUR"
    )
    yen = catalog_services.price_card_create(
        theater=showtime.screen.theater, name="Yen", currency="JPY"
    )
    for card in (other, yen):
        response = admin_client_api.patch(
            f"/api/showtimes/{showtime.pk}/", {"price_card": card.pk}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "price_card_mismatch"


def best_available(client, showtime, counts, **extra):
    return client.post(
        URL,
        {
            "showtime": showtime.pk,
            "quantity": sum(n for _, n in counts),
            "ticket_types": [{"ticket_type": code, "quantity": n} for code, n in counts],
            **extra,
        },
        format="json",
    )


def test_best_available_names_the_ticket_types_and_snapshots_each_price(
    customer_client, showtime, card
):
    response = best_available(
        customer_client, showtime, [("adult", 2), ("child", 1)], tier="standard"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    tickets = sorted(body["tickets"], key=lambda t: t["seat"]["number"])
    assert [t["ticket_type"] for t in tickets] == ["adult", "adult", "child"]  # left to right
    assert [t["price"] for t in tickets] == ["12.00", "12.00", "7.50"]
    assert len({t["seat"]["row"] for t in tickets}) == 1
    assert body["total"] == "31.50"
    catalog_services.price_card_update(price_card=card, entries=[])
    booking = Booking.objects.get(public_id=body["id"])
    assert sorted(booking.tickets.values_list("ticket_type", "price")) == [
        ("adult", Decimal("12.000")),
        ("adult", Decimal("12.000")),
        ("child", Decimal("7.500")),
    ]


def test_best_available_without_ticket_types_still_holds_the_default_type(
    customer_client, showtime, card
):
    response = customer_client.post(
        URL, {"showtime": showtime.pk, "quantity": 2, "tier": "standard"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert {t["ticket_type"] for t in response.json()["tickets"]} == {"adult"}


@pytest.mark.parametrize("quantity", [2, 4])
def test_ticket_counts_that_do_not_add_up_to_the_quantity_are_400_and_hold_nothing(
    customer_client, showtime, card, quantity
):
    response = customer_client.post(
        URL,
        {
            "showtime": showtime.pk,
            "quantity": quantity,
            "ticket_types": [
                {"ticket_type": "adult", "quantity": 2},
                {"ticket_type": "child", "quantity": 1},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "ticket_counts_mismatch"
    assert error["details"] == {"quantity": quantity, "counted": 3}
    assert not Booking.objects.exists()


def test_best_available_with_an_unknown_ticket_type_is_400_ticket_type_unknown(
    customer_client, showtime, card
):
    response = best_available(customer_client, showtime, [("adult", 1), ("pirate", 1)])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "ticket_type_unknown"
    assert error["details"]["ticket_types"] == ["pirate"]
    assert not Booking.objects.exists()


def test_best_available_of_a_type_the_tier_does_not_sell_is_400_ticket_type_not_offered(
    customer_client, showtime, card
):
    response = best_available(customer_client, showtime, [("child", 2)], tier="vip")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ticket_type_not_offered"
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"seats": [1], "ticket_types": [{"ticket_type": "adult", "quantity": 1}]},
        {
            "quantity": 2,
            "ticket_types": [
                {"ticket_type": "adult", "quantity": 1},
                {"ticket_type": "adult", "quantity": 1},
            ],
        },
        {"quantity": 1, "ticket_types": [{"ticket_type": "adult", "quantity": 0}]},
        {"quantity": 1, "ticket_types": [{"ticket_type": "adult"}]},
        {"quantity": 1, "ticket_types": {"adult": 1}},
        {"quantity": 1, "ticket_types": [{"ticket_type": "a b", "quantity": 1}]},
    ],
)
def test_malformed_ticket_counts_are_400_invalid(customer_client, showtime, card, body):
    response = customer_client.post(URL, {"showtime": showtime.pk, **body}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert not Booking.objects.exists()


def test_best_available_ticket_types_are_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    create = schema["components"]["schemas"]["BookingCreateInputRequest"]
    items = create["properties"]["ticket_types"]["items"]
    assert "TicketCountInput" in items["$ref"]
    codes = str(schema["paths"]["/api/bookings/"]["post"]["responses"]["400"])
    assert "ticket_counts_mismatch" in codes
