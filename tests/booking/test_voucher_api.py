"""The staff's voucher API: the same services as the admin and `create_vouchers`, a coded 4xx
for every refusal, and each voucher's redemptions counted."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marquee.booking import services, vouchers
from marquee.booking.models import Voucher

pytestmark = pytest.mark.django_db

URL = "/api/vouchers/"


def code_of(response) -> str:
    return response.json()["error"]["code"]


def make(code, **terms):
    return vouchers.voucher_create(code=code, **({"kind": "percent", "value": Decimal(10)} | terms))


def ids(seats, *labels):
    return [seats[label].id for label in labels]


# --- Create ----------------------------------------------------------------------------------


def test_admins_create_a_voucher_and_staff_read_it_back(admin_client_api, showtime):
    body = {
        "code": "summer-25",
        "kind": "amount",
        "value": "5.00",
        "currency": "EUR",
        "theater": showtime.screen.theater_id,
        "max_redemptions": 100,
        "valid_until": (timezone.now() + timedelta(days=30)).isoformat(),
    }
    response = admin_client_api.post(URL, body, format="json")

    assert response.status_code == 201, response.content
    made = response.json()
    assert made["code"] == "SUMMER-25"
    assert (made["kind"], made["value"], made["currency"]) == ("amount", "5.00", "EUR")
    assert made["theater"] == showtime.screen.theater_id and made["movie"] is None
    assert (made["is_active"], made["usable"]) == (True, True)
    assert (made["redeemed"], made["redemptions"], made["redemptions_released"]) == (0, 0, 0)
    again = admin_client_api.get(f"{URL}{made['id']}/").json()
    assert again == made


def test_a_percentage_voucher_reads_as_a_plain_number(admin_client_api):
    response = admin_client_api.post(
        URL, {"code": "TEN", "kind": "percent", "value": "12.5"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["value"] == "12.5"


def test_a_taken_code_is_409_whatever_its_case(admin_client_api):
    make("XMAS")
    response = admin_client_api.post(
        URL, {"code": "xmas", "kind": "percent", "value": 5}, format="json"
    )
    assert response.status_code == 409
    assert code_of(response) == "voucher_code_taken"
    assert Voucher.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid"),
        ({"code": "", "kind": "percent", "value": 5}, "invalid"),
        ({"code": "A" * 33, "kind": "percent", "value": 5}, "invalid"),
        ({"code": "NO SPACES", "kind": "percent", "value": 5}, "invalid"),
        ({"code": "OK", "kind": "gift", "value": 5}, "invalid"),
        ({"code": "OK", "kind": "percent", "value": "ten"}, "invalid"),
        ({"code": "OK", "kind": "percent", "value": "1e400"}, "invalid"),
        ({"code": "OK", "kind": "percent", "value": 150}, "invalid_voucher_terms"),
        ({"code": "OK", "kind": "percent", "value": 5, "currency": "EUR"}, "invalid_voucher_terms"),
        ({"code": "OK", "kind": "amount", "value": "5.00"}, "invalid_currency"),
        ({"code": "OK", "kind": "amount", "value": "5.5", "currency": "JPY"}, "too_many_decimals"),
        ({"code": "OK", "kind": "percent", "value": 5, "movie": 999_999}, "invalid"),
        ({"code": "OK", "kind": "percent", "value": 5, "theater": 10**30}, "invalid"),
        ({"code": "OK", "kind": "percent", "value": 5, "max_redemptions": 0}, "invalid"),
        ({"code": "OK", "kind": "percent", "value": 5, "max_redemptions": 2**40}, "invalid"),
        (
            {
                "code": "OK",
                "kind": "percent",
                "value": 5,
                "valid_from": "2030-01-02T00:00:00Z",
                "valid_until": "2030-01-01T00:00:00Z",
            },
            "invalid_voucher_terms",
        ),
    ],
)
def test_bad_input_is_a_400_with_a_code(admin_client_api, body, code):
    response = admin_client_api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert code_of(response) == code
    assert not Voucher.objects.exists()


# --- Bulk ------------------------------------------------------------------------------------


def test_bulk_creates_codes_with_the_prefix_as_the_command_does(admin_client_api):
    body = {"count": 25, "prefix": "xmas-", "batch": "Xmas 2026", "kind": "percent", "value": 15}
    response = admin_client_api.post(f"{URL}bulk/", body, format="json")

    assert response.status_code == 201, response.content
    made = response.json()
    assert (made["count"], made["batch"]) == (25, "Xmas 2026")
    codes = [v["code"] for v in made["vouchers"]]
    assert len(set(codes)) == 25
    assert all(c.startswith("XMAS-") and len(c) == len("XMAS-") + 10 for c in codes)
    assert Voucher.objects.filter(batch="Xmas 2026", kind="percent").count() == 25
    listed = admin_client_api.get(URL, {"batch": "Xmas 2026", "page_size": 100}).json()
    assert sorted(v["code"] for v in listed["results"]) == sorted(codes)


def test_bulk_calls_the_same_service_as_the_command(admin_client_api, monkeypatch):
    calls = []
    original = vouchers.vouchers_create_bulk

    def spy(**kwargs):
        calls.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(vouchers, "vouchers_create_bulk", spy)
    body = {"count": 2, "kind": "amount", "value": "3.00", "currency": "EUR"}
    assert admin_client_api.post(f"{URL}bulk/", body, format="json").status_code == 201
    assert calls and calls[0]["count"] == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"count": 0}, "invalid"),
        ({"count": vouchers.MAX_BULK + 1}, "invalid"),
        ({"count": 10**12}, "invalid"),
        ({"count": "many"}, "invalid"),
        ({"count": 3, "prefix": "P" * 23}, "invalid"),
        ({"count": 3, "prefix": "with space"}, "invalid"),
        ({"count": 3, "batch": "b" * 61}, "invalid"),
        ({"count": 3, "value": 0}, "invalid_voucher_terms"),
    ],
)
def test_bad_bulk_input_is_a_400_and_creates_nothing(admin_client_api, body, code):
    response = admin_client_api.post(
        f"{URL}bulk/", {"kind": "percent", "value": 10} | body, format="json"
    )
    assert response.status_code == 400, response.content
    assert code_of(response) == code
    assert not Voucher.objects.exists()


def test_the_service_refuses_a_prefix_that_makes_codes_too_long():
    with pytest.raises(vouchers.BookingError) as refused:
        vouchers.vouchers_create_bulk(count=1, prefix="P" * 23, kind="percent", value=Decimal(10))
    assert refused.value.code == "invalid_voucher_terms"
    assert "prefix" in refused.value.details


# --- List, filters, counts -------------------------------------------------------------------


def test_the_list_filters_by_code_usability_and_scope(staff_client, showtime):
    now = timezone.now()
    make("SPRING")
    make("SPRING-FILM", movie=showtime.movie)
    make("OFF")
    Voucher.objects.filter(code="OFF").update(is_active=False)
    make("OVER", valid_until=now - timedelta(days=1), valid_from=now - timedelta(days=9))
    make("LATER", valid_from=now + timedelta(days=1))
    make("KIDS", ticket_type="child", theater=showtime.screen.theater)

    def codes(**params):
        response = staff_client.get(URL, params)
        assert response.status_code == 200, response.content
        return sorted(v["code"] for v in response.json()["results"])

    assert codes(code="spring") == ["SPRING", "SPRING-FILM"]
    assert codes(active="true") == ["KIDS", "SPRING", "SPRING-FILM"]
    assert codes(active="false") == ["LATER", "OFF", "OVER"]
    assert codes(movie=showtime.movie_id) == ["SPRING-FILM"]
    assert codes(theater=showtime.screen.theater_id, ticket_type="child") == ["KIDS"]
    assert len(codes()) == 6


def test_each_voucher_counts_its_redemptions(staff_client, customer, showtime, seats):
    voucher = make("COUNT", max_redemptions=5)
    first, second = (
        services.booking_hold(
            user=customer, showtime_id=showtime.pk, seat_ids=ids(seats, label), voucher_code="COUNT"
        )
        for label in ("A1", "A2")
    )
    services.booking_cancel(booking=first, actor=customer)

    body = staff_client.get(f"{URL}{voucher.pk}/").json()
    assert (body["redeemed"], body["redemptions"], body["redemptions_released"]) == (1, 2, 1)
    (row,) = staff_client.get(URL, {"code": "COUNT"}).json()["results"]
    assert row["redemptions"] == 2 and second.pk


def test_the_list_costs_the_same_queries_however_many_vouchers(
    staff_client, django_assert_max_num_queries
):
    make("ONE")
    with django_assert_max_num_queries(6):
        staff_client.get(URL)
    for n in range(15):
        make(f"MORE{n}")
    with django_assert_max_num_queries(6):
        assert len(staff_client.get(URL).json()["results"]) == 16


@pytest.mark.parametrize(
    "params",
    [
        {"active": "maybe"},
        {"movie": "x"},
        {"theater": "0"},
        {"theater": str(10**30)},
        {"code": "C" * 33},
        {"batch": "b" * 61},
    ],
)
def test_bad_filters_are_a_400(staff_client, params):
    for path in (URL, f"{URL}export/"):
        response = staff_client.get(path, params)
        assert response.status_code == 400, (path, response.content)
        assert code_of(response) == "invalid"


# --- Export ----------------------------------------------------------------------------------


def test_the_export_is_the_commands_csv_with_the_lists_filters(staff_client):
    make("KEEP", max_redemptions=3)
    make("SKIP")
    response = staff_client.get(f"{URL}export/", {"code": "keep"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="vouchers.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["code"], r["kind"], r["value"], r["max_redemptions"]) for r in rows] == [
        ("KEEP", "percent", "10", "3")
    ]
    assert list(rows[0]) == vouchers.CSV_COLUMNS


def test_export_errors_stay_json_even_when_csv_is_asked_for(customer_client):
    response = customer_client.get(f"{URL}export/", HTTP_ACCEPT="text/csv")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert code_of(response) == "permission_denied"


# --- Update ----------------------------------------------------------------------------------


def test_switching_a_voucher_off_refuses_it_at_the_next_hold(
    admin_client_api, customer_client, showtime, seats
):
    voucher = make("STOP")
    response = admin_client_api.patch(f"{URL}{voucher.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["is_active"], response.json()["usable"]) == (False, False)

    hold = customer_client.post(
        "/api/bookings/",
        {"showtime": showtime.pk, "seats": ids(seats, "A1"), "voucher": "STOP"},
        format="json",
    )
    assert hold.status_code == 400
    assert code_of(hold) == "voucher_inactive"

    back_on = admin_client_api.patch(f"{URL}{voucher.pk}/", {"is_active": True}, format="json")
    assert back_on.json()["usable"] is True


def test_changing_the_window_and_limits(admin_client_api):
    voucher = make("WINDOW")
    until = timezone.now() + timedelta(days=3)
    response = admin_client_api.patch(
        f"{URL}{voucher.pk}/",
        {"valid_until": until.isoformat(), "max_redemptions": 10, "max_per_user": 2},
        format="json",
    )
    assert response.status_code == 200, response.content
    voucher.refresh_from_db()
    assert (voucher.valid_until, voucher.max_redemptions, voucher.max_per_user) == (until, 10, 2)
    # Only the fields sent change; the terms stay.
    unchanged = admin_client_api.patch(
        f"{URL}{voucher.pk}/", {"kind": "amount", "value": 99}, format="json"
    )
    assert unchanged.status_code == 200
    assert (unchanged.json()["kind"], unchanged.json()["value"]) == ("percent", "10")
    cleared = admin_client_api.patch(
        f"{URL}{voucher.pk}/", {"max_redemptions": None}, format="json"
    )
    assert cleared.json()["max_redemptions"] is None


def test_the_limit_never_drops_below_the_uses_counted(admin_client_api, customer, showtime, seats):
    voucher = make("USED", max_redemptions=5)
    for label in ("A1", "A2", "A3"):
        services.booking_hold(
            user=customer, showtime_id=showtime.pk, seat_ids=ids(seats, label), voucher_code="USED"
        )
    response = admin_client_api.patch(f"{URL}{voucher.pk}/", {"max_redemptions": 2}, format="json")
    assert response.status_code == 409
    assert code_of(response) == "voucher_limit_below_redeemed"
    assert response.json()["error"]["details"] == {"redeemed": 3, "max_redemptions": 2}
    voucher.refresh_from_db()
    assert voucher.max_redemptions == 5
    exact = admin_client_api.patch(f"{URL}{voucher.pk}/", {"max_redemptions": 3}, format="json")
    assert exact.status_code == 200 and exact.json()["usable"] is False


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"max_redemptions": 0}, "invalid"),
        ({"max_redemptions": "lots"}, "invalid"),
        ({"is_active": "perhaps"}, "invalid"),
        (
            {"valid_from": "2030-01-02T00:00:00Z", "valid_until": "2030-01-01T00:00:00Z"},
            "invalid_voucher_terms",
        ),
    ],
)
def test_bad_updates_are_a_400_and_change_nothing(admin_client_api, body, code):
    voucher = make("SAME", max_redemptions=4)
    response = admin_client_api.patch(f"{URL}{voucher.pk}/", body, format="json")
    assert response.status_code == 400, response.content
    assert code_of(response) == code
    voucher.refresh_from_db()
    assert (voucher.max_redemptions, voucher.is_active, voucher.valid_until) == (4, True, None)


@pytest.mark.parametrize("voucher_id", ["999999", str(2**63 - 1), str(10**30)])
def test_an_unknown_voucher_is_404_voucher_not_found(admin_client_api, voucher_id):
    for response in (
        admin_client_api.get(f"{URL}{voucher_id}/"),
        admin_client_api.patch(f"{URL}{voucher_id}/", {"is_active": False}, format="json"),
    ):
        assert response.status_code == 404, response.content
        assert code_of(response) == "voucher_not_found"


# --- Who may ---------------------------------------------------------------------------------


ENDPOINTS = [
    ("get", URL),
    ("post", URL),
    ("post", f"{URL}bulk/"),
    ("get", f"{URL}export/"),
    ("get", f"{URL}{{id}}/"),
    ("patch", f"{URL}{{id}}/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_customers_get_403_and_anonymous_callers_401(api_client, customer_client, method, path):
    voucher = make("MINE")
    path = path.format(id=voucher.pk)
    body = {"code": "NEW", "kind": "percent", "value": 5, "count": 2, "is_active": False}
    anonymous = getattr(api_client, method)(path, body, format="json")
    assert anonymous.status_code == 401 and code_of(anonymous) == "not_authenticated"
    customer = getattr(customer_client, method)(path, body, format="json")
    assert customer.status_code == 403 and code_of(customer) == "permission_denied"
    voucher.refresh_from_db()
    assert voucher.is_active and Voucher.objects.count() == 1


def test_admins_may_too(admin_client_api):
    assert admin_client_api.get(URL).status_code == 200


@pytest.mark.parametrize(("method", "path"), [e for e in ENDPOINTS if e[0] != "get"])
def test_staff_read_vouchers_but_only_admins_create_or_change_them(staff_client, method, path):
    voucher = make("TILL")
    assert staff_client.get(f"{URL}{voucher.pk}/").status_code == 200
    body = {"code": "NEW", "kind": "percent", "value": 100, "count": 2, "is_active": False}
    response = getattr(staff_client, method)(path.format(id=voucher.pk), body, format="json")
    assert response.status_code == 403 and code_of(response) == "permission_denied"
    voucher.refresh_from_db()
    assert voucher.is_active and Voucher.objects.count() == 1


def test_the_schema_documents_every_voucher_operation_and_its_codes(staff_client):
    schema = staff_client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert set(paths[URL]) >= {"get", "post"}
    assert "post" in paths[f"{URL}bulk/"]
    assert "text/csv" in paths[f"{URL}export/"]["get"]["responses"]["200"]["content"]
    detail = paths[URL + "{voucher_id}/"]
    assert "voucher_not_found" in detail["get"]["responses"]["404"]["description"]
    assert "voucher_limit_below_redeemed" in detail["patch"]["responses"]["409"]["description"]
    assert "voucher_code_taken" in paths[URL]["post"]["responses"]["409"]["description"]
    assert (
        "invalid_voucher_terms" in paths[f"{URL}bulk/"]["post"]["responses"]["400"]["description"]
    )
