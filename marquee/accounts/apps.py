from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "marquee.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Registers the OpenAPI security scheme for JWTCookieAuthentication.
        from marquee.accounts import schema  # noqa: F401
