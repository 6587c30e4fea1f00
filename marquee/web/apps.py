from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "marquee.web"
    label = "web"
    verbose_name = "The moviegoer's site"
