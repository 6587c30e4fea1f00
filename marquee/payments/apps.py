from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "marquee.payments"
    label = "payments"

    def ready(self) -> None:
        from marquee.payments import receivers  # noqa: F401
