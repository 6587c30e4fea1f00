from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "marquee.reports"
    label = "reports"
