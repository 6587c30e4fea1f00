from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "marquee.booking"
    label = "booking"

    def ready(self) -> None:
        # Cache invalidation receivers: seat layouts, weekday price rules, seat-status versions.
        from marquee.booking import availability, pricing, receivers  # noqa: F401
        from marquee.catalog import hooks, layout  # noqa: F401

        # A showtime with buyers keeps its film, place, time and currency.
        hooks.register_showtime_change_check(receivers.refuse_change_with_buyers)

        # The live processes sweep a watched showtime's holds as they lapse.
        from marquee.booking import selectors, services
        from marquee.live.lapses import register_lapse_sweep

        register_lapse_sweep(next_lapse=selectors.hold_next_lapse, sweep=services.bookings_expire)
