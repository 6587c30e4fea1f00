from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "marquee.staff"
    label = "staff"
    verbose_name = "Staff pages: door scanner, box office, dashboard"
