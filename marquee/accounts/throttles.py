"""Login and signup throttles, on fixed windows (marquee.common.throttling); rates live in
settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].

A login attempt meets three limits (docs/operations.md, "Failed logins"): these two throttles
(per address; per username from any address, the slow one that stops password spraying) and
django-axes' lockout of one username from one address. The API login and the admin's login
form count in the same windows.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request

from marquee.common.throttling import FixedWindowRateThrottle


class _PerIPThrottle(FixedWindowRateThrottle):
    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginIPThrottle(_PerIPThrottle):
    scope = "login_ip"


class SignupThrottle(_PerIPThrottle):
    scope = "signup"


class LoginUsernameThrottle(FixedWindowRateThrottle):
    """Caps guesses against one username from any number of IPs (case does not matter)."""

    scope = "login_username"

    def get_cache_key(self, request, view):
        data = request.data
        username = data.get("username") if isinstance(data, Mapping) else None
        if not isinstance(username, str) or not username.strip():
            return None  # the body is invalid anyway; the per-IP throttle still applies
        # Hashed: the key stays short and well-formed whatever the client sent.
        digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


LOGIN_THROTTLES = (LoginIPThrottle, LoginUsernameThrottle)


class _FormLogin:
    """What the login throttles see as their view when the login is a plain Django form."""

    def get_throttles(self):
        return [throttle() for throttle in LOGIN_THROTTLES]


def throttle_login_form(login_view):
    """Put a form login (the Django admin's) behind the API login's throttles: a POST over a
    limit is a 429 with Retry-After before any password is checked."""

    @functools.wraps(login_view)
    def throttled(request: HttpRequest, *args, **kwargs):
        if request.method == "POST":
            view = _FormLogin()
            # DRF's request reads the form (and hands it back to Django's request for the form).
            form = Request(request, parsers=[FormParser(), MultiPartParser()])
            waits = [
                throttle.wait()
                for throttle in view.get_throttles()
                if not throttle.allow_request(form, view)
            ]
            if waits:
                response = HttpResponse(
                    "Too many login attempts; try again later.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(math.ceil(max(waits)))
                return response
        return login_view(request, *args, **kwargs)

    return throttled
