from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from marquee.accounts.models import User
from tests.accounts.helpers import LOGIN_URL, ME_URL, PASSWORD, error_code, login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_returns_tokens_and_the_user(api_client, alice):
    response = login(api_client, "alice")

    assert response.status_code == 200
    body = response.json()
    assert body["access"]
    assert body["refresh"]
    assert body["user"] == {
        "id": alice.pk,
        "username": "alice",
        "email": "alice@example.com",
        "first_name": "",
        "last_name": "",
        "role": "customer",
    }


def test_login_sets_httponly_samesite_token_cookies(api_client, alice, settings):
    settings.AUTH_COOKIE_SECURE = False

    response = login(api_client, "alice")

    access = response.cookies[settings.AUTH_COOKIE_ACCESS]
    refresh = response.cookies[settings.AUTH_COOKIE_REFRESH]
    assert access.value == response.json()["access"]
    assert refresh.value == response.json()["refresh"]
    for cookie in (access, refresh):
        assert cookie["httponly"] is True
        assert cookie["samesite"] == settings.AUTH_COOKIE_SAMESITE
        assert not cookie["secure"]
    assert access["path"] == "/"
    assert refresh["path"] == "/api/auth/"
    assert access["max-age"] == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    assert refresh["max-age"] == settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].total_seconds()


def test_login_cookies_are_secure_when_configured(api_client, alice, settings):
    settings.AUTH_COOKIE_SECURE = True
    settings.AUTH_COOKIE_SAMESITE = "Strict"

    response = login(api_client, "alice")

    for name in (settings.AUTH_COOKIE_ACCESS, settings.AUTH_COOKIE_REFRESH):
        assert response.cookies[name]["secure"] is True
        assert response.cookies[name]["samesite"] == "Strict"


def test_login_sets_a_csrf_cookie_for_browser_clients(api_client, alice):
    response = login(api_client, "alice")

    assert response.cookies[settings.CSRF_COOKIE_NAME].value


def test_login_records_last_login(api_client, alice):
    login(api_client, "alice")

    alice.refresh_from_db()
    assert alice.last_login is not None


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_login_with_bad_credentials_is_401_invalid_credentials(api_client, alice, username):
    response = login(api_client, username, "Wrong-password-1")

    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert settings.AUTH_COOKIE_ACCESS not in response.cookies


def test_inactive_user_cannot_log_in(api_client):
    UserFactory(username="sleeper", is_active=False)

    response = login(api_client, "sleeper")

    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"


def test_username_is_case_sensitive_at_login(api_client, alice):
    assert login(api_client, "ALICE").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "alice"},
        {"username": 123, "password": PASSWORD},
        {"username": ["alice"], "password": PASSWORD},
        {"username": {"$gt": ""}, "password": PASSWORD},
        {"username": "alice", "password": None},
        {"username": "u" * 10_000, "password": PASSWORD},
        {"username": "alice", "password": "p" * 10_000},
        [{"username": "alice", "password": PASSWORD}],
        "alice",
    ],
)
def test_login_rejects_malformed_bodies_with_400(api_client, alice, body):
    response = api_client.post(LOGIN_URL, body, format="json")

    assert response.status_code == 400
    assert error_code(response) == "invalid"


