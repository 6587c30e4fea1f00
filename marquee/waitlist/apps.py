from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "marquee.waitlist"
    label = "waitlist"

    def ready(self) -> None:
        from marquee.waitlist import receivers  # noqa: F401
