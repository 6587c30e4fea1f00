from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (`manage.py seed_demo`): on top of every app, and nothing depends on it."""

    name = "marquee.demo"
    label = "demo"
