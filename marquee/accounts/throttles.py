"""Login and signup throttles, on fixed windows (marquee.common.throttling); rates live in
settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

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
