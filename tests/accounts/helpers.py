"""Helpers for the auth tests: the endpoints, and logging in for real."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

PASSWORD = "Sup3r-secret-pass"

SIGNUP_URL = "/api/auth/signup/"
LOGIN_URL = "/api/auth/login/"
REFRESH_URL = "/api/auth/refresh/"
LOGOUT_URL = "/api/auth/logout/"
ME_URL = "/api/auth/me/"
USERS_URL = "/api/auth/users/"


def role_url(user_id) -> str:
    return f"/api/auth/users/{user_id}/role/"


def login(client: APIClient, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def bearer_client(user) -> APIClient:
    """A client that sends a real signed access token (unlike force_authenticate)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def error_code(response) -> str:
    return response.json()["error"]["code"]
