"""Field errors keep their codes: every message in `details` is `{"code", "message"}`, in the
structure the input had (nested objects stay objects, list items keep their position)."""

import pytest
from django.urls import path
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.views import APIView

from marquee.common.errors import DomainError, field_errors, field_messages
from tests.errors import field_codes

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/bookings/"
REQUIRED = {"code": "required", "message": "This field is required."}


def details(response) -> dict:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("invalid", "The request is invalid; see details.")
    return error["details"]


def test_a_missing_field_is_required(customer_client):
    response = customer_client.post(BOOKINGS, {}, format="json")

    assert details(response) == {"showtime": [REQUIRED]}


def test_a_null_field_is_null(customer_client):
    response = customer_client.post(BOOKINGS, {"showtime": None, "quantity": 1}, format="json")

    assert details(response) == {
        "showtime": [{"code": "null", "message": "This field may not be null."}]
    }


def test_a_value_of_the_wrong_type_is_invalid(customer_client):
    response = customer_client.post(BOOKINGS, {"showtime": "one", "quantity": 1}, format="json")

    assert details(response) == {
        "showtime": [{"code": "invalid", "message": "A valid integer is required."}]
    }


def test_an_oversized_value_is_max_length(customer_client, showtime):
    body = {"showtime": showtime.pk, "quantity": 1, "voucher": "V" * 33}

    response = customer_client.post(BOOKINGS, body, format="json")

    assert details(response) == {
        "voucher": [
            {"code": "max_length", "message": "Ensure this field has no more than 32 characters."}
        ]
    }


def test_an_oversized_list_is_max_length(customer_client, showtime):
    body = {"showtime": showtime.pk, "seats": list(range(1, 1002))}

    response = customer_client.post(BOOKINGS, body, format="json")

    assert details(response) == {
        "seats": [
            {"code": "max_length", "message": "Ensure this field has no more than 1000 elements."}
        ]
    }


def test_an_unknown_choice_is_invalid_choice(customer_client, showtime):
    body = {"showtime": showtime.pk, "quantity": 2, "tier": "gold"}

    response = customer_client.post(BOOKINGS, body, format="json")

    assert details(response) == {
        "tier": [{"code": "invalid_choice", "message": '"gold" is not a valid choice.'}]
    }


def test_an_unknown_related_id_is_does_not_exist(admin_client_api):
    response = admin_client_api.post("/api/screens/", {"theater": 4242, "name": "Hall"})

    assert details(response) == {
        "theater": [
            {"code": "does_not_exist", "message": 'Invalid pk "4242" - object does not exist.'}
        ]
    }


def test_a_rule_of_no_one_field_is_under_non_field_errors_with_its_own_code(
    customer_client, showtime, seats
):
    body = {"showtime": showtime.pk, "seats": [seats["A1"].pk], "quantity": 1}

    response = customer_client.post(BOOKINGS, body, format="json")

    assert details(response) == {
        "non_field_errors": [
            {
                "code": "seats_or_quantity",
                "message": "Give either `seats` (seat ids) or `quantity` (best available), "
                "not both.",
            }
        ]
    }


def test_a_list_field_s_item_errors_are_keyed_by_their_index(customer_client, showtime, seats):
    body = {"showtime": showtime.pk, "seats": [seats["A1"].pk, "x", {"id": 0}, True]}

    response = customer_client.post(BOOKINGS, body, format="json")

    assert details(response) == {
        "seats": {
            "1": [{"code": "invalid", "message": "A valid integer is required."}],
            "2": {
                "id": [
                    {
                        "code": "min_value",
                        "message": "Ensure this value is greater than or equal to 1.",
                    }
                ]
            },
            "3": [
                {
                    "code": "invalid",
                    "message": "A seat id or an object with `id` and `ticket_type`.",
                }
            ],
        }
    }


