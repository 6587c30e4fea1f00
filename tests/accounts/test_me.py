import pytest

from marquee.accounts.services import EMAIL_TAKEN
from tests.accounts.helpers import ME_URL, error_code
from tests.errors import field_codes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_me_returns_the_current_user(customer_client, customer):
    response = customer_client.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": customer.pk,
        "username": customer.username,
        "email": customer.email,
        "first_name": "",
        "last_name": "",
        "role": "customer",
    }


def test_me_is_401_for_anonymous_callers(api_client):
    assert api_client.get(ME_URL).status_code == 401
    assert api_client.patch(ME_URL, {"first_name": "X"}).status_code == 401


def test_me_patch_changes_names_and_email(customer_client, customer):
    response = customer_client.patch(
        ME_URL, {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.email) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
    )


def test_me_patch_leaves_unmentioned_fields_alone(customer_client, customer):
    customer_client.patch(ME_URL, {"last_name": "Only"})

    customer.refresh_from_db()
    assert customer.last_name == "Only"
    assert customer.email.endswith("@example.com")


@pytest.mark.parametrize(
    "body", [{"role": "admin"}, {"is_superuser": True, "is_staff": True}, {"username": "root"}]
)
def test_me_patch_cannot_change_role_or_username(customer_client, customer, body):
    response = customer_client.patch(ME_URL, body)

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.role == "customer"
    assert not customer.is_superuser
    assert customer.username != "root"


def test_me_patch_rejects_an_email_taken_by_someone_else(customer_client, customer):
    UserFactory(email="taken@example.com")

    response = customer_client.patch(ME_URL, {"email": "Taken@Example.com"})

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "email": [{"code": "unique", "message": EMAIL_TAKEN}]
    }


def test_me_patch_accepts_ones_own_email_in_another_case(customer_client, customer):
    response = customer_client.patch(ME_URL, {"email": customer.email.upper()})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"email": "not-an-email"}, "invalid"),
        ({"email": ["a@example.com"]}, "invalid"),
        ({"first_name": "F" * 10_000}, "max_length"),
        ({"first_name": 42}, "invalid"),
        ({"last_name": None}, "null"),
    ],
)
def test_me_patch_rejects_bad_values_with_400(customer_client, body, code):
    response = customer_client.patch(ME_URL, body)

    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert field_codes(response) == {field: [code] for field in body}


def test_me_patch_rejects_a_json_array_body(customer_client):
    response = customer_client.patch(ME_URL, [{"first_name": "A"}])

    assert response.status_code == 400


def test_me_does_not_allow_put_or_delete(customer_client):
    assert customer_client.put(ME_URL, {}).status_code == 405
    assert customer_client.delete(ME_URL).status_code == 405