def test_login_rejects_malformed_json(api_client):
    response = api_client.post(LOGIN_URL, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert error_code(response) == "parse_error"


def test_login_accepts_a_form_body(api_client, alice):
    response = api_client.post(
        LOGIN_URL, {"username": "alice", "password": PASSWORD}, format="multipart"
    )

    assert response.status_code == 200


def test_a_stale_access_cookie_does_not_block_logging_in(api_client, alice):
    api_client.cookies[settings.AUTH_COOKIE_ACCESS] = "expired.or.garbage"

    assert login(api_client, "alice").status_code == 200


# --- Throttling -----------------------------------------------------------------------------


def test_login_is_throttled_per_ip(api_client, throttle_rates):
    throttle_rates(login_ip="3/min", login_username="100/min")
    for n in range(3):
        login(api_client, f"guess{n}", "Wrong-password-1")

    response = login(api_client, "another", "Wrong-password-1")

    assert response.status_code == 429
    assert error_code(response) == "throttled"
    assert response["Retry-After"] == "45"  # the minute's window ends 45 s after THROTTLE_NOW
    assert response.json()["error"]["details"]["retry_after_seconds"] == int(
        response["Retry-After"]
    )


def test_a_body_that_does_not_parse_still_counts_against_the_address(api_client, throttle_rates):
    # The per-username throttle cannot name its key without a body; the per-IP one still
    # counts the request (on Redis both are counted in one call), and the answer stays 400.
    throttle_rates(login_ip="2/min", login_username="100/min")
    for _ in range(2):
        response = api_client.post(LOGIN_URL, data="{not json", content_type="application/json")
        assert response.status_code == 400
        assert error_code(response) == "parse_error"

    assert login(api_client, "alice", "Wrong-password-1").status_code == 429


def test_login_is_throttled_per_username_from_any_ip(alice, throttle_rates):
    throttle_rates(login_ip="100/min", login_username="2/min")
    client = APIClient()
    login(client, "alice", "Wrong-password-1", REMOTE_ADDR="10.0.0.1")
    login(client, "Alice", "Wrong-password-1", REMOTE_ADDR="10.0.0.2")

    response = login(client, "ALICE", "Wrong-password-1", REMOTE_ADDR="10.0.0.3")

    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    # Other accounts behind the same addresses are unaffected.
    UserFactory(username="bob")
    assert login(client, "bob", REMOTE_ADDR="10.0.0.3").status_code == 200


# --- Account lockout (django-axes) ----------------------------------------------------------


@pytest.fixture
def lockout(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=2)
    return settings.AXES_COOLOFF_TIME


def _fail(client, username="alice", times=1):
    return [login(client, username, "Wrong-password-1") for _ in range(times)][-1]


def test_account_locks_after_repeated_failures(api_client, alice, lockout):
    assert _fail(api_client, times=2).status_code == 401

    response = _fail(api_client)

    assert response.status_code == 429
    assert error_code(response) == "account_locked"
    assert int(response["Retry-After"]) in (120, 121)
    assert response["Content-Type"] == "application/json"


def test_locked_account_refuses_even_the_correct_password(api_client, alice, lockout):
    _fail(api_client, times=3)

    response = login(api_client, "alice")

    assert response.status_code == 429
    assert error_code(response) == "account_locked"
    assert "access" not in response.json()


def test_lockout_locks_the_username_only_at_the_address_that_failed(alice, lockout):
    attacker, owner = {"REMOTE_ADDR": "10.0.0.1"}, {"REMOTE_ADDR": "10.9.9.9"}
    for _ in range(3):
        login(APIClient(), "alice", "Wrong-password-1", **attacker)
    assert error_code(login(APIClient(), "alice", **attacker)) == "account_locked"

    # Anyone can fail on purpose from their own address; the owner elsewhere still gets in.
    assert login(APIClient(), "alice", **owner).status_code == 200
    # ... and that does not lift the lock where the guessing happened.
    assert error_code(login(APIClient(), "alice", **attacker)) == "account_locked"


def test_failures_spread_over_addresses_lock_none_of_them_out(alice, lockout):
    for n in range(5):
        for _ in range(2):  # under the limit of 3 at each address
            login(APIClient(), "alice", "Wrong-password-1", REMOTE_ADDR=f"10.0.1.{n}")

    assert login(APIClient(), "alice", REMOTE_ADDR="10.0.1.0").status_code == 200


def test_guessing_one_username_from_many_addresses_is_throttled(alice, lockout, throttle_rates):
    # What stops spraying once the lockout is per address: the slower per-username limit.
    throttle_rates(login_ip="100/min", login_username="10/hour")
    for n in range(10):
        response = login(APIClient(), "alice", "Wrong-password-1", REMOTE_ADDR=f"10.0.2.{n}")
        assert response.status_code == 401

    response = login(APIClient(), "alice", REMOTE_ADDR="10.0.2.99")

    assert response.status_code == 429
    assert error_code(response) == "throttled"  # not a lockout: it ends with the hour
    assert response["Retry-After"] == str(3600 - 15)
    UserFactory(username="bob")
    assert login(APIClient(), "bob", REMOTE_ADDR="10.0.2.99").status_code == 200


def test_with_the_default_limits_five_failures_elsewhere_leave_the_owner_in(alice, throttle_now):
    attacker, owner = {"REMOTE_ADDR": "10.0.3.1"}, {"REMOTE_ADDR": "10.0.3.2"}
    codes = [
        login(APIClient(), "alice", "Wrong-password-1", **attacker).status_code for _ in range(5)
    ]
    assert codes[-1] == 429  # the fifth failure locks alice at that address

    assert login(APIClient(), "alice", **owner).status_code == 200
    assert error_code(login(APIClient(), "alice", **attacker)) == "account_locked"


def test_lockout_of_one_account_leaves_others_alone(api_client, alice, lockout):
    _fail(api_client, times=3)
    UserFactory(username="bob")

    assert login(api_client, "bob").status_code == 200


def test_locked_account_unlocks_after_the_cooloff(api_client, alice, lockout):
    _fail(api_client, times=3)
    assert login(api_client, "alice").status_code == 429

    AccessAttempt.objects.filter(username="alice").update(
        attempt_time=timezone.now() - lockout - timedelta(seconds=1)
    )

    assert login(api_client, "alice").status_code == 200


def test_successful_login_resets_the_failure_count(api_client, alice, lockout):
    _fail(api_client, times=2)
    assert login(api_client, "alice").status_code == 200

    assert _fail(api_client, times=2).status_code == 401
    assert login(api_client, "alice").status_code == 200


def test_lockout_does_not_end_existing_sessions(api_client, alice, lockout):
    """Lockout stops password guessing; tokens issued before it keep working."""
    token = login(api_client, "alice").json()["access"]
    _fail(api_client, times=3)

    response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert User.objects.get(pk=alice.pk).is_active