def test_a_list_of_objects_names_only_its_items_with_errors_by_index(
    staff_client, showtime, default_ticket_types
):
    entries = [
        {"ticket_type": "adult", "tier": "standard", "price": "9.00"},
        {"ticket_type": "child", "tier": "gold", "price": "-1"},
    ]
    body = {"theater": showtime.screen.theater_id, "name": "Card", "entries": entries}

    response = staff_client.post("/api/price-cards/", body, format="json")

    assert details(response) == {
        "entries": {
            "1": {
                "tier": [{"code": "invalid_choice", "message": '"gold" is not a valid choice.'}],
                "price": [
                    {
                        "code": "min_value",
                        "message": "Ensure this value is greater than or equal to 0.",
                    }
                ],
            },
        }
    }


def test_a_service_s_refusal_of_one_list_item_names_it_with_the_refusal_s_code(
    staff_client, showtime, default_ticket_types
):
    entries = [
        {"ticket_type": "adult", "tier": "standard", "price": "9.00"},
        {"ticket_type": "pirate", "tier": "standard", "price": "5.00"},
    ]
    body = {"theater": showtime.screen.theater_id, "name": "Card", "entries": entries}

    response = staff_client.post("/api/price-cards/", body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "ticket_type_unknown"
    assert error["details"] == {
        "entries": {
            "1": [
                {
                    "code": "ticket_type_unknown",
                    "message": "No ticket type 'pirate' at this theater.",
                }
            ]
        }
    }


def test_a_domain_error_s_own_details_are_answered_as_they_are(customer_client, showtime, hold):
    booking = hold(["A1", "A2"])
    taken = sorted(ticket.seat_id for ticket in booking.tickets.all())

    response = customer_client.post(
        BOOKINGS, {"showtime": showtime.pk, "seats": taken}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"seat_ids": taken}


def test_a_bad_token_keeps_simplejwt_s_messages(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api_client.get("/api/auth/me/")

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "token_not_valid"
    assert all(isinstance(message["message"], str) for message in error["details"]["messages"])
    assert "code" not in error["details"]["messages"][0]


class _Raises(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request, kind):
        if kind == "domain":
            raise DomainError(
                "Refused.",
                code="some_rule",
                details={"seat_ids": [3, 1], "notes": ["kept as a string"], "n": {"m": 1}},
            )
        if kind == "bare":
            raise serializers.ValidationError("No one field.", code="own_code")
        raise serializers.ValidationError(
            {
                "outer": {"inner": [ErrorDetail("Deep.", code="deep")]},
                "rows": [[ErrorDetail("First.", code="first")], []],
                "plain": ["A string raised without a code."],
            }
        )


urlpatterns = [path("raises/<str:kind>/", _Raises.as_view())]


@pytest.mark.urls(__name__)
def test_the_handler_leaves_a_domain_error_s_details_untouched(api_client):
    response = api_client.get("/raises/domain/")

    assert response.json()["error"] == {
        "code": "some_rule",
        "message": "Refused.",
        "details": {"seat_ids": [3, 1], "notes": ["kept as a string"], "n": {"m": 1}},
    }


@pytest.mark.urls(__name__)
def test_every_validation_message_becomes_a_field_error_in_its_own_place(api_client):
    response = api_client.get("/raises/nested/")

    assert details(response) == {
        "outer": {"inner": [{"code": "deep", "message": "Deep."}]},
        "rows": [[{"code": "first", "message": "First."}], []],
        "plain": [{"code": "invalid", "message": "A string raised without a code."}],
    }


@pytest.mark.urls(__name__)
def test_a_validation_error_of_no_field_is_under_non_field_errors(api_client):
    response = api_client.get("/raises/bare/")

    assert details(response) == {
        "non_field_errors": [{"code": "own_code", "message": "No one field."}]
    }


def test_a_service_builds_the_same_shape_and_pages_read_its_messages():
    built = field_errors("starts_at", "Must be in the future.", code="showtime_in_past")

    assert built == {
        "starts_at": [{"code": "showtime_in_past", "message": "Must be in the future."}]
    }
    assert field_messages(built, "starts_at") == ["Must be in the future."]
    assert field_messages(built, "elsewhere") == []
    assert field_messages({"seat_ids": [1, 2]}, "seat_ids") == []


def test_field_codes_reads_codes_in_place(customer_client, showtime):
    response = customer_client.post(BOOKINGS, {"showtime": showtime.pk, "seats": ["x"]})

    assert field_codes(response) == {"seats": {"0": ["invalid"]}}
