import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from marquee.accounts import tokens as rotating
from marquee.common import local_cache
from tests.accounts.helpers import LOGOUT_URL, ME_URL, REFRESH_URL, error_code, login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    return ".".join(
        [header, payload, signature[:-6] + ("A" * 6 if signature[-6:] != "A" * 6 else "B" * 6)]
    )


def _expired_access(user) -> str:
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now() - timedelta(hours=1))
    return str(token)


def _expired_refresh(user) -> str:
    token = RefreshToken.for_user(user)
    token.set_exp(from_time=timezone.now() - timedelta(days=30))
    return str(token)


def _signed_with_another_key(user) -> str:
    payload = AccessToken.for_user(user).payload
    return TokenBackend("HS256", signing_key="not-our-key-" * 4).encode(payload)


def _cookie_client(user, **kwargs) -> APIClient:
    """A browser-like client: logged in through the API, carrying only its cookies."""
    client = APIClient(**kwargs)
    assert login(client, user.username).status_code == 200
    return client


# --- Access tokens --------------------------------------------------------------------------


def test_bearer_token_authenticates(alice):
    access = login(APIClient(), "alice").json()["access"]

    response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_access_cookie_authenticates_without_a_header(alice):
    client = _cookie_client(alice)

    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_cookie_authenticated_unsafe_request_without_csrf_token_is_403(alice):
    client = _cookie_client(alice, enforce_csrf_checks=True)

    response = client.patch(ME_URL, {"first_name": "Mallory"})

    assert response.status_code == 403
    assert error_code(response) == "csrf_failed"
    alice.refresh_from_db()
    assert alice.first_name == ""


def test_cookie_authenticated_unsafe_request_with_csrf_token_succeeds(alice):
    client = _cookie_client(alice, enforce_csrf_checks=True)
    csrf_token = client.cookies[settings.CSRF_COOKIE_NAME].value

    response = client.patch(ME_URL, {"first_name": "Alice"}, HTTP_X_CSRFTOKEN=csrf_token)

    assert response.status_code == 200
    assert response.json()["first_name"] == "Alice"


def test_bearer_authenticated_unsafe_request_needs_no_csrf_token(alice):
    access = login(APIClient(), "alice").json()["access"]
    client = APIClient(enforce_csrf_checks=True)

    response = client.patch(ME_URL, {"first_name": "Al"}, HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 200


def test_no_token_is_401(api_client):
    response = api_client.get(ME_URL)

    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "make_token",
    [
        lambda user: _tampered(str(AccessToken.for_user(user))),
        _expired_access,
        _signed_with_another_key,
        lambda user: str(RefreshToken.for_user(user)),  # a refresh token is not an access token
        lambda user: "not-a-jwt",
    ],
    ids=["tampered", "expired", "foreign-key", "refresh-as-access", "garbage"],
)
def test_invalid_access_token_is_401_in_header_or_cookie(alice, make_token):
    token = make_token(alice)
    cookie_client = APIClient()
    cookie_client.cookies[settings.AUTH_COOKIE_ACCESS] = token

    for response in (
        APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {token}"),
        cookie_client.get(ME_URL),
    ):
        assert response.status_code == 401
        assert error_code(response) == "token_not_valid"


def test_access_token_of_a_deactivated_user_is_401(alice):
    access = login(APIClient(), "alice").json()["access"]
    alice.is_active = False
    alice.save()

    response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401
    assert error_code(response) == "user_inactive"


def test_access_token_of_a_deleted_user_is_401(alice):
    access = str(AccessToken.for_user(alice))
    alice.delete()

    response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401
    assert error_code(response) == "user_not_found"


@pytest.mark.parametrize(
    "user_id",
    ["not-a-number", "-1", "1.0", " 1", "9" * 30, 10**30, 0, True, [1]],
    ids=["text", "negative", "decimal", "space", "huge-text", "huge", "zero", "bool", "list"],
)
def test_an_access_token_with_a_malformed_user_id_is_refused_without_a_500(alice, user_id):
    token = AccessToken.for_user(alice)
    token["user_id"] = user_id
    # Signed with the real key: only the claim is wrong, so the user lookup has to refuse it.
    response = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


def test_a_role_change_counts_from_the_next_request(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(alice)}")
    assert client.get(ME_URL).json()["role"] == "customer"
    alice.role = "staff"
    alice.save(update_fields=["role"])
    assert client.get(ME_URL).json()["role"] == "staff"


# --- Refresh --------------------------------------------------------------------------------


