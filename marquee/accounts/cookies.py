"""The HttpOnly cookies that carry the tokens for browser clients."""

from __future__ import annotations

from django.conf import settings
from rest_framework.response import Response
from rest_framework_simplejwt.settings import api_settings as jwt_settings

# The refresh token is only ever sent to the auth endpoints that consume it.
REFRESH_COOKIE_PATH = "/api/auth/"
ACCESS_COOKIE_PATH = "/"


def set_auth_cookies(response: Response, *, access: str, refresh: str) -> None:
    common = {
        "httponly": True,
        "secure": settings.AUTH_COOKIE_SECURE,
        "samesite": settings.AUTH_COOKIE_SAMESITE,
        "domain": settings.AUTH_COOKIE_DOMAIN,
    }
    response.set_cookie(
        settings.AUTH_COOKIE_ACCESS,
        access,
        max_age=int(jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()),
        path=ACCESS_COOKIE_PATH,
        **common,
    )
    response.set_cookie(
        settings.AUTH_COOKIE_REFRESH,
        refresh,
        max_age=int(jwt_settings.REFRESH_TOKEN_LIFETIME.total_seconds()),
        path=REFRESH_COOKIE_PATH,
        **common,
    )


def clear_auth_cookies(response: Response) -> None:
    for name, path in (
        (settings.AUTH_COOKIE_ACCESS, ACCESS_COOKIE_PATH),
        (settings.AUTH_COOKIE_REFRESH, REFRESH_COOKIE_PATH),
    ):
        response.delete_cookie(
            name,
            path=path,
            domain=settings.AUTH_COOKIE_DOMAIN,
            samesite=settings.AUTH_COOKIE_SAMESITE,
        )
