from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "marquee.booking"
    label = "booking"

    def ready(self) -> None:
        # Cache invalidation receivers for seat layouts and weekday price rules.
        from marquee.booking import pricing, receivers  # noqa: F401
        from marquee.catalog import layout  # noqa: F401