def test_refresh_rotates_and_blacklists_the_old_token(alice):
    old = login(APIClient(), "alice").json()["refresh"]

    response = APIClient().post(REFRESH_URL, {"refresh": old})

    assert response.status_code == 200
    new = response.json()
    assert new["access"]
    assert new["refresh"] != old
    assert response.cookies[settings.AUTH_COOKIE_ACCESS].value == new["access"]
    assert response.cookies[settings.AUTH_COOKIE_REFRESH].value == new["refresh"]
    assert response.cookies[settings.AUTH_COOKIE_REFRESH]["path"] == "/api/auth/"
    assert BlacklistedToken.objects.filter(token__token=old).exists()
    assert APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {new['access']}").status_code == 200


def test_reusing_a_rotated_refresh_token_is_401(alice):
    old = login(APIClient(), "alice").json()["refresh"]
    APIClient().post(REFRESH_URL, {"refresh": old})

    response = APIClient().post(REFRESH_URL, {"refresh": old})

    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "make_token",
    [
        lambda user: _tampered(str(RefreshToken.for_user(user))),
        _expired_refresh,
        lambda user: str(AccessToken.for_user(user)),  # an access token cannot refresh
        lambda user: "not-a-jwt",
    ],
    ids=["tampered", "expired", "access-as-refresh", "garbage"],
)
def test_refresh_with_an_invalid_token_is_401(alice, make_token):
    response = APIClient().post(REFRESH_URL, {"refresh": make_token(alice)})

    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


def test_refresh_reads_the_cookie_when_the_body_has_none(alice):
    client = _cookie_client(alice)
    old = client.cookies[settings.AUTH_COOKIE_REFRESH].value

    response = client.post(REFRESH_URL)

    assert response.status_code == 200
    assert client.cookies[settings.AUTH_COOKIE_REFRESH].value == response.json()["refresh"] != old
    assert client.get(ME_URL).status_code == 200


def test_refresh_from_the_cookie_needs_the_csrf_token(alice):
    client = _cookie_client(alice, enforce_csrf_checks=True)

    refused = client.post(REFRESH_URL)
    accepted = client.post(
        REFRESH_URL, HTTP_X_CSRFTOKEN=client.cookies[settings.CSRF_COOKIE_NAME].value
    )

    assert refused.status_code == 403
    assert error_code(refused) == "csrf_failed"
    assert accepted.status_code == 200


def test_refresh_without_any_token_is_400(api_client):
    response = api_client.post(REFRESH_URL, {})

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "refresh": [
            {
                "code": "required",
                "message": "This field is required (in the body or the refresh cookie).",
            }
        ]
    }


@pytest.mark.parametrize("body", [{"refresh": ["x"]}, {"refresh": 1}, {"refresh": ""}, ["x"]])
def test_refresh_rejects_malformed_bodies_with_400(api_client, body):
    response = api_client.post(REFRESH_URL, body, format="json")

    assert response.status_code == 400
    assert error_code(response) == "invalid"


def test_refresh_for_an_inactive_user_is_401(alice):
    refresh = login(APIClient(), "alice").json()["refresh"]
    alice.is_active = False
    alice.save()

    response = APIClient().post(REFRESH_URL, {"refresh": refresh})

    assert response.status_code == 401


def test_refresh_for_a_deleted_user_is_401(alice):
    refresh = login(APIClient(), "alice").json()["refresh"]
    alice.delete()

    response = APIClient().post(REFRESH_URL, {"refresh": refresh})

    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


@pytest.mark.django_db(transaction=True)
def test_a_refresh_token_is_redeemed_at_most_once_under_concurrency():
    user = UserFactory(username="racer")
    refresh = str(RefreshToken.for_user(user))
    start = threading.Barrier(4)
    statuses: list[int] = []

    def redeem():
        try:
            start.wait()
            statuses.append(APIClient().post(REFRESH_URL, {"refresh": refresh}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 401, 401, 401]


# --- Logout ---------------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token_and_clears_cookies(alice):
    refresh = login(APIClient(), "alice").json()["refresh"]

    response = APIClient().post(LOGOUT_URL, {"refresh": refresh})

    assert response.status_code == 204
    for name in (settings.AUTH_COOKIE_ACCESS, settings.AUTH_COOKIE_REFRESH):
        assert response.cookies[name].value == ""
        assert response.cookies[name]["max-age"] == 0
    assert APIClient().post(REFRESH_URL, {"refresh": refresh}).status_code == 401


def test_logout_works_from_the_cookies_alone(alice):
    client = _cookie_client(alice)
    refresh = client.cookies[settings.AUTH_COOKIE_REFRESH].value

    response = client.post(LOGOUT_URL)

    assert response.status_code == 204
    assert client.get(ME_URL).status_code == 401  # the access cookie is gone
    assert APIClient().post(REFRESH_URL, {"refresh": refresh}).status_code == 401


def test_logout_needs_no_access_token(alice):
    refresh = str(RefreshToken.for_user(alice))
    client = APIClient()
    client.cookies[settings.AUTH_COOKIE_ACCESS] = _expired_access(alice)

    assert client.post(LOGOUT_URL, {"refresh": refresh}).status_code == 204


def test_logout_with_an_invalid_token_is_401_and_still_clears_cookies(alice):
    response = APIClient().post(LOGOUT_URL, {"refresh": _expired_refresh(alice)})

    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"
    assert response.cookies[settings.AUTH_COOKIE_REFRESH].value == ""


def test_logout_without_a_token_is_400(api_client):
    response = api_client.post(LOGOUT_URL)

    assert response.status_code == 400
    assert error_code(response) == "invalid"


def test_each_process_verifies_a_token_signature_once(alice, monkeypatch):
    decodes = []
    real_decode = TokenBackend.decode

    def counting_decode(self, token, verify=True):
        decodes.append(token)
        return real_decode(self, token, verify)

    monkeypatch.setattr(TokenBackend, "decode", counting_decode)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(alice)}")
    assert [client.get(ME_URL).status_code for _ in range(3)] == [200, 200, 200]
    assert len(decodes) == 1


