from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "marquee.common"
    label = "common"
