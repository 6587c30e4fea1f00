from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "marquee.common"
    label = "common"

    def ready(self) -> None:
        from marquee.common import checks  # noqa: F401  (registers the deployment checks)