def test_a_verified_token_still_expires(alice, monkeypatch):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(alice)}")
    assert client.get(ME_URL).status_code == 200  # verified and remembered
    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr("marquee.accounts.authentication.aware_utcnow", lambda: tomorrow)
    monkeypatch.setattr("rest_framework_simplejwt.tokens.aware_utcnow", lambda: tomorrow)
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


def test_a_tampered_copy_of_a_verified_token_is_refused(alice):
    token = str(AccessToken.for_user(alice))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(ME_URL).status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_tampered(token)}")
    assert client.get(ME_URL).status_code == 401


# --- Key rotation ---------------------------------------------------------------------------

OLD_KEY = "the-jwt-key-before-the-rotation-" + "a" * 32
NEW_KEY = "the-jwt-key-after-the-rotation-" + "b" * 32


@pytest.fixture
def jwt_keys(settings):
    """jwt_keys(current, *fallbacks): switch the signing keys, as a restart with new
    JWT_SIGNING_KEY / JWT_SIGNING_KEY_FALLBACKS would (nothing verified earlier is kept)."""

    def switch(current: str, *fallbacks: str) -> None:
        settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "SIGNING_KEY": current}
        settings.JWT_SIGNING_KEY_FALLBACKS = list(fallbacks)
        local_cache.clear_all()

    return switch


def test_tokens_issued_before_a_key_rotation_still_work_after_it(alice, jwt_keys):
    jwt_keys(OLD_KEY)
    before = login(APIClient(), "alice").json()

    jwt_keys(NEW_KEY, OLD_KEY)
    me = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {before['access']}")
    refreshed = APIClient().post(REFRESH_URL, {"refresh": before["refresh"]})

    assert me.status_code == 200
    assert refreshed.status_code == 200
    # The new pair is signed with the new key alone: it works once the old key is dropped.
    after = refreshed.json()
    TokenBackend("HS256", signing_key=NEW_KEY).decode(after["refresh"])
    jwt_keys(NEW_KEY)
    bearer = f"Bearer {after['access']}"
    assert APIClient().get(ME_URL, HTTP_AUTHORIZATION=bearer).status_code == 200
    assert APIClient().post(REFRESH_URL, {"refresh": after["refresh"]}).status_code == 200


def test_tokens_of_a_key_no_longer_listed_as_fallback_are_refused(alice, jwt_keys):
    jwt_keys(OLD_KEY)
    before = login(APIClient(), "alice").json()

    jwt_keys(NEW_KEY)
    me = APIClient().get(ME_URL, HTTP_AUTHORIZATION=f"Bearer {before['access']}")
    refreshed = APIClient().post(REFRESH_URL, {"refresh": before["refresh"]})

    assert (me.status_code, error_code(me)) == (401, "token_not_valid")
    assert (refreshed.status_code, error_code(refreshed)) == (401, "token_not_valid")


def test_an_expired_token_signed_with_a_fallback_key_is_still_expired(alice, jwt_keys):
    jwt_keys(OLD_KEY)
    token = rotating.RefreshToken.for_user(alice)
    token.set_exp(from_time=timezone.now() - timedelta(days=30))
    expired = str(token)
    TokenBackend("HS256", signing_key=OLD_KEY).decode(expired, verify=False)

    jwt_keys(NEW_KEY, OLD_KEY)
    response = APIClient().post(REFRESH_URL, {"refresh": expired})

    assert (response.status_code, error_code(response)) == (401, "token_not_valid")
