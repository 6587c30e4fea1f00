import pytest

from marquee.accounts import services
from marquee.accounts.models import Role, User
from marquee.common.errors import ApplicationError
from tests.accounts.helpers import SIGNUP_URL, error_code
from tests.errors import field_codes
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VALID = {
    "username": "moviegoer",
    "email": "moviegoer@example.com",
    "password": "Popcorn-and-Pictures-42",
    "first_name": "Mo",
    "last_name": "Goer",
}


def test_signup_creates_a_customer_account(api_client):
    response = api_client.post(SIGNUP_URL, VALID)

    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "username": "moviegoer",
        "email": "moviegoer@example.com",
        "first_name": "Mo",
        "last_name": "Goer",
        "role": "customer",
    }
    user = User.objects.get(pk=body["id"])
    assert user.check_password(VALID["password"])
    assert not user.is_staff
    assert not user.is_superuser


def test_signup_names_are_optional(api_client):
    response = api_client.post(SIGNUP_URL, {k: VALID[k] for k in ("username", "email", "password")})

    assert response.status_code == 201
    assert response.json()["first_name"] == ""


@pytest.mark.parametrize("extra", [{"role": "admin"}, {"is_superuser": True, "is_staff": True}])
def test_signup_can_never_choose_a_role(api_client, extra):
    response = api_client.post(SIGNUP_URL, {**VALID, **extra})

    assert response.status_code == 201
    user = User.objects.get(username="moviegoer")
    assert user.role == Role.CUSTOMER
    assert not user.is_superuser


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("short1", ["password_too_short", "password_too_common"]),
        ("password", ["password_too_common"]),
        ("12345678901", ["password_too_common", "password_entirely_numeric"]),
        ("moviegoer1", ["password_too_similar"]),
    ],
)
def test_signup_rejects_a_weak_password_with_each_validator_s_code(api_client, password, codes):
    response = api_client.post(SIGNUP_URL, {**VALID, "password": password})

    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert field_codes(response) == {"password": codes}
    assert not User.objects.filter(username="moviegoer").exists()


def test_signup_checks_the_password_against_the_new_users_own_details(api_client):
    response = api_client.post(
        SIGNUP_URL, {**VALID, "email": "zanzibar.quokka@example.com", "password": "zanzibarquokka"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["password"] == [
        {
            "code": "password_too_similar",
            "message": "The password is too similar to the email address.",
        }
    ]


@pytest.mark.parametrize(
    ("field", "taken"), [("username", "MovieGoer"), ("email", "MOVIEGOER@example.com")]
)
def test_signup_rejects_a_taken_username_or_email_ignoring_case(api_client, field, taken):
    UserFactory(username="moviegoer", email="moviegoer@example.com")

    response = api_client.post(
        SIGNUP_URL, {**VALID, "username": "someone", "email": "someone@example.com", field: taken}
    )

    assert response.status_code == 400
    assert error_code(response) == "invalid"
    message = services.USERNAME_TAKEN if field == "username" else services.EMAIL_TAKEN
    assert response.json()["error"]["details"] == {field: [{"code": "unique", "message": message}]}


def test_signup_reports_every_problem_at_once(api_client):
    UserFactory(username="moviegoer", email="moviegoer@example.com")

    response = api_client.post(SIGNUP_URL, {**VALID, "password": "password"})

    assert field_codes(response) == {
        "username": ["unique"],
        "email": ["unique"],
        "password": ["password_too_common"],
    }


def test_signup_requires_username_email_and_password(api_client):
    response = api_client.post(SIGNUP_URL, {})

    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert response.json()["error"]["details"] == {
        field: [{"code": "required", "message": "This field is required."}]
        for field in ("username", "email", "password")
    }


NOT_A_STRING = [{"code": "invalid", "message": "Not a valid string."}]


@pytest.mark.parametrize(
    ("bad", "errors"),
    [
        ({"username": 12345}, NOT_A_STRING),
        ({"username": ["moviegoer"]}, NOT_A_STRING),
        ({"username": {"name": "moviegoer"}}, NOT_A_STRING),
        ({"username": True}, NOT_A_STRING),
        ({"username": None}, [{"code": "null", "message": "This field may not be null."}]),
        ({"password": 12345678}, NOT_A_STRING),
        (
            {"email": ["moviegoer@example.com"]},
            [{"code": "invalid", "message": "Enter a valid email address."}],
        ),
        ({"first_name": 7}, NOT_A_STRING),
    ],
)
def test_signup_rejects_wrong_types(api_client, bad, errors):
    response = api_client.post(SIGNUP_URL, {**VALID, **bad})

    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert response.json()["error"]["details"] == {field: errors for field in bad}


@pytest.mark.parametrize(
    ("bad", "codes"),
    [
        ({"username": "u" * 10_000}, ["max_length"]),
        ({"password": "Pw-" * 4_000}, ["max_length"]),
        ({"email": "e" * 10_000 + "@example.com"}, ["max_length", "invalid"]),
        ({"first_name": "F" * 151}, ["max_length"]),
        ({"username": "has spaces"}, ["invalid"]),
        ({"username": "nul\x00byte"}, ["null_character"]),
        ({"email": "not-an-email"}, ["invalid"]),
    ],
)
def test_signup_rejects_invalid_or_oversized_values(api_client, bad, codes):
    response = api_client.post(SIGNUP_URL, {**VALID, **bad})

    assert response.status_code == 400
    assert field_codes(response) == {field: codes for field in bad}


def test_an_oversized_value_names_the_limit_in_its_message(api_client):
    response = api_client.post(SIGNUP_URL, {**VALID, "first_name": "F" * 151})

    assert response.json()["error"]["details"] == {
        "first_name": [
            {"code": "max_length", "message": "Ensure this field has no more than 150 characters."}
        ]
    }


def test_signup_rejects_a_json_array_body(api_client):
    response = api_client.post(SIGNUP_URL, [VALID])

    assert response.status_code == 400
    assert error_code(response) == "invalid"


def test_signup_rejects_malformed_json(api_client):
    response = api_client.post(
        SIGNUP_URL, data='{"username": "moviegoer",', content_type="application/json"
    )

    assert response.status_code == 400
    assert error_code(response) == "parse_error"


def test_signup_is_throttled_per_ip(api_client, throttle_rates):
    throttle_rates(signup="2/hour")
    for n in range(2):
        api_client.post(SIGNUP_URL, {**VALID, "username": f"u{n}", "email": f"u{n}@example.com"})

    response = api_client.post(SIGNUP_URL, VALID)

    assert response.status_code == 429
    assert error_code(response) == "throttled"
    assert response["Retry-After"] == "3585"  # the hour's window ends 3585 s after THROTTLE_NOW


def test_signup_losing_a_race_for_the_username_is_a_400_not_a_500(monkeypatch):
    UserFactory(username="moviegoer", email="first@example.com")
    # The pre-check runs before the other request commits: only the database notices.
    real_check = services._identity_conflicts
    calls = iter([{}])
    monkeypatch.setattr(
        services, "_identity_conflicts", lambda **kw: next(calls, None) or real_check(**kw)
    )

    with pytest.raises(ApplicationError) as caught:
        services.user_signup(
            username="moviegoer", email="second@example.com", password=VALID["password"]
        )

    assert caught.value.code == "invalid"
    assert caught.value.details == {
        "username": [{"code": "unique", "message": services.USERNAME_TAKEN}]
    }
    assert User.objects.filter(username="moviegoer").count() == 1
