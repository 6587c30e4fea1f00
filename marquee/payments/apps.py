from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "marquee.payments"
    label = "payments"

    def ready(self) -> None:
        from marquee.booking import hooks
        from marquee.payments import receivers, services  # noqa: F401

        # A refund the provider cannot take in its currency's units is rounded down to them.
        hooks.register_refund_unit(services.refund_unit_of_booking)
        # The cancellation notice says what the cancellation refunds.
        hooks.register_cancellation_refund(services.cancellation_refund_of_booking)
