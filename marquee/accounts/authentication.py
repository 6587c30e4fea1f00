"""JWT from the Authorization header, or from the HttpOnly cookie with a CSRF check."""

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import CSRFCheck
from rest_framework_simplejwt.authentication import (
    JWTAuthentication,
    JWTStatelessUserAuthentication,
)
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow

from marquee.common import request_context
from marquee.common.fast_select import get_by_pk
from marquee.common.local_cache import LocalCache

# Raw token -> the validated token: each process checks a token's signature once. Safe to
# reuse: the same bytes always verify the same way, and the expiry is checked on every use.
_verified: LocalCache[bytes | str, Token] = LocalCache("verified_tokens", max_size=4096)


class JWTCookieAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token):
        token = _verified.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
                return token
            except TokenError:
                _verified.pop(raw_token)  # expired: the full check below says so
        token = super().get_validated_token(raw_token)
        _verified.set(raw_token, token)
        return token

    def get_user(self, validated_token):
        """The token's user, read with SQL built once (`get_by_pk`): still one query per
        request, so a deactivation or a role change counts from the next request. Whatever
        is not an active user found by id goes through simplejwt's own checks and errors."""
        if api_settings.USER_ID_FIELD != "id" or api_settings.CHECK_REVOKE_TOKEN:
            return super().get_user(validated_token)
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        if user_id is None:
            return super().get_user(validated_token)  # simplejwt's "no user id" error
        row_id = _row_id(user_id)
        if row_id is None:
            # Validly signed, but not a row id: simplejwt would let the database error (or
            # an overflow) through as a 500.
            raise InvalidToken("Token contained no recognizable user identification")
        user = get_by_pk(self.user_model, row_id)
        if user is None or not user.is_active:
            return super().get_user(validated_token)  # simplejwt's not-found and inactive
        return user

    def authenticate(self, request):
        result = self._authenticate(request)
        if result is not None:
            request_context.user_id.set(result[0].pk)  # for the log lines of this request
        return result

    def _authenticate(self, request):
        header = self.get_header(request)
        if header is not None:
            return super().authenticate(request)
        raw_token = request.COOKIES.get(settings.AUTH_COOKIE_ACCESS)
        if not raw_token:
            return None
        validated = self.get_validated_token(raw_token)
        user = self.get_user(validated)
        # Cookies ride along on cross-site requests; only a CSRF token proves intent.
        self.enforce_csrf(request)
        return user, validated

    def enforce_csrf(self, request):
        def dummy_get_response(request):  # pragma: no cover - never called
            return None

        check = CSRFCheck(dummy_get_response)
        check.process_request(request)
        reason = check.process_view(request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(f"CSRF failed: {reason}", code="csrf_failed")


def _row_id(value) -> int | None:
    """A token's user id (simplejwt writes it as a string) as a positive 64-bit id, else None."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if type(value) is int and 0 < value < 2**63:
        return value
    return None


class StatelessJWTCookieAuthentication(JWTCookieAuthentication):
    """The same token checks without loading the user: for public reads on the hot path.

    A valid, unexpired token gives simplejwt's `TokenUser` (the id from the token), enough to
    throttle per account; the user row is not read. Only for endpoints anyone may read
    anyway (the seat map): what they answer does not depend on who asks, so a token of an
    account deactivated a minute ago gains nothing. Saves the user query on every logged-in
    seat-map read (docs/benchmarks.md, "Stateless token on the seat map").
    """

    def get_user(self, validated_token):
        return JWTStatelessUserAuthentication.get_user(self, validated_token)
