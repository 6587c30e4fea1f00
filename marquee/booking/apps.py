from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "marquee.booking"
    label = "booking"

    def ready(self) -> None:
        # Cache invalidation receivers: seat layouts, weekday price rules, seat-status versions.
        from marquee.booking import availability, pricing, receivers  # noqa: F401
        from marquee.catalog import layout  # noqa: F401
