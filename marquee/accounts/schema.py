"""OpenAPI: document JWTCookieAuthentication as a bearer JWT, so Swagger UI offers Authorize."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class JWTCookieAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "marquee.accounts.authentication.JWTCookieAuthentication"
    name = "jwtAuth"
    priority = 1  # over drf-spectacular's own scheme for simplejwt's parent class

    def get_security_definition(self, auto_schema):
        scheme = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer", bearer_format="JWT"
        )
        scheme["description"] = (
            "`Authorization: Bearer <access>`. Browsers may instead rely on the HttpOnly "
            f"`{settings.AUTH_COOKIE_ACCESS}` cookie set at login; unsafe requests "
            "authenticated that way must also send the `X-CSRFToken` header."
        )
        return scheme
