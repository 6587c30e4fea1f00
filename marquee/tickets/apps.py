from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "marquee.tickets"
    label = "tickets"

    def ready(self) -> None:
        # Confirmation and cancellation emails follow the booking signals.
        from marquee.tickets import checks, receivers  # noqa: F401
