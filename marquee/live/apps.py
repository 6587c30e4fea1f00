from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "marquee.live"
    label = "live"
    verbose_name = "Live seat map"
