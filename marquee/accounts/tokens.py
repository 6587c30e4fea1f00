"""JWTs that survive a key rotation: signed with the current key, verified with it or a fallback.

`SIMPLE_JWT["SIGNING_KEY"]` (`JWT_SIGNING_KEY`, default `SECRET_KEY`) signs every new token;
a token whose signature does not match it is tried against each of `JWT_SIGNING_KEY_FALLBACKS`
(default `SECRET_KEY_FALLBACKS`), as Django's own signing does with `SECRET_KEY_FALLBACKS`.
So a new key does not log everybody out: tokens issued before the rotation keep working
until they expire, and a refresh hands out a pair signed with the new key. HMAC algorithms
(the configured HS256) only: with them the signing key is also the verifying key.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from jwt import InvalidSignatureError
from rest_framework_simplejwt import serializers, tokens
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError


def _signature_mismatch(error: TokenBackendError) -> bool:
    return isinstance(error.__cause__, InvalidSignatureError)


class RotatingKeyTokenBackend(TokenBackend):
    """simplejwt's backend, verifying with the fallback keys when the current one does not
    match. Only a wrong signature moves on to the next key: an expired or malformed token
    signed with a known key is refused as it is."""

    def __init__(self, *, fallback_keys: tuple[str, ...] = (), **options: Any) -> None:
        super().__init__(**options)
        self.fallbacks = [TokenBackend(**{**options, "signing_key": key}) for key in fallback_keys]

    def decode(self, token, verify: bool = True) -> dict[str, Any]:
        try:
            return super().decode(token, verify=verify)
        except TokenBackendError as error:
            if not (verify and self.fallbacks and _signature_mismatch(error)):
                raise
            refused = error
        for fallback in self.fallbacks:
            try:
                return fallback.decode(token, verify=True)
            except TokenBackendError as error:
                if not _signature_mismatch(error):
                    raise
        raise refused


_backend: tuple[tuple, RotatingKeyTokenBackend] | None = None


def token_backend() -> RotatingKeyTokenBackend:
    """The backend for the current settings (rebuilt when a test or a reload changes them)."""
    global _backend
    # simplejwt rebinds its `api_settings` when SIMPLE_JWT changes: read it from the module.
    jwt = simplejwt_settings.api_settings
    options = {
        "algorithm": jwt.ALGORITHM,
        "signing_key": jwt.SIGNING_KEY,
        "verifying_key": jwt.VERIFYING_KEY,
        "audience": jwt.AUDIENCE,
        "issuer": jwt.ISSUER,
        "jwk_url": jwt.JWK_URL,
        "leeway": jwt.LEEWAY,
        "json_encoder": jwt.JSON_ENCODER,
    }
    fallbacks = tuple(settings.JWT_SIGNING_KEY_FALLBACKS)
    config = (*options.values(), fallbacks)
    if _backend is None or _backend[0] != config:
        _backend = (config, RotatingKeyTokenBackend(fallback_keys=fallbacks, **options))
    return _backend[1]


class _RotatingKeys:
    @property
    def token_backend(self) -> TokenBackend:
        return token_backend()


class AccessToken(_RotatingKeys, tokens.AccessToken):
    pass


class RefreshToken(_RotatingKeys, tokens.RefreshToken):
    access_token_class = AccessToken


class TokenRefreshSerializer(serializers.TokenRefreshSerializer):
    token_class = RefreshToken
